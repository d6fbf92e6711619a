// Queues, sources, sinks, the model slot and the runner, on one thread: every policy's
// counters checked against hand-counted expectations.
#include <cstdint>
#include <stdexcept>
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

namespace {

using ev = rill::event<4>;

ev make(std::uint64_t i, std::int64_t t = -1) {
  ev e{i, t < 0 ? static_cast<std::int64_t>(i) : t, {}};
  e.x[0] = static_cast<float>(i);
  return e;
}

void check_identities(const rill::queue_counts& c) {
  CHECK(c.offered == c.accepted + c.dropped_full + c.dropped_sampled + c.dropped_closed);
  CHECK(c.accepted ==
        c.processed + c.late + c.dropped_oldest + c.dropped_shutdown + c.queued());
}

}  // namespace

TEST_CASE("event_queue rejects impossible options with the option's name", "[runtime]") {
  using Catch::Matchers::Contains;
  CHECK_THROWS_WITH((rill::event_queue<ev>({.capacity = 0})), Contains("capacity"));
  CHECK_THROWS_WITH((rill::event_queue<ev, rill::queue_kind::spsc>({.capacity = 8, .max_producers = 2})),
                    Contains("max_producers"));
  CHECK_THROWS_WITH((rill::event_queue<ev, rill::queue_kind::spsc>(
                        {.capacity = 8, .policy = rill::overflow_policy::drop_oldest})),
                    Contains("drop_oldest"));
  CHECK_THROWS_WITH((rill::event_queue<ev>({.capacity = 8, .high_watermark = 2, .low_watermark = 4})),
                    Contains("low_watermark"));
  rill::event_queue<ev> q({.capacity = 8, .max_producers = 1});
  auto p = q.make_producer();
  CHECK_THROWS_AS(q.make_producer(), std::length_error);
}

TEST_CASE("drop_newest keeps the first items and counts the rest", "[runtime]") {
  rill::event_queue<ev, rill::queue_kind::spsc> q(
      {.capacity = 16, .policy = rill::overflow_policy::drop_newest});
  auto p = q.make_producer();
  std::uint64_t accepted = 0;
  for (std::uint64_t i = 0; i < 100; ++i) accepted += p.push(make(i));
  REQUIRE(accepted >= 16);
  REQUIRE(accepted < 100);

  rill::queue_source<ev, rill::queue_kind::spsc, 8> src(q);
  std::vector<std::uint64_t> seen;
  auto sink = [&](const ev& e) noexcept { seen.push_back(e.id); };
  while (src.drain(sink) != 0) {
  }
  // FIFO, and what was accepted is exactly the first `accepted` ids.
  REQUIRE(seen.size() == accepted);
  for (std::size_t i = 0; i < seen.size(); ++i) CHECK(seen[i] == i);
  auto c = q.counts();
  CHECK(c.offered == 100);
  CHECK(c.dropped_full == 100 - accepted);
  CHECK(c.processed == accepted);
  CHECK(c.queued() == 0);
  CHECK(c.efficiency() == Approx(double(accepted) / 100.0));
  check_identities(c);
}

TEST_CASE("drop_oldest evicts queued items and keeps the newest", "[runtime]") {
  rill::event_queue<ev> q({.capacity = 32, .max_producers = 1, .policy = rill::overflow_policy::drop_oldest});
  auto p = q.make_producer();
  for (std::uint64_t i = 0; i < 1000; ++i) p.push(make(i));
  auto c = q.counts();
  CHECK(c.offered == 1000);
  CHECK(c.dropped_oldest > 0);
  rill::queue_source<ev> src(q);
  std::vector<std::uint64_t> seen;
  auto sink = [&](const ev& e) noexcept { seen.push_back(e.id); };
  while (src.drain(sink) != 0) {
  }
  c = q.counts();
  check_identities(c);
  CHECK(c.queued() == 0);
  REQUIRE(!seen.empty());
  CHECK(seen.back() == 999);  // the newest always survives
  for (std::size_t i = 1; i < seen.size(); ++i) CHECK(seen[i] > seen[i - 1]);
}

TEST_CASE("sample admits 1 in N while the queue is above its high watermark", "[runtime]") {
  rill::event_queue<ev, rill::queue_kind::spsc> q({.capacity = 64,
                                                   .policy = rill::overflow_policy::sample,
                                                   .sample_every = 4,
                                                   .high_watermark = 32,
                                                   .low_watermark = 8});
  auto p = q.make_producer();
  rill::queue_source<ev, rill::queue_kind::spsc, 16> src(q);
  std::uint64_t highs = 0, lows = 0, processed = 0;
  auto sink = [&](const ev&) noexcept { ++processed; };
  auto on_high = [&](std::uint64_t occ) noexcept { ++highs; CHECK(occ >= 32); };
  auto on_low = [&](std::uint64_t occ) noexcept { ++lows; CHECK(occ <= 8); };
  for (std::uint64_t i = 0; i < 40; ++i) p.push(make(i));
  src.drain(sink, on_high, on_low);  // sees 40 queued: high
  CHECK(q.high());
  CHECK(highs == 1);
  // While high, exactly every 4th offer is admitted (the queue has room).
  for (std::uint64_t i = 0; i < 8; ++i) p.push(make(100 + i));
  auto c = q.counts();
  CHECK(c.dropped_sampled == 6);
  CHECK(c.accepted == 42);
  while (src.drain(sink, on_high, on_low) != 0) {
  }
  src.drain(sink, on_high, on_low);  // empty: low again
  CHECK_FALSE(q.high());
  CHECK(lows == 1);
  c = q.counts();
  CHECK(c.processed == 42);
  CHECK(c.high_watermark_crossings == 1);
  check_identities(c);
}

