# All the must-not-compile blocks of one source in one compilation, run by CTest as
# `cmake -DSOURCE=<file> -DDEFINES=<d1>,<d2>,... [-DPATTERN=<regex>] -P compile_fail.cmake --
# <compiler command>`
# (gocsp_add_compile_fail_test in CMakeLists.txt).
#
# The source compiles with every -D<define> of DEFINES at once (the command must lift the
# compiler's limit on errors), and the compilation must fail.
# Each define guards one or more `#ifdef <define>` ... `#endif` blocks; the compiler must report
# an error, or the place an erroneous instantiation was required from, on a line inside one of
# that define's blocks. A define whose blocks the compiler had nothing to say about fails the test
# by name: its line compiles. Blocks must not depend on each other (a name declared in one block
# stays in a scope of its own), so one block's error never stands in for another's. PATTERN, if
# given, is a regular expression the compiler's output must match.
cmake_minimum_required(VERSION 3.21)

set(command "")
set(after_separator FALSE)
math(EXPR last "${CMAKE_ARGC} - 1")
foreach(i RANGE ${last})
    if(after_separator)
        list(APPEND command "${CMAKE_ARGV${i}}")
    elseif(CMAKE_ARGV${i} STREQUAL "--")
        set(after_separator TRUE)
    endif()
endforeach()
string(REPLACE "," ";" DEFINES "${DEFINES}")  # given comma-separated
if(NOT command OR NOT SOURCE OR NOT DEFINES)
    message(FATAL_ERROR "compile_fail.cmake: needs SOURCE, DEFINES and a compiler command after --")
endif()

# Each define's blocks, as "first;last" line pairs (the #ifdef's line and its #endif's).
file(STRINGS "${SOURCE}" lines)
set(number 0)
set(open "")
foreach(line IN LISTS lines)
    math(EXPR number "${number} + 1")
    if(line MATCHES "^#ifdef ([A-Z0-9_]+)")
        if(open)
            message(FATAL_ERROR "compile_fail.cmake: ${SOURCE}:${number}: nested #ifdef in ${open}'s block")
        endif()
        set(open "${CMAKE_MATCH_1}")
        set(first ${number})
    elseif(line MATCHES "^#endif" AND open)
        list(APPEND blocks_${open} "${first}-${number}")
        set(open "")
    endif()
endforeach()

set(flags "")
foreach(define IN LISTS DEFINES)
    if(NOT blocks_${define})
        message(FATAL_ERROR "compile_fail.cmake: ${SOURCE} has no #ifdef ${define} block")
    endif()
    list(APPEND flags "-D${define}")
endforeach()

execute_process(COMMAND ${command} ${flags} "${SOURCE}"
    RESULT_VARIABLE rc OUTPUT_VARIABLE out ERROR_VARIABLE out TIMEOUT 240)
if(rc STREQUAL "0")
    message(FATAL_ERROR "compile_fail.cmake: ${SOURCE} compiled with ${flags}")
endif()
if(PATTERN AND NOT out MATCHES "${PATTERN}")
    message(FATAL_ERROR "compile_fail.cmake: the compiler's output does not match '${PATTERN}':\n${out}")
endif()

# The source lines the compiler points at: "<source>:<line>:<column>: error: ..." and
# "<source>:<line>:<column>:   required from here".
# clang: "<source>:<line>:<column>: note: in instantiation of ... requested here".
string(REPLACE ";" "," out_commas "${out}")
string(REPLACE "\n" ";" out_lines "${out_commas}")
string(LENGTH "${SOURCE}:" prefix_length)
set(reported "")
foreach(line IN LISTS out_lines)
    string(FIND "${line}" "${SOURCE}:" at)
    if(NOT at EQUAL 0)
        continue()
    endif()
    string(SUBSTRING "${line}" ${prefix_length} -1 rest)
    if(rest MATCHES "^([0-9]+):[0-9]+: (error:|  required from|note: .*requested here)")
        list(APPEND reported ${CMAKE_MATCH_1})
    endif()
endforeach()

set(compiled "")
foreach(define IN LISTS DEFINES)
    set(found FALSE)
    foreach(block IN LISTS blocks_${define})
        string(REPLACE "-" ";" range "${block}")
        list(GET range 0 first)
        list(GET range 1 last)
        foreach(at IN LISTS reported)
            if(at GREATER first AND at LESS last)
                set(found TRUE)
            endif()
        endforeach()
    endforeach()
    if(found)
        message(STATUS "${define}: refused")
    else()
        list(APPEND compiled ${define})
    endif()
endforeach()
if(compiled)
    message(FATAL_ERROR "compile_fail.cmake: no error in the blocks of ${compiled} (they compile):\n${out}")
endif()
