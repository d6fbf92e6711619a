// Online training of the compile-time MLP (rill/model/mlp.hpp) by backpropagation on
// mini-batches, with the per-coordinate optimisers of rill/learn/optimizer.hpp.
//
//   using net = rill::mlp<float, 8, rill::dense<16, rill::activation::tanh>,
//                         rill::dense<1, rill::activation::logistic>>;
//   net model;
//   rill::init_glorot_uniform(model, 42);
//   rill::mlp_learner<rill::mlp_loss::log_loss, rill::adam_optimizer> settings;
//   settings.schedule.eta0 = 1e-3;
//   auto learn = rill::learn(model, settings, rill::mini_batch{32});
//
// Every buffer (activations, deltas, gradient sums, optimiser moments) is sized at
// compile time from the layer sizes and lives inside the learner: no allocation, ever.
#pragma once

#include <array>
#include <cmath>
#include <cstddef>
#include <cstdint>
#include <tuple>
#include <type_traits>
#include <utility>

#include "rill/config.hpp"
#include "rill/learn/optimizer.hpp"
#include "rill/learn/schedule.hpp"
#include "rill/model/activation.hpp"
#include "rill/model/mlp.hpp"

RILL_NAMESPACE_BEGIN

/// The loss an MLP learner minimises, each paired with the output activation whose
/// derivative cancels into the simple output delta a − y (scikit-learn's pairings).
enum class mlp_loss : std::uint8_t {
  automatic,      ///< chosen from the output activation: logistic → log_loss,
                  ///< softmax → cross_entropy, otherwise squared
  squared,        ///< ½ Σ_o (a_o − y_o)², any element-wise output activation
  log_loss,       ///< −Σ_o [y_o log a_o + (1 − y_o) log(1 − a_o)], logistic output
  cross_entropy,  ///< −log a_y (class index y), softmax output
};

namespace detail::mlp_train {

template <class Model, std::size_t... I>
auto layers_of(std::index_sequence<I...>)
    -> std::tuple<std::remove_cvref_t<decltype(std::declval<Model&>().template layer<I>())>...>;

/// A tuple with the type (and so the layout, padding included) of each of the model's
/// layers: gradient sums and optimiser slots are kept in exactly the weights' shape.
template <class Model>
using layers_type = decltype(layers_of<Model>(std::make_index_sequence<Model::depth>{}));

template <class Model, std::size_t L>
using layer_type = std::tuple_element_t<L, layers_type<Model>>;

template <class T, std::size_t N>
struct alignas(64) buffer {
  std::array<T, N> v{};
};

template <class Model, std::size_t... I>
auto outputs_of(std::index_sequence<I...>)
    -> std::tuple<buffer<typename Model::value_type, layer_type<Model, I>::written>...>;
/// Each layer's output for the current row (padded as the forward kernel writes it).
template <class Model>
using activations_type = decltype(outputs_of<Model>(std::make_index_sequence<Model::depth>{}));

template <class Model, std::size_t... I>
auto deltas_of(std::index_sequence<I...>)
    -> std::tuple<buffer<typename Model::value_type,
                         std::tuple_size_v<decltype(layer_type<Model, I>{}.b)>>...>;
/// ∂loss/∂(pre-activation) of each layer for the current row, zero in the padding.
template <class Model>
using deltas_type = decltype(deltas_of<Model>(std::make_index_sequence<Model::depth>{}));

constexpr mlp_loss resolve(mlp_loss l, activation out) noexcept {
  if (l != mlp_loss::automatic) return l;
  if (out == activation::logistic) return mlp_loss::log_loss;
  if (out == activation::softmax) return mlp_loss::cross_entropy;
  return mlp_loss::squared;
}

/// f'(z) written through a = f(z), which is all the forward pass keeps.
template <class T>
RILL_ALWAYS_INLINE T derivative_at_output(activation act, T a) noexcept {
  switch (act) {
    case activation::relu: return a > T(0) ? T(1) : T(0);
    case activation::tanh: return T(1) - a * a;
    case activation::logistic: return a * (T(1) - a);
    default: return T(1);
  }
}

/// y[0..N) += a·x[0..N), in registers of `Arch` (member arrays of one object defeat the
/// compiler's alias analysis, so a plain loop would stay scalar).
template <class Arch, std::size_t N, class T>
RILL_ALWAYS_INLINE void axpy(T* y, T a, const T* x) noexcept {
  using B = xsimd::batch<T, Arch>;
  constexpr std::size_t n = B::size, full = N / n * n;
  const B av(a);
  for (std::size_t i = 0; i < full; i += n)
    xsimd::fma(av, B::load_unaligned(x + i), B::load_unaligned(y + i)).store_unaligned(y + i);
  for (std::size_t i = full; i < N; ++i) y[i] += a * x[i];
}

template <class Model>
concept compile_time_mlp = requires {
  typename Model::value_type;
  typename Model::arch_type;
  Model::depth;
  Model::shape;
  Model::activations;
};

inline std::uint64_t splitmix64(std::uint64_t& s) noexcept {
  std::uint64_t z = (s += 0x9e3779b97f4a7c15ULL);
  z = (z ^ (z >> 30)) * 0xbf58476d1ce4e5b9ULL;
  z = (z ^ (z >> 27)) * 0x94d049bb133111ebULL;
  return z ^ (z >> 31);
}

}  // namespace detail::mlp_train

