// Serving stages: micro-batching, prediction cache, A/B and shadow routing, circuit
// breaker, contextual bandits. Each contract is checked against exact expected
// values or a naive re-implementation written here from the documented policy.
#include <algorithm>
#include <atomic>
#include <cmath>
#include <cstdint>
#include <cstring>
#include <limits>
#include <map>
#include <random>
#include <set>
#include <vector>

#include "catch.hpp"
#include "rill/core/graph.hpp"
#include "rill/core/pipeline.hpp"
#include "rill/io/sinks.hpp"
#include "rill/model/linear.hpp"
#include "rill/model/predict.hpp"
#include "rill/serve/bandit.hpp"
#include "rill/serve/circuit_breaker.hpp"
#include "rill/serve/micro_batch.hpp"
#include "rill/serve/prediction_cache.hpp"
#include "rill/serve/router.hpp"

namespace {

constexpr std::size_t D = 4;
using ev = rill::event<D>;
using pred = rill::prediction<float>;

ev make_event(std::uint64_t id, std::int64_t t, float a = 0, float b = 0) {
  ev e;
  e.id = id;
  e.time_ns = t;
  e.x = {{a, b, float(id % 7), 1.0f}};
  return e;
}

rill::linear_model<D> make_model() {
  rill::linear_model<D> m;
  m.weights = {{0.5f, -0.25f, 0.125f, 1.0f}};
  m.bias = 0.1f;
  return m;
}

// A batch function that records every batch it is given.
struct logging_batch {
  std::vector<std::vector<std::uint64_t>>* batches;
  void operator()(std::span<const ev> in, std::span<pred> out) const noexcept {
    std::vector<std::uint64_t> ids;
    for (std::size_t i = 0; i < in.size(); ++i) {
      ids.push_back(in[i].id);
      out[i].value = float(in[i].id) * 2.0f;
      out[i].version = 7;
    }
    batches->push_back(ids);
  }
};

struct manual_clock {
  std::int64_t* t;
  std::int64_t now() const noexcept { return *t; }
};

}  // namespace

// ------------------------------------------------------------------ micro-batching

TEST_CASE("micro_batch closes a batch at N events and on flush", "[serve][batch]") {
  std::vector<std::vector<std::uint64_t>> batches;
  auto mb = rill::make_micro_batch<D, 4>(logging_batch{&batches}, 1'000'000);
  std::vector<pred> out;
  auto sink = [&](const pred& p) noexcept { out.push_back(p); };
  for (std::uint64_t i = 0; i < 10; ++i) {
    mb(make_event(i, std::int64_t(i)), sink);
    CHECK(out.size() == (i + 1) / 4 * 4);  // emitted exactly when the 4th arrives
  }
  CHECK(mb.pending() == 2);
  mb.flush(sink);
  CHECK(mb.pending() == 0);
  mb.flush(sink);  // empty: nothing
  REQUIRE(out.size() == 10);
  for (std::uint64_t i = 0; i < 10; ++i) {
    CHECK(out[i].id == i);
    CHECK(out[i].time_ns == std::int64_t(i));
    CHECK(out[i].value == float(i) * 2.0f);
    CHECK(out[i].version == 7);
  }
  REQUIRE(batches.size() == 3);
  CHECK(batches[0] == std::vector<std::uint64_t>{0, 1, 2, 3});
  CHECK(batches[2] == std::vector<std::uint64_t>{8, 9});
  const auto& c = mb.counters();
  CHECK(c.events == 10);
  CHECK(c.batches == 3);
  CHECK(c.full == 2);
  CHECK(c.timed == 0);
  CHECK(c.flushed == 1);
  // Waiting in event time: batch {0..3} scored at t=3, {4..7} at 7, {8, 9} flushed at 9.
  const auto& h = mb.added_latency();
  CHECK(h.count() == 10);
  CHECK(h.max() == 3);
  CHECK(h.mean() == Approx(((3 + 2 + 1 + 0) * 2 + 1 + 0) / 10.0));
}

TEST_CASE("micro_batch closes a batch when event time passes the wait", "[serve][batch]") {
  std::vector<std::vector<std::uint64_t>> batches;
  auto mb = rill::make_micro_batch<D, 100>(logging_batch{&batches}, 10);
  std::vector<pred> out;
  auto sink = [&](const pred& p) noexcept { out.push_back(p); };
  // Deadline = first arrival + 10. An event at/after the deadline closes the batch
  // before it joins the next one.
  const std::int64_t times[] = {0, 3, 9, 10, 15, 19, 30, 31};
  for (std::uint64_t i = 0; i < 8; ++i) mb(make_event(i, times[i]), sink);
  REQUIRE(batches.size() == 2);
  CHECK(batches[0] == std::vector<std::uint64_t>{0, 1, 2});  // closed by t=10
  CHECK(batches[1] == std::vector<std::uint64_t>{3, 4, 5});  // closed by t=30 (deadline 20)
  CHECK(mb.pending() == 2);
  mb.advance(40, sink);  // deadline 40: due
  REQUIRE(batches.size() == 3);
  CHECK(batches[2] == std::vector<std::uint64_t>{6, 7});
  mb.advance(1000, sink);  // nothing waiting
  CHECK(batches.size() == 3);
  CHECK(out.size() == 8);
  CHECK(mb.counters().timed == 3);
  // Waits: 10,7,1 | 20,15,11 | 10,9 (all < 256: recorded exactly).
  const auto& h = mb.added_latency();
  CHECK(h.count() == 8);
  CHECK(h.min() == 1);
  CHECK(h.max() == 20);
  CHECK(h.mean() == Approx((10 + 7 + 1 + 20 + 15 + 11 + 10 + 9) / 8.0));
}

