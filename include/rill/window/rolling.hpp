// Count windows: statistics of the last N rows, for all D features at once.
#pragma once

#include <array>
#include <bit>
#include <cmath>
#include <cstddef>
#include <cstdint>
#include <type_traits>

#include "rill/config.hpp"
#include "rill/core/event.hpp"
#include "rill/window/extrema.hpp"
#include "rill/window/lanes.hpp"
#include "rill/window/nan_policy.hpp"

RILL_NAMESPACE_BEGIN

/// Statistics a window can compute. Combine with `|`; a window computes and
/// stores only what its set names.
enum class stat : unsigned {
  count = 1u << 0,     ///< rows in the window (one column, not one per feature)
  sum = 1u << 1,       ///< per feature
  mean = 1u << 2,      ///< per feature
  variance = 1u << 3,  ///< per feature, with the window's ddof
  stddev = 1u << 4,    ///< sqrt(variance)
  min = 1u << 5,       ///< per feature, exact
  max = 1u << 6,       ///< per feature, exact
  zscore = 1u << 7,    ///< (newest - mean) / stddev, 0 while stddev is 0
};
constexpr stat operator|(stat a, stat b) noexcept {
  return static_cast<stat>(static_cast<unsigned>(a) | static_cast<unsigned>(b));
}
/// True when set `s` contains every statistic of `which`.
constexpr bool has(stat s, stat which) noexcept {
  return (static_cast<unsigned>(s) & static_cast<unsigned>(which)) == static_cast<unsigned>(which);
}
/// Columns of the row a window with set `s` over D features emits: one for
/// `count`, D for every other statistic, in the order of the enumerators.
constexpr std::size_t stat_columns(stat s, std::size_t d) noexcept {
  const unsigned bits = static_cast<unsigned>(s);
  return (bits & 1u) + static_cast<std::size_t>(std::popcount(bits & ~1u)) * d;
}
/// First column of statistic `which` (one enumerator) in that row.
constexpr std::size_t stat_column(stat s, stat which, std::size_t d) noexcept {
  const unsigned before = static_cast<unsigned>(s) & (static_cast<unsigned>(which) - 1u);
  return (before & 1u) + static_cast<std::size_t>(std::popcount(before & ~1u)) * d;
}

namespace detail {
constexpr bool needs_moments(stat s) noexcept {
  return (static_cast<unsigned>(s) & static_cast<unsigned>(stat::sum | stat::mean | stat::variance |
                                                           stat::stddev | stat::zscore)) != 0;
}

/// The statistics of n rows kept as shifted sums (s1 = Σ(x − c), s2 = Σ(x − c)², centre
/// c), one register at a time: what every window reports from its moments.
template <class Batch, class Acc>
class shifted_moments {
 public:
  shifted_moments(const Acc *s1, const Acc *s2, const Acc *centre, std::size_t n,
                  std::size_t ddof) noexcept
      : shifted_moments(s1, s2, centre, n, inverse(n), inverse(n > ddof ? n - ddof : 0)) {}
  /// With 1/n and 1/(n − ddof) given (a full count window knows them in advance: two
  /// divisions fewer per row).
  shifted_moments(const Acc *s1, const Acc *s2, const Acc *centre, std::size_t n, Acc inv_n,
                  Acc inv_dof) noexcept
      : s1_(s1), s2_(s2), centre_(centre), empty_(n == 0), n_(static_cast<Acc>(n)),
        inv_n_(inv_n), inv_dof_(inv_dof) {}
  static Acc inverse(std::size_t n) noexcept { return n ? Acc(1) / static_cast<Acc>(n) : Acc(0); }

  // The formulas, on registers: a window that has its sums in registers already (a
  // push writing its row as it goes) uses them directly, the same arithmetic.
  static Batch sum_of(const Batch &s1, const Batch &c, const Batch &n) noexcept {
    return xsimd::fma(n, c, s1);
  }
  static Batch mean_of(const Batch &s1, const Batch &c, const Batch &inv_n) noexcept {
    return xsimd::fma(s1, inv_n, c);
  }
  static Batch variance_of(const Batch &s1, const Batch &s2, const Batch &inv_n,
                           const Batch &inv_dof) noexcept {
    const Batch m2 = xsimd::fnma(s1 * s1, inv_n, s2);
    return xsimd::max(m2, Batch(Acc(0))) * inv_dof;
  }
  /// (x − mean) / sd, written on the shifted values; 0 where sd is 0.
  static Batch zscore_of(const Batch &x, const Batch &s1, const Batch &c, const Batch &inv_n,
                         const Batch &sd) noexcept {
    const Batch z = (x - c - s1 * inv_n) / sd;
    return xsimd::select(sd > Batch(Acc(0)), z, Batch(Acc(0)));
  }