/// Sets every weight and bias of a compile-time MLP to Glorot-uniform values
/// U(−r, r), r = sqrt(f / (fan_in + fan_out)), f = 2 for layers feeding a logistic
/// hidden activation and 6 otherwise (scikit-learn's rule; it uses the hidden
/// activation for every layer). A net of zeros cannot break the symmetry between
/// hidden units, so call this (or load weights) before training. Deterministic in
/// `seed` (splitmix64). O(weights), no allocation.
template <class Model>
  requires detail::mlp_train::compile_time_mlp<Model>
void init_glorot_uniform(Model& model, std::uint64_t seed) noexcept {
  using T = typename Model::value_type;
  const bool logistic_hidden = Model::depth > 1 && Model::activations[0] == activation::logistic;
  for (std::size_t l = 0; l < Model::depth; ++l) {
    const std::size_t in = Model::shape[l], out = Model::shape[l + 1];
    const double r = std::sqrt((logistic_hidden ? 2.0 : 6.0) / double(in + out));
    auto uniform = [&]() noexcept {
      const double u = double(detail::mlp_train::splitmix64(seed) >> 11) * 0x1.0p-53;
      return static_cast<T>((2.0 * u - 1.0) * r);
    };
    for (std::size_t i = 0; i < in; ++i)
      for (std::size_t o = 0; o < out; ++o) model.weight(l, o, i) = uniform();
    for (std::size_t o = 0; o < out; ++o) model.bias(l, o) = uniform();
  }
  ++model.version;
}

/// How to train a compile-time MLP online: the settings, independent of the net.
///
/// One step over a mini-batch of n rows (n = 1 for `update`):
///   gradient  G_W = (1/n) Σ_rows δ·aᵀ + l2·W,  G_b = (1/n) Σ_rows δ   (no L2 on biases),
///   step      each weight and bias moves by the optimiser along its G with step size
///             schedule(t)·rate_scale (t = 1 for the first step);
/// δ is backpropagated from the output delta: a − y for log_loss (logistic output)
/// and cross_entropy (softmax output), (a − y)·f'(a) for squared. This is scikit-learn's
/// MLPRegressor / MLPClassifier `partial_fit` on one batch with solver 'sgd' or 'adam'
/// (momentum_optimizer is its momentum without Nesterov), where its `alpha` is
/// l2 = alpha / n. `learner<Model>` holds the per-net state.
template <mlp_loss Loss = mlp_loss::automatic, class Optimizer = sgd_optimizer,
          class Schedule = constant_rate>
struct mlp_learner {
  Optimizer optimizer{};
  Schedule schedule{};
  double l2 = 0.0;

  /// The state of training one net of type `Model` (a `rill::mlp`): the current row's
  /// activations and deltas, the mini-batch gradient sums and `Optimizer::slots` copies
  /// of the weights for the optimiser, all inline (about (2 + slots) × the net's size).
  /// accumulate: O(Σ in·out) (forward + backward), apply: O(weights); noexcept, never
  /// allocate. One thread (the model may be read meanwhile only on the same thread).
  template <class Model>
  class learner {
    static_assert(detail::mlp_train::compile_time_mlp<Model>,
                  "rill::mlp_learner trains a compile-time rill::mlp");

