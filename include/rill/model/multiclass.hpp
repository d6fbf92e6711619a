// Multiclass linear models with the number of classes known at compile time:
// K rows of weights, one margin per class, probabilities by softmax or one-vs-rest.
#pragma once

#include <array>
#include <cstddef>
#include <cstdint>
#include <type_traits>

#include "rill/config.hpp"
#include "rill/core/event.hpp"
#include "rill/model/activation.hpp"
#include "rill/model/linear_kernels.hpp"

RILL_NAMESPACE_BEGIN

/// How the K margins of a multiclass linear model become class probabilities.
enum class multiclass_rule {
  softmax,  ///< multinomial: exp(m_k - max) / sum_j exp(m_j - max)
  ovr,      ///< one-vs-rest: expit(m_k) / sum_j expit(m_j) (scikit-learn's OvR LogisticRegression)
};

namespace detail::kernels {

/// Margins to probabilities in place, in the value type (shared by the float and the
/// quantised models). Softmax subtracts the largest margin first, so no margin
/// overflows exp. OvR normalises the K sigmoids; if all of them underflow to zero
/// the classes get 1/K each (scikit-learn divides 0 by 0 there). O(K).
template <multiclass_rule Rule, class T, std::size_t K>
RILL_ALWAYS_INLINE void margins_to_proba(std::array<T, K>& m) noexcept {
  if constexpr (Rule == multiclass_rule::softmax) {
    softmax_inplace(m.data(), K);
  } else {
    T sum{};
    for (auto& v : m) {
      v = T(1) / (T(1) + exp_scalar(-v));
      sum += v;
    }
    if (sum > T(0)) {
      const T inv = T(1) / sum;
      for (auto& v : m) v *= inv;
    } else {
      for (auto& v : m) v = T(1) / T(K);
    }
  }
}

/// Index of the largest value, the lowest index among ties. O(K).
template <class T, std::size_t K>
RILL_ALWAYS_INLINE std::size_t argmax(const std::array<T, K>& v) noexcept {
  std::size_t best = 0;
  for (std::size_t k = 1; k < K; ++k)
    if (v[k] > v[best]) best = k;
  return best;
}

}  // namespace detail::kernels

/// A linear classifier over `D` features of type `T` and `K` classes.
///
/// A plain aggregate like `linear_model`: `weights[k]` is class k's row (each a
/// 64-byte-aligned `feature_row`), `bias[k]` its intercept, `version` counts updates.
/// Margins run the SIMD dot kernel once per class (for Elec2-sized rows, D = 8 and
/// K = 4, that is a handful of instructions per class; a class-major layout would
/// only pay off for K much larger than the register width).
/// All members: O(K·D), never allocate, const and reentrant (read from many threads
/// while nobody writes; update through a model slot).
template <std::size_t D, std::size_t K, class T = float,
          multiclass_rule Rule = multiclass_rule::softmax>
struct multiclass_linear_model {
  static_assert(K >= 2, "a rill::multiclass_linear_model needs at least two classes");
  static_assert(std::is_floating_point_v<T>,
                "rill::multiclass_linear_model computes in float or double");

  using value_type = T;
  using row_type = feature_row<T, D>;
  using output_array = std::array<T, K>;
  static constexpr std::size_t width = D;
  static constexpr std::size_t classes = K;
  static constexpr multiclass_rule rule = Rule;

  std::array<row_type, K> weights{};
  output_array bias{};
  std::uint64_t version = 0;

  /// The K raw decision values w_k·x + b_k (scikit-learn's decision_function).
  template <class Arch = detail::simd::default_arch>
  output_array margins(const row_type& x) const noexcept {
    return margins<Arch>(x.data());
  }
  template <class Arch = detail::simd::default_arch>
  output_array margins(const T* x) const noexcept {
    output_array m;
    detail::kernels::static_for<K>([&](auto k) {
      m[k] = detail::kernels::dot<Arch, T, D>(weights[k].data(), x) + bias[k];
    });
    return m;
  }

  /// Margins to probabilities by `Rule`: K values summing to 1.
  static output_array proba_from_margins(output_array m) noexcept {
    detail::kernels::margins_to_proba<Rule>(m);
    return m;
  }

  /// Class probabilities (scikit-learn's predict_proba).
  template <class Arch = detail::simd::default_arch>
  output_array predict_proba(const row_type& x) const noexcept {
    return proba_from_margins(margins<Arch>(x.data()));
  }

  /// The most probable class: argmax of the margins (both rules are monotone in each
  /// margin), the lowest index among ties.
  template <class Arch = detail::simd::default_arch>
  std::size_t predict_class(const row_type& x) const noexcept {
    return detail::kernels::argmax(margins<Arch>(x.data()));
  }

  /// Probabilities for `rows` rows stored contiguously (row r at x + r*D) into out
  /// (row r at out + r*K). O(rows·K·D), no allocation.
  template <class Arch = detail::simd::default_arch>
  void predict_proba_batch(const T* x, std::size_t rows, T* out) const noexcept {
    for (std::size_t r = 0; r < rows; ++r) {
      const output_array p = proba_from_margins(margins<Arch>(x + r * D));
      for (std::size_t k = 0; k < K; ++k) out[r * K + k] = p[k];
    }
  }

  /// Predicted classes for `rows` contiguous rows into out[r]. O(rows·K·D).
  template <class Arch = detail::simd::default_arch>
  void predict_class_batch(const T* x, std::size_t rows, std::size_t* out) const noexcept {
    for (std::size_t r = 0; r < rows; ++r) out[r] = detail::kernels::argmax(margins<Arch>(x + r * D));
  }
};

RILL_NAMESPACE_END
