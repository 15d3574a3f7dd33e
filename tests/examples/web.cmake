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
