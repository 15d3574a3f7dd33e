# One runtime per process (include/gocsp/detail/runtime_id.hpp): shared libraries and plugins
# that each start gocsp, for the child-program tests in tests/adversarial/one_runtime.cpp.
# Everything lands in GOCSP_TEST_PROGRAMS_DIR:
#   libgocsp_hidden_{a,b}.so     -fvisibility=hidden: each module has its own copy of the runtime
#   libgocsp_shared_{a,b}.so     the same, with gocsp's names given default visibility (the fix)
#   libgocsp_compiled_{a,b}.so   -fvisibility=hidden, no pragma, with the compiled runtime: each
#                                links the one shared runtime libgocsp_one_runtime_runtime.so
#                                (the other fix)
#   two_modules_{hidden,shared,compiled}   links a pair: hidden must die naming the second
#                                runtime, the others run one runtime
#   gocsp_plugin_{hidden,shared}.so, load_plugin    the same through dlopen(RTLD_LOCAL)
#   gocsp_plugin_compiled.so, load_plugin_compiled  the same, all with the shared runtime
#   exec_self                    execs itself (same pid): not a second runtime
# The modules of one kind share one compiled module.cpp (an object library); each adds only its
# small entry point (module_entry.cpp), so the tests cost three compilations of the runtime
# (hidden, shared, and the shared compiled runtime), not eight.
set(_one_runtime_dir "${CMAKE_CURRENT_SOURCE_DIR}/programs/one_runtime")
set(_one_runtime_hidden_visibility CXX_VISIBILITY_PRESET hidden VISIBILITY_INLINES_HIDDEN ON)
# The shared compiled runtime of the `compiled` kind.
gocsp_add_runtime_library(gocsp_one_runtime_runtime SHARED)
set_target_properties(gocsp_one_runtime_runtime PROPERTIES LIBRARY_OUTPUT_DIRECTORY "${GOCSP_TEST_PROGRAMS_DIR}$<0:>")
# gocsp, as each kind uses it: header-only, or the shared compiled runtime.
set(_one_runtime_gocsp_hidden gocsp::gocsp)
set(_one_runtime_gocsp_shared gocsp::gocsp)
set(_one_runtime_gocsp_compiled gocsp_one_runtime_runtime)
function(_gocsp_one_runtime_module target type body entry gocsp)
    add_library(${target} ${type} "${_one_runtime_dir}/module_entry.cpp" $<TARGET_OBJECTS:${body}>)
    target_link_libraries(${target} PRIVATE ${gocsp})
    target_compile_definitions(${target} PRIVATE GOCSP_TEST_ENTRY=${entry})
    set_target_properties(${target} PROPERTIES ${_one_runtime_hidden_visibility}
        LIBRARY_OUTPUT_DIRECTORY "${GOCSP_TEST_PROGRAMS_DIR}$<0:>")
    add_dependencies(gocsp_test_programs ${target})
endfunction()
function(_gocsp_one_runtime_program name gocsp)
    add_executable(gocsp_program_${name} ${ARGN})
    target_link_libraries(gocsp_program_${name} PRIVATE ${gocsp} ${CMAKE_DL_LIBS})
    set_target_properties(gocsp_program_${name} PROPERTIES
        OUTPUT_NAME "${name}"
        RUNTIME_OUTPUT_DIRECTORY "${GOCSP_TEST_PROGRAMS_DIR}$<0:>")
    add_dependencies(gocsp_test_programs gocsp_program_${name})
endfunction()
# two_modules.cpp, compiled header-only (for hidden and shared) and with the compiled runtime.
foreach(_mode IN ITEMS header_only compiled)
    add_library(gocsp_one_runtime_two_modules_${_mode} OBJECT "${_one_runtime_dir}/two_modules.cpp")
endforeach()
target_link_libraries(gocsp_one_runtime_two_modules_header_only PRIVATE gocsp::gocsp)
target_link_libraries(gocsp_one_runtime_two_modules_compiled PRIVATE gocsp_one_runtime_runtime)
foreach(_kind IN ITEMS hidden shared compiled)
    set(_gocsp ${_one_runtime_gocsp_${_kind}})
    set(_body gocsp_one_runtime_${_kind}_body)
    add_library(${_body} OBJECT "${_one_runtime_dir}/module.cpp")
    target_link_libraries(${_body} PRIVATE ${_gocsp})
    set_target_properties(${_body} PROPERTIES ${_one_runtime_hidden_visibility} POSITION_INDEPENDENT_CODE ON)
    if(_kind STREQUAL "shared")
        target_compile_definitions(${_body} PRIVATE GOCSP_TEST_DEFAULT_VISIBILITY)
    endif()
    _gocsp_one_runtime_module(gocsp_${_kind}_a SHARED ${_body} gocsp_test_module_a ${_gocsp})
    _gocsp_one_runtime_module(gocsp_${_kind}_b SHARED ${_body} gocsp_test_module_b ${_gocsp})
    _gocsp_one_runtime_module(gocsp_plugin_${_kind} MODULE ${_body} gocsp_test_plugin ${_gocsp})
    set_target_properties(gocsp_plugin_${_kind} PROPERTIES PREFIX "")
    set(_two_modules_objects gocsp_one_runtime_two_modules_header_only)
    if(_kind STREQUAL "compiled")
        set(_two_modules_objects gocsp_one_runtime_two_modules_compiled)
    endif()
    _gocsp_one_runtime_program(two_modules_${_kind} ${_gocsp} $<TARGET_OBJECTS:${_two_modules_objects}>)
    target_link_libraries(gocsp_program_two_modules_${_kind} PRIVATE gocsp_${_kind}_a gocsp_${_kind}_b)
endforeach()
_gocsp_one_runtime_program(load_plugin gocsp::gocsp "${_one_runtime_dir}/load_plugin.cpp")
# An executable's own symbols reach a plugin only if it exports them (-rdynamic).
set_target_properties(gocsp_program_load_plugin PROPERTIES ENABLE_EXPORTS ON)
# With the shared compiled runtime the executable need not export anything: the plugin binds to
# the runtime library, loaded before it.
_gocsp_one_runtime_program(load_plugin_compiled gocsp_one_runtime_runtime "${_one_runtime_dir}/load_plugin.cpp")
_gocsp_one_runtime_program(exec_self gocsp::gocsp "${_one_runtime_dir}/exec_self.cpp")
