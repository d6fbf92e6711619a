// Sliding time windows: statistics of the events of the last `span` nanoseconds
// of event time, for all D features at once, in a fixed-capacity ring.
#pragma once

#include <array>
#include <cmath>
#include <cstddef>
#include <cstdint>
#include <limits>
#include <stdexcept>
#include <string>
#include <type_traits>

#include "rill/config.hpp"
#include "rill/core/event.hpp"
#include "rill/window/lanes.hpp"
#include "rill/window/nan_policy.hpp"
#include "rill/window/rolling.hpp"

RILL_NAMESPACE_BEGIN
namespace detail {

/// Sliding max (`IsMax`) or min of Dp lanes over a FIFO window of rows kept in
/// the caller's ring (row with sequence s in slot s % Cap), evicted a
/// data-dependent number at a time: the two-stacks method, the variable-window
/// form of the block kernel in extrema.hpp. Rows [head, split) are the front,
/// with suffix extremes sfx_ (extreme of rows [s, split)); rows [split, next)
/// are the back, with their running extreme back_. The window's extreme is
/// op(sfx_[head], back_). When a pop finds the front empty, the whole window
/// becomes the front in one backward pass. Every branch depends on counts
/// only, never on values, and every op is SIMD across features (a monotonic
/// deque per feature would be neither). push/get: O(Dp); pop: O(Dp)
/// amortised, O(n·Dp) for the pop that flips n rows (at most once per n pops).
/// No allocation.
template <class Acc, std::size_t Dp, std::size_t Cap, bool IsMax, class Arch>
struct fifo_extrema {
  using batch = xsimd::batch<Acc, Arch>;
  static constexpr std::size_t W = batch::size;

  lane_row<Acc, Dp> back_{};
  std::array<lane_row<Acc, Dp>, Cap> sfx_{};
  std::uint64_t split_ = 0;

  static RILL_ALWAYS_INLINE batch op(const batch &a, const batch &b) noexcept {
    if constexpr (IsMax) {
      return xsimd::max(a, b);
    } else {
      return xsimd::min(a, b);
    }
  }
  static std::size_t slot(std::uint64_t seq) noexcept {
    return static_cast<std::size_t>(seq % Cap);
  }

  /// Takes row `x`, which gets sequence `seq` (the window's next).
  RILL_ALWAYS_INLINE void push(const lane_row<Acc, Dp> &x, std::uint64_t seq) noexcept {
    if (seq == split_) {
      back_ = x;
      return;
    }
    for (std::size_t b = 0; b < Dp; b += W) {
      op(batch::load_aligned(back_.data() + b), batch::load_aligned(x.data() + b))
          .store_aligned(back_.data() + b);
    }
  }
  /// Called before the row `head` (< next) leaves.
  RILL_ALWAYS_INLINE void pop(std::uint64_t head, std::uint64_t next,
                              const std::array<lane_row<Acc, Dp>, Cap> &ring) noexcept {
    if (head != split_) return;
    // The front is empty: every row of the window moves to it. Row `head`
    // leaves right after, so its own suffix is never read and not computed.
    sfx_[slot(next - 1)] = ring[slot(next - 1)];
    for (std::uint64_t s = next - 1; s-- > head + 1;) {
      const auto &row = ring[slot(s)];
      const auto &after = sfx_[slot(s + 1)];
      auto &out = sfx_[slot(s)];
      for (std::size_t b = 0; b < Dp; b += W) {
        op(batch::load_aligned(row.data() + b), batch::load_aligned(after.data() + b))
            .store_aligned(out.data() + b);
      }
    }
    split_ = next;
  }
  /// The window [head, next) is empty from now on.
  void clear(std::uint64_t next) noexcept { split_ = next; }
  /// Extreme of lanes [b, b + W) of the non-empty window [head, next).
  RILL_ALWAYS_INLINE batch get(std::uint64_t head, std::uint64_t next,
                               std::size_t b) const noexcept {
    if (head == split_) return batch::load_aligned(back_.data() + b);
    const batch front = batch::load_aligned(sfx_[slot(head)].data() + b);
    if (split_ == next) return front;
    return op(front, batch::load_aligned(back_.data() + b));
  }
};

}  // namespace detail

