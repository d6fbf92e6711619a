// Tumbling and hopping windows in event time: one aggregate row per closed
// window, with allowed lateness, in a fixed number of open windows.
#pragma once

#include <array>
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

/// Open windows a hopping window of `size_ns`, `hop_ns` and `lateness_ns`
/// needs: ceil((size + lateness) / hop) + 1. Use it to choose `MaxOpen`.
constexpr std::int64_t open_windows_needed(std::int64_t size_ns, std::int64_t hop_ns,
                                           std::int64_t lateness_ns) noexcept {
  return (size_ns + lateness_ns + hop_ns - 1) / hop_ns + 1;
}

/// Hopping windows [k·hop, k·hop + size) of event time for every integer k
/// (aligned to time 0; hop == size gives tumbling windows), each reduced to one
/// row of `rill::stat` statistics over `D` features: count, sum, mean,
/// variance/stddev (ddof chosen at construction), min, max. `stat::zscore` has
/// no meaning for a closed window and is a compile error.
///
/// Time and lateness. The watermark is the largest event time seen. An event
/// at time t is accepted if t >= watermark - lateness (so every event not
/// older than the watermark is); it goes into every window containing t, all
/// of which are still open. Accepted events older than the watermark are
/// counted in `out_of_order()`; older than watermark - lateness are dropped and
/// counted in `late_dropped()`. A window closes, and its row is emitted, as
/// soon as watermark - lateness >= its end: no acceptable event can fall into
/// it any more. So `accepted() + late_dropped() + counters().skipped_rows ==
/// pushes()`, and with lateness 0 a window closes on the first event at or
/// after its end. A row skipped by the NaN policy still advances the watermark
/// (its time is valid) and so may close windows. `advance(t, emit)` moves the
/// watermark without an event; `flush(emit)` closes every open window (end of
/// stream).
///
/// Output: `event<stat_columns(Stats, D), T>` with id = the sequence number of
/// the emitted window (0, 1, 2, ... per stage), time_ns = the window's end
/// (exclusive), and x = the statistics, columns grouped by statistic in the
/// order of `rill::stat`, as `rolling` emits them. Windows are emitted in order
/// of their end. Empty windows are not emitted: a gap in the stream emits
/// nothing (and costs nothing), and the id counts emitted windows only.
///
/// Bound. At most ceil((size + lateness) / hop) windows can be open at once;
/// `MaxOpen` must be at least `open_windows_needed(size, hop, lateness)` (one
/// more, for safety), checked at construction. Times are assumed to lie more
/// than size + lateness away from the limits of int64.
///
/// Numerics: each window accumulates from zero, shifted by its first row (no
/// removals, so no cancellation carries over); min/max exact.
///
/// Cost per event: O(ceil(size/hop)·D) (the event updates each of its windows,
/// SIMD across features), plus O(D) per window closed and O(MaxOpen) when any
/// closes. Memory: MaxOpen windows of up to five rows of Acc, inline; never
/// allocates; trivially copyable. One thread owns it.
template <std::size_t D, stat Stats = stat::count | stat::mean | stat::min | stat::max,
          std::size_t MaxOpen = 8, class T = float, class Acc = double,
          class Arch = detail::simd::default_arch>
class hopping_window {
  static_assert(static_cast<unsigned>(Stats) != 0,
                "rill::hopping_window needs at least one statistic");
  static_assert(!has(Stats, stat::zscore),
                "rill::hopping_window emits aggregates of closed windows: stat::zscore (of the "
                "newest row) is not one of them");
  static_assert(MaxOpen >= 2, "rill::hopping_window needs room for at least two open windows");
  static_assert(std::is_floating_point_v<Acc>,
                "rill::hopping_window accumulates in a floating-point type");

  using layout = detail::lane_layout<Acc, D, Arch>;
  using batch = typename layout::batch;
  static constexpr std::size_t W = layout::width;
  static constexpr std::size_t Dp = layout::padded;
  using row_acc = detail::lane_row<Acc, Dp>;

