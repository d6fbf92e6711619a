// Zero allocation across threads' hand-offs: queue push and pop, the queue sink, model
// publish and pick-up, after warm-up (set-up allocates: tokens, blocks, buffers).
#include <cstdint>
#include <memory>

#include "alloc_counter.hpp"
#include "catch.hpp"
#include "rill/core/pipeline.hpp"
#include "rill/metrics/registry.hpp"
#include "rill/learn/learn.hpp"
#include "rill/learn/mlp_learner.hpp"
#include "rill/learn/multiclass_learner.hpp"
#include "rill/model/mlp.hpp"
#include "rill/model/multiclass.hpp"
#include "rill/model/linear.hpp"
#include "rill/model/predict.hpp"
#include "rill/runtime/event_queue.hpp"
#include "rill/runtime/model_slot.hpp"
#include "rill/runtime/queue_source.hpp"

TEST_CASE("queue push/pop, queue sink, model publish and pick-up allocate nothing", "[alloc]") {
  using ev = rill::event<8>;
  using scored = rill::scored_event<8>;
  for (auto policy : {rill::overflow_policy::drop_newest, rill::overflow_policy::drop_oldest,
                      rill::overflow_policy::sample}) {
    rill::event_queue<ev> in({.capacity = 256, .max_producers = 2, .policy = policy});
    rill::event_queue<scored, rill::queue_kind::spsc> out({.capacity = 256});
    auto p1 = in.make_producer();
    auto p2 = in.make_producer();
    rill::linear_model<8> model;
    rill::model_slot<rill::linear_model<8>> slot(model);
    rill::slot_reader<rill::linear_model<8>> reader(slot);
    auto pipe = rill::pick_up(reader) | rill::predict(reader.model()) |
                rill::queue_sink<scored, rill::queue_kind::spsc>(out);
    rill::queue_source<ev> source(in);
    rill::queue_source<scored, rill::queue_kind::spsc> tail(out);
    std::uint64_t consumed = 0;
    auto consume = [&](const scored&) noexcept { ++consumed; };

    auto step = [&](std::uint64_t i) {
      ev e{i, static_cast<std::int64_t>(i), {}};
      e.x[0] = static_cast<float>(i % 7);
      (i & 1 ? p1 : p2).push(e);
      if (i % 97 == 0) {  // 64 out per 97 in: the queue fills and the overflow paths run
        source.drain(pipe);
        tail.drain(consume);
      }
      if (i % 100 == 0) {
        model.bias = static_cast<float>(i);
        ++model.version;
        slot.publish(model);
      }
      if (i % 100'000 == 0) slot.rollback();
    };
    for (std::uint64_t i = 0; i < 20'000; ++i) step(i);
    rill::test::allocation_scope scope;
    for (std::uint64_t i = 20'000; i < 1'020'000; ++i) step(i);
    REQUIRE(scope.allocations() == 0);
    const auto c = in.counts();
    CHECK(c.offered == 1'020'000);
    CHECK(c.dropped() > 0);
    CHECK(consumed > 0);
    CHECK(reader.publication() > 10'000);
  }
}

TEST_CASE("metrics recorders: add, set and record allocate nothing", "[alloc]") {
  rill::metrics_registry reg;
  const auto events = reg.add_counter("events", "events processed");
  const auto depth = reg.add_gauge("depth", "queue depth", rill::gauge_merge::max);
  const auto latency = reg.add_histogram("latency", "per-event latency");
  auto& rec = reg.add_recorder("pipeline");
  for (std::uint64_t i = 0; i < 1000; ++i) rec.record(latency, i);  // warm-up
  rill::test::allocation_scope scope;
  for (std::uint64_t i = 0; i < 1'000'000; ++i) {
    rec.add(events);
    rec.set(depth, static_cast<double>(i & 1023));
    rec.record(latency, (i * 2654435761u) & 0xFFFFF);
  }
  REQUIRE(scope.allocations() == 0);
  const auto snap = reg.snapshot();
  CHECK(snap.value(events) == 1'000'000);
  CHECK(snap.value(depth) == double(999'999 & 1023));  // the last value set (max across recorders)
  CHECK(snap.histogram(latency).count() == 1'001'000);
}

TEST_CASE("MLP and multiclass learners learn without allocating", "[alloc]") {
  using rill::activation;
  using net_t = rill::mlp<float, 8, rill::dense<16, activation::relu>,
                          rill::dense<3, activation::softmax>>;
  auto net = std::make_unique<net_t>();
  rill::init_glorot_uniform(*net, 7);
  rill::mlp_learner<rill::mlp_loss::cross_entropy, rill::adam_optimizer> mlp_settings;
  mlp_settings.schedule.eta0 = 0.01f;
  auto mlp_stage = rill::learn(*net, mlp_settings, rill::mini_batch{16});
  rill::multiclass_linear_model<8, 3> mc;
  rill::softmax_learner<> sm_settings;
  auto sm_stage = rill::learn(mc, sm_settings);
  std::uint64_t sunk = 0;
  auto sink = [&](const auto&) noexcept { ++sunk; };
  auto step = [&](std::uint64_t i) {
    rill::labelled_event<8, float> e;
    e.id = i;
    for (std::size_t j = 0; j < 8; ++j) e.x[j] = float((i * 13 + j * 7) % 19) / 9.0f - 1.0f;
    e.target = float(i % 3);
    mlp_stage(e, sink);
    sm_stage(e, sink);
  };
  for (std::uint64_t i = 0; i < 1000; ++i) step(i);
  rill::test::allocation_scope scope;
  for (std::uint64_t i = 1000; i < 201'000; ++i) step(i);
  REQUIRE(scope.allocations() == 0);
  CHECK(sunk == 2 * 201'000);
}
