// Online MLP training cost: one mini-batch step (forward + backward per row, one
// optimiser step) of a 32-64-64-1 relu net in float, for batches of 1 and 32 rows,
// beside a hand-written loop doing the same arithmetic and beside the forward pass alone.
// Per-step latency percentiles in the counters; items/s counts rows.
#include <benchmark/benchmark.h>

#include <array>
#include <memory>
#include <random>
#include <vector>

#include "bench_util.hpp"
#include "rill/learn/mlp_learner.hpp"
#include "rill/model/mlp.hpp"

namespace {

using net_t = rill::mlp<float, 32, rill::dense<64, rill::activation::relu>,
                        rill::dense<64, rill::activation::relu>,
                        rill::dense<1, rill::activation::identity>>;
constexpr std::size_t pool = 1024;  // rotated: every row a different one

struct data {
  std::vector<net_t::row_type> x;
  std::vector<float> y;
};
const data& rows() {
  static const data d = [] {
    data r;
    std::mt19937 rng(3);
    std::normal_distribution<float> n(0.0f, 1.0f);
    r.x.resize(pool);
    for (auto& row : r.x)
      for (auto& v : row) v = n(rng);
    for (auto& row : r.x) r.y.push_back(row[0] * row[1] - row[2]);
    return r;
  }();
  return d;
}

template <class Optimizer, std::size_t Batch>
void BM_rill_step(benchmark::State& state) {
  const data& d = rows();
  auto net = std::make_unique<net_t>();
  rill::init_glorot_uniform(*net, 1);
  rill::mlp_learner<rill::mlp_loss::squared, Optimizer> settings;
  settings.schedule.eta0 = 1e-4;
  using learner_t = typename decltype(settings)::template learner<net_t>;
  auto learner = std::make_unique<learner_t>(settings);
  rill::latency_histogram hist;
  const auto overhead = rill::bench::timer_overhead();
  std::size_t r = 0;
  for (auto _ : state) {
    const auto t0 = rill::bench::ticks();
    for (std::size_t i = 0; i < Batch; ++i) {
      learner->accumulate(*net, d.x[r], d.y[r]);
      r = (r + 1) & (pool - 1);
    }
    learner->apply(*net);
    const auto t1 = rill::bench::ticks();
    hist.record(t1 - t0 > overhead ? t1 - t0 - overhead : 0);
  }
  benchmark::DoNotOptimize(net->bias(2, 0));
  state.SetItemsProcessed(std::int64_t(state.iterations() * Batch));
  rill::bench::report_percentiles(state, hist);
}

// The same arithmetic as plain loops over row-major arrays (auto-vectorised at -O2):
// forward, output delta, deltas back through W3 and W2, gradient sums, one SGD step.
// A dot product with eight partial sums, so that it vectorises without -ffast-math.
template <int N>
inline float dot8(const float* a, const float* b) {
  float acc[8] = {};
  for (int i = 0; i < N; i += 8)
    for (int k = 0; k < 8; ++k) acc[k] += a[i + k] * b[i + k];
  return ((acc[0] + acc[1]) + (acc[2] + acc[3])) + ((acc[4] + acc[5]) + (acc[6] + acc[7]));
}

struct hand_net {
  alignas(64) float w1[64][32], b1[64], w2[64][64], b2[64], w3[64], b3;
  alignas(64) float g1[64][32], gb1[64], g2[64][64], gb2[64], g3[64], gb3;
};

template <std::size_t Batch>
void BM_hand_sgd_step(benchmark::State& state) {
  const data& d = rows();
  auto n = std::make_unique<hand_net>();  // value-initialised: gradient sums at zero
  std::mt19937 rng(1);
  std::uniform_real_distribution<float> u(-0.2f, 0.2f);
  for (auto& row : n->w1) for (auto& v : row) v = u(rng);
  for (auto& row : n->w2) for (auto& v : row) v = u(rng);
  for (auto& v : n->w3) v = u(rng);
  for (auto& v : n->b1) v = u(rng);
  for (auto& v : n->b2) v = u(rng);
  n->b3 = 0;
  const float lr = 1e-4f;
  rill::latency_histogram hist;
  const auto overhead = rill::bench::timer_overhead();
  std::size_t r = 0;
  for (auto _ : state) {
    const auto t0 = rill::bench::ticks();
    for (std::size_t b = 0; b < Batch; ++b) {
      const float* x = d.x[r].data();
      alignas(64) float h1[64], h2[64], d1[64], d2[64];
      for (int j = 0; j < 64; ++j) {
        const float s = n->b1[j] + dot8<32>(n->w1[j], x);
        h1[j] = s > 0 ? s : 0;
      }
      for (int j = 0; j < 64; ++j) {
        const float s = n->b2[j] + dot8<64>(n->w2[j], h1);
        h2[j] = s > 0 ? s : 0;
      }
      const float out = n->b3 + dot8<64>(n->w3, h2);
      const float d3 = out - d.y[r];
      n->gb3 += d3;
      for (int j = 0; j < 64; ++j) {
        n->g3[j] += d3 * h2[j];
        d2[j] = h2[j] > 0 ? n->w3[j] * d3 : 0;
        n->gb2[j] += d2[j];
      }
      for (int i = 0; i < 64; ++i) d1[i] = 0;
      for (int j = 0; j < 64; ++j) {
        for (int i = 0; i < 64; ++i) {
          n->g2[j][i] += d2[j] * h1[i];
          d1[i] += n->w2[j][i] * d2[j];
        }
      }
      for (int j = 0; j < 64; ++j) {
        d1[j] = h1[j] > 0 ? d1[j] : 0;
        n->gb1[j] += d1[j];
        for (int i = 0; i < 32; ++i) n->g1[j][i] += d1[j] * x[i];
      }
      r = (r + 1) & (pool - 1);
    }
    const float k = lr / float(Batch);
    for (int j = 0; j < 64; ++j) {
      for (int i = 0; i < 32; ++i) n->w1[j][i] -= k * n->g1[j][i], n->g1[j][i] = 0;
      for (int i = 0; i < 64; ++i) n->w2[j][i] -= k * n->g2[j][i], n->g2[j][i] = 0;
      n->b1[j] -= k * n->gb1[j], n->gb1[j] = 0;
      n->b2[j] -= k * n->gb2[j], n->gb2[j] = 0;
      n->w3[j] -= k * n->g3[j], n->g3[j] = 0;
    }
    n->b3 -= k * n->gb3, n->gb3 = 0;
    const auto t1 = rill::bench::ticks();
    hist.record(t1 - t0 > overhead ? t1 - t0 - overhead : 0);
  }
  benchmark::DoNotOptimize(n->b3);
  state.SetItemsProcessed(std::int64_t(state.iterations() * Batch));
  rill::bench::report_percentiles(state, hist);
}

// The forward pass alone: a training row costs about three of these (forward, deltas,
// gradient sums) plus the step.
void BM_predict(benchmark::State& state) {
  const data& d = rows();
  auto net = std::make_unique<net_t>();
  rill::init_glorot_uniform(*net, 1);
  rill::latency_histogram hist;
  const auto overhead = rill::bench::timer_overhead();
  std::size_t r = 0;
  for (auto _ : state) {
    const auto t0 = rill::bench::ticks();
    float y = net->predict(d.x[r]);
    benchmark::DoNotOptimize(y);
    const auto t1 = rill::bench::ticks();
    hist.record(t1 - t0 > overhead ? t1 - t0 - overhead : 0);
    r = (r + 1) & (pool - 1);
  }
  state.SetItemsProcessed(std::int64_t(state.iterations()));
  rill::bench::report_percentiles(state, hist);
}

}  // namespace

BENCHMARK(BM_predict)->Name("mlp_32_64_64_1/predict");
BENCHMARK(BM_rill_step<rill::sgd_optimizer, 1>)->Name("mlp_32_64_64_1/step/batch1/sgd/rill");
BENCHMARK(BM_hand_sgd_step<1>)->Name("mlp_32_64_64_1/step/batch1/sgd/hand_loop");
BENCHMARK(BM_rill_step<rill::adam_optimizer, 1>)->Name("mlp_32_64_64_1/step/batch1/adam/rill");
BENCHMARK(BM_rill_step<rill::sgd_optimizer, 32>)->Name("mlp_32_64_64_1/step/batch32/sgd/rill");
BENCHMARK(BM_hand_sgd_step<32>)->Name("mlp_32_64_64_1/step/batch32/sgd/hand_loop");
BENCHMARK(BM_rill_step<rill::adam_optimizer, 32>)->Name("mlp_32_64_64_1/step/batch32/adam/rill");

BENCHMARK_MAIN();
