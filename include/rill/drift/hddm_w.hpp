// HDDM-W (Frías-Blanco et al. 2014) as River's `drift.binary.HDDMW` computes it.
#pragma once

#include <cmath>
#include <limits>

#include "rill/config.hpp"
#include "rill/drift/detector.hpp"

RILL_NAMESPACE_BEGIN

/// HDDM-W's parameters, with River's names and defaults.
struct hddm_w_params {
  double drift_confidence = 0.001;    ///< in (0, 1)
  double warning_confidence = 0.005;  ///< in (0, 1)
  double lambda_val = 0.05;           ///< weight of recent data in the EWMA, in (0, 1]
  bool two_sided_test = false;        ///< also watch for a falling mean
};

/// Drift detection with McDiarmid's bound on exponentially weighted moving
/// averages: keeps the EWMA of the whole stream, the EWMA up to the cut point
/// where (EWMA + bound) was smallest, and an EWMA of what came after it; a
/// significant rise of the latter is a warning or a drift. Input in [0, 1].
///
/// The EWMAs follow River's `stats.EWMean`, including its rule that a mean of
/// exactly 0 is replaced by the next value.
///
/// O(1) per update, no allocation ever, trivially copyable; one thread.
class hddm_w : public input_screen {
 public:
  using params_type = hddm_w_params;

  /// Validates `p` (std::invalid_argument naming the parameter).
  explicit hddm_w(const hddm_w_params& p = {})
      : p_(check(p)),
        lambda_sq_(p_.lambda_val * p_.lambda_val),
        c_lambda_sq_(std::pow(1.0 - p_.lambda_val, two_)),
        log_drift_(std::log(1.0 / p_.drift_confidence)),
        log_warning_(std::log(1.0 / p_.warning_confidence)) {
    reset();
  }

  /// Takes one value. O(1), never allocates.
  drift_signal update(double x) noexcept {
    if (rejects(x)) [[unlikely]] return drift_signal::none;
    if (drift_) reset();
    add(total_, x);

    // Rising side: the cut point moves while EWMA + bound keeps falling. River
    // computes the same bound again for the falling side; it is reused.
    const double eps = mcdiarmid(total_.ibc, log_drift_);
    if (total_.ewma.mean + eps < incr_cut_) {
      incr_cut_ = total_.ewma.mean + eps;
      s1_incr_ = total_;
      s2_incr_ = fresh();
    } else {
      add(s2_incr_, x);
    }
    if (changed(s1_incr_, s2_incr_, log_drift_)) {
      warning_ = false;
      drift_ = true;
    } else {
      warning_ = changed(s1_incr_, s2_incr_, log_warning_);
      drift_ = false;
    }

    // Falling side: tracked always (as River does), tested only when two-sided.
    if (total_.ewma.mean - eps > decr_cut_) {
      decr_cut_ = total_.ewma.mean - eps;
      s1_decr_ = total_;
      s2_decr_ = fresh();
    } else {
      add(s2_decr_, x);
    }
    if (p_.two_sided_test) {
      if (changed(s2_decr_, s1_decr_, log_drift_))
        drift_ = true;
      else if (changed(s2_decr_, s1_decr_, log_warning_))
        warning_ = true;
    }
    return drift_ ? drift_signal::drift : warning_ ? drift_signal::warning : drift_signal::none;
  }

  /// Forgets everything seen. O(1).
  void reset() noexcept {
    total_ = s1_incr_ = s2_incr_ = s1_decr_ = s2_decr_ = fresh();
    incr_cut_ = std::numeric_limits<double>::infinity();
    decr_cut_ = -std::numeric_limits<double>::infinity();
    drift_ = warning_ = false;
  }

  bool drift_detected() const noexcept { return drift_; }
  bool warning_detected() const noexcept { return warning_; }
  /// The detector's statistic: the EWMA of the whole stream.
  double statistic() const noexcept { return total_.ewma.mean; }
  const hddm_w_params& params() const noexcept { return p_; }

 private:
  struct sample_info {
    detail::river_ewmean ewma;
    bool is_init = false;
    double ibc = 1.0;  // independent bounded condition: sum of squared weights
  };

  static hddm_w_params check(const hddm_w_params& p) {
    if (!(p.drift_confidence > 0.0 && p.drift_confidence < 1.0))
      detail::param_error(
          "hddm_w", "drift_confidence must be in (0, 1), got " + detail::num(p.drift_confidence));
    if (!(p.warning_confidence > 0.0 && p.warning_confidence < 1.0))
      detail::param_error("hddm_w", "warning_confidence must be in (0, 1), got " +
                                        detail::num(p.warning_confidence));
    if (!(p.lambda_val > 0.0 && p.lambda_val <= 1.0))
      detail::param_error("hddm_w",
                          "lambda_val must be in (0, 1], got " + detail::num(p.lambda_val));
    return p;
  }

  sample_info fresh() const noexcept {
    sample_info s;
    s.ewma.fading = p_.lambda_val;
    return s;
  }
  void add(sample_info& s, double x) const noexcept {
    s.ewma.update(x);
    s.is_init = true;
    s.ibc = lambda_sq_ + detail::rounded(c_lambda_sq_ * s.ibc);
  }
  static double mcdiarmid(double ibc, double log_term) noexcept {
    return std::sqrt(ibc * log_term / 2.0);
  }
  // River's _has_mean_changed(sample1, sample2): sample2 - sample1 > bound.
  // A difference <= 0 cannot exceed a bound >= 0, so no sqrt is taken then.
  static bool changed(const sample_info& a, const sample_info& b, double log_term) noexcept {
    if (!(a.is_init && b.is_init)) return false;
    const double diff = b.ewma.mean - a.ewma.mean;
    return diff > 0.0 && diff > mcdiarmid(a.ibc + b.ibc, log_term);
  }

  // River's `(1 - lambd) ** 2` is libm's pow, which is not always x·x; g++ folds
  // pow(x, 2.0) into x·x at -O1 and up unless it cannot see the exponent.
  static inline const volatile double two_ = 2.0;

  hddm_w_params p_;
  double lambda_sq_, c_lambda_sq_, log_drift_, log_warning_;
  sample_info total_, s1_incr_, s2_incr_, s1_decr_, s2_decr_;
  double incr_cut_ = 0.0, decr_cut_ = 0.0;
  bool drift_ = false, warning_ = false;
};

static_assert(drift_detector_with_statistic<hddm_w>);

RILL_NAMESPACE_END
