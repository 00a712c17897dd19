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
  # Boost 1.74's Asio only looks for clang's coroutines in libc++ (<experimental/coroutine>);
  # clang 14 with libstdc++ 12 has <coroutine>, which the RTSP client's coroutines need.
  # awaitable.hpp uses std::exchange without including <utility> on this path.
  add_compile_definitions(BOOST_ASIO_HAS_CO_AWAIT=1 BOOST_ASIO_HAS_STD_COROUTINE=1)
  add_compile_options(-include utility)
  add_link_options(-fsanitize=address,undefined)
elseif(SLUICE_SANITIZE)
  # -O1 -g1 (after the build type's -O2 -g, so they win): ASan's recommended level, and
  # line tables are all a sanitizer stack trace needs; both cut the build time of these
  # instrumented builds on CI's 2 cores by about a third.
  add_compile_options(-fsanitize=${SLUICE_SANITIZE} -fno-sanitize-recover=all -O1 -g1)
  add_link_options(-fsanitize=${SLUICE_SANITIZE})
endif()

# The heap report calls tcmalloc's MallocExtension through a pointer found with dlsym (it
# is not linked against tcmalloc), so its typeinfo does not exist at link time, which
# UBSan's vptr check needs.
if(SLUICE_LIBFUZZER OR SLUICE_SANITIZE MATCHES "undefined")
  set_source_files_properties(${CMAKE_SOURCE_DIR}/src/http/HeapReport.cpp PROPERTIES
    COMPILE_OPTIONS -fno-sanitize=vptr)
endif()

# clang 14 fails on the RTSP client's coroutines with any sanitizer ("Cannot represent a
# difference across sections"). That file is the camera-side client, not a parser the fuzz
# targets feed; it stays covered by the g++ ASan/UBSan build (make test-asan).
if(SLUICE_LIBFUZZER)
  set_source_files_properties(${CMAKE_SOURCE_DIR}/src/rtsp/RtspClientConnection.cpp PROPERTIES
    COMPILE_OPTIONS -fno-sanitize=all)
endif()