  Batch sum(std::size_t b) const noexcept { return sum_of(s1(b), centre(b), n_); }
  Batch mean(std::size_t b) const noexcept {
    return empty_ ? Batch(Acc(0)) : mean_of(s1(b), centre(b), inv_n_);
  }
  Batch variance(std::size_t b) const noexcept {
    return variance_of(s1(b), Batch::load_aligned(s2_ + b), inv_n_, inv_dof_);
  }
  Batch stddev(std::size_t b) const noexcept { return xsimd::sqrt(variance(b)); }
  /// The z-score of row `x`.
  Batch zscore(const Acc *x, std::size_t b) const noexcept {
    return zscore_of(Batch::load_aligned(x + b), s1(b), centre(b), inv_n_, stddev(b));
  }

  /// Emits sum, mean, variance and stddev as `Stats` asks, in the windows' column order.
  template <stat Stats, class EmitBlock>
  void emit(EmitBlock &&emit_block) const noexcept {
    if constexpr (has(Stats, stat::sum)) emit_block([&](std::size_t b) { return sum(b); });
    if constexpr (has(Stats, stat::mean)) emit_block([&](std::size_t b) { return mean(b); });
    if constexpr (has(Stats, stat::variance))
      emit_block([&](std::size_t b) { return variance(b); });
    if constexpr (has(Stats, stat::stddev))
      emit_block.sqrt_of([&](std::size_t b) { return variance(b); });
  }

 private:
  Batch s1(std::size_t b) const noexcept { return Batch::load_aligned(s1_ + b); }
  Batch centre(std::size_t b) const noexcept { return Batch::load_aligned(centre_ + b); }

  const Acc *s1_, *s2_, *centre_;
  bool empty_;
  Batch n_, inv_n_, inv_dof_;
};
}  // namespace detail

/// The last `N` rows of `D` features: count, sum, mean, variance/std (ddof
/// chosen at construction, River's default 1), min, max and z-score of the
/// newest row, for every feature at once (structure of arrays, xsimd across
/// features).
///
/// As a stage: takes `event<D, T>`, emits `event<stat_columns(Stats, D), T>`
/// with the same id and time, columns grouped by statistic (all means, then all
/// variances, ...) in the order of `rill::stat`. Before N rows have arrived the
/// window is the rows so far (River's rolling semantics).
///
/// Numerics: sums are kept in `Acc` (double by default) shifted by a
/// per-feature centre, updated by add-new/remove-old, and rebuilt exactly from
/// the N rows of each completed block of N pushes, at which point the centre
/// moves to the block mean. The block's sums are accumulated alongside, one add
/// per push, so no push costs more than another; with min or max, whose
/// backward pass already reads the block every N pushes, they are summed in that
/// pass instead. So rounding error never carries over more than 2N updates,
/// however long the stream. After a level shift of J,
/// variance carries an absolute error of about N·eps·J² for up to 3N pushes
/// (until a block that began after the shift has set the centre), then returns
/// to N·eps·spread². min/max are exact (see extrema.hpp).
///
/// Cost per push: O(D) with a few SIMD ops per register of features; min/max
/// add an O(N·D) backward pass once every N pushes (the worst case, out of
/// line). The pushes while the window fills and at a block's last slot are out of
/// line too (a call each: with N = 1 every push, with N = 2 every other one). Memory: N
/// rows of Acc plus N + 1 more per extreme, inline; never allocates; trivially
/// copyable. One thread owns it.
template <std::size_t D, std::size_t N, stat Stats, class T = float, class Acc = double,
          class Arch = detail::simd::default_arch>
class rolling {
  static_assert(N > 0, "rill::rolling needs a window of at least one row (N > 0)");
  static_assert(static_cast<unsigned>(Stats) != 0, "rill::rolling needs at least one statistic");
  static_assert(std::is_floating_point_v<Acc>,
                "rill::rolling accumulates in a floating-point type");

