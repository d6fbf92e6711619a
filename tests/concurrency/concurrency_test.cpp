// Stress across threads, run under ThreadSanitizer by the tsan preset: 4 producers ->
// MPMC queue -> pipeline -> SPSC sink -> consumer, under every overflow policy, with
// every counter adding up; a model slot racing publishes against reads with zero torn
// reads. Sizes are the (10^7 events, 10^7 publishes, 10^8 reads) in optimised
// builds; 2·10^5 events, 10^5 publishes and 10^6 reads under ThreadSanitizer (which
// runs atomics ~20x slower and schedules spinning threads poorly); 2·10^6, 10^6 and
// 10^7 in unoptimised builds.
#include <atomic>
#include <cstdint>
#include <thread>
#include <vector>

#include "catch.hpp"
#include "rill/core/pipeline.hpp"
#include "rill/io/sinks.hpp"
#include "rill/model/linear.hpp"
#include "rill/model/predict.hpp"
#include "rill/runtime/event_queue.hpp"
#include "rill/runtime/model_slot.hpp"
#include "rill/runtime/queue_source.hpp"
#include "rill/runtime/runner.hpp"

#if defined(__SANITIZE_THREAD__)
#define RILL_TEST_UNDER_TSAN 1
#elif defined(__has_feature)
#if __has_feature(thread_sanitizer)
#define RILL_TEST_UNDER_TSAN 1
#endif
#endif

namespace {

#ifdef RILL_TEST_UNDER_TSAN
constexpr std::uint64_t queue_events = 200'000;
constexpr std::uint64_t slot_publishes = 100'000;
constexpr std::uint64_t slot_reads = 1'000'000;
#elif !defined(NDEBUG)
constexpr std::uint64_t queue_events = 2'000'000;
constexpr std::uint64_t slot_publishes = 1'000'000;
constexpr std::uint64_t slot_reads = 10'000'000;
#else
constexpr std::uint64_t queue_events = 10'000'000;
constexpr std::uint64_t slot_publishes = 10'000'000;
constexpr std::uint64_t slot_reads = 100'000'000;
#endif

using ev = rill::event<4>;
using scored = rill::scored_event<4>;

void run_policy(rill::overflow_policy policy) {
  constexpr int producers = 4;
  const std::uint64_t per_producer = queue_events / producers;
  rill::event_queue<ev> in({.capacity = 1024,
                            .max_producers = producers,
                            .policy = policy,
                            .wait = rill::wait_strategy::yield,
                            .sample_every = 3});
  rill::event_queue<scored, rill::queue_kind::spsc> out(
      {.capacity = 1024, .policy = rill::overflow_policy::drop_newest});

  rill::linear_model<4> model;
  model.weights[0] = 0.5f;
  auto pipe = rill::predict(model) | rill::queue_sink<scored, rill::queue_kind::spsc>(out);
  rill::queue_source<ev> source(in);
  rill::runner pipeline_thread(source, pipe);

  // The final consumer: checks every id arrives at most once.
  std::vector<std::uint8_t> seen(producers * per_producer, 0);
  std::uint64_t duplicates = 0, consumed = 0;
  rill::queue_source<scored, rill::queue_kind::spsc, 128> tail(out);
  auto consume = [&](const scored& s) noexcept {
    duplicates += seen[s.id]++ != 0;
    ++consumed;
  };
  rill::runner consumer_thread(tail, consume);

  std::vector<rill::event_queue<ev>::producer> handles;
  for (int p = 0; p < producers; ++p) handles.push_back(in.make_producer());
  pipeline_thread.start();
  consumer_thread.start();
  std::vector<std::thread> threads;
  for (int p = 0; p < producers; ++p) {
    threads.emplace_back([&, p] {
      auto& h = handles[static_cast<std::size_t>(p)];
      for (std::uint64_t i = 0; i < per_producer; ++i) {
        const std::uint64_t id = static_cast<std::uint64_t>(p) * per_producer + i;
        h.push(ev{id, static_cast<std::int64_t>(i), {}});
      }
    });
  }
  for (auto& t : threads) t.join();
  pipeline_thread.stop(rill::stop_mode::drain);
  consumer_thread.stop(rill::stop_mode::drain);

  const auto a = in.counts();
  const auto b = out.counts();
  INFO("policy " << static_cast<int>(policy));
  CHECK(a.offered == producers * per_producer);
  CHECK(a.offered == a.accepted + a.dropped_full + a.dropped_sampled + a.dropped_closed);
  CHECK(a.accepted == a.processed + a.late + a.dropped_oldest + a.dropped_shutdown);
  CHECK(a.queued() == 0);
  CHECK(a.dropped_closed == 0);  // producers finished before the stop
  // Everything the pipeline processed was offered to the sink queue, and every item
  // the sink queue accepted reached the consumer exactly once.
  CHECK(b.offered == a.processed);
  CHECK(b.offered == b.accepted + b.dropped_full);
  CHECK(b.processed == b.accepted);
  CHECK(consumed == b.processed);
  CHECK(duplicates == 0);
  if (policy == rill::overflow_policy::block) CHECK(a.accepted == a.offered);
  if (policy == rill::overflow_policy::drop_newest) CHECK(a.dropped_oldest + a.dropped_sampled == 0);
  if (policy == rill::overflow_policy::drop_oldest) CHECK(a.dropped_sampled == 0);
  if (policy == rill::overflow_policy::sample) CHECK(a.dropped_oldest == 0);
}

// A model whose last word is a checksum of the others: a torn read fails the check.
struct checked_model {
  std::uint64_t words[15];
  std::uint64_t checksum;
  static std::uint64_t hash(const std::uint64_t* w) noexcept {
    std::uint64_t h = 0x9E3779B97F4A7C15ULL;
    for (int i = 0; i < 15; ++i) h = (h ^ w[i]) * 0x100000001B3ULL;
    return h;
  }
  static checked_model make(std::uint64_t v) noexcept {
    checked_model m{};
    for (int i = 0; i < 15; ++i) m.words[i] = v * 0x9E3779B97F4A7C15ULL + static_cast<std::uint64_t>(i);
    m.checksum = hash(m.words);
    return m;
  }
  bool valid() const noexcept { return checksum == hash(words); }
};

}  // namespace

