// The bad-input matrix of issue #10: one TEST_CASE per (case, entry point) that no
// other test covers; docs/guarantees.md ("Bad input") lists every row and where its
// test lives. The cases whose comment starts "Was:" failed when written (silent loss
// or a poisoned state) and hold since the fix they describe.
#include <array>
#include <cmath>
#include <cstdint>
#include <limits>
#include <random>
#include <stdexcept>
#include <string>
#include <vector>

#include "catch.hpp"
#include "rill/drift/adwin.hpp"
#include "rill/drift/ddm.hpp"
#include "rill/drift/eddm.hpp"
#include "rill/drift/hddm_a.hpp"
#include "rill/drift/hddm_w.hpp"
#include "rill/drift/kswin.hpp"
#include "rill/drift/page_hinkley.hpp"
#include "rill/drift/registry.hpp"
#include "rill/io/csv.hpp"
#include "rill/io/model_json.hpp"
#include "rill/io/model_loader.hpp"
#include "rill/learn/join.hpp"
#include "rill/learn/learn.hpp"
#include "rill/learn/linear_learner.hpp"
#include "rill/learn/mlp_learner.hpp"
#include "rill/learn/multiclass_learner.hpp"
#include "rill/learn/pending.hpp"
#include "rill/learn/sklearn_sgd.hpp"
#include "rill/model/linear.hpp"
#include "rill/model/mlp.hpp"
#include "rill/model/quantized.hpp"
#include "rill/runtime/event_queue.hpp"
#include "rill/runtime/queue_source.hpp"
#include "rill/window/ewm.hpp"
#include "rill/window/lag.hpp"
#include "rill/window/scaler.hpp"
#include "rill/window/standard_scaler.hpp"

namespace {

constexpr double nan_d = std::numeric_limits<double>::quiet_NaN();
constexpr double inf_d = std::numeric_limits<double>::infinity();
constexpr float nan_f = std::numeric_limits<float>::quiet_NaN();

template <class Row>
bool all_finite(const Row& r) {
  for (auto v : r)
    if (!std::isfinite(v)) return false;
  return true;
}

// Mean and population variance of the finite values of `xs`, by the textbook formulas.
std::pair<double, double> finite_moments(const std::vector<double>& xs) {
  double s = 0, n = 0;
  for (double x : xs)
    if (std::isfinite(x)) s += x, n += 1;
  const double m = s / n;
  double ss = 0;
  for (double x : xs)
    if (std::isfinite(x)) ss += (x - m) * (x - m);
  return {m, ss / n};
}

}  // namespace

// ------------------------------------------------------------------ NaN / Inf features

TEST_CASE("bad input / NaN-Inf: ewm counts non-finite values under every policy", "[bad_input]") {
  using E = rill::ewm<2, rill::stat::mean, double>;
  const std::vector<std::array<double, 2>> rows = {{1, 10}, {nan_d, 20}, {inf_d, -inf_d}, {3, 40}};
  auto feed = [&](E& e) {
    std::size_t emitted = 0;
    for (auto r : rows)
      e(rill::event<2, double>{0, 0, {{r[0], r[1]}}}, [&](const auto&) noexcept { ++emitted; });
    return emitted;
  };
  SECTION("skip: rows with a non-finite value are not taken in and emit nothing") {
    E e = E::fading(0.5, rill::nan_policy::skip);
    CHECK(feed(e) == 2);
    CHECK(e.counters().nonfinite == 3);
    CHECK(e.counters().skipped_rows == 2);
    CHECK(e.pushes() == 2);
    CHECK(e.mean(0) == 1 + 0.5 * (3 - 1));  // first row initialises, then a = 0.5
    CHECK(e.mean(1) == 10 + 0.5 * (40 - 10));
  }
  SECTION("replace: each non-finite value becomes the replacement") {
    E e = E::fading(0.5, rill::nan_policy::replace, -2.0);
    CHECK(feed(e) == 4);
    CHECK(e.counters().nonfinite == 3);
    CHECK(e.counters().skipped_rows == 0);
    double m0 = 1;  // then -2, -2, 3 with a = 0.5
    for (double x : {-2.0, -2.0, 3.0}) m0 += 0.5 * (x - m0);
    CHECK(e.mean(0) == m0);
  }
  SECTION("propagate: counted; an EWMA keeps the NaN for good (f < 1), unlike rolling windows") {
    E e = E::fading(0.5, rill::nan_policy::propagate);
    CHECK(feed(e) == 4);
    CHECK(e.counters().nonfinite == 3);
    for (int i = 0; i < 100; ++i) e.push({{1, 1}});
    CHECK(std::isnan(e.mean(0)));
  }
}