  using layout = detail::lane_layout<Acc, D, Arch>;
  using batch = typename layout::batch;
  static constexpr std::size_t W = layout::width;
  static constexpr std::size_t Dp = layout::padded;
  using row_acc = detail::lane_row<Acc, Dp>;

  static constexpr bool moments = detail::needs_moments(Stats);
  static constexpr bool want_min = has(Stats, stat::min);
  static constexpr bool want_max = has(Stats, stat::max);
  // With min or max, every N-th push already reads the whole ring backwards; the
  // block's shifted sums are taken in that pass instead of by every push (which
  // cost two loads and two stores per register of features).
  static constexpr bool sums_in_pass = moments && (want_min || want_max);

  struct moment_state {
    row_acc centre{}, s1{}, s2{};
  };
  struct moment_state_with_block_sums : moment_state {
    row_acc f1{}, f2{};  // the current block's shifted sums, accumulated per push
  };
  using moments_t = std::conditional_t<
      moments, std::conditional_t<sums_in_pass, moment_state, moment_state_with_block_sums>,
      detail::no_state>;
  using min_t = std::conditional_t<want_min, detail::block_extrema<Acc, Dp, N, false, Arch>,
                                   detail::no_state>;
  using max_t =
      std::conditional_t<want_max, detail::block_extrema<Acc, Dp, N, true, Arch>, detail::no_state>;

 public:
  static constexpr std::size_t width = D;
  static constexpr std::size_t capacity = N;
  static constexpr std::size_t output_width = stat_columns(Stats, D);
  using input_type = event<D, T>;
  using output_type = event<output_width, T>;
  using output_row = feature_row<T, output_width>;

  /// `ddof`: variance divisor is n - ddof (0 while n <= ddof). O(1), no
  /// allocation.
  constexpr explicit rolling(unsigned ddof = 1, nan_policy policy = nan_policy::propagate,
                             Acc replacement = Acc(0)) noexcept
      : ddof_(ddof), policy_(policy), replacement_(replacement) {}

  /// Takes one row into the window; false if the NaN policy skipped it. O(D).
  RILL_STAGE_INLINE bool push(const feature_row<T, D> &x) noexcept {
    return take<false>(x, nullptr);
  }

  /// The current statistics as the row this stage emits. O(D).
  output_row row() const noexcept {
    output_row out;  // every column is written: no zeroing first
    write_row(out.data());
    return out;
  }

  template <class Emit>
  RILL_STAGE_INLINE void operator()(const input_type &in, Emit &&emit) noexcept {
    if (!push(in.x)) return;
    output_type out{in.id, in.time_ns, row()};
    emit(out);
  }
  /// The stage's call with the row written at `out[0, output_width)` instead of
  /// emitted: how `assemble` has its parts fill its row in place. False (nothing
  /// written) if the NaN policy skipped the row. `out` must not overlap `in`.
  RILL_STAGE_INLINE bool emit_into(const input_type &in, T *out) noexcept {
    return take<true>(in.x, out);
  }

  /// Rows in the window, min(pushes, N).
  std::size_t count() const noexcept { return seen_ < N ? static_cast<std::size_t>(seen_) : N; }
  /// Rows taken in since construction or reset.
  std::uint64_t pushes() const noexcept { return seen_; }
  const nan_counters &counters() const noexcept { return counters_; }
  unsigned ddof() const noexcept { return ddof_; }

  /// Per-feature accessors, O(1). Each needs the statistic family in `Stats`
  /// (moments for sum/mean/variance/stddev/zscore, min, max).
  Acc sum(std::size_t i) const noexcept requires moments {
    return ms_.s1[i] + static_cast<Acc>(count()) * ms_.centre[i];
  }
  Acc mean(std::size_t i) const noexcept requires moments {
    const std::size_t n = count();
    return n ? ms_.centre[i] + ms_.s1[i] / static_cast<Acc>(n) : Acc(0);
  }
  Acc variance(std::size_t i) const noexcept requires moments {
    const std::size_t n = count();
    if (n <= ddof_) return Acc(0);
    const Acc m2 = ms_.s2[i] - ms_.s1[i] * ms_.s1[i] / static_cast<Acc>(n);
    return m2 > 0 ? m2 / static_cast<Acc>(n - ddof_) : Acc(0);
  }
  Acc stddev(std::size_t i) const noexcept requires moments { return std::sqrt(variance(i)); }
  Acc min(std::size_t i) const noexcept requires want_min { return lane_of(mins_, i); }
  Acc max(std::size_t i) const noexcept requires want_max { return lane_of(maxs_, i); }

