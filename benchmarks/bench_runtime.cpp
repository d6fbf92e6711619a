// Across threads: producer -> event_queue -> queue_source -> pipeline -> sink, against
// the same work over moodycamel's raw queue in the same run; end-to-end latency at a
// paced offered rate; model pick-up and publish.
//
//   build/release/benchmarks/bench_runtime --benchmark_min_time=1
#include <atomic>
#include <pthread.h>
#include <sched.h>
#include <cstdint>
#include <thread>

#include "bench_util.hpp"
#include "rill/core/pipeline.hpp"
#include "rill/io/sinks.hpp"
#include "rill/model/linear.hpp"
#include "rill/model/predict.hpp"
#include "rill/runtime/event_queue.hpp"
#include "rill/runtime/model_slot.hpp"
#include "rill/runtime/queue_source.hpp"
#include "rill/runtime/runner.hpp"

namespace {

constexpr std::size_t D = 8;
using ev = rill::event<D>;
constexpr std::uint64_t events_per_run = 2'000'000;

ev make(std::uint64_t i) {
  ev e{i, static_cast<std::int64_t>(i), {}};
  for (std::size_t j = 0; j < D; ++j) e.x[j] = static_cast<float>((i + j) & 15) * 0.1f;
  return e;
}

rill::linear_model<D> model_for_bench() {
  rill::linear_model<D> m;
  for (std::size_t j = 0; j < D; ++j) m.weights[j] = 0.1f * static_cast<float>(j);
  return m;
}

// rill: a producer thread offers events to an SPSC event_queue (block policy); the
// calling thread drains it through predict -> callback sink.
void BM_rill_queue_pipeline(benchmark::State& state) {
  const auto model = model_for_bench();
  for (auto _ : state) {
    rill::event_queue<ev, rill::queue_kind::spsc> q(
        {.capacity = 8192, .policy = rill::overflow_policy::block, .wait = rill::wait_strategy::spin});
    auto producer = q.make_producer();
    double sum = 0;
    auto pipe = rill::predict(model) |
                rill::callback_sink([&](const rill::scored_event<D>& s) noexcept { sum += s.value; });
    rill::queue_source<ev, rill::queue_kind::spsc, 256> source(q);
    const auto t0 = std::chrono::steady_clock::now();
    std::thread t([&] {
      for (std::uint64_t i = 0; i < events_per_run; ++i) producer.push(make(i));
    });
    std::uint64_t n = 0;
    while (n < events_per_run) n += source.drain(pipe);
    t.join();
    const auto t1 = std::chrono::steady_clock::now();
    state.SetIterationTime(std::chrono::duration<double>(t1 - t0).count());
    benchmark::DoNotOptimize(sum);
  }
  state.SetItemsProcessed(static_cast<std::int64_t>(state.iterations() * events_per_run));
}
BENCHMARK(BM_rill_queue_pipeline)->UseManualTime()->Unit(benchmark::kMillisecond);

// The same work over a bare moodycamel::ReaderWriterQueue, hand-written.
void BM_raw_moodycamel(benchmark::State& state) {
  const auto model = model_for_bench();
  for (auto _ : state) {
    moodycamel::ReaderWriterQueue<ev> q(8192);
    double sum = 0;
    const auto t0 = std::chrono::steady_clock::now();
    std::thread t([&] {
      for (std::uint64_t i = 0; i < events_per_run; ++i) {
        const ev e = make(i);
        while (!q.try_enqueue(e)) __builtin_ia32_pause();
      }
    });
    std::uint64_t n = 0;
    ev e;
    while (n < events_per_run) {
      if (q.try_dequeue(e)) {
        sum += model.predict(e.x);
        ++n;
      }
    }
    t.join();
    const auto t1 = std::chrono::steady_clock::now();
    state.SetIterationTime(std::chrono::duration<double>(t1 - t0).count());
    benchmark::DoNotOptimize(sum);
  }
  state.SetItemsProcessed(static_cast<std::int64_t>(state.iterations() * events_per_run));
}
BENCHMARK(BM_raw_moodycamel)->UseManualTime()->Unit(benchmark::kMillisecond);

// Latency-sensitive deployments run their two threads at real-time priority on
// otherwise idle cores; range(1) == 1 asks for SCHED_FIFO (root only; silently not
// applied otherwise, reported in the `fifo` counter).
bool make_fifo(bool want) noexcept {
  if (!want) return false;
  sched_param p{};
  p.sched_priority = 10;
  return pthread_setschedparam(pthread_self(), SCHED_FIFO, &p) == 0;
}
void make_normal() noexcept {
  sched_param p{};
  pthread_setschedparam(pthread_self(), SCHED_OTHER, &p);
}

// End-to-end latency at a paced offered rate (events/s = range(0)): the producer
// stamps each event with the tick counter when it offers it; the consumer records
// stamp-to-sink time after the model has scored it.
void BM_latency_at_rate(benchmark::State& state) {
  const auto model = model_for_bench();
  const double rate = static_cast<double>(state.range(0));
  const double ticks_per_event = 1e9 / rate / rill::bench::ns_per_tick();
  constexpr std::uint64_t n_events = 500'000;
  rill::latency_histogram h;
  for (auto _ : state) {
    rill::event_queue<ev, rill::queue_kind::spsc> q(
        {.capacity = 8192, .policy = rill::overflow_policy::drop_newest});
    auto producer = q.make_producer();
    auto pipe = rill::predict(model) | rill::callback_sink([&](const rill::scored_event<D>& s) noexcept {
                  const auto now = rill::bench::ticks();
                  h.record(now - static_cast<std::uint64_t>(s.time_ns) + (s.value > 1e30f));
                });
    rill::queue_source<ev, rill::queue_kind::spsc, 64> source(q);
    std::atomic<bool> done{false};
    const bool fifo = make_fifo(state.range(1) == 1);
    state.counters["fifo"] = fifo;
    std::thread t([&] {
      make_fifo(fifo);
      const auto start = rill::bench::ticks();
      for (std::uint64_t i = 0; i < n_events; ++i) {
        const auto due = start + static_cast<std::uint64_t>(static_cast<double>(i) * ticks_per_event);
        while (rill::bench::ticks() < due) __builtin_ia32_pause();
        ev e = make(i);
        e.time_ns = static_cast<std::int64_t>(rill::bench::ticks());
        producer.push(e);
      }
      done.store(true, std::memory_order_release);
    });
    while (!done.load(std::memory_order_acquire) || source.drain(pipe) != 0) source.drain(pipe);
    t.join();
    make_normal();
    state.counters["dropped"] = static_cast<double>(q.counts().dropped());
  }
  rill::bench::report_percentiles(state, h);
}
BENCHMARK(BM_latency_at_rate)->Args({1'000'000, 0})->Args({1'000'000, 1})->Iterations(1)->Unit(benchmark::kMillisecond);

// A reader checking for a new model when nothing was published.
void BM_pick_up_unchanged(benchmark::State& state) {
  rill::model_slot<rill::linear_model<32>> slot(rill::linear_model<32>{});
  rill::slot_reader<rill::linear_model<32>> reader(slot);
  for (auto _ : state) {
    benchmark::DoNotOptimize(reader.refresh());
  }
}
BENCHMARK(BM_pick_up_unchanged);

// Publishing a 32-feature model, and picking it up.
void BM_publish_and_pick_up(benchmark::State& state) {
  rill::linear_model<32> m{};
  rill::model_slot<rill::linear_model<32>> slot(m);
  rill::slot_reader<rill::linear_model<32>> reader(slot);
  for (auto _ : state) {
    ++m.version;
    slot.publish(m);
    benchmark::DoNotOptimize(reader.refresh());
  }
}
BENCHMARK(BM_publish_and_pick_up);

}  // namespace

BENCHMARK_MAIN();
