# `cmake --install build --prefix P`: the executables, the public headers
# (include/relay/), the static libraries, the CMake package
# (lib/cmake/relay/: find_package(relay CONFIG), targets relay::protocol,
# relay::actors, relay::net, relay::client) and relay-client.pc.
# Every installed file names paths relative to its own location or the
# prefix, never the build tree. The Debian packages (packaging/) reuse these
# rules through CPack's components:
#   programs     relay and relay-cli (packaging/ adds man pages and docs)
#   development  headers, libraries, CMake package, pkg-config file
include(CMakePackageConfigHelpers)

# A fuzz build (fixed AuthChallenge, see RelaySanitizers.cmake) must never
# be installed or packaged: every install fails at once.
if(RELAY_BUILD_FUZZERS)
  install(CODE "message(FATAL_ERROR \"this is a fuzz build (RELAY_BUILD_FUZZERS=ON): its relay issues a fixed challenge and must not be installed\")")
  return()
endif()

set(RELAY_CMAKE_DIR ${CMAKE_INSTALL_LIBDIR}/cmake/relay)

install(TARGETS relay relay-cli RUNTIME DESTINATION ${CMAKE_INSTALL_BINDIR} COMPONENT programs)
# A stripped install (--strip, CPack) also drops the compiler's .comment
# and .note sections, as Debian's dh_strip does.
set(strip_programs [[
  if(CMAKE_INSTALL_DO_STRIP)
    foreach(program relay relay-cli)
      execute_process(COMMAND strip --remove-section=.comment --remove-section=.note
        "$ENV{DESTDIR}${CMAKE_INSTALL_PREFIX}/@CMAKE_INSTALL_BINDIR@/${program}" COMMAND_ERROR_IS_FATAL ANY)
    endforeach()
  endif()
]])
string(CONFIGURE "${strip_programs}" strip_programs @ONLY)
install(CODE "${strip_programs}" COMPONENT programs)

install(TARGETS relay_protocol relay_actors relay_net relay_client
  EXPORT relayTargets
  ARCHIVE DESTINATION ${CMAKE_INSTALL_LIBDIR} COMPONENT development
  INCLUDES DESTINATION ${CMAKE_INSTALL_INCLUDEDIR})
# `cmake --install --strip` and CPack (CPACK_STRIP_FILES) strip executables
# only; static archives keep their debug info (hundreds of MB with Beast and
# CAF templates) unless it is dropped here too, as Debian's dh_strip does.
set(strip_archives [[
  if(CMAKE_INSTALL_DO_STRIP)
    foreach(lib relay_protocol relay_actors relay_net relay_client)
      execute_process(COMMAND strip --strip-debug --remove-section=.comment --remove-section=.note --enable-deterministic-archives
        "$ENV{DESTDIR}${CMAKE_INSTALL_PREFIX}/@CMAKE_INSTALL_LIBDIR@/lib${lib}.a" COMMAND_ERROR_IS_FATAL ANY)
    endforeach()
  endif()
]])
string(CONFIGURE "${strip_archives}" strip_archives @ONLY)
install(CODE "${strip_archives}" COMPONENT development)
foreach(dir protocol actors net client)
  install(DIRECTORY ${CMAKE_SOURCE_DIR}/${dir}/include/relay DESTINATION ${CMAKE_INSTALL_INCLUDEDIR} COMPONENT development)
endforeach()

install(EXPORT relayTargets NAMESPACE relay:: DESTINATION ${RELAY_CMAKE_DIR} COMPONENT development)
configure_package_config_file(${CMAKE_SOURCE_DIR}/cmake/relayConfig.cmake.in
  ${CMAKE_BINARY_DIR}/generated/relayConfig.cmake
  INSTALL_DESTINATION ${RELAY_CMAKE_DIR})
# 0.x: a minor version may break the API, so only the same minor matches.
write_basic_package_version_file(${CMAKE_BINARY_DIR}/generated/relayConfigVersion.cmake
  COMPATIBILITY SameMinorVersion)
install(FILES
    ${CMAKE_BINARY_DIR}/generated/relayConfig.cmake
    ${CMAKE_BINARY_DIR}/generated/relayConfigVersion.cmake
    ${CMAKE_SOURCE_DIR}/cmake/FindCAF.cmake
  DESTINATION ${RELAY_CMAKE_DIR} COMPONENT development)

# relay-client.pc for builds without CMake. The libraries are static, so
# everything they need is listed for the link (Requires, not Requires.private).
# ${pcfiledir} keeps the file relocatable: the prefix is found from where
# the .pc file lies, so it is right for any --prefix given at install time.
file(RELATIVE_PATH RELAY_PC_TO_PREFIX /${CMAKE_INSTALL_LIBDIR}/pkgconfig /)
string(REGEX REPLACE "/$" "" RELAY_PC_TO_PREFIX "${RELAY_PC_TO_PREFIX}")
configure_file(${CMAKE_SOURCE_DIR}/cmake/relay-client.pc.in ${CMAKE_BINARY_DIR}/generated/relay-client.pc @ONLY)
install(FILES ${CMAKE_BINARY_DIR}/generated/relay-client.pc DESTINATION ${CMAKE_INSTALL_LIBDIR}/pkgconfig COMPONENT development)
