// Online learning costs: predict + learn for one sample against two bare dot
// products, and a full prequential loop over Elec2 (parsing excluded).
#include <benchmark/benchmark.h>

#include <random>
#include <vector>

#include "bench_util.hpp"
#include "rill/rill.hpp"

#ifndef RILL_SOURCE_DIR
#define RILL_SOURCE_DIR "."
#endif

namespace {

constexpr std::size_t rows = 1024;  // rotated: every sample a different row

template <std::size_t D>
std::vector<rill::feature_row<float, D>> make_rows() {
  std::mt19937 rng(3);
  std::normal_distribution<float> n(0.0f, 1.0f);
  std::vector<rill::feature_row<float, D>> v(rows);
  for (auto& r : v)
    for (auto& x : r) x = n(rng);
  return v;
}

// The floor: the two dot products a predict-then-learn step cannot avoid (the
// prediction, and the margin at learning time), with the bare SIMD dot kernel.
template <std::size_t D>
void BM_two_dots(benchmark::State& state) {
  const auto xs = make_rows<D>();
  rill::feature_row<float, D> w{};
  for (std::size_t i = 0; i < D; ++i) w[i] = 0.01f * float(i);
  using arch = rill::detail::simd::default_arch;
  std::size_t r = 0;
  float sink = 0;
  for (auto _ : state) {
    const auto& x = xs[r];
    const float a = rill::detail::kernels::dot<arch, float, D>(w.data(), x.data());
    benchmark::DoNotOptimize(a);
    const float b = rill::detail::kernels::dot<arch, float, D>(w.data(), x.data());
    sink += a + b;
    r = (r + 1) & (rows - 1);
  }
  benchmark::DoNotOptimize(sink);
}

// predict then one SGD step on `Loss`, each sample a different row.
template <class Loss, rill::link_function Link, std::size_t D, class Label>
void predict_then_learn(benchmark::State& state, double rate, Label label) {
  const auto xs = make_rows<D>();
  rill::linear_model<D, float, Link> model;
  auto learner =
      typename rill::linear_learner<Loss>::template learner<decltype(model)>(rill::sgd<Loss>(rate));
  std::size_t r = 0;
  float sink = 0;
  for (auto _ : state) {
    const auto& x = xs[r];
    sink += model.predict(x);
    learner.update(model, x, label(x));
    r = (r + 1) & (rows - 1);
  }
  benchmark::DoNotOptimize(sink);
}

// Logistic: predict (dot + sigmoid), learn (dot + exp + division + axpy).
template <std::size_t D>
void BM_predict_learn(benchmark::State& state) {
  predict_then_learn<rill::logistic_loss, rill::link_function::logistic, D>(
      state, 0.01, [](const auto& x) { return x[0] > 0 ? 1.0f : 0.0f; });
}

// Squared loss, identity link: no exp and no division on the chain from one sample's
// weights to the next, so what is left is the learner's own machinery (schedule,
// optimiser dispatch, the axpy) beside the dots.
template <std::size_t D>
void BM_predict_learn_squared(benchmark::State& state) {
  predict_then_learn<rill::squared_loss, rill::link_function::identity, D>(
      state, 0.001, [](const auto& x) { return x[0] - 0.5f * x[1]; });
}

// The dependency the loop cannot avoid, written by hand: this sample's weights come
// from the last sample's update, so a step is dot → gradient → axpy → the next dot,
// one after another. Squared loss, constant rate, the same bare dot kernel.
template <std::size_t D>
void BM_bare_sgd_chain(benchmark::State& state) {
  const auto xs = make_rows<D>();
  alignas(64) rill::feature_row<float, D> w{};
  float b = 0, sink = 0;
  using arch = rill::detail::simd::default_arch;
  std::size_t r = 0;
  for (auto _ : state) {
    const auto& x = xs[r];
    const float m = rill::detail::kernels::dot<arch, float, D>(w.data(), x.data()) + b;
    sink += m;
    const float g = 0.001f * (m - (x[0] - 0.5f * x[1]));
    for (std::size_t i = 0; i < D; ++i) w[i] -= g * x[i];
    b -= g;
    r = (r + 1) & (rows - 1);
  }
  benchmark::DoNotOptimize(sink);
  benchmark::DoNotOptimize(w);
}

BENCHMARK(BM_two_dots<8>);
BENCHMARK(BM_predict_learn<8>);
BENCHMARK(BM_predict_learn_squared<8>);
BENCHMARK(BM_bare_sgd_chain<8>);
BENCHMARK(BM_two_dots<32>);
BENCHMARK(BM_predict_learn<32>);
BENCHMARK(BM_predict_learn_squared<32>);
BENCHMARK(BM_bare_sgd_chain<32>);
BENCHMARK(BM_two_dots<128>);
BENCHMARK(BM_predict_learn<128>);
BENCHMARK(BM_predict_learn_squared<128>);
BENCHMARK(BM_bare_sgd_chain<128>);

// Elec2 in memory (8 features, label last).
struct elec2_data {
  std::vector<rill::event<8>> events;
  std::vector<float> labels;
};
const elec2_data& elec2() {
  static const elec2_data d = [] {
    elec2_data out;
    const auto t = rill::read_csv(RILL_SOURCE_DIR "/data/elec2.csv");
    for (std::size_t r = 0; r < t.rows(); ++r) {
      rill::event<8> e{r, std::int64_t(r), {}};
      for (std::size_t i = 0; i < 8; ++i) e.x[i] = float(t.row(r)[i]);
      out.events.push_back(e);
      out.labels.push_back(float(t.row(r)[8]));
    }
    return out;
  }();
  return d;
}

// The whole prequential loop through the graph: predict, remember in the pending
// buffer, join the label, learn, score accuracy/F1/log-loss. One iteration = one
// pass over Elec2's 45,312 rows; items/s = samples/s.
void BM_prequential_elec2(benchmark::State& state) {
  const auto& d = elec2();
  rill::latency_histogram per_sample;
  for (auto _ : state) {
    rill::linear_model<8> model;
    rill::pending_buffer<8> pending(1024);
    rill::prequential_metrics metrics;
    auto g = rill::graph(rill::predict(model) | rill::remember(pending),
                         rill::join(pending) | rill::learn(model, rill::sgd<rill::logistic_loss>(0.05)) |
                             rill::score_prequential<float>(metrics));
    const auto t0 = rill::bench::ticks();
    for (std::size_t r = 0; r < d.events.size(); ++r) {
      g.push(d.events[r]);
      g.feedback({r, std::int64_t(r), d.labels[r]});
    }
    per_sample.record((rill::bench::ticks() - t0) / d.events.size());
    benchmark::DoNotOptimize(metrics);
  }
  state.SetItemsProcessed(state.iterations() * std::int64_t(elec2().events.size()));
  state.counters["ns_per_sample_p50"] = double(per_sample.quantile(0.5)) * rill::bench::ns_per_tick();
}
BENCHMARK(BM_prequential_elec2)->Unit(benchmark::kMillisecond);

}  // namespace

BENCHMARK_MAIN();