  static constexpr bool moments = detail::needs_moments(Stats);
  static constexpr bool want_min = has(Stats, stat::min);
  static constexpr bool want_max = has(Stats, stat::max);

  struct moment_state {
    row_acc centre, s1, s2;
  };
  struct window_state {
    std::int64_t k = 0;   // window index: start = k·hop
    std::uint64_t n = 0;  // rows in it; 0 = slot free
    [[no_unique_address]] std::conditional_t<moments, moment_state, detail::no_state> ms{};
    [[no_unique_address]] std::conditional_t<want_min, row_acc, detail::no_state> mn{};
    [[no_unique_address]] std::conditional_t<want_max, row_acc, detail::no_state> mx{};
  };

 public:
  static constexpr std::size_t width = D;
  static constexpr std::size_t max_open = MaxOpen;
  static constexpr std::size_t output_width = stat_columns(Stats, D);
  using input_type = event<D, T>;
  using output_type = event<output_width, T>;
  using output_row = feature_row<T, output_width>;

  /// Windows of `size_ns`, starting every `hop_ns` (0 < hop <= size; hop ==
  /// size is tumbling), accepting events up to `lateness_ns` (>= 0) behind the
  /// watermark. Throws std::invalid_argument naming the parameter that is out
  /// of range, or `MaxOpen` if it is below open_windows_needed(). O(MaxOpen).
  hopping_window(std::int64_t size_ns, std::int64_t hop_ns, std::int64_t lateness_ns = 0,
                 unsigned ddof = 1, nan_policy policy = nan_policy::propagate,
                 Acc replacement = Acc(0))
      : size_(size_ns),
        hop_(hop_ns),
        lateness_(lateness_ns),
        ddof_(ddof),
        policy_(policy),
        replacement_(replacement) {
    auto fail = [](const char *what, const std::string &why) {
      throw std::invalid_argument(std::string("rill::hopping_window: ") + what + " " + why);
    };
    if (size_ns <= 0) fail("size_ns", "must be > 0, got " + std::to_string(size_ns));
    if (hop_ns <= 0 || hop_ns > size_ns) {
      fail("hop_ns", "must be in (0, size_ns = " + std::to_string(size_ns) + "], got " +
                         std::to_string(hop_ns));
    }
    if (lateness_ns < 0) fail("lateness_ns", "must be >= 0, got " + std::to_string(lateness_ns));
    const std::int64_t need = open_windows_needed(size_ns, hop_ns, lateness_ns);
    if (need > static_cast<std::int64_t>(MaxOpen)) {
      fail("MaxOpen",
           "(template parameter) must be at least ceil((size_ns + lateness_ns) / "
           "hop_ns) + 1 = " +
               std::to_string(need) + ", is " + std::to_string(MaxOpen));
    }
  }

  /// Tumbling windows: hop == size.
  static hopping_window tumbling(std::int64_t size_ns, std::int64_t lateness_ns = 0,
                                 unsigned ddof = 1, nan_policy policy = nan_policy::propagate,
                                 Acc replacement = Acc(0)) {
    return hopping_window(size_ns, size_ns, lateness_ns, ddof, policy, replacement);
  }

  /// Takes row `x` at `time_ns`: advances the watermark, emits the windows that
  /// close, then adds the row to its windows. Returns false if the row was
  /// dropped as late or skipped by the NaN policy. Cost: see the class comment.
  template <class Emit>
  RILL_STAGE_INLINE bool push(const feature_row<T, D> &x, std::int64_t time_ns, Emit &&emit) noexcept {
    ++pushes_;
    if (started_ && time_ns < watermark_) {
      if (time_ns < watermark_ - lateness_) {
        ++late_dropped_;
        return false;
      }
      ++out_of_order_;
    }
    advance(time_ns, emit);
    row_acc v;
    if (!detail::screen_row<Acc, Arch>(x, policy_, replacement_, v, counters_)) return false;
    ++accepted_;
    const std::int64_t k_hi = floor_div(time_ns, hop_);
    for (std::int64_t k = floor_div(time_ns - size_, hop_) + 1; k <= k_hi; ++k) add(k, v);
    return true;
  }

