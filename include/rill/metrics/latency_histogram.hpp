// A fixed-memory log-linear histogram of latencies (HDR-style).
#pragma once

#include <algorithm>
#include <array>
#include <bit>
#include <cmath>
#include <cstddef>
#include <cstdint>

#include "rill/config.hpp"

RILL_NAMESPACE_BEGIN

/// Records non-negative integer values (nanoseconds, cycles) in log-linear buckets:
/// exact below 256, then 128 buckets per power of two, so every reported value is
/// within 0.4 % of a recorded one (bucket midpoint). Values up to 2^42 − 1 (~73 min
/// in ns) are kept; larger ones are clamped to the top bucket and counted in
/// `clamped()`.
///
/// Memory: 4608 counters inline (36 KiB), no allocation ever. record(): O(1), a
/// few instructions, noexcept. quantile(): O(buckets). One writer; to combine
/// per-thread histograms, `merge` copies taken at snapshot time.
class latency_histogram {
 public:
  static constexpr int sub_bits = 7;
  static constexpr std::uint64_t sub_count = std::uint64_t{1} << sub_bits;  // 128
  static constexpr int max_bits = 42;
  static constexpr std::uint64_t max_value = (std::uint64_t{1} << max_bits) - 1;
  static constexpr std::size_t bucket_count =
      static_cast<std::size_t>((max_bits - sub_bits - 1) * sub_count + 2 * sub_count);

  /// Adds one value.
  RILL_ALWAYS_INLINE void record(std::uint64_t v) noexcept {
    if (RILL_UNLIKELY(v > max_value)) {
      v = max_value;
      ++clamped_;
    }
    ++counts_[index_of(v)];
    ++count_;
    sum_ += v;
    min_ = std::min(min_, v);
    max_ = std::max(max_, v);
  }

  /// The value at quantile `q` in [0, 1] (the midpoint of its bucket, clamped to the
  /// observed min and max); 0 when empty.
  std::uint64_t quantile(double q) const noexcept {
    if (count_ == 0) return 0;
    q = std::clamp(q, 0.0, 1.0);
    const auto rank = std::max<std::uint64_t>(
        1, static_cast<std::uint64_t>(std::ceil(q * static_cast<double>(count_))));
    std::uint64_t seen = 0;
    for (std::size_t i = 0; i < bucket_count; ++i) {
      seen += counts_[i];
      if (seen >= rank) return std::clamp(midpoint_of(i), min_, max_);
    }
    return max_;
  }

  std::uint64_t count() const noexcept { return count_; }
  std::uint64_t min() const noexcept { return count_ ? min_ : 0; }
  std::uint64_t max() const noexcept { return max_; }
  double mean() const noexcept {
    return count_ ? static_cast<double>(sum_) / static_cast<double>(count_) : 0.0;
  }
  std::uint64_t clamped() const noexcept { return clamped_; }
  /// Count in bucket `i`, and the range of values it holds: [lower_of(i), upper_of(i)].
  std::uint64_t bucket(std::size_t i) const noexcept { return counts_[i]; }

  /// Adds another histogram's counts into this one.
  void merge(const latency_histogram& o) noexcept {
    for (std::size_t i = 0; i < bucket_count; ++i) counts_[i] += o.counts_[i];
    count_ += o.count_;
    sum_ += o.sum_;
    clamped_ += o.clamped_;
    min_ = std::min(min_, o.min_);
    max_ = std::max(max_, o.max_);
  }

  void reset() noexcept { *this = latency_histogram{}; }

  /// Replaces the contents with bucket counts and totals kept elsewhere (per-thread
  /// atomic buckets merged at snapshot time, see rill/metrics/registry.hpp). O(buckets).
  void assign(const std::array<std::uint64_t, bucket_count>& counts, std::uint64_t sum,
              std::uint64_t clamped, std::uint64_t min, std::uint64_t max) noexcept {
    counts_ = counts;
    count_ = 0;
    for (const auto c : counts_) count_ += c;
    sum_ = sum;
    clamped_ = clamped;
    min_ = count_ ? min : UINT64_MAX;
    max_ = count_ ? max : 0;
  }

  static constexpr std::size_t index_of(std::uint64_t v) noexcept {
    const int shift = std::max(0, static_cast<int>(std::bit_width(v)) - (sub_bits + 1));
    return static_cast<std::size_t>(shift) * sub_count + static_cast<std::size_t>(v >> shift);
  }
  static constexpr std::uint64_t lower_of(std::size_t i) noexcept {
    const std::size_t shift = i < 2 * sub_count ? 0 : i / sub_count - 1;
    return (static_cast<std::uint64_t>(i) - shift * sub_count) << shift;
  }
  static constexpr std::uint64_t upper_of(std::size_t i) noexcept {
    const std::size_t shift = i < 2 * sub_count ? 0 : i / sub_count - 1;
    return lower_of(i) + (std::uint64_t{1} << shift) - 1;
  }
  static constexpr std::uint64_t midpoint_of(std::size_t i) noexcept {
    return lower_of(i) + (upper_of(i) - lower_of(i)) / 2;
  }

 private:
  std::array<std::uint64_t, bucket_count> counts_{};
  std::uint64_t count_ = 0;
  std::uint64_t sum_ = 0;
  std::uint64_t clamped_ = 0;
  std::uint64_t min_ = UINT64_MAX;
  std::uint64_t max_ = 0;
};

RILL_NAMESPACE_END
