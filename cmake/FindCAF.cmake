# Debian's libcaf-dev ships no CMake config: find CAF 0.17 by hand and expose
# imported targets CAF::core, CAF::io and (when present) CAF::openssl.
#
# CAF_ROOT (a CAF install prefix, e.g. the ThreadSanitizer build of
# scripts/build-caf-tsan) is searched alone, without the system paths, so a
# build asked for that CAF can never mix in /usr's headers or libraries.
# Cached results from another prefix are dropped when CAF_ROOT changes.
set(_caf_vars CAF_INCLUDE_DIR CAF_CORE_LIBRARY CAF_IO_LIBRARY CAF_OPENSSL_LIBRARY)
set(_caf_search "")
if(CAF_ROOT)
  get_filename_component(_caf_root "${CAF_ROOT}" ABSOLUTE)
  set(_caf_search PATHS "${_caf_root}" PATH_SUFFIXES include lib NO_DEFAULT_PATH)
  foreach(_v IN LISTS _caf_vars)
    if(${_v} AND NOT "${${_v}}" MATCHES "^${_caf_root}/")
      unset(${_v} CACHE)
    endif()
  endforeach()
else()
  # Back from a CAF_ROOT build: forget that prefix's results.
  foreach(_v IN LISTS _caf_vars)
    if(${_v} AND _CAF_CACHED_ROOT AND "${${_v}}" MATCHES "^${_CAF_CACHED_ROOT}/")
      unset(${_v} CACHE)
    endif()
  endforeach()
  set(_caf_root "")
endif()
set(_CAF_CACHED_ROOT "${_caf_root}" CACHE INTERNAL "CAF_ROOT the CAF_* paths were found under")

find_path(CAF_INCLUDE_DIR NAMES caf/all.hpp ${_caf_search})
find_library(CAF_CORE_LIBRARY NAMES caf_core ${_caf_search})
find_library(CAF_IO_LIBRARY NAMES caf_io ${_caf_search})
find_library(CAF_OPENSSL_LIBRARY NAMES caf_openssl ${_caf_search})

include(FindPackageHandleStandardArgs)
find_package_handle_standard_args(CAF REQUIRED_VARS CAF_CORE_LIBRARY CAF_IO_LIBRARY CAF_INCLUDE_DIR)

if(CAF_FOUND AND NOT TARGET CAF::core)
  add_library(CAF::core UNKNOWN IMPORTED)
  set_target_properties(CAF::core PROPERTIES
    IMPORTED_LOCATION "${CAF_CORE_LIBRARY}"
    INTERFACE_INCLUDE_DIRECTORIES "${CAF_INCLUDE_DIR}"
    INTERFACE_LINK_LIBRARIES Threads::Threads)
  add_library(CAF::io UNKNOWN IMPORTED)
  set_target_properties(CAF::io PROPERTIES
    IMPORTED_LOCATION "${CAF_IO_LIBRARY}"
    INTERFACE_LINK_LIBRARIES CAF::core)
  if(CAF_OPENSSL_LIBRARY)
    add_library(CAF::openssl UNKNOWN IMPORTED)
    set_target_properties(CAF::openssl PROPERTIES
      IMPORTED_LOCATION "${CAF_OPENSSL_LIBRARY}"
      INTERFACE_LINK_LIBRARIES CAF::io)
  endif()
endif()
mark_as_advanced(${_caf_vars})
