// ADWIN (Bifet & Gavaldà 2007) as River's current `drift.ADWIN` computes it.
#pragma once

#include <array>
#include <bit>
#include <cmath>
#include <cstdint>
#include <vector>

#include "rill/config.hpp"
#include "rill/drift/detector.hpp"

RILL_NAMESPACE_BEGIN

namespace detail {
/// True when the cut test River evaluates at a cut point, |u0/n0 - u1/n1| > ε with
/// ε = sqrt(2·m·v·δ') + 2/3·δ'·m and m = 1/(n0 - L + 1) + 1/(n1 - L + 1), certainly
/// fails (`two_var_delta` = 2·v·δ' as River computes it). Multiplications only: the
/// exact test costs four divisions and a root, and on a stationary stream almost every
/// cut point is far from its bound. The squared comparison drops the 2/3·δ'·m term
/// and carries margins (1e-12 of the means' magnitude on the left, 2e-12 relative on
/// the right) far above the rounding of either computation (~1e-15), so a true result
/// never hides a cut River would make; anything not finite or not clear-cut returns
/// false and the exact test decides. Why the magnitudes cannot hide a cut when the
/// products underflow: then |u0/n0 - u1/n1| < 1e-154 while 2/3·δ'·m >= 1/n.
/// Precondition: δ' > 0, so the dropped term is not negative. ADWIN's cut points have a
/// window of at least 2 values, where δ' = ln(2·ln(width)/δ) >= ln(2·ln 2) > 0.
inline bool adwin_no_cut(double n0, double n1, double u0, double u1, double min_len,
                         double two_var_delta) noexcept {
  const double np0 = n0 - min_len + 1.0, np1 = n1 - min_len + 1.0;
  const double p = std::fabs(u0 * n1 - u1 * n0) + 1e-12 * (std::fabs(u0) * n1 + std::fabs(u1) * n0);
  const double nn = n0 * n1;
  const double lhs = p * p * (np0 * np1);
  const double rhs = two_var_delta * (np0 + np1) * (nn * nn) * (1.0 - 2e-12);
  return lhs <= rhs && lhs < HUGE_VAL;
}
}  // namespace detail

/// ADWIN's parameters, with River's names and defaults.
struct adwin_params {
  double delta = 0.002;       ///< confidence of the cut test, in (0, 1)
  int clock = 32;             ///< test for cuts every `clock` updates (>= 1)
  int max_buckets = 5;        ///< buckets kept per size before two merge (>= 1)
  int min_window_length = 5;  ///< smallest sub-window a cut may leave (>= 1)
  int grace_period = 10;      ///< no test until the window holds more than this (>= 0)
};

/// ADaptive WINdowing: keeps a window of recent values summarised in buckets of
/// sizes 1, 2, 4, ... (at most `max_buckets` + 1 of each size, River's exponential
/// histogram) and, every `clock` updates, drops the oldest buckets while some cut
/// splits the window into two parts whose means differ by more than the
/// Hoeffding-style bound ε_cut. A drop is a drift.
///
/// Fidelity: the same arithmetic in the same order as River's `adwin_c.pyx`
/// (current version, which tests cuts at every bucket of every row), so indices
/// match River's. River's variance bookkeeping of the two sub-windows, which it
/// computes but never reads, is skipped.
///
/// Memory: fixed at construction. Bucket rows are preallocated for the largest
/// window any stream can reach: 64 rows, row i holding buckets of 2^i values,
/// cover windows of up to max_buckets·(2^64 - 1) values; that is 64 rows of
/// bit_ceil(max_buckets + 1) totals and variances, 1 KiB per cell of a row: 8 KiB at
/// the default, 1 MiB at max_buckets = 1000, 2 GiB at the largest accepted (2^20).
/// `update` never allocates.
///
/// Work per update: inserting is O(1) amortised (a merge moves a row's head index,
/// not its buckets), O(R) worst case (a merge cascade through the R rows in use,
/// R <= log2(width/max_buckets) + 2). Every `clock`-th update scans B <=
/// R·(max_buckets+1) cut points (about 50 for a window of 2^10 values), most of them
/// settled by a division-free pre-test (detail::adwin_no_cut); each cut found
/// deletes the oldest bucket and rescans, so the worst case of one update is O(B²)
/// cut evaluations, reached only on the update that detects a drift. See
/// benchmarks/bench_drift.cpp for the measured amortised cost, p50/p99 and max.
///
/// Not thread-safe: one thread updates a detector. Copyable (copies allocate).
class adwin : public input_screen {
 public:
  using params_type = adwin_params;
  static constexpr int max_rows = 64;

