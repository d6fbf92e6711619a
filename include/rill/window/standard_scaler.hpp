// Online standard scaler: z = (x - mean) / std per feature, learning as it goes.
#pragma once

#include <array>
#include <cmath>
#include <cstddef>
#include <cstdint>

#include "rill/config.hpp"
#include "rill/core/event.hpp"
#include "rill/window/lanes.hpp"
#include "rill/window/nan_policy.hpp"

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
/// Complexity O(D) per event, SIMD across features (a division per register to learn,
/// a division and a root to transform); statistics kept in `Acc` (double by default)
/// so that long streams do not lose precision. Never allocates. One thread.
template <std::size_t D, class T = float, class Acc = double,
          class Arch = detail::simd::default_arch>
class standard_scaler {
  using layout = detail::lane_layout<Acc, D, Arch>;
  using batch = typename layout::batch;
  static constexpr std::size_t W = layout::width;
  static constexpr std::size_t Dp = layout::padded;
  using row_acc = detail::lane_row<Acc, Dp>;
  using converted_row = detail::screen_buffer<Acc, Dp>;

 public:
  using input_type = event<D, T>;
  using output_type = event<D, T>;

  /// Takes one row into the running mean and variance.
  RILL_STAGE_INLINE void learn(const feature_row<T, D> &x) noexcept {
    converted_row v;
    detail::convert_row<Acc, Arch>(x, v);
    learn_converted(v);
  }

  /// Scales one row with the statistics learnt so far (does not learn it).
  feature_row<T, D> transform(const feature_row<T, D> &x) const noexcept {
    converted_row v;
    detail::convert_row<Acc, Arch>(x, v);
    return transformed(v);
  }

  template <class Emit>
  RILL_STAGE_INLINE void operator()(const input_type &in, Emit &&emit) noexcept {
    converted_row v;  // converted once for both steps
    detail::convert_row<Acc, Arch>(in.x, v);
    emit(output_type{in.id, in.time_ns, learned_and_transformed(v)});
  }

  /// Rows learnt; `count(i)`: finite values of feature `i` learnt.
  std::uint64_t count() const noexcept { return count_; }
  std::uint64_t count(std::size_t i) const noexcept { return count_ - missed_[i]; }
  /// Non-finite values not learnt, over all features.
  std::uint64_t non_finite() const noexcept { return non_finite_; }
  Acc mean(std::size_t i) const noexcept { return mean_[i]; }
  /// Population variance (ddof = 0) of feature `i`.
  Acc variance(std::size_t i) const noexcept {
    const std::uint64_t n = count(i);
    return n > 0 ? m2_[i] / static_cast<Acc>(n) : Acc(0);
  }
  void reset() noexcept { *this = standard_scaler{}; }

 private:
  // Welford's update of register b with the finite values x, all counted n: the new
  // mean and m2, stored and returned.
  struct moments {
    batch mean, m2;
  };
  RILL_ALWAYS_INLINE moments learn_register(std::size_t b, const batch &x,
                                            const batch &n) noexcept {
    const batch m = batch::load_aligned(mean_.data() + b);
    const batch delta = x - m;
    const batch m_new = m + delta / n;
    m_new.store_aligned(mean_.data() + b);
    const batch m2_new = batch::load_aligned(m2_.data() + b) + delta * (x - m_new);
    m2_new.store_aligned(m2_.data() + b);
    return {m_new, m2_new};
  }
  // (x − mean) / sqrt(m2 / n), 0 where the variance is 0 or there is no count (0 / 0 is
  // NaN, and NaN > 0 is false).
  static RILL_ALWAYS_INLINE batch scaled(const batch &x, const batch &mean, const batch &m2,
                                         const batch &n) noexcept {
    const batch zero(Acc(0));
    const batch var = m2 / n;
    return xsimd::select(var > zero, (x - mean) / xsimd::sqrt(var), zero);
  }
  // The common row: every value finite and every feature learnt from every row so far,
  // so one count serves all lanes. False (nothing learnt) otherwise.
  RILL_ALWAYS_INLINE bool clean(const converted_row &v) const noexcept {
    return non_finite_ == 0 && detail::all_finite_lanes<Acc, Arch, Dp>(v.data());
  }
  RILL_ALWAYS_INLINE void learn_converted(const converted_row &v) noexcept {
    ++count_;
    if (RILL_UNLIKELY(!clean(v))) {
      learn_with_gaps(v);
      return;
    }
    const batch n(rows_as_acc());
    for (std::size_t b = 0; b < Dp; b += W)
      learn_register(b, batch::load_unaligned(v.data() + b), n);
  }
  // The stage's step: learn, then transform from the registers just learnt (no reload
  // of the stored statistics, whose latency sat on every row's path).
  RILL_ALWAYS_INLINE feature_row<T, D> learned_and_transformed(const converted_row &v) noexcept {
    ++count_;
    if (RILL_UNLIKELY(!clean(v))) {
      learn_with_gaps(v);
      return transformed_with_gaps(v);
    }
    const batch n(rows_as_acc());
    feature_row<T, D> out;  // every column is written: no zeroing first
    detail::column_writer<T, D, batch> write(out.data());
    write.paired([&](std::size_t b) {
      const batch x = batch::load_unaligned(v.data() + b);  // finite: a clean row
      const moments s = learn_register(b, x, n);
      return scaled(x, s.mean, s.m2, n);
    });
    return out;
  }

