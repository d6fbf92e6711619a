// Online learning of linear models: loss + regularisation + optimiser + schedule.
#pragma once

#include <algorithm>
#include <array>
#include <cmath>
#include <cstddef>
#include <cstdint>

#include "rill/config.hpp"
#include "rill/core/event.hpp"
#include "rill/learn/loss.hpp"
#include "rill/learn/optimizer.hpp"
#include "rill/learn/schedule.hpp"

RILL_NAMESPACE_BEGIN

/// How to learn a linear model online: the settings, independent of the model's width.
///
/// For one labelled row (x, y) with margin m = w·x + b and g = clip(loss'(m, y)):
///   bias:    b ← b − intercept_lr·g (intercept_lr < 0: the weights' step size);
///   weights: the optimiser steps each w_i along g·x_i + l2·w_i, with step size
///            schedule(t) (t = 1 for the first update);
///   l1:      cumulative truncated gradient (Tsuruoka et al. 2009): over the stream each
///            weight may receive at most Σ l1·eta of shrinkage toward 0, never across it.
/// This is River's generalised linear model (river.linear_model), step for step;
/// `learner<Model>` holds the per-model state.
///
/// A row with a non-finite feature or target (or whose margin overflows) is not
/// learnt and is counted in `rejected()`: one bad row never poisons the weights.
template <class Loss = squared_loss, class Optimizer = sgd_optimizer,
          class Schedule = constant_rate>
struct linear_learner {
  Loss loss{};
  Optimizer optimizer{};
  Schedule schedule{};
  double l2 = 0.0;
  double l1 = 0.0;
  double intercept_lr = -1.0;
  double clip_gradient = 1e12;
  bool fit_intercept = true;

  /// The state of learning one model of type `Model` (a `linear_model<D, T, Link>`):
  /// optimiser slots and a mini-batch accumulator, inline. update/accumulate/apply:
  /// O(D), noexcept, never allocate. One thread.
  template <class Model>
  class learner {
   public:
    using value_type = typename Model::value_type;
    using row_type = typename Model::row_type;
    static constexpr std::size_t width = Model::width;

    explicit learner(const linear_learner& settings) noexcept : s_(settings) {}

    /// Learns one labelled row now.
    void update(Model& model, const row_type& x, value_type y) noexcept {
      value_type g;
      if (!margin_gradient(model, x, y, g)) return;
      step(model, x, g, g);
    }

    /// Adds one row's gradient to the pending mini-batch (see `apply`).
    void accumulate(const Model& model, const row_type& x, value_type y) noexcept {
      value_type g;
      if (!margin_gradient(model, x, y, g)) return;
      for (std::size_t i = 0; i < width; ++i) batch_[i] += g * x[i];
      batch_bias_ += g;
      ++batch_count_;
    }

    /// Takes one optimiser step along the mean gradient of the accumulated rows.
    void apply(Model& model) noexcept {
      if (batch_count_ == 0) return;
      const value_type inv = value_type(1) / static_cast<value_type>(batch_count_);
      step(model, batch_, batch_bias_ * inv, inv);
      batch_ = row_type{};
      batch_bias_ = 0;
      batch_count_ = 0;
    }

    std::size_t pending_rows() const noexcept { return batch_count_; }
    /// Multiplies every step size from now on (drift policies raise it for a while).
    void set_rate_scale(double scale) noexcept { rate_scale_ = scale; }
    double rate_scale() const noexcept { return rate_scale_; }
    std::uint64_t updates() const noexcept { return t_; }
    /// Rows not learnt: a non-finite feature, target or margin.
    std::uint64_t rejected() const noexcept { return rejected_; }
    linear_learner& settings() noexcept { return s_; }
    const linear_learner& settings() const noexcept { return s_; }
    /// Forgets optimiser state and the pending batch (the model is left as it is).
    void reset() noexcept { *this = learner(s_); }

