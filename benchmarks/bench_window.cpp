// Feature windows: D = 16 features x {mean, std, min, max, EWMA} over N = 64
// rows, against a naive recompute of the same statistics over a ring of the
// last 64 rows. Per-event latency is measured on batches of 64 events (ticks /
// 64) into a preallocated histogram and published as p50/p99 counters.
// BM_stability_1e9 runs the 10^9-update numerical argument (docs/windows.md);
// BM_core_throughput_probe says what the (shared) core gives this thread in a run.
#include <benchmark/benchmark.h>

#include <algorithm>
#include <cmath>
#include <cstdint>
#include <random>
#include <vector>

#if defined(__AVX2__)
#include <immintrin.h>
#endif

#include "bench_util.hpp"
#include "rill/window/assemble.hpp"
#include "rill/window/ewm.hpp"
#include "rill/window/rolling.hpp"
#include "rill/window/standard_scaler.hpp"

namespace {

constexpr std::size_t D = 16;
constexpr std::size_t N = 64;
constexpr std::size_t rows = 4096;
constexpr std::size_t batch = 64;
using rill::stat;
constexpr stat stats = stat::mean | stat::stddev | stat::min | stat::max;

std::vector<rill::event<D>> make_rows() {
  std::mt19937 rng(1);
  std::normal_distribution<float> n(10.0f, 3.0f);
  std::vector<rill::event<D>> v(rows);
  for (std::size_t i = 0; i < rows; ++i) {
    v[i].id = i;
    v[i].time_ns = std::int64_t(i);
    for (auto &x : v[i].x) x = n(rng);
  }
  return v;
}
const std::vector<rill::event<D>> events = make_rows();

// The five statistics per event written the obvious way: recompute over the
// ring.
struct naive_recompute {
  float ring[N][D] = {};
  std::size_t seen = 0;
  double ewma[D] = {};
  float out[5 * D] = {};
  void step(const rill::event<D> &e) noexcept {
    const std::size_t slot = seen % N;
    for (std::size_t i = 0; i < D; ++i) ring[slot][i] = e.x[i];
    ++seen;
    const std::size_t n = std::min(seen, N);
    for (std::size_t i = 0; i < D; ++i) {
      double s = 0, mn = ring[0][i], mx = ring[0][i];
      for (std::size_t j = 0; j < n; ++j) {
        s += ring[j][i];
        mn = std::min<double>(mn, ring[j][i]);
        mx = std::max<double>(mx, ring[j][i]);
      }
      const double m = s / double(n);
      double v = 0;
      for (std::size_t j = 0; j < n; ++j) v += (ring[j][i] - m) * (ring[j][i] - m);
      ewma[i] = seen == 1 ? e.x[i] : 0.1 * e.x[i] + 0.9 * ewma[i];
      out[i] = float(m);
      out[D + i] = float(n > 1 ? std::sqrt(v / double(n - 1)) : 0.0);
      out[2 * D + i] = float(mn);
      out[3 * D + i] = float(mx);
      out[4 * D + i] = float(ewma[i]);
    }
  }
};

template <class Acc>
struct rill_windows {
  rill::rolling<D, N, stats, float, Acc> roll{1};
  rill::ewm<D, stat::mean, float, Acc> ew = rill::ewm<D, stat::mean, float, Acc>::fading(0.1);
  float out[5 * D] = {};
  void step(const rill::event<D> &e) noexcept {
    roll(e, [this](const auto &o) noexcept { std::copy(o.x.begin(), o.x.end(), out); });
    ew(e, [this](const auto &o) noexcept { std::copy(o.x.begin(), o.x.end(), out + 4 * D); });
  }
};

// The same five statistics as one assembled 80-column row (what a model stage
// takes), read in place by the consumer: `assemble` has both windows write into
// its row, so no event is built per window and copied out. The consumer marks
// every event's row as read, so each one is written in full.
template <class Acc>
struct rill_assembled {
  using roll_t = rill::rolling<D, N, stats, float, Acc>;
  using ewm_t = rill::ewm<D, stat::mean, float, Acc>;
  decltype(rill::assemble_derived(roll_t{1}, ewm_t::fading(0.1))) features =
      rill::assemble_derived(roll_t{1}, ewm_t::fading(0.1));
  int out = 0;  // what run() hands to DoNotOptimize; the rows are read in step()
  void step(const rill::event<D> &e) noexcept {
    features(e, [](const auto &o) noexcept { benchmark::DoNotOptimize(o); });
  }
};

// Each statistic set alone, float accumulators, written with emit_into into a
// buffer: where a window event's time goes (docs/windows.md).
template <stat S, bool WithEwm>
struct rill_part {
  rill::rolling<D, N, S, float, float> roll{1};
  rill::ewm<D, stat::mean, float, float> ew = rill::ewm<D, stat::mean, float, float>::fading(0.1);
  alignas(64) float out[5 * D] = {};
  void step(const rill::event<D> &e) noexcept {
    roll.emit_into(e, out);
    if constexpr (WithEwm) ew.emit_into(e, out + 4 * D);
  }
};
struct ewm_part {
  rill::ewm<D, stat::mean, float, float> ew = rill::ewm<D, stat::mean, float, float>::fading(0.1);
  alignas(64) float out[D] = {};
  void step(const rill::event<D> &e) noexcept { ew.emit_into(e, out); }
};

// The online standard scaler over the same rows (learn, then transform), and the
// same Welford update written one feature at a time beside it (what the scaler was
// before it went SIMD: a count, a division and a root per feature).
template <class Acc>
struct rill_scaler {
  rill::standard_scaler<D, float, Acc> scaler;
  float out[D] = {};
  void step(const rill::event<D> &e) noexcept {
    scaler(e, [this](const auto &o) noexcept { std::copy(o.x.begin(), o.x.end(), out); });
  }
};
struct scalar_scaler {
  std::uint64_t n[D] = {};
  double mean[D] = {}, m2[D] = {};
  float out[D] = {};
  void step(const rill::event<D> &e) noexcept {
    for (std::size_t i = 0; i < D; ++i) {
      const double v = e.x[i];
      const bool ok = std::isfinite(v);
      n[i] += ok;
      const double delta = ok ? v - mean[i] : 0.0;
      mean[i] += delta / double(n[i] ? n[i] : 1);
      m2[i] += ok ? delta * (v - mean[i]) : 0.0;
      const double var = n[i] ? m2[i] / double(n[i]) : 0.0;
      out[i] = !ok ? e.x[i] : var > 0 ? float((v - mean[i]) / std::sqrt(var)) : 0.0f;
    }
  }
};

template <class Impl>
void run(benchmark::State &state) {
  static Impl impl;  // large (tens of KiB): static, built once, never allocates
                     // per event
  impl = Impl{};
  static rill::latency_histogram hist;
  hist = rill::latency_histogram{};
  std::size_t i = 0;
  for (auto _ : state) {
    const auto t0 = rill::bench::ticks();
    for (std::size_t k = 0; k < batch; ++k) {
      impl.step(events[i]);
      i = (i + 1) & (rows - 1);
    }
    const auto t1 = rill::bench::ticks();
    benchmark::DoNotOptimize(impl.out);
    hist.record((t1 - t0) / batch);
  }
  state.SetItemsProcessed(state.iterations() * batch);
  rill::bench::report_percentiles(state, hist);
  state.counters["ns_per_event"] =
      benchmark::Counter(double(state.iterations() * batch),
                         benchmark::Counter::kIsRate | benchmark::Counter::kInvert);
}

void BM_window_rill_double_acc(benchmark::State &s) { run<rill_windows<double>>(s); }
void BM_window_rill_float_acc(benchmark::State &s) { run<rill_windows<float>>(s); }
void BM_window_naive_recompute(benchmark::State &s) { run<naive_recompute>(s); }
void BM_window_assembled_double_acc(benchmark::State &s) { run<rill_assembled<double>>(s); }
void BM_window_assembled_float_acc(benchmark::State &s) { run<rill_assembled<float>>(s); }
void BM_window_part_mean(benchmark::State &s) { run<rill_part<stat::mean, false>>(s); }
void BM_window_part_mean_std(benchmark::State &s) {
  run<rill_part<stat::mean | stat::stddev, false>>(s);
}
void BM_window_part_min(benchmark::State &s) { run<rill_part<stat::min, false>>(s); }
void BM_window_part_min_max(benchmark::State &s) {
  run<rill_part<stat::min | stat::max, false>>(s);
}
void BM_window_part_all4(benchmark::State &s) { run<rill_part<stats, false>>(s); }
void BM_window_part_ewm(benchmark::State &s) { run<ewm_part>(s); }
void BM_window_part_all4_ewm(benchmark::State &s) { run<rill_part<stats, true>>(s); }
BENCHMARK(BM_window_part_mean);
BENCHMARK(BM_window_part_mean_std);
BENCHMARK(BM_window_part_min);
BENCHMARK(BM_window_part_min_max);
BENCHMARK(BM_window_part_all4);
BENCHMARK(BM_window_part_ewm);
BENCHMARK(BM_window_part_all4_ewm);
BENCHMARK(BM_window_rill_double_acc);
BENCHMARK(BM_window_rill_float_acc);
BENCHMARK(BM_window_assembled_double_acc);
BENCHMARK(BM_window_assembled_float_acc);
BENCHMARK(BM_window_naive_recompute);
void BM_scaler_standard_double_acc(benchmark::State &s) { run<rill_scaler<double>>(s); }
void BM_scaler_standard_float_acc(benchmark::State &s) { run<rill_scaler<float>>(s); }
void BM_scaler_standard_per_feature(benchmark::State &s) { run<scalar_scaler>(s); }
BENCHMARK(BM_scaler_standard_double_acc);
BENCHMARK(BM_scaler_standard_float_acc);
BENCHMARK(BM_scaler_standard_per_feature);

// What the core gives this thread right now. This host sometimes shares a physical
// core with another guest (docs/windows.md): a chain of dependent adds keeps its speed
// while code bound by how many instructions the core issues per cycle slows by about
// half. The probe is one window event's shape without its dependencies: 26 vector
// stores (what the five statistics must store per event: ring 2, shifted sums 4,
// running extremes 4, the backward pass's suffixes 4 amortised, EWMA 2, the 80-column
// row 10) and 128 independent vector adds, per event of the window benchmarks' own
// loop (run()). Its p50 beside a window's p50 says which kind of stretch a run was in
// and how close the window is to the core's throughput for its size.
#if defined(__AVX2__)
struct core_probe {
  static constexpr std::size_t stores = 26, adds = 128, lanes = 8;
  alignas(64) std::int32_t out[stores * lanes] = {};
  __m256i acc[lanes] = {};
  void step(const rill::event<D> &) noexcept {
    const __m256i one = _mm256_set1_epi32(1);
#pragma GCC unroll 128
    for (std::size_t j = 0; j < adds; ++j) {
      acc[j % lanes] = _mm256_add_epi32(acc[j % lanes], one);
      asm volatile("" : "+x"(acc[j % lanes]));  // no folding of the adds
    }
#pragma GCC unroll 32
    for (std::size_t j = 0; j < stores; ++j)
      _mm256_store_si256(reinterpret_cast<__m256i *>(out + j * lanes), acc[j % lanes]);
    benchmark::ClobberMemory();  // every event's stores happen
  }
};
void BM_core_throughput_probe(benchmark::State &s) { run<core_probe>(s); }
BENCHMARK(BM_core_throughput_probe);
#endif

// 10^9 pushes of values in [1e6, 1e6 + 1) into a 64-row window: relative error
// of the window sum and variance at the end against an exact recompute, and the
// same for a naive double running sum (s += new - old) beside it.
void BM_stability_1e9(benchmark::State &state) {
  const std::uint64_t updates = std::uint64_t(state.range(0));
  for (auto _ : state) {
    rill::rolling<1, N, stat::sum | stat::variance, double> w(0);
    double ring[N] = {};
    double naive = 0;
    std::uint64_t s = 88172645463325252ull;  // xorshift64: cheap next to the push
    for (std::uint64_t t = 0; t < updates; ++t) {
      s ^= s << 13;
      s ^= s >> 7;
      s ^= s << 17;
      const double x = 1e6 + double(s >> 11) * 0x1.0p-53;
      naive += x - ring[t % N];
      ring[t % N] = x;
      w.push(rill::feature_row<double, 1>{{x}});
    }
    long double sum = 0;
    for (double v : ring) sum += v;
    long double m2 = 0;
    for (double v : ring) m2 += (v - sum / N) * (v - sum / N);
    state.counters["rill_sum_rel_err"] = double(std::abs((w.sum(0) - sum) / sum));
    state.counters["rill_var_rel_err"] = double(std::abs((w.variance(0) - m2 / N) / (m2 / N)));
    state.counters["naive_sum_rel_err"] = double(std::abs((naive - sum) / sum));
  }
  state.SetItemsProcessed(state.iterations() * state.range(0));
}
BENCHMARK(BM_stability_1e9)->Arg(1000000000)->Iterations(1)->Unit(benchmark::kSecond);

}  // namespace

BENCHMARK_MAIN();
