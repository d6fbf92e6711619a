// int8 quantised models beside the float kernels they come from: one row per
// iteration, >= 1000 distinct rotating rows, per-row latency percentiles.
//
// Before the benchmarks it prints the accuracy change on the real models of
// tests/reference/sklearn_multiclass/ (Elec2 logistic and MLP trained by scikit-learn
// on the first 30000 rows, scored on the other 15312), when run from the repository
// root (or with RILL_SOURCE_DIR defined at build time).
#include <benchmark/benchmark.h>

#include <cmath>
#include <cstdio>
#include <fstream>
#include <memory>
#include <random>
#include <sstream>
#include <string>
#include <vector>

#include "bench_util.hpp"
#include "../tests/support/csv_rows.hpp"
#include "rill/io/model_json.hpp"
#include "rill/model/linear.hpp"
#include "rill/model/mlp.hpp"
#include "rill/model/multiclass.hpp"
#include "rill/model/quantized.hpp"

#ifndef RILL_SOURCE_DIR
#define RILL_SOURCE_DIR "."
#endif

namespace {

constexpr std::size_t rows = 1024;  // rotated

std::vector<float> random_floats(std::size_t n, unsigned seed, float scale = 1.0f) {
  std::mt19937 rng(seed);
  std::normal_distribution<float> nd(0.0f, scale);
  std::vector<float> v(n);
  for (auto& x : v) x = nd(rng);
  return v;
}

// Times `f(r) -> float` for rotating row indices r into a histogram.
template <class F>
void time_rows(benchmark::State& state, F&& f) {
  rill::latency_histogram hist;
  const auto overhead = rill::bench::timer_overhead();
  float sink = 0;
  std::size_t r = 0;
  for (auto _ : state) {
    const auto t0 = rill::bench::ticks();
    const float y = f(r);
    benchmark::DoNotOptimize(y);
    const auto t1 = rill::bench::ticks();
    sink += y;
    hist.record(t1 - t0 > overhead ? t1 - t0 - overhead : 0);
    r = (r + 1) & (rows - 1);
  }
  benchmark::DoNotOptimize(sink);
  rill::bench::report_percentiles(state, hist);
}

template <std::size_t D>
std::vector<rill::feature_row<float, D>> make_rows(unsigned seed) {
  const auto v = random_floats(rows * D, seed);
  std::vector<rill::feature_row<float, D>> xs(rows);
  for (std::size_t r = 0; r < rows; ++r)
    for (std::size_t i = 0; i < D; ++i) xs[r][i] = v[r * D + i];
  return xs;
}

template <std::size_t D, bool Int8>
void BM_linear(benchmark::State& state) {
  rill::linear_model<D, float, rill::link_function::identity> m{};
  const auto w = random_floats(D, 1);
  for (std::size_t i = 0; i < D; ++i) m.weights[i] = w[i];
  const auto q = rill::quantize(m);
  const auto xs = make_rows<D>(2);
  time_rows(state, [&](std::size_t r) {
    if constexpr (Int8) {
      return q.margin(xs[r]);
    } else {
      return m.margin(xs[r]);
    }
  });
}
BENCHMARK(BM_linear<8, false>)->Name("linear/d8/float");
BENCHMARK(BM_linear<8, true>)->Name("linear/d8/int8");
BENCHMARK(BM_linear<32, false>)->Name("linear/d32/float");
BENCHMARK(BM_linear<32, true>)->Name("linear/d32/int8");
BENCHMARK(BM_linear<128, false>)->Name("linear/d128/float");
BENCHMARK(BM_linear<128, true>)->Name("linear/d128/int8");
BENCHMARK(BM_linear<1024, false>)->Name("linear/d1024/float");
BENCHMARK(BM_linear<1024, true>)->Name("linear/d1024/int8");

template <std::size_t D, std::size_t K, bool Int8>
void BM_multiclass(benchmark::State& state) {
  auto m = std::make_unique<rill::multiclass_linear_model<D, K, float>>();
  const auto w = random_floats(D * K, 3);
  for (std::size_t k = 0; k < K; ++k)
    for (std::size_t i = 0; i < D; ++i) m->weights[k][i] = w[k * D + i];
  const auto q = std::make_unique<rill::quantized_multiclass_model<D, K>>(rill::quantize(*m));
  const auto xs = make_rows<D>(4);
  time_rows(state, [&](std::size_t r) {
    if constexpr (Int8) {
      return q->margins(xs[r])[K - 1];
    } else {
      return m->margins(xs[r])[K - 1];
    }
  });
}
BENCHMARK(BM_multiclass<10, 4, false>)->Name("multiclass/d10_k4/float");
BENCHMARK(BM_multiclass<10, 4, true>)->Name("multiclass/d10_k4/int8");
BENCHMARK(BM_multiclass<128, 7, false>)->Name("multiclass/d128_k7/float");
BENCHMARK(BM_multiclass<128, 7, true>)->Name("multiclass/d128_k7/int8");

using rill::activation;
using net_32_64_64_1 = rill::mlp<float, 32, rill::dense<64, activation::relu>,
                                 rill::dense<64, activation::relu>, rill::dense<1, activation::identity>>;
using net_elec2 = rill::mlp<float, 8, rill::dense<32, activation::relu>,
                            rill::dense<32, activation::relu>, rill::dense<1, activation::logistic>>;

template <class Net>
std::unique_ptr<Net> random_net(unsigned seed) {
  auto net = std::make_unique<Net>();
  std::mt19937 rng(seed);
  std::normal_distribution<float> nd(0.0f, 1.0f);
  for (std::size_t l = 0; l < Net::depth; ++l)
    for (std::size_t o = 0; o < Net::shape[l + 1]; ++o) {
      net->bias(l, o) = 0.1f * nd(rng);
      for (std::size_t i = 0; i < Net::shape[l]; ++i)
        net->weight(l, o, i) = nd(rng) / std::sqrt(float(Net::shape[l]));
    }
  return net;
}

template <class Net, bool Int8>
void BM_mlp(benchmark::State& state) {
  const auto net = random_net<Net>(5);
  const auto q = std::make_unique<rill::quantized_mlp<Net>>(*net);
  const auto xs = random_floats(rows * Net::inputs, 6);
  time_rows(state, [&](std::size_t r) {
    float y;
    const float* x = xs.data() + r * Net::inputs;
    if constexpr (Int8) {
      q->predict(x, &y);
    } else {
      net->predict(x, &y);
    }
    return y;
  });
}
BENCHMARK(BM_mlp<net_32_64_64_1, false>)->Name("mlp_32_64_64_1/float");
BENCHMARK(BM_mlp<net_32_64_64_1, true>)->Name("mlp_32_64_64_1/int8");
BENCHMARK(BM_mlp<net_elec2, false>)->Name("mlp_8_32_32_1/float");
BENCHMARK(BM_mlp<net_elec2, true>)->Name("mlp_8_32_32_1/int8");

// ---------------------------------------------------------------- accuracy report

using rill::test::read_csv_rows;

struct agreement {
  std::size_t ok_f = 0, ok_q = 0, same = 0, n = 0;
  double max_dp = 0, sum_dp = 0;
  void add(double pf, double pq, int y) {
    ok_f += (pf > 0.5) == (y == 1);
    ok_q += (pq > 0.5) == (y == 1);
    same += (pf > 0.5) == (pq > 0.5);
    max_dp = std::max(max_dp, std::abs(pf - pq));
    sum_dp += std::abs(pf - pq);
    ++n;
  }
  void print(const char* name) const {
    std::printf("%-34s accuracy float %.4f int8 %.4f (%+.4f), same class %.4f, |dp| max %.4f mean %.5f\n",
                name, double(ok_f) / n, double(ok_q) / n, double(ok_q) / n - double(ok_f) / n,
                double(same) / n, max_dp, sum_dp / n);
  }
};

void accuracy_report() {
  const std::string root = RILL_SOURCE_DIR;
  const std::string dir = root + "/tests/reference/sklearn_multiclass/";
  const auto data = read_csv_rows(root + "/data/elec2.csv", true);
  if (data.size() != 45312) {
    std::printf("accuracy report skipped: run from the repository root (data/elec2.csv)\n");
    return;
  }
  const auto lin = rill::load_linear_model<8, float, rill::link_function::logistic>(dir + "elec2_logistic.json");
  const auto net = rill::load_mlp<net_elec2>(dir + "elec2_mlp.json");
  std::vector<float> train;
  for (std::size_t r = 0; r < 30000; ++r)
    for (std::size_t i = 0; i < 8; ++i) train.push_back(float(data[r][i]));
  const auto range = rill::feature_range<8>(train.data(), 30000);
  const auto qlin_raw = rill::quantize(lin);
  const auto qlin = rill::quantize(lin, range);
  const auto qnet_raw = rill::quantize(*net);
  const auto qnet = rill::quantize(*net, range);
  agreement a[4];
  for (std::size_t r = 30000; r < data.size(); ++r) {
    rill::feature_row<float, 8> x;
    for (std::size_t i = 0; i < 8; ++i) x[i] = float(data[r][i]);
    const int y = int(data[r][8]);
    const double pl = lin.predict(x), pn = net->predict(x);
    a[0].add(pl, qlin_raw.predict(x), y);
    a[1].add(pl, qlin.predict(x), y);
    a[2].add(pn, qnet_raw.predict(x), y);
    a[3].add(pn, qnet.predict(x), y);
  }
  std::printf("int8 vs float on Elec2, %zu held-out rows:\n", a[0].n);
  a[0].print("logistic, int8 uncalibrated");
  a[1].print("logistic, int8 calibrated");
  a[2].print("mlp 8-32-32-1, int8 uncalibrated");
  a[3].print("mlp 8-32-32-1, int8 calibrated");
  const auto d = rill::read_model_json(dir + "logistic_softmax.json");
  rill::multiclass_linear_model<10, 4, float> mc{};
  for (std::size_t k = 0; k < 4; ++k) {
    mc.bias[k] = float(d.layers[0].bias[k]);
    for (std::size_t i = 0; i < 10; ++i) mc.weights[k][i] = float(d.layers[0].weights[k * 10 + i]);
  }
  const auto qmc = rill::quantize(mc);
  std::size_t same = 0, n = 0;
  double max_dp = 0;
  for (const auto& in : read_csv_rows(dir + "multiclass.input.csv", true)) {
    rill::feature_row<float, 10> x;
    for (std::size_t i = 0; i < 10; ++i) x[i] = float(in[i]);
    const auto pf = mc.predict_proba(x), pq = qmc.predict_proba(x);
    for (std::size_t k = 0; k < 4; ++k) max_dp = std::max(max_dp, double(std::abs(pf[k] - pq[k])));
    same += mc.predict_class(x) == qmc.predict_class(x);
    ++n;
  }
  std::printf("4-class softmax LogisticRegression, %zu rows: same class %.4f, |dp| max %.4f\n\n", n,
              double(same) / n, max_dp);
}

}  // namespace

int main(int argc, char** argv) {
  accuracy_report();
  benchmark::Initialize(&argc, argv);
  if (benchmark::ReportUnrecognizedArguments(argc, argv)) return 1;
  benchmark::RunSpecifiedBenchmarks();
  benchmark::Shutdown();
  return 0;
}
