// EDDM (Baena-García et al. 2006) as River's `drift.binary.EDDM` computes it.
#pragma once

#include <cmath>

#include "rill/config.hpp"
#include "rill/detail/pow_half.hpp"
#include "rill/drift/detector.hpp"

RILL_NAMESPACE_BEGIN

/// EDDM's parameters, with River's names and defaults.
struct eddm_params {
  int warm_start = 30;  ///< updates and errors needed before any test (>= 0)
  double alpha = 0.95;  ///< warning when (p' + 2s') / max < alpha, in (0, 1]
  double beta = 0.9;    ///< drift when (p' + 2s') / max < beta, in (0, alpha]
};

/// Early Drift Detection Method on an error stream (1 = error). Tracks the mean
/// p' and standard deviation s' of the distance between consecutive errors and
/// the maximum of p' + 2s'; when errors come closer together, the ratio
/// (p' + 2s') / max falls, below alpha (warning) and below beta (drift).
/// Only a value of exactly 1 counts as an error, as in River.
///
/// O(1) per update, no allocation ever, trivially copyable; one thread.
class eddm : public input_screen {
 public:
  using params_type = eddm_params;

  /// Validates `p` (std::invalid_argument naming the parameter).
  explicit eddm(const eddm_params& p = {}) : p_(check(p)) { reset(); }

  /// Takes one outcome (1 = error). O(1), never allocates.
  drift_signal update(double x) noexcept {
    if (rejects(x)) [[unlikely]] return drift_signal::none;
    if (drift_) reset();
    n_ += 1.0;
    if (x == 1.0) {
      n_errors_ += 1.0;
      distances_.update(n_ - last_error_);
      if (n_ > warm_start_) {
        const double pi = distances_.m.mean;
        // River takes the square root as `** 0.5`, i.e. pow(): same bits, sqrt's cost.
        const double si = detail::pow_half(distances_.get());
        const double p2s = pi + 2.0 * si;  // 2·si is exact: fused or not, the same sum
        if (p2s > p2s_max_) {
          p2s_max_ = p2s;
        } else if (n_errors_ > warm_start_) {
          level_ = p2s / p2s_max_;
          if (level_ < p_.beta)
            drift_ = true;
          else
            warning_ = level_ < p_.alpha;
        }
      }
      last_error_ = n_;
    }
    return drift_ ? drift_signal::drift : warning_ ? drift_signal::warning : drift_signal::none;
  }

  /// Forgets everything seen. O(1).
  void reset() noexcept {
    distances_ = {};
    n_ = last_error_ = n_errors_ = 0.0;
    p2s_max_ = -1.0;
    level_ = 1.0;
    drift_ = warning_ = false;
  }

  bool drift_detected() const noexcept { return drift_; }
  bool warning_detected() const noexcept { return warning_; }
  /// The detector's statistic: the last ratio (p' + 2s') / max tested (1 before any test).
  double statistic() const noexcept { return level_; }
  const eddm_params& params() const noexcept { return p_; }

 private:
  static eddm_params check(const eddm_params& p) {
    if (p.warm_start < 0)
      detail::param_error("eddm", "warm_start must be >= 0, got " + std::to_string(p.warm_start));
    if (!(p.alpha > 0.0 && p.alpha <= 1.0))
      detail::param_error("eddm", "alpha must be in (0, 1], got " + detail::num(p.alpha));
    if (!(p.beta > 0.0 && p.beta <= 1.0))
      detail::param_error("eddm", "beta must be in (0, 1], got " + detail::num(p.beta));
    if (p.alpha < p.beta)
      detail::param_error("eddm", "alpha must be greater or equal to beta, got alpha=" +
                                      detail::num(p.alpha) + " beta=" + detail::num(p.beta));
    return p;
  }

  eddm_params p_;
  double warm_start_ = static_cast<double>(p_.warm_start);
  detail::river_var distances_;
  double n_ = 0.0, last_error_ = 0.0, n_errors_ = 0.0;
  double p2s_max_ = -1.0, level_ = 1.0;
  bool drift_ = false, warning_ = false;
};

static_assert(drift_detector_with_statistic<eddm>);

RILL_NAMESPACE_END
