// rill::redis on a real redis-server over loopback (started privately, as in the tests):
//  - BM_redis_throughput/K: N entries already in the stream, K consumers in one group
//    (each: source I/O thread -> pipeline thread -> sink I/O thread); time until all are
//    written and acknowledged. Counters: events/s in total and per consumer.
//  - BM_redis_latency/R: one consumer, a feeder writing R entries/s with their wall-clock
//    time; latency = entry written (feeder's clock just before XADD) -> result confirmed
//    in the output stream (the sink's XADD reply). p50/p99/p99.9/max in µs.
// Build: see docs/redis.md. Size: RILL_REDIS_BENCH_N (default 200000).
#include <benchmark/benchmark.h>

#include <atomic>
#include <chrono>
#include <cstdint>
#include <cstdlib>
#include <memory>
#include <string>
#include <thread>
#include <vector>

#include "redis_server.hpp"
#include "rill/core/pipeline.hpp"
#include "rill/redis/connection.hpp"
#include "rill/redis/stream_sink.hpp"
#include "rill/redis/stream_source.hpp"
#include "rill/runtime/queue_source.hpp"
#include "rill/runtime/runner.hpp"

namespace {

using namespace std::chrono_literals;
using ev = rill::event<4>;
using pred = rill::prediction<float>;

std::uint64_t bench_n() {
  const char* s = std::getenv("RILL_REDIS_BENCH_N");
  return s ? std::strtoull(s, nullptr, 10) : 200'000;
}

std::int64_t wall_ns() {
  return std::chrono::duration_cast<std::chrono::nanoseconds>(
             std::chrono::system_clock::now().time_since_epoch())
      .count();
}

rill_test::redis_server& server() {
  static rill_test::redis_server s;
  return s;
}

using rill_test::score;

// One consumer process' worth of threads, in this process.
struct consumer {
  rill::event_queue<ev, rill::queue_kind::spsc> in{
      {.capacity = 4096, .policy = rill::overflow_policy::block, .wait = rill::wait_strategy::sleep}};
  rill::event_queue<pred, rill::queue_kind::spsc> out{
      {.capacity = 8192, .policy = rill::overflow_policy::block, .wait = rill::wait_strategy::sleep}};
  rill::redis::stream_source<4> source;
  rill::redis::stream_sink<pred> sink;
  rill::pipeline<score, rill::queue_sink<pred, rill::queue_kind::spsc>> pipe;
  rill::queue_source<ev, rill::queue_kind::spsc, 128> drain;
  rill::runner<decltype(drain), decltype(pipe)> run;

