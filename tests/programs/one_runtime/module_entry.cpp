// The exported entry point of one test module (its name is GOCSP_TEST_ENTRY): calls the
// module's own copy of gocsp_test_module_start (module.cpp, hidden in the module).
const void* gocsp_test_module_start();

extern "C" __attribute__((visibility("default"))) const void* GOCSP_TEST_ENTRY() { return gocsp_test_module_start(); }
