# vcpkg overlay port. From a checkout of rill:
#   vcpkg install rill --overlay-ports=packaging/vcpkg
# The port builds this source tree (RILL_SOURCE_DIR, default: the checkout the overlay
# lives in), so no download or hash is involved; a registry port would use
# vcpkg_from_github with a release tag and its SHA512 instead.
if(NOT DEFINED RILL_SOURCE_DIR)
  get_filename_component(RILL_SOURCE_DIR "${CMAKE_CURRENT_LIST_DIR}/../../.." ABSOLUTE)
endif()

vcpkg_cmake_configure(
  SOURCE_PATH "${RILL_SOURCE_DIR}"
  OPTIONS
    -DRILL_BUILD_TESTS=OFF
    -DRILL_BUILD_TOOLS=OFF
    -DRILL_BUILD_BENCHMARKS=OFF
    -DRILL_BUILD_EXAMPLES=OFF
    # The optional components would link whatever hiredis/cpp-httplib the build host
    # has, undeclared in vcpkg.json: the port packages the core only.
    -DRILL_WITH_REDIS=OFF
    -DRILL_WITH_HTTP=OFF
)
vcpkg_cmake_install()
vcpkg_cmake_config_fixup(CONFIG_PATH lib/cmake/rill)
file(REMOVE_RECURSE "${CURRENT_PACKAGES_DIR}/debug/include" "${CURRENT_PACKAGES_DIR}/debug/share")
file(INSTALL "${CMAKE_CURRENT_LIST_DIR}/usage" DESTINATION "${CURRENT_PACKAGES_DIR}/share/${PORT}")
vcpkg_install_copyright(FILE_LIST "${RILL_SOURCE_DIR}/LICENSE")
