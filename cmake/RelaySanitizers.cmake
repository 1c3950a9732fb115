# Sanitizer and fuzzer instrumentation for every target of the build.
# Included by the top-level CMakeLists.txt before any add_subdirectory, so the
# flags reach every library, executable and test.
#
#   RELAY_SANITIZE=""        no sanitizers (default)
#   RELAY_SANITIZE=address   AddressSanitizer + UndefinedBehaviorSanitizer
#   RELAY_SANITIZE=thread    ThreadSanitizer
#   RELAY_BUILD_FUZZERS=ON   needs clang; implies address and adds libFuzzer
#                            coverage (-fsanitize=fuzzer-no-link) everywhere
#   RELAY_FUZZ_COVERAGE=ON   with RELAY_BUILD_FUZZERS: source-based coverage
#                            (llvm-cov) of what the corpora reach
#                            (scripts/fuzz-coverage)
set(RELAY_SANITIZE "" CACHE STRING "Sanitizers for every target: empty, address (ASan+UBSan) or thread (TSan)")
set_property(CACHE RELAY_SANITIZE PROPERTY STRINGS "" address thread)

if(RELAY_BUILD_FUZZERS)
  if(NOT CMAKE_CXX_COMPILER_ID STREQUAL "Clang")
    message(FATAL_ERROR
      "RELAY_BUILD_FUZZERS needs clang (libFuzzer), but the C++ compiler is "
      "${CMAKE_CXX_COMPILER_ID} (${CMAKE_CXX_COMPILER}). Configure a separate build "
      "directory with CC=clang CXX=clang++, e.g. scripts/fuzz does: "
      "CC=clang CXX=clang++ cmake -S . -B build-fuzz -DRELAY_BUILD_FUZZERS=ON")
  endif()
  if(RELAY_SANITIZE STREQUAL "")
    set(RELAY_SANITIZE address)
  elseif(NOT RELAY_SANITIZE STREQUAL "address")
    message(FATAL_ERROR "RELAY_BUILD_FUZZERS works with RELAY_SANITIZE=address (or empty), not '${RELAY_SANITIZE}'")
  endif()
endif()

if(RELAY_SANITIZE STREQUAL "address")
  message(STATUS "relay: building with AddressSanitizer + UndefinedBehaviorSanitizer")
  # -O1 -g1 (after the build type's -O2 -g on the command line): ASan's
  # recommended optimisation, and line tables are all its reports need; the
  # Beast-heavy sources compile much faster (CI's ASan leg builds everything).
  add_compile_options(-fsanitize=address,undefined -fno-sanitize-recover=undefined -fno-omit-frame-pointer -O1 -g1)
  add_link_options(-fsanitize=address,undefined)
elseif(RELAY_SANITIZE STREQUAL "thread")
  message(STATUS "relay: building with ThreadSanitizer")
  # -g1 (line tables, after the build type's -g on the command line): all
  # that TSan's stacks need, and the Beast-heavy sources compile much faster.
  add_compile_options(-fsanitize=thread -fno-omit-frame-pointer -g1)
  add_link_options(-fsanitize=thread)
  # Asio wraps every handler invocation in a std_fenced_block, i.e.
  # std::atomic_thread_fence, which TSan does not model (g++ warns
  # -Wtsan once per instantiation: 817 warnings in one build). The
  # handoff of handlers between threads is ordered by the scheduler's
  # mutex-protected queues and the strands' mutexes, which TSan does see,
  # so Asio's null fenced block is used instead of silencing the warning.
  add_compile_definitions(BOOST_ASIO_DISABLE_FENCED_BLOCK)
elseif(NOT RELAY_SANITIZE STREQUAL "")
  message(FATAL_ERROR "RELAY_SANITIZE must be empty, 'address' or 'thread', not '${RELAY_SANITIZE}'")
endif()

if(RELAY_BUILD_FUZZERS)
  # Coverage feedback for libFuzzer in every library the targets link; the
  # fuzz targets themselves add -fsanitize=fuzzer (the libFuzzer main).
  add_compile_options(-fsanitize=fuzzer-no-link)
  # The conventional marker of a build that must never ship: with it the
  # relay issues a fixed AuthChallenge (protocol/src/crypto.cpp), so the
  # connection fuzzer signs once instead of once per input. Only this
  # option defines it, and RelayInstall refuses to install such a build.
  add_compile_definitions(FUZZING_BUILD_MODE_UNSAFE_FOR_PRODUCTION)
  option(RELAY_FUZZ_COVERAGE "Source-based coverage of the fuzz targets (scripts/fuzz-coverage)" OFF)
  if(RELAY_FUZZ_COVERAGE)
    add_compile_options(-fprofile-instr-generate -fcoverage-mapping)
    add_link_options(-fprofile-instr-generate)
  endif()
endif()
