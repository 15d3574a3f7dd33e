# Runs one documentation snippet and checks what it prints on stdout.
#   cmake -DPROGRAM=<exe> -DEXPECTED=<file> -DREGEX=<file> -P run_snippet.cmake
# The program must exit 0. If EXPECTED exists, stdout must equal it exactly; otherwise stdout
# must match the CMake regular expression in REGEX (its trailing newline is ignored).
cmake_minimum_required(VERSION 3.21)
execute_process(COMMAND "${PROGRAM}"
    OUTPUT_VARIABLE out
    ERROR_VARIABLE err
    RESULT_VARIABLE rc
    TIMEOUT 50)
message("--- stdout of ${PROGRAM}:\n${out}--- stderr:\n${err}--- exit: ${rc}")
if(NOT rc STREQUAL "0")
    message(FATAL_ERROR "the snippet exited with ${rc}, not 0")
endif()
if(EXISTS "${EXPECTED}")
    file(READ "${EXPECTED}" want)
    if(NOT out STREQUAL want)
        message(FATAL_ERROR "stdout differs from ${EXPECTED}, which holds:\n${want}")
    endif()
else()
    file(READ "${REGEX}" pattern)
    string(REGEX REPLACE "\n$" "" pattern "${pattern}")
    if(NOT out MATCHES "${pattern}")
        message(FATAL_ERROR "stdout does not match the regular expression in ${REGEX}:\n${pattern}")
    endif()
endif()
