// What a window does with NaN and infinite inputs, and the counters that record
// it.
#pragma once

#include <array>
#include <cmath>
#include <cstddef>
#include <cstdint>
#include <tuple>
#include <type_traits>

#include "rill/config.hpp"
#include "rill/core/event.hpp"
#include "rill/detail/simd.hpp"

RILL_NAMESPACE_BEGIN

/// Per-window treatment of non-finite feature values (NaN, +Inf, -Inf).
///
/// - `propagate`: the value enters the window as it is. Sums, means and
/// variances
///   of that feature are non-finite while it is inside the window; because
///   rolling windows rebuild their sums from scratch every N events, they
///   become finite again at most 2N events after the value left. Min/max of
///   that feature are unspecified while it is inside. Counted in `nonfinite`.
/// - `skip`: a row holding any non-finite value is not taken into the window
/// and
///   the stage emits nothing for it. Counted in `nonfinite` (values) and
///   `skipped_rows` (rows).
/// - `replace`: each non-finite value is replaced by the window's replacement
/// value
///   (0 unless configured) before it enters. Counted in `nonfinite`.
enum class nan_policy : unsigned char { propagate, skip, replace };

/// Counters kept by every window stage. Plain integers: read them from the
/// thread that owns the stage, or copy the stage to snapshot them.
struct nan_counters {
  std::uint64_t nonfinite = 0;     ///< non-finite values seen
  std::uint64_t skipped_rows = 0;  ///< rows not taken in (policy skip)
};

namespace detail {

/// Room for one converted row of Dp values, where a stage screens a row that is not
/// already in its accumulator type. Deliberately not over-aligned (the kernels load it
/// unaligned): a 64-byte-aligned local made every caller's frame realign its stack.
template <class Acc, std::size_t Dp>
struct screen_buffer {
  std::array<Acc, Dp> v;
  Acc *data() noexcept { return v.data(); }
  const Acc *data() const noexcept { return v.data(); }
  Acc &operator[](std::size_t i) noexcept { return v[i]; }
  const Acc &operator[](std::size_t i) const noexcept { return v[i]; }
};

/// True when all Dp values at p (any alignment) are finite. Compilers do not vectorise
/// a per-value isfinite (it cost a third of a 16-feature window's push): x·0 is ±0
/// for a finite x and NaN otherwise, so the sum of every register times 0 is NaN
/// exactly when a value is not finite: a multiply-add per register and one compare
/// (isfinite per register costs a subtract, a compare and an and).
template <class Acc, class Arch, std::size_t Dp>
RILL_ALWAYS_INLINE bool all_finite_lanes(const Acc *p) noexcept {
  using batch = xsimd::batch<Acc, Arch>;
  constexpr std::size_t W = batch::size;
  static_assert(Dp % W == 0, "window rows are padded to whole registers");
  const batch zero(Acc(0));
  batch nan_if_any = batch::load_unaligned(p) * zero;
  for (std::size_t b = W; b < Dp; b += W)
    nan_if_any = xsimd::fma(batch::load_unaligned(p + b), zero, nan_if_any);
  return xsimd::all(nan_if_any == nan_if_any);
}

/// Row `x` as Dp values of `Acc` in `out`: converted, then padded with zeros.
template <class Acc, class Arch, class T, std::size_t D, class Out>
RILL_ALWAYS_INLINE void convert_row(const feature_row<T, D> &x, Out &out) noexcept {
  using batch = xsimd::batch<Acc, Arch>;
  constexpr std::size_t W = batch::size;
  constexpr std::size_t Dp = std::tuple_size_v<decltype(out.v)>;
  constexpr std::size_t whole = std::is_same_v<T, Acc> ? D / W * W : 0;
  for (std::size_t b = 0; b < whole; b += W)
    batch::load_unaligned(x.data() + b).store_unaligned(out.data() + b);
  for (std::size_t i = whole; i < D; ++i) out[i] = static_cast<Acc>(x[i]);
  for (std::size_t i = D; i < Dp; ++i) out[i] = Acc(0);
}

/// A converted row found to hold a non-finite value: counts them and applies the
/// policy. nullptr when the row must be skipped. Out of line: no stage's common path
/// runs it.
template <std::size_t D, class Acc, class Out>
RILL_NOINLINE const Acc *apply_nan_policy(Out &row, nan_policy policy, Acc replacement,
                                          nan_counters &counters) noexcept {
  counters.nonfinite += count_non_finite(row.data(), D);
  if (policy == nan_policy::skip) {
    ++counters.skipped_rows;
    return nullptr;
  }
  if (policy == nan_policy::replace)
    for (std::size_t i = 0; i < D; ++i)
      if (!std::isfinite(row[i])) row[i] = replacement;
  return row.data();
}

/// Row `x` screened by the policy, as the Dp values of `Acc` a window takes (`Arch`:
/// the window's instruction set): `x`'s own data when it needs no conversion or
/// padding and holds only finite values (the common row: no copy, and no store the
/// window would read back), otherwise `scratch` filled with the converted, padded
/// (zero) and, under `replace`, repaired values. nullptr when the row must be skipped.
/// The result may be unaligned. O(D), no allocation.
template <class Acc, class Arch, class T, std::size_t D, class Out>
RILL_ALWAYS_INLINE const Acc *screened_row(const feature_row<T, D> &x, nan_policy policy,
                                           Acc replacement, Out &scratch,
                                           nan_counters &counters) noexcept {
  // Testing after conversion also catches a double too large for a float Acc.
  constexpr std::size_t Dp = std::tuple_size_v<decltype(scratch.v)>;
  if constexpr (std::is_same_v<T, Acc> && D == Dp) {
    if (RILL_LIKELY((all_finite_lanes<Acc, Arch, Dp>(x.data())))) return x.data();
    convert_row<Acc, Arch>(x, scratch);
    return apply_nan_policy<D>(scratch, policy, replacement, counters);
  } else {
    convert_row<Acc, Arch>(x, scratch);
    if (RILL_LIKELY((all_finite_lanes<Acc, Arch, Dp>(scratch.data())))) return scratch.data();
    return apply_nan_policy<D>(scratch, policy, replacement, counters);
  }
}

/// Copies row `x` into `out` as `Acc` (padding lanes set to zero) applying the
/// policy, for windows that keep the row. Returns false when the row must be
/// skipped. O(D), no allocation.
template <class Acc, class Arch, class T, std::size_t D, class Out>
inline bool screen_row(const feature_row<T, D> &x, nan_policy policy, Acc replacement, Out &out,
                       nan_counters &counters) noexcept {
  const Acc *v = screened_row<Acc, Arch>(x, policy, replacement, out, counters);
  if (v == nullptr) return false;
  if (v != out.data())
    for (std::size_t i = 0; i < D; ++i) out[i] = v[i];
  return true;
}

}  // namespace detail
RILL_NAMESPACE_END
