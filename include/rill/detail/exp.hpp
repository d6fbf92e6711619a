// exp without libm's error path. Internal.
//
// std::exp returns 0 or +inf for arguments beyond its range, but it gets there
// through glibc's error handling (errno, a call out of line), which costs more
// than a whole predict-and-learn step of a small linear model. Logistic models
// hit it all the time: a confident model's margins run past ±88 in float. These
// helpers return the same values without the call.
#pragma once

#include <cmath>
#include <limits>
#include <type_traits>

#include "rill/config.hpp"

RILL_NAMESPACE_BEGIN
namespace detail {

/// The arguments where std::exp<T> reaches 0 (at or below `zero_at`) and +inf (at
/// or above `inf_at`) under round-to-nearest; measured with glibc, and the
/// correctly rounded values in any case.
template <class T>
struct exp_range;
template <>
struct exp_range<float> {
  static constexpr float zero_at = -103.972084f;
  static constexpr float inf_at = 88.7228394f;
};
template <>
struct exp_range<double> {
  static constexpr double zero_at = -745.13321910194122;
  static constexpr double inf_at = 709.78271289338409;
};

/// std::exp(x), bit for bit, without the error path for results of 0 or +inf.
template <class T>
RILL_ALWAYS_INLINE T exp_quiet(T x) noexcept {
  if constexpr (std::is_same_v<T, float> || std::is_same_v<T, double>) {
    if (x <= exp_range<T>::zero_at) [[unlikely]]
      return T(0);
    if (x >= exp_range<T>::inf_at) [[unlikely]]
      return std::numeric_limits<T>::infinity();
  }
  return std::exp(x);
}

/// 1 / (1 + exp(−m)), the logistic function, bit for bit as written that way.
template <class T>
RILL_ALWAYS_INLINE T logistic(T m) noexcept {
  return T(1) / (T(1) + exp_quiet(-m));
}

}  // namespace detail
RILL_NAMESPACE_END
