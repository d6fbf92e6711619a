// Drift detectors: River's documented and unit-tested indices, the CPython
// sampler and scipy p-value behind KSWIN, parameter validation, reset
// semantics and the `detect` pass-through stage.
#include <bit>
#include <cmath>
#include <cstdint>
#include <fstream>
#include <random>
#include <sstream>
#include <stdexcept>
#include <string>
#include <vector>

#include "catch.hpp"
#include "rill/core/event.hpp"
#include "rill/core/pipeline.hpp"
#include "rill/detail/pow_half.hpp"
#include "rill/detail/rounded.hpp"
#include "rill/drift/adwin.hpp"
#include "rill/drift/ddm.hpp"
#include "rill/drift/detect.hpp"
#include "rill/drift/eddm.hpp"
#include "rill/drift/hddm_a.hpp"
#include "rill/drift/hddm_w.hpp"
#include "rill/drift/kswin.hpp"
#include "rill/drift/page_hinkley.hpp"
#include "rill/drift/registry.hpp"

namespace {

const std::string ref_dir = RILL_TEST_DATA_DIR;

std::vector<double> read_stream(const std::string& path) {
  std::ifstream f(path);
  REQUIRE(f.good());
  std::vector<double> xs;
  double v;
  while (f >> v) xs.push_back(v);
  return xs;
}

struct expected_case {
  std::string detector, params, stream;
  std::vector<std::string> lines;  // "drift I" / "warning I"
};

expected_case read_expected(const std::string& path) {
  std::ifstream f(path);
  REQUIRE(f.good());
  expected_case c;
  std::string line;
  const auto field = [&](const std::string& key) -> std::string* {
    if (key == "detector") return &c.detector;
    if (key == "params") return &c.params;
    if (key == "stream") return &c.stream;
    return nullptr;
  };
  while (std::getline(f, line)) {
    if (line.empty()) continue;
    if (line[0] == '#') {
      const auto colon = line.find(':');
      if (colon == std::string::npos) continue;
      std::string key = line.substr(1, colon - 1);
      key.erase(0, key.find_first_not_of(' '));
      if (std::string* dst = field(key)) {
        std::string v = line.substr(colon + 1);
        v.erase(0, v.find_first_not_of(' '));
        *dst = v;
      }
      continue;
    }
    c.lines.push_back(line);
  }
  return c;
}

// River's docstring loop: a warning line for the first warning after the start
// and after each drift; every drift. With `warnings` false, drifts only (River's
// unit tests' perform_test).
template <class D>
std::vector<std::string> run_detector(D& d, const std::vector<double>& xs, bool warnings) {
  std::vector<std::string> out;
  bool print_warning = true;
  for (std::size_t i = 0; i < xs.size(); ++i) {
    d.update(xs[i]);
    if (warnings && d.warning_detected() && print_warning) {
      out.push_back("warning " + std::to_string(i));
      print_warning = false;
    }
    if (d.drift_detected()) {
      out.push_back("drift " + std::to_string(i));
      print_warning = true;
    }
  }
  return out;
}

template <class D>
void check_reference(const std::string& name, D detector) {
  const auto c = read_expected(ref_dir + "/drift/" + name + ".expected.txt");
  const auto xs = read_stream(ref_dir + "/drift/" + name + ".stream.txt");
  REQUIRE(xs.size() == 2000);
  INFO("reference case " << name);
  CHECK(run_detector(detector, xs, true) == c.lines);
}

std::vector<std::string> split_params(const std::string& s) {
  std::istringstream in(s);
  std::vector<std::string> out;
  std::string kv;
  while (in >> kv) out.push_back(kv);
  return out;
}

}  // namespace

TEST_CASE("drift: River docstring cases give identical indices", "[drift][reference]") {
  check_reference("adwin", rill::adwin{});
  check_reference("ddm", rill::ddm{});
  check_reference("eddm", rill::eddm{{.warm_start = 30, .alpha = 0.8, .beta = 0.75}});
  check_reference("hddm_a", rill::hddm_a{});
  check_reference("hddm_w", rill::hddm_w{});
  rill::kswin_params k;
  k.alpha = 0.0001;
  k.seed = 42;
  check_reference("kswin", rill::kswin{k});
  check_reference("page_hinkley", rill::page_hinkley{});
}

