# aotic for CMake projects: find_package(aotic) from an install tree made by tools/install.sh.
#
#   find_package(aotic REQUIRED)              # CMAKE_PREFIX_PATH=<prefix> or aotic_DIR=<prefix>/lib/cmake/aotic
#   aotic_add_model(mlp MODEL mlp.pt2)        # compiled at build time
#   target_link_libraries(app PRIVATE mlp)    # #include "mlp.h" -> class aotic_models::mlp
#
# Provides:
#   AOTIC_EXECUTABLE        <prefix>/bin/aotic
#   aotic::shim             libaotic_shim.so (the C shim over libtorch) with the aotic headers
#   aotic_add_model(NAME MODEL file.pt2 [WEIGHTS file.safetensors] [CLASS_NAME name] [OPTIONS ...])
#       Compiles MODEL with `aotic compile` when it (or aotic) changes and defines the target NAME:
#       the model.so (libNAME.so in the build tree, beside a copy of the shim) and its generated
#       header NAME.h, declaring class aotic_models::CLASS_NAME (default NAME) over the model's C
#       interface (aotic/model_api.h). OPTIONS are passed to aotic compile (e.g. --isa x86-64-v3).
cmake_minimum_required(VERSION 3.16)

get_filename_component(_aotic_prefix "${CMAKE_CURRENT_LIST_DIR}/../../.." ABSOLUTE)
set(AOTIC_EXECUTABLE "${_aotic_prefix}/bin/aotic")
set(AOTIC_INCLUDE_DIR "${_aotic_prefix}/include")
foreach(_aotic_file "${AOTIC_EXECUTABLE}" "${_aotic_prefix}/lib/libaotic_shim.so"
                    "${_aotic_prefix}/lib/libaotic_runtime.a" "${AOTIC_INCLUDE_DIR}/aotic/model_api.h")
  if(NOT EXISTS "${_aotic_file}")
    set(aotic_FOUND FALSE)
    set(aotic_NOT_FOUND_MESSAGE "aotic install tree at ${_aotic_prefix} lacks ${_aotic_file}")
    return()
  endif()
endforeach()

if(NOT TARGET aotic::shim)
  add_library(aotic::shim SHARED IMPORTED)
  set_target_properties(aotic::shim PROPERTIES
    IMPORTED_LOCATION "${_aotic_prefix}/lib/libaotic_shim.so"
    IMPORTED_SONAME "libaotic_shim.so"
    INTERFACE_INCLUDE_DIRECTORIES "${AOTIC_INCLUDE_DIR}"
    INTERFACE_COMPILE_FEATURES cxx_std_17)
endif()

function(aotic_add_model name)
  cmake_parse_arguments(PARSE_ARGV 1 _arg "" "MODEL;WEIGHTS;CLASS_NAME" "OPTIONS")
  if(NOT _arg_MODEL)
    message(FATAL_ERROR "aotic_add_model(${name}): MODEL file.pt2 is required")
  endif()
  if(_arg_UNPARSED_ARGUMENTS)
    message(FATAL_ERROR "aotic_add_model(${name}): unknown arguments: ${_arg_UNPARSED_ARGUMENTS}")
  endif()
  if(NOT _arg_CLASS_NAME)
    set(_arg_CLASS_NAME "${name}")
  endif()
  get_filename_component(_model "${_arg_MODEL}" ABSOLUTE)
  set(_dir "${CMAKE_CURRENT_BINARY_DIR}/aotic/${name}")
  set(_so "${_dir}/lib${name}.so")
  set(_header "${_dir}/${name}.h")
  set(_depends "${_model}" "${AOTIC_EXECUTABLE}")
  set(_weights)
  if(_arg_WEIGHTS)
    get_filename_component(_weights_file "${_arg_WEIGHTS}" ABSOLUTE)
    set(_weights --weights "${_weights_file}")
    list(APPEND _depends "${_weights_file}")
  endif()
  file(MAKE_DIRECTORY "${_dir}")
  add_custom_command(
    OUTPUT "${_so}" "${_header}"
    COMMAND "${AOTIC_EXECUTABLE}" compile "${_model}" -o "${_so}" --header "${_header}"
            --class-name "${_arg_CLASS_NAME}" ${_weights} ${_arg_OPTIONS} --quiet
    DEPENDS ${_depends}
    COMMENT "aotic: compiling ${_arg_MODEL} into lib${name}.so"
    VERBATIM)
  add_custom_target(${name}_aotic_compile DEPENDS "${_so}" "${_header}")
  add_library(${name} SHARED IMPORTED GLOBAL)
  set_target_properties(${name} PROPERTIES
    IMPORTED_LOCATION "${_so}"
    IMPORTED_NO_SONAME TRUE
    INTERFACE_INCLUDE_DIRECTORIES "${_dir}"
    INTERFACE_LINK_LIBRARIES aotic::shim)
  add_dependencies(${name} ${name}_aotic_compile)
endfunction()

set(aotic_FOUND TRUE)
