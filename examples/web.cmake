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
