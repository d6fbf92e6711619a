// Exponentially weighted mean and variance over all D features at once, with a
// fixed fading factor (River's EWMean / EWVar) or a half-life in event time.
#pragma once

#include <cmath>
#include <cstddef>
#include <cstdint>
#include <stdexcept>
#include <string>
#include <type_traits>

#include "rill/config.hpp"
#include "rill/core/event.hpp"
#include "rill/window/lanes.hpp"
#include "rill/window/nan_policy.hpp"
#include "rill/window/rolling.hpp"

RILL_NAMESPACE_BEGIN

/// Exponentially weighted statistics of every feature: `stat::mean` (EWMA),
/// `stat::variance`, `stat::stddev` and `stat::zscore` ((x - mean) / std after
/// the update, 0 while std is 0). Other statistics are a compile error.
///
/// Weights. With a fading factor f in (0, 1] (River's `fading_factor`; closer
/// to 1 adapts faster) each push does a = f, except the first, which has a = 1
/// so the first value initialises the mean, as River does. With a half-life h
/// (ns of event time), the weight of an older row is 2^(-age/h): the stage
/// keeps the decayed total weight w ← w·2^(-Δt/h) + 1 and uses a = 1/w, so rows
/// at the same time average evenly and a long gap forgets the past. Events
/// whose time goes backwards are taken with Δt = 0 and counted in
/// `out_of_order()`.
///
/// Update: a mean alone is m ← (1 − a)·m + a·x, River's EWMean. With a variance
/// (West 1979): d = x − m; m ← m + a·d; v ← (1 − a)·(v + a·d²), which equals River's
/// E[x²] − E[x]² algebraically but never cancels, and keeps a constant stream's mean
/// exact (variance and z-score 0).
///
/// As a stage: `event<D, T>` in, `event<stat_columns(Stats, D), T>` out,
/// columns grouped by statistic. O(D) per push, SIMD across features; never
/// allocates; trivially copyable; one thread.
template <std::size_t D, stat Stats = stat::mean, class T = float, class Acc = double,
          class Arch = detail::simd::default_arch>
class ewm {
  static_assert((static_cast<unsigned>(Stats) &
                 ~static_cast<unsigned>(stat::mean | stat::variance | stat::stddev |
                                        stat::zscore)) == 0,
                "rill::ewm computes only stat::mean, stat::variance, stat::stddev and "
                "stat::zscore");
  static_assert(static_cast<unsigned>(Stats) != 0, "rill::ewm needs at least one statistic");

  using layout = detail::lane_layout<Acc, D, Arch>;
  using batch = typename layout::batch;
  static constexpr std::size_t W = layout::width;
  static constexpr std::size_t Dp = layout::padded;
  // Variance is kept only when a statistic reads it (a mean-only EWMA does half the work).
  static constexpr bool wants_variance =
      has(Stats, stat::variance) || has(Stats, stat::stddev) || has(Stats, stat::zscore);
  using row_acc = detail::lane_row<Acc, Dp>;

 public:
  static constexpr std::size_t output_width = stat_columns(Stats, D);
  using input_type = event<D, T>;
  using output_type = event<output_width, T>;
  using output_row = feature_row<T, output_width>;

  /// Fixed fading factor in (0, 1]. Throws std::invalid_argument naming the
  /// parameter otherwise. O(1).
  static ewm fading(Acc fading_factor, nan_policy policy = nan_policy::propagate,
                    Acc replacement = Acc(0)) {
    if (!(fading_factor > 0 && fading_factor <= 1)) {
      throw std::invalid_argument("rill::ewm: fading_factor must be in (0, 1], got " +
                                  std::to_string(fading_factor));
    }
    return ewm(fading_factor, 0, policy, replacement);
  }
  /// Half-life in nanoseconds of event time (> 0). Throws std::invalid_argument
  /// naming the parameter otherwise. O(1).
  static ewm half_life(std::int64_t half_life_ns, nan_policy policy = nan_policy::propagate,
                       Acc replacement = Acc(0)) {
    if (half_life_ns <= 0) {
      throw std::invalid_argument("rill::ewm: half_life_ns must be > 0, got " +
                                  std::to_string(half_life_ns));
    }
    return ewm(0, half_life_ns, policy, replacement);
  }

