# Tests of the pipeline programs, mirrored, evens and cake (examples/pipelines.cmake), each run
# with one and with two worker threads.
gocsp_add_example_test(NAME pipelines_test SOURCES examples/pipelines_test.cpp WORKERS 1 2 TIMEOUT 300 LABELS examples)