TEST_CASE("late events beyond the allowed lateness are counted, not processed", "[runtime]") {
  rill::event_queue<ev, rill::queue_kind::spsc> q({.capacity = 64});
  auto p = q.make_producer();
  const std::int64_t times[] = {100, 110, 105, 80, 89, 90, 200, 150, 189};
  for (std::uint64_t i = 0; i < 9; ++i) p.push(make(i, times[i]));
  rill::queue_source<ev, rill::queue_kind::spsc> src(q, {.allowed_lateness_ns = 20});
  std::vector<std::uint64_t> seen;
  auto sink = [&](const ev& e) noexcept { seen.push_back(e.id); };
  src.drain(sink);
  // latest 110 after id 1: 80 and 89 are more than 20 behind, 90 is not; then latest
  // 200: 150 is late, 189 is not.
  CHECK(seen == std::vector<std::uint64_t>{0, 1, 2, 5, 6, 8});
  auto c = q.counts();
  CHECK(c.late == 3);
  CHECK(c.processed == 6);
  check_identities(c);
}

TEST_CASE("a closed queue drops offers as closed; block returns when closed", "[runtime]") {
  rill::event_queue<ev, rill::queue_kind::spsc> q(
      {.capacity = 4, .policy = rill::overflow_policy::block, .wait = rill::wait_strategy::spin});
  auto p = q.make_producer();
  std::uint64_t accepted = 0;
  while (p.push(make(accepted))) {
    ++accepted;
    if (accepted == 3) break;
  }
  q.close();
  CHECK_FALSE(p.push(make(99)));
  auto c = q.counts();
  CHECK(c.dropped_closed == 1);
  rill::queue_source<ev, rill::queue_kind::spsc> src(q);
  CHECK(src.discard_all() == 3);
  c = q.counts();
  CHECK(c.dropped_shutdown == 3);
  check_identities(c);
}

TEST_CASE("a queue source feeds a pipeline; a queue sink feeds another queue", "[runtime]") {
  rill::event_queue<ev, rill::queue_kind::spsc> in({.capacity = 128});
  rill::event_queue<rill::scored_event<4>, rill::queue_kind::spsc> out({.capacity = 128});
  rill::linear_model<4> model;
  model.weights[0] = 1.0f;
  auto pipe = rill::predict(model) | rill::queue_sink<rill::scored_event<4>, rill::queue_kind::spsc>(out);
  auto p = in.make_producer();
  for (std::uint64_t i = 0; i < 100; ++i) REQUIRE(p.push(make(i)));
  rill::queue_source<ev, rill::queue_kind::spsc, 32> src(in);
  while (src.drain(pipe) != 0) {
  }
  rill::queue_source<rill::scored_event<4>, rill::queue_kind::spsc, 32> back(out);
  std::uint64_t n = 0;
  auto check = [&](const rill::scored_event<4>& s) noexcept {
    CHECK(s.id == n);
    CHECK(s.value == Approx(1.0 / (1.0 + std::exp(-double(n)))));
    ++n;
  };
  while (back.drain(check) != 0) {
  }
  CHECK(n == 100);
  CHECK(out.counts().processed == 100);
}

TEST_CASE("the runner drains on stop, or discards and counts", "[runtime]") {
  for (auto mode : {rill::stop_mode::drain, rill::stop_mode::discard}) {
    rill::event_queue<ev, rill::queue_kind::spsc> q({.capacity = 1 << 12});
    auto p = q.make_producer();
    rill::queue_source<ev, rill::queue_kind::spsc> src(q);
    std::uint64_t processed = 0;
    auto sink = [&](const ev&) noexcept { ++processed; };
    rill::runner r(src, sink);
    for (std::uint64_t i = 0; i < 1000; ++i) REQUIRE(p.push(make(i)));
    // Not started: stop() runs nothing; run() on this thread then finishes by `mode`.
    r.stop(mode);
    r.run();
    CHECK(r.done());
    auto c = q.counts();
    check_identities(c);
    CHECK(c.queued() == 0);
    if (mode == rill::stop_mode::drain) {
      CHECK(processed == 1000);
      CHECK(c.dropped_shutdown == 0);
    } else {  // stopped before it ran: nothing of the backlog is processed
      CHECK(processed == 0);
      CHECK(c.dropped_shutdown == 1000);
    }
  }
}

TEST_CASE("model slot: readers pick up publications at event boundaries, and roll back", "[runtime]") {
  rill::linear_model<4> m;
  m.bias = 1.0f;
  m.version = 10;
  rill::model_slot<rill::linear_model<4>> slot(m);
  rill::slot_reader<rill::linear_model<4>> reader(slot);
  CHECK(reader.model().bias == 1.0f);
  CHECK(reader.publication() == 1);
  CHECK_FALSE(reader.refresh());

  m.bias = 2.0f;
  m.version = 11;
  slot.publish(m);
  CHECK(reader.model().bias == 1.0f);  // not until the next boundary
  std::vector<std::uint64_t> versions;
  auto pipe = rill::pick_up(reader) | rill::predict(reader.model()) |
              rill::callback_sink([&](const rill::scored_event<4>& s) noexcept { versions.push_back(s.version); });
  pipe.push(make(1));
  CHECK(reader.model().bias == 2.0f);
  slot.rollback();
  pipe.push(make(2));
  CHECK(reader.model().bias == 1.0f);
  CHECK(versions == std::vector<std::uint64_t>{11, 10});
  CHECK(slot.publications() == 3);
}