   public:
    using value_type = typename Model::value_type;
    using row_type = typename Model::row_type;
    static constexpr std::size_t depth = Model::depth;
    static constexpr std::size_t outputs = Model::outputs;
    static constexpr activation output_activation = Model::activations[depth - 1];
    static constexpr mlp_loss loss = detail::mlp_train::resolve(Loss, output_activation);

    static_assert(loss != mlp_loss::squared || output_activation != activation::softmax,
                  "rill::mlp_learner: the squared loss needs an element-wise output "
                  "activation; train a softmax output with mlp_loss::cross_entropy");
    static_assert(loss != mlp_loss::log_loss || output_activation == activation::logistic,
                  "rill::mlp_learner: mlp_loss::log_loss needs a logistic output layer");
    static_assert(loss != mlp_loss::cross_entropy || output_activation == activation::softmax,
                  "rill::mlp_learner: mlp_loss::cross_entropy needs a softmax output layer");

    explicit learner(const mlp_learner& settings) noexcept : s_(settings) {}

    /// Learns one labelled row now (with any rows still pending, in one step). The
    /// target is the value for a one-output net, the class index for cross_entropy.
    void update(Model& model, const row_type& x, value_type y) noexcept {
      accumulate(model, x, y);
      apply(model);
    }
    /// Learns one row with a target per output (`outputs` values; for cross_entropy a
    /// distribution over the classes, e.g. one-hot).
    void update(Model& model, const row_type& x, const value_type* y) noexcept {
      accumulate(model, x, y);
      apply(model);
    }

    /// Adds one row's gradient to the pending mini-batch. A class index outside
    /// [0, outputs) (or NaN), a non-finite target or a non-finite feature is not
    /// learnt and is counted in `rejected()` (relu would hide a NaN input from the
    /// output, so the row itself is checked).
    void accumulate(const Model& model, const row_type& x, value_type y) noexcept {
      static_assert(outputs == 1 || loss == mlp_loss::cross_entropy,
                    "rill::mlp_learner: a net with several outputs needs a target per "
                    "output; call accumulate(model, x, pointer to outputs values)");
      if (!all_finite(x) || !std::isfinite(y)) [[unlikely]] {
        ++rejected_;
        return;
      }
      forward(model, x.data());
      auto& delta = std::get<depth - 1>(deltas_).v;
      const auto& a = std::get<depth - 1>(acts_).v;
      if constexpr (loss == mlp_loss::cross_entropy) {
        if (!(y >= value_type(0) && y < value_type(outputs))) {
          ++rejected_;
          return;
        }
        const auto k = static_cast<std::size_t>(y);
        for (std::size_t o = 0; o < outputs; ++o) delta[o] = a[o] - (o == k ? value_type(1) : value_type(0));
      } else {
        output_delta(a.data(), &y, delta.data());
      }
      backward(model, x.data());
    }
    /// Adds one row with a target per output (`outputs` values) to the pending batch.
    void accumulate(const Model& model, const row_type& x, const value_type* y) noexcept {
      bool ok = all_finite(x);
      for (std::size_t o = 0; o < outputs; ++o) ok &= std::isfinite(y[o]);
      if (!ok) [[unlikely]] {
        ++rejected_;
        return;
      }
      forward(model, x.data());
      output_delta(std::get<depth - 1>(acts_).v.data(), y, std::get<depth - 1>(deltas_).v.data());
      backward(model, x.data());
    }

