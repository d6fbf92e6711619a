// KSWIN (Raab et al. 2020) as River's `drift.KSWIN` computes it, with the
// sampling of CPython's `random.Random(seed).sample` and the p-value of
// `scipy.stats.ks_2samp(method="auto")` reproduced exactly.
#pragma once

#include <algorithm>
#include <array>
#include <bit>
#include <cmath>
#include <cstdint>
#include <optional>
#include <random>
#include <span>
#include <string>
#include <vector>

#include "rill/config.hpp"
#include "rill/drift/detector.hpp"

RILL_NAMESPACE_BEGIN

namespace detail {

/// CPython's `random.Random`: MT19937 seeded with init_by_array over the 32-bit
/// words of |seed| (what `random.Random(int)` does), `getrandbits(k)` as the top
/// k bits of one output (k <= 32), `_randbelow(n)` by rejection on
/// `getrandbits(n.bit_length())`, and `sample(range(n), k)` with both of
/// CPython's strategies (pool for small n, rejection set for large n).
/// Trivially copyable, 2.5 KB of state, never allocates.
class python_random {
 public:
  explicit python_random(std::uint64_t seed = 0) noexcept { seed_with(seed); }

  /// `random.Random(seed)` for a non-negative seed (CPython uses |seed|).
  void seed_with(std::uint64_t seed) noexcept {
    std::array<std::uint32_t, 2> key{static_cast<std::uint32_t>(seed),
                                     static_cast<std::uint32_t>(seed >> 32)};
    init_by_array(key.data(), key[1] != 0 ? 2 : 1);
  }

  std::uint32_t next_u32() noexcept {
    if (index_ >= state_size) twist();
    std::uint32_t y = mt_[index_++];
    y ^= y >> 11;
    y ^= (y << 7) & 0x9d2c5680u;
    y ^= (y << 15) & 0xefc60000u;
    y ^= y >> 18;
    return y;
  }

  /// `random.random()`: 53-bit float from two outputs.
  double random() noexcept {
    const std::uint32_t a = next_u32() >> 5, b = next_u32() >> 6;
    return (a * 67108864.0 + b) * (1.0 / 9007199254740992.0);
  }

  /// `_randbelow(bound)` for 0 < bound < 2^32.
  std::uint32_t below(std::uint32_t bound) noexcept {
    const int k = std::bit_width(bound);  // bound.bit_length()
    std::uint32_t r = next_u32() >> (32 - k);
    while (r >= bound) r = next_u32() >> (32 - k);
    return r;
  }

  /// Size above which CPython's `sample` switches from the pool to the set method.
  static std::size_t sample_setsize(std::size_t k) noexcept {
    std::size_t setsize = 21;
    if (k > 5)
      setsize += static_cast<std::size_t>(
          std::pow(4.0, std::ceil(std::log(static_cast<double>(k * 3)) / std::log(4.0))));
    return setsize;
  }

  /// `sample(range(n), out.size())` into `out`. `pool` needs n slots when
  /// n <= sample_setsize(k), `seen` needs n slots otherwise (both caller-owned,
  /// so nothing allocates). Requires out.size() <= n.
  void sample(std::uint32_t n, std::span<std::uint32_t> out, std::span<std::uint32_t> pool,
              std::span<std::uint8_t> seen) noexcept {
    const std::size_t k = out.size();
    if (n <= sample_setsize(k)) {
      for (std::uint32_t i = 0; i < n; ++i) pool[i] = i;
      for (std::size_t i = 0; i < k; ++i) {
        const std::uint32_t j = below(static_cast<std::uint32_t>(n - i));
        out[i] = pool[j];
        pool[j] = pool[n - i - 1];
      }
    } else {
      for (std::size_t i = 0; i < k; ++i) {
        std::uint32_t j = below(n);
        while (seen[j]) j = below(n);
        seen[j] = 1;
        out[i] = j;
      }
      for (std::size_t i = 0; i < k; ++i) seen[out[i]] = 0;
    }
  }

 private:
  static constexpr int state_size = 624, shift_size = 397;

  void init_genrand(std::uint32_t s) noexcept {
    mt_[0] = s;
    for (int i = 1; i < state_size; ++i)
      mt_[i] = 1812433253u * (mt_[i - 1] ^ (mt_[i - 1] >> 30)) + static_cast<std::uint32_t>(i);
    index_ = state_size;
  }

