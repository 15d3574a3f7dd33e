# Tests of du1 to du5 (examples/du.cmake) on generated trees (one 3,000 directories deep, one
# directory of 200,000 files) and on /usr, each run with one and with two worker threads.
gocsp_add_example_test(NAME du_test SOURCES examples/du_test.cpp WORKERS 1 2 TIMEOUT 600 LABELS examples)