/// Statistics of the events whose time lies in (now - span, now], where `now`
/// is the largest event time seen (the watermark), over `D` features: the
/// statistics of `rill::stat` (count, sum, mean, variance/std with the ddof
/// chosen at construction, min, max, z-score of the newest row), selected at
/// compile time exactly as for `rill::rolling`.
///
/// Capacity. The window holds at most `Capacity` events, inline. When an event
/// arrives while `Capacity` events are still inside the span, the oldest one
/// is evicted early and counted in `overflowed()`; the statistics are then
/// those of the newest `Capacity` events of the span. Size `Capacity` for the
/// peak event rate times the span if overflow must not happen.
///
/// Event time. Events are expected in time order. An event older than `now`
/// but inside the span (time > now - span) is taken in as if it arrived at
/// `now` (it leaves the window with the events of `now`, at most span - (now -
/// time) late) and counted in `out_of_order()`. An event at or before now -
/// span is outside the window already: it is not taken in, the stage emits
/// nothing for it and it is counted in `late_dropped()`. Ties are allowed.
/// `advance_to(t)` moves `now` forward without an event (idle streams).
///
/// NaN/Inf: `nan_policy` (see nan_policy.hpp). Lateness is judged before the
/// NaN screen; a row skipped for NaN still advances `now`. With `propagate`, a
/// non-finite value makes that feature's moments non-finite until at most two
/// window turnovers after it left (the rebuilds below drop it); min/max of that
/// feature are unspecified while it is inside.
///
/// Numerics: sums are kept in `Acc` (double by default) shifted by a
/// per-feature centre and updated by add-new/remove-old. Alongside, fresh sums
/// accumulate every row pushed since a mark; once every row older than the mark
/// has left (a turnover: at most `Capacity` evictions), the fresh sums hold
/// exactly the window and replace the running ones, re-centred on the window's
/// mean. So rounding error never outlives about 2·Capacity updates however long
/// the stream, as in `rolling`, and the rebuild is O(D), never a recompute over
/// the rows. A window that empties (a gap longer than the span) restarts from
/// exact zeros. min/max are exact, by the two-stacks method (fifo_extrema
/// above): SIMD across features with branches that depend on counts only. A
/// monotonic deque per feature (rill::monotonic_ring) gives the same answers
/// but its pops are data-dependent branches per feature: measured about 11x
/// slower at D = 16 (docs/windows.md).
///
/// Cost per push: O(D) SIMD for the moments and for each extreme, plus O(D)
/// per evicted event (amortised O(D) per push; one push after a gap longer
/// than the span clears everything in O(D)). Worst case of one push:
/// O(Capacity·D), when it expires Capacity - 1 events but not the last, or an
/// eviction finds the min/max front stack empty and rebuilds it from the n
/// events inside (once per n evictions at most). Memory: Capacity rows of Acc
/// (padded to whole registers) and Capacity times, plus Capacity + 1 rows per
/// extreme; inline, never allocates; trivially copyable. One thread owns it.
template <std::size_t D, std::size_t Capacity,
          stat Stats =
              stat::count | stat::sum | stat::mean | stat::variance | stat::min | stat::max,
          class T = float, class Acc = double, class Arch = detail::simd::default_arch>
class time_window {
  static_assert(Capacity > 0, "rill::time_window needs a capacity of at least one event");
  static_assert(static_cast<unsigned>(Stats) != 0,
                "rill::time_window needs at least one statistic");
  static_assert(std::is_floating_point_v<Acc>,
                "rill::time_window accumulates in a floating-point type");

  using layout = detail::lane_layout<Acc, D, Arch>;
  using batch = typename layout::batch;
  static constexpr std::size_t W = layout::width;
  static constexpr std::size_t Dp = layout::padded;
  using row_acc = detail::lane_row<Acc, Dp>;

  static constexpr bool moments = detail::needs_moments(Stats);
  static constexpr bool want_min = has(Stats, stat::min);
  static constexpr bool want_max = has(Stats, stat::max);

