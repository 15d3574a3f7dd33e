# The test executables (included by tests/CMakeLists.txt).
gocsp_add_test(NAME runtime SOURCES runtime_test.cpp WORKERS 1 2 8 TIMEOUT 300 LABELS runtime)