TEST_CASE("drift: River unit-test cases give identical indices", "[drift][reference]") {
  const char* cases[] = {"adwin_ds1",
                         "adwin_multi",
                         "adwin_constant",
                         "ddm_ds2",
                         "ddm_ones",
                         "eddm_ds2",
                         "hddm_a_ds2",
                         "hddm_a_two_sided_ds3",
                         "hddm_w_ds2",
                         "hddm_w_two_sided_ds3",
                         "kswin_ds1",
                         "page_hinkley_up_ds3",
                         "page_hinkley_down_ds3",
                         "page_hinkley_both_ds3"};
  for (const char* name : cases) {
    const auto c = read_expected(ref_dir + "/drift_more/" + name + ".expected.txt");
    const auto xs = read_stream(ref_dir + "/drift_more/" + c.stream);
    INFO("case " << name << " (" << c.detector << " " << c.params << ")");
    REQUIRE(!xs.empty());
    auto d = rill::make_detector(c.detector, split_params(c.params));
    CHECK(run_detector(d, xs, false) == c.lines);
  }
}

TEST_CASE("drift: the reference streams are what the docstrings generate", "[drift]") {
  // River's docstrings: rng = random.Random(12345);
  // rng.choices([0, 1], k=1000) + rng.choices(range(4, 8), k=1000). choices draws
  // floor(random() * n); the first values are checked against our CPython MT.
  rill::detail::python_random rng(12345);
  const auto xs = read_stream(ref_dir + "/drift/adwin.stream.txt");
  for (std::size_t i = 0; i < 1000; ++i) REQUIRE(xs[i] == std::floor(rng.random() * 2.0));
  for (std::size_t i = 1000; i < 2000; ++i) REQUIRE(xs[i] == 4.0 + std::floor(rng.random() * 4.0));
}

TEST_CASE("drift: CPython random.Random is reproduced", "[drift][kswin]") {
  // Values printed by CPython 3.11: random.Random(42).random() and .sample(...).
  rill::detail::python_random r(42);
  CHECK(r.random() == 0.6394267984578837);

  const std::vector<std::uint32_t> want70 = {14, 3,  35, 31, 28, 17, 13, 43, 47, 57,
                                             34, 5,  37, 27, 2,  1,  58, 63, 69, 32,
                                             38, 54, 67, 12, 45, 41, 59, 26, 51, 65};
  rill::detail::python_random r2(42);
  std::vector<std::uint32_t> out(30), pool(70);
  std::vector<std::uint8_t> seen(70);
  r2.sample(70, out, pool, seen);  // pool method (70 <= setsize 277)
  CHECK(out == want70);

  // random.Random(12345678901234).sample(range(1000), 10): two-word seed, set method.
  const std::vector<std::uint32_t> want1000 = {25, 573, 148, 845, 436, 542, 414, 988, 735, 505};
  rill::detail::python_random r3(12345678901234ull);
  std::vector<std::uint32_t> out3(10), pool3;
  std::vector<std::uint8_t> seen3(1000);
  r3.sample(1000, out3, pool3, seen3);
  CHECK(out3 == want1000);
  for (auto s : seen3) CHECK(s == 0);  // scratch left clean for the next draw
}

TEST_CASE("drift: KS exact p-value matches the alternating binomial sum", "[drift][kswin]") {
  // 2·Σ_k (-1)^(k+1) C(2n, n-kh) / C(2n, n), evaluated in exact rationals.
  CHECK(rill::detail::ks_exact_equal_n(30, 6) == Approx(0.5940706297759377).epsilon(1e-12));
  CHECK(rill::detail::ks_exact_equal_n(30, 10) == Approx(0.07088798787114436).epsilon(1e-12));
  CHECK(rill::detail::ks_exact_equal_n(30, 15) == Approx(0.0008995776840176796).epsilon(1e-12));
  CHECK(rill::detail::ks_exact_equal_n(100, 20) == Approx(0.03638428787491731).epsilon(1e-12));
  CHECK(rill::detail::ks_exact_equal_n(100, 40) == Approx(1.555079037134569e-07).epsilon(1e-10));
  CHECK(rill::detail::ks_exact_equal_n(7, 3) == Approx(0.5751748251748252).epsilon(1e-12));
  CHECK(rill::detail::ks_exact_equal_n(30, 0) == 1.0);

  // The distance counts ties as scipy's searchsorted(side='right') does.
  const std::vector<double> a = {1, 1, 2, 3}, b = {1, 2, 2, 2};
  CHECK(rill::detail::ks_count_distance(a, b) == 1);
  const std::vector<double> c = {0, 0, 0, 0}, d = {5, 6, 7, 8};
  CHECK(rill::detail::ks_count_distance(c, d) == 4);
}