  struct moment_state {
    row_acc centre{}, s1{}, s2{}, f1{}, f2{};
  };
  template <bool IsMax>
  using extrema = detail::fifo_extrema<Acc, Dp, Capacity, IsMax, Arch>;
  using moments_t = std::conditional_t<moments, moment_state, detail::no_state>;
  using min_t = std::conditional_t<want_min, extrema<false>, detail::no_state>;
  using max_t = std::conditional_t<want_max, extrema<true>, detail::no_state>;

 public:
  static constexpr std::size_t width = D;
  static constexpr std::size_t capacity = Capacity;
  static constexpr std::size_t output_width = stat_columns(Stats, D);
  using input_type = event<D, T>;
  using output_type = event<output_width, T>;
  using output_row = feature_row<T, output_width>;

  /// `span_ns` (> 0): the window is (now - span_ns, now]. `ddof`: variance
  /// divisor is n - ddof (0 while n <= ddof). Throws std::invalid_argument
  /// naming `span_ns` if it is not positive. O(1), no allocation.
  explicit time_window(std::int64_t span_ns, unsigned ddof = 1,
                       nan_policy policy = nan_policy::propagate, Acc replacement = Acc(0))
      : span_(checked_span(span_ns)), ddof_(ddof), policy_(policy), replacement_(replacement) {}

  /// Takes row `x` observed at `time_ns`; false if it was dropped as late or
  /// skipped by the NaN policy. O(D) amortised (see the class comment).
  RILL_STAGE_INLINE bool push(const feature_row<T, D> &x, std::int64_t time_ns) noexcept {
    ++pushes_;
    if (started_ && time_ns < now_) {
      if (expired(time_ns, now_)) {
        ++late_dropped_;
        return false;
      }
      ++out_of_order_;
      time_ns = now_;
    }
    advance_to(time_ns);
    row_acc v;
    if (!detail::screen_row<Acc, Arch>(x, policy_, replacement_, v, counters_)) return false;
    if (size() == Capacity) {
      evict_oldest();
      ++overflowed_;
    }
    add(v, time_ns);
    return true;
  }

  /// Moves `now` to `time_ns` if that is later and expires the events that
  /// left the window. O(D) per expired event; O(D) if all expire.
  void advance_to(std::int64_t time_ns) noexcept {
    if (started_ && time_ns <= now_) return;
    now_ = time_ns;
    started_ = true;
    if (head_ == next_) return;
    if (expired(times_[slot_of(next_ - 1)], now_)) {
      clear_rows();  // a gap longer than the span: restart from exact zeros
      return;
    }
    while (expired(times_[slot_of(head_)], now_)) evict_oldest();
  }

  /// The current statistics as the row this stage emits. O(D).
  output_row row() const noexcept {
    output_row out;  // every column is written: no zeroing first
    write_row(out);
    return out;
  }

  template <class Emit>
  RILL_STAGE_INLINE void operator()(const input_type &in, Emit &&emit) noexcept {
    if (!push(in.x, in.time_ns)) return;
    output_type out{in.id, in.time_ns, row()};
    emit(out);
  }

  /// Events in the window now.
  std::size_t size() const noexcept { return static_cast<std::size_t>(next_ - head_); }
  std::size_t count() const noexcept { return size(); }
  /// The watermark (largest event time seen); 0 before the first event.
  std::int64_t now() const noexcept { return now_; }
  std::int64_t span() const noexcept { return span_; }
  unsigned ddof() const noexcept { return ddof_; }
  /// Calls of push() (and of the stage) since construction or reset.
  std::uint64_t pushes() const noexcept { return pushes_; }
  /// Events evicted before they left the span because the window was full.
  std::uint64_t overflowed() const noexcept { return overflowed_; }
  /// Events taken in although older than `now` (their time was raised to now).
  std::uint64_t out_of_order() const noexcept { return out_of_order_; }
  /// Events not taken in because they were at or before now - span.
  std::uint64_t late_dropped() const noexcept { return late_dropped_; }
  const nan_counters &counters() const noexcept { return counters_; }

