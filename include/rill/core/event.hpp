// Events, labels and the fixed-width feature row they carry.
#pragma once

#include <algorithm>
#include <array>
#include <bit>
#include <cmath>
#include <cstddef>
#include <cstdint>
#include <span>
#include <type_traits>

#include "rill/config.hpp"

RILL_NAMESPACE_BEGIN

namespace detail {
// Rows are aligned to the smaller of their size rounded up to a power of two and
// a cache line: a 16-float row sits in one line and loads as one AVX-512 vector,
// while a 3-float row does not waste a line.
constexpr std::size_t row_alignment(std::size_t bytes) noexcept {
  return std::clamp<std::size_t>(std::bit_ceil(bytes == 0 ? 1 : bytes), alignof(std::max_align_t),
                                 cache_line);
}
}  // namespace detail

/// A fixed-width, aligned row of `D` features of type `T`.
///
/// An aggregate with value semantics: trivially copyable, never allocates,
/// safe to copy across threads. `D` is the width a model or window expects.
template <class T, std::size_t D>
struct alignas(detail::row_alignment(sizeof(T) * D)) feature_row {
  static_assert(std::is_arithmetic_v<T>, "rill::feature_row holds arithmetic values only");
  static_assert(D > 0, "rill::feature_row needs at least one feature");
  using value_type = T;
  static constexpr std::size_t width = D;

  std::array<T, D> values;

  constexpr T& operator[](std::size_t i) noexcept { return values[i]; }
  constexpr const T& operator[](std::size_t i) const noexcept { return values[i]; }
  constexpr T* data() noexcept { return values.data(); }
  constexpr const T* data() const noexcept { return values.data(); }
  static constexpr std::size_t size() noexcept { return D; }
  constexpr std::span<T, D> span() noexcept { return std::span<T, D>(values); }
  constexpr std::span<const T, D> span() const noexcept { return std::span<const T, D>(values); }
  constexpr auto begin() noexcept { return values.begin(); }
  constexpr auto end() noexcept { return values.end(); }
  constexpr auto begin() const noexcept { return values.begin(); }
  constexpr auto end() const noexcept { return values.end(); }
  friend constexpr bool operator==(const feature_row&, const feature_row&) = default;
};

namespace detail {
/// How many of the n values at `p` are NaN or ±Inf. Tests the exponent bits as
/// integers, which compilers vectorise (std::isfinite per value they do not, and it
/// costs a compare and a branch each: a third of a 16-feature window's push).
template <class T>
constexpr std::size_t count_non_finite(const T* p, std::size_t n) noexcept {
  if constexpr (std::is_same_v<T, float> || std::is_same_v<T, double>) {
    using bits = std::conditional_t<sizeof(T) == 4, std::uint32_t, std::uint64_t>;
    constexpr bits exponent = sizeof(T) == 4 ? bits(0x7f800000u) : bits(0x7ff0000000000000ull);
    bits bad = 0;
    for (std::size_t i = 0; i < n; ++i) bad += (std::bit_cast<bits>(p[i]) & exponent) == exponent;
    return static_cast<std::size_t>(bad);
  } else if constexpr (std::is_floating_point_v<T>) {
    std::size_t bad = 0;
    for (std::size_t i = 0; i < n; ++i) bad += !std::isfinite(p[i]);
    return bad;
  } else {
    return 0;
  }
}
}  // namespace detail

/// True when every value of `x` is finite (no NaN, no ±Inf). O(D), branch-free.
template <class T, std::size_t D>
constexpr bool all_finite(const feature_row<T, D>& x) noexcept {
  return detail::count_non_finite(x.data(), D) == 0;
}

namespace detail {
/// `now − t > limit` for any event times (limit ≥ 0), without the signed overflow the
/// plain expression has for times far apart (e.g. INT64_MIN and INT64_MAX). A limit
/// of INT64_MAX means "no limit": nothing lags more than that.
constexpr bool lags_more_than(std::int64_t now, std::int64_t t, std::int64_t limit) noexcept {
  return limit != INT64_MAX && t < now &&
         static_cast<std::uint64_t>(now) - static_cast<std::uint64_t>(t) > static_cast<std::uint64_t>(limit);
}
}  // namespace detail

/// One observation on the predict path: who (`id`), when (`time_ns`, event time in
/// nanoseconds, not wall time) and what (`x`, the feature row).
template <std::size_t D, class T = float>
struct event {
  using value_type = T;
  using row_type = feature_row<T, D>;
  static constexpr std::size_t width = D;

  std::uint64_t id = 0;
  std::int64_t time_ns = 0;
  row_type x{};
};

/// The outcome for an earlier event, arriving on the learn path. `id` names the
/// event it belongs to; `time_ns` is when the outcome became known.
template <class T = float>
struct label {
  using value_type = T;
  std::uint64_t id = 0;
  std::int64_t time_ns = 0;
  T target{};
};

/// A model's output for one event; `version` is the model version that produced it.
template <class T = float>
struct prediction {
  using value_type = T;
  std::uint64_t id = 0;
  std::int64_t time_ns = 0;
  T value{};
  std::uint64_t version = 0;
};

/// True for any `rill::event<D, T>`.
template <class E>
inline constexpr bool is_event_v = false;
template <std::size_t D, class T>
inline constexpr bool is_event_v<event<D, T>> = true;

RILL_NAMESPACE_END
