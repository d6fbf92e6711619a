// A multi-layer perceptron whose shape is known only at run time (a model file).
// All storage is allocated once, at construction; predictions never allocate and
// run on the library's per-instruction-set kernels chosen at start-up.
#pragma once

#include <algorithm>
#include <cstddef>
#include <cstdint>
#include <new>
#include <stdexcept>
#include <string>
#include <type_traits>
#include <vector>

#include "rill/config.hpp"
#include "rill/detail/aligned_allocator.hpp"
#include "rill/model/activation.hpp"
#include "rill/model/dispatch.hpp"

RILL_NAMESPACE_BEGIN

namespace detail {
/// Weights rows start on register boundaries.
template <class T>
using weight_allocator = aligned_allocator<T, weight_alignment>;
}  // namespace detail

/// One layer of a `dynamic_mlp`: its number of outputs and activation.
struct layer_spec {
  std::size_t outputs;
  activation act;
};

/// A dense network of any shape, fixed at construction.
///
/// Construction allocates all weights and the scratch it needs (O(sum in*out)), and
/// throws std::invalid_argument for an empty or zero-width shape or a softmax that is
/// not on the last layer. Weights start at zero; set them with `weight`/`bias`.
/// `predict` is O(sum in*out), never allocates, and uses the object's scratch: one
/// thread at a time per object (use the overload taking scratch to share one model
/// between threads). Copyable and movable.
template <class T = double>
class dynamic_mlp {
  static_assert(std::is_same_v<T, float> || std::is_same_v<T, double>,
                "rill::dynamic_mlp computes in float or double");

 public:
  using value_type = T;

  dynamic_mlp(std::size_t inputs, const std::vector<layer_spec>& layers,
              const detail::kernel_set& kernels = best_kernels())
      : inputs_(inputs), kernels_(&kernels) {
    if (inputs == 0) throw std::invalid_argument("rill::dynamic_mlp: zero inputs");
    if (layers.empty()) throw std::invalid_argument("rill::dynamic_mlp: no layers");
    constexpr std::size_t per_line = detail::weight_alignment / sizeof(T);
    auto round = [](std::size_t n) { return (n + per_line - 1) / per_line * per_line; };
    std::size_t in = inputs, offset = 0, widest = round(inputs);
    for (std::size_t l = 0; l < layers.size(); ++l) {
      const auto& s = layers[l];
      if (s.outputs == 0)
        throw std::invalid_argument("rill::dynamic_mlp: layer " + std::to_string(l) +
                                    " has zero outputs");
      if (s.act == activation::softmax && l + 1 != layers.size())
        throw std::invalid_argument("rill::dynamic_mlp: softmax on layer " + std::to_string(l) +
                                    ", allowed only on the last layer");
      meta m{};
      m.inputs = in;
      m.outputs = s.outputs;
      m.act = s.act;
      m.by_output = s.outputs <= 4;
      m.stride = m.by_output ? round(in) : round(s.outputs);
      m.w = offset;
      offset += m.by_output ? s.outputs * m.stride : in * m.stride;
      m.b = offset;
      offset += round(s.outputs);
      widest = std::max(widest, round(s.outputs));
      layers_.push_back(m);
      in = s.outputs;
    }
    storage_.assign(offset, T(0));
    scratch_.assign(2 * widest, T(0));
  }

  std::size_t inputs() const noexcept { return inputs_; }
  std::size_t outputs() const noexcept { return layers_.back().outputs; }
  std::size_t depth() const noexcept { return layers_.size(); }
  /// Outputs of layer `l`.
  std::size_t layer_outputs(std::size_t l) const noexcept { return layers_[l].outputs; }
  /// Inputs of layer `l`.
  std::size_t layer_inputs(std::size_t l) const noexcept { return layers_[l].inputs; }
  activation layer_activation(std::size_t l) const noexcept { return layers_[l].act; }
  /// Name of the kernel set in use ("baseline", "avx2", "avx512").
  const char* kernel_name() const noexcept { return kernels_->name; }

  /// Weight from input `i` to output `o` of layer `l`. O(1), no bounds check.
  T& weight(std::size_t l, std::size_t o, std::size_t i) noexcept {
    const meta& m = layers_[l];
    return storage_[m.w + (m.by_output ? o * m.stride + i : i * m.stride + o)];
  }
  T weight(std::size_t l, std::size_t o, std::size_t i) const noexcept {
    return const_cast<dynamic_mlp*>(this)->weight(l, o, i);
  }
  /// Bias of output `o` of layer `l`.
  T& bias(std::size_t l, std::size_t o) noexcept { return storage_[layers_[l].b + o]; }
  T bias(std::size_t l, std::size_t o) const noexcept { return storage_[layers_[l].b + o]; }

  /// Values of scratch the const overloads need.
  std::size_t scratch_size() const noexcept { return scratch_.size(); }

  /// `outputs()` values after the last activation. Uses the object's scratch.
  void predict(const T* x, T* out) noexcept { run(x, out, scratch_.data(), false); }
  /// The raw decision values (last activation skipped). Uses the object's scratch.
  void margin(const T* x, T* out) noexcept { run(x, out, scratch_.data(), true); }
  /// Reentrant form: `scratch` holds scratch_size() values aligned to 64 bytes.
  void predict(const T* x, T* out, T* scratch) const noexcept { run(x, out, scratch, false); }
  void margin(const T* x, T* out, T* scratch) const noexcept { run(x, out, scratch, true); }

 private:
  struct meta {
    std::size_t inputs, outputs, stride, w, b;
    activation act;
    bool by_output;
  };

  void run(const T* x, T* out, T* scratch, bool raw) const noexcept {
    const auto& k = kernels_->template get<T>();
    const std::size_t half = scratch_.size() / 2;
    const T* in = x;
    for (std::size_t l = 0; l < layers_.size(); ++l) {
      const meta& m = layers_[l];
      T* to = scratch + (l % 2) * half;
      const detail::dense_view<T> v{storage_.data() + m.w, storage_.data() + m.b, m.inputs,
                                    m.outputs, m.stride, m.act, m.by_output};
      k.dense(v, in, to, raw && l + 1 == layers_.size());
      in = to;
    }
    for (std::size_t o = 0; o < layers_.back().outputs; ++o) out[o] = in[o];
  }

  std::size_t inputs_;
  const detail::kernel_set* kernels_;
  std::vector<meta> layers_;
  std::vector<T, detail::weight_allocator<T>> storage_;
  std::vector<T, detail::weight_allocator<T>> scratch_;
};

RILL_NAMESPACE_END
