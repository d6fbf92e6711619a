// The metrics hot path: recorder add/set/record against plain and atomic baselines,
// snapshot and exposition (docs/threads.md, "Cost per call").
#include <benchmark/benchmark.h>
#include <random>
#include <vector>
#include "rill/metrics/exposition.hpp"
#include "rill/metrics/registry.hpp"

namespace {
std::vector<std::uint64_t> latencies() {  // log-uniform 10 ns .. 10 ms, 4096 values
  std::mt19937_64 rng(1);
  std::uniform_real_distribution<double> d(std::log(10.0), std::log(1e7));
  std::vector<std::uint64_t> v(4096);
  for (auto& x : v) x = static_cast<std::uint64_t>(std::exp(d(rng)));
  return v;
}

void plain_counter(benchmark::State& st) {  // baseline: a non-atomic ++ in memory
  static std::uint64_t c[8];
  for (auto _ : st) {
    ++c[0];
    benchmark::ClobberMemory();
  }
}
void recorder_add(benchmark::State& st) {
  rill::metrics_registry reg;
  const auto id = reg.add_counter("c", "");
  auto& r = reg.add_recorder("r");
  for (auto _ : st) {
    r.add(id);
    benchmark::ClobberMemory();
  }
}
void atomic_fetch_add(benchmark::State& st) {  // what a shared counter would cost, uncontended
  static std::atomic<std::uint64_t> c{0};
  for (auto _ : st) c.fetch_add(1, std::memory_order_relaxed);
}
void recorder_set_max(benchmark::State& st) {
  rill::metrics_registry reg;
  const auto id = reg.add_gauge("g", "", rill::gauge_merge::max);
  auto& r = reg.add_recorder("r");
  double v = 0;
  for (auto _ : st) {
    r.set(id, v += 1);
    benchmark::ClobberMemory();
  }
}
void recorder_set_last(benchmark::State& st) {
  rill::metrics_registry reg;
  const auto id = reg.add_gauge("g", "", rill::gauge_merge::last);
  auto& r = reg.add_recorder("r");
  double v = 0;
  for (auto _ : st) {
    r.set(id, v += 1);
    benchmark::ClobberMemory();
  }
}
void plain_histogram_record(benchmark::State& st) {
  static rill::latency_histogram h;
  const auto v = latencies();
  std::size_t i = 0;
  for (auto _ : st) {
    h.record(v[i++ & 4095]);
    benchmark::ClobberMemory();
  }
}
void recorder_record(benchmark::State& st) {
  rill::metrics_registry reg;
  const auto id = reg.add_histogram("h", "");
  auto& r = reg.add_recorder("r");
  const auto v = latencies();
  std::size_t i = 0;
  for (auto _ : st) {
    r.record(id, v[i++ & 4095]);
    benchmark::ClobberMemory();
  }
}
void snapshot(benchmark::State& st) {  // recorders x (3 counters, 1 gauge, histograms)
  const int recs = static_cast<int>(st.range(0)), hists = static_cast<int>(st.range(1));
  rill::metrics_registry reg;
  for (int c = 0; c < 3; ++c) reg.add_counter(std::string(1, 'c') += std::to_string(c), "");
  reg.add_gauge("g", "", rill::gauge_merge::sum);
  std::vector<rill::histogram_id> hs;
  for (int h = 0; h < hists; ++h) hs.push_back(reg.add_histogram(std::string(1, 'h') += std::to_string(h), ""));
  const auto v = latencies();
  for (int r = 0; r < recs; ++r) {
    auto& rec = reg.add_recorder(std::string(1, 'r') += std::to_string(r));
    for (auto h : hs)
      for (int k = 0; k < 1'000'000; ++k) rec.record(h, v[static_cast<std::size_t>(k) & 4095]);
  }
  for (auto _ : st) benchmark::DoNotOptimize(reg.snapshot());
}
void prometheus(benchmark::State& st) {
  rill::metrics_registry reg;
  for (int c = 0; c < 3; ++c) reg.add_counter(std::string(1, 'c') += std::to_string(c), "");
  const auto h = reg.add_histogram("h", "");
  auto& rec = reg.add_recorder("r");
  const auto v = latencies();
  for (int k = 0; k < 1'000'000; ++k) rec.record(h, v[static_cast<std::size_t>(k) & 4095]);
  const auto s = reg.snapshot();
  for (auto _ : st) benchmark::DoNotOptimize(rill::to_prometheus(s));
}
// Two threads: one shared atomic counter vs a recorder each (the registry's design).
std::atomic<std::uint64_t> shared_counter{0};
void shared_fetch_add_2threads(benchmark::State& st) {
  for (auto _ : st) shared_counter.fetch_add(1, std::memory_order_relaxed);
}
rill::metrics_registry two_reg;
const auto two_id = two_reg.add_counter("c", "");
rill::metrics_recorder* two_rec[2] = {&two_reg.add_recorder("a"), &two_reg.add_recorder("b")};
void recorder_add_2threads(benchmark::State& st) {
  auto& r = *two_rec[st.thread_index()];
  for (auto _ : st) {
    r.add(two_id);
    benchmark::ClobberMemory();
  }
}
}  // namespace

BENCHMARK(shared_fetch_add_2threads)->Threads(2);
BENCHMARK(recorder_add_2threads)->Threads(2);
BENCHMARK(plain_counter);
BENCHMARK(recorder_add);
BENCHMARK(atomic_fetch_add);
BENCHMARK(recorder_set_max);
BENCHMARK(recorder_set_last);
BENCHMARK(plain_histogram_record);
BENCHMARK(recorder_record);
BENCHMARK(snapshot)->Args({1, 1})->Args({4, 4})->Unit(benchmark::kMicrosecond);
BENCHMARK(prometheus)->Unit(benchmark::kMicrosecond);
BENCHMARK_MAIN();