  /// Takes row `x` observed at `time_ns` (used only with a half-life); false if
  /// the NaN policy skipped it. O(D).
  RILL_STAGE_INLINE bool push(const feature_row<T, D> &x, std::int64_t time_ns = 0) noexcept {
    detail::screen_buffer<Acc, Dp> scratch;
    const Acc *v = detail::screened_row<Acc, Arch>(x, policy_, replacement_, scratch, counters_);
    if (v == nullptr) return false;
    Acc a = alpha_, not_a = not_alpha_;  // a fading factor's, after the first row
    if (!steady_) {  // the first row, or every row with a half-life
      a = weight_of(time_ns);
      not_a = Acc(1) - a;
    }
    const batch ba(a), keep(not_a);
    for (std::size_t b = 0; b < Dp; b += W) {
      const batch xv = batch::load_unaligned(v + b);
      const batch m = batch::load_aligned(mean_.data() + b);
      if constexpr (wants_variance) {
        // m + a·(x − m): a constant stream keeps its mean exactly, so its variance
        // stays 0 and its z-score 0 (River's form below can land an ulp off x, and the
        // variance would then see a deviation that is not in the data).
        const batch d = xv - m;
        xsimd::fma(ba, d, m).store_aligned(mean_.data() + b);
        (keep * xsimd::fma(ba * d, d, batch::load_aligned(var_.data() + b)))
            .store_aligned(var_.data() + b);
      } else {
        // (1 − a)·m + a·x, River's own form: a·x is off the chain from one row's mean
        // to the next, which is one multiply-add (the form above also waits on the
        // subtract); about 5 % of a five-statistic row.
        xsimd::fma(keep, m, ba * xv).store_aligned(mean_.data() + b);
      }
    }
    if constexpr (has(Stats, stat::zscore))
      for (std::size_t b = 0; b < Dp; b += W)
        batch::load_unaligned(v + b).store_aligned(last_.data() + b);
    ++seen_;
    return true;
  }

  output_row row() const noexcept {
    output_row out;  // every column is written: no zeroing first
    write_row(out.data());
    return out;
  }

  template <class Emit>
  RILL_STAGE_INLINE void operator()(const input_type &in, Emit &&emit) noexcept {
    if (!push(in.x, in.time_ns)) return;
    output_type out{in.id, in.time_ns, row()};
    emit(out);
  }
  /// The stage's call with the row written at `out[0, output_width)` instead of
  /// emitted, as `assemble` uses it. False if the NaN policy skipped the row.
  RILL_STAGE_INLINE bool emit_into(const input_type &in, T *out) noexcept {
    if (!push(in.x, in.time_ns)) return false;
    write_row(out);
    return true;
  }

  Acc mean(std::size_t i) const noexcept { return mean_[i]; }
  /// Need variance, stddev or zscore in `Stats`.
  Acc variance(std::size_t i) const noexcept requires wants_variance { return var_[i]; }
  Acc stddev(std::size_t i) const noexcept requires wants_variance { return std::sqrt(var_[i]); }
  std::uint64_t pushes() const noexcept { return seen_; }
  std::uint64_t out_of_order() const noexcept { return out_of_order_; }
  const nan_counters &counters() const noexcept { return counters_; }
  /// Forgets every row and counter, keeping the configuration. O(D).
  void reset() noexcept { *this = ewm(alpha_, half_life_ns_, policy_, replacement_); }

 private:
  ewm(Acc alpha, std::int64_t half_life_ns, nan_policy policy, Acc replacement) noexcept
      : alpha_(alpha), half_life_ns_(half_life_ns), policy_(policy), replacement_(replacement) {}

  // The weight of a row when it is not simply the fading factor: 1 for the first row
  // (with a fading factor, every later row then has alpha_), or from the half-life.
  Acc weight_of(std::int64_t time_ns) noexcept {
    if (half_life_ns_ == 0) {
      steady_ = true;
      return Acc(1);
    }
    if (seen_ == 0) {
      total_weight_ = 1;
    } else {
      std::int64_t dt = time_ns - last_time_;
      if (dt < 0) {
        ++out_of_order_;
        dt = 0;
      }
      const Acc decay = std::exp2(-static_cast<Acc>(dt) / static_cast<Acc>(half_life_ns_));
      total_weight_ = total_weight_ * decay + 1;
    }
    if (time_ns > last_time_ || seen_ == 0) last_time_ = time_ns;
    return Acc(1) / total_weight_;
  }

  void write_row(T *out) const noexcept {
    const batch zero(Acc(0));
    detail::column_writer<T, D, batch> emit_block(out);
    auto m = [&](std::size_t b) { return batch::load_aligned(mean_.data() + b); };
    auto v = [&](std::size_t b) { return batch::load_aligned(var_.data() + b); };
    if constexpr (has(Stats, stat::mean)) emit_block(m);
    if constexpr (has(Stats, stat::variance)) emit_block(v);
    if constexpr (has(Stats, stat::stddev)) emit_block.sqrt_of(v);
    if constexpr (has(Stats, stat::zscore)) {
      emit_block([&](std::size_t b) {
        const batch sd = xsimd::sqrt(v(b));
        const batch z = (batch::load_aligned(last_.data() + b) - m(b)) / sd;
        return xsimd::select(sd > zero, z, zero);
      });
    }
  }

  row_acc mean_{};
  row_acc var_{};
  row_acc last_{};
  Acc alpha_;
  Acc not_alpha_ = Acc(1) - alpha_;
  bool steady_ = false;  // a fading factor past its first row: every weight is alpha_
  Acc total_weight_ = 0;
  std::int64_t half_life_ns_;
  std::int64_t last_time_ = 0;
  std::uint64_t seen_ = 0;
  std::uint64_t out_of_order_ = 0;
  nan_policy policy_;
  Acc replacement_;
  nan_counters counters_{};
};

RILL_NAMESPACE_END
