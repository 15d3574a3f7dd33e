# Tests of the chapter-8 terminal and network examples (examples/net.cmake), each case run with
# one and with two worker threads.
gocsp_add_example_test(NAME examples_net SOURCES examples/net_test.cpp WORKERS 1 2 TIMEOUT 180 LABELS examples)