  template <class Emit>
  RILL_STAGE_INLINE void operator()(const input_type &in, Emit &&emit) noexcept {
    push(in.x, in.time_ns, emit);
  }

  /// Moves the watermark to `time_ns` if that is later and emits the windows
  /// that close. O(MaxOpen + D per window closed).
  template <class Emit>
  void advance(std::int64_t time_ns, Emit &&emit) noexcept {
    if (started_ && time_ns <= watermark_) return;
    watermark_ = time_ns;
    started_ = true;
    // Windows with k·hop + size <= watermark - lateness close.
    close_through(floor_div(watermark_ - lateness_ - size_, hop_), emit);
  }

  /// Closes and emits every open window, in order (end of stream). Events
  /// pushed afterwards open windows afresh. O(MaxOpen + D per window).
  template <class Emit>
  void flush(Emit &&emit) noexcept {
    if (open_ == 0) return;
    std::int64_t hi = lo_;
    for (const auto &w : slots_) {
      if (w.n != 0 && w.k > hi) hi = w.k;
    }
    close_through(hi, emit);
  }

  std::int64_t size_ns() const noexcept { return size_; }
  std::int64_t hop_ns() const noexcept { return hop_; }
  std::int64_t lateness_ns() const noexcept { return lateness_; }
  unsigned ddof() const noexcept { return ddof_; }
  /// Largest event time seen (0 before the first event).
  std::int64_t watermark() const noexcept { return watermark_; }
  /// Windows open now (holding at least one row).
  std::size_t open_windows() const noexcept { return open_; }
  std::uint64_t pushes() const noexcept { return pushes_; }
  /// Rows taken into their windows.
  std::uint64_t accepted() const noexcept { return accepted_; }
  /// Rows older than watermark - lateness, not taken in.
  std::uint64_t late_dropped() const noexcept { return late_dropped_; }
  /// Rows taken in although older than the watermark (within lateness).
  std::uint64_t out_of_order() const noexcept { return out_of_order_; }
  /// Windows emitted so far (the next emitted window gets this id).
  std::uint64_t emitted() const noexcept { return emitted_; }
  const nan_counters &counters() const noexcept { return counters_; }

  /// Forgets every window and counter, keeping the configuration. O(MaxOpen·D).
  void reset() noexcept {
    *this = hopping_window(size_, hop_, lateness_, ddof_, policy_, replacement_, 0);
  }

 private:
  hopping_window(std::int64_t size_ns, std::int64_t hop_ns, std::int64_t lateness_ns, unsigned ddof,
                 nan_policy policy, Acc replacement, int) noexcept
      : size_(size_ns),
        hop_(hop_ns),
        lateness_(lateness_ns),
        ddof_(ddof),
        policy_(policy),
        replacement_(replacement) {}

  static std::int64_t floor_div(std::int64_t a, std::int64_t b) noexcept {
    const std::int64_t q = a / b;
    return (a % b != 0 && a < 0) ? q - 1 : q;
  }
  static std::size_t slot_of(std::int64_t k) noexcept {
    const std::int64_t m = k % static_cast<std::int64_t>(MaxOpen);
    return static_cast<std::size_t>(m < 0 ? m + static_cast<std::int64_t>(MaxOpen) : m);
  }