    /// Takes one optimiser step along the mean gradient of the accumulated rows (no-op
    /// when none are pending), then bumps `model.version`.
    void apply(Model& model) noexcept {
      if (batch_count_ == 0) return;
      ++t_;
      const double lr = s_.schedule(t_) * rate_scale_;
      const auto rate = static_cast<value_type>(s_.optimizer.rate(lr, t_));
      const value_type inv = value_type(1) / static_cast<value_type>(batch_count_);
      const auto l2_coef = static_cast<value_type>(s_.l2);
      auto all_layers = [&](const auto& opt) noexcept {
        detail::kernels::static_for<depth>([&](auto k) {
          constexpr std::size_t l = decltype(k)::value;
          auto& layer = model.template layer<l>();
          auto& g = std::get<l>(grads_);
          step_array(opt, layer.w, g.w, inv, l2_coef, rate, [&](auto s) -> auto& {
            return std::get<l>(slots_[decltype(s)::value]).w;
          });
          step_array(opt, layer.b, g.b, inv, value_type(0), rate, [&](auto s) -> auto& {
            return std::get<l>(slots_[decltype(s)::value]).b;
          });
          g = {};
        });
      };
      if constexpr (requires { s_.optimizer.visit(all_layers); }) {
        s_.optimizer.visit(all_layers);  // chosen at run time: one dispatch per step
      } else {
        all_layers(s_.optimizer);
      }
      batch_count_ = 0;
      ++model.version;
    }

    std::size_t pending_rows() const noexcept { return batch_count_; }
    /// Rows not learnt because their class index was out of range.
    std::uint64_t rejected() const noexcept { return rejected_; }
    /// Steps taken (the optimiser's t).
    std::uint64_t updates() const noexcept { return t_; }
    /// Multiplies every step size from now on (drift policies raise it for a while).
    void set_rate_scale(double scale) noexcept { rate_scale_ = scale; }
    double rate_scale() const noexcept { return rate_scale_; }
    mlp_learner& settings() noexcept { return s_; }
    const mlp_learner& settings() const noexcept { return s_; }
    /// Forgets optimiser state and the pending batch (the model is left as it is).
    void reset() noexcept {
      slots_ = {};
      grads_ = {};
      batch_count_ = 0;
      t_ = 0;
    }

    /// Layer `L`'s gradient summed over the pending rows, in the layer's own shape:
    /// `.weight(o, i)`, `.bias(o)` (no L2 term, not divided by the row count).
    template <std::size_t L>
    const auto& gradient_sum() const noexcept {
      return std::get<L>(grads_);
    }

   private:
    using T = value_type;
    using arch = typename Model::arch_type;

    void forward(const Model& model, const T* x) noexcept {
      detail::kernels::static_for<depth>([&](auto k) {
        constexpr std::size_t l = decltype(k)::value;
        const T* in = nullptr;
        if constexpr (l == 0) {
          in = x;
        } else {
          in = std::get<l - 1>(acts_).v.data();
        }
        T* out = std::get<l>(acts_).v.data();
        detail::kernels::dense_forward<arch, 1, false>(model.template layer<l>(), &in, &out);
      });
    }

    static void output_delta(const T* a, const T* y, T* delta) noexcept {
      for (std::size_t o = 0; o < outputs; ++o) {
        delta[o] = a[o] - y[o];
        if constexpr (loss == mlp_loss::squared)
          delta[o] *= detail::mlp_train::derivative_at_output(output_activation, a[o]);
      }
    }

    // Adds the row's gradient to the sums, layer by layer from the output, carrying δ
    // back through the current weights and the activations' derivatives.
    void backward(const Model& model, const T* x) noexcept {
      detail::kernels::static_for<depth>([&](auto k) {
        constexpr std::size_t l = depth - 1 - decltype(k)::value;
        using L = detail::mlp_train::layer_type<Model, l>;
        constexpr std::size_t in = L::inputs, out = L::outputs;
        const T* a_in = nullptr;
        if constexpr (l == 0) {
          a_in = x;
        } else {
          a_in = std::get<l - 1>(acts_).v.data();
        }
        using detail::mlp_train::axpy;
        const T* delta = std::get<l>(deltas_).v.data();
        auto& g = std::get<l>(grads_);
        axpy<arch, out>(g.b.data(), T(1), delta);
        if constexpr (L::by_output) {
          for (std::size_t o = 0; o < out; ++o) axpy<arch, in>(g.w.data() + o * in, delta[o], a_in);
        } else {
          // δ is 0 in the padding, so whole padded rows can be updated
          for (std::size_t i = 0; i < in; ++i)
            axpy<arch, L::stride>(g.w.data() + i * L::stride, a_in[i], delta);
        }
        if constexpr (l > 0) {
          const auto& w = model.template layer<l>().w;
          T* prev = std::get<l - 1>(deltas_).v.data();
          if constexpr (L::by_output) {
            for (std::size_t i = 0; i < in; ++i) prev[i] = T(0);
            for (std::size_t o = 0; o < out; ++o) axpy<arch, in>(prev, delta[o], w.data() + o * in);
          } else {
            // a sum per input: the SIMD dot kernel (several accumulators), as a plain
            // loop would be one serial chain of adds
            for (std::size_t i = 0; i < in; ++i)
              prev[i] = detail::kernels::dot<arch, T, L::stride>(w.data() + i * L::stride, delta);
          }
          constexpr activation act = Model::activations[l - 1];
          for (std::size_t i = 0; i < in; ++i)
            prev[i] *= detail::mlp_train::derivative_at_output(act, a_in[i]);
        }
      });
      ++batch_count_;
    }

