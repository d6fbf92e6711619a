// Per-update cost of each drift detector on a realistic error stream (a
// classifier's 0/1 errors whose rate moves between 15 % and 35 % every 5000
// updates, so detectors drift and reset now and then), with allocations per
// update, and ADWIN's per-update latency distribution (p50/p99/p99.9/max) to
// show its worst case beside the amortised figure.
//
// Baseline: a hand-written running mean of the same stream (the least any
// detector must do).
#include <benchmark/benchmark.h>

#include <atomic>
#include <cmath>
#include <cstdint>
#include <cstdlib>
#include <new>
#include <vector>

#include "bench_util.hpp"
#include "rill/detail/rounded.hpp"
#include "rill/drift/adwin.hpp"
#include "rill/drift/ddm.hpp"
#include "rill/drift/eddm.hpp"
#include "rill/drift/hddm_a.hpp"
#include "rill/drift/hddm_w.hpp"
#include "rill/drift/kswin.hpp"
#include "rill/drift/page_hinkley.hpp"
#include "rill/drift/registry.hpp"
#include "rill/metrics/latency_histogram.hpp"

// Counts every global allocation so the benchmarks can report allocations per update.
// (g++ 12 flags free() of a pointer that came from our own operator new, inlined
// into library code, as mismatched; it is not.)
#if defined(__GNUC__) && !defined(__clang__)
#pragma GCC diagnostic ignored "-Wmismatched-new-delete"
#endif
static std::atomic<std::uint64_t> g_allocs{0};
void* operator new(std::size_t n) {
  g_allocs.fetch_add(1, std::memory_order_relaxed);
  if (void* p = std::malloc(n ? n : 1)) return p;
  throw std::bad_alloc();
}
void operator delete(void* p) noexcept { std::free(p); }
void operator delete(void* p, std::size_t) noexcept { std::free(p); }

namespace {

constexpr std::size_t stream_len = 1 << 16;

const std::vector<double>& error_stream() {
  static const std::vector<double> s = [] {
    std::vector<double> v(stream_len);
    rill::detail::python_random rng(7);
    for (std::size_t i = 0; i < v.size(); ++i) {
      const double rate = (i / 5000) % 2 == 0 ? 0.15 : 0.35;
      v[i] = rng.random() < rate ? 1.0 : 0.0;
    }
    return v;
  }();
  return s;
}

// A numeric stream for the detectors that read values rather than errors.
const std::vector<double>& value_stream() {
  static const std::vector<double> s = [] {
    std::vector<double> v(stream_len);
    rill::detail::python_random rng(8);
    for (std::size_t i = 0; i < v.size(); ++i)
      v[i] = rng.random() + ((i / 5000) % 2 == 0 ? 0.0 : 0.3);
    return v;
  }();
  return s;
}

template <class D>
void run(benchmark::State& state, D detector, const std::vector<double>& xs) {
  // Allocations: one untimed pass over the whole stream, counted outside the
  // framework's own bookkeeping.
  const std::uint64_t allocs0 = g_allocs.load();
  for (double x : xs) benchmark::DoNotOptimize(detector.update(x));
  state.counters["allocs_per_64k_updates"] = double(g_allocs.load() - allocs0);
  detector.reset();
  std::size_t i = 0;
  std::uint64_t drifts = 0;
  for (auto _ : state) {
    const auto s = detector.update(xs[i]);
    drifts += s == rill::drift_signal::drift;
    benchmark::DoNotOptimize(s);
    i = (i + 1) & (stream_len - 1);
  }
  state.SetItemsProcessed(state.iterations());
  state.counters["drifts_per_1M"] = double(drifts) * 1e6 / double(state.iterations());
}

// 64 updates per iteration, the step's result kept alive once per iteration: per-update
// throughput without the per-iteration DoNotOptimize, which on g++ keeps an lvalue in
// memory ("+m,r") and so puts a store and a reload on the baseline's chain. The step is
// owned here by value (its state stays in registers; a lambda capturing by reference
// left the detector in memory, aliased with the stream, and cost up to 40 %).
template <class Step>
void run_x64(benchmark::State& state, const std::vector<double>& xs, Step step) {
  std::size_t i = 0;
  for (auto _ : state) {
    for (int k = 0; k < 64; ++k) {
      step(xs[i]);
      i = (i + 1) & (stream_len - 1);
    }
    benchmark::DoNotOptimize(step.result());
  }
  state.SetItemsProcessed(state.iterations() * 64);
}

// A detector's update as a step: signals summed.
template <class D>
struct detector_step {
  D detector;
  std::size_t signals = 0;
  void operator()(double x) noexcept { signals += detector.update(x) != rill::drift_signal::none; }
  std::size_t result() const noexcept { return signals; }
};
template <class D>
void run_chunked(benchmark::State& state, D detector, const std::vector<double>& xs) {
  run_x64(state, xs, detector_step<D>{detector});
}

void BM_baseline_running_mean(benchmark::State& state) {
  const auto& xs = error_stream();
  double n = 0, m = 0;
  std::size_t i = 0;
  for (auto _ : state) {
    n += 1.0;
    m += rill::detail::rounded((1.0 / n) * (xs[i] - m));  // as river_mean: unfused
    benchmark::DoNotOptimize(m);
    i = (i + 1) & (stream_len - 1);
  }
  state.SetItemsProcessed(state.iterations());
}

void BM_adwin(benchmark::State& state) {
  rill::adwin_params p;
  p.clock = static_cast<int>(state.range(0));
  run(state, rill::adwin(p), error_stream());
}
void BM_ddm(benchmark::State& state) { run(state, rill::ddm(), error_stream()); }
void BM_eddm(benchmark::State& state) { run(state, rill::eddm(), error_stream()); }
void BM_hddm_a(benchmark::State& state) { run(state, rill::hddm_a(), error_stream()); }
void BM_hddm_w(benchmark::State& state) { run(state, rill::hddm_w(), error_stream()); }
void BM_page_hinkley(benchmark::State& state) { run(state, rill::page_hinkley(), value_stream()); }
void BM_kswin(benchmark::State& state) {
  rill::kswin_params p;
  p.seed = 42;
  run(state, rill::kswin(p), value_stream());
}
// The CLI's runtime-chosen detector: the cost of the std::variant dispatch.
void BM_any_detector_ddm(benchmark::State& state) {
  run(state, rill::make_detector("ddm", std::vector<std::string>{}), error_stream());
}

// ADWIN one update at a time: the distribution, including the clock ticks that
// scan every bucket and the updates that find a cut.
void BM_adwin_latency(benchmark::State& state) {
  rill::adwin_params p;
  p.clock = static_cast<int>(state.range(0));
  rill::adwin detector(p);
  const auto& xs = error_stream();
  rill::latency_histogram h;
  const std::uint64_t overhead = rill::bench::timer_overhead();
  std::size_t i = 0;
  for (auto _ : state) {
    const auto t0 = rill::bench::ticks();
    const auto s = detector.update(xs[i]);
    const auto t1 = rill::bench::ticks();
    benchmark::DoNotOptimize(s);
    h.record(t1 - t0 > overhead ? t1 - t0 - overhead : 0);
    i = (i + 1) & (stream_len - 1);
  }
  rill::bench::report_percentiles(state, h);
  state.counters["rows"] = detector.rows();
}

}  // namespace

