# Sanitizer and libFuzzer builds, each in its own build directory (see `make test-sanitize`
# and `make fuzz`). Included before any target is defined so that every library, test and
# tool of the build is instrumented alike.
#
#   -DSLUICE_SANITIZE=address,undefined   ASan + UBSan (g++ or clang)
#   -DSLUICE_SANITIZE=thread              TSan
#   -DSLUICE_LIBFUZZER=ON                 clang only: libFuzzer targets with ASan + UBSan
#
# Every finding is fatal (-fno-sanitize-recover=all): a UBSan report fails the test that
# triggered it instead of scrolling past in a log.
set(SLUICE_SANITIZE "" CACHE STRING "Sanitizers to build with, e.g. address,undefined or thread")
if(SLUICE_LIBFUZZER)
  if(NOT CMAKE_CXX_COMPILER_ID STREQUAL "Clang")
    message(FATAL_ERROR "SLUICE_LIBFUZZER needs clang: -DCMAKE_CXX_COMPILER=clang++")
  endif()
  # Libraries get coverage instrumentation; the fuzz executables link libFuzzer's main.
  add_compile_options(-fsanitize=fuzzer-no-link,address,undefined -fno-sanitize-recover=all)
  add_link_options(-fsanitize=address,undefined)
elseif(SLUICE_SANITIZE)
  # -O1 -g1 (after the build type's -O2 -g, so they win): ASan's recommended level, and
  # line tables are all a sanitizer stack trace needs; both cut the build time of these
  # instrumented builds on CI's 2 cores by about a third.
  add_compile_options(-fsanitize=${SLUICE_SANITIZE} -fno-sanitize-recover=all -O1 -g1)
  add_link_options(-fsanitize=${SLUICE_SANITIZE})
endif()
