// Hot swap across threads: inference on one thread at full rate while a learner on
// another publishes new model versions through a model slot.
//
// The feed thread offers events to a queue; the inference thread drains it through
// pick_up -> predict -> sink, so each event is scored by the newest model published
// before it, never a torn one. The learner thread trains on its own copy of the
// stream and publishes every 20,000 updates. At the end: versions seen, latency
// percentiles, and the queue's counters (which add up exactly).
#include <atomic>
#include <chrono>
#include <cstdint>
#include <cstdio>
#include <thread>

#include "rill/core/pipeline.hpp"
#include "rill/io/sinks.hpp"
#include "rill/learn/linear_learner.hpp"
#include "rill/metrics/latency_histogram.hpp"
#include "rill/model/linear.hpp"
#include "rill/model/predict.hpp"
#include "rill/runtime/event_queue.hpp"
#include "rill/runtime/model_slot.hpp"
#include "rill/runtime/queue_source.hpp"
#include "rill/runtime/runner.hpp"

namespace {
constexpr std::size_t D = 8;
using ev = rill::event<D>;
using model_t = rill::linear_model<D>;

// A stream whose label is a fixed linear rule of the features.
ev make(std::uint64_t i) {
  ev e{i, 0, {}};
  std::uint64_t s = i * 0x9E3779B97F4A7C15ULL;
  for (auto& v : e.x) {
    s ^= s >> 29;
    s *= 0xBF58476D1CE4E5B9ULL;
    v = static_cast<float>(s >> 40) / float(1 << 24) - 0.5f;
  }
  return e;
}
float truth(const ev& e) { return e.x[0] - 2 * e.x[3] + e.x[5] > 0 ? 1.0f : 0.0f; }

std::int64_t now_ns() {
  return std::chrono::duration_cast<std::chrono::nanoseconds>(
             std::chrono::steady_clock::now().time_since_epoch())
      .count();
}
}  // namespace

int main() {
  constexpr std::uint64_t n_events = 2'000'000;
  rill::model_slot<model_t> slot(model_t{});

  // Learner thread: trains and publishes.
  std::atomic<bool> stop_learning{false};
  std::thread learner_thread([&] {
    model_t model;
    auto settings = rill::sgd<rill::logistic_loss>(0.05);
    decltype(settings)::learner<model_t> learner(settings);
    for (std::uint64_t i = 0; !stop_learning.load(std::memory_order_relaxed); ++i) {
      const ev e = make(i + (1ULL << 32));
      learner.update(model, e.x, truth(e));
      if (i % 20'000 == 19'999) slot.publish(model);
    }
  });

  // Inference thread: queue -> pick up -> predict -> sink.
  rill::event_queue<ev, rill::queue_kind::spsc> queue(
      {.capacity = 1 << 14, .policy = rill::overflow_policy::block, .wait = rill::wait_strategy::yield});
  auto feed = queue.make_producer();
  rill::slot_reader<model_t> reader(slot);
  rill::latency_histogram latency;
  std::uint64_t versions_seen = 0, last_version = ~0ULL, correct = 0, scored = 0;
  auto pipeline = rill::pick_up(reader) | rill::predict(reader.model()) |
                  rill::callback_sink([&](const rill::scored_event<D>& s) noexcept {
                    latency.record(static_cast<std::uint64_t>(now_ns() - s.time_ns));
                    if (s.version != last_version) ++versions_seen, last_version = s.version;
                    correct += (s.value > 0.5f) == (truth(make(s.id)) > 0.5f);
                    ++scored;
                  });
  rill::queue_source<ev, rill::queue_kind::spsc, 128> source(queue);
  rill::runner inference(source, pipeline);
  inference.start();

  // Feed thread (here: main).
  for (std::uint64_t i = 0; i < n_events; ++i) {
    ev e = make(i);
    e.time_ns = now_ns();
    feed.push(e);
  }
  inference.stop(rill::stop_mode::drain);
  stop_learning.store(true);
  learner_thread.join();

  const auto c = queue.counts();
  std::printf("hot swap: %llu events scored, %llu model versions seen (%llu published), accuracy %.3f\n",
              static_cast<unsigned long long>(scored), static_cast<unsigned long long>(versions_seen),
              static_cast<unsigned long long>(slot.publications()),
              static_cast<double>(correct) / static_cast<double>(scored));
  std::printf("latency ns (offer to score): p50 %llu  p99 %llu  p99.9 %llu  max %llu\n",
              static_cast<unsigned long long>(latency.quantile(0.5)),
              static_cast<unsigned long long>(latency.quantile(0.99)),
              static_cast<unsigned long long>(latency.quantile(0.999)),
              static_cast<unsigned long long>(latency.max()));
  std::printf("queue: offered %llu accepted %llu processed %llu dropped %llu (efficiency %.4f)\n",
              static_cast<unsigned long long>(c.offered), static_cast<unsigned long long>(c.accepted),
              static_cast<unsigned long long>(c.processed), static_cast<unsigned long long>(c.dropped()),
              c.efficiency());
  const bool ok = scored == n_events && c.processed == n_events && versions_seen > 1;
  return ok ? 0 : 1;
}