// River's running mean alone (as river_mean: unfused).
struct running_mean_step {
  double n = 0, m = 0;
  void operator()(double x) noexcept {
    n += 1.0;
    m += rill::detail::rounded((1.0 / n) * (x - m));
  }
  double result() const noexcept { return m; }
};
void BM_baseline_running_mean_x64(benchmark::State& state) {
  run_x64(state, error_stream(), running_mean_step{});
}
// The divider's floor under DDM: River's DDM needs, per update, 1/n for the mean,
// p(1-p)/n and a square root. The same three operations with nothing chained between
// updates (a running sum of the results, 3 cycles, stays off the divider).
struct divider_floor_step {
  double n = 1, acc = 0;
  void operator()(double x) noexcept {
    n += 1.0;
    const double p = x * 0.5;
    acc += 1.0 / n + std::sqrt(p * (1.0 - p) / n);
  }
  double result() const noexcept { return acc; }
};
void BM_divider_floor_ddm_x64(benchmark::State& state) {
  run_x64(state, value_stream(), divider_floor_step{});
}
void BM_ddm_x64(benchmark::State& s) { run_chunked(s, rill::ddm(), error_stream()); }
void BM_eddm_x64(benchmark::State& s) { run_chunked(s, rill::eddm(), error_stream()); }
void BM_hddm_a_x64(benchmark::State& s) { run_chunked(s, rill::hddm_a(), error_stream()); }
void BM_hddm_w_x64(benchmark::State& s) { run_chunked(s, rill::hddm_w(), error_stream()); }
void BM_page_hinkley_x64(benchmark::State& s) {
  run_chunked(s, rill::page_hinkley(), value_stream());
}
void BM_adwin_x64(benchmark::State& s) { run_chunked(s, rill::adwin(), error_stream()); }

BENCHMARK(BM_baseline_running_mean);
BENCHMARK(BM_baseline_running_mean_x64);
BENCHMARK(BM_divider_floor_ddm_x64);
BENCHMARK(BM_ddm_x64);
BENCHMARK(BM_eddm_x64);
BENCHMARK(BM_hddm_a_x64);
BENCHMARK(BM_hddm_w_x64);
BENCHMARK(BM_page_hinkley_x64);
BENCHMARK(BM_adwin_x64);
BENCHMARK(BM_adwin)->Arg(32)->Arg(1);
BENCHMARK(BM_adwin_latency)->Arg(32)->Arg(1);
BENCHMARK(BM_ddm);
BENCHMARK(BM_eddm);
BENCHMARK(BM_hddm_a);
BENCHMARK(BM_hddm_w);
BENCHMARK(BM_page_hinkley);
BENCHMARK(BM_kswin);
BENCHMARK(BM_any_detector_ddm);

BENCHMARK_MAIN();
