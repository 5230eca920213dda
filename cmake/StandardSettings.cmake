# Interface targets that carry the language level, warnings and sanitizers, so each target
# opts in explicitly instead of through global flags.
add_library(quicktools_standard_settings INTERFACE)
target_compile_features(quicktools_standard_settings INTERFACE cxx_std_17)
set(CMAKE_CXX_EXTENSIONS OFF)
if(NOT CMAKE_BUILD_TYPE AND NOT CMAKE_CONFIGURATION_TYPES)
  set(CMAKE_BUILD_TYPE RelWithDebInfo CACHE STRING "Build type" FORCE)
endif()

if(QUICKTOOLS_SANITIZE)
  target_compile_options(quicktools_standard_settings INTERFACE
    -fsanitize=address,undefined -fno-omit-frame-pointer -fno-sanitize-recover=undefined)
  target_link_options(quicktools_standard_settings INTERFACE -fsanitize=address,undefined)
  # GCC 12 reports false "maybe-uninitialized" warnings inside std::function/std::regex under ASan.
  if(CMAKE_CXX_COMPILER_ID STREQUAL "GNU")
    target_compile_options(quicktools_standard_settings INTERFACE -Wno-maybe-uninitialized)
  endif()
endif()

if(QUICKTOOLS_FUZZ)
  if(NOT CMAKE_CXX_COMPILER_ID MATCHES "Clang")
    message(FATAL_ERROR "QUICKTOOLS_FUZZ=ON needs clang (libFuzzer): CXX=clang++ cmake ...")
  endif()
  # Coverage for libFuzzer in the core, and the sanitizers that turn bad memory use into a crash.
  target_compile_options(quicktools_standard_settings INTERFACE
    -fsanitize=fuzzer-no-link,address,undefined -fno-omit-frame-pointer -fno-sanitize-recover=undefined)
  target_link_options(quicktools_standard_settings INTERFACE -fsanitize=address,undefined)
  # GCC 12 reports false "maybe-uninitialized" warnings inside std::function/std::regex under ASan.
  if(CMAKE_CXX_COMPILER_ID STREQUAL "GNU")
    target_compile_options(quicktools_standard_settings INTERFACE -Wno-maybe-uninitialized)
  endif()
endif()

add_library(quicktools_standard_warnings INTERFACE)
target_compile_options(quicktools_standard_warnings INTERFACE
  -Wall -Wextra -Wpedantic -Wshadow -Wconversion -Wsign-conversion -Wnon-virtual-dtor
  $<$<BOOL:${QUICKTOOLS_WERROR}>:-Werror>)
