// rill — configuration knobs, version and the ABI namespace.
//
// Everything rill declares lives in `rill::RILL_ABI_NAMESPACE` (an inline namespace),
// so two translation units built with different ABI-affecting knobs never share a
// symbol by accident. Users write `rill::` and never name the inline namespace.
#pragma once

#include <cstddef>

#define RILL_VERSION_MAJOR 0
#define RILL_VERSION_MINOR 1
#define RILL_VERSION_PATCH 0
#define RILL_VERSION_STRING "0.1.0"

/// Size in bytes of the line that data shared between threads is padded to.
/// `std::hardware_destructive_interference_size` warns on g++ 12 and is missing in
/// clang 14, so rill carries its own value. Override with -DRILL_CACHE_LINE=128 on
/// machines with 128-byte lines (Apple M-series, some POWER).
#ifndef RILL_CACHE_LINE
#define RILL_CACHE_LINE 64
#endif

#define RILL_PP_CAT_(a, b) a##b
#define RILL_PP_CAT(a, b) RILL_PP_CAT_(a, b)
// Overridable, so a translation unit built with other floating-point flags (the
// fused-arithmetic test does this) can hold a second copy of rill's headers without
// sharing a rill symbol with the first (std:: instantiations are still shared).
// Header-only use only: librill.a is built in the default namespace.
#ifndef RILL_ABI_NAMESPACE
#define RILL_ABI_NAMESPACE RILL_PP_CAT(v, RILL_VERSION_MAJOR)
#endif

#define RILL_NAMESPACE_BEGIN \
  namespace rill {           \
  inline namespace RILL_ABI_NAMESPACE {
#define RILL_NAMESPACE_END \
  }                        \
  }

#if defined(__GNUC__) || defined(__clang__)
#define RILL_ALWAYS_INLINE inline __attribute__((always_inline))
#define RILL_NOINLINE __attribute__((noinline))
#define RILL_LIKELY(x) __builtin_expect(!!(x), 1)
#define RILL_UNLIKELY(x) __builtin_expect(!!(x), 0)
#else
#define RILL_ALWAYS_INLINE inline
#define RILL_NOINLINE
#define RILL_LIKELY(x) (x)
#define RILL_UNLIKELY(x) (x)
#endif

// A stage's per-event call that g++ inlines into its caller on its own but clang does
// not: clang 14 left the window stages' push out of line (0.7-0.8x of g++ 12's speed),
// while forcing it on g++ cost up to 2x. So it is forced for clang only.
#if defined(__clang__)
#define RILL_STAGE_INLINE RILL_ALWAYS_INLINE
#else
#define RILL_STAGE_INLINE inline
#endif

RILL_NAMESPACE_BEGIN

/// Destructive-interference distance used to keep thread-shared data apart.
inline constexpr std::size_t cache_line = RILL_CACHE_LINE;

/// Library version as compiled into the headers.
struct version_info {
  int major, minor, patch;
  const char* string;
};
inline constexpr version_info header_version{RILL_VERSION_MAJOR, RILL_VERSION_MINOR,
                                              RILL_VERSION_PATCH, RILL_VERSION_STRING};

RILL_NAMESPACE_END