  /// Validates `p` (std::invalid_argument naming the parameter) and allocates
  /// the bucket rows. O(max_buckets).
  explicit adwin(const adwin_params& p = {}) : p_(check(p)) {
    const std::size_t cells = static_cast<std::size_t>(max_rows) * stride();
    totals_.assign(cells, 0.0);
    variances_.assign(cells, 0.0);
    reset();
  }

  /// Adds `x` to the window and, on clock ticks, tests for a cut. See the class
  /// comment for the cost. Never allocates.
  drift_signal update(double x) noexcept {
    if (rejects(x)) [[unlikely]] return drift_signal::none;
    if (drift_) reset();
    insert(x);
    drift_ = detect();
    return drift_ ? drift_signal::drift : drift_signal::none;
  }

  /// Empties the window. O(rows in use).
  void reset() noexcept {
    count_.fill(0);
    head_.fill(0);
    rows_ = 1;
    total_ = variance_ = width_ = 0.0;
    until_test_ = p_.clock;
    drift_ = false;
  }

  bool drift_detected() const noexcept { return drift_; }
  /// ADWIN defines no warning zone: always false.
  bool warning_detected() const noexcept { return false; }

  /// Number of values in the window (River's `width`).
  double width() const noexcept { return width_; }
  /// Sum of the window's values (River's `total`).
  double total() const noexcept { return total_; }
  /// Sum of squared deviations in the window (River's `variance`, not divided by width).
  double variance() const noexcept { return variance_; }
  /// Mean of the window (River's `estimation`), 0 when empty.
  double estimation() const noexcept { return width_ == 0.0 ? 0.0 : total_ / width_; }
  /// The detector's statistic: the window mean.
  double statistic() const noexcept { return estimation(); }
  /// Bucket rows in use (log2 of the window's span, roughly).
  int rows() const noexcept { return rows_; }
  const adwin_params& params() const noexcept { return p_; }

 private:
  static adwin_params check(const adwin_params& p) {
    if (!(p.delta > 0.0 && p.delta < 1.0))
      detail::param_error("adwin", "delta must be in (0, 1), got " + detail::num(p.delta));
    if (p.clock < 1)
      detail::param_error("adwin", "clock must be >= 1, got " + std::to_string(p.clock));
    if (p.max_buckets < 1 || p.max_buckets > 1 << 20)
      detail::param_error("adwin",
                          "max_buckets must be in [1, 2^20], got " + std::to_string(p.max_buckets));
    if (p.min_window_length < 1)
      detail::param_error(
          "adwin", "min_window_length must be >= 1, got " + std::to_string(p.min_window_length));
    if (p.grace_period < 0)
      detail::param_error("adwin",
                          "grace_period must be >= 0, got " + std::to_string(p.grace_period));
    return p;
  }

  // Each row is a ring of a power-of-two number of cells (>= max_buckets + 1), oldest
  // bucket at head_: dropping the oldest buckets moves an index, not the row (two
  // memmove calls per merge were a third of an update).
  std::size_t stride() const noexcept {
    return std::bit_ceil(static_cast<std::size_t>(p_.max_buckets) + 1);
  }
  std::size_t cell(int row, std::uint32_t k) const noexcept {
    return static_cast<std::size_t>(row) * stride() + ((head_[row] + k) & (stride() - 1));
  }
  double& tot(int row, std::uint32_t k) noexcept { return totals_[cell(row, k)]; }
  double& var(int row, std::uint32_t k) noexcept { return variances_[cell(row, k)]; }
  // 2^row exactly, without a libm call (row < 64).
  static double size_of(int row) noexcept {
    return std::bit_cast<double>(static_cast<std::uint64_t>(1023 + row) << 52);
  }

  void insert(double x) noexcept {
    tot(0, count_[0]) = x;
    var(0, count_[0]) = 0.0;
    ++count_[0];
    width_ += 1.0;
    if (width_ > 1.0) {
      const double d = x - total_ / (width_ - 1.0);
      variance_ += (width_ - 1.0) * d * d / width_;
    }
    total_ += x;
    compress();
  }

