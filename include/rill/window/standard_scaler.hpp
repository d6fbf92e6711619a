// Online standard scaler: z = (x - mean) / std per feature, learning as it goes.
#pragma once

#include <array>
#include <cmath>
#include <cstddef>
#include <cstdint>

#include "rill/config.hpp"
#include "rill/core/event.hpp"

RILL_NAMESPACE_BEGIN

/// Per-feature online standardisation with River's semantics: each event is first
/// learnt (Welford update of mean and population variance), then transformed;
/// a feature whose variance is still zero maps to 0.
///
/// NaN/Inf: a non-finite value is not learnt (each feature keeps its own count, as
/// River's does) and is counted in `non_finite()`; it still transforms to a non-finite
/// output, for the next stage's policy to see. One bad value never poisons the
/// statistics.
///
/// As a stage it takes `event<D, T>` and emits the same event with the scaled row.
/// Complexity O(D) per event; statistics kept in `Acc` (double by default) so that
/// long streams do not lose precision. Never allocates. One thread.
template <std::size_t D, class T = float, class Acc = double>
class standard_scaler {
 public:
  using input_type = event<D, T>;
  using output_type = event<D, T>;

  /// Takes one row into the running mean and variance.
  void learn(const feature_row<T, D>& x) noexcept {
    ++count_;
    std::uint64_t skipped = 0;
    for (std::size_t i = 0; i < D; ++i) {
      const Acc v = static_cast<Acc>(x[i]);
      const bool ok = std::isfinite(v);  // selects, not branches: the loop stays SIMD
      skipped += !ok;
      n_[i] += ok;
      const Acc delta = ok ? v - mean_[i] : Acc(0);
      mean_[i] += delta / static_cast<Acc>(n_[i] ? n_[i] : 1);
      m2_[i] += ok ? delta * (v - mean_[i]) : Acc(0);
    }
    non_finite_ += skipped;
  }

  /// Scales one row with the statistics learnt so far (does not learn it).
  feature_row<T, D> transform(const feature_row<T, D>& x) const noexcept {
    feature_row<T, D> out;
    for (std::size_t i = 0; i < D; ++i) {
      const Acc var = variance(i);
      // A non-finite input stays non-finite (never a silent 0), for the next stage's policy.
      out[i] = !std::isfinite(x[i]) ? x[i]
               : var > 0          ? static_cast<T>((static_cast<Acc>(x[i]) - mean_[i]) / std::sqrt(var))
                                  : T(0);
    }
    return out;
  }

  template <class Emit>
  void operator()(const input_type& in, Emit&& emit) noexcept {
    learn(in.x);
    emit(input_type{in.id, in.time_ns, transform(in.x)});
  }

  /// Rows learnt; `count(i)`: finite values of feature `i` learnt.
  std::uint64_t count() const noexcept { return count_; }
  std::uint64_t count(std::size_t i) const noexcept { return n_[i]; }
  /// Non-finite values not learnt, over all features.
  std::uint64_t non_finite() const noexcept { return non_finite_; }
  Acc mean(std::size_t i) const noexcept { return mean_[i]; }
  /// Population variance (ddof = 0) of feature `i`.
  Acc variance(std::size_t i) const noexcept {
    return n_[i] > 0 ? m2_[i] / static_cast<Acc>(n_[i]) : Acc(0);
  }
  void reset() noexcept { *this = standard_scaler{}; }

 private:
  std::uint64_t count_ = 0, non_finite_ = 0;
  std::array<std::uint64_t, D> n_{};
  std::array<Acc, D> mean_{};
  std::array<Acc, D> m2_{};
};

RILL_NAMESPACE_END
