// parked_memory.cpp built without assertions (NDEBUG defined, whatever the build type says).
#ifndef NDEBUG
#define NDEBUG
#endif
#define GOCSP_PARKED_MEMORY_NDEBUG 1
#include "parked_memory.cpp"
