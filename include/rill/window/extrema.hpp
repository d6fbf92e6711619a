// Sliding minimum and maximum: a block (van Herk / Gil-Werman) kernel for count
// windows, vectorised across features, and a monotonic ring for time windows.
//
// Why two: a monotonic deque per feature has a data-dependent length per
// feature, so D deques cannot share SIMD registers. For a count window of N the
// block method gives the same answers with a fixed amount of work: 1 op per
// event per feature, plus one backward pass of N - 1 ops and N stores when a block
// of N events completes. Time windows expire a data-dependent number of events per push,
// which is what the monotonic ring handles.
#pragma once

#include <array>
#include <cstddef>
#include <cstdint>
#include <limits>
#include <tuple>
#include <type_traits>

#include "rill/config.hpp"
#include "rill/window/lanes.hpp"

RILL_NAMESPACE_BEGIN
namespace detail {

/// Sliding max (`IsMax`) or min over the last N rows of Dp lanes.
///
/// The stream is cut into blocks of N rows aligned with the window's ring
/// slots. The window ending at slot p of the current block is [p+1, N) of the
/// previous block plus [0, p] of this one, so its extreme is op(prefix_,
/// suffix_[p+1]), where prefix_ is the running extreme of this block and suffix_ the
/// backward running extremes of the previous block, built when that block
/// completed. take(): O(1) per register of a row, O(Dp) per row; every N-th row (the block's last slot) the
/// owner also calls complete_blocks() for the backward pass, O(N·Dp) — that is the
/// worst case, deterministic and independent of the data. No allocation.
///
/// Both start at op's identity (+inf for min, -inf for max) and the pass leaves
/// prefix_ there, so neither take() nor get() asks which slot or block it is in: before
/// the first block completes suffix_ adds nothing, and at the block's last slot the
/// pass has just set suffix_[0] to the whole block's extreme. suffix_[0] starts at 0,
/// which before the first pass only get() before any push reads: an empty window
/// reports 0.
template <class Acc, std::size_t Dp, std::size_t N, bool IsMax, class Arch>
struct block_extrema {
  using batch = xsimd::batch<Acc, Arch>;
  using row = lane_row<Acc, Dp>;
  static constexpr std::size_t W = batch::size;
  static constexpr Acc identity =
      IsMax ? -std::numeric_limits<Acc>::infinity() : std::numeric_limits<Acc>::infinity();

  row prefix_ = filled(identity);
  std::array<row, N> suffix_ = filled_rows();

  static constexpr row filled(Acc v) noexcept {
    row r{};
    for (auto &x : r.v) x = v;
    return r;
  }
  static constexpr std::array<row, N> filled_rows() noexcept {
    std::array<row, N> a{};
    for (std::size_t j = 1; j < N; ++j) a[j] = filled(identity);
    return a;
  }

  static RILL_ALWAYS_INLINE batch op(const batch &a, const batch &b) noexcept {
    if constexpr (IsMax) {
      return xsimd::max(a, b);
    } else {
      return xsimd::min(a, b);
    }
  }

  /// Takes register `b` of a row into the running extreme of the block; returns that
  /// extreme (what get() combines with the suffix).
  RILL_ALWAYS_INLINE batch take(std::size_t b, const batch &x) noexcept {
    const batch p = op(batch::load_aligned(prefix_.data() + b), x);
    p.store_aligned(prefix_.data() + b);
    return p;
  }