TEST_CASE("drift: EDDM's root is pow(x, 0.5) bit for bit, also next to a midpoint",
          "[drift][eddm]") {
  // pow is not correctly rounded: where the exact root lies next to a midpoint
  // between two doubles, pow and sqrt part (about 1 in 1500 of these arguments,
  // and 1 in 1000 of random bit patterns). pow_half must side with pow every time.
  const auto bits = [](double v) { return std::bit_cast<std::uint64_t>(v); };
  rill::detail::python_random rng(11);
  std::uint64_t parted = 0, checked = 0;
  const auto check = [&](double x) {
    const double want = std::pow(x, 0.5);
    parted += bits(want) != bits(std::sqrt(x));
    ++checked;
    if (bits(rill::detail::pow_half(x)) != bits(want)) {
      INFO("x = " << x << " (" << std::hexfloat << x << ")");
      CHECK(bits(rill::detail::pow_half(x)) == bits(want));
    }
  };
  for (int i = 0; i < 400000; ++i) {
    // r + ulp/2 squared, in long double, rounded: an argument whose root sits at a midpoint.
    const double r = std::ldexp(1.0 + rng.random(), static_cast<int>(rng.random() * 80) - 40);
    const long double mid = static_cast<long double>(r) + (std::nextafter(r, 4.0 * r) - r) / 2.0L;
    const double x = static_cast<double>(mid * mid);
    check(x);
    check(std::nextafter(x, 0.0));
    check(std::nextafter(x, 2.0 * x));
    // Random bit patterns: negatives, NaNs, infinities, subnormals.
    const auto u = static_cast<std::uint64_t>(rng.random() * 0x1p32) << 32 |
                   static_cast<std::uint64_t>(rng.random() * 0x1p32);
    check(std::bit_cast<double>(u));
  }
  for (double x : {0.0, -0.0, 1.0, 4.0, 0x1p-1074, 0x1p-900, 0x1p900, 1e308})
    check(x);
  INFO(parted << " of " << checked << " arguments where pow and sqrt part");
  CHECK(parted > 100);  // the test reaches the cases that matter
}

TEST_CASE("drift: a detector that flagged drift resets on its next update", "[drift]") {
  // River test_adwin_regression: test_reset_on_drift_detected.
  rill::adwin a({.clock = 1});
  for (int i = 0; i < 500; ++i) a.update(0.0);
  bool found = false;
  for (int i = 0; i < 500 && !found; ++i) found = a.update(100.0) == rill::drift_signal::drift;
  REQUIRE(found);
  REQUIRE(a.drift_detected());
  a.update(50.0);
  CHECK(a.width() == 1.0);
  CHECK(!a.drift_detected());

  rill::page_hinkley ph;
  int drifts = 0;
  for (int i = 0; i < 200; ++i)
    drifts += ph.update(i < 100 ? 0.0 : 10.0) == rill::drift_signal::drift;
  CHECK(drifts >= 1);
}

TEST_CASE("drift: ADWIN window statistics", "[drift][adwin]") {
  // River test_adwin_regression: width grows, total/estimation, Welford variance.
  rill::adwin a;
  for (int i = 1; i <= 100; ++i) {
    a.update(1.0);
    REQUIRE(a.width() == double(i));
  }
  rill::adwin b;
  for (double v : {1.0, 2.0, 3.0, 4.0, 5.0}) b.update(v);
  CHECK(b.total() == 15.0);
  CHECK(b.estimation() == 3.0);
  CHECK(b.variance() == Approx(10.0));

  rill::adwin c({.clock = 1000000});
  double sum = 0;
  std::vector<double> vals;
  for (int i = 0; i < 200; ++i) vals.push_back(double(i % 7)), sum += i % 7;
  for (double v : vals) c.update(v);
  double ss = 0;
  for (double v : vals) ss += (v - sum / 200) * (v - sum / 200);
  CHECK(c.width() == 200.0);
  CHECK(c.total() == Approx(sum));
  CHECK(c.variance() == Approx(ss).epsilon(1e-6));
  CHECK(c.rows() >= 5);  // 200 values in buckets of up to 2^5

  // grace_period: nothing is tested until the window holds more than it.
  rill::adwin g({.clock = 1, .grace_period = 100});
  int drifts = 0;
  for (int i = 0; i < 100; ++i)
    drifts += g.update(i < 50 ? 0.0 : 1000.0) == rill::drift_signal::drift;
  CHECK(drifts == 0);

  // A long stream stays within the preallocated rows.
  rill::detail::python_random rng(42);
  rill::adwin big;
  for (int i = 0; i < 100000; ++i) big.update(rng.random());
  CHECK(big.width() > 0);
  CHECK(big.estimation() > 0.0);
  CHECK(big.estimation() < 1.0);
  CHECK(big.rows() < rill::adwin::max_rows);
}

