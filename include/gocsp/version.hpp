/// \file
/// gocsp/version.hpp - the library's version.
#pragma once

/// GOCSP_VERSION_MAJOR: the major version (incompatible changes).
#define GOCSP_VERSION_MAJOR 0
/// GOCSP_VERSION_MINOR: the minor version (additions).
#define GOCSP_VERSION_MINOR 1
/// GOCSP_VERSION_PATCH: the patch version (fixes).
#define GOCSP_VERSION_PATCH 0
/// GOCSP_VERSION_STRING: "MAJOR.MINOR.PATCH".
#define GOCSP_VERSION_STRING "0.1.0"
