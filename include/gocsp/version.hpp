// gocsp/version.hpp - the library's version.
#pragma once

#define GOCSP_VERSION_MAJOR 0
#define GOCSP_VERSION_MINOR 1
#define GOCSP_VERSION_PATCH 0
#define GOCSP_VERSION_STRING "0.1.0"