TEST_CASE("bad input / NaN-Inf: lag passes a NaN through for K rows, then recovers",
          "[bad_input]") {
  // lag has no NaN policy and no non-finite counter: the NaN is visible in its output
  // (a downstream window or learner must screen it) and leaves the ring after K rows.
  constexpr std::size_t K = 3;
  rill::lag<1, K, rill::lag_op::value | rill::lag_op::diff, double> l;
  std::vector<std::array<double, 2>> out;
  for (int t = 0; t < 12; ++t) {
    const double x = t == 5 ? nan_d : double(t * t);
    const auto o = l.push({{x}});
    out.push_back({o[0], o[1]});
  }
  for (int t = 0; t < 12; ++t) {
    INFO("t = " << t);
    if (t < int(K)) continue;  // warm-up
    const bool nan_now = t == 5, nan_old = t - int(K) == 5;
    CHECK(std::isnan(out[t][0]) == nan_old);
    CHECK(std::isnan(out[t][1]) == (nan_now || nan_old));
    if (!nan_now && !nan_old) {
      CHECK(out[t][0] == double((t - 3) * (t - 3)));
      CHECK(out[t][1] == double(t * t - (t - 3) * (t - 3)));
    }
  }
  CHECK(l.undefined() == 0);  // only return/log-return count undefined values
}

TEST_CASE("bad input / NaN-Inf: standard_scaler keeps scaling after a NaN row",
          "[bad_input]") {
  // Was: one NaN makes the running mean and variance NaN for good, and every later
  // row of that feature scales to 0, silently. Now: the non-finite value is not
  // learnt (and counted), so later rows scale by the finite rows' statistics.
  rill::standard_scaler<2, double> s;
  std::vector<double> f0, f1;
  for (int t = 0; t < 20; ++t) {
    const double a = t == 4 ? nan_d : double(t % 7), b = double(t % 5);
    f0.push_back(a);
    f1.push_back(b);
    s.learn({{a, b}});
  }
  const auto [m0, v0] = finite_moments(f0);
  const auto [m1, v1] = finite_moments(f1);
  const auto z = s.transform({{6.0, 4.0}});
  CHECK(z[1] == Approx((4.0 - m1) / std::sqrt(v1)).epsilon(1e-12));  // the clean feature
  CHECK(s.mean(0) == Approx(m0).epsilon(1e-12));
  CHECK(s.non_finite() == 1);
  CHECK(s.count(0) == 19);
  CHECK(s.count(1) == 20);
  CHECK(z[0] == Approx((6.0 - m0) / std::sqrt(v0)).epsilon(1e-12));
}

TEST_CASE("bad input / NaN-Inf: min_max_scaler keeps scaling after an Inf row",
          "[bad_input]") {
  // Was: +Inf becomes the running max, the range is infinite and every later row of
  // that feature scales to 0, silently. Now: non-finite values are not learnt.
  rill::min_max_scaler<1, double> s;
  for (double x : {2.0, 4.0, inf_d, 6.0, nan_d, 10.0}) s.learn({{x}});
  CHECK(s.min(0) == 2.0);
  CHECK(s.max(0) == 10.0);
  CHECK(s.non_finite() == 2);
  CHECK(s.transform({{4.0}})[0] == 0.25);
}

TEST_CASE("bad input / NaN-Inf: max_abs_scaler keeps scaling after an Inf row",
          "[bad_input]") {
  rill::max_abs_scaler<1, double> s;
  for (double x : {2.0, -inf_d, -8.0, 4.0}) s.learn({{x}});
  CHECK(s.max_abs(0) == 8.0);
  CHECK(s.non_finite() == 1);
  CHECK(s.transform({{4.0}})[0] == 0.5);
}

