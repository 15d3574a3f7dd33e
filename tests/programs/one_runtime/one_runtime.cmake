# One runtime per process (include/gocsp/detail/runtime_id.hpp): shared libraries and plugins
# that each start gocsp, for the child-program tests in tests/adversarial/one_runtime.cpp.
# Everything lands in GOCSP_TEST_PROGRAMS_DIR:
#   libgocsp_hidden_{a,b}.so     -fvisibility=hidden: each module has its own copy of the runtime
#   libgocsp_shared_{a,b}.so     the same, with gocsp's names given default visibility (the fix)
#   two_modules_hidden           links the hidden pair: must die naming the second runtime
#   two_modules_shared           links the fixed pair: one runtime
#   gocsp_plugin_{hidden,shared}.so, load_plugin    the same through dlopen(RTLD_LOCAL)
#   exec_self                    execs itself (same pid): not a second runtime
# The modules of one kind share one compiled module.cpp (an object library); each adds only its
# small entry point (module_entry.cpp), so the tests cost two compilations of the runtime, not six.
set(_one_runtime_dir "${CMAKE_CURRENT_SOURCE_DIR}/programs/one_runtime")
set(_one_runtime_hidden_visibility CXX_VISIBILITY_PRESET hidden VISIBILITY_INLINES_HIDDEN ON)
function(_gocsp_one_runtime_module target type body entry)
    add_library(${target} ${type} "${_one_runtime_dir}/module_entry.cpp" $<TARGET_OBJECTS:${body}>)
    target_link_libraries(${target} PRIVATE gocsp::gocsp)
    target_compile_definitions(${target} PRIVATE GOCSP_TEST_ENTRY=${entry})
    set_target_properties(${target} PROPERTIES ${_one_runtime_hidden_visibility}
        LIBRARY_OUTPUT_DIRECTORY "${GOCSP_TEST_PROGRAMS_DIR}$<0:>")
    add_dependencies(gocsp_test_programs ${target})
endfunction()
function(_gocsp_one_runtime_program name)
    add_executable(gocsp_program_${name} ${ARGN})
    target_link_libraries(gocsp_program_${name} PRIVATE gocsp::gocsp ${CMAKE_DL_LIBS})
    set_target_properties(gocsp_program_${name} PROPERTIES
        OUTPUT_NAME "${name}"
        RUNTIME_OUTPUT_DIRECTORY "${GOCSP_TEST_PROGRAMS_DIR}$<0:>")
    add_dependencies(gocsp_test_programs gocsp_program_${name})
endfunction()
add_library(gocsp_one_runtime_two_modules OBJECT "${_one_runtime_dir}/two_modules.cpp")
target_link_libraries(gocsp_one_runtime_two_modules PRIVATE gocsp::gocsp)
foreach(_kind IN ITEMS hidden shared)
    set(_body gocsp_one_runtime_${_kind}_body)
    add_library(${_body} OBJECT "${_one_runtime_dir}/module.cpp")
    target_link_libraries(${_body} PRIVATE gocsp::gocsp)
    set_target_properties(${_body} PROPERTIES ${_one_runtime_hidden_visibility} POSITION_INDEPENDENT_CODE ON)
    if(_kind STREQUAL "shared")
        target_compile_definitions(${_body} PRIVATE GOCSP_TEST_DEFAULT_VISIBILITY)
    endif()
    _gocsp_one_runtime_module(gocsp_${_kind}_a SHARED ${_body} gocsp_test_module_a)
    _gocsp_one_runtime_module(gocsp_${_kind}_b SHARED ${_body} gocsp_test_module_b)
    _gocsp_one_runtime_module(gocsp_plugin_${_kind} MODULE ${_body} gocsp_test_plugin)
    set_target_properties(gocsp_plugin_${_kind} PROPERTIES PREFIX "")
    _gocsp_one_runtime_program(two_modules_${_kind} $<TARGET_OBJECTS:gocsp_one_runtime_two_modules>)
    target_link_libraries(gocsp_program_two_modules_${_kind} PRIVATE gocsp_${_kind}_a gocsp_${_kind}_b)
endforeach()
_gocsp_one_runtime_program(load_plugin "${_one_runtime_dir}/load_plugin.cpp")
# An executable's own symbols reach a plugin only if it exports them (-rdynamic).
set_target_properties(gocsp_program_load_plugin PROPERTIES ENABLE_EXPORTS ON)
_gocsp_one_runtime_program(exec_self "${_one_runtime_dir}/exec_self.cpp")
