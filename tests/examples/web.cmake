# thumbnail
# The thumbnail example's test makes its images with the example's image libraries and calls its
# make_thumbnails functions directly: the same check as examples/web.cmake (the tests directory
# is configured first, so it cannot ask for the example's target).
find_package(JPEG QUIET)
find_package(PNG QUIET)
find_package(GIF QUIET)
if(JPEG_FOUND AND PNG_FOUND AND GIF_FOUND)
    gocsp_add_example_test(NAME thumbnail_test SOURCES examples/thumbnail_test.cpp
        WORKERS 1 2 TIMEOUT 300 LABELS examples)
    target_link_libraries(thumbnail_test PRIVATE JPEG::JPEG PNG::PNG GIF::GIF)
    target_include_directories(thumbnail_test PRIVATE ${gocsp_SOURCE_DIR}/examples)
endif()
# end thumbnail

# crawl
# The crawlers' tests serve a generated site from a gocsp HTTP server inside the test process
# (site_server.hpp). They need the crawl examples, which need libcurl and gumbo: the same check
# as examples/web.cmake (the tests directory is configured first, so it cannot ask for targets).
find_package(CURL QUIET)
find_package(PkgConfig QUIET)
if(PkgConfig_FOUND)
    pkg_check_modules(CRAWL_TEST_GUMBO QUIET gumbo)
endif()
if(CURL_FOUND AND CRAWL_TEST_GUMBO_FOUND)
    gocsp_add_example_test(NAME crawl_test SOURCES examples/crawl_test.cpp
        WORKERS 1 2 TIMEOUT 300 LABELS examples)
endif()
# end crawl

# mandelbrot
# The mandelbrot test decodes the example's PNG with libpng: the same check as examples/web.cmake.
find_package(PNG QUIET)
if(PNG_FOUND)
    # Each case sets the worker count of the programs it starts (GOCSP_MAXPROCS).
    gocsp_add_example_test(NAME mandelbrot_test SOURCES examples/mandelbrot_test.cpp TIMEOUT 300 LABELS examples)
    target_link_libraries(mandelbrot_test PRIVATE PNG::PNG)
endif()
# end mandelbrot

# crawl4, fetchfirst
# Their test serves never-answering pages from a gocsp HTTP server in the test process; the
# programs need libcurl and gumbo (the same check as for the crawlers above).
if(CURL_FOUND AND CRAWL_TEST_GUMBO_FOUND)
    gocsp_add_example_test(NAME cancelable_test SOURCES examples/cancelable_test.cpp
        WORKERS 1 2 TIMEOUT 300 LABELS examples)
endif()
# end crawl4, fetchfirst

# mirror
# The mirror test drives the example against sites served in the test process, and calls its
# URL mapping and HTML rewriting (examples/mirror/) directly: it links libcurl and gumbo too.
if(CURL_FOUND AND CRAWL_TEST_GUMBO_FOUND)
    pkg_check_modules(MIRROR_TEST_GUMBO QUIET IMPORTED_TARGET gumbo)
    gocsp_add_example_test(NAME mirror_test SOURCES examples/mirror_test.cpp
        WORKERS 1 2 TIMEOUT 300 LABELS examples)
    target_link_libraries(mirror_test PRIVATE CURL::libcurl PkgConfig::MIRROR_TEST_GUMBO)
    target_include_directories(mirror_test PRIVATE ${gocsp_SOURCE_DIR}/examples)
endif()
# end mirror
