// Linear and logistic models: weights, a bias and a link function.
#pragma once

#include <cmath>
#include <cstddef>
#include <cstdint>

#include "rill/config.hpp"
#include "rill/core/event.hpp"
#include "rill/detail/exp.hpp"
#include "rill/model/linear_kernels.hpp"

RILL_NAMESPACE_BEGIN

/// How a linear model turns its margin w·x + b into a prediction.
enum class link_function {
  identity,  ///< regression: the margin itself
  logistic,  ///< binary classification: probability of class 1, 1 / (1 + exp(-margin))
};

/// A linear model over `D` features of type `T`.
///
/// A plain aggregate: weights and bias are public so learners and loaders write them
/// directly. `version` counts updates and is carried by every prediction.
/// predict/margin: O(D), never allocates, const (safe to read from many threads
/// while nobody writes; to update it from another thread use a model slot).
template <std::size_t D, class T = float, link_function Link = link_function::logistic>
struct linear_model {
  using value_type = T;
  using row_type = feature_row<T, D>;
  static constexpr std::size_t width = D;
  static constexpr link_function link = Link;

  row_type weights{};
  T bias{};
  std::uint64_t version = 0;

  /// The raw decision value w·x + b, by the SIMD kernel for `Arch` (defaulted to the
  /// widest instruction set of the calling translation unit; being a template
  /// argument, it keeps TUs built with different flags apart at link time).
  template <class Arch = detail::simd::default_arch>
  T margin(const row_type& x) const noexcept {
    return detail::kernels::dot<Arch, T, D>(weights.data(), x.data()) + bias;
  }

  /// The margin through the link function.
  T transform(T m) const noexcept {
    if constexpr (Link == link_function::logistic) {
      return detail::logistic(m);
    } else {
      return m;
    }
  }

  template <class Arch = detail::simd::default_arch>
  T predict(const row_type& x) const noexcept {
    return transform(margin<Arch>(x));
  }
};

RILL_NAMESPACE_END