TEST_CASE("bad input / NaN-Inf: float models propagate NaN into the prediction", "[bad_input]") {
  // No counter in the model (predict is a pure function); the NaN is visible to the
  // circuit breaker (serve_test) and to metrics. Trees treat NaN as missing (tree_test).
  rill::linear_model<3, float> lin{};
  lin.weights = {{0.5f, -1.0f, 2.0f}};
  lin.bias = 0.25f;
  CHECK(std::isfinite(lin.predict({{1, 2, 3}})));
  CHECK(std::isnan(lin.predict({{1, nan_f, 3}})));
  CHECK(lin.margin({{std::numeric_limits<float>::infinity(), 0, 0}}) ==
        std::numeric_limits<float>::infinity());  // Inf in, Inf out
  using net_t = rill::mlp<float, 3, rill::dense<4, rill::activation::tanh>,
                          rill::dense<1, rill::activation::identity>>;
  net_t net;
  rill::init_glorot_uniform(net, 7);
  CHECK(std::isfinite(net.predict({{1, 2, 3}})));
  CHECK(std::isnan(net.predict({{1, nan_f, 3}})));
}

TEST_CASE("bad input / NaN-Inf: the int8 linear model does not turn NaN into a number",
          "[bad_input]") {
  // Was: the input quantiser ignores NaN when it takes max|x| and then converts NaN
  // to INT_MIN, clamped to -127: the row scores as if the feature were -max|x|, a
  // finite and wrong prediction with no counter. Now: NaN, as the float model.
  rill::linear_model<4, float, rill::link_function::identity> m{};
  m.weights = {{1.0f, 1.0f, 1.0f, 1.0f}};
  const auto q = rill::quantize(m);
  const rill::feature_row<float, 4> x{{1.0f, nan_f, 2.0f, 3.0f}};
  REQUIRE(std::isnan(m.margin(x)));
  INFO("int8 margin of the NaN row: " << q.margin(x));
  CHECK(q.margin({{1.0f, 0.0f, 2.0f, 3.0f}}) == Approx(6.0f).epsilon(0.02));
  CHECK(std::isnan(q.margin(x)));
}

TEST_CASE("bad input / NaN-Inf: the linear learner skips a row with a NaN feature",
          "[bad_input]") {
  // Was: the NaN reaches the gradient (std::clamp passes NaN through), the bias and
  // every weight become NaN and the model predicts NaN for good; nothing counts it.
  // Now: the row is not learnt (and counted), so the model equals a twin that
  // never saw it.
  using model_t = rill::linear_model<3, double, rill::link_function::identity>;
  using learner_t = rill::linear_learner<rill::squared_loss>::learner<model_t>;
  const auto settings = rill::sgd<rill::squared_loss>(0.05);
  model_t m{}, twin{};
  learner_t l(settings), lt(settings);
  std::mt19937_64 rng(3);
  std::normal_distribution<double> g;
  for (int t = 0; t < 200; ++t) {
    rill::feature_row<double, 3> x{{g(rng), g(rng), g(rng)}};
    const double y = 2 * x[0] - x[1] + 0.5;
    if (t == 100) {
      auto bad = x;
      bad[2] = nan_d;
      l.update(m, bad, y);  // the twin does not see it
    }
    l.update(m, x, y);
    lt.update(twin, x, y);
  }
  CHECK(all_finite(twin.weights));
  CHECK(all_finite(m.weights));
  CHECK(std::isfinite(m.bias));
  CHECK(m.weights == twin.weights);
  CHECK(l.rejected() == 1);
  CHECK(lt.rejected() == 0);
}

TEST_CASE("bad input / NaN-Inf: the linear learner skips a NaN target", "[bad_input]") {
  // multiclass and MLP classifiers reject a NaN class and count it (rejected());
  // the linear learner learns it and every weight becomes NaN.
  using model_t = rill::linear_model<2, double, rill::link_function::identity>;
  using learner_t = rill::linear_learner<rill::squared_loss>::learner<model_t>;
  model_t m{};
  learner_t l(rill::sgd<rill::squared_loss>(0.1));
  l.update(m, {{1, 2}}, 3.0);
  const auto before = m.weights;
  l.update(m, {{1, 2}}, nan_d);
  CHECK(all_finite(m.weights));
  CHECK(m.weights == before);
  CHECK(l.rejected() == 1);
}

