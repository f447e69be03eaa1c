# One INTERFACE target carries the language standard, warnings and Qt defines; every CariLab
# target links it, so a flag changes in exactly one place.
add_library(carilab_options INTERFACE)
add_library(carilab::options ALIAS carilab_options)

target_compile_features(carilab_options INTERFACE cxx_std_17)
set(CMAKE_CXX_STANDARD 17)
set(CMAKE_CXX_STANDARD_REQUIRED ON)
set(CMAKE_CXX_EXTENSIONS OFF)

target_compile_options(carilab_options INTERFACE
  $<$<CXX_COMPILER_ID:GNU,Clang>:-Wall -Wextra -Wshadow -Wnon-virtual-dtor>)

# C-style casts hide what a conversion does (a narrowing, a const removal, a reinterpretation).
# On every CariLab target (core layers, widgets, app, tests) but not the fuzzers, a separate
# clang project.
add_library(carilab_casts INTERFACE)
add_library(carilab::casts ALIAS carilab_casts)
target_compile_options(carilab_casts INTERFACE $<$<CXX_COMPILER_ID:GNU,Clang>:-Wold-style-cast>)

# Torch's ivalue has a member called slots(): Qt's keyword macros must never be defined.
target_compile_definitions(carilab_options INTERFACE
  QT_NO_KEYWORDS
  QT_NO_URL_CAST_FROM_STRING
  QT_DISABLE_DEPRECATED_UP_TO=0x060000)

# Sanitizers instrument CariLab's own code only; LibTorch, OpenBLAS, OpenCV and Qt come from
# Debian uninstrumented (tests/sanitizers/*.supp says what that costs). Presets: asan, tsan.
option(CARILAB_TSAN "Build with ThreadSanitizer" OFF)
if(CARILAB_ASAN AND CARILAB_TSAN)
  message(FATAL_ERROR "CARILAB_ASAN and CARILAB_TSAN cannot be combined: use the asan and tsan presets")
endif()
if(CARILAB_ASAN)
  target_compile_options(carilab_options INTERFACE
    -fsanitize=address,undefined -fno-omit-frame-pointer -fno-sanitize-recover=undefined)
  target_link_options(carilab_options INTERFACE -fsanitize=address,undefined)
endif()
if(CARILAB_TSAN)
  target_compile_options(carilab_options INTERFACE -fsanitize=thread -fno-omit-frame-pointer)
  target_link_options(carilab_options INTERFACE -fsanitize=thread)
endif()

if(NOT CMAKE_BUILD_TYPE AND NOT CMAKE_CONFIGURATION_TYPES)
  set(CMAKE_BUILD_TYPE Release CACHE STRING "Build type" FORCE)
endif()