TEST_CASE("micro_batch on an injected wall clock", "[serve][batch]") {
  std::int64_t now = 1000;
  std::vector<std::vector<std::uint64_t>> batches;
  auto mb = rill::make_micro_batch<D, 3>(logging_batch{&batches}, 50, manual_clock{&now});
  std::vector<pred> out;
  auto sink = [&](const pred& p) noexcept { out.push_back(p); };
  mb(make_event(1, 0), sink);  // event times are ignored: only the clock counts
  now = 1020;
  mb(make_event(2, 999'999), sink);
  now = 1049;
  mb.poll(sink);
  CHECK(out.empty());
  now = 1050;
  mb.poll(sink);
  REQUIRE(out.size() == 2);
  CHECK(mb.added_latency().max() == 50);
  CHECK(mb.added_latency().min() == 30);
  now = 2000;
  for (std::uint64_t i = 3; i < 6; ++i) mb(make_event(i, 0), sink);  // full at 3
  CHECK(out.size() == 5);
  CHECK(mb.counters().full == 1);
  CHECK(mb.counters().timed == 1);
}

TEST_CASE("micro_batch's linear adapter gives the model's own predictions", "[serve][batch]") {
  const auto model = make_model();
  std::vector<pred> out;
  auto p = rill::make_micro_batch<D, 8>(rill::rows_batch(model), 1'000'000) |
           rill::callback_sink([&](const pred& q) noexcept { out.push_back(q); });
  std::mt19937 rng(3);
  std::normal_distribution<float> n(0, 1);
  std::vector<ev> events;
  for (std::uint64_t i = 0; i < 40; ++i) events.push_back(make_event(i, std::int64_t(i), n(rng), n(rng)));
  for (const auto& e : events) p.push(e);
  REQUIRE(out.size() == 40);
  for (std::size_t i = 0; i < 40; ++i) {
    CHECK(out[i].id == events[i].id);
    CHECK(out[i].value == model.predict(events[i].x));
    // against the formula, computed naively in double
    double m = model.bias;
    for (std::size_t j = 0; j < D; ++j) m += double(model.weights[j]) * events[i].x[j];
    CHECK(out[i].value == Approx(1.0 / (1.0 + std::exp(-m))).epsilon(1e-5));
  }
}

namespace {
// A model with a strided batch path, as tree_ensemble has: sum of the row.
struct strided_model {
  void predict_batch(const float* rows, std::size_t n, std::size_t stride, float* out) const noexcept {
    for (std::size_t r = 0; r < n; ++r) {
      float s = 0;
      for (std::size_t j = 0; j < D; ++j) s += rows[r * stride + j];
      out[r] = s;
    }
  }
};
}  // namespace

TEST_CASE("strided_batch reads the events' rows in place, in chunks", "[serve][batch]") {
  const strided_model m;
  std::vector<pred> out;
  auto mb = rill::make_micro_batch<D, 150>(rill::strided_batch<D, strided_model>(m, 3), 1 << 30);
  std::vector<ev> events;
  for (std::uint64_t i = 0; i < 150; ++i) events.push_back(make_event(i, 0, float(i), -0.5f));
  for (const auto& e : events) mb(e, [&](const pred& q) noexcept { out.push_back(q); });
  REQUIRE(out.size() == 150);
  for (std::size_t i = 0; i < 150; ++i) {
    const auto& x = events[i].x;
    CHECK(out[i].value == x[0] + x[1] + x[2] + x[3]);
    CHECK(out[i].version == 3);
  }
}

TEST_CASE("micro_batch rejects a negative wait", "[serve][batch]") {
  std::vector<std::vector<std::uint64_t>> b;
  CHECK_THROWS_AS((rill::make_micro_batch<D, 4>(logging_batch{&b}, -1)), std::invalid_argument);
}

// ------------------------------------------------------------------ prediction cache

namespace {

// A model stage that counts its calls and answers a function of the row, a version
// it is told, or nothing.
struct counting_model {
  using input_type = ev;
  using output_type = pred;
  int* calls;
  std::uint64_t version = 1;
  template <class Emit>
  void operator()(const ev& e, Emit&& emit) noexcept {
    ++*calls;
    emit(pred{e.id, e.time_ns, e.x[0] * 10.0f + e.x[1] + float(version) * 1000.0f, version});
  }
};

// The documented policy, written plainly: slots filled in order, CLOCK hand, inserts
// with the bit clear, any later lookup sets it, TTL strictly greater.
struct reference_cache {
  struct entry {
    std::uint64_t key;
    std::int64_t time;
    float value;
    bool ref;
  };
  std::size_t cap;
  std::int64_t ttl;
  std::vector<entry> slots;
  std::size_t hand = 0;
  rill::cache_counters c;

  float lookup(std::uint64_t key, std::int64_t t, float fresh) {
    for (auto& s : slots) {
      if (s.key != key) continue;
      s.ref = true;
      if (t - s.time > ttl) {
        ++c.expired;
        s.time = t;
        s.value = fresh;
        return fresh;
      }
      ++c.hits;
      return s.value;
    }
    ++c.misses;
    if (slots.size() < cap) {
      slots.push_back({key, t, fresh, false});
    } else {
      while (slots[hand].ref) {
        slots[hand].ref = false;
        hand = (hand + 1) % cap;
      }
      slots[hand] = {key, t, fresh, false};
      hand = (hand + 1) % cap;
      ++c.evictions;
    }
    return fresh;
  }
};

}  // namespace

namespace {
ev row_event(std::uint64_t id, std::int64_t t, float a) {
  ev e;
  e.id = id;
  e.time_ns = t;
  e.x = {{a, 0.5f, 0.0f, 1.0f}};
  return e;
}
}  // namespace

TEST_CASE("prediction_cache: hit, miss and eviction counts in a small case", "[serve][cache]") {
  int calls = 0;
  rill::prediction_cache cache(counting_model{&calls}, 4);
  CHECK(cache.capacity() == 4);
  std::vector<pred> out;
  auto sink = [&](const pred& p) noexcept { out.push_back(p); };
  for (int round = 0; round < 2; ++round)
    for (std::uint64_t k = 0; k < 4; ++k) cache(row_event(100 + k, 0, float(k)), sink);
  CHECK(cache.counters().misses == 4);
  CHECK(cache.counters().hits == 4);
  CHECK(calls == 4);
  CHECK(cache.size() == 4);
  // Hits answer the stored value with the new event's id and time.
  cache(row_event(555, 42, 2.0f), sink);
  CHECK(out.back().id == 555);
  CHECK(out.back().time_ns == 42);
  CHECK(out.back().value == 2.0f * 10.0f + 0.5f + 1000.0f);
  // A fifth row: every bit is set, the hand sweeps once and evicts slot 0 (row 0).
  cache(row_event(104, 0, 4.0f), sink);
  CHECK(cache.counters().evictions == 1);
  cache(row_event(100, 0, 0.0f), sink);  // row 0 again: a miss
  CHECK(cache.counters().misses == 6);
  CHECK(cache.counters().evictions == 2);  // row 0 took slot 1 (row 1: bit cleared)
  cache(row_event(102, 0, 2.0f), sink);  // row 2 still there
  CHECK(cache.counters().hits == 6);
  CHECK(calls == 6);
  CHECK(out.size() == 12);
}

TEST_CASE("prediction_cache agrees with a reference CLOCK under random traffic", "[serve][cache]") {
  for (const std::int64_t ttl : {std::int64_t{50}, rill::prediction_cache<counting_model>::no_ttl}) {
    int calls = 0;
    rill::prediction_cache cache(counting_model{&calls}, 16, ttl);
    reference_cache ref{16, ttl, {}, 0, {}};
    std::mt19937_64 rng(11);
    std::int64_t t = 0;
    std::vector<pred> out;
    for (int i = 0; i < 20000; ++i) {
      // 40 distinct rows, skewed: small keys are hot.
      const std::uint64_t k = std::min<std::uint64_t>(rng() % 40, rng() % 40);
      t += std::int64_t(rng() % 3);
      const ev e = make_event(k, t, float(k), 0.25f);
      out.clear();
      cache(e, [&](const pred& p) noexcept { out.push_back(p); });
      const float want = ref.lookup(k, t, float(k) * 10.0f + 0.25f + 1000.0f);
      REQUIRE(out.size() == 1);
      REQUIRE(out[0].value == want);
      REQUIRE(out[0].id == k);
    }
    const auto& c = cache.counters();
    CHECK(c.hits == ref.c.hits);
    CHECK(c.misses == ref.c.misses);
    CHECK(c.expired == ref.c.expired);
    CHECK(c.evictions == ref.c.evictions);
    CHECK(c.lookups() == 20000);
    CHECK(std::uint64_t(calls) == c.misses + c.expired + c.stale);
    if (ttl == 50) CHECK(c.expired > 100);
    CHECK(c.evictions > 100);
  }
}

TEST_CASE("prediction_cache TTL is event time, strictly greater expires", "[serve][cache]") {
  int calls = 0;
  rill::prediction_cache cache(counting_model{&calls}, 8, 100);
  auto sink = [](const pred&) noexcept {};
  cache(make_event(1, 1000), sink);
  cache(make_event(1, 1100), sink);  // age 100: still fresh
  CHECK(cache.counters().hits == 1);
  cache(make_event(1, 1101), sink);  // age 101: expired, refreshed at 1101
  CHECK(cache.counters().expired == 1);
  cache(make_event(1, 1201), sink);
  CHECK(cache.counters().hits == 2);
  CHECK(cache.counters().evictions == 0);
  CHECK(cache.size() == 1);
  CHECK(calls == 2);
}

TEST_CASE("prediction_cache keys on the whole row, or on a user key", "[serve][cache]") {
  int calls = 0;
  rill::prediction_cache by_row(counting_model{&calls}, 1024);
  auto sink = [](const pred&) noexcept {};
  std::mt19937 rng(5);
  std::uniform_real_distribution<float> u(-1, 1);
  std::vector<ev> rows;
  for (std::uint64_t i = 0; i < 1000; ++i) rows.push_back(make_event(i, 0, u(rng), u(rng)));
  // Rows that differ in one low bit of one value are different keys.
  for (std::uint64_t i = 0; i < 24; ++i) {
    ev e = rows[0];
    std::uint32_t bits;
    std::memcpy(&bits, &e.x[i % D], 4);
    bits ^= 1u << (i / D);
    std::memcpy(&e.x[i % D], &bits, 4);
    rows.push_back(e);
  }
  for (const auto& e : rows) by_row(e, sink);
  for (const auto& e : rows) by_row(e, sink);
  CHECK(by_row.counters().misses == rows.size());
  CHECK(by_row.counters().hits == rows.size());
  CHECK(by_row.counters().evictions == 0);

  // A user key: events with the same key share one entry whatever their rows.
  calls = 0;
  auto key = [](const ev& e) noexcept { return e.id / 10; };
  rill::prediction_cache<counting_model, decltype(key)> by_key(counting_model{&calls}, 64,
                                                               by_key.no_ttl, key);
  std::vector<pred> out;
  for (std::uint64_t i = 0; i < 100; ++i)
    by_key(make_event(i, 0, float(i), 0), [&](const pred& p) noexcept { out.push_back(p); });
  CHECK(by_key.counters().misses == 10);
  CHECK(by_key.counters().hits == 90);
  CHECK(out[19].value == 10.0f * 10.0f + 1000.0f);  // answered with id 10's row
}

TEST_CASE("prediction_cache never serves an older model version", "[serve][cache]") {
  auto model = make_model();
  rill::prediction_cache cache{rill::predict(model), 8};
  std::vector<rill::scored_event<D>> out;
  auto sink = [&](const rill::scored_event<D>& s) noexcept { out.push_back(s); };
  const ev e = make_event(1, 0, 0.3f, 0.7f);
  cache(e, sink);
  cache(e, sink);
  CHECK(cache.counters().hits == 1);
  model.weights[0] = 3.0f;
  ++model.version;
  cache(e, sink);
  CHECK(cache.counters().stale == 1);
  CHECK(out.back().value == model.predict(e.x));
  CHECK(out.back().version == 1);
  CHECK(out.back().x == e.x);
  cache(e, sink);
  CHECK(cache.counters().hits == 2);
  CHECK(out.back().value == model.predict(e.x));
}

TEST_CASE("prediction_cache rejects bad configuration", "[serve][cache]") {
  int calls = 0;
  using cache_t = rill::prediction_cache<counting_model>;
  CHECK_THROWS_AS(cache_t(counting_model{&calls}, 0), std::invalid_argument);
  CHECK_THROWS_AS(cache_t(counting_model{&calls}, 8, 0), std::invalid_argument);
  CHECK(cache_t(counting_model{&calls}, 5).capacity() == 8);
}

// ------------------------------------------------------------------ routing

namespace {
using arm_model = rill::constant_model<ev, pred>;
}

TEST_CASE("A/B split: fixed shares within binomial tolerance, same key same arm", "[serve][router]") {
  rill::route_book<3> book(1024);
  auto r = rill::ab_split(&book, {5.0, 3.0, 2.0}, arm_model(0.0f), arm_model(1.0f), arm_model(2.0f));
  constexpr std::uint64_t n = 100000;
  std::array<std::uint64_t, 3> counts{};
  std::size_t emitted = 0, wrong = 0;
  for (std::uint64_t id = 0; id < n; ++id) {
    r(make_event(id, 0), [&](const pred& p) noexcept {
      ++counts[std::size_t(p.value)];
      ++emitted;
      // Naive recomputation of the documented rule: 53 bits of splitmix64(id) against
      // the cumulative shares.
      const double u = double(rill::splitmix64(id) >> 11) / 9007199254740992.0;
      const std::size_t want = u < 0.5 ? 0 : u < 0.8 ? 1 : 2;
      wrong += std::size_t(p.value) != want;  // (no REQUIRE inside a noexcept callback)
    });
  }
  CHECK(wrong == 0);
  CHECK(emitted == n);
  const double shares[] = {0.5, 0.3, 0.2};
  for (std::size_t a = 0; a < 3; ++a) {
    const double mean = n * shares[a], sd = std::sqrt(n * shares[a] * (1 - shares[a]));
    CHECK(std::abs(double(counts[a]) - mean) < 4.5 * sd);
    CHECK(r.routed(a) == counts[a]);
  }
  for (std::uint64_t k = 0; k < 1000; ++k) {
    const auto a = r.arm_of_key(k);
    for (int rep = 0; rep < 3; ++rep) REQUIRE(r.arm_of_key(k) == a);
  }
  // A user key: every event of one customer meets one arm, whatever its id.
  auto by_customer = [](const ev& e) noexcept { return std::uint64_t(e.x[0]); };
  auto rk = rill::ab_split_by(&book, {1.0, 1.0, 1.0}, by_customer, arm_model(0.0f),
                              arm_model(1.0f), arm_model(2.0f));
  std::map<int, std::set<float>> seen;
  for (std::uint64_t id = 0; id < 5000; ++id) {
    const int customer = int(id % 50);
    rk(make_event(id, 0, float(customer)), [&](const pred& p) noexcept { seen[customer].insert(p.value); });
  }
  for (const auto& [c, arms] : seen) CHECK(arms.size() == 1);
  // A share of 0 never serves.
  auto r0 = rill::ab_split(&book, {1.0, 0.0, 1.0}, arm_model(0.0f), arm_model(1.0f), arm_model(2.0f));
  for (std::uint64_t id = 0; id < 20000; ++id) r0(make_event(id, 0), [](const pred&) noexcept {});
  CHECK(r0.routed(1) == 0);
  CHECK_THROWS_AS(rill::ab_split(&book, {1.0, -1.0, 1.0}, arm_model(0.0f), arm_model(1.0f), arm_model(2.0f)),
                  std::invalid_argument);
  CHECK_THROWS_AS(rill::ab_split(&book, {0.0, 0.0, 0.0}, arm_model(0.0f), arm_model(1.0f), arm_model(2.0f)),
                  std::invalid_argument);
}

TEST_CASE("A/B per-arm metrics come from labels on the learn path", "[serve][router]") {
  rill::route_book<2> book(4096);
  auto predict_path = rill::pipeline{
      rill::ab_split(&book, {0.5, 0.5}, arm_model(0.9f), arm_model(0.2f)),
      rill::callback_sink([](const pred&) noexcept {})};
  auto learn_path = rill::pipeline{rill::score_routes(book), rill::callback_sink([](const rill::label<float>&) noexcept {})};
  rill::graph g(std::move(predict_path), std::move(learn_path));
  static_assert(decltype(g)::shared_states::contains<rill::route_book<2>>);
  std::array<double, 2> abs_err{};
  std::array<std::uint64_t, 2> n{};
  const float value[] = {0.9f, 0.2f};
  std::mt19937 rng(9);
  for (std::uint64_t id = 0; id < 3000; ++id) g.push(make_event(id, std::int64_t(id)));
  for (std::uint64_t id = 0; id < 3000; ++id) {
    const float target = float(rng() % 2);
    g.feedback(rill::label<float>{id, 5000, target});
    const std::size_t a = g.predict_path().stage<0>().arm_of_key(id);
    abs_err[a] += std::abs(double(value[a]) - target);
    ++n[a];
  }
  g.feedback(rill::label<float>{99999, 5000, 1.0f});  // unknown id
  for (std::size_t a = 0; a < 2; ++a) {
    CHECK(book.metrics(a).count == n[a]);
    CHECK(book.metrics(a).mae() == Approx(abs_err[a] / double(n[a])));
  }
  CHECK(book.served_metrics().count == 3000);
  CHECK(book.counters().matched == 3000);
  CHECK(book.counters().unmatched == 1);
}

TEST_CASE("shadow routing: only the champion is emitted, every arm is scored", "[serve][router]") {
  rill::route_book<3> book(256);
  rill::shadow_router r(&book, arm_model(0.75f), arm_model(0.25f), arm_model(0.5f));
  std::vector<pred> out;
  std::mt19937 rng(2);
  std::vector<float> targets;
  for (std::uint64_t id = 0; id < 200; ++id) {
    r(make_event(id, std::int64_t(id)), [&](const pred& p) noexcept { out.push_back(p); });
    targets.push_back(float(rng() % 2));
  }
  REQUIRE(out.size() == 200);
  for (const auto& p : out) CHECK(p.value == 0.75f);
  CHECK(r.shadowed() == 400);
  CHECK(r.last(2) == 0.5f);
  for (std::uint64_t id = 0; id < 200; ++id) book.score(rill::label<float>{id, 300, targets[id]});
  const float value[] = {0.75f, 0.25f, 0.5f};
  for (std::size_t a = 0; a < 3; ++a) {
    double ll = 0, correct = 0;
    for (const float t : targets) {
      ll += t > 0.5f ? -std::log(double(value[a])) : -std::log1p(-double(value[a]));
      correct += (value[a] > 0.5f) == (t > 0.5f);
    }
    CHECK(book.metrics(a).count == 200);
    CHECK(book.metrics(a).log_loss() == Approx(ll / 200));
    CHECK(book.metrics(a).accuracy() == Approx(correct / 200));
  }
  CHECK(book.served_metrics().log_loss() == Approx(book.metrics(0).log_loss()));
}

// ------------------------------------------------------------------ circuit breaker

namespace {
enum class mode { ok, nan, inf, none, slow };
struct flaky_model {
  using input_type = ev;
  using output_type = pred;
  mode* m;
  int* calls;
  std::int64_t* clock = nullptr;  // advanced by `slow` calls
  template <class Emit>
  void operator()(const ev& e, Emit&& emit) noexcept {
    ++*calls;
    switch (*m) {
      case mode::ok: emit(pred{e.id, e.time_ns, 0.5f, 1}); break;
      case mode::nan: emit(pred{e.id, e.time_ns, std::numeric_limits<float>::quiet_NaN(), 1}); break;
      case mode::inf: emit(pred{e.id, e.time_ns, -std::numeric_limits<float>::infinity(), 1}); break;
      case mode::none: break;
      case mode::slow: *clock += 500; emit(pred{e.id, e.time_ns, 0.5f, 1}); break;
    }
  }
};
}  // namespace

TEST_CASE("circuit breaker trips on NaN, serves the fallback, probes and recovers", "[serve][breaker]") {
  mode m = mode::ok;
  int calls = 0;
  rill::breaker_options o;
  o.trip_after = 2;
  o.cooldown_ns = 100;
  o.probes_to_close = 2;
  rill::circuit_breaker br(flaky_model{&m, &calls}, rill::constant_like<flaky_model>(-1.0f), o);
  std::vector<pred> out;
  auto push = [&](std::int64_t t) {
    br(make_event(std::uint64_t(t), t), [&](const pred& p) noexcept { out.push_back(p); });
    return out.back().value;
  };
  CHECK(push(0) == 0.5f);
  m = mode::nan;
  CHECK(push(1) == -1.0f);  // a NaN is never emitted; first failure, still closed
  CHECK(br.state() == rill::breaker_state::closed);
  m = mode::ok;
  CHECK(push(2) == 0.5f);  // a success resets the consecutive count
  m = mode::inf;
  CHECK(push(3) == -1.0f);
  CHECK(push(4) == -1.0f);  // second consecutive: opens at t=4
  CHECK(br.state() == rill::breaker_state::open);
  CHECK(br.counters().trips == 1);
  const int calls_at_open = calls;
  m = mode::ok;
  CHECK(push(50) == -1.0f);
  CHECK(push(103) == -1.0f);  // 99 < cooldown 100
  CHECK(calls == calls_at_open);  // the model is not called while open
  m = mode::none;
  CHECK(push(104) == -1.0f);  // half-open probe: no answer fails, reopens at 104
  CHECK(br.state() == rill::breaker_state::open);
  CHECK(br.counters().trips == 2);
  m = mode::ok;
  CHECK(push(203) == -1.0f);
  CHECK(push(204) == 0.5f);  // probe 1 good
  CHECK(br.state() == rill::breaker_state::half_open);
  CHECK(push(205) == 0.5f);  // probe 2 good: closed
  CHECK(br.state() == rill::breaker_state::closed);
  const auto& c = br.counters();
  CHECK(c.calls == 11);
  CHECK(c.primary + c.fallback == c.calls);
  CHECK(c.primary == 4);
  CHECK(c.nonfinite == 3);
  CHECK(c.no_output == 1);
  CHECK(c.probes == 3);
  CHECK(c.recoveries == 1);
  for (const auto& p : out) CHECK(std::isfinite(p.value));
}

TEST_CASE("circuit breaker: latency budget on a wall clock, and the load flag", "[serve][breaker]") {
  mode m = mode::slow;
  int calls = 0;
  std::int64_t now = 0;
  std::atomic<bool> load_failed{false};
  rill::breaker_options o;
  o.trip_after = 3;
  o.cooldown_ns = 10'000;
  o.latency_budget_ns = 400;
  o.load_failed = &load_failed;
  rill::circuit_breaker br(flaky_model{&m, &calls, &now}, rill::constant_like<flaky_model>(-1.0f), o,
                           manual_clock{&now});
  std::vector<float> out;
  auto push = [&] { br(make_event(0, 0), [&](const pred& p) noexcept { out.push_back(p.value); }); };
  push();
  push();
  CHECK(out == std::vector<float>{0.5f, 0.5f});  // slow answers are still emitted
  CHECK(br.state() == rill::breaker_state::closed);
  push();  // third consecutive over budget: open
  CHECK(br.state() == rill::breaker_state::open);
  CHECK(br.counters().over_budget == 3);
  m = mode::ok;
  now += 9'000;
  push();
  CHECK(out.back() == -1.0f);
  now += 1'000;  // 10'000 since it opened (at the end of the third call)
  push();
  CHECK(out.back() == 0.5f);
  CHECK(br.state() == rill::breaker_state::closed);
  load_failed = true;
  push();
  CHECK(out.back() == -1.0f);
  CHECK(br.counters().load_failed == 1);
  push();
  push();
  CHECK(br.state() == rill::breaker_state::open);
  CHECK(br.counters().trips == 2);
  CHECK(calls == 4);  // refused attempts never reach the model

  mode m2 = mode::ok;
  CHECK_THROWS_AS(rill::circuit_breaker(flaky_model{&m2, &calls}, rill::constant_like<flaky_model>(0.0f),
                                        o),  // budget without a wall clock
                  std::invalid_argument);
}

// ------------------------------------------------------------------ bandits

namespace {

// Solves (λI + Σ x xᵀ) θ = Σ r x by Gaussian elimination: the naive ridge estimate.
template <std::size_t Dim>
std::array<double, Dim> naive_ridge(const std::vector<std::array<double, Dim>>& xs,
                                    const std::vector<double>& rs, double lambda) {
  std::array<std::array<double, Dim + 1>, Dim> m{};
  for (std::size_t i = 0; i < Dim; ++i) m[i][i] = lambda;
  for (std::size_t n = 0; n < xs.size(); ++n)
    for (std::size_t i = 0; i < Dim; ++i) {
      for (std::size_t j = 0; j < Dim; ++j) m[i][j] += xs[n][i] * xs[n][j];
      m[i][Dim] += rs[n] * xs[n][i];
    }
  for (std::size_t c = 0; c < Dim; ++c) {
    for (std::size_t r = c + 1; r < Dim; ++r) {
      const double f = m[r][c] / m[c][c];
      for (std::size_t k = c; k <= Dim; ++k) m[r][k] -= f * m[c][k];
    }
  }
  std::array<double, Dim> th{};
  for (std::size_t c = Dim; c-- > 0;) {
    double s = m[c][Dim];
    for (std::size_t k = c + 1; k < Dim; ++k) s -= m[c][k] * th[k];
    th[c] = s / m[c][c];
  }
  return th;
}

constexpr std::size_t K = 5, DC = 8;
using ctx_row = rill::feature_row<float, DC>;

struct linear_problem {
  std::array<std::array<double, DC>, K> theta{};
  std::mt19937_64 rng;
  std::normal_distribution<double> n{0.0, 1.0};
  explicit linear_problem(std::uint64_t seed) : rng(seed * 7919 + 13) {
    for (auto& t : theta)
      for (auto& v : t) v = n(rng) / std::sqrt(double(DC));
  }
  ctx_row context() {
    ctx_row x;
    double norm = 0;
    for (auto& v : x) {
      v = float(n(rng));
      norm += double(v) * v;
    }
    for (auto& v : x) v = float(v / std::sqrt(norm));
    return x;
  }
  double mean(std::size_t a, const ctx_row& x) const {
    double s = 0;
    for (std::size_t i = 0; i < DC; ++i) s += theta[a][i] * x[i];
    return s;
  }
};

// Cumulative (pseudo-)regret of a bandit over `rounds` on problem `seed`; rewards are
// the mean plus N(0, 0.1²) noise, delivered immediately.
template <class Bandit>
double regret(Bandit& b, std::uint64_t seed, int rounds) {
  linear_problem p(seed);
  std::normal_distribution<double> noise(0.0, 0.1);
  double total = 0;
  for (int t = 0; t < rounds; ++t) {
    const ctx_row x = p.context();
    double best = -1e300;
    for (std::size_t a = 0; a < K; ++a) best = std::max(best, p.mean(a, x));
    const std::size_t a = b.choose(x);
    REQUIRE(a < K);
    total += best - p.mean(a, x);
    b.learn(a, x, p.mean(a, x) + noise(p.rng));
  }
  return total;
}

}  // namespace

TEST_CASE("bandits: LinUCB and Thompson sampling beat epsilon-greedy on regret", "[serve][bandit]") {
  constexpr int rounds = 20000;
  for (std::uint64_t seed = 1; seed <= 5; ++seed) {
    rill::linucb<K, DC> ucb(1.0);
    rill::linear_thompson<K, DC> ts(0.25, seed);
    const double r_ucb = regret(ucb, seed, rounds);
    const double r_ts = regret(ts, seed, rounds);
    // The usual epsilon = 0.1 and a nearly greedy 0.01 (less exploration waste, slower
    // to correct early mistakes): uncertainty-driven exploration beats both.
    for (const double eps : {0.1, 0.01}) {
      rill::epsilon_greedy<K, DC> eg(eps, seed);
      const double r_eg = regret(eg, seed, rounds);
      INFO("seed " << seed << ", eps " << eps << ": LinUCB " << r_ucb << ", Thompson " << r_ts
                   << ", eps-greedy " << r_eg);
      CHECK(r_ucb < r_eg);
      CHECK(r_ts < r_eg);
      // and it learns: far below a uniformly random policy (~ mean gap × rounds)
      CHECK(r_eg < 0.5 * rounds * 0.3);
    }
  }
}

TEST_CASE("bandit ridge estimates equal the naive solution; Sherman-Morrison stays exact", "[serve][bandit]") {
  rill::linucb<K, DC> b(1.0, 2.0);
  std::mt19937_64 rng(4);
  std::normal_distribution<double> n(0, 1);
  std::array<std::vector<std::array<double, DC>>, K> xs;
  std::array<std::vector<double>, K> rs;
  for (int t = 0; t < 3000; ++t) {
    ctx_row x;
    for (auto& v : x) v = float(n(rng));
    const std::size_t a = std::size_t(rng() % K);
    const double r = n(rng);
    b.learn(a, x, r);
    std::array<double, DC> xd;
    for (std::size_t i = 0; i < DC; ++i) xd[i] = x[i];
    xs[a].push_back(xd);
    rs[a].push_back(r);
  }
  for (std::size_t a = 0; a < K; ++a) {
    const auto want = naive_ridge<DC>(xs[a], rs[a], 2.0);
    for (std::size_t i = 0; i < DC; ++i) CHECK(b.theta(a)[i] == Approx(want[i]).margin(1e-9));
    // A⁻¹ · A = I with A built naively.
    std::array<double, DC * DC> amat{};
    for (std::size_t i = 0; i < DC; ++i) amat[i * DC + i] = 2.0;
    for (const auto& x : xs[a])
      for (std::size_t i = 0; i < DC; ++i)
        for (std::size_t j = 0; j < DC; ++j) amat[i * DC + j] += x[i] * x[j];
    for (std::size_t i = 0; i < DC; ++i)
      for (std::size_t j = 0; j < DC; ++j) {
        double s = 0;
        for (std::size_t k = 0; k < DC; ++k) s += b.a_inverse(a)[i * DC + k] * amat[k * DC + j];
        CHECK(s == Approx(i == j ? 1.0 : 0.0).margin(1e-9));
      }
  }
  ctx_row bad{};
  bad[0] = std::numeric_limits<float>::quiet_NaN();
  b.learn(0, bad, 1.0);
  b.learn(K, ctx_row{}, 1.0);
  CHECK(b.rejected() == 2);
  CHECK(b.learned() == 3000);
}

TEST_CASE("Thompson parameter samples have mean theta and covariance v^2 A^-1", "[serve][bandit]") {
  constexpr std::size_t d = 3;
  rill::linear_thompson<1, d> ts(0.5, 17);
  std::mt19937_64 rng(8);
  std::normal_distribution<double> n(0, 1);
  for (int t = 0; t < 20; ++t) {
    rill::feature_row<float, d> x;
    for (auto& v : x) v = float(n(rng));
    ts.learn(0, x, n(rng));
  }
  constexpr int draws = 200000;
  std::array<double, d> mean{};
  std::array<double, d * d> cov{};
  std::array<double, d> s;
  for (int i = 0; i < draws; ++i) {
    ts.sample_parameters(0, s);
    for (std::size_t a = 0; a < d; ++a) {
      mean[a] += s[a];
      for (std::size_t b = 0; b < d; ++b) cov[a * d + b] += (s[a] - ts.theta(0)[a]) * (s[b] - ts.theta(0)[b]);
    }
  }
  for (std::size_t a = 0; a < d; ++a) {
    const double sd = 0.5 * std::sqrt(ts.a_inverse(0)[a * d + a]);
    CHECK(std::abs(mean[a] / draws - ts.theta(0)[a]) < 5 * sd / std::sqrt(double(draws)));
    for (std::size_t b = 0; b < d; ++b) {
      const double want = 0.25 * ts.a_inverse(0)[a * d + b];
      CHECK(cov[a * d + b] / draws == Approx(want).margin(0.02 * 0.25 * ts.a_inverse(0)[a * d + a]));
    }
  }
}

TEST_CASE("xoshiro256**: uniform and Gaussian draws have the right moments", "[serve][bandit]") {
  rill::xoshiro256ss r(42), r2(42), r3(43);
  CHECK(r() == r2());
  CHECK(r() != r3());
  double s = 0, s2 = 0, u = 0;
  constexpr int n = 200000;
  for (int i = 0; i < n; ++i) {
    const double g = r.gaussian();
    s += g;
    s2 += g * g;
    u += r.uniform();
  }
  CHECK(std::abs(s / n) < 5 / std::sqrt(double(n)));
  CHECK(s2 / n == Approx(1.0).margin(0.015));
  CHECK(u / n == Approx(0.5).margin(0.005));
  std::array<int, 5> hist{};
  for (int i = 0; i < 50000; ++i) ++hist[r.below(5)];
  for (const int h : hist) CHECK(std::abs(h - 10000) < 500);
}

TEST_CASE("delayed rewards reach a bandit through the graph's feedback path", "[serve][bandit]") {
  using pending_t = rill::pending_buffer<DC>;
  rill::linucb<K, DC> wired(1.0), direct(1.0);
  pending_t pending(1024);
  std::vector<rill::bandit_choice> choices;
  std::vector<rill::bandit_outcome<float>> outcomes;
  rill::graph g(
      rill::pipeline{rill::choose_action(wired, pending),
                     rill::callback_sink([&](const rill::bandit_choice& c) noexcept { choices.push_back(c); })},
      rill::pipeline{rill::learn_reward(wired, pending),
                     rill::callback_sink([&](const rill::bandit_outcome<float>& o) noexcept { outcomes.push_back(o); })});
  linear_problem p(3);
  constexpr std::size_t delay = 100, rounds = 3000;
  std::vector<ctx_row> xs;
  std::vector<float> rewards;
  for (std::size_t t = 0; t < rounds + delay; ++t) {
    if (t < rounds) {
      xs.push_back(p.context());
      g.push(rill::event<DC>{t, std::int64_t(t), xs[t]});
      REQUIRE(choices.size() == t + 1);
      REQUIRE(choices[t].action == direct.choose(xs[t]));  // same choices as a bandit fed by hand
    }
    if (t >= delay) {  // the reward for the choice made `delay` rounds ago arrives now
      const std::size_t s = t - delay;
      const float r = float(p.mean(choices[s].action, xs[s]));
      g.feedback(rill::label<float>{s, std::int64_t(t), r});
      direct.learn(choices[s].action, xs[s], r);
    }
  }
  CHECK(outcomes.size() == rounds);
  CHECK(wired.learned() == rounds);
  for (std::size_t a = 0; a < K; ++a) {
    CHECK(wired.chosen(a) == direct.chosen(a));
    for (std::size_t i = 0; i < DC; ++i) CHECK(wired.theta(a)[i] == direct.theta(a)[i]);
  }
  g.feedback(rill::label<float>{123456, 0, 1.0f});
  CHECK(pending.counters().unmatched == 1);
  CHECK(outcomes.size() == rounds);
}