  // Merges the two oldest buckets of a full row into one of the next row,
  // cascading while the next row overflows in turn.
  void compress() noexcept {
    const std::uint32_t full = static_cast<std::uint32_t>(p_.max_buckets) + 1;
    for (int row = 0; row < max_rows - 1 && count_[row] == full; ++row) {
      if (row + 1 == rows_) ++rows_;
      const double t0 = tot(row, 0), t1 = tot(row, 1);
      const double n1 = size_of(row);
      const double mu1 = t0 / n1;
      const double mu2 = t1 / n1;
      const double merged_total = t0 + t1;
      const double merged_var =
          var(row, 0) + var(row, 1) + detail::rounded(n1 * 0.5 * (mu1 - mu2) * (mu1 - mu2));
      tot(row + 1, count_[row + 1]) = merged_total;
      var(row + 1, count_[row + 1]) = merged_var;
      ++count_[row + 1];
      drop_front(row, 2);
      if (count_[row + 1] <= static_cast<std::uint32_t>(p_.max_buckets)) break;
    }
  }

  void drop_front(int row, std::uint32_t n) noexcept {
    head_[row] = (head_[row] + n) & static_cast<std::uint32_t>(stride() - 1);
    count_[row] -= n;
  }

  // Removes the oldest bucket; returns its size.
  double delete_oldest() noexcept {
    const int row = rows_ - 1;
    const double n = size_of(row);
    const double u = tot(row, 0);
    const double mu = u / n;
    const double v = var(row, 0);
    width_ -= n;
    total_ -= u;
    const double mu_window = total_ / width_;
    variance_ -= v + n * width_ * (mu - mu_window) * (mu - mu_window) / (n + width_);
    drop_front(row, 1);
    // River pops only the emptied last row; trailing empty rows below it can only
    // occur with max_buckets = 1 and would make River read a stale bucket, so
    // they are popped too (row 0 always stays).
    while (rows_ > 1 && count_[rows_ - 1] == 0) --rows_;
    return n;
  }

  bool detect() noexcept {
    // A countdown, not tick % clock: a 64-bit division on every update.
    if (--until_test_ != 0) return false;
    until_test_ = p_.clock;
    if (!(width_ > static_cast<double>(p_.grace_period))) return false;
    bool change = false;
    const double min_len = static_cast<double>(p_.min_window_length);
    for (bool again = true; again;) {
      again = false;
      // Per pass the window is fixed, so the pass-wide terms are computed once;
      // they are the same doubles River recomputes at every cut.
      const double delta_prime = std::log(2.0 * std::log(width_) / p_.delta);
      const double var_in_window = variance_ / width_;
      const double two_var_delta = 2.0 * var_in_window * delta_prime;
      double n0 = 0.0, n1 = width_, u0 = 0.0, u1 = total_;
      for (int row = rows_ - 1; row >= 0 && !again; --row) {
        const double size = size_of(row);
        const std::uint32_t count = count_[row];
        for (std::uint32_t k = 0; k < count; ++k) {
          n0 += size;
          n1 -= size;
          const double bucket = tot(row, k);
          u0 += bucket;
          u1 -= bucket;
          if (row == 0 && k == count - 1) break;  // no cut with an empty newest part
          if (n1 >= min_len && n0 >= min_len) {
            if (detail::adwin_no_cut(n0, n1, u0, u1, min_len, two_var_delta)) continue;
            const double delta_mean = u0 / n0 - u1 / n1;
            const double m_recip = 1.0 / (n0 - min_len + 1.0) + 1.0 / (n1 - min_len + 1.0);
            const double epsilon = std::sqrt(2.0 * m_recip * var_in_window * delta_prime) +
                                   detail::rounded(2.0 / 3.0 * delta_prime * m_recip);
            if (std::fabs(delta_mean) > epsilon) {
              change = true;
              if (width_ > 0.0) {
                delete_oldest();
                again = true;
                break;
              }
            }
          }
        }
      }
    }
    return change;
  }

  adwin_params p_;
  std::vector<double> totals_, variances_;  // max_rows rings of stride() cells, row-major
  std::array<std::uint32_t, max_rows> count_{}, head_{};
  int rows_ = 1;
  double total_ = 0.0, variance_ = 0.0, width_ = 0.0;
  int until_test_ = 1;  // updates until the next cut test
  bool drift_ = false;
};

static_assert(drift_detector_with_statistic<adwin>);

RILL_NAMESPACE_END
