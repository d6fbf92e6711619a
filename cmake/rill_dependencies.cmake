# Finds what rill's public headers need, for the build and for the installed package
# alike (rillConfig.cmake includes this file), so both work around the same traps.
include(CMakeFindDependencyMacro)

# xsimd: Debian's libxsimd-dev 8.1 links a phantom `xtl` target (ld: cannot find -lxtl).
# An empty imported target of that name satisfies it. The target is `xsimd`.
if(NOT TARGET xtl)
  add_library(xtl INTERFACE IMPORTED)
endif()
find_dependency(xsimd)

# fmt: used privately by the compiled part (checkpoint errors, metrics exposition); a
# static librill.a still needs it at the consumer's link.
find_dependency(fmt)

# moodycamel ships no CMake config on Debian, and its include path differs across
# Debian, vcpkg, Conan and upstream; rill/detail/moodycamel.hpp picks the spelling,
# this finds the directory.
if(NOT TARGET rill::moodycamel)
  find_path(RILL_CONCURRENTQUEUE_DIR NAMES concurrentqueue/concurrentqueue.h concurrentqueue.h
            PATH_SUFFIXES include)
  find_path(RILL_READERWRITERQUEUE_DIR NAMES readerwriterqueue/readerwriterqueue.h
            readerwriterqueue.h PATH_SUFFIXES include)
  if(NOT RILL_CONCURRENTQUEUE_DIR OR NOT RILL_READERWRITERQUEUE_DIR)
    message(FATAL_ERROR "rill needs moodycamel's ConcurrentQueue and ReaderWriterQueue headers "
                        "(Debian: apt-get install libconcurrentqueue-dev libreaderwriterqueue-dev)")
  endif()
  # Imported, so the exported rill::rill refers to it by name and each consumer's
  # rillConfig.cmake defines it again from that machine's headers.
  find_dependency(Threads)
  add_library(rill::moodycamel INTERFACE IMPORTED)
  set_target_properties(rill::moodycamel PROPERTIES
    INTERFACE_INCLUDE_DIRECTORIES "${RILL_CONCURRENTQUEUE_DIR};${RILL_READERWRITERQUEUE_DIR}"
    INTERFACE_LINK_LIBRARIES Threads::Threads)
endif()
