// Online scalers with River's learn-then-transform semantics: standard (in
// standard_scaler.hpp), min-max and max-abs.
#pragma once

#include <algorithm>
#include <array>
#include <cmath>
#include <cstddef>
#include <cstdint>
#include <limits>

#include "rill/config.hpp"
#include "rill/core/event.hpp"
#include "rill/window/standard_scaler.hpp"

RILL_NAMESPACE_BEGIN

/// Per-feature online min-max scaling, River's `MinMaxScaler`: each row is
/// first learnt (running min and max) and then mapped to (x - min) / (max -
/// min), 0 while max == min. A non-finite value is not learnt and is counted in
/// `non_finite()` (it transforms to a non-finite output).
///
/// As a stage: `event<D, T>` in, the same event with the scaled row out. O(D)
/// per event; never allocates; trivially copyable; one thread.
template <std::size_t D, class T = float, class Acc = double>
class min_max_scaler {
 public:
  using input_type = event<D, T>;
  using output_type = event<D, T>;

  /// Takes one row into the running min and max. O(D).
  void learn(const feature_row<T, D> &x) noexcept {
    std::uint64_t skipped = 0;
    for (std::size_t i = 0; i < D; ++i) {
      const Acc v = static_cast<Acc>(x[i]);
      const bool ok = std::isfinite(v);
      skipped += !ok;
      min_[i] = std::min(min_[i], ok ? v : min_[i]);
      max_[i] = std::max(max_[i], ok ? v : max_[i]);
    }
    non_finite_ += skipped;
    ++count_;
  }
  /// Scales one row with what was learnt so far (does not learn it). O(D).
  feature_row<T, D> transform(const feature_row<T, D> &x) const noexcept {
    feature_row<T, D> out;
    for (std::size_t i = 0; i < D; ++i) {
      const Acc range = max_[i] - min_[i];
      out[i] = !std::isfinite(x[i]) ? x[i]  // stays non-finite, never a silent 0
               : range > 0          ? static_cast<T>((static_cast<Acc>(x[i]) - min_[i]) / range)
                                    : T(0);
    }
    return out;
  }
  template <class Emit>
  RILL_STAGE_INLINE void operator()(const input_type &in, Emit &&emit) noexcept {
    learn(in.x);
    emit(input_type{in.id, in.time_ns, transform(in.x)});
  }
  std::uint64_t count() const noexcept { return count_; }
  std::uint64_t non_finite() const noexcept { return non_finite_; }  ///< values not learnt
  Acc min(std::size_t i) const noexcept { return min_[i]; }
  Acc max(std::size_t i) const noexcept { return max_[i]; }
  void reset() noexcept { *this = min_max_scaler{}; }

 private:
  static constexpr std::array<Acc, D> filled(Acc v) noexcept {
    std::array<Acc, D> a{};
    a.fill(v);
    return a;
  }
  std::uint64_t count_ = 0, non_finite_ = 0;
  std::array<Acc, D> min_ = filled(std::numeric_limits<Acc>::infinity());
  std::array<Acc, D> max_ = filled(-std::numeric_limits<Acc>::infinity());
};

/// Per-feature online max-abs scaling, River's `MaxAbsScaler`: learn |x| into
/// the running maximum, then map x / max|x| (0 while that is 0). Same contract
/// as min_max_scaler, non-finite values included.
template <std::size_t D, class T = float, class Acc = double>
class max_abs_scaler {
 public:
  using input_type = event<D, T>;
  using output_type = event<D, T>;

  void learn(const feature_row<T, D> &x) noexcept {
    std::uint64_t skipped = 0;
    for (std::size_t i = 0; i < D; ++i) {
      const Acc a = std::abs(static_cast<Acc>(x[i]));
      const bool ok = std::isfinite(a);
      skipped += !ok;
      max_abs_[i] = std::max(max_abs_[i], ok ? a : Acc(0));
    }
    non_finite_ += skipped;
    ++count_;
  }
  feature_row<T, D> transform(const feature_row<T, D> &x) const noexcept {
    feature_row<T, D> out;
    for (std::size_t i = 0; i < D; ++i) {
      out[i] = !std::isfinite(x[i]) ? x[i]  // stays non-finite, never a silent 0
               : max_abs_[i] > 0    ? static_cast<T>(static_cast<Acc>(x[i]) / max_abs_[i])
                                    : T(0);
    }
    return out;
  }
  template <class Emit>
  RILL_STAGE_INLINE void operator()(const input_type &in, Emit &&emit) noexcept {
    learn(in.x);
    emit(input_type{in.id, in.time_ns, transform(in.x)});
  }
  std::uint64_t count() const noexcept { return count_; }
  std::uint64_t non_finite() const noexcept { return non_finite_; }  ///< values not learnt
  Acc max_abs(std::size_t i) const noexcept { return max_abs_[i]; }
  void reset() noexcept { *this = max_abs_scaler{}; }

 private:
  std::uint64_t count_ = 0, non_finite_ = 0;
  std::array<Acc, D> max_abs_{};
};

RILL_NAMESPACE_END