  void init_by_array(const std::uint32_t* key, int len) noexcept {
    init_genrand(19650218u);
    int i = 1, j = 0;
    for (int k = std::max(state_size, len); k > 0; --k) {
      mt_[i] = (mt_[i] ^ ((mt_[i - 1] ^ (mt_[i - 1] >> 30)) * 1664525u)) + key[j] +
               static_cast<std::uint32_t>(j);
      ++i;
      ++j;
      if (i >= state_size) {
        mt_[0] = mt_[state_size - 1];
        i = 1;
      }
      if (j >= len) j = 0;
    }
    for (int k = state_size - 1; k > 0; --k) {
      mt_[i] = (mt_[i] ^ ((mt_[i - 1] ^ (mt_[i - 1] >> 30)) * 1566083941u)) -
               static_cast<std::uint32_t>(i);
      ++i;
      if (i >= state_size) {
        mt_[0] = mt_[state_size - 1];
        i = 1;
      }
    }
    mt_[0] = 0x80000000u;
    index_ = state_size;
  }

  void twist() noexcept {
    for (int i = 0; i < state_size; ++i) {
      const std::uint32_t y = (mt_[i] & 0x80000000u) | (mt_[(i + 1) % state_size] & 0x7fffffffu);
      mt_[i] = mt_[(i + shift_size) % state_size] ^ (y >> 1) ^ ((y & 1u) ? 0x9908b0dfu : 0u);
    }
    index_ = 0;
  }

  std::array<std::uint32_t, state_size> mt_{};
  int index_ = state_size;
};

/// scipy's exact two-sided p-value of the two-sample KS statistic D = h/n for
/// equal sample sizes n (`_compute_prob_outside_square`): P(D_{n,n} >= h/n),
/// by the Horner-like alternating sum scipy uses. O(n).
inline double ks_exact_equal_n(int n, int h) noexcept {
  if (h == 0) return 1.0;
  double p = 0.0;
  for (int k = n / h; k >= 0; --k) {
    double p1 = 1.0;
    for (int j = 0; j < h; ++j)
      p1 = static_cast<double>(n - k * h - j) * p1 / static_cast<double>(n + k * h + j + 1);
    p = detail::rounded(p1 * (1.0 - p));  // scipy rounds each step; unrolled, g++ would fuse
  }
  return std::clamp(2.0 * p, 0.0, 1.0);
}

/// max_z |#{a <= z} - #{b <= z}| over sorted samples of equal size: n·D, exactly.
inline int ks_count_distance(std::span<const double> a, std::span<const double> b) noexcept {
  const std::size_t n = a.size();
  std::size_t i = 0, j = 0;
  int best = 0;
  while (i < n || j < n) {
    const double z = j >= n || (i < n && a[i] <= b[j]) ? a[i] : b[j];
    while (i < n && a[i] <= z) ++i;
    while (j < n && b[j] <= z) ++j;
    best = std::max(best, std::abs(static_cast<int>(i) - static_cast<int>(j)));
  }
  return best;
}

}  // namespace detail

/// KSWIN's parameters, with River's names and defaults.
struct kswin_params {
  double alpha = 0.005;   ///< significance of the KS test, in [0, 1]
  int window_size = 100;  ///< n: values kept (> stat_size)
  int stat_size = 30;     ///< r: newest values tested; needs window_size - stat_size >= stat_size
  /// Seed of the sampler. Unset: seeded from std::random_device (River: OS entropy).
  std::optional<std::int64_t> seed;
  /// Values to start the window with (River's `window`; only the last window_size kept).
  std::vector<double> window;
};

/// Kolmogorov-Smirnov windowing. Keeps the last n = window_size values; once
/// full, each update draws r = stat_size of the n - r older values at random and
/// compares them with the r newest by a two-sample KS test. A drift is
/// p-value <= alpha and D > 0.1. After a drift the next update starts a new
/// window and re-seeds the sampler, as River does. No warning zone.
///
/// Fidelity: sampling replicates CPython's `random.Random(seed).sample` on
/// MT19937 and the p-value is scipy's exact one (n1 = n2 = r, which
/// `method="auto"` uses for r <= 10000), so with the same seed the indices are
/// River's. For r > 10000 scipy would switch to an asymptotic p-value; rill keeps
/// the exact one (docs/drift.md).
///
/// Memory: the window ring (n doubles), two r-value test buffers, an index pool
/// of n - r, all allocated at construction; `update` never allocates.
/// Work per update once full: O(r) sampling + two sorts O(r log r) + O(r) KS
/// distance + O(r) p-value (about 1-2 µs for r = 30). One thread.
class kswin : public input_screen {
 public:
  using params_type = kswin_params;

