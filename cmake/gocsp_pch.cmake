# Precompiled headers for gocsp's own tests, helper programs and examples (never for a project
# that only links gocsp::gocsp). Each kind of target reuses the precompiled header of one owner
# target (REUSE_FROM), compiled once per build tree, instead of parsing the runtime's headers
# again in every translation unit.
#
#   gocsp_pch_owner(<name> HEADERS <header>... [LIBS <target>...] [DEFINITIONS <def>...])
#       an OBJECT library that precompiles HEADERS with gocsp::gocsp, LIBS and DEFINITIONS: the
#       flags of the targets that will reuse it (g++ ignores a precompiled header whose flags or
#       macros differ, and parses the headers instead: slower, never wrong)
#   gocsp_pch_reuse(<target> <owner>)
#       makes <target> reuse <owner>'s precompiled header. The header comes before the first line
#       of every source, so a source that defines or undefines a macro before its first #include
#       (say NDEBUG) keeps its own parsing: it is marked SKIP_PRECOMPILE_HEADERS (checked when
#       CMake configures).
#
# GOCSP_PRECOMPILE_HEADERS=OFF turns all of it off (both functions then do nothing).
option(GOCSP_PRECOMPILE_HEADERS "Precompiled headers for gocsp's own tests, programs and examples" ON)

function(gocsp_pch_owner name)
    cmake_parse_arguments(PARSE_ARGV 1 arg "" "" "HEADERS;LIBS;DEFINITIONS")
    if(NOT GOCSP_PRECOMPILE_HEADERS)
        return()
    endif()
    set(source "${CMAKE_CURRENT_BINARY_DIR}/${name}.cpp")
    file(CONFIGURE OUTPUT "${source}"
        CONTENT "// The owner of a precompiled header (cmake/gocsp_pch.cmake): no code of its own.\n")
    add_library(${name} OBJECT "${source}")
    target_link_libraries(${name} PRIVATE gocsp::gocsp ${arg_LIBS})
    target_compile_definitions(${name} PRIVATE ${arg_DEFINITIONS})
    target_precompile_headers(${name} PRIVATE ${arg_HEADERS})
endfunction()

function(gocsp_pch_reuse target owner)
    if(NOT GOCSP_PRECOMPILE_HEADERS)
        return()
    endif()
    get_target_property(sources ${target} SOURCES)
    get_target_property(source_dir ${target} SOURCE_DIR)
    foreach(source IN LISTS sources)
        get_filename_component(path "${source}" ABSOLUTE BASE_DIR "${source_dir}")
        file(READ "${path}" text)
        string(FIND "${text}" "#include" first_include)
        if(first_include GREATER 0)
            string(SUBSTRING "${text}" 0 ${first_include} preamble)
            if(preamble MATCHES "(^|\n)[ \t]*#[ \t]*(define|undef)[ \t]")
                set_source_files_properties("${source}" PROPERTIES SKIP_PRECOMPILE_HEADERS ON)
            endif()
        endif()
    endforeach()
    target_precompile_headers(${target} REUSE_FROM ${owner})
endfunction()