  /// Per-feature accessors, O(1); 0 for an empty window. Each needs its
  /// statistic family in `Stats` (moments for sum/mean/variance/stddev, min,
  /// max).
  Acc sum(std::size_t i) const noexcept requires moments {
    return ms_.s1[i] + static_cast<Acc>(size()) * ms_.centre[i];
  }
  Acc mean(std::size_t i) const noexcept requires moments {
    const std::size_t n = size();
    return n ? ms_.centre[i] + ms_.s1[i] / static_cast<Acc>(n) : Acc(0);
  }
  Acc variance(std::size_t i) const noexcept requires moments {
    const std::size_t n = size();
    if (n <= ddof_) return Acc(0);
    const Acc m2 = ms_.s2[i] - ms_.s1[i] * ms_.s1[i] / static_cast<Acc>(n);
    return m2 > 0 ? m2 / static_cast<Acc>(n - ddof_) : Acc(0);
  }
  Acc stddev(std::size_t i) const noexcept requires moments { return std::sqrt(variance(i)); }
  Acc min(std::size_t i) const noexcept requires want_min { return lane_of(mins_, i); }
  Acc max(std::size_t i) const noexcept requires want_max { return lane_of(maxs_, i); }

  /// Empties the window and zeroes the counters, keeping the configuration.
  /// O(Capacity·D).
  void reset() noexcept { *this = time_window(span_, ddof_, policy_, replacement_, 0); }

 private:
  time_window(std::int64_t span_ns, unsigned ddof, nan_policy policy, Acc replacement, int) noexcept
      : span_(span_ns), ddof_(ddof), policy_(policy), replacement_(replacement) {}

  template <class E>
  Acc lane_of(const E &e, std::size_t i) const noexcept {
    if (head_ == next_) return Acc(0);
    alignas(64) std::array<Acc, W> tmp;
    e.get(head_, next_, i / W * W).store_aligned(tmp.data());
    return tmp[i % W];
  }

  static std::int64_t checked_span(std::int64_t span_ns) {
    if (span_ns <= 0) {
      throw std::invalid_argument("rill::time_window: span_ns must be > 0, got " +
                                  std::to_string(span_ns));
    }
    return span_ns;
  }

  // t <= now - span, written so that it cannot overflow.
  bool expired(std::int64_t t, std::int64_t now) const noexcept {
    return now >= std::numeric_limits<std::int64_t>::min() + span_ && t <= now - span_;
  }
  static std::size_t slot_of(std::uint64_t seq) noexcept {
    return static_cast<std::size_t>(seq % Capacity);
  }

  void add(const row_acc &x, std::int64_t time_ns) noexcept {
    const std::size_t slot = slot_of(next_);
    if constexpr (moments) {
      for (std::size_t b = 0; b < Dp; b += W) {
        const batch d =
            batch::load_aligned(x.data() + b) - batch::load_aligned(ms_.centre.data() + b);
        (batch::load_aligned(ms_.s1.data() + b) + d).store_aligned(ms_.s1.data() + b);
        xsimd::fma(d, d, batch::load_aligned(ms_.s2.data() + b)).store_aligned(ms_.s2.data() + b);
        (batch::load_aligned(ms_.f1.data() + b) + d).store_aligned(ms_.f1.data() + b);
        xsimd::fma(d, d, batch::load_aligned(ms_.f2.data() + b)).store_aligned(ms_.f2.data() + b);
      }
    }
    ring_[slot] = x;
    times_[slot] = time_ns;
    if constexpr (want_min) mins_.push(x, next_);
    if constexpr (want_max) maxs_.push(x, next_);
    ++next_;
    if constexpr (moments) {
      if (head_ >= mark_) rebuild();
    }
  }

  void evict_oldest() noexcept {
    if constexpr (moments) {
      const row_acc &o = ring_[slot_of(head_)];
      const bool fresh = head_ >= mark_;
      for (std::size_t b = 0; b < Dp; b += W) {
        const batch d =
            batch::load_aligned(o.data() + b) - batch::load_aligned(ms_.centre.data() + b);
        (batch::load_aligned(ms_.s1.data() + b) - d).store_aligned(ms_.s1.data() + b);
        xsimd::fnma(d, d, batch::load_aligned(ms_.s2.data() + b)).store_aligned(ms_.s2.data() + b);
        if (fresh) {
          (batch::load_aligned(ms_.f1.data() + b) - d).store_aligned(ms_.f1.data() + b);
          xsimd::fnma(d, d, batch::load_aligned(ms_.f2.data() + b))
              .store_aligned(ms_.f2.data() + b);
        }
      }
    }
    if constexpr (want_min) mins_.pop(head_, next_, ring_);
    if constexpr (want_max) maxs_.pop(head_, next_, ring_);
    ++head_;
  }

