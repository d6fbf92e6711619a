// ADWIN (Bifet & Gavaldà 2007) as River's current `drift.ADWIN` computes it.
#pragma once

#include <array>
#include <cmath>
#include <cstdint>
#include <cstring>
#include <vector>

#include "rill/config.hpp"
#include "rill/drift/detector.hpp"

RILL_NAMESPACE_BEGIN

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
/// cover windows of up to max_buckets·(2^64 - 1) values; that is 64·(max_buckets+1)
/// totals and variances (6 KiB at the default). `update` never allocates.
///
/// Work per update: inserting is O(max_buckets) amortised (each merge shifts a
/// row of max_buckets buckets), O(R·max_buckets) worst case (a merge cascade
/// through R rows in use, R <= log2(width/max_buckets) + 2); constant at the
/// default max_buckets = 5. Every
/// `clock`-th update scans B <= R·(max_buckets+1) cut points (about 50 for a
/// window of 2^10 values); each cut found deletes the oldest bucket and rescans,
/// so the worst case of one update is O(B²) cut evaluations, reached only on the
/// update that detects a drift. Amortised cost at the default clock is a few ns
/// (see benchmarks/bench_drift.cpp for the measured p50/p99/max).
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
    rows_ = 1;
    total_ = variance_ = width_ = 0.0;
    tick_ = 0;
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

  std::size_t stride() const noexcept { return static_cast<std::size_t>(p_.max_buckets) + 1; }
  double* tot(int row) noexcept { return totals_.data() + row * stride(); }
  double* var(int row) noexcept { return variances_.data() + row * stride(); }
  static double size_of(int row) noexcept { return std::ldexp(1.0, row); }

  void insert(double x) noexcept {
    tot(0)[count_[0]] = x;
    var(0)[count_[0]] = 0.0;
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
      double* t = tot(row);
      double* v = var(row);
      const double n1 = size_of(row);
      const double mu1 = t[0] / n1;
      const double mu2 = t[1] / n1;
      const double merged_total = t[0] + t[1];
      const double merged_var = v[0] + v[1] + detail::rounded(n1 * 0.5 * (mu1 - mu2) * (mu1 - mu2));
      tot(row + 1)[count_[row + 1]] = merged_total;
      var(row + 1)[count_[row + 1]] = merged_var;
      ++count_[row + 1];
      drop_front(row, 2);
      if (count_[row + 1] <= static_cast<std::uint32_t>(p_.max_buckets)) break;
    }
  }

  void drop_front(int row, std::uint32_t n) noexcept {
    const std::uint32_t left = count_[row] - n;
    std::memmove(tot(row), tot(row) + n, left * sizeof(double));
    std::memmove(var(row), var(row) + n, left * sizeof(double));
    count_[row] = left;
  }

  // Removes the oldest bucket; returns its size.
  double delete_oldest() noexcept {
    const int row = rows_ - 1;
    const double n = size_of(row);
    const double u = tot(row)[0];
    const double mu = u / n;
    const double v = var(row)[0];
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
    ++tick_;
    if (tick_ % static_cast<std::uint64_t>(p_.clock) != 0 ||
        !(width_ > static_cast<double>(p_.grace_period)))
      return false;
    bool change = false;
    const double min_len = static_cast<double>(p_.min_window_length);
    for (bool again = true; again;) {
      again = false;
      // Per pass the window is fixed, so the pass-wide terms are computed once;
      // they are the same doubles River recomputes at every cut.
      const double delta_prime = std::log(2.0 * std::log(width_) / p_.delta);
      const double var_in_window = variance_ / width_;
      double n0 = 0.0, n1 = width_, u0 = 0.0, u1 = total_;
      for (int row = rows_ - 1; row >= 0 && !again; --row) {
        const double size = size_of(row);
        const double* t = tot(row);
        const std::uint32_t count = count_[row];
        for (std::uint32_t k = 0; k < count; ++k) {
          n0 += size;
          n1 -= size;
          u0 += t[k];
          u1 -= t[k];
          if (row == 0 && k == count - 1) break;  // no cut with an empty newest part
          if (n1 >= min_len && n0 >= min_len) {
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
  std::vector<double> totals_, variances_;  // max_rows × (max_buckets + 1), row-major
  std::array<std::uint32_t, max_rows> count_{};
  int rows_ = 1;
  double total_ = 0.0, variance_ = 0.0, width_ = 0.0;
  std::uint64_t tick_ = 0;
  bool drift_ = false;
};

static_assert(drift_detector_with_statistic<adwin>);

RILL_NAMESPACE_END
