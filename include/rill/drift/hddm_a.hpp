// HDDM-A (Frías-Blanco et al. 2014) as River's `drift.binary.HDDMA` computes it.
#pragma once

#include <cmath>

#include "rill/config.hpp"
#include "rill/drift/detector.hpp"

RILL_NAMESPACE_BEGIN

/// HDDM-A's parameters, with River's names and defaults.
struct hddm_a_params {
  double drift_confidence = 0.001;    ///< in (0, 1)
  double warning_confidence = 0.005;  ///< in (0, 1)
  bool two_sided_test = false;        ///< also watch for a falling mean
};

/// Drift detection with Hoeffding's bound on moving averages: compares the mean
/// since the start with the mean up to the cut point where (mean + bound) was
/// smallest (largest for the falling side); a significant rise is a warning or a
/// drift. Input in [0, 1], usually an error stream (1 = error).
///
/// O(1) per update (a few sqrt), no allocation ever, trivially copyable; one thread.
class hddm_a : public input_screen {
 public:
  using params_type = hddm_a_params;

  /// Validates `p` (std::invalid_argument naming the parameter).
  explicit hddm_a(const hddm_a_params& p = {})
      : p_(check(p)),
        log_bound_(std::log(1.0 / p_.drift_confidence)),
        log_drift_(std::log(2.0 / p_.drift_confidence)),
        log_warning_(std::log(2.0 / p_.warning_confidence)) {
    reset();
  }

  /// Takes one value. O(1), never allocates.
  drift_signal update(double x) noexcept {
    if (rejects(x)) [[unlikely]] return drift_signal::none;
    if (drift_) reset();
    z_.update(x);
    const double eps_z = bound(z_.n);
    // A cut point is a copy of z, so its bound is the eps_z of the update that
    // copied it: cached instead of recomputed (same double).
    if (x_min_.n == 0.0) x_min_ = z_, eps_min_ = eps_z;
    if (x_max_.n == 0.0) x_max_ = z_, eps_max_ = eps_z;
    if (x_min_.mean + eps_min_ >= z_.mean + eps_z) x_min_ = z_, eps_min_ = eps_z;
    if (x_max_.mean - eps_max_ <= z_.mean - eps_z) x_max_ = z_, eps_max_ = eps_z;

    // Drift needs the larger bound; test it first, the warning only if it fails.
    const int rise = mean_change(x_min_, +1.0);
    drift_ = rise == 2;
    warning_ = rise == 1;
    if (p_.two_sided_test) {
      const int fall = mean_change(x_max_, -1.0);
      if (fall == 2)
        drift_ = true;
      else if (fall == 1)
        warning_ = true;
    }
    return drift_ ? drift_signal::drift : warning_ ? drift_signal::warning : drift_signal::none;
  }

  /// Forgets everything seen. O(1).
  void reset() noexcept {
    z_ = x_min_ = x_max_ = {};
    drift_ = warning_ = false;
  }

  bool drift_detected() const noexcept { return drift_; }
  bool warning_detected() const noexcept { return warning_; }
  /// The detector's statistic: the running mean of the input.
  double statistic() const noexcept { return z_.mean; }
  const hddm_a_params& params() const noexcept { return p_; }

 private:
  static hddm_a_params check(const hddm_a_params& p) {
    if (!(p.drift_confidence > 0.0 && p.drift_confidence < 1.0))
      detail::param_error(
          "hddm_a", "drift_confidence must be in (0, 1), got " + detail::num(p.drift_confidence));
    if (!(p.warning_confidence > 0.0 && p.warning_confidence < 1.0))
      detail::param_error("hddm_a", "warning_confidence must be in (0, 1), got " +
                                        detail::num(p.warning_confidence));
    return p;
  }

  // River: sqrt(1 / (2n) · ln(1 / drift_confidence)), for both cut points.
  double bound(double n) const noexcept { return std::sqrt(1.0 / (2.0 * n) * log_bound_); }

  // River's _mean_incr (sign +1: z - cut >= eps) or _mean_decr (sign -1: cut - z >= eps)
  // at both confidences: 2 = past the drift bound, 1 = past the warning bound only.
  // A negative difference can pass neither (eps >= 0), so no sqrt is taken then.
  int mean_change(const detail::river_mean& cut, double sign) const noexcept {
    if (cut.n == z_.n) return 0;
    const double diff = sign > 0 ? z_.mean - cut.mean : cut.mean - z_.mean;
    if (diff < 0.0) return 0;
    const double m = (z_.n - cut.n) / cut.n * (1.0 / z_.n);
    if (diff >= std::sqrt(m / 2.0 * log_drift_)) return 2;
    return diff >= std::sqrt(m / 2.0 * log_warning_) ? 1 : 0;
  }

  hddm_a_params p_;
  double log_bound_, log_drift_, log_warning_;
  detail::river_mean z_, x_min_, x_max_;
  double eps_min_ = 0.0, eps_max_ = 0.0;  // bounds of the cut points
  bool drift_ = false, warning_ = false;
};

static_assert(drift_detector_with_statistic<hddm_a>);

RILL_NAMESPACE_END