  /// Empties the window and zeroes the counters. O(N·D).
  void reset() noexcept { *this = rolling(ddof_, policy_, replacement_); }

 private:
  template <class E>
  Acc lane_of(const E &e, std::size_t i) const noexcept {
    alignas(64) std::array<Acc, W> tmp;
    e.get(last_slot(), i / W * W).store_aligned(tmp.data());
    return tmp[i % W];
  }
  // The newest row's slot; N - 1 before any push (where get() answers an empty window).
  std::size_t last_slot() const noexcept { return static_cast<std::size_t>((seen_ + N - 1) % N); }

  // Screens row x and pushes it; with Write, also writes the row the stage emits at
  // `out` (which must not overlap x). False if the policy skipped the row.
  template <bool Write>
  RILL_ALWAYS_INLINE bool take(const feature_row<T, D> &x, T *out) noexcept {
    detail::screen_buffer<Acc, Dp> scratch;
    const Acc *v = detail::screened_row<Acc, Arch>(x, policy_, replacement_, scratch, counters_);
    if (v == nullptr) return false;
    push_screened<Write>(v, out);
    return true;
  }

  // The emitted row can be written register by register from what the push has just
  // computed (sums, running extremes, the row) when no conversion or partial register
  // is involved: no reload of what the push stored.
  static constexpr bool writes_in_push = std::is_same_v<T, Acc> && D == Dp;

  // `x`: Dp values, any alignment (the caller's row when it needed no copy). With
  // Write, the row the stage emits goes to `out`: during the push where it can, else
  // after it. A full window's push inside a block is the common one and the only one
  // inline.
  template <bool Write>
  RILL_ALWAYS_INLINE void push_screened(const Acc *x, T *out) noexcept {
    const std::size_t slot = static_cast<std::size_t>(seen_ % N);
    constexpr bool blocks = moments || want_min || want_max;
    if (RILL_UNLIKELY(seen_ < N || (blocks && slot == N - 1))) {
      push_filling_or_ending_block<Write>(x, out);
      return;
    }
    push_registers<Write && writes_in_push, true>(x, slot, out);
    ++seen_;
    if constexpr (Write && !writes_in_push) write_row(out);
  }

  // A push while the window fills or at a block's last slot, out of line (like the
  // pass): the first row becomes the centre, so early sums don't cancel (a non-finite
  // value, policy propagate, must not, or it would poison every later sum), and the
  // divisors follow the count; at a block's last slot the pass changes the sums and the
  // extremes, so the row (with Write) is written after it.
  template <bool Write>
  RILL_NOINLINE void push_filling_or_ending_block(const Acc *x, T *out) noexcept {
    const std::size_t slot = static_cast<std::size_t>(seen_ % N);
    if (seen_ < N) {
      if constexpr (moments) {
        if (seen_ == 0)
          for (std::size_t i = 0; i < Dp; ++i) ms_.centre[i] = std::isfinite(x[i]) ? x[i] : Acc(0);
        using moments_of = detail::shifted_moments<batch, Acc>;
        const std::size_t n = static_cast<std::size_t>(seen_) + 1;
        inv_n_ = moments_of::inverse(n);
        inv_dof_ = moments_of::inverse(n > ddof_ ? n - ddof_ : 0);
      }
      push_registers<false, false>(x, slot, out);
    } else {
      push_registers<false, true>(x, slot, out);
    }
    if constexpr (moments || want_min || want_max) {
      if (slot == N - 1) complete_block();
    }
    ++seen_;
    if constexpr (Write) write_row(out);
  }

