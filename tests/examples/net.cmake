# Tests of the chapter-8 terminal and network examples, with the exercises clockwall (8.1),
# ftpd (8.2, driven by Python's ftplib and by curl) and reverb3 (8.8) (examples/net.cmake), each
# case run with one and with two worker threads.
gocsp_add_example_test(NAME examples_net SOURCES examples/net_test.cpp WORKERS 1 2 TIMEOUT 180 LABELS examples)