TEST_CASE("bad input / NaN-Inf: the softmax learner skips a row with a NaN feature",
          "[bad_input]") {
  // A NaN class is rejected and counted (multiclass_learn_test). Was: a NaN feature was
  // not screened and poisoned every class's weights. Now: rejected and counted too.
  using model_t = rill::multiclass_linear_model<2, 3, double>;
  model_t m{};
  rill::softmax_learner<> settings;
  settings.schedule.eta0 = 0.1;
  rill::softmax_learner<>::learner<model_t> l(settings);
  l.update(m, {{1, 0}}, 0.0);
  l.update(m, {{0, 1}}, 1.0);
  l.update(m, {{nan_d, 1}}, 2.0);
  l.update(m, {{1, 1}}, 2.0);
  for (std::size_t k = 0; k < 3; ++k) {
    INFO("class " << k);
    CHECK(all_finite(m.weights[k]));
    CHECK(std::isfinite(m.bias[k]));
  }
  CHECK(l.rejected() == 1);
}

TEST_CASE("bad input / NaN-Inf: the MLP learner skips a row with a NaN feature",
          "[bad_input]") {
  using net_t = rill::mlp<double, 2, rill::dense<4, rill::activation::tanh>,
                          rill::dense<1, rill::activation::identity>>;
  net_t net;
  rill::init_glorot_uniform(net, 11);
  rill::mlp_learner<rill::mlp_loss::squared> settings;
  settings.schedule.eta0 = 0.05;
  rill::mlp_learner<rill::mlp_loss::squared>::learner<net_t> l(settings);
  l.update(net, {{0.5, -0.5}}, 1.0);
  l.update(net, {{nan_d, 0.5}}, 1.0);
  l.update(net, {{0.5, 0.5}}, 0.0);
  CHECK(std::isfinite(net.predict({{0.1, 0.2}})));
  CHECK(l.rejected() == 1);
  l.update(net, {{0.5, 0.5}}, std::numeric_limits<double>::infinity());  // a bad target too
  CHECK(l.rejected() == 2);
  CHECK(std::isfinite(net.predict({{0.1, 0.2}})));
}

TEST_CASE("bad input / NaN-Inf: a rill.model file with a non-finite weight is refused",
          "[bad_input]") {
  const std::string good =
      R"({"format":"rill.model","format_version":1,"model":"linear","task":"regression",)"
      R"("n_features":2,"output":"identity","coef":[[0.5,-1]],"intercept":[0.25]})";
  CHECK(rill::parse_model_json(good, "m.json").n_features == 2);
  auto refused = [&](const std::string& weight) {
    std::string text = good;
    text.replace(text.find("-1]"), 2, weight);
    INFO(text);
    CHECK_THROWS_WITH(rill::parse_model_json(text, "m.json"),
                      Catch::Contains("m.json") && Catch::Contains("coef/0/1") &&
                          Catch::Contains("expected a finite number, got '" + weight + "'"));
  };
  refused("1e400");
  refused("NaN");
  refused("-Infinity");
}

TEST_CASE("bad input / NaN-Inf: ADWIN still detects a drift after a NaN value",
          "[bad_input]") {
  // `rill drift` reads "nan" as a number and feeds it to the detector. Was: the NaN
  // enters ADWIN's totals, every cut test compares with NaN and the detector never
  // fires again. Now: the value is not taken in (and counted), so the stream
  // behaves as the clean one.
  auto detections = [](bool with_nan) {
    rill::adwin a;
    std::uint64_t drifts = 0;
    for (int i = 0; i < 2000; ++i) {
      if (with_nan && i == 10) a.update(nan_d);
      a.update(i < 1000 ? 0.0 : 1.0);
      drifts += a.drift_detected();
    }
    return drifts;
  };
  REQUIRE(detections(false) >= 1);  // the control: a 0 -> 1 step is found
  CHECK(detections(true) == detections(false));
  // Every detector screens its input the same way, and counts.
  auto screened = [](auto d) {
    const auto s = d.update(std::numeric_limits<double>::infinity());
    return s == rill::drift_signal::none && d.non_finite() == 1;
  };
  CHECK(screened(rill::adwin{}));
  CHECK(screened(rill::ddm{}));
  CHECK(screened(rill::eddm{}));
  CHECK(screened(rill::hddm_a{}));
  CHECK(screened(rill::hddm_w{}));
  CHECK(screened(rill::kswin{}));
  CHECK(screened(rill::page_hinkley{}));
  CHECK(screened(rill::make_detector("adwin", {})));
}

