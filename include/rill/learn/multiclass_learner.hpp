// Online learning of multiclass linear models (rill/model/multiclass.hpp): softmax
// (multinomial logistic) regression, and one-vs-rest over any binary linear learner.
//
//   rill::multiclass_linear_model<8, 3, float> model;              // softmax rule
//   auto learn = rill::learn(model, rill::softmax_learner<>{...});
//
//   rill::multiclass_linear_model<8, 3, float, rill::multiclass_rule::ovr> ovr_model;
//   auto learn_ovr = rill::learn(ovr_model, rill::one_vs_rest{rill::sgd<rill::logistic_loss>(0.1)});
//
// Targets are class indices 0..K-1 carried as the label value; anything else (negative,
// too large, NaN) is not learnt and is counted in `rejected()`, as is a row with a
// non-finite feature.
#pragma once

#include <algorithm>
#include <array>
#include <cmath>
#include <cstddef>
#include <cstdint>

#include "rill/config.hpp"
#include "rill/core/event.hpp"
#include "rill/learn/learn.hpp"
#include "rill/learn/optimizer.hpp"
#include "rill/learn/schedule.hpp"
#include "rill/model/linear_kernels.hpp"
#include "rill/model/multiclass.hpp"

RILL_NAMESPACE_BEGIN

namespace detail {
/// The class index a label value names, or K when it names none.
template <std::size_t K, class T>
constexpr std::size_t class_index(T y) noexcept {
  return y >= T(0) && y < T(K) ? static_cast<std::size_t>(y) : K;
}
/// The class of a row that may be learnt: K when the label names no class or a feature
/// is not finite (the learners count both in `rejected()`).
template <std::size_t K, class T, std::size_t D>
constexpr std::size_t learnable_class(const feature_row<T, D>& x, T y) noexcept {
  return all_finite(x) ? class_index<K>(y) : K;
}
}  // namespace detail

/// Softmax (multinomial logistic) regression learnt online: the settings.
///
/// For one row (x, class c) with margins m_k = w_k·x + b_k and p = softmax(m), the
/// cross-entropy −log p_c has gradient g_k = p_k − [k = c] in each margin, so
///   bias:    b_k ← b_k − intercept_lr·g_k (intercept_lr < 0: the weights' step size);
///   weights: the optimiser steps each w_ki along g_k·x_i + l2·w_ki with step size
///            schedule(t)·rate_scale (t = 1 for the first update).
/// A mini-batch steps along the mean of the rows' g_k·x (and g_k for the bias). This is
/// `linear_learner`'s convention (River's) with K rows and the softmax loss.
template <class Optimizer = sgd_optimizer, class Schedule = constant_rate>
struct softmax_learner {
  Optimizer optimizer{};
  Schedule schedule{};
  double l2 = 0.0;
  double intercept_lr = -1.0;
  bool fit_intercept = true;

  /// The state of learning one `multiclass_linear_model<D, K, T, softmax>`: optimiser
  /// slots and a K×D mini-batch accumulator, inline. update/accumulate/apply: O(K·D),
  /// noexcept, never allocate. One thread.
  template <class Model>
  class learner {
    static_assert(Model::rule == multiclass_rule::softmax,
                  "rill::softmax_learner trains a multiclass_linear_model whose rule is "
                  "multiclass_rule::softmax; use rill::one_vs_rest for the ovr rule");

   public:
    using value_type = typename Model::value_type;
    using row_type = typename Model::row_type;
    static constexpr std::size_t width = Model::width;
    static constexpr std::size_t classes = Model::classes;

    explicit learner(const softmax_learner& settings) noexcept : s_(settings) {}

    /// Learns one row of class `y` now.
    void update(Model& model, const row_type& x, value_type y) noexcept {
      std::array<value_type, classes> g;
      if (!margin_gradient(model, x, y, g)) return;
      ++t_;
      const step_sizes r = rates();
      step(model, g, r, [&](std::size_t k, std::size_t i) noexcept { return g[k] * x[i]; });
    }

    /// Adds one row's gradient to the pending mini-batch (see `apply`).
    void accumulate(const Model& model, const row_type& x, value_type y) noexcept {
      std::array<value_type, classes> g;
      if (!margin_gradient(model, x, y, g)) return;
      for (std::size_t k = 0; k < classes; ++k) {
        for (std::size_t i = 0; i < width; ++i) batch_[k][i] += g[k] * x[i];
        batch_bias_[k] += g[k];
      }
      ++batch_count_;
    }