  // A row with a non-finite value, or any row once a feature has missed one: each
  // feature divides by its own count, and a non-finite value changes nothing but the
  // counters. Out of line: a clean stream never comes here.
  RILL_NOINLINE void learn_with_gaps(const converted_row &v) noexcept {
    for (std::size_t i = 0; i < D; ++i) {
      if (!std::isfinite(v[i])) {
        ++missed_[i];
        ++non_finite_;
      }
    }
    row_acc n;
    lane_counts(n);
    const batch zero(Acc(0)), one(Acc(1));
    for (std::size_t b = 0; b < Dp; b += W) {
      const batch x = batch::load_unaligned(v.data() + b);
      const auto ok = xsimd::isfinite(x);
      const batch m = batch::load_aligned(mean_.data() + b);
      const batch delta = xsimd::select(ok, x - m, zero);
      // A feature with no finite value yet has delta 0 and count 0: divide by 1.
      const batch nb = xsimd::max(batch::load_aligned(n.data() + b), one);
      const batch m_new = m + delta / nb;
      m_new.store_aligned(mean_.data() + b);
      (batch::load_aligned(m2_.data() + b) + xsimd::select(ok, delta * (x - m_new), zero))
          .store_aligned(m2_.data() + b);
    }
  }

  // The count of every lane, as Acc (padding lanes count every row).
  void lane_counts(row_acc &n) const noexcept {
    for (std::size_t i = 0; i < Dp; ++i)
      n[i] = static_cast<Acc>(static_cast<std::int64_t>(count_ - (i < D ? missed_[i] : 0)));
  }

  // Every lane scaled, and a non-finite x as it is (never a silent 0), for the next
  // stage's policy. `n_of(b)`: the counts of register b.
  template <class Counts>
  RILL_ALWAYS_INLINE feature_row<T, D> transformed(const converted_row &v,
                                                   Counts &&n_of) const noexcept {
    feature_row<T, D> out;  // every column is written: no zeroing first
    detail::column_writer<T, D, batch> write(out.data());
    write.paired([&](std::size_t b) {
      const batch x = batch::load_unaligned(v.data() + b);
      const batch z = scaled(x, batch::load_aligned(mean_.data() + b),
                             batch::load_aligned(m2_.data() + b), n_of(b));
      return xsimd::select(xsimd::isfinite(x), z, x);
    });
    return out;
  }
  RILL_ALWAYS_INLINE feature_row<T, D> transformed(const converted_row &v) const noexcept {
    if (RILL_UNLIKELY(non_finite_ != 0)) return transformed_with_gaps(v);
    const batch n(rows_as_acc());
    return transformed(v, [&](std::size_t) { return n; });
  }
  RILL_NOINLINE feature_row<T, D> transformed_with_gaps(const converted_row &v) const noexcept {
    row_acc n;
    lane_counts(n);
    return transformed(v, [&](std::size_t b) { return batch::load_aligned(n.data() + b); });
  }
  // Rows learnt, as Acc (a count below 2^63 converts as a signed one: one instruction).
  Acc rows_as_acc() const noexcept { return static_cast<Acc>(static_cast<std::int64_t>(count_)); }

  std::uint64_t count_ = 0, non_finite_ = 0;
  std::array<std::uint64_t, D> missed_{};  // rows whose value of feature i was not finite
  row_acc mean_{};
  row_acc m2_{};
};

RILL_NAMESPACE_END