// ------------------------------------------------------------------ wrong row width

TEST_CASE("bad input / wrong width: csv_reader::next with a buffer of another width",
          "[bad_input]") {
  const std::string text = "a,b,c\n1,2,3\n";
  rill::csv_reader r(text, "w.csv");
  std::vector<double> two(2), three(3);
  CHECK_THROWS_WITH(r.next(two), "rill::csv_reader::next: row buffer has 2 values, the file "
                                 "has 3 columns");
  REQUIRE(r.next(three));  // nothing was consumed by the refused call
  CHECK(three == std::vector<double>{1, 2, 3});
}

// ------------------------------------------------------------------ timestamps going backwards

TEST_CASE("bad input / backwards time: the pending buffer accounts for every entry",
          "[bad_input]") {
  // Expiry walks entries in arrival order: an entry whose time went backwards expires
  // once the entries before it have, not earlier; every entry is still accounted for.
  rill::pending_buffer<1> p(8, 100);
  auto entry = [](std::uint64_t id, std::int64_t t) {
    return rill::scored_event<1>{id, t, {{float(id)}}, 0.5f, 0};
  };
  p.remember(entry(1, 1000));
  p.remember(entry(2, 900));   // backwards, within the horizon
  p.remember(entry(3, 500));   // backwards, 500 behind the newest
  p.remember(entry(4, 1050));
  CHECK(p.counters().expired == 0);  // the head (t = 1000) is not expired yet
  auto hit = p.take(3);              // so id 3 still joins
  REQUIRE(hit.has_value());
  CHECK(hit->time_ns == 500);
  p.expire_before(1101);  // 1000 and 900 are now more than 100 behind
  CHECK(p.counters().expired == 2);
  CHECK_FALSE(p.take(1).has_value());
  CHECK_FALSE(p.take(2).has_value());
  const auto& c = p.counters();
  CHECK(c.unmatched == 2);
  CHECK(c.remembered == c.matched + c.expired + c.evicted + p.size());
  CHECK(p.size() == 1);  // id 4
}

TEST_CASE("bad input / backwards time: every_interval learns nothing until label time advances",
          "[bad_input]") {
  // Rows whose label time goes backwards are accumulated, not lost: they are applied
  // at the next step (time advanced by the interval) or by flush().
  using model_t = rill::linear_model<1, double, rill::link_function::identity>;
  model_t m{};
  auto stage = rill::learn(m, rill::sgd<rill::squared_loss>(0.1), rill::every_interval{100});
  auto sink = [](const auto&) noexcept {};
  auto row = [](std::int64_t label_t) {
    rill::labelled_event<1, double> e;
    e.x = {{1.0}};
    e.target = 1.0;
    e.label_time_ns = label_t;
    return e;
  };
  stage(row(50), sink);
  stage(row(-400), sink);  // backwards
  stage(row(20), sink);
  CHECK(m.version == 0);
  CHECK(stage.learner().pending_rows() == 3);
  stage(row(100), sink);  // 100 - 0 >= interval: one step over the four rows
  CHECK(m.version == 1);
  CHECK(stage.learner().pending_rows() == 0);
  // one step along the mean gradient of four identical rows (margin 0, target 1)
  CHECK(m.weights[0] == Approx(0.1));
  CHECK(m.bias == Approx(0.1));
}