TEST_CASE("drift: ADWIN's division-free pre-test never hides a cut River makes", "[drift][adwin]") {
  // River's test at one cut point, as adwin.hpp evaluates it after the pre-test.
  auto river_cuts = [](double n0, double n1, double u0, double u1, double min_len, double var,
                       double delta_prime) {
    const double delta_mean = u0 / n0 - u1 / n1;
    const double m_recip = 1.0 / (n0 - min_len + 1.0) + 1.0 / (n1 - min_len + 1.0);
    const double epsilon = std::sqrt(2.0 * m_recip * var * delta_prime) +
                           rill::detail::rounded(2.0 / 3.0 * delta_prime * m_recip);
    return std::fabs(delta_mean) > epsilon;
  };
  std::mt19937_64 rng(7);
  std::uniform_real_distribution<double> unit(0.0, 1.0);
  std::normal_distribution<double> normal(0.0, 1.0);
  std::size_t skipped = 0, cuts = 0, hidden = 0, near = 0, near_skipped = 0;
  for (int i = 0; i < 2000000; ++i) {
    const double min_len = double(1 + rng() % 10);
    const double n0 = min_len + double(rng() % (std::uint64_t(1) << (1 + rng() % 40)));
    const double n1 = min_len + double(rng() % (std::uint64_t(1) << (1 + rng() % 40)));
    const double delta = std::pow(10.0, -6.0 * unit(rng));
    const double delta_prime = std::log(2.0 * std::log(n0 + n1) / delta);
    const double scale = std::pow(10.0, 300.0 * unit(rng) - 150.0);
    const int kind = int(rng() % 8);
    double var = scale * scale * unit(rng);
    if (kind == 0) var = 0.0;
    if (kind == 1) var = -scale * scale * 1e-17;  // a window variance rounded below 0
    const double mu1 = scale * normal(rng);
    // Aim the gap between the two means at the bound, within 1e-15 .. 1e-1 of it on
    // either side, or anywhere.
    const double m_recip = 1.0 / (n0 - min_len + 1.0) + 1.0 / (n1 - min_len + 1.0);
    const double bound = std::sqrt(std::max(0.0, 2.0 * m_recip * var * delta_prime)) +
                         2.0 / 3.0 * delta_prime * m_recip;
    const double r = (rng() % 2 ? 1.0 : -1.0) * std::pow(10.0, -15.0 + 14.0 * unit(rng));
    const double gap =
        kind < 6 ? bound * (1.0 + r) * (rng() % 2 ? 1.0 : -1.0) : scale * normal(rng);
    const double u1 = n1 * mu1, u0 = n0 * (mu1 + gap);
    const bool cut = river_cuts(n0, n1, u0, u1, min_len, var, delta_prime);
    const bool skip = rill::detail::adwin_no_cut(n0, n1, u0, u1, min_len, 2.0 * var * delta_prime);
    skipped += skip;
    cuts += cut;
    hidden += skip && cut;
    if (kind < 6 && std::fabs(r) < 1e-6) {
      ++near;
      near_skipped += skip;
    }
  }
  CHECK(hidden == 0);
  // Not vacuous: both outcomes are common, and the pre-test also decides some cut
  // points within a millionth of the bound.
  CHECK(skipped > 200000);
  CHECK(cuts > 200000);
  CHECK(near > 100000);
  CHECK(near_skipped > 1000);
}

