// Cost per event of the serving stages, each beside the bare model it wraps: cache
// hit and miss, A/B and shadow routing, a closed circuit breaker, micro-batching, and
// the bandits' choose + learn. Mean from the timed loop (no timers inside); p50/p99/
// p99.9/max from a second pass that times every event with rdtscp; allocations per
// event counted by a global operator new hook (expected 0). Also the latency
// micro-batching adds, in event time, for a Poisson arrival stream.
#include <benchmark/benchmark.h>

#include <atomic>
#include <cstdlib>
#include <new>
#include <random>
#include <vector>

#include "bench_util.hpp"
#include "rill/model/linear.hpp"
#include "rill/model/predict.hpp"
#include "rill/serve/bandit.hpp"
#include "rill/serve/circuit_breaker.hpp"
#include "rill/serve/micro_batch.hpp"
#include "rill/serve/prediction_cache.hpp"
#include "rill/serve/router.hpp"

namespace {
std::atomic<std::uint64_t> allocations{0};
}

// Counting replacements of the global allocation functions (the hot path must not call
// them). GCC sees the replacement and the free() in one TU and warns; the pairs match.
#pragma GCC diagnostic push
#pragma GCC diagnostic ignored "-Wpragmas"
#pragma GCC diagnostic ignored "-Wmismatched-new-delete"
namespace {
void* counted(std::size_t n, std::size_t align) {
  allocations.fetch_add(1, std::memory_order_relaxed);
  void* p = align <= alignof(std::max_align_t)
                ? std::malloc(n ? n : 1)
                : std::aligned_alloc(align, (n + align - 1) / align * align);
  if (!p) throw std::bad_alloc();
  return p;
}
}  // namespace
void* operator new(std::size_t n) { return counted(n, 0); }
void* operator new[](std::size_t n) { return counted(n, 0); }
void* operator new(std::size_t n, std::align_val_t a) { return counted(n, std::size_t(a)); }
void* operator new[](std::size_t n, std::align_val_t a) { return counted(n, std::size_t(a)); }
void operator delete(void* p) noexcept { std::free(p); }
void operator delete[](void* p) noexcept { std::free(p); }
void operator delete(void* p, std::size_t) noexcept { std::free(p); }
void operator delete[](void* p, std::size_t) noexcept { std::free(p); }
void operator delete(void* p, std::align_val_t) noexcept { std::free(p); }
void operator delete[](void* p, std::align_val_t) noexcept { std::free(p); }
void operator delete(void* p, std::size_t, std::align_val_t) noexcept { std::free(p); }
void operator delete[](void* p, std::size_t, std::align_val_t) noexcept { std::free(p); }
#pragma GCC diagnostic pop

