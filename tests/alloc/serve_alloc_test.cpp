// Zero allocation in the serving stages after construction: cache hits, misses and
// evictions; A/B and shadow routing with per-arm books; the circuit breaker closed and
// open; micro-batching; the three bandits' choose + learn.
#include <cstdint>

#include "alloc_counter.hpp"
#include "catch.hpp"
#include "rill/model/linear.hpp"
#include "rill/model/predict.hpp"
#include "rill/serve/bandit.hpp"
#include "rill/serve/circuit_breaker.hpp"
#include "rill/serve/micro_batch.hpp"
#include "rill/serve/prediction_cache.hpp"
#include "rill/serve/router.hpp"

namespace {
constexpr std::size_t D = 8;
using ev = rill::event<D>;
using const_model = rill::constant_model<ev, rill::prediction<float>>;

ev make(std::uint64_t i, std::uint64_t distinct) {
  ev e{i, static_cast<std::int64_t>(i) * 1000, {}};
  std::uint64_t s = (i % distinct + 1) * 0x9E3779B97F4A7C15ULL;
  for (auto& v : e.x) {
    s ^= s >> 29;
    s *= 0xBF58476D1CE4E5B9ULL;
    v = static_cast<float>(s >> 40) / float(1 << 24) - 0.5f;
  }
  return e;
}

struct sink_t {
  double* acc;
  template <class T>
  void operator()(const T& p) const noexcept {
    *acc += double(p.value);
  }
};
}  // namespace

TEST_CASE("serving stages allocate nothing per event after construction", "[alloc]") {
  rill::linear_model<D> model;
  model.weights[0] = 1.0f;
  double acc = 0;
  rill::prediction_cache cache{rill::predict(model), 1024};
  rill::route_book<2> book(1 << 12);
  auto ab = rill::ab_split(&book, {0.7, 0.3}, const_model(0.25f), const_model(0.75f));
  rill::route_book<2> shadow_book(1 << 12);
  rill::shadow_router shadow(&shadow_book, const_model(0.25f), const_model(0.75f));
  rill::circuit_breaker closed{rill::predict(model), rill::constant_like<rill::predict<rill::linear_model<D>>>(0.5f)};
  rill::breaker_options open_opt;
  open_opt.cooldown_ns = 1'000'000;  // half-open probes run too
  rill::circuit_breaker opened{rill::predict(model), rill::constant_like<rill::predict<rill::linear_model<D>>>(0.5f), open_opt};
  auto batch = rill::make_micro_batch<D, 16>(rill::rows_batch(model), 50'000);
  rill::linucb<4, D> ucb(1.0);
  rill::linear_thompson<4, D> thompson(0.5, 7);
  rill::epsilon_greedy<4, D> greedy(0.1, 7);

  auto step = [&](std::uint64_t i) {
    const ev e = make(i, 3000);  // 3000 distinct rows through 1024 cache slots: misses
    cache(e, sink_t{&acc});
    cache(make(i, 500), sink_t{&acc});  // a hot set that fits: hits
    ab(e, sink_t{&acc});
    shadow(e, sink_t{&acc});
    closed(e, sink_t{&acc});
    if (i % 50'000 == 0) opened.trip(e.time_ns);
    opened(e, sink_t{&acc});
    batch(e, sink_t{&acc});
    const auto a1 = ucb.choose(e.x);
    ucb.learn(a1, e.x, e.x[a1]);
    const auto a2 = thompson.choose(e.x);
    thompson.learn(a2, e.x, e.x[a2]);
    const auto a3 = greedy.choose(e.x);
    greedy.learn(a3, e.x, e.x[a3]);
  };
  for (std::uint64_t i = 0; i < 10'000; ++i) step(i);
  rill::test::allocation_scope scope;
  for (std::uint64_t i = 10'000; i < 210'000; ++i) step(i);
  REQUIRE(scope.allocations() == 0);
  CHECK(cache.counters().hits > 0);
  CHECK(cache.counters().evictions > 0);
  CHECK(acc != 0);
}