TEST_CASE("drift: parameters are validated with a clear message", "[drift][params]") {
  using Catch::Matchers::Contains;
  CHECK_THROWS_WITH(rill::adwin({.delta = 0.0}), Contains("delta") && Contains("(0, 1)"));
  CHECK_THROWS_WITH(rill::adwin({.clock = 0}), Contains("clock"));
  CHECK_THROWS_WITH(rill::adwin({.max_buckets = 0}), Contains("max_buckets"));
  CHECK_THROWS_WITH(rill::adwin({.min_window_length = 0}), Contains("min_window_length"));
  CHECK_THROWS_WITH(rill::adwin({.grace_period = -1}), Contains("grace_period"));
  CHECK_THROWS_WITH(rill::ddm({.warm_start = -1}), Contains("warm_start"));
  CHECK_THROWS_WITH(rill::ddm({.warning_threshold = 0.0}), Contains("warning_threshold"));
  CHECK_THROWS_WITH(rill::eddm({.alpha = 0.5, .beta = 0.9}),
                    Contains("alpha must be greater or equal to beta"));
  CHECK_THROWS_WITH(rill::hddm_a({.drift_confidence = 1.5}), Contains("drift_confidence"));
  CHECK_THROWS_WITH(rill::hddm_w({.lambda_val = 0.0}), Contains("lambda_val"));
  CHECK_THROWS_WITH(rill::page_hinkley({.alpha = 1.5}), Contains("alpha"));
  CHECK_THROWS_WITH(rill::page_hinkley({.min_instances = 0}), Contains("min_instances"));
  // River's own KSWIN checks (test_kswin_coverage) and the sample-size rule.
  rill::kswin_params k;
  k.alpha = -0.1;
  CHECK_THROWS_WITH(rill::kswin(k), Contains("alpha"));
  k.alpha = 1.1;
  CHECK_THROWS_AS(rill::kswin(k), std::invalid_argument);
  k = {};
  k.window_size = -10;
  CHECK_THROWS_AS(rill::kswin(k), std::invalid_argument);
  k = {};
  k.window_size = 10;
  k.stat_size = 30;
  CHECK_THROWS_WITH(rill::kswin(k), Contains("stat_size must be smaller than window_size"));
  k = {};
  k.window_size = 50;
  k.stat_size = 30;
  CHECK_THROWS_WITH(rill::kswin(k), Contains("window_size - stat_size"));
}

TEST_CASE("drift: the registry builds detectors by name with River's keys", "[drift][params]") {
  using Catch::Matchers::Contains;
  using v = std::vector<std::string>;
  CHECK_THROWS_WITH(rill::make_detector("adwinn", v{}), Contains("unknown drift detector"));
  CHECK_THROWS_WITH(rill::make_detector("adwin", v{"deltaa=0.1"}),
                    Contains("unknown parameter 'deltaa'") && Contains("grace_period"));
  CHECK_THROWS_WITH(rill::make_detector("adwin", v{"delta"}), Contains("KEY=VALUE"));
  CHECK_THROWS_WITH(rill::make_detector("adwin", v{"clock=1.5"}), Contains("expected an integer"));
  CHECK_THROWS_WITH(rill::make_detector("adwin", v{"delta=abc"}), Contains("expected a number"));
  CHECK_THROWS_WITH(rill::make_detector("adwin", v{"clock=2", "clock=3"}), Contains("given twice"));
  CHECK_THROWS_WITH(rill::make_detector("hddm_a", v{"two_sided_test=yes"}),
                    Contains("true or false"));
  CHECK_THROWS_WITH(rill::make_detector("page_hinkley", v{"mode=sideways"}),
                    Contains("up, down or both"));
  CHECK_THROWS_WITH(rill::make_detector("eddm", v{"alpha=0.5"}), Contains("beta"));

  auto a = rill::make_detector("adwin", v{"delta=0.01", "clock=1"});
  REQUIRE(std::holds_alternative<rill::adwin>(a.get()));
  CHECK(std::get<rill::adwin>(a.get()).params().delta == 0.01);
  CHECK(std::get<rill::adwin>(a.get()).params().clock == 1);
  auto k = rill::make_detector("kswin", v{"seed=-7", "window=1,2,3"});
  CHECK(std::get<rill::kswin>(k.get()).seed() == 7u);  // CPython seeds with |seed|
  auto ph = rill::make_detector("page_hinkley", v{"mode=down", "threshold=10"});
  CHECK(std::get<rill::page_hinkley>(ph.get()).params().mode == rill::ph_mode::down);
}

