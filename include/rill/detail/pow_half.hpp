// std::pow(x, 0.5) at the cost of a square root. Internal.
//
// River takes some roots as `x ** 0.5`, which is the C library's pow, and pow is
// not correctly rounded: glibc documents 0.54 ulp (about 0.525 over the range
// below), so where the exact root lies within 0.03 ulp of a midpoint between two
// doubles, pow may round to the other side than std::sqrt does (one argument in
// a thousand; all measured cases within 0.0081 ulp of the midpoint). A
// detector that must reproduce River's bits cannot take sqrt blindly, and pow
// costs several times sqrt. So: take the correctly rounded root r, measure how far
// the exact root lies from the midpoint next to r, and call pow only when that is
// within 1/16 ulp: there every pow within 0.56 ulp returns r.
#pragma once

#include <bit>
#include <cmath>
#include <cstdint>

#include "rill/config.hpp"

RILL_NAMESPACE_BEGIN
namespace detail {

/// std::pow(x, 0.5), bit for bit, for any pow within 0.5625 ulp (glibc, musl).
inline double pow_half(double x) noexcept {
#ifndef __FAST_MATH__  // -ffast-math promises no bits: there, plain pow
  if (x >= 0x1p-900 && x <= 0x1p900) [[likely]] {
    const double r = std::sqrt(x);
    // e = x - r², exactly: the remainder of a correctly rounded root is a double.
    // (g++ defines __FP_FAST_FMA wherever it can fuse, whatever the C library.)
#if defined(FP_FAST_FMA) || defined(__FP_FAST_FMA) || defined(__FMA__) || defined(__ARM_FEATURE_FMA)
    const double e = std::fma(-r, r, x);
#else
    // No fused multiply-add here, so g++ cannot contract: Dekker's product
    // r² = p + err (Veltkamp split), and x - p is exact (Sterbenz).
    const double e = [r, x]() noexcept {
#ifdef __clang__
#pragma clang fp contract(off)
#endif
      const double c = 134217729.0 * r;  // 2^27 + 1
      const double hi = c - (c - r), lo = r - hi;
      const double p = r * r;
      const double err = ((hi * hi - p) + 2.0 * hi * lo) + lo * lo;
      return (x - p) - err;
    }();
#endif
    // sqrt(x) - r ≈ e / 2r. The midpoint is ulp(r)/2 away from r, so the exact
    // root is more than 1/16 ulp from it while |e| < (7/8)·r·ulp(r). (Below a
    // power of two the midpoint is ulp/4 away, but no double's root rounds up to
    // 2^k from below: x = 4^k(1 - 2^-53) rounds down.)
    const double ulp =
        std::bit_cast<double>(std::bit_cast<std::uint64_t>(r) & 0x7ff0000000000000ULL) * 0x1p-52;
    if (std::fabs(e) < 0.875 * r * ulp) [[likely]]
      return r;
  }
#endif
  return std::pow(x, 0.5);
}

}  // namespace detail
RILL_NAMESPACE_END
