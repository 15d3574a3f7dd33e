# crawl
# The web crawlers (gopl.io/ch8/crawl1, crawl2, crawl3; Exercise 8.6's -depth in crawl2 and
# crawl3): HTTP(S) with libcurl, HTML with gumbo (found with pkg-config). Skipped, with a
# warning, when either is missing (Debian: libcurl4-openssl-dev libgumbo-dev).
find_package(CURL QUIET)
find_package(PkgConfig QUIET)
if(PkgConfig_FOUND)
    pkg_check_modules(CRAWL_GUMBO QUIET IMPORTED_TARGET gumbo)
endif()
if(CURL_FOUND AND CRAWL_GUMBO_FOUND)
    foreach(_crawl crawl1 crawl2 crawl3)
        gocsp_add_example(NAME ${_crawl} SOURCES ${_crawl}.cpp LIBS CURL::libcurl PkgConfig::CRAWL_GUMBO)
        target_include_directories(${_crawl} PRIVATE ${CMAKE_CURRENT_SOURCE_DIR})
    endforeach()
else()
    message(WARNING "gocsp: libcurl or gumbo not found: the crawl examples (crawl1, crawl2, crawl3) are not built")
endif()
# end crawl

# crawl4, fetchfirst
# Exercises 8.10 and 8.11: crawl2 cancelled from stdin, and fetch of several URLs that keeps the
# first answer; both cancel their requests in flight through a context (crawl/cancelable.hpp).
# Same libraries as the crawlers.
if(CURL_FOUND AND CRAWL_GUMBO_FOUND)
    foreach(_cancelable crawl4 fetchfirst)
        gocsp_add_example(NAME ${_cancelable} SOURCES ${_cancelable}.cpp LIBS CURL::libcurl PkgConfig::CRAWL_GUMBO)
        target_include_directories(${_cancelable} PRIVATE ${CMAKE_CURRENT_SOURCE_DIR})
    endforeach()
else()
    message(WARNING "gocsp: libcurl or gumbo not found: crawl4 and fetchfirst are not built")
endif()
# end crawl4, fetchfirst

# mirror
# Exercise 8.7: a concurrent mirror of a web site, its links rewritten to the local files
# (mirror/local_path.hpp, mirror/rewrite.hpp). Same libraries as the crawlers.
if(CURL_FOUND AND CRAWL_GUMBO_FOUND)
    gocsp_add_example(NAME mirror SOURCES mirror.cpp LIBS CURL::libcurl PkgConfig::CRAWL_GUMBO)
    target_include_directories(mirror PRIVATE ${CMAKE_CURRENT_SOURCE_DIR})
else()
    message(WARNING "gocsp: libcurl or gumbo not found: the mirror example is not built")
endif()
# end mirror

# thumbnail
# gopl.io/ch8/thumbnail: thumbnails made in parallel (six versions of the loop). Decodes with
# libjpeg(-turbo), libpng and giflib, encodes with libjpeg. Skipped, with a warning, when one is
# missing (Debian: libjpeg-dev libpng-dev libgif-dev).
find_package(JPEG QUIET)
find_package(PNG QUIET)
find_package(GIF QUIET)
if(JPEG_FOUND AND PNG_FOUND AND GIF_FOUND)
    gocsp_add_example(NAME thumbnail SOURCES thumbnail.cpp LIBS JPEG::JPEG PNG::PNG GIF::GIF)
else()
    message(WARNING "gocsp: libjpeg, libpng or giflib not found: the thumbnail example is not built")
endif()
# end thumbnail

# mandelbrot
# Exercise 8.5: the Mandelbrot fractal of gopl.io/ch3/mandelbrot computed by parallel goroutines,
# written as a PNG with libpng. Skipped, with a warning, when libpng is missing (Debian:
# libpng-dev).
find_package(PNG QUIET)
if(PNG_FOUND)
    gocsp_add_example(NAME mandelbrot SOURCES mandelbrot.cpp LIBS PNG::PNG)
else()
    message(WARNING "gocsp: libpng not found: the mandelbrot example is not built")
endif()
# end mandelbrot
