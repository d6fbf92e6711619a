// A three-stage pipeline (online scaler -> linear model -> callback sink) against a
// hand-written loop doing the same arithmetic the same way (SIMD across features, as
// the scaler does). The ratio of the two is the cost of the abstraction; the goal is
// <= 1.05. The same loop one feature at a time is beside them, for scale.
#include <benchmark/benchmark.h>

#include <cmath>
#include <random>
#include <vector>

#include "bench_util.hpp"
#include "rill/rill.hpp"

namespace {

constexpr std::size_t D = 16;
constexpr std::size_t rows = 4096;  // rotated, so every event is a different row

std::vector<rill::event<D>> make_rows() {
  std::mt19937 rng(1);
  std::normal_distribution<float> n(0.0f, 1.0f);
  std::vector<rill::event<D>> v(rows);
  for (std::size_t i = 0; i < rows; ++i) {
    v[i].id = i;
    for (auto& x : v[i].x) x = n(rng);
  }
  return v;
}
const std::vector<rill::event<D>> events = make_rows();

rill::linear_model<D> make_model() {
  rill::linear_model<D> m;
  for (std::size_t i = 0; i < D; ++i) m.weights[i] = 0.1f * float(i) - 0.7f;
  m.bias = 0.2f;
  return m;
}

auto make_pipeline(const rill::linear_model<D>& model, double& sink) {
  return rill::standard_scaler<D>{} | rill::predict(model) |
         rill::callback_sink([&sink](const rill::scored_event<D>& s) noexcept { sink += s.value; });
}

// The same work written by hand with xsimd, as a user who counts nanoseconds would:
// Welford update in double a register at a time (one count for all features), scale,
// dot product, sigmoid, sum.
struct hand_written {
  using batch = xsimd::batch<double>;
  static constexpr std::size_t W = batch::size;
  static_assert(D % W == 0);
  std::uint64_t n = 0;
  alignas(64) double mean[D] = {};
  alignas(64) double m2[D] = {};
  double step(const rill::event<D>& e, const rill::linear_model<D>& model) noexcept {
    ++n;
    const batch dn(static_cast<double>(n)), zero(0.0);
    alignas(64) double x[D];
    alignas(64) float z[D];
    for (std::size_t i = 0; i < D; ++i) x[i] = e.x[i];
    for (std::size_t b = 0; b < D; b += W) {
      const batch v = batch::load_aligned(x + b), m = batch::load_aligned(mean + b);
      const batch d = v - m, m_new = m + d / dn;
      m_new.store_aligned(mean + b);
      (batch::load_aligned(m2 + b) + d * (v - m_new)).store_aligned(m2 + b);
      const batch var = batch::load_aligned(m2 + b) / dn;
      const batch zb = xsimd::select(var > zero, (v - m_new) / xsimd::sqrt(var), zero);
      alignas(64) double tmp[W];
      zb.store_aligned(tmp);
      for (std::size_t k = 0; k < W; ++k) z[b + k] = float(tmp[k]);
    }
    float acc = 0;
    for (std::size_t i = 0; i < D; ++i) acc += model.weights[i] * z[i];
    return 1.0f / (1.0f + std::exp(-(acc + model.bias)));
  }
};

// The same loop one feature at a time (what the scaler was until it went SIMD).
struct hand_written_per_feature {
  std::uint64_t n = 0;
  double mean[D] = {}, m2[D] = {};
  double step(const rill::event<D>& e, const rill::linear_model<D>& model) noexcept {
    ++n;
    const double dn = double(n);
    float z[D];
    for (std::size_t i = 0; i < D; ++i) {
      const double v = e.x[i];
      const double d = v - mean[i];
      mean[i] += d / dn;
      m2[i] += d * (v - mean[i]);
    }
    for (std::size_t i = 0; i < D; ++i) {
      const double var = m2[i] / dn;
      z[i] = var > 0 ? float((double(e.x[i]) - mean[i]) / std::sqrt(var)) : 0.0f;
    }
    float acc = 0;
    for (std::size_t i = 0; i < D; ++i) acc += model.weights[i] * z[i];
    return 1.0f / (1.0f + std::exp(-(acc + model.bias)));
  }
};

void BM_pipeline(benchmark::State& state) {
  const auto model = make_model();
  double sink = 0;
  auto p = make_pipeline(model, sink);
  std::size_t i = 0;
  for (auto _ : state) {
    p.push(events[i]);
    i = (i + 1) & (rows - 1);
  }
  benchmark::DoNotOptimize(sink);
  state.SetItemsProcessed(state.iterations());
}
BENCHMARK(BM_pipeline);

template <class Hand>
void BM_hand(benchmark::State& state) {
  const auto model = make_model();
  double sink = 0;
  Hand h;
  std::size_t i = 0;
  for (auto _ : state) {
    sink += h.step(events[i], model);
    i = (i + 1) & (rows - 1);
  }
  benchmark::DoNotOptimize(sink);
  state.SetItemsProcessed(state.iterations());
}
BENCHMARK(BM_hand<hand_written>)->Name("BM_hand_written");
BENCHMARK(BM_hand<hand_written_per_feature>)->Name("BM_hand_written_per_feature");

// Per-event latency distribution: every push timed on its own.
template <bool Pipeline>
void BM_latency(benchmark::State& state) {
  const auto model = make_model();
  double sink = 0;
  auto p = make_pipeline(model, sink);
  hand_written h;
  rill::latency_histogram hist;
  const auto overhead = rill::bench::timer_overhead();
  std::size_t i = 0;
  for (auto _ : state) {
    const auto t0 = rill::bench::ticks();
    if constexpr (Pipeline) {
      p.push(events[i]);
    } else {
      sink += h.step(events[i], model);
    }
    const auto t1 = rill::bench::ticks();
    hist.record(t1 - t0 > overhead ? t1 - t0 - overhead : 0);
    i = (i + 1) & (rows - 1);
  }
  benchmark::DoNotOptimize(sink);
  rill::bench::report_percentiles(state, hist);
}
BENCHMARK(BM_latency<true>)->Name("BM_latency/pipeline");
BENCHMARK(BM_latency<false>)->Name("BM_latency/hand_written");

// The full graph of the demo: push an event and deliver its label (test-then-train).
void BM_graph_predict_and_learn(benchmark::State& state) {
  rill::linear_model<D> model;
  rill::pending_buffer<D> pending(1024);
  rill::prequential_metrics metrics;
  auto g = rill::graph(rill::standard_scaler<D>{} | rill::predict(model) | rill::remember(pending),
                       rill::join(pending) |
                           rill::learn(model, rill::sgd<rill::logistic_loss>(0.05f, 0.0f)) |
                           rill::score_prequential<float>(metrics));
  std::uint64_t id = 0;
  for (auto _ : state) {
    auto e = events[id & (rows - 1)];
    e.id = id;
    g.push(e);
    g.feedback({id, 0, e.x[0] > 0 ? 1.0f : 0.0f});
    ++id;
  }
  benchmark::DoNotOptimize(metrics);
  state.SetItemsProcessed(state.iterations());
}
BENCHMARK(BM_graph_predict_and_learn);

}  // namespace

BENCHMARK_MAIN();