TEST_CASE("4 producers -> MPMC -> pipeline -> SPSC sink: counters add up under every policy",
          "[concurrency]") {
  for (auto p : {rill::overflow_policy::block, rill::overflow_policy::drop_newest,
                 rill::overflow_policy::drop_oldest, rill::overflow_policy::sample})
    run_policy(p);
}

TEST_CASE("model slot: publishes racing reads never yield a torn model", "[concurrency]") {
  rill::model_slot<checked_model> slot(checked_model::make(0));
  std::atomic<bool> writer_done{false};
  std::uint64_t torn = 0, pickups = 0, reads = 0, last_seen_value = 0, backwards = 0;

  std::thread reader([&] {
    rill::slot_reader<checked_model> r(slot);
    while (reads < slot_reads || !writer_done.load(std::memory_order_acquire)) {
      if (r.refresh()) {
        ++pickups;
        torn += !r.model().valid();
        backwards += r.publication() <= last_seen_value;
        last_seen_value = r.publication();
      }
      ++reads;
      if (reads > 100 * slot_reads) break;  // a stuck writer must not hang the test
    }
    torn += !r.model().valid();
  });
  for (std::uint64_t v = 1; v <= slot_publishes; ++v) slot.publish(checked_model::make(v));
  writer_done.store(true, std::memory_order_release);
  reader.join();
  CHECK(torn == 0);
  CHECK(pickups > 0);
  CHECK(reads >= slot_reads);
  CHECK(slot.publications() == slot_publishes + 1);
  CHECK(backwards == 0);  // publications are picked up in order
}