  void clear_rows() noexcept {
    head_ = next_;
    if constexpr (moments) {
      ms_.s1 = ms_.s2 = ms_.f1 = ms_.f2 = row_acc{};
      mark_ = next_;
    }
    if constexpr (want_min) mins_.clear(next_);
    if constexpr (want_max) maxs_.clear(next_);
  }

  // Every row older than the mark has left: f1/f2 are the shifted sums of
  // exactly the rows in the window. Adopt them, re-centred on the window mean
  // (same algebra as rolling::rebuild: with δ = c' - c as stored, Σ(x-c') = f1
  // - nδ and Σ(x-c')² = f2 - δ·(2·f1 - nδ)), and start a new mark.
  void rebuild() noexcept {
    const batch n(static_cast<Acc>(size()));
    for (std::size_t b = 0; b < Dp; b += W) {
      const batch f1 = batch::load_aligned(ms_.f1.data() + b);
      const batch f2 = batch::load_aligned(ms_.f2.data() + b);
      const batch c = batch::load_aligned(ms_.centre.data() + b);
      // A non-finite window (policy propagate) keeps the old centre, so the
      // centre itself is never poisoned.
      const batch c2 = c + f1 / n;
      const batch c3 = xsimd::select(xsimd::isfinite(c2), c2, c);
      const batch delta = c3 - c;
      c3.store_aligned(ms_.centre.data() + b);
      xsimd::fnma(n, delta, f1).store_aligned(ms_.s1.data() + b);
      xsimd::fnma(delta, xsimd::fnma(n, delta, f1 + f1), f2).store_aligned(ms_.s2.data() + b);
    }
    ms_.f1 = row_acc{};
    ms_.f2 = row_acc{};
    mark_ = next_;
  }

  template <class Out>
  void write_row(Out &out) const noexcept {
    std::size_t col = 0;
    const std::size_t n = size();
    if constexpr (has(Stats, stat::count)) out[col++] = static_cast<T>(n);
    detail::column_writer<T, D, batch> emit_block(out.data(), col);
    if constexpr (moments) {
      const detail::shifted_moments<batch, Acc> m(ms_.s1.data(), ms_.s2.data(),
                                                  ms_.centre.data(), n, ddof_);
      m.template emit<Stats>(emit_block);
      if constexpr (want_min) emit_block([&](std::size_t b) { return extreme(mins_, b); });
      if constexpr (want_max) emit_block([&](std::size_t b) { return extreme(maxs_, b); });
      if constexpr (has(Stats, stat::zscore)) {
        emit_block([&](std::size_t b) {
          return n ? m.zscore(ring_[slot_of(next_ - 1)].data(), b) : batch(Acc(0));
        });
      }
    } else {
      if constexpr (want_min) emit_block([&](std::size_t b) { return extreme(mins_, b); });
      if constexpr (want_max) emit_block([&](std::size_t b) { return extreme(maxs_, b); });
    }
  }

  template <class E>
  batch extreme(const E &e, std::size_t b) const noexcept {
    return head_ == next_ ? batch(Acc(0)) : e.get(head_, next_, b);
  }

  std::array<row_acc, Capacity> ring_{};
  std::array<std::int64_t, Capacity> times_{};
  [[no_unique_address]] moments_t ms_{};
  [[no_unique_address]] min_t mins_{};
  [[no_unique_address]] max_t maxs_{};
  std::uint64_t head_ = 0;  // sequence number of the oldest event inside
  std::uint64_t next_ = 0;  // sequence number the next event gets
  std::uint64_t mark_ = 0;  // f1/f2 hold the rows with sequence >= mark_
  std::int64_t now_ = 0;
  bool started_ = false;
  std::int64_t span_;
  unsigned ddof_;
  nan_policy policy_;
  Acc replacement_;
  std::uint64_t pushes_ = 0;
  std::uint64_t overflowed_ = 0;
  std::uint64_t out_of_order_ = 0;
  std::uint64_t late_dropped_ = 0;
  nan_counters counters_{};
};

RILL_NAMESPACE_END