  void add(std::int64_t k, const row_acc &x) noexcept {
    window_state &w = slots_[slot_of(k)];
    if (w.n == 0) {
      w.k = k;
      if (open_ == 0 || k < lo_) lo_ = k;
      ++open_;
      if constexpr (moments) {
        w.ms.centre = x;  // shift by the first row, so later sums do not cancel
        w.ms.s1 = row_acc{};
        w.ms.s2 = row_acc{};
      }
      if constexpr (want_min) w.mn = x;
      if constexpr (want_max) w.mx = x;
      w.n = 1;
      return;
    }
    for (std::size_t b = 0; b < Dp; b += W) {
      const batch xv = batch::load_aligned(x.data() + b);
      if constexpr (moments) {
        const batch d = xv - batch::load_aligned(w.ms.centre.data() + b);
        (batch::load_aligned(w.ms.s1.data() + b) + d).store_aligned(w.ms.s1.data() + b);
        xsimd::fma(d, d, batch::load_aligned(w.ms.s2.data() + b)).store_aligned(w.ms.s2.data() + b);
      }
      if constexpr (want_min)
        xsimd::min(batch::load_aligned(w.mn.data() + b), xv).store_aligned(w.mn.data() + b);
      if constexpr (want_max)
        xsimd::max(batch::load_aligned(w.mx.data() + b), xv).store_aligned(w.mx.data() + b);
    }
    ++w.n;
  }

  // Emits and frees the open windows with k <= k_close, in order of k. Every
  // open window has k in [lo_, lo_ + MaxOpen) (the bound checked at
  // construction), so at most MaxOpen slots are looked at.
  template <class Emit>
  void close_through(std::int64_t k_close, Emit &emit) noexcept {
    if (open_ == 0 || k_close < lo_) return;
    const std::int64_t last = lo_ + static_cast<std::int64_t>(MaxOpen) - 1;
    for (std::int64_t k = lo_; k <= k_close && k <= last; ++k) {
      window_state &w = slots_[slot_of(k)];
      if (w.n == 0 || w.k != k) continue;
      output_type out{emitted_++, k * hop_ + size_, {}};
      write_row(w, out.x);
      w.n = 0;
      --open_;
      emit(out);
    }
    if (open_ == 0) return;
    lo_ = last + 1;  // the smallest k still open
    for (const auto &w : slots_) {
      if (w.n != 0 && w.k < lo_) lo_ = w.k;
    }
  }

  template <class Out>
  void write_row(const window_state &w, Out &out) const noexcept {
    std::size_t col = 0;
    const std::uint64_t n = w.n;
    if constexpr (has(Stats, stat::count)) out[col++] = static_cast<T>(n);
    detail::column_writer<T, D, batch> emit_block(out.data(), col);
    if constexpr (moments) {
      const detail::shifted_moments<batch, Acc> m(w.ms.s1.data(), w.ms.s2.data(),
                                                  w.ms.centre.data(), n, ddof_);
      m.template emit<Stats>(emit_block);
    }
    if constexpr (want_min)
      emit_block([&](std::size_t b) { return batch::load_aligned(w.mn.data() + b); });
    if constexpr (want_max)
      emit_block([&](std::size_t b) { return batch::load_aligned(w.mx.data() + b); });
  }

  std::array<window_state, MaxOpen> slots_{};
  std::int64_t lo_ = 0;  // smallest k of an open window (when open_ > 0)
  std::size_t open_ = 0;
  std::int64_t watermark_ = 0;
  bool started_ = false;
  std::int64_t size_, hop_, lateness_;
  unsigned ddof_;
  nan_policy policy_;
  Acc replacement_;
  std::uint64_t pushes_ = 0;
  std::uint64_t accepted_ = 0;
  std::uint64_t late_dropped_ = 0;
  std::uint64_t out_of_order_ = 0;
  std::uint64_t emitted_ = 0;
  nan_counters counters_{};
};

/// Tumbling windows of event time: a hopping_window with hop == size, built
/// with `tumbling_window<...>::tumbling(size_ns, lateness_ns)` or the full
/// constructor with hop_ns == size_ns.
template <std::size_t D, stat Stats = stat::count | stat::mean | stat::min | stat::max,
          std::size_t MaxOpen = 4, class T = float, class Acc = double,
          class Arch = detail::simd::default_arch>
using tumbling_window = hopping_window<D, Stats, MaxOpen, T, Acc, Arch>;

RILL_NAMESPACE_END
