// Internal: the padded, aligned per-feature storage the window kernels run on.
//
// A window over D features keeps each statistic as one array of D accumulators,
// padded up to a whole number of SIMD registers so that every kernel is a plain
// loop over full batches (no scalar tail). Padding lanes hold zeros and are
// never reported. Include only from window headers.
#pragma once

#include <array>
#include <cstddef>
#include <limits>
#include <type_traits>

#include "rill/config.hpp"
#include "rill/detail/simd.hpp"

#if defined(__AVX__)
#include <immintrin.h>
#endif

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
/// first D lanes as the next D columns. When T is Acc, whole registers go straight
/// into the row; otherwise each register is converted through a small buffer. Used
/// by every window's row(): one definition, so all of them get the fast store.
///
/// `Narrow`: W lanes of T in one register, for roots taken in T (see sqrt_of).
/// xsimd picks it from the instruction sets this translation unit enables, so it is
/// a template parameter: two TUs built with different flags get different types,
/// never two bodies for one name.
template <class T, std::size_t D, class Batch,
          class Narrow = xsimd::make_sized_batch_t<T, Batch::size>>
class column_writer {
  using Acc = typename Batch::value_type;
  static constexpr std::size_t W = Batch::size;

 public:
  explicit column_writer(T *out, std::size_t first_column = 0) noexcept
      : out_(out), col_(first_column) {}

  template <class Compute>
  RILL_ALWAYS_INLINE void operator()(Compute &&compute) noexcept {
    T *dst = out_ + col_;
    for (std::size_t b = 0; b < D; b += W) store(dst + b, compute(b), b + W <= D ? W : D - b);
    col_ += D;
  }

  /// As the call above, for a row the next stage reads at once: a float row from
  /// registers of four doubles (AVX) is stored two registers at a time as one register
  /// of eight floats. Stored as halves, it made that stage's whole-register loads wait
  /// for a store forward that cannot happen (the standard scaler in a pipeline: 1.08x of
  /// a hand-written loop, 0.97x paired). Not the default: in the windows, whose rows are
  /// read later, computing two registers at once cost more than it saved.
  template <class Compute>
  RILL_ALWAYS_INLINE void paired(Compute &&compute) noexcept {
#if defined(__AVX__)
    if constexpr (std::is_same_v<T, float> && std::is_same_v<Acc, double> && W == 4) {
      T *dst = out_ + col_;
      std::size_t b = 0;
      for (; b + 2 * W <= D; b += 2 * W)
        _mm256_storeu_ps(
            dst + b, _mm256_set_m128(_mm256_cvtpd_ps(compute(b + W)), _mm256_cvtpd_ps(compute(b))));
      for (; b < D; b += W) store(dst + b, compute(b), b + W <= D ? W : D - b);
      col_ += D;
      return;
    }
#endif
    (*this)(compute);
  }

  /// The square roots of `compute`'s lanes (a standard deviation from a variance).
  /// When T is narrower than Acc, a register whose values lie in T's normal range
  /// (or are 0) has its root taken after the conversion, in T: the correctly
  /// rounded root of the rounded variance, at most one unit in the last place of T
  /// from rounding the Acc root, at a fraction of the cost (a double-precision root
  /// takes several times as long as a float one). Other registers take the Acc root.
  template <class Compute>
  RILL_ALWAYS_INLINE void sqrt_of(Compute &&compute) noexcept {
    if constexpr (!std::is_floating_point_v<T> || sizeof(T) >= sizeof(Acc) ||
                  std::is_void_v<Narrow>) {
      (*this)([&](std::size_t b) { return xsimd::sqrt(compute(b)); });
    } else {
      using lim = std::numeric_limits<T>;
      const Batch lo(static_cast<Acc>(lim::min())), hi(static_cast<Acc>(lim::max()));
      const Batch zero(Acc(0));
      T *dst = out_ + col_;
      for (std::size_t b = 0; b < D; b += W) {
        const Batch v = compute(b);
        const bool whole = b + W <= D;
        if (whole && xsimd::all(((v >= lo) | (v == zero)) & (v <= hi))) {
          store(dst + b, v, W);
          // Reads back exactly the one converted store (a wider load spanning two
          // stores would miss store forwarding).
          xsimd::sqrt(Narrow::load_unaligned(dst + b)).store_unaligned(dst + b);
        } else {
          store(dst + b, xsimd::sqrt(v), whole ? W : D - b);
        }
      }
      col_ += D;
    }
  }

 private:
  // The first n lanes of v at dst, as T.
  static RILL_ALWAYS_INLINE void store(T *dst, const Batch &v, std::size_t n) noexcept {
    if constexpr (std::is_same_v<T, Acc>) {
      if (n == W) {
        v.store_unaligned(dst);
        return;
      }
    }
    alignas(64) std::array<Acc, W> tmp;
    v.store_aligned(tmp.data());
    for (std::size_t i = 0; i < n; ++i) dst[i] = static_cast<T>(tmp[i]);
  }

  T *out_;
  std::size_t col_;
};

/// Empty stand-in for state a window does not need ([[no_unique_address]] makes
/// it free).
struct no_state {};

}  // namespace detail
RILL_NAMESPACE_END
