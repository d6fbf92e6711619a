// DDM (Gama et al. 2004) as River's `drift.binary.DDM` computes it.
#pragma once

#include <cmath>
#include <limits>

#include "rill/config.hpp"
#include "rill/drift/detector.hpp"

RILL_NAMESPACE_BEGIN

/// DDM's parameters, with River's names and defaults.
struct ddm_params {
  int warm_start = 30;             ///< updates before any test (>= 0)
  double warning_threshold = 2.0;  ///< w_l: warning when p + s > p_min + w_l·s_min (> 0)
  double drift_threshold = 3.0;    ///< d_l: drift when p + s > p_min + d_l·s_min (> 0)
};

/// Drift Detection Method on an error stream (1 = error, 0 = correct). Tracks the
/// error rate p and its binomial standard deviation s = sqrt(p(1-p)/n), remembers
/// p_min and s_min where p + s was smallest, and signals a warning or a drift when
/// p + s rises past p_min + w_l·s_min or p_min + d_l·s_min.
///
/// O(1) per update (one sqrt), no allocation ever, trivially copyable; one thread
/// updates a detector.
class ddm : public input_screen {
 public:
  using params_type = ddm_params;

  /// Validates `p` (std::invalid_argument naming the parameter).
  explicit ddm(const ddm_params& p = {}) : p_(check(p)) { reset(); }

  /// Takes one outcome (1 = error). O(1), never allocates.
  drift_signal update(double x) noexcept {
    if (rejects(x)) [[unlikely]] return drift_signal::none;
    if (drift_) reset();
    p_mean_.update(x);
    const double p = p_mean_.mean;
    const double n = p_mean_.n;
    const double s = std::sqrt(p * (1.0 - p) / n);
    if (n > warm_start_) {
      if (p + s <= ps_min_) {
        p_min_ = p;
        s_min_ = s;
        ps_min_ = p_min_ + s_min_;
      }
      warning_ = p + s > p_min_ + detail::rounded(p_.warning_threshold * s_min_);
      if (p + s > p_min_ + detail::rounded(p_.drift_threshold * s_min_)) {
        drift_ = true;
        warning_ = false;
      }
    }
    return drift_ ? drift_signal::drift : warning_ ? drift_signal::warning : drift_signal::none;
  }

  /// Forgets everything seen. O(1).
  void reset() noexcept {
    p_mean_ = {};
    p_min_ = s_min_ = ps_min_ = std::numeric_limits<double>::infinity();
    drift_ = warning_ = false;
  }

  bool drift_detected() const noexcept { return drift_; }
  bool warning_detected() const noexcept { return warning_; }
  /// Current error rate p.
  double error_rate() const noexcept { return p_mean_.mean; }
  /// The detector's statistic: the error rate p.
  double statistic() const noexcept { return p_mean_.mean; }
  const ddm_params& params() const noexcept { return p_; }

 private:
  static ddm_params check(const ddm_params& p) {
    if (p.warm_start < 0)
      detail::param_error("ddm", "warm_start must be >= 0, got " + std::to_string(p.warm_start));
    if (!(p.warning_threshold > 0.0))
      detail::param_error("ddm",
                          "warning_threshold must be > 0, got " + detail::num(p.warning_threshold));
    if (!(p.drift_threshold > 0.0))
      detail::param_error("ddm",
                          "drift_threshold must be > 0, got " + detail::num(p.drift_threshold));
    return p;
  }

  ddm_params p_;
  double warm_start_ = static_cast<double>(p_.warm_start);
  detail::river_mean p_mean_;
  double p_min_, s_min_, ps_min_;
  bool drift_ = false, warning_ = false;
};

static_assert(drift_detector_with_statistic<ddm>);

RILL_NAMESPACE_END
