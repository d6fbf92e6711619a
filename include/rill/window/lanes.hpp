// Internal: the padded, aligned per-feature storage the window kernels run on.
//
// A window over D features keeps each statistic as one array of D accumulators,
// padded up to a whole number of SIMD registers so that every kernel is a plain
// loop over full batches (no scalar tail). Padding lanes hold zeros and are
// never reported. Include only from window headers.
#pragma once

#include <array>
#include <cmath>
#include <cstddef>
#include <type_traits>

#include "rill/config.hpp"
#include "rill/detail/simd.hpp"

RILL_NAMESPACE_BEGIN
namespace detail {

/// Register width and padded length for D features of `Acc` on `Arch`.
template <class Acc, std::size_t D, class Arch>
struct lane_layout {
  using batch = xsimd::batch<Acc, Arch>;
  static constexpr std::size_t width = batch::size;
  static constexpr std::size_t padded = (D + width - 1) / width * width;
};

/// D accumulators padded to whole registers and aligned for aligned loads (64
/// bytes covers AVX-512). An aggregate: trivially copyable, zero-initialised by
/// `{}`.
template <class Acc, std::size_t Dp>
struct alignas(64) lane_row {
  std::array<Acc, Dp> v;
  Acc *data() noexcept { return v.data(); }
  const Acc *data() const noexcept { return v.data(); }
  Acc &operator[](std::size_t i) noexcept { return v[i]; }
  const Acc &operator[](std::size_t i) const noexcept { return v[i]; }
};

/// Writes a window's output row one statistic at a time: each call takes a
/// function from a lane offset b to the register of lanes [b, b + W) and stores its
/// first D lanes as the next D columns. Whole registers go straight into the row
/// (converted to T when T is narrower); only a last, partial register passes
/// through a small buffer. Used by every window's row(); one definition so that
/// all of them get the fast store.
template <class T, std::size_t D, class Batch>
class column_writer {
  using Acc = typename Batch::value_type;
  static constexpr std::size_t W = Batch::size;

 public:
  explicit column_writer(T *out, std::size_t first_column = 0) noexcept
      : out_(out), col_(first_column) {}

  template <class Compute>
  RILL_ALWAYS_INLINE void operator()(Compute &&compute) noexcept {
    T *dst = out_ + col_;
    for (std::size_t b = 0; b < D; b += W) {
      const Batch v = compute(b);
      if constexpr (std::is_same_v<T, Acc>) {
        if (b + W <= D) {
          v.store_unaligned(dst + b);
          continue;
        }
      }
      alignas(64) std::array<Acc, W> tmp;
      v.store_aligned(tmp.data());
      const std::size_t n = b + W <= D ? W : D - b;
      for (std::size_t i = 0; i < n; ++i) dst[b + i] = static_cast<T>(tmp[i]);
    }
    col_ += D;
  }

  /// The square roots of `compute`'s lanes (a standard deviation from a variance).
  /// When T is narrower than Acc the root is taken after the conversion, in T: the
  /// result is the correctly rounded root of the rounded variance (at most one unit
  /// in the last place of T from rounding the Acc root), at a fraction of the cost
  /// (a double-precision root takes several times as long as a float one).
  template <class Compute>
  RILL_ALWAYS_INLINE void sqrt_of(Compute &&compute) noexcept {
    if constexpr (std::is_same_v<T, Acc> || !std::is_floating_point_v<T>) {
      (*this)([&](std::size_t b) { return xsimd::sqrt(compute(b)); });
    } else {
      T *dst = out_ + col_;
      (*this)(compute);
      // Registers of W lanes of T, so each load reads back exactly one converted
      // store (a wider load spanning two stores would miss store forwarding).
      using narrow = xsimd::make_sized_batch_t<T, W>;
      std::size_t i = 0;
      if constexpr (!std::is_void_v<narrow>)
        for (; i + W <= D; i += W)
          xsimd::sqrt(narrow::load_unaligned(dst + i)).store_unaligned(dst + i);
      for (; i < D; ++i) dst[i] = std::sqrt(dst[i]);
    }
  }

 private:
  T *out_;
  std::size_t col_;
};

/// Empty stand-in for state a window does not need ([[no_unique_address]] makes
/// it free).
struct no_state {};

}  // namespace detail
RILL_NAMESPACE_END