TEST_CASE("drift: KSWIN's initial window and reseeding follow River", "[drift][kswin]") {
  // With `window` prefilled to window_size values, the first update already tests.
  rill::kswin_params p;
  p.seed = 1;
  p.window_size = 60;
  p.stat_size = 30;
  for (int i = 0; i < 59; ++i) p.window.push_back(i < 30 ? 0.0 : 1.0);
  rill::kswin k(p);
  CHECK(k.update(1.0) == rill::drift_signal::drift);  // all-0 sample vs all-1 newest
  CHECK(k.ks_statistic() == 1.0);
  CHECK(k.p_value() < 1e-10);
  // After a drift the next update starts an empty window: no test for 59 updates.
  for (int i = 0; i < 59; ++i) CHECK(k.update(0.0) == rill::drift_signal::none);
  CHECK(k.p_value() == 0.0);

  // Same seed, same stream: same decisions and p-values (the sampler is re-seeded on reset).
  rill::kswin_params q;
  q.seed = 3;
  rill::kswin k1(q), k2(q);
  rill::detail::python_random rng(9);
  for (int i = 0; i < 3000; ++i) {
    const double x = rng.random() + (i > 1500 ? 0.5 : 0.0);
    REQUIRE(k1.update(x) == k2.update(x));
    REQUIRE(k1.p_value() == k2.p_value());
  }
}

TEST_CASE("drift: warning zones of the binary detectors", "[drift]") {
  // DDM: error rate 0.1 then 0.5 enters the warning zone before drifting
  // (noise may also warn or drift earlier; only what follows the change is looked at).
  rill::ddm d;
  rill::detail::python_random rng(5);
  int first_warning = -1, first_drift = -1;
  for (int i = 0; i < 3000 && first_drift < 0; ++i) {
    const double x = rng.random() < (i < 1000 ? 0.1 : 0.5) ? 1.0 : 0.0;
    const auto s = d.update(x);
    if (s == rill::drift_signal::warning && first_warning < 0 && i >= 1000) first_warning = i;
    if (s == rill::drift_signal::drift && i >= 1000) first_drift = i;
  }
  REQUIRE(first_warning >= 1000);      // the zone is entered after the change...
  CHECK(first_drift > first_warning);  // ...and before the drift is confirmed
  CHECK(!d.warning_detected());        // a drift clears the warning flag
}

TEST_CASE("drift: detect stage passes inputs through and reports drifts", "[drift][stage]") {
  using ev = rill::label<float>;
  struct recorder {
    std::vector<rill::drift_event>* out;
    void operator()(const rill::drift_event& e) const noexcept { out->push_back(e); }
  };
  std::vector<rill::drift_event> events;
  events.reserve(16);
  auto stage = rill::detect(
      rill::page_hinkley{{.threshold = 20.0}}, [](const ev& l) noexcept { return l.target; },
      recorder{&events});
  std::vector<ev> passed;
  auto sink = [&](const ev& l) noexcept { passed.push_back(l); };
  for (int i = 0; i < 400; ++i) {
    ev l;
    l.id = static_cast<std::uint64_t>(i);
    l.time_ns = 1000 * i;
    l.target = i < 200 ? 0.0f : 5.0f;
    stage(l, sink);
  }
  REQUIRE(passed.size() == 400);
  CHECK(passed[399].id == 399);
  CHECK(stage.seen() == 400);
  REQUIRE(stage.drifts() >= 1);
  REQUIRE(events.size() == stage.drifts());
  CHECK(events[0].index >= 200);
  CHECK(events[0].time_ns == 1000 * static_cast<std::int64_t>(events[0].index));
  CHECK(events[0].statistic > 20.0);

  // Same detector run by hand agrees on where.
  rill::page_hinkley ph({.threshold = 20.0});
  std::uint64_t first = 0;
  for (std::uint64_t i = 0; i < 400; ++i)
    if (ph.update(i < 200 ? 0.0 : 5.0) == rill::drift_signal::drift) {
      first = i;
      break;
    }
  CHECK(events[0].index == first);

  // Composes in a pipeline with a runtime-chosen detector; pointer-to-member projection.
  auto pipe = rill::pipeline_of<ev>(
      rill::detect(rill::make_detector("adwin", std::vector<std::string>{}), &ev::target));
  std::size_t n = 0;
  for (int i = 0; i < 10; ++i) pipe(ev{0, 0, 1.0f}, [&](const ev&) noexcept { ++n; });
  CHECK(n == 10);
}