  /// Extreme of the window after the push at `slot`; before any push, slot N - 1.
  RILL_ALWAYS_INLINE batch get(std::size_t slot, std::size_t b) const noexcept {
    return get(slot, b, batch::load_aligned(prefix_.data() + b));
  }
  /// The same with the block's running extreme `prefix` (register b) at hand.
  RILL_ALWAYS_INLINE batch get(std::size_t slot, std::size_t b,
                               const batch &prefix) const noexcept {
    return op(prefix, batch::load_aligned(suffix_[(slot + 1) % N].data() + b));
  }
};

/// Nothing else to do in complete_blocks' pass (a window without moments).
struct no_row_visitor {
  struct running {
    template <std::size_t K, class B>
    RILL_ALWAYS_INLINE void add(const B &) const noexcept {}
  };
  RILL_ALWAYS_INLINE running begin(std::size_t) const noexcept { return {}; }
  RILL_ALWAYS_INLINE void end(std::size_t, const running &) const noexcept {}
};

/// Step of complete_blocks' pass at row j: the visitor's running object takes the
/// row into its sum number K, each extreme folds it in and stores its suffix.
template <std::size_t K, class Ring, class Rows, class Batch, class... E>
RILL_ALWAYS_INLINE void backward_step(const Ring &ring, std::size_t j, std::size_t b, Rows &rows,
                                      Batch *run, E &...e) noexcept {
  const Batch v = Batch::load_aligned(ring[j].data() + b);
  rows.template add<K>(v);
  std::size_t i = 0;
  ((run[i] = e.op(v, run[i]), run[i].store_aligned(e.suffix_[j].data() + b), ++i), ...);
}

/// The backward pass of every extreme in `e` over the block just completed in
/// `ring` (its last row taken), down to suffix_[0] (the whole block, what the window
/// is at the block's last slot), leaving each prefix_ empty. One read of each ring
/// register serves them all, and the running extremes stay in registers (reading
/// each back from suffix_ made every step wait on the previous step's store).
///
/// `visit` rides along: for each register offset b, `visit.begin(b)` makes a
/// running object whose `add<K>(v)` takes that register of every row, newest first,
/// and `visit.end(b, running)` takes it back. K cycles
/// through 0..3 so that a visitor summing the rows can keep four independent sums
/// (one chain of adds would make the pass wait on the adder's latency at every
/// row). A window's block sums are taken this way at no extra load.
template <class Ring, class Visit, class... E>
RILL_ALWAYS_INLINE void complete_blocks(const Ring &ring, Visit &&visit, E &...e) noexcept {
  constexpr std::size_t N = std::tuple_size_v<Ring>;
  using first = std::tuple_element_t<0, std::tuple<E...>>;
  using batch = typename first::batch;
  constexpr std::size_t Dp = std::tuple_size_v<decltype(ring[0].v)>, W = batch::size;
  for (std::size_t b = 0; b < Dp; b += W) {
    auto rows = visit.begin(b);
    const batch last = batch::load_aligned(ring[N - 1].data() + b);
    rows.template add<0>(last);
    batch run[sizeof...(E)];
    std::size_t i = 0;
    ((run[i] = last, last.store_aligned(e.suffix_[N - 1].data() + b), ++i), ...);
    std::size_t j = N - 1;  // rows j - 1 down to 0 remain
    for (; j >= 4; j -= 4) {
      backward_step<1>(ring, j - 1, b, rows, run, e...);
      backward_step<2>(ring, j - 2, b, rows, run, e...);
      backward_step<3>(ring, j - 3, b, rows, run, e...);
      backward_step<0>(ring, j - 4, b, rows, run, e...);
    }
    for (; j > 0; --j) backward_step<0>(ring, j - 1, b, rows, run, e...);
    visit.end(b, rows);
  }
  ((e.prefix_ = e.filled(e.identity)), ...);  // the next block starts empty
}

}  // namespace detail

/// Sliding max (`IsMax`) or min of one scalar series over a window whose oldest
/// elements expire by key (event time), holding at most `Cap` candidates: a
/// monotonic ring. Candidates are kept in decreasing (max) or increasing (min)
/// order of value; a new value first removes the candidates it dominates from
/// the back, so each value enters and leaves once.
///
/// push()/expire(): O(1) amortised; worst case O(Cap) for one call (a value
/// that dominates every candidate). Memory: Cap (value, key) pairs inline, no
/// allocation. Ties keep the newest candidate. One thread.
template <class T, std::size_t Cap, bool IsMax>
class monotonic_ring {
  static_assert(Cap > 0, "rill::monotonic_ring needs a capacity of at least one element");

 public:
  /// Adds `value` with key `key` (keys must not decrease). When all Cap slots
  /// hold candidates, the oldest is dropped first; the caller bounds the window
  /// to Cap elements so that candidate was already outside it.
  void push(T value, std::int64_t key) noexcept {
    while (size_ > 0 && !better(back_value(), value)) --size_;
    if (size_ == Cap) pop_front();
    const std::size_t slot = (head_ + size_) % Cap;
    values_[slot] = value;
    keys_[slot] = key;
    ++size_;
  }
  /// Removes candidates whose key is `< key` (they left the window).
  void expire_before(std::int64_t key) noexcept {
    while (size_ > 0 && keys_[head_] < key) pop_front();
  }
  /// The extreme of the window; only meaningful when `!empty()`.
  T value() const noexcept { return values_[head_]; }
  bool empty() const noexcept { return size_ == 0; }
  std::size_t size() const noexcept { return size_; }
  void clear() noexcept { head_ = size_ = 0; }

 private:
  static bool better(T a, T b) noexcept { return IsMax ? a > b : a < b; }
  T back_value() const noexcept { return values_[(head_ + size_ - 1) % Cap]; }
  void pop_front() noexcept {
    head_ = (head_ + 1) % Cap;
    --size_;
  }

  std::array<T, Cap> values_{};
  std::array<std::int64_t, Cap> keys_{};
  std::size_t head_ = 0;
  std::size_t size_ = 0;
};

RILL_NAMESPACE_END