  /// Validates `p` (std::invalid_argument naming the parameter) and allocates
  /// every buffer.
  explicit kswin(const kswin_params& p = {}) : p_(check(p)) {
    const std::size_t n = static_cast<std::size_t>(p_.window_size);
    const std::size_t r = static_cast<std::size_t>(p_.stat_size);
    ring_.assign(n, 0.0);
    older_.assign(r, 0.0);
    newest_.assign(r, 0.0);
    picks_.assign(r, 0);
    const std::size_t population = n - r;
    if (population <= detail::python_random::sample_setsize(r))
      pool_.assign(population, 0);
    else
      seen_.assign(population, 0);
    if (p_.seed) {
      const auto s = static_cast<std::uint64_t>(*p_.seed);
      seed_ = *p_.seed < 0 ? 0 - s : s;  // CPython seeds with |seed|
    } else {
      std::random_device rd;
      seed_ = (static_cast<std::uint64_t>(rd()) << 32) | rd();
    }
    reset();
    const std::size_t skip = p_.window.size() > n ? p_.window.size() - n : 0;
    for (std::size_t i = skip; i < p_.window.size(); ++i) push(p_.window[i]);
  }

  /// Takes one value; once the window is full, runs one KS test (see the class
  /// comment for the cost). Never allocates.
  drift_signal update(double x) noexcept {
    if (rejects(x)) [[unlikely]] return drift_signal::none;
    if (drift_) reset();
    push(x);
    drift_ = false;
    const std::size_t n = ring_.size(), r = newest_.size();
    if (size_ < n) return drift_signal::none;

    rng_.sample(static_cast<std::uint32_t>(n - r), picks_, pool_, seen_);
    for (std::size_t i = 0; i < r; ++i) older_[i] = at(picks_[i]);
    for (std::size_t i = 0; i < r; ++i) newest_[i] = at(n - r + i);
    std::sort(older_.begin(), older_.end());
    std::sort(newest_.begin(), newest_.end());
    const int h = detail::ks_count_distance(older_, newest_);
    const int rr = static_cast<int>(r);
    statistic_ = static_cast<double>(h) * 1.0 / static_cast<double>(rr);
    p_value_ = detail::ks_exact_equal_n(rr, h);
    drift_ = p_value_ <= p_.alpha && statistic_ > 0.1;
    return drift_ ? drift_signal::drift : drift_signal::none;
  }

  /// Empties the window and re-seeds the sampler. O(1) (plus the 624-word reseed).
  void reset() noexcept {
    head_ = size_ = 0;
    p_value_ = 0.0;
    statistic_ = 0.0;
    drift_ = false;
    rng_.seed_with(seed_);
  }

  bool drift_detected() const noexcept { return drift_; }
  /// KSWIN defines no warning zone: always false.
  bool warning_detected() const noexcept { return false; }
  /// p-value of the last test (0 before the window first fills, as River).
  double p_value() const noexcept { return p_value_; }
  /// KS statistic D of the last test.
  double ks_statistic() const noexcept { return statistic_; }
  /// The detector's statistic: the last p-value.
  double statistic() const noexcept { return p_value_; }
  /// The seed in use (drawn from std::random_device when none was given).
  std::uint64_t seed() const noexcept { return seed_; }
  const kswin_params& params() const noexcept { return p_; }

 private:
  static kswin_params check(const kswin_params& p) {
    if (!(p.alpha >= 0.0 && p.alpha <= 1.0))
      detail::param_error("kswin", "alpha must be between 0 and 1, got " + detail::num(p.alpha));
    if (p.stat_size < 1)
      detail::param_error("kswin", "stat_size must be >= 1, got " + std::to_string(p.stat_size));
    if (p.window_size < 2 || p.window_size > (1 << 30))
      detail::param_error("kswin",
                          "window_size must be in [2, 2^30], got " + std::to_string(p.window_size));
    if (p.window_size < p.stat_size)
      detail::param_error("kswin", "stat_size must be smaller than window_size, got stat_size=" +
                                       std::to_string(p.stat_size) +
                                       " window_size=" + std::to_string(p.window_size));
    // River accepts this but fails at the first test (random.sample: "Sample larger
    // than population"); rill refuses it up front.
    if (p.window_size - p.stat_size < p.stat_size)
      detail::param_error("kswin",
                          "window_size - stat_size must be >= stat_size (the older "
                          "part is sampled without replacement), got window_size=" +
                              std::to_string(p.window_size) +
                              " stat_size=" + std::to_string(p.stat_size));
    return p;
  }

  void push(double x) noexcept {
    const std::size_t n = ring_.size();
    ring_[(head_ + size_) % n] = x;
    if (size_ < n)
      ++size_;
    else
      head_ = (head_ + 1) % n;
  }
  double at(std::size_t i) const noexcept { return ring_[(head_ + i) % ring_.size()]; }

  kswin_params p_;
  std::vector<double> ring_, older_, newest_;
  std::vector<std::uint32_t> picks_, pool_;
  std::vector<std::uint8_t> seen_;
  std::size_t head_ = 0, size_ = 0;
  std::uint64_t seed_ = 0;
  detail::python_random rng_;
  double p_value_ = 0.0, statistic_ = 0.0;
  bool drift_ = false;
};

static_assert(drift_detector_with_statistic<kswin>);

RILL_NAMESPACE_END
