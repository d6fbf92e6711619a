// scikit-learn compatibility: SGDClassifier / SGDRegressor / PassiveAggressive*
// `partial_fit`, one row at a time, reproduced step for step.
#pragma once

#include <algorithm>
#include <array>
#include <cmath>
#include <cstddef>
#include <cstdint>
#include <limits>

#include "rill/config.hpp"
#include "rill/core/event.hpp"
#include "rill/learn/loss.hpp"
#include "rill/learn/schedule.hpp"

RILL_NAMESPACE_BEGIN

/// Regularisation terms, as scikit-learn names them.
enum class penalty { none, l2, l1, elastic_net };

/// Passive-aggressive step rules (Crammer et al. 2006); `none` is plain SGD.
enum class passive_aggressive { none, pa1, pa2 };

/// The per-sample update of scikit-learn 1.2's `_plain_sgd`, for a dense linear model:
///
///   eta  = schedule(t)                         (t = 1 for the first sample)
///   p    = w·x + b
///   step = −eta · clip(loss'(p, y), ±1e12)     (PA: min(C, loss/‖x‖²) or loss/(‖x‖² + 1/2C))
///   w   *= max(0, 1 − (1 − l1_ratio)·eta·alpha)   (l2, elastic net)
///   w   += step·x ;  b += step
///   l1: truncated gradient (Tsuruoka et al. 2009) with u = l1_ratio·eta·alpha: each weight
///       moves toward 0 by u, never across it. scikit-learn accumulates u and the applied
///       penalties q only within one `partial_fit` call, so for one row per call (what
///       this class reproduces) they start from 0 at every row.
///
/// scikit-learn keeps w as (raw vector × scale); rill keeps the true weights, which is
/// the same arithmetic up to rounding (matches to ~1e-12 relative over 45k steps).
/// Targets are values for regression and 0/1 for classification (mapped to ±1 inside
/// the losses, as scikit-learn maps the positive class to +1).
/// O(D) per update; never allocates.
template <class Loss, std::size_t D, class T = double>
class sklearn_sgd {
 public:
  struct settings {
    Loss loss{};
    rill::penalty penalty = rill::penalty::l2;
    double alpha = 1e-4;
    double l1_ratio = 0.15;
    any_schedule schedule{};
    bool fit_intercept = true;
    passive_aggressive pa = passive_aggressive::none;
    double C = 1.0;  ///< PA aggressiveness
  };

  explicit sklearn_sgd(settings s) noexcept : s_(s) {
    if (s_.penalty == rill::penalty::l2) s_.l1_ratio = 0.0;
    if (s_.penalty == rill::penalty::l1) s_.l1_ratio = 1.0;
    if (s_.schedule.which == any_schedule::kind::optimal)
      s_.schedule.optimal = optimal_rate(s_.alpha, s_.loss);
  }

  /// Updates `model` (a linear model over D features of type T) on one row; returns
  /// the loss at the prediction made before the update. A row with a non-finite
  /// feature or target (or margin) is not learnt, counted in `rejected()`, and returns
  /// NaN.
  template <class Model>
  T update(Model& model, const feature_row<T, D>& x, T y) noexcept {
    const double eta = s_.schedule(t_) * rate_scale_;
    const double p = static_cast<double>(model.margin(x));
    const double yd = static_cast<double>(y);
    if (!std::isfinite(p) || !std::isfinite(yd)) [[unlikely]] {  // a NaN x makes p NaN
      ++rejected_;
      return std::numeric_limits<T>::quiet_NaN();
    }
    const double loss_before = s_.loss.loss(p, yd);
    double step;
    if (s_.pa != passive_aggressive::none) {
      double sq = 0;
      for (std::size_t i = 0; i < D; ++i) sq += double(x[i]) * double(x[i]);
      if (sq == 0) return static_cast<T>(loss_before);  // scikit-learn skips the row (t unchanged)
      step = s_.pa == passive_aggressive::pa1 ? std::min(s_.C, loss_before / sq)
                                              : loss_before / (sq + 0.5 / s_.C);
      if (is_classification_loss(s_.loss)) {
        step *= yd > 0.5 ? 1.0 : -1.0;
      } else if (yd - p < 0) {
        step = -step;
      }
    } else {
      constexpr double max_dloss = 1e12;
      step = -eta * std::clamp(s_.loss.gradient(p, yd), -max_dloss, max_dloss);
    }
    if (s_.penalty == rill::penalty::l2 || s_.penalty == rill::penalty::elastic_net) {
      const double scale = std::max(0.0, 1.0 - (1.0 - s_.l1_ratio) * eta * s_.alpha);
      for (std::size_t i = 0; i < D; ++i) model.weights[i] = static_cast<T>(model.weights[i] * scale);
    }
    if (step != 0.0) {
      for (std::size_t i = 0; i < D; ++i)
        model.weights[i] = static_cast<T>(model.weights[i] + step * double(x[i]));
      if (s_.fit_intercept) model.bias = static_cast<T>(model.bias + step);
    }
    if (s_.penalty == rill::penalty::l1 || s_.penalty == rill::penalty::elastic_net) {
      const double u = s_.l1_ratio * eta * s_.alpha;
      for (std::size_t i = 0; i < D; ++i) {
        const double z = model.weights[i];
        if (z > 0) {
          model.weights[i] = static_cast<T>(std::max(0.0, z - u));
        } else if (z < 0) {
          model.weights[i] = static_cast<T>(std::min(0.0, z + u));
        }
      }
    }
    ++t_;
    ++model.version;
    return static_cast<T>(loss_before);
  }

  /// Rows not learnt: a non-finite feature, target or margin.
  std::uint64_t rejected() const noexcept { return rejected_; }
  /// scikit-learn's `t_`: 1 + the number of rows learnt.
  std::uint64_t t() const noexcept { return t_; }
  /// Multiplies the step size from now on (drift policies raise it for a while).
  void set_rate_scale(double scale) noexcept { rate_scale_ = scale; }
  double rate_scale() const noexcept { return rate_scale_; }
  /// Starts the schedule again, as a fresh estimator would.
  void reset() noexcept {
    t_ = 1;
    rate_scale_ = 1.0;
  }
  const settings& config() const noexcept { return s_; }

  /// Calls `v("name", member)` for every member that changes while learning (all but
  /// the settings), so a checkpoint can save and restore it (rill/io/checkpoint.hpp).
  template <class Visitor>
  void visit_state(Visitor&& v) {
    v("t", t_);
    v("rate_scale", rate_scale_);
  }

 private:
  settings s_;
  std::uint64_t t_ = 1;
  double rate_scale_ = 1.0;
  std::uint64_t rejected_ = 0;
};

RILL_NAMESPACE_END
