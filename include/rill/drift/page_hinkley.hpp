// Page-Hinkley test (Page 1954) as River's `drift.PageHinkley` computes it.
#pragma once

#include <algorithm>
#include <limits>

#include "rill/config.hpp"
#include "rill/drift/detector.hpp"

RILL_NAMESPACE_BEGIN

/// Which changes of the mean Page-Hinkley reports.
enum class ph_mode : unsigned char { up, down, both };

/// Page-Hinkley's parameters, with River's names and defaults.
struct page_hinkley_params {
  int min_instances = 30;     ///< updates before any test (>= 1)
  double delta = 0.005;       ///< magnitude of change tolerated (>= 0)
  double threshold = 50.0;    ///< lambda: drift when the test statistic exceeds it (> 0)
  double alpha = 1 - 0.0001;  ///< fading factor of the cumulative sums, in (0, 1]
  ph_mode mode = ph_mode::both;
};

/// Page-Hinkley (CUSUM-style) test on any numeric stream. Keeps the running mean
/// and two faded cumulative sums of deviations from it, m_up = α·m_up + (x - x̄ - δ)
/// and m_down = α·m_down + (x - x̄ + δ), with the running minimum of the first
/// and maximum of the second (starting at -1, as River does); a drift is
/// m_up - min > λ (mode up), max - m_down > λ (down), or either (both).
/// No warning zone.
///
/// O(1) per update, no allocation ever, trivially copyable; one thread.
class page_hinkley : public input_screen {
 public:
  using params_type = page_hinkley_params;

  /// Validates `p` (std::invalid_argument naming the parameter).
  explicit page_hinkley(const page_hinkley_params& p = {}) : p_(check(p)) { reset(); }

  /// Takes one value. O(1), never allocates.
  drift_signal update(double x) noexcept {
    if (rejects(x)) [[unlikely]] return drift_signal::none;
    if (drift_) reset();
    mean_.update(x);
    const double dev = x - mean_.mean;
    sum_up_ = detail::rounded(p_.alpha * sum_up_) + dev - p_.delta;
    sum_down_ = detail::rounded(p_.alpha * sum_down_) + dev + p_.delta;
    min_up_ = std::min(min_up_, sum_up_);
    max_down_ = std::max(max_down_, sum_down_);
    if (mean_.n >= min_instances_) {
      const double up = sum_up_ - min_up_;
      const double down = max_down_ - sum_down_;
      drift_ = (p_.mode != ph_mode::down && up > p_.threshold) ||
               (p_.mode != ph_mode::up && down > p_.threshold);
    }
    return drift_ ? drift_signal::drift : drift_signal::none;
  }

  /// Forgets everything seen. O(1).
  void reset() noexcept {
    mean_ = {};
    sum_up_ = sum_down_ = 0.0;
    min_up_ = std::numeric_limits<double>::infinity();
    max_down_ = -1.0;
    drift_ = false;
  }

  bool drift_detected() const noexcept { return drift_; }
  /// Page-Hinkley defines no warning zone: always false.
  bool warning_detected() const noexcept { return false; }
  /// The detector's statistic: the test value compared with the threshold
  /// (the larger of both sides in mode both).
  double statistic() const noexcept {
    const double up = sum_up_ - min_up_, down = max_down_ - sum_down_;
    return p_.mode == ph_mode::up ? up : p_.mode == ph_mode::down ? down : std::max(up, down);
  }
  const page_hinkley_params& params() const noexcept { return p_; }

 private:
  static page_hinkley_params check(const page_hinkley_params& p) {
    if (p.min_instances < 1)
      detail::param_error("page_hinkley",
                          "min_instances must be >= 1, got " + std::to_string(p.min_instances));
    if (!(p.delta >= 0.0))
      detail::param_error("page_hinkley", "delta must be >= 0, got " + detail::num(p.delta));
    if (!(p.threshold > 0.0))
      detail::param_error("page_hinkley", "threshold must be > 0, got " + detail::num(p.threshold));
    if (!(p.alpha > 0.0 && p.alpha <= 1.0))
      detail::param_error("page_hinkley", "alpha must be in (0, 1], got " + detail::num(p.alpha));
    return p;
  }

  page_hinkley_params p_;
  double min_instances_ = static_cast<double>(p_.min_instances);
  detail::river_mean mean_;
  double sum_up_ = 0.0, sum_down_ = 0.0, min_up_ = 0.0, max_down_ = -1.0;
  bool drift_ = false;
};

static_assert(drift_detector_with_statistic<page_hinkley>);

RILL_NAMESPACE_END