namespace {

constexpr std::size_t D = 16;
using ev = rill::event<D>;
constexpr std::size_t rows = 4096;  // power of two, rotated

std::vector<ev> make_events(std::size_t n, std::uint64_t seed) {
  std::mt19937 rng(static_cast<std::uint32_t>(seed));
  std::normal_distribution<float> nd(0.0f, 1.0f);
  std::vector<ev> v(n);
  for (std::size_t i = 0; i < n; ++i) {
    v[i].id = i;
    v[i].time_ns = static_cast<std::int64_t>(i) * 1000;
    for (auto& x : v[i].x) x = nd(rng);
  }
  return v;
}
const std::vector<ev> events = make_events(rows, 1);

rill::linear_model<D> make_model() {
  rill::linear_model<D> m;
  for (std::size_t i = 0; i < D; ++i) m.weights[i] = 0.1f * float(i) - 0.7f;
  m.bias = 0.2f;
  return m;
}
const rill::linear_model<D> model = make_model();

struct sink_t {
  double* acc;
  template <class T>
  RILL_ALWAYS_INLINE void operator()(const T& p) const noexcept {
    *acc += double(p.value);
  }
};

// Runs `step(event)` over the timed loop, then 200k individually timed events for
// percentiles, and publishes allocations per event over both.
template <class Step>
void measure(benchmark::State& state, Step&& step, const std::vector<ev>& evs) {
  const std::size_t mask = evs.size() - 1;
  const auto a0 = allocations.load();
  std::size_t i = 0;
  for (auto _ : state) {
    step(evs[i & mask]);
    ++i;
  }
  rill::latency_histogram hist;
  const auto overhead = rill::bench::timer_overhead();
  for (std::size_t k = 0; k < 200000; ++k, ++i) {
    const auto t0 = rill::bench::ticks();
    step(evs[i & mask]);
    const auto t1 = rill::bench::ticks();
    hist.record(t1 - t0 > overhead ? t1 - t0 - overhead : 0);
  }
  const auto a1 = allocations.load();
  state.SetItemsProcessed(state.iterations());
  rill::bench::report_percentiles(state, hist);
  state.counters["allocs_per_event"] = double(a1 - a0) / double(i);
}

// ---------------------------------------------------------------- baselines

void BM_model_only(benchmark::State& state) {
  double acc = 0;
  rill::predict<rill::linear_model<D>> p(model);
  measure(state, [&](const ev& e) noexcept { p(e, sink_t{&acc}); }, events);
  benchmark::DoNotOptimize(acc);
}
BENCHMARK(BM_model_only);

using const_model = rill::constant_model<ev, rill::prediction<float>>;

void BM_constant_only(benchmark::State& state) {
  double acc = 0;
  const_model m(0.5f);
  measure(state, [&](const ev& e) noexcept { m(e, sink_t{&acc}); }, events);
  benchmark::DoNotOptimize(acc);
}
BENCHMARK(BM_constant_only);

// ---------------------------------------------------------------- cache

// Hits over a hot set of state.range(0) rows (256: index, slots and rows in L1/L2;
// 4096: about 0.8 MB with the events, so mostly L2/L3 hits).
void BM_cache_hit(benchmark::State& state) {
  double acc = 0;
  const std::vector<ev> hot(events.begin(), events.begin() + state.range(0));
  rill::prediction_cache cache{rill::predict(model), 8192};
  for (const auto& e : hot) cache(e, sink_t{&acc});  // warm: every row stored
  measure(state, [&](const ev& e) noexcept { cache(e, sink_t{&acc}); }, hot);
  if (cache.counters().misses != hot.size()) state.SkipWithError("cache hits expected");
  benchmark::DoNotOptimize(acc);
}
BENCHMARK(BM_cache_hit)->Arg(256)->Arg(4096);

void BM_cache_hit_user_key(benchmark::State& state) {
  double acc = 0;
  auto key = [](const ev& e) noexcept { return e.id; };
  const std::vector<ev> hot(events.begin(), events.begin() + state.range(0));
  rill::prediction_cache<rill::predict<rill::linear_model<D>>, decltype(key)> cache{
      rill::predict(model), 8192, INT64_MAX, key};
  for (const auto& e : hot) cache(e, sink_t{&acc});
  measure(state, [&](const ev& e) noexcept { cache(e, sink_t{&acc}); }, hot);
  benchmark::DoNotOptimize(acc);
}
BENCHMARK(BM_cache_hit_user_key)->Arg(256)->Arg(4096);

void BM_cache_miss_evict(benchmark::State& state) {
  double acc = 0;
  const auto many = make_events(1 << 16, 2);  // 64k distinct rows through 1024 slots
  rill::prediction_cache cache{rill::predict(model), 1024};
  for (const auto& e : many) cache(e, sink_t{&acc});
  measure(state, [&](const ev& e) noexcept { cache(e, sink_t{&acc}); }, many);
  benchmark::DoNotOptimize(acc);
}
BENCHMARK(BM_cache_miss_evict);

// ---------------------------------------------------------------- routing

void BM_ab_router(benchmark::State& state) {
  double acc = 0;
  auto r = rill::ab_split<rill::route_book<2>>(nullptr, {0.9, 0.1}, const_model(0.25f),
                                               const_model(0.75f));
  measure(state, [&](const ev& e) noexcept { r(e, sink_t{&acc}); }, events);
  benchmark::DoNotOptimize(acc);
}
BENCHMARK(BM_ab_router);

void BM_ab_router_book(benchmark::State& state) {
  double acc = 0;
  rill::route_book<2> book(1 << 14);
  auto r = rill::ab_split(&book, {0.9, 0.1}, const_model(0.25f), const_model(0.75f));
  auto evs = make_events(1 << 16, 3);  // distinct ids: the book keeps evicting the oldest
  measure(state, [&](const ev& e) noexcept { r(e, sink_t{&acc}); }, evs);
  benchmark::DoNotOptimize(acc);
}
BENCHMARK(BM_ab_router_book);

void BM_shadow_router_book(benchmark::State& state) {
  double acc = 0;
  rill::route_book<2> book(1 << 14);
  rill::shadow_router r(&book, const_model(0.25f), const_model(0.75f));
  auto evs = make_events(1 << 16, 4);
  measure(state, [&](const ev& e) noexcept { r(e, sink_t{&acc}); }, evs);
  benchmark::DoNotOptimize(acc);
}
BENCHMARK(BM_shadow_router_book);

// Learn path: one label per routed event, 4096 routed (untimed) then 4096 scored.
void BM_score_routes(benchmark::State& state) {
  rill::route_book<2> book(1 << 13);
  auto r = rill::ab_split(&book, {0.5, 0.5}, const_model(0.25f), const_model(0.75f));
  double acc = 0;
  std::uint64_t id = 0;
  const auto a0 = allocations.load();
  for (auto _ : state) {
    state.PauseTiming();
    const std::uint64_t first = id;
    for (std::size_t k = 0; k < rows; ++k, ++id) {
      ev e = events[k];
      e.id = id;
      e.time_ns = std::int64_t(id);
      r(e, sink_t{&acc});
    }
    state.ResumeTiming();
    for (std::uint64_t l = first; l < id; ++l)
      book.score(rill::label<float>{l, std::int64_t(l), float(l & 1)});
  }
  state.counters["allocs_per_event"] = double(allocations.load() - a0) / double(id ? id : 1);
  state.SetItemsProcessed(state.iterations() * std::int64_t(rows));
  if (book.counters().matched != id) state.SkipWithError("every label should match");
  benchmark::DoNotOptimize(acc);
}
BENCHMARK(BM_score_routes);

// ---------------------------------------------------------------- circuit breaker

void BM_breaker_closed(benchmark::State& state) {
  double acc = 0;
  rill::circuit_breaker br{rill::predict(model), rill::constant_like<rill::predict<rill::linear_model<D>>>(0.5f)};
  measure(state, [&](const ev& e) noexcept { br(e, sink_t{&acc}); }, events);
  if (br.state() != rill::breaker_state::closed) state.SkipWithError("breaker opened");
  benchmark::DoNotOptimize(acc);
}
BENCHMARK(BM_breaker_closed);

void BM_breaker_closed_budget(benchmark::State& state) {  // + two steady_clock reads
  double acc = 0;
  rill::breaker_options o;
  o.latency_budget_ns = 1'000'000;
  rill::circuit_breaker br{rill::predict(model),
                           rill::constant_like<rill::predict<rill::linear_model<D>>>(0.5f), o,
                           rill::steady_clock_ns{}};
  measure(state, [&](const ev& e) noexcept { br(e, sink_t{&acc}); }, events);
  benchmark::DoNotOptimize(acc);
}
BENCHMARK(BM_breaker_closed_budget);

void BM_breaker_open(benchmark::State& state) {  // fallback constant answers
  double acc = 0;
  rill::breaker_options o;
  o.cooldown_ns = INT64_MAX;
  rill::circuit_breaker br{rill::predict(model),
                           rill::constant_like<rill::predict<rill::linear_model<D>>>(0.5f), o};
  br.trip(0);
  measure(state, [&](const ev& e) noexcept { br(e, sink_t{&acc}); }, events);
  benchmark::DoNotOptimize(acc);
}
BENCHMARK(BM_breaker_open);

// ---------------------------------------------------------------- micro-batching

template <std::size_t N>
void BM_micro_batch(benchmark::State& state) {
  double acc = 0;
  auto mb = rill::make_micro_batch<D, N>(rill::rows_batch(model), INT64_MAX / 4);
  measure(state, [&](const ev& e) noexcept { mb(e, sink_t{&acc}); }, events);
  benchmark::DoNotOptimize(acc);
}
BENCHMARK(BM_micro_batch<8>)->Name("BM_micro_batch/N=8");
BENCHMARK(BM_micro_batch<32>)->Name("BM_micro_batch/N=32");

// The latency batching adds (event time) for Poisson arrivals, mean gap 1 us, max
// wait 10 us, N = state.range(0). Counters in ns of event time.
template <std::size_t N>
void BM_micro_batch_added_latency(benchmark::State& state) {
  const std::size_t n = 1 << 16;
  auto evs = make_events(n, 5);
  std::mt19937_64 rng(6);
  std::exponential_distribution<double> gap(1.0 / 1000.0);
  std::int64_t t = 0;
  for (auto& e : evs) {
    t += static_cast<std::int64_t>(gap(rng));
    e.time_ns = t;
  }
  double acc = 0;
  auto mb = rill::make_micro_batch<D, N>(rill::rows_batch(model), 10'000);
  for (auto _ : state) {
    for (const auto& e : evs) mb(e, sink_t{&acc});
    mb.flush(sink_t{&acc});
    state.PauseTiming();
    for (auto& e : evs) e.time_ns += t + 1;  // keep event time moving forward
    state.ResumeTiming();
  }
  const auto& h = mb.added_latency();
  state.counters["added_p50_ns"] = double(h.quantile(0.5));
  state.counters["added_p99_ns"] = double(h.quantile(0.99));
  state.counters["added_max_ns"] = double(h.max());
  state.counters["added_mean_ns"] = h.mean();
  state.counters["full_share"] = double(mb.counters().full) / double(mb.counters().batches);
  state.SetItemsProcessed(state.iterations() * std::int64_t(n));
  benchmark::DoNotOptimize(acc);
}
BENCHMARK(BM_micro_batch_added_latency<8>)->Name("BM_micro_batch_added_latency/N=8");
BENCHMARK(BM_micro_batch_added_latency<32>)->Name("BM_micro_batch_added_latency/N=32");

// ---------------------------------------------------------------- bandits (K=5, d=8)

constexpr std::size_t K = 5, DC = 8;
using cev = rill::event<DC>;

template <class Bandit>
void bandit_bench(benchmark::State& state, Bandit& b) {
  std::mt19937 rng(7);
  std::normal_distribution<float> nd(0.0f, 1.0f);
  std::vector<rill::feature_row<float, DC>> ctx(1024);
  for (auto& c : ctx)
    for (auto& v : c) v = nd(rng);
  std::size_t i = 0;
  std::uint64_t sum = 0;
  const auto a0 = allocations.load();
  for (auto _ : state) {
    const auto& x = ctx[i & 1023];
    const std::size_t a = b.choose(x);
    b.learn(a, x, double(x[a]) * 0.5);  // reward a function of the context
    sum += a;
    ++i;
  }
  rill::latency_histogram hist;
  const auto overhead = rill::bench::timer_overhead();
  for (std::size_t k = 0; k < 100000; ++k, ++i) {
    const auto& x = ctx[i & 1023];
    const auto t0 = rill::bench::ticks();
    const std::size_t a = b.choose(x);
    b.learn(a, x, double(x[a]) * 0.5);
    const auto t1 = rill::bench::ticks();
    hist.record(t1 - t0 > overhead ? t1 - t0 - overhead : 0);
    sum += a;
  }
  state.counters["allocs_per_event"] = double(allocations.load() - a0) / double(i);
  rill::bench::report_percentiles(state, hist);
  state.SetItemsProcessed(state.iterations());
  benchmark::DoNotOptimize(sum);
}

void BM_linucb(benchmark::State& state) {
  rill::linucb<K, DC> b(1.0);
  bandit_bench(state, b);
}
BENCHMARK(BM_linucb);

void BM_linear_thompson(benchmark::State& state) {
  rill::linear_thompson<K, DC> b(0.25, 1);
  bandit_bench(state, b);
}
BENCHMARK(BM_linear_thompson);

void BM_epsilon_greedy(benchmark::State& state) {
  rill::epsilon_greedy<K, DC> b(0.1, 1);
  bandit_bench(state, b);
}
BENCHMARK(BM_epsilon_greedy);

}  // namespace

BENCHMARK_MAIN();