  // The push, one register of features at a time, each loaded once; with WriteRow the
  // register's columns of the emitted row are written as soon as they are known.
  // `Full`: the window held N rows before this one (the oldest leaves). WriteRow is only
  // taken with Full.
  template <bool WriteRow, bool Full>
  RILL_ALWAYS_INLINE void push_registers(const Acc *x, std::size_t slot, T *out) noexcept {
    static_assert(Full || !WriteRow);
    if constexpr (WriteRow && has(Stats, stat::count)) out[0] = static_cast<T>(N);
    // Read before the loop: its stores could alias them as far as the compiler knows.
    const batch inv_n(inv_n_), inv_dof(inv_dof_);
    for (std::size_t b = 0; b < Dp; b += W) {
      const batch xb = batch::load_unaligned(x + b);
      batch c, s1, s2, lo, hi;
      if constexpr (moments) {
        c = batch::load_aligned(ms_.centre.data() + b);
        const batch d = xb - c;
        s1 = batch::load_aligned(ms_.s1.data() + b);
        s2 = batch::load_aligned(ms_.s2.data() + b);
        if constexpr (Full) {
          const batch o = batch::load_aligned(ring_[slot].data() + b) - c;
          s1 += d - o;
          s2 = xsimd::fma(d - o, d + o, s2);  // d² - o², factored to round once
        } else {
          s1 += d;
          s2 = xsimd::fma(d, d, s2);
        }
        s1.store_aligned(ms_.s1.data() + b);
        s2.store_aligned(ms_.s2.data() + b);
        if constexpr (!sums_in_pass) {
          (batch::load_aligned(ms_.f1.data() + b) + d).store_aligned(ms_.f1.data() + b);
          xsimd::fma(d, d, batch::load_aligned(ms_.f2.data() + b)).store_aligned(ms_.f2.data() + b);
        }
      }
      xb.store_aligned(ring_[slot].data() + b);
      if constexpr (want_min) lo = mins_.take(b, xb);
      if constexpr (want_max) hi = maxs_.take(b, xb);
      if constexpr (WriteRow) {
        // The same formulas as write_row, on the registers at hand.
        using moments_of = detail::shifted_moments<batch, Acc>;
        auto put = [&](stat which, const batch &v) noexcept {
          v.store_unaligned(out + stat_column(Stats, which, D) + b);
        };
        if constexpr (moments) {
          if constexpr (has(Stats, stat::sum))
            put(stat::sum, moments_of::sum_of(s1, c, batch(static_cast<Acc>(N))));
          if constexpr (has(Stats, stat::mean)) put(stat::mean, moments_of::mean_of(s1, c, inv_n));
          if constexpr (has(Stats, stat::variance) || has(Stats, stat::stddev) ||
                        has(Stats, stat::zscore)) {
            const batch var = moments_of::variance_of(s1, s2, inv_n, inv_dof);
            if constexpr (has(Stats, stat::variance)) put(stat::variance, var);
            if constexpr (has(Stats, stat::stddev) || has(Stats, stat::zscore)) {
              const batch sd = xsimd::sqrt(var);
              if constexpr (has(Stats, stat::stddev)) put(stat::stddev, sd);
              if constexpr (has(Stats, stat::zscore))
                put(stat::zscore, moments_of::zscore_of(xb, s1, c, inv_n, sd));
            }
          }
        }
        if constexpr (want_min) put(stat::min, mins_.get(slot, b, lo));
        if constexpr (want_max) put(stat::max, maxs_.get(slot, b, hi));
      }
    }
  }

  // Every N-th push: the extremes' backward pass and the moments' rebuild over the
  // block just completed. Out of line: it runs once in N pushes, and inlined it
  // crowded the per-push path's registers (and pushed push() itself out of line).
  RILL_NOINLINE void complete_block() noexcept {
    auto backward_pass = [this](auto &&visit) noexcept {
      if constexpr (want_min && want_max)
        detail::complete_blocks(ring_, visit, mins_, maxs_);
      else if constexpr (want_min)
        detail::complete_blocks(ring_, visit, mins_);
      else if constexpr (want_max)
        detail::complete_blocks(ring_, visit, maxs_);
    };
    if constexpr (sums_in_pass) {
      backward_pass(block_sums{*this});
    } else {
      backward_pass(detail::no_row_visitor{});
      if constexpr (moments) {
        for (std::size_t b = 0; b < Dp; b += W)
          rebuild(b, batch::load_aligned(ms_.f1.data() + b),
                  batch::load_aligned(ms_.f2.data() + b));
        ms_.f1 = row_acc{};
        ms_.f2 = row_acc{};
      }
    }
  }

