# One runtime per process (include/gocsp/detail/runtime_id.hpp): shared libraries and plugins
# that each start gocsp, for the child-program tests in tests/adversarial/one_runtime.cpp.
# Everything lands in GOCSP_TEST_PROGRAMS_DIR:
#   libgocsp_hidden_{a,b}.so     -fvisibility=hidden: each module has its own copy of the runtime
#   libgocsp_shared_{a,b}.so     the same, with gocsp's names given default visibility (the fix)
#   two_modules_hidden           links the hidden pair: must die naming the second runtime
#   two_modules_shared           links the fixed pair: one runtime
#   gocsp_plugin_{hidden,shared}.so, load_plugin    the same through dlopen(RTLD_LOCAL)
#   exec_self                    execs itself (same pid): not a second runtime
set(_one_runtime_dir "${CMAKE_CURRENT_SOURCE_DIR}/programs/one_runtime")
function(_gocsp_one_runtime_module target type entry visibility)
    add_library(${target} ${type} "${_one_runtime_dir}/module.cpp")
    target_link_libraries(${target} PRIVATE gocsp::gocsp)
    target_compile_definitions(${target} PRIVATE GOCSP_TEST_ENTRY=${entry})
    if(visibility STREQUAL "default")
        target_compile_definitions(${target} PRIVATE GOCSP_TEST_DEFAULT_VISIBILITY)
    endif()
    set_target_properties(${target} PROPERTIES
        CXX_VISIBILITY_PRESET hidden
        VISIBILITY_INLINES_HIDDEN ON
        LIBRARY_OUTPUT_DIRECTORY "${GOCSP_TEST_PROGRAMS_DIR}$<0:>")
    add_dependencies(gocsp_test_programs ${target})
endfunction()
function(_gocsp_one_runtime_program name source)
    add_executable(gocsp_program_${name} "${_one_runtime_dir}/${source}")
    target_link_libraries(gocsp_program_${name} PRIVATE gocsp::gocsp ${ARGN} ${CMAKE_DL_LIBS})
    set_target_properties(gocsp_program_${name} PROPERTIES
        OUTPUT_NAME "${name}"
        RUNTIME_OUTPUT_DIRECTORY "${GOCSP_TEST_PROGRAMS_DIR}$<0:>")
    add_dependencies(gocsp_test_programs gocsp_program_${name})
endfunction()
foreach(_visibility IN ITEMS hidden default)
    set(_kind ${_visibility})
    if(_visibility STREQUAL "default")
        set(_kind shared)
    endif()
    _gocsp_one_runtime_module(gocsp_${_kind}_a SHARED gocsp_test_module_a ${_visibility})
    _gocsp_one_runtime_module(gocsp_${_kind}_b SHARED gocsp_test_module_b ${_visibility})
    _gocsp_one_runtime_program(two_modules_${_kind} two_modules.cpp gocsp_${_kind}_a gocsp_${_kind}_b)
    _gocsp_one_runtime_module(gocsp_plugin_${_kind} MODULE gocsp_test_plugin ${_visibility})
    set_target_properties(gocsp_plugin_${_kind} PROPERTIES PREFIX "")
endforeach()
_gocsp_one_runtime_program(load_plugin load_plugin.cpp)
# An executable's own symbols reach a plugin only if it exports them (-rdynamic).
set_target_properties(gocsp_program_load_plugin PROPERTIES ENABLE_EXPORTS ON)
_gocsp_one_runtime_program(exec_self exec_self.cpp)
