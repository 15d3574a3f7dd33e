# Runs doxygen and fails if it printed any warning, or if a public header has no \file comment.
#   cmake -DDOXYGEN=<exe> -DDOXYFILE=<Doxyfile> -DWARN_LOG=<file> -DHEADERS=<dir>
#         [-DEXTRA_INPUT=<file> -DEXPECT=<text>...] -P run_doxygen.cmake
#
# Every name of gocsp's public headers (HEADERS/*.hpp, whatever headers there are when it runs)
# must be documented: Doxyfile.in turns on WARN_IF_UNDOCUMENTED and docs/namespaces.dox documents
# the namespaces, so an undocumented member, class, macro or parameter is a warning here. A
# header's overview must be a `/// \file` comment, so that it reaches the reference.
#
# With EXTRA_INPUT, doxygen also reads that file (into a scratch output directory), and the
# check must fail with a message containing every EXPECT text: the test of the test
# (docs/doxygen_catches_undocumented), which feeds it a header with an undocumented name.
cmake_minimum_required(VERSION 3.21)
set(doxyfile "${DOXYFILE}")
set(warn_log "${WARN_LOG}")
file(GLOB headers "${HEADERS}/*.hpp")
if(EXTRA_INPUT)
    get_filename_component(scratch "${WARN_LOG}" DIRECTORY)
    set(scratch "${scratch}/doxygen-check")
    file(REMOVE_RECURSE "${scratch}")
    file(MAKE_DIRECTORY "${scratch}")
    set(warn_log "${scratch}/warnings.log")
    file(READ "${DOXYFILE}" config)
    string(APPEND config "\nINPUT += \"${EXTRA_INPUT}\"\nOUTPUT_DIRECTORY = \"${scratch}\"\n"
        "WARN_LOGFILE = \"${warn_log}\"\n")
    set(doxyfile "${scratch}/Doxyfile")
    file(WRITE "${doxyfile}" "${config}")
    list(APPEND headers "${EXTRA_INPUT}")
endif()

file(REMOVE "${warn_log}")
execute_process(COMMAND "${DOXYGEN}" "${doxyfile}"
    OUTPUT_QUIET
    ERROR_VARIABLE err
    RESULT_VARIABLE rc)
set(warnings "")
if(EXISTS "${warn_log}")
    file(READ "${warn_log}" warnings)
endif()
set(problems "${err}${warnings}")
foreach(header IN LISTS headers)
    file(STRINGS "${header}" file_comment REGEX "^/// [\\\\@]file" LIMIT_COUNT 1)
    if(NOT file_comment)
        string(APPEND problems "${header}: no `/// \\file` comment: the header's overview (the "
            "comment at its top) must be a Doxygen comment starting with /// \\file\n")
    endif()
endforeach()
string(STRIP "${problems}" problems)
if(NOT rc STREQUAL "0")
    set(problems "doxygen exited with ${rc}:\n${problems}")
elseif(NOT problems STREQUAL "")
    set(problems "the API reference is incomplete:\n${problems}")
endif()

if(EXTRA_INPUT)
    # The test of the test: the check must have failed, naming each EXPECT.
    if(problems STREQUAL "")
        message(FATAL_ERROR "the reference check passed with ${EXTRA_INPUT}, which it must reject")
    endif()
    foreach(text IN LISTS EXPECT)
        string(FIND "${problems}" "${text}" at)
        if(at EQUAL -1)
            message(FATAL_ERROR "the reference check did not report '${text}':\n${problems}")
        endif()
    endforeach()
    message("doxygen check rejects ${EXTRA_INPUT} as it should:\n${problems}")
    return()
endif()
if(NOT problems STREQUAL "")
    message(FATAL_ERROR "${problems}")
endif()
message("doxygen: no warnings; every public header has a \\file comment")