  // Σ(x − c) and Σ(x − c)² of the block's rows, one register of features at a time,
  // summed in the extremes' backward pass (sums_in_pass) in four interleaved
  // partial sums, then rebuilt from.
  struct block_sums {
    struct running {
      batch c, f1[4], f2[4];
      template <std::size_t K>
      RILL_ALWAYS_INLINE void add(const batch &v) noexcept {
        const batch d = v - c;
        f1[K] += d;
        f2[K] = xsimd::fma(d, d, f2[K]);
      }
    };
    rolling &w;
    RILL_ALWAYS_INLINE running begin(std::size_t b) const noexcept {
      const batch zero(Acc(0));
      return {batch::load_aligned(w.ms_.centre.data() + b),
              {zero, zero, zero, zero},
              {zero, zero, zero, zero}};
    }
    RILL_ALWAYS_INLINE void end(std::size_t b, const running &r) const noexcept {
      w.rebuild(b, (r.f1[0] + r.f1[1]) + (r.f1[2] + r.f1[3]),
                (r.f2[0] + r.f2[1]) + (r.f2[2] + r.f2[3]));
    }
  };

  // The window now holds exactly the N rows of the block just completed, and
  // f1/f2 (register b) are their shifted sums from zero: adopt them, re-centred
  // on the block mean. The shift applied is the one actually stored (c' - c
  // after rounding), so the algebra Σ(x-c') = f1 - Nδ, Σ(x-c')² = f2 - 2δ·f1 +
  // Nδ² is exact up to the rounding of those few operations.
  RILL_ALWAYS_INLINE void rebuild(std::size_t b, const batch &f1, const batch &f2) noexcept {
    const batch n(static_cast<Acc>(N));
    const batch c = batch::load_aligned(ms_.centre.data() + b);
    // A non-finite block (policy propagate) keeps its centre, so it cannot
    // poison it.
    const batch mean = f1 / n;
    const batch c2 = xsimd::select(xsimd::isfinite(mean), c + mean, c);
    const batch delta = c2 - c;
    c2.store_aligned(ms_.centre.data() + b);
    xsimd::fnma(n, delta, f1).store_aligned(ms_.s1.data() + b);
    // f2 - 2δ·f1 + Nδ² = f2 - δ·(2·f1 - Nδ)
    xsimd::fnma(delta, xsimd::fnma(n, delta, f1 + f1), f2).store_aligned(ms_.s2.data() + b);
  }

  void write_row(T *out) const noexcept {
    std::size_t col = 0;
    const std::size_t n = count();
    if constexpr (has(Stats, stat::count)) out[col++] = static_cast<T>(n);
    detail::column_writer<T, D, batch> emit_block(out, col);
    if constexpr (moments) {
      using moments_of = detail::shifted_moments<batch, Acc>;
      const moments_of m(ms_.s1.data(), ms_.s2.data(), ms_.centre.data(), n, inv_n_, inv_dof_);
      m.template emit<Stats>(emit_block);
      if constexpr (has(Stats, stat::min))
        emit_block([&](std::size_t b) { return minmax(mins_, b); });
      if constexpr (has(Stats, stat::max))
        emit_block([&](std::size_t b) { return minmax(maxs_, b); });
      if constexpr (has(Stats, stat::zscore)) {
        emit_block([&](std::size_t b) {
          return n ? m.zscore(ring_[last_slot()].data(), b) : batch(Acc(0));
        });
      }
    } else {
      if constexpr (has(Stats, stat::min))
        emit_block([&](std::size_t b) { return minmax(mins_, b); });
      if constexpr (has(Stats, stat::max))
        emit_block([&](std::size_t b) { return minmax(maxs_, b); });
    }
  }

  template <class E>
  batch minmax(const E &e, std::size_t b) const noexcept {
    return e.get(last_slot(), b);
  }

  std::array<row_acc, N> ring_{};
  [[no_unique_address]] moments_t ms_{};
  [[no_unique_address]] min_t mins_{};
  [[no_unique_address]] max_t maxs_{};
  std::uint64_t seen_ = 0;
  unsigned ddof_;
  nan_policy policy_;
  Acc replacement_;
  // 1/n and 1/(n − ddof) for the rows now in the window, set while it fills: a full
  // window's divisors are then known, and a row costs no division and no branch.
  Acc inv_n_ = 0, inv_dof_ = 0;
  nan_counters counters_{};
};

RILL_NAMESPACE_END
