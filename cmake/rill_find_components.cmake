# Finds what rill's optional components need; for the build and, installed, for
# rillConfig.cmake. Defines rill::hiredis and rill::httplib (imported) when found.
# Neither is ever a dependency of rill::rill.

# hiredis (Debian: libhiredis-dev) for rill::redis.
if(NOT TARGET rill::hiredis)
  find_path(RILL_HIREDIS_INCLUDE_DIR NAMES hiredis/hiredis.h)
  find_library(RILL_HIREDIS_LIBRARY NAMES hiredis)
  if(RILL_HIREDIS_INCLUDE_DIR AND RILL_HIREDIS_LIBRARY)
    add_library(rill::hiredis UNKNOWN IMPORTED)
    set_target_properties(rill::hiredis PROPERTIES IMPORTED_LOCATION "${RILL_HIREDIS_LIBRARY}"
                          INTERFACE_INCLUDE_DIRECTORIES "${RILL_HIREDIS_INCLUDE_DIR}")
  endif()
endif()

# cpp-httplib (Debian: libcpp-httplib-dev) for rill::http, inside rill_http's sources
# only. Debian's httplib.h holds declarations; the code is libcpp-httplib.so, built with
# TLS and compression, so the same CPPHTTPLIB_* definitions must be used: pkg-config
# gives them.
if(NOT TARGET rill::httplib)
  find_package(PkgConfig QUIET)
  if(PKG_CONFIG_FOUND)
    pkg_check_modules(RILL_HTTPLIB QUIET IMPORTED_TARGET GLOBAL cpp-httplib)
  endif()
  if(RILL_HTTPLIB_FOUND)
    add_library(rill::httplib INTERFACE IMPORTED)
    set_target_properties(rill::httplib PROPERTIES INTERFACE_LINK_LIBRARIES PkgConfig::RILL_HTTPLIB)
  endif()
endif()
