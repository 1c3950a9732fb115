# The build's identity: the version from the top-level project() (the only
# place it is written) and the git commit the sources were configured from.
# Generates version.cpp for relay_protocol (see <relay/version.hpp>).
#
#   RELAY_GIT_COMMIT   set it (-DRELAY_GIT_COMMIT=...) to override; left
#                      empty it is asked from git, "unknown" when the sources
#                      are not a git checkout (e.g. an unpacked tarball).
set(RELAY_GIT_COMMIT "" CACHE STRING "Commit reported by --version (empty: ask git)")

set(relay_commit "${RELAY_GIT_COMMIT}")
if(relay_commit STREQUAL "")
  set(relay_commit "unknown")
  find_package(Git QUIET)
  if(GIT_FOUND)
    execute_process(COMMAND ${GIT_EXECUTABLE} rev-parse --short=12 HEAD
      WORKING_DIRECTORY ${CMAKE_SOURCE_DIR}
      OUTPUT_VARIABLE head OUTPUT_STRIP_TRAILING_WHITESPACE
      RESULT_VARIABLE head_status ERROR_QUIET)
    execute_process(COMMAND ${GIT_EXECUTABLE} rev-parse --absolute-git-dir
      WORKING_DIRECTORY ${CMAKE_SOURCE_DIR}
      OUTPUT_VARIABLE git_dir OUTPUT_STRIP_TRAILING_WHITESPACE ERROR_QUIET)
    if(head_status EQUAL 0 AND NOT head STREQUAL "")
      set(relay_commit "${head}")
      # Every move of HEAD (commit, checkout, reset) appends to logs/HEAD:
      # re-configure then, so the binaries never report a stale commit.
      if(EXISTS "${git_dir}/logs/HEAD")
        set_property(DIRECTORY APPEND PROPERTY CMAKE_CONFIGURE_DEPENDS "${git_dir}/logs/HEAD")
      endif()
    endif()
  endif()
endif()
set(RELAY_VERSION "${PROJECT_VERSION}")
set(RELAY_COMMIT "${relay_commit}")
message(STATUS "relay: version ${RELAY_VERSION}, commit ${RELAY_COMMIT}")
configure_file(${CMAKE_SOURCE_DIR}/protocol/src/version.cpp.in ${CMAKE_BINARY_DIR}/generated/version.cpp @ONLY)
