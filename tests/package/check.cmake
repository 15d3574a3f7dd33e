# Package test, run by CTest as `cmake -D ... -P check.cmake`.
#
# Builds and runs the consumer project in CONSUMER_DIR against gocsp:
#   MODE=find_package      installs the gocsp build tree GOCSP_BINARY_DIR into WORK_DIR/prefix
#                          and lets the consumer find it with find_package(gocsp);
#   MODE=add_subdirectory  lets the consumer add GOCSP_SOURCE_DIR with add_subdirectory(), and
#                          checks that installing the consumer installs nothing of gocsp's.
# Inputs: MODE, GOCSP_SOURCE_DIR, GOCSP_BINARY_DIR, CONFIG, WORK_DIR, CONSUMER_DIR, GENERATOR,
# MAKE_PROGRAM, CXX_COMPILER (the ones of the gocsp build, so the consumer uses the same tools).
cmake_minimum_required(VERSION 3.21)

foreach(var MODE GOCSP_SOURCE_DIR GOCSP_BINARY_DIR WORK_DIR CONSUMER_DIR GENERATOR CXX_COMPILER)
    if(NOT ${var})
        message(FATAL_ERROR "check.cmake: ${var} is not set")
    endif()
endforeach()
if(NOT CONFIG)
    set(CONFIG Release)
endif()

# run(<step> <command>...): runs the command, stops the test with its output if it fails.
function(run step)
    execute_process(COMMAND ${ARGN}
        RESULT_VARIABLE rc
        OUTPUT_VARIABLE out
        ERROR_VARIABLE out
        TIMEOUT 240)
    if(NOT rc STREQUAL "0")
        message(FATAL_ERROR "package test (${MODE}): ${step} failed (${rc}):\n${out}")
    endif()
    message(STATUS "package test (${MODE}): ${step}: ok")
endfunction()

file(REMOVE_RECURSE "${WORK_DIR}")
# The consumer sets no build type, as many projects do not (no optimisation, no NDEBUG): gocsp's
# package must work that way too, and the consumer's compilations of the runtime cost half what
# they do at -O3. (A multi-config generator still builds CONFIG.)
set(consumer_args
    -D CMAKE_BUILD_TYPE=
    -D CMAKE_CXX_COMPILER=${CXX_COMPILER}
    -D CMAKE_FIND_PACKAGE_NO_PACKAGE_REGISTRY=ON)
if(MAKE_PROGRAM)
    list(APPEND consumer_args -D CMAKE_MAKE_PROGRAM=${MAKE_PROGRAM})
endif()

if(MODE STREQUAL "find_package")
    set(prefix "${WORK_DIR}/prefix")
    run("install" ${CMAKE_COMMAND} --install ${GOCSP_BINARY_DIR} --prefix ${prefix} --config ${CONFIG})
    list(APPEND consumer_args -D CMAKE_PREFIX_PATH=${prefix} -D GOCSP_EXPECTED_PREFIX=${prefix})
elseif(MODE STREQUAL "add_subdirectory")
    list(APPEND consumer_args -D GOCSP_SOURCE_DIR=${GOCSP_SOURCE_DIR})
else()
    message(FATAL_ERROR "check.cmake: unknown MODE '${MODE}'")
endif()

run("configure consumer" ${CMAKE_COMMAND} -S ${CONSUMER_DIR} -B ${WORK_DIR}/build -G ${GENERATOR} ${consumer_args})
run("build consumer" ${CMAKE_COMMAND} --build ${WORK_DIR}/build --config ${CONFIG})

set(programs consumer consumer_compiled)
if(MODE STREQUAL "find_package")
    list(APPEND programs consumer_shared)  # see consumer/CMakeLists.txt
endif()
# Single-config generators put the executable at the top of the build tree, multi-config ones
# in a <config>/ subdirectory.
foreach(program IN LISTS programs)
    set(exe "${WORK_DIR}/build/${program}")
    if(NOT EXISTS "${exe}")
        set(exe "${WORK_DIR}/build/${CONFIG}/${program}")
    endif()
    run("run ${program}" ${exe})
endforeach()

# A project that adds gocsp with add_subdirectory() installs nothing of gocsp's into its own
# prefix (GOCSP_INSTALL is off for a subproject).
if(MODE STREQUAL "add_subdirectory")
    set(consumer_prefix "${WORK_DIR}/consumer-prefix")
    run("install consumer" ${CMAKE_COMMAND} --install ${WORK_DIR}/build --prefix ${consumer_prefix} --config ${CONFIG})
    file(GLOB_RECURSE installed RELATIVE "${consumer_prefix}" "${consumer_prefix}/*")
    if(installed)
        message(FATAL_ERROR "package test (${MODE}): the consumer's install put gocsp files in its prefix: ${installed}")
    endif()
    message(STATUS "package test (${MODE}): nothing of gocsp's installed with the consumer: ok")
endif()