    /// Takes one step along the mean gradient of the accumulated rows.
    void apply(Model& model) noexcept {
      if (batch_count_ == 0) return;
      const value_type inv = value_type(1) / static_cast<value_type>(batch_count_);
      std::array<value_type, classes> g;
      for (std::size_t k = 0; k < classes; ++k) g[k] = batch_bias_[k] * inv;
      ++t_;
      const step_sizes r = rates();
      step(model, g, r, [&](std::size_t k, std::size_t i) noexcept { return batch_[k][i] * inv; });
      batch_ = {};
      batch_bias_ = {};
      batch_count_ = 0;
    }

    std::size_t pending_rows() const noexcept { return batch_count_; }
    /// Rows not learnt because their label named no class.
    std::uint64_t rejected() const noexcept { return rejected_; }
    std::uint64_t updates() const noexcept { return t_; }
    void set_rate_scale(double scale) noexcept { rate_scale_ = scale; }
    double rate_scale() const noexcept { return rate_scale_; }
    softmax_learner& settings() noexcept { return s_; }
    const softmax_learner& settings() const noexcept { return s_; }
    /// Forgets optimiser state and the pending batch (the model is left as it is).
    void reset() noexcept { *this = learner(s_); }

    /// Calls `v("name", member)` for every member that changes while learning, for
    /// checkpoints (rill/io/checkpoint.hpp).
    template <class Visitor>
    void visit_state(Visitor&& v) {
      v("t", t_);
      v("rate_scale", rate_scale_);
      v("rejected", rejected_);
      v("slots", slots_);
      v("batch", batch_);
      v("batch_bias", batch_bias_);
      v("batch_count", batch_count_);
    }

   private:
    struct step_sizes {
      value_type weights, bias;
    };

    // g_k = p_k − [k = y]; false (and counted) when y names no class.
    bool margin_gradient(const Model& model, const row_type& x, value_type y,
                         std::array<value_type, classes>& g) noexcept {
      const std::size_t c = detail::learnable_class<classes>(x, y);
      if (c == classes) {
        ++rejected_;
        return false;
      }
      g = Model::proba_from_margins(model.margins(x));
      g[c] -= value_type(1);
      return true;
    }

    step_sizes rates() const noexcept {
      const double lr = s_.schedule(t_) * rate_scale_;
      return {static_cast<value_type>(s_.optimizer.rate(lr, t_)),
              static_cast<value_type>(s_.intercept_lr < 0 ? lr : s_.intercept_lr * rate_scale_)};
    }

    // `grad(k, i)` is the loss gradient of w_ki (before L2); `g` the biases'.
    template <class Grad>
    void step(Model& model, const std::array<value_type, classes>& g, step_sizes r,
              Grad&& grad) noexcept {
      if (s_.fit_intercept)
        for (std::size_t k = 0; k < classes; ++k) model.bias[k] -= r.bias * g[k];
      const auto l2_coef = static_cast<value_type>(s_.l2);
      auto coordinates = [&](const auto& opt) noexcept {
        value_type scratch_a{}, scratch_b{};
        for (std::size_t k = 0; k < classes; ++k) {
          for (std::size_t i = 0; i < width; ++i) {
            value_type& w = model.weights[k][i];
            value_type* a = &scratch_a;
            value_type* b = &scratch_b;
            if constexpr (Optimizer::slots >= 1) a = &slots_[0][k][i];
            if constexpr (Optimizer::slots >= 2) b = &slots_[1][k][i];
            opt.step(w, grad(k, i) + l2_coef * w, r.weights, *a, *b);
          }
        }
      };
      if constexpr (requires { s_.optimizer.visit(coordinates); }) {
        s_.optimizer.visit(coordinates);  // chosen at run time: one dispatch per update
      } else {
        coordinates(s_.optimizer);
      }
      ++model.version;
    }

    softmax_learner s_;
    std::uint64_t t_ = 0;
    double rate_scale_ = 1.0;
    std::uint64_t rejected_ = 0;
    std::array<std::array<row_type, classes>, Optimizer::slots> slots_{};
    std::array<row_type, classes> batch_{};
    std::array<value_type, classes> batch_bias_{};
    std::size_t batch_count_ = 0;
  };
};