TEST_CASE("bad input / extreme time: queue_source lateness does not overflow",
          "[bad_input]") {
  // latest − time_ns is computed in int64: an event at a garbage time far in the past
  // overflows it (undefined behaviour; in practice it wraps negative) and the event
  // is processed as on time. Now: counted late.
  using ev = rill::event<1>;
  rill::event_queue<ev, rill::queue_kind::spsc> q({.capacity = 8});
  auto p = q.make_producer();
  p.push(ev{1, 1'700'000'000'000'000'000, {}});
  p.push(ev{2, -9'000'000'000'000'000'000, {}});
  rill::queue_source<ev, rill::queue_kind::spsc> src(q, {.allowed_lateness_ns = 1'000'000'000});
  std::vector<std::uint64_t> seen;
  src.drain([&](const ev& e) noexcept { seen.push_back(e.id); });
  CHECK(seen == std::vector<std::uint64_t>{1});
  CHECK(q.counts().late == 1);
}

TEST_CASE("bad input / extreme time: the pending buffer's horizon does not overflow",
          "[bad_input]") {
  // now − time_ns is computed in int64 (undefined on overflow): an entry at a garbage
  // time far in the past is never expired. Now: expired.
  rill::pending_buffer<1> p(8, 1'000'000'000);
  p.remember({1, -9'000'000'000'000'000'000, {{1.0f}}, 0.5f, 0});
  p.expire_before(1'700'000'000'000'000'000);
  CHECK(p.counters().expired == 1);
  CHECK(p.size() == 0);
}

// ------------------------------------------------------------------ labels

TEST_CASE("bad input / labels: a label for an expired id is counted and not joined",
          "[bad_input]") {
  rill::pending_buffer<1> p(8, 100);
  rill::remember rem(p);
  rill::join j(p);
  auto drop = [](const auto&) noexcept {};
  rem(rill::scored_event<1>{7, 1000, {{1.0f}}, 0.25f, 0}, drop);
  rem(rill::scored_event<1>{8, 1050, {{2.0f}}, 0.75f, 0}, drop);
  std::vector<std::uint64_t> joined;
  auto collect = [&](const auto& e) noexcept { joined.push_back(e.id); };
  j(rill::label<float>{7, 1101, 1.0f}, collect);  // 101 ns after id 7: expired first
  j(rill::label<float>{8, 1120, 0.0f}, collect);  // 70 ns after id 8: joins
  j(rill::label<float>{8, 1130, 0.0f}, collect);  // duplicate of a joined id
  CHECK(joined == std::vector<std::uint64_t>{8});
  const auto& c = p.counters();
  CHECK(c.expired == 1);
  CHECK(c.matched == 1);
  CHECK(c.unmatched == 2);  // the expired id and the duplicate
  CHECK(c.remembered == c.matched + c.expired + c.evicted + p.size());
}

TEST_CASE("bad input / overflow: pending_buffer refuses impossible sizes by name", "[bad_input]") {
  // Validated before anything is allocated: a clear error, not bad_alloc.
  CHECK_THROWS_WITH(rill::pending_buffer<1>(0),
                    "rill::pending_buffer: capacity must be in [1, 2^30], got 0");
  CHECK_THROWS_WITH(rill::pending_buffer<1>(std::size_t{1} << 40),
                    "rill::pending_buffer: capacity must be in [1, 2^30], got 1099511627776");
  CHECK_THROWS_WITH(rill::pending_buffer<1>(8, 0),
                    "rill::pending_buffer: horizon_ns must be positive, got 0");
}

// ------------------------------------------------------------------ empty and header-only

TEST_CASE("bad input / empty: model loaders name the source of an empty file", "[bad_input]") {
  CHECK_THROWS_WITH(rill::parse_model_json("", "m.json"), Catch::Contains("m.json"));
  CHECK_THROWS_WITH(rill::parse_model_json("   \n", "m.json"), Catch::Contains("m.json"));
  CHECK_THROWS_WITH(rill::parse_lightgbm_text("", "model.txt"), Catch::Contains("model.txt"));
  CHECK_THROWS_WITH(rill::parse_tree_model("", "x.bin"),
                    Catch::Contains("x.bin") && Catch::Contains("unrecognised model format"));
  CHECK(rill::detect_model_format("") == rill::model_format::unknown);
}

TEST_CASE("bad input / empty: CSV files that are empty, blank or header only", "[bad_input]") {
  CHECK_THROWS_WITH(rill::read_csv(RILL_SOURCE_DIR "/tests/support/empty.csv"),
                    Catch::EndsWith("empty.csv:0: empty input: expected a header row"));
  CHECK_THROWS_WITH(rill::parse_csv("\n  \r\n\t\n", "blank.csv"),
                    "blank.csv:3: empty input: expected a header row");
  const auto t = rill::read_csv(RILL_SOURCE_DIR "/tests/support/header_only.csv");
  CHECK(t.rows() == 0);
  CHECK_FALSE(t.columns.empty());
  rill::csv_reader r(std::string_view("a,b\n\n\n"), "h.csv");
  std::vector<double> row(2);
  CHECK_FALSE(r.next(row));  // header only (blank lines after it): end of input, no error
  CHECK_THROWS_WITH(rill::parse_csv("\xEF\xBB\xBF\n", "bom.csv"),
                    Catch::Contains("bom.csv:1:1: empty column name"));
}

// ------------------------------------------------------------------ non-numeric CSV fields

TEST_CASE("bad input / non-numeric: what the CSV reader takes as a number", "[bad_input]") {
  const auto t = rill::parse_csv("a\ninf\n-Infinity\n1e400\n+2.5\n 7 \n", "n.csv");
  REQUIRE(t.rows() == 5);
  CHECK(t.row(0)[0] == inf_d);  // infinities are numbers: the window's nan_policy sees them
  CHECK(t.row(1)[0] == -inf_d);
  CHECK(t.row(2)[0] == inf_d);  // out of range saturates, as strtod
  CHECK(t.row(3)[0] == 2.5);
  CHECK(t.row(4)[0] == 7.0);
  for (const char* bad : {"0x10", "\"1\"", "1.5.2", "1,5", "--1", "+", "1e", "nan1"}) {
    INFO(bad);
    const std::string text = std::string("a,b\n") + bad + ",0\n";
    if (std::string(bad) == "1,5") {
      CHECK_THROWS_WITH(rill::parse_csv(text, "n.csv"), "n.csv:2: expected 2 fields, got more");
    } else {
      CHECK_THROWS_WITH(rill::parse_csv(text, "n.csv"),
                        "n.csv:2:1: column 'a': expected a number, got '" + std::string(bad) + "'");
    }
  }
}

TEST_CASE("bad input / non-numeric: an out-of-range number with trailing text is rejected",
          "[bad_input]") {
  // from_chars reports out-of-range for "1e400xyz" with ptr at "xyz"; the reader then
  // saturates with strtod and accepts the field without checking the rest, so the
  // row reads +Inf instead of failing.
  CHECK_THROWS_WITH(rill::parse_csv("a\n1e400xyz\n", "r.csv"),
                    "r.csv:2:1: column 'a': expected a number, got '1e400xyz'");
}

TEST_CASE("bad input / non-numeric: a field with two signs is rejected", "[bad_input]") {
  // The reader strips one leading '+' and from_chars accepts a '-' after it: "+-3"
  // reads as -3.
  CHECK_THROWS_WITH(rill::parse_csv("a\n+-3\n", "s.csv"),
                    "s.csv:2:1: column 'a': expected a number, got '+-3'");
}

TEST_CASE("bad input / NaN-Inf: the scikit-learn SGD learner skips a bad row", "[bad_input]") {
  // Was: a NaN feature or target went through std::clamp into every weight.
  using model_t = rill::linear_model<2, double, rill::link_function::identity>;
  using sk = rill::sklearn_sgd<rill::squared_loss, 2, double>;
  sk::settings st;
  st.schedule.which = rill::any_schedule::kind::constant;
  sk l(st);
  model_t m{};
  l.update(m, {{1, 2}}, 3.0);
  const auto before = m.weights;
  const auto bias = m.bias;
  CHECK(std::isnan(l.update(m, {{nan_d, 2}}, 3.0)));
  CHECK(std::isnan(l.update(m, {{1, 2}}, std::numeric_limits<double>::infinity())));
  CHECK(m.weights == before);
  CHECK(m.bias == bias);
  CHECK(l.rejected() == 2);
  CHECK(l.t() == 2);  // the schedule did not move
}

TEST_CASE("bad input / NaN-Inf: scalers pass a non-finite value through, never a silent 0",
          "[bad_input]") {
  // Even where the learnt spread is still 0 (the first row; a constant feature).
  rill::standard_scaler<2, double> st;
  rill::min_max_scaler<2, double> mm;
  rill::max_abs_scaler<2, double> ma;
  const rill::feature_row<double, 2> x{{nan_d, inf_d}};
  st.learn(x);
  mm.learn(x);
  ma.learn(x);
  for (const auto& out : {st.transform(x), mm.transform(x), ma.transform(x)}) {
    CHECK(std::isnan(out[0]));
    CHECK(out[1] == inf_d);
  }
  CHECK(st.transform({{1.0, 1.0}})[0] == 0.0);  // finite values still map as before
}
