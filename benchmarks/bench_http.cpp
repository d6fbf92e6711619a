// Cost of the live view on the pipeline thread: live_feed::on_prediction at 1-in-100
// sampling (a live_server draining it on its own thread) against the same loop with
// the view off. Per-event p50/p99/p99.9 from rdtscp timings; the mean from the loop.
#include <benchmark/benchmark.h>

#include <cstdint>

#include "bench_util.hpp"
#include "rill/http/live_feed.hpp"
#include "rill/http/live_server.hpp"
#include "rill/metrics/latency_histogram.hpp"

namespace {

// The work both variants do per event: a cheap stand-in for a model (a few flops).
inline double score(std::uint64_t i) noexcept { return static_cast<double>(i & 1023) * 0.000977; }

void BM_view_off(benchmark::State& state) {
  std::uint64_t i = 0;
  double sink = 0;
  for (auto _ : state) {
    sink += score(i++);
    benchmark::DoNotOptimize(sink);
  }
  state.SetItemsProcessed(state.iterations());
}

void BM_view_on(benchmark::State& state) {
  rill::live_feed feed({.sample_every = static_cast<std::uint64_t>(state.range(0))});
  rill::live_server server;
  server.add_feed(feed);
  server.start();
  std::uint64_t i = 0;
  double sink = 0;
  for (auto _ : state) {
    const double v = score(i);
    feed.on_prediction(i, static_cast<std::int64_t>(i), v);
    ++i;
    sink += v;
    benchmark::DoNotOptimize(sink);
  }
  state.SetItemsProcessed(state.iterations());
  state.counters["dropped"] = static_cast<double>(feed.counts().queue.dropped_full);
  server.stop();
}

// Per-event distribution: one rdtscp pair around each call, overhead subtracted.
template <bool On>
void BM_per_event(benchmark::State& state) {
  rill::live_feed feed({.sample_every = 100});
  rill::live_server server;
  server.add_feed(feed);
  if (On) server.start();
  rill::latency_histogram h;
  const std::uint64_t overhead = rill::bench::timer_overhead();
  std::uint64_t i = 0;
  double sink = 0;
  for (auto _ : state) {
    const auto t0 = rill::bench::ticks();
    const double v = score(i);
    if constexpr (On) feed.on_prediction(i, static_cast<std::int64_t>(i), v);
    sink += v;
    benchmark::DoNotOptimize(sink);
    const auto t1 = rill::bench::ticks();
    ++i;
    h.record(t1 - t0 > overhead ? t1 - t0 - overhead : 0);
  }
  rill::bench::report_percentiles(state, h);
  if (On) server.stop();
}

}  // namespace

BENCHMARK(BM_view_off);
BENCHMARK(BM_view_on)->Arg(100)->Arg(1);
BENCHMARK_TEMPLATE(BM_per_event, false)->Name("BM_per_event/off");
BENCHMARK_TEMPLATE(BM_per_event, true)->Name("BM_per_event/on_1_in_100");
BENCHMARK_MAIN();