    // w ← optimiser step along sum·inv + l2·w, over the whole (padded) array: padding
    // has zero weight and zero gradient, and every optimiser keeps it at zero.
    template <class Opt, class A, class Slot>
    static void step_array(const Opt& opt, A& w, const A& sum, T inv, T l2_coef, T rate,
                           Slot&& slot) noexcept {
      constexpr std::size_t slots = Optimizer::slots;
      T* s0 = nullptr;
      T* s1 = nullptr;
      if constexpr (slots >= 1) s0 = slot(std::integral_constant<std::size_t, 0>{}).data();
      if constexpr (slots >= 2) s1 = slot(std::integral_constant<std::size_t, 1>{}).data();
      step_span<std::tuple_size_v<A>>(opt, w.data(), sum.data(), s0, s1, inv, l2_coef, rate);
    }

    // The arrays are distinct (weights, gradient sums, optimiser slots); saying so lets
    // the loop vectorise.
    template <std::size_t N, class Opt>
    static void step_span(const Opt& opt, T* __restrict w, const T* __restrict sum,
                          T* __restrict s0, T* __restrict s1, T inv, T l2_coef,
                          T rate) noexcept {
      constexpr bool adam = std::is_same_v<Opt, adam_optimizer>;
      constexpr std::size_t lanes = xsimd::batch<T, arch>::size;
      constexpr std::size_t full = adam ? N / lanes * lanes : 0;
      if constexpr (adam) {
        // adam_optimizer::step in registers: its sqrt, called per scalar, may set errno
        // and so keeps the compiler from vectorising the loop
        using B = xsimd::batch<T, arch>;
        const B b1(static_cast<T>(opt.beta_1)), c1(static_cast<T>(1 - opt.beta_1));
        const B b2(static_cast<T>(opt.beta_2)), c2(static_cast<T>(1 - opt.beta_2));
        const B eps(static_cast<T>(opt.eps)), r(rate), iv(inv), l2v(l2_coef);
        for (std::size_t j = 0; j < full; j += lanes) {
          B wv = B::load_unaligned(w + j);
          const B g = B::load_unaligned(sum + j) * iv + l2v * wv;
          const B m = b1 * B::load_unaligned(s0 + j) + c1 * g;
          const B v = b2 * B::load_unaligned(s1 + j) + c2 * g * g;
          wv -= r * m / (xsimd::sqrt(v) + eps);
          m.store_unaligned(s0 + j);
          v.store_unaligned(s1 + j);
          wv.store_unaligned(w + j);
        }
      }
      for (std::size_t j = full; j < N; ++j) {
        T unused_a{}, unused_b{};
        T& a = Optimizer::slots >= 1 ? s0[j] : unused_a;
        T& b = Optimizer::slots >= 2 ? s1[j] : unused_b;
        opt.step(w[j], sum[j] * inv + l2_coef * w[j], rate, a, b);
      }
    }

    mlp_learner s_;
    std::uint64_t t_ = 0;
    double rate_scale_ = 1.0;
    std::size_t batch_count_ = 0;
    std::uint64_t rejected_ = 0;
    detail::mlp_train::activations_type<Model> acts_{};
    detail::mlp_train::deltas_type<Model> deltas_{};
    detail::mlp_train::layers_type<Model> grads_{};
    std::array<detail::mlp_train::layers_type<Model>, Optimizer::slots> slots_{};
  };
};

RILL_NAMESPACE_END
