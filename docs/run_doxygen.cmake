# Runs doxygen and fails if it printed any warning.
#   cmake -DDOXYGEN=<exe> -DDOXYFILE=<Doxyfile> -DWARN_LOG=<file> -P run_doxygen.cmake
cmake_minimum_required(VERSION 3.21)
file(REMOVE "${WARN_LOG}")
execute_process(COMMAND "${DOXYGEN}" "${DOXYFILE}"
    OUTPUT_QUIET
    ERROR_VARIABLE err
    RESULT_VARIABLE rc)
set(warnings "")
if(EXISTS "${WARN_LOG}")
    file(READ "${WARN_LOG}" warnings)
endif()
string(STRIP "${err}${warnings}" all)
if(NOT rc STREQUAL "0")
    message(FATAL_ERROR "doxygen exited with ${rc}:\n${all}")
endif()
if(NOT all STREQUAL "")
    message(FATAL_ERROR "doxygen warned:\n${all}")
endif()
message("doxygen: no warnings")