namespace detail {
/// Row k of a multiclass model seen as a binary linear model, so a binary learner
/// updates it in place: the members a linear learner touches, by reference.
template <std::size_t D, class T>
struct class_row {
  using value_type = T;
  using row_type = feature_row<T, D>;
  static constexpr std::size_t width = D;

  row_type& weights;
  T& bias;
  std::uint64_t version = 0;  // the multiclass model keeps the real count

  template <class Arch = detail::simd::default_arch>
  T margin(const row_type& x) const noexcept {
    return detail::kernels::dot<Arch, T, D>(weights.data(), x.data()) + bias;
  }
};
}  // namespace detail

/// One-vs-rest: K copies of a binary linear learner (e.g. `linear_learner<logistic_loss>`,
/// or `sklearn_sgd`, whose own multiclass SGDClassifier is one-vs-rest), class k's
/// learning row k of the model on the target [y = k] ∈ {0, 1}. All K see the same row.
template <class BinaryLearner>
struct one_vs_rest {
  BinaryLearner binary{};

  /// The K binary learner states, inline. update/accumulate/apply: K times the binary
  /// learner's cost (O(K·D) for a linear one), noexcept, never allocate. One thread.
  template <class Model>
  class learner {
    static_assert(Model::rule == multiclass_rule::ovr,
                  "rill::one_vs_rest trains a multiclass_linear_model whose rule is "
                  "multiclass_rule::ovr; use rill::softmax_learner for the softmax rule");

   public:
    using value_type = typename Model::value_type;
    using row_type = typename Model::row_type;
    using row_view = detail::class_row<Model::width, value_type>;
    using binary_state = typename detail::learner_state<BinaryLearner, row_view>::type;
    static constexpr std::size_t classes = Model::classes;

    explicit learner(const one_vs_rest& settings) noexcept
        : learner(settings, std::make_index_sequence<classes>{}) {}

    /// Learns one row of class `y` now: every binary learner takes one step.
    void update(Model& model, const row_type& x, value_type y) noexcept {
      const std::size_t c = detail::learnable_class<classes>(x, y);
      if (c == classes) {
        ++rejected_;
        return;
      }
      for (std::size_t k = 0; k < classes; ++k) {
        row_view row{model.weights[k], model.bias[k]};
        states_[k].update(row, x, k == c ? value_type(1) : value_type(0));
      }
      ++model.version;
    }

    /// Adds one row to every binary learner's pending mini-batch.
    void accumulate(const Model& model, const row_type& x, value_type y) noexcept {
      const std::size_t c = detail::learnable_class<classes>(x, y);
      if (c == classes) {
        ++rejected_;
        return;
      }
      auto& m = const_cast<Model&>(model);  // the view is read-only here: accumulate takes it const
      for (std::size_t k = 0; k < classes; ++k) {
        const row_view row{m.weights[k], m.bias[k]};
        states_[k].accumulate(row, x, k == c ? value_type(1) : value_type(0));
      }
    }

    /// Every binary learner steps along its mean gradient.
    void apply(Model& model) noexcept {
      if (pending_rows() == 0) return;
      for (std::size_t k = 0; k < classes; ++k) {
        row_view row{model.weights[k], model.bias[k]};
        states_[k].apply(row);
      }
      ++model.version;
    }

    std::size_t pending_rows() const noexcept { return states_[0].pending_rows(); }
    std::uint64_t rejected() const noexcept { return rejected_; }
    void set_rate_scale(double scale) noexcept {
      for (auto& s : states_) s.set_rate_scale(scale);
    }
    /// Class k's binary learner state.
    binary_state& binary(std::size_t k) noexcept { return states_[k]; }
    const binary_state& binary(std::size_t k) const noexcept { return states_[k]; }

   private:
    template <std::size_t... I>
    learner(const one_vs_rest& settings, std::index_sequence<I...>) noexcept
        : states_{{((void)I, binary_state(settings.binary))...}} {}

    std::array<binary_state, classes> states_;
    std::uint64_t rejected_ = 0;
  };
};

template <class BinaryLearner>
one_vs_rest(BinaryLearner) -> one_vs_rest<BinaryLearner>;

RILL_NAMESPACE_END