    /// Calls `v("name", member)` for every member that changes while learning (all but
    /// the settings), so a checkpoint can save and restore it (rill/io/checkpoint.hpp).
    template <class Visitor>
    void visit_state(Visitor&& v) {
      v("t", t_);
      v("rate_scale", rate_scale_);
      v("slots", slots_);
      v("scratch", scratch_);
      v("batch", batch_);
      v("batch_bias", batch_bias_);
      v("batch_count", batch_count_);
      v("max_l1", max_l1_);
      v("received_l1", received_l1_);
    }

   private:
    // False (and counted) for a row that must not be learnt. A non-finite x makes the
    // margin non-finite (w·NaN, w·Inf and 0·Inf are all non-finite), so one check
    // on the margin screens the whole row.
    bool margin_gradient(const Model& model, const row_type& x, value_type y, value_type& g) noexcept {
      const value_type m = model.margin(x);
      if (!std::isfinite(m) || !std::isfinite(y)) [[unlikely]] {
        ++rejected_;
        return false;
      }
      const value_type c = static_cast<value_type>(s_.clip_gradient);
      g = std::clamp(s_.loss.gradient(m, y), -c, c);
      return true;
    }

    // One update. The weights' loss gradient is scale·dir: for one row dir = x and
    // scale = g; for a batch dir = Σ g·x and scale = 1/n. `g` is the bias gradient.
    void step(Model& model, const row_type& dir, value_type g, value_type scale) noexcept {
      ++t_;
      const double lr = s_.schedule(t_) * rate_scale_;
      const auto rate = static_cast<value_type>(s_.optimizer.rate(lr, t_));
      const auto l2_coef = static_cast<value_type>(s_.l2);
      if (s_.fit_intercept)
        model.bias -= (s_.intercept_lr < 0 ? static_cast<value_type>(lr)
                                           : static_cast<value_type>(s_.intercept_lr * rate_scale_)) * g;
      auto coordinates = [&](const auto& opt) noexcept {
        for (std::size_t i = 0; i < width; ++i) {
          value_type& w = model.weights[i];
          opt.step(w, scale * dir[i] + l2_coef * w, rate, slot<0>(i), slot<1>(i));
        }
      };
      if constexpr (requires { s_.optimizer.visit(coordinates); }) {
        s_.optimizer.visit(coordinates);  // chosen at run time: one dispatch per update
      } else {
        coordinates(s_.optimizer);
      }
      if (s_.l1 != 0) apply_l1(model);
      ++model.version;
    }

    void apply_l1(Model& model) noexcept {
      // River takes the step size after its iteration counter moved on: schedule(t + 1).
      max_l1_ += s_.l1 * s_.schedule(t_ + 1);
      for (std::size_t i = 0; i < width; ++i) {
        const double w = model.weights[i];
        double shrunk = w;
        if (w > 0) {
          shrunk = std::max(0.0, w - (max_l1_ + received_l1_[i]));
        } else if (w < 0) {
          shrunk = std::min(0.0, w + (max_l1_ - received_l1_[i]));
        }
        model.weights[i] = static_cast<value_type>(shrunk);
        received_l1_[i] += shrunk - w;
      }
    }

    template <std::size_t K>
    value_type& slot(std::size_t i) noexcept {
      if constexpr (K < Optimizer::slots) {
        return slots_[K][i];
      } else {
        return scratch_;
      }
    }

    linear_learner s_;
    std::uint64_t t_ = 0;
    std::uint64_t rejected_ = 0;
    double rate_scale_ = 1.0;
    std::array<row_type, Optimizer::slots> slots_{};
    value_type scratch_{};
    row_type batch_{};
    value_type batch_bias_{};
    std::size_t batch_count_ = 0;
    double max_l1_ = 0;                         // Σ l1·eta: shrinkage each weight could get
    std::array<double, width> received_l1_{};  // shrinkage each weight actually got
  };
};

/// Plain SGD at a constant rate: the simplest learner.
template <class Loss>
constexpr linear_learner<Loss> sgd(double learning_rate, double l2 = 0.0) noexcept {
  linear_learner<Loss> s;
  s.schedule.eta0 = learning_rate;
  s.l2 = l2;
  return s;
}

RILL_NAMESPACE_END
