// A product rounded where the peer rounds it. Internal.
//
// Built for a target with FMA (-march=native, x86-64-v3), g++ in its default GNU
// mode fuses `a * b + c` into one fused multiply-add from -O2 on, across statements
// of a basic block, and clang does so within one expression: the product is no
// longer rounded on its own. Code that reproduces River operation for operation must round it, or a
// statistic moves by an ulp and, on an exact tie, an index by one. The empty asm
// in `rounded(a * b) + c` only tells the compiler the product must exist as a
// double; it emits no instruction. Scalar code only: compilers do not vectorise a
// loop that holds an asm statement.
#pragma once

#include "rill/config.hpp"

RILL_NAMESPACE_BEGIN
namespace detail {

/// `v` as a rounded double, never fused into the add that follows.
RILL_ALWAYS_INLINE double rounded(double v) noexcept {
#if (defined(__GNUC__) || defined(__clang__)) && defined(__x86_64__)
  asm("" : "+x"(v));
#elif (defined(__GNUC__) || defined(__clang__)) && defined(__aarch64__)
  asm("" : "+w"(v));
#elif defined(__GNUC__) || defined(__clang__)
  asm("" : "+m"(v));  // elsewhere through memory: a store and a load, but rounded
#endif
  // Other compilers: no barrier (MSVC does not contract by default).
  return v;
}

}  // namespace detail
RILL_NAMESPACE_END