  static rill::redis::stream_source_options source_options(const std::string& name, bool timed) {
    rill::redis::stream_source_options o;
    o.redis = server().options();
    o.stream = "in";
    o.group = "g";
    o.consumer = name;
    o.fields = {"a", "b", "c", "d"};
    if (timed) o.time_field = "t";
    o.block = 20ms;
    return o;
  }
  static rill::redis::stream_sink_options sink_options(bool timed) {
    rill::redis::stream_sink_options o;
    o.redis = server().options();
    o.stream = "out";
    o.measure_latency = timed;
    return o;
  }
  consumer(const std::string& name, bool timed)
      : source(in, source_options(name, timed)),
        sink(out, source, sink_options(timed)),
        pipe(score{}, rill::queue_sink<pred, rill::queue_kind::spsc>(out)),
        drain(in),
        run(drain, pipe, rill::wait_strategy::sleep) {}
  void start() {
    run.start();
    sink.start();
    source.start();
  }
  void stop() {
    source.stop();
    run.stop(rill::stop_mode::drain);
    sink.stop();
  }
};

void reset(rill::redis::connection& c) {
  c.command({"DEL", "in", "out", "in:dead"});
}

// Appends [lo, hi) in one pipelined round trip.
void append_batch(rill::redis::connection& c, std::uint64_t lo, std::uint64_t hi, bool timed) {
  std::vector<std::string> args;
  std::vector<std::string_view> views;
  for (std::uint64_t i = lo; i < hi; ++i) {
    args = {"XADD", "in", "*", "a", std::to_string(i), "b", std::to_string(i % 7),
            "c", std::to_string(i % 3), "d", std::to_string(i % 5)};
    if (timed) args.insert(args.end(), {"t", std::to_string(wall_ns())});
    views.assign(args.begin(), args.end());
    c.append(views);
  }
  for (std::uint64_t i = lo; i < hi; ++i) c.read();
}

std::uint64_t acked_total(const std::vector<std::unique_ptr<consumer>>& cs) {
  std::uint64_t a = 0;
  for (const auto& c : cs) a += c->sink.counts().acked;
  return a;
}

void BM_redis_throughput(benchmark::State& state) {
  const auto k = static_cast<std::size_t>(state.range(0));
  const std::uint64_t n = bench_n();
  rill::redis::connection c(server().options());
  c.ensure();
  double total_s = 0;
  for (auto _ : state) {
    reset(c);
    for (std::uint64_t lo = 0; lo < n; lo += 1000) append_batch(c, lo, std::min(n, lo + 1000), false);
    std::vector<std::unique_ptr<consumer>> cs;
    for (std::size_t i = 0; i < k; ++i) cs.push_back(std::make_unique<consumer>(std::string(1, 'c') += std::to_string(i), false));
    const auto t0 = std::chrono::steady_clock::now();
    for (auto& x : cs) x->start();
    while (acked_total(cs) < n) std::this_thread::sleep_for(200us);
    const double s = std::chrono::duration<double>(std::chrono::steady_clock::now() - t0).count();
    for (auto& x : cs) x->stop();
    c.command({"XGROUP", "DESTROY", "in", "g"});
    state.SetIterationTime(s);
    total_s += s;
  }
  const double rate = static_cast<double>(n) * static_cast<double>(state.iterations()) / total_s;
  state.counters["events_per_s"] = rate;
  state.counters["events_per_s_per_consumer"] = rate / static_cast<double>(k);
}
BENCHMARK(BM_redis_throughput)->Arg(1)->Arg(2)->UseManualTime()->Unit(benchmark::kMillisecond)->Iterations(3);

void BM_redis_latency(benchmark::State& state) {
  const auto rate = static_cast<double>(state.range(0));  // entries per second
  const std::uint64_t n = std::min<std::uint64_t>(bench_n(), static_cast<std::uint64_t>(rate * 5));
  rill::redis::connection c(server().options());
  c.ensure();
  rill::latency_histogram all;
  for (auto _ : state) {
    reset(c);
    auto x = std::make_unique<consumer>("lat", true);
    x->start();
    // Batches of 10 every 10/rate seconds: a steady rate without a timer per entry.
    const auto t0 = std::chrono::steady_clock::now();
    for (std::uint64_t lo = 0; lo < n; lo += 10) {
      std::this_thread::sleep_until(t0 + std::chrono::duration<double>(static_cast<double>(lo) / rate));
      append_batch(c, lo, std::min(n, lo + 10), true);
    }
    while (x->sink.counts().acked < n) std::this_thread::sleep_for(1ms);
    x->stop();
    all.merge(x->sink.latency());
    c.command({"XGROUP", "DESTROY", "in", "g"});
  }
  state.counters["p50_us"] = static_cast<double>(all.quantile(0.5)) / 1e3;
  state.counters["p99_us"] = static_cast<double>(all.quantile(0.99)) / 1e3;
  state.counters["p999_us"] = static_cast<double>(all.quantile(0.999)) / 1e3;
  state.counters["max_us"] = static_cast<double>(all.max()) / 1e3;
}
BENCHMARK(BM_redis_latency)->Arg(10'000)->Arg(50'000)->Unit(benchmark::kMillisecond)->Iterations(1);

}  // namespace

BENCHMARK_MAIN();
