// Lagged values and changes over k rows: lag, difference, return, log-return.
#pragma once

#include <array>
#include <bit>
#include <cmath>
#include <cstddef>
#include <cstdint>

#include "rill/config.hpp"
#include "rill/core/event.hpp"

RILL_NAMESPACE_BEGIN

/// What `rill::lag` emits per feature, combined with `|`; columns come grouped
/// in this order.
enum class lag_op : unsigned {
  value = 1u << 0,       ///< x[t-K]
  diff = 1u << 1,        ///< x[t] - x[t-K]
  ret = 1u << 2,         ///< x[t] / x[t-K] - 1
  log_return = 1u << 3,  ///< log(x[t] / x[t-K])
};
constexpr lag_op operator|(lag_op a, lag_op b) noexcept {
  return static_cast<lag_op>(static_cast<unsigned>(a) | static_cast<unsigned>(b));
}
constexpr bool has(lag_op s, lag_op which) noexcept {
  return (static_cast<unsigned>(s) & static_cast<unsigned>(which)) == static_cast<unsigned>(which);
}

/// Lag-`K` features of every column (River's `Shift`/difference family).
///
/// Warm-up: until K rows have been seen there is no x[t-K]; every column is
/// then `fill` (0 unless configured) and the row is counted in `warming()`. A
/// return or log-return that is undefined (x[t-K] == 0, or a non-positive ratio
/// for the log) is also `fill`, counted in `undefined()` per value.
///
/// As a stage: `event<D, T>` in, `event<popcount(Ops)·D, T>` out. O(D) per
/// push; a ring of K+1 rows inline; never allocates; trivially copyable; one
/// thread.
template <std::size_t D, std::size_t K, lag_op Ops = lag_op::diff, class T = float>
class lag {
  static_assert(K > 0, "rill::lag needs a lag of at least one row (K > 0)");
  static_assert(static_cast<unsigned>(Ops) != 0 && static_cast<unsigned>(Ops) < 16u,
                "rill::lag needs at least one of lag_op::value, diff, ret, log_return");

 public:
  static constexpr std::size_t output_width =
      static_cast<std::size_t>(std::popcount(static_cast<unsigned>(Ops))) * D;
  using input_type = event<D, T>;
  using output_type = event<output_width, T>;
  using output_row = feature_row<T, output_width>;

  constexpr explicit lag(T fill = T(0)) noexcept : fill_(fill) {}

  /// Takes row `x` and returns the lag features of it. O(D).
  RILL_STAGE_INLINE output_row push(const feature_row<T, D> &x) noexcept {
    output_row out;
    const std::size_t now = static_cast<std::size_t>(seen_ % (K + 1));
    ring_[now] = x;
    const bool warm = seen_ >= K;
    ++seen_;
    if (!warm) {
      ++warming_;
      out.values.fill(fill_);
      return out;
    }
    const feature_row<T, D> &old = ring_[(now + 1) % (K + 1)];  // the row K pushes ago
    std::size_t col = 0;
    if constexpr (has(Ops, lag_op::value)) {
      for (std::size_t i = 0; i < D; ++i) out[col + i] = old[i];
      col += D;
    }
    if constexpr (has(Ops, lag_op::diff)) {
      for (std::size_t i = 0; i < D; ++i) out[col + i] = x[i] - old[i];
      col += D;
    }
    if constexpr (has(Ops, lag_op::ret)) {
      for (std::size_t i = 0; i < D; ++i) {
        const bool ok = old[i] != T(0);
        undefined_ += ok ? 0 : 1;
        out[col + i] = ok ? static_cast<T>(x[i] / old[i] - T(1)) : fill_;
      }
      col += D;
    }
    if constexpr (has(Ops, lag_op::log_return)) {
      for (std::size_t i = 0; i < D; ++i) {
        const double r = static_cast<double>(x[i]) / static_cast<double>(old[i]);
        const bool ok = old[i] != T(0) && r > 0;
        undefined_ += ok ? 0 : 1;
        out[col + i] = ok ? static_cast<T>(std::log(r)) : fill_;
      }
    }
    return out;
  }

  template <class Emit>
  RILL_STAGE_INLINE void operator()(const input_type &in, Emit &&emit) noexcept {
    emit(output_type{in.id, in.time_ns, push(in.x)});
  }

  std::uint64_t pushes() const noexcept { return seen_; }
  std::uint64_t warming() const noexcept { return warming_; }
  std::uint64_t undefined() const noexcept { return undefined_; }
  void reset() noexcept { *this = lag(fill_); }

 private:
  std::array<feature_row<T, D>, K + 1> ring_{};
  std::uint64_t seen_ = 0;
  std::uint64_t warming_ = 0;
  std::uint64_t undefined_ = 0;
  T fill_;
};

RILL_NAMESPACE_END
