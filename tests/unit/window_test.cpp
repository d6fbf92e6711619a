// Feature windows: River's reference cases to its printed digits, randomised
// comparisons with naive recomputation, policies and their counters, numerics.
#include <algorithm>
#include <array>
#include <cmath>
#include <cstdint>
#include <cstring>
#include <fstream>
#include <limits>
#include <map>
#include <random>
#include <sstream>
#include <string>
#include <vector>

#include "catch.hpp"
#include "emit_into_check.hpp"
#include "rill/core/pipeline.hpp"
#include "rill/window/assemble.hpp"
#include "rill/window/ewm.hpp"
#include "rill/window/lag.hpp"
#include "rill/window/rolling.hpp"
#include "rill/window/scaler.hpp"
#include "rill/window/standard_scaler.hpp"

namespace {

// ---------------------------------------------------------------- reference
// cases

struct stats_case {
  std::string name, params;
  std::vector<double> inputs;
  std::vector<std::string> printed;
};

std::vector<std::string> split_ws(const std::string &s) {
  std::istringstream in(s);
  std::vector<std::string> out;
  for (std::string w; in >> w;) out.push_back(w);
  return out;
}

std::string trim(const std::string &s) {
  const auto a = s.find_first_not_of(" \t");
  const auto b = s.find_last_not_of(" \t\r");
  return a == std::string::npos ? std::string{} : s.substr(a, b - a + 1);
}

std::vector<stats_case> load_stats_cases() {
  std::ifstream f(RILL_TEST_DATA_DIR "/online/stats_cases.txt");
  REQUIRE(f.good());
  std::vector<stats_case> cases;
  for (std::string line; std::getline(f, line);) {
    if (line.empty() || line[0] == '#') continue;
    std::vector<std::string> fields;
    std::istringstream in(line);
    for (std::string part; std::getline(in, part, '|');) fields.push_back(trim(part));
    REQUIRE(fields.size() >= 4);
    stats_case c{fields[0], fields[1], {}, split_ws(fields[3])};
    for (const auto &w : split_ws(fields[2])) c.inputs.push_back(std::stod(w));
    REQUIRE(c.inputs.size() == c.printed.size());
    cases.push_back(c);
  }
  return cases;
}

int param_of(const std::string &params, const std::string &key) {
  const auto at = params.find(key + "=");
  REQUIRE(at != std::string::npos);
  return std::stoi(params.substr(at + key.size() + 1));
}

// River prints exact Python reprs of dyadic values ("9.4296875", "4.5") or
// rounded/truncated decimals ("2.916666", "12.56666"). A dyadic print (an
// integer multiple of 2^-20) must match to 1e-12; any other to one unit of its
// last digit.
void check_printed(double got, const std::string &printed) {
  const double want = std::stod(printed);
  const auto dot = printed.find('.');
  const std::size_t decimals = dot == std::string::npos ? 0 : printed.size() - dot - 1;
  const bool dyadic = std::ldexp(want, 20) == std::round(std::ldexp(want, 20));
  const double tol =
      dyadic ? 1e-12 * std::max(1.0, std::abs(want)) : std::pow(10.0, -double(decimals));
  INFO("printed " << printed << " got " << got);
  CHECK(std::abs(got - want) <= tol);
}

template <std::size_t N, rill::stat S>
std::vector<double> run_rolling(const std::vector<double> &xs, rill::stat which, unsigned ddof = 1,
                                bool absolute = false) {
  rill::rolling<1, N, S, double> w(ddof);
  std::vector<double> out;
  for (double x : xs) {
    w.push(rill::feature_row<double, 1>{{absolute ? std::abs(x) : x}});
    if constexpr (has(S, rill::stat::mean) || has(S, rill::stat::variance)) {
      if (which == rill::stat::mean) out.push_back(w.mean(0));
      if (which == rill::stat::variance) out.push_back(w.variance(0));
    }
    if constexpr (has(S, rill::stat::max)) {
      if (which == rill::stat::max) out.push_back(w.max(0));
    }
    if constexpr (has(S, rill::stat::min)) {
      if (which == rill::stat::min) out.push_back(w.min(0));
    }
  }
  return out;
}

}  // namespace

TEST_CASE("River's statistics docstring cases, to its printed digits", "[window][reference]") {
  using rill::stat;
  const auto cases = load_stats_cases();
  REQUIRE(cases.size() == 13);
  std::size_t checked = 0;
  for (const auto &c : cases) {
    INFO(c.name << " | " << c.params);
    std::vector<double> got;
    // Unbounded River statistics over these short inputs equal a window longer
    // than the input.
    if (c.name == "Mean") got = run_rolling<64, stat::mean>(c.inputs, stat::mean);
    if (c.name == "Var")
      got = run_rolling<64, stat::variance>(c.inputs, stat::variance, param_of(c.params, "ddof"));
    if (c.name == "Max") got = run_rolling<64, stat::max>(c.inputs, stat::max);
    if (c.name == "AbsMax") got = run_rolling<64, stat::max>(c.inputs, stat::max, 1, true);
    if (c.name == "RollingMean") {
      got = param_of(c.params, "window_size") == 2
                ? run_rolling<2, stat::mean>(c.inputs, stat::mean)
                : run_rolling<3, stat::mean>(c.inputs, stat::mean);
    }
    if (c.name == "RollingVar") {
      const unsigned ddof = param_of(c.params, "ddof");
      got = param_of(c.params, "window_size") == 2
                ? run_rolling<2, stat::variance>(c.inputs, stat::variance, ddof)
                : run_rolling<3, stat::variance>(c.inputs, stat::variance, ddof);
    }
    if (c.name == "RollingMax") {
      REQUIRE(param_of(c.params, "window_size") == 2);
      got = run_rolling<2, stat::max>(c.inputs, stat::max);
    }
    if (c.name == "RollingAbsMax") {
      REQUIRE(param_of(c.params, "window_size") == 2);
      got = run_rolling<2, stat::max>(c.inputs, stat::max, 1, true);
    }
    if (c.name == "RollingMin") {
      REQUIRE(param_of(c.params, "window_size") == 2);
      got = run_rolling<2, stat::min>(c.inputs, stat::min);
    }
    if (c.name == "EWMean" || c.name == "EWVar") {
      const double f = std::stod(c.params.substr(c.params.find('=') + 1));
      auto e = rill::ewm<1, stat::mean | stat::variance, double>::fading(f);
      for (double x : c.inputs) {
        e.push(rill::feature_row<double, 1>{{x}});
        got.push_back(c.name == "EWMean" ? e.mean(0) : e.variance(0));
      }
    }
    REQUIRE(got.size() == c.printed.size());
    for (std::size_t i = 0; i < got.size(); ++i) check_printed(got[i], c.printed[i]);
    ++checked;
  }
  CHECK(checked == cases.size());
}

// ---------------------------------------------------------------- randomised
// vs naive

namespace {

// Naive recomputation over a std::vector copy of the window, in long double.
struct naive_window {
  std::vector<std::vector<double>> rows;
  std::size_t n = 0;
  double sum(std::size_t i) const {
    long double s = 0;
    for (const auto &r : rows) s += r[i];
    return double(s);
  }
  long double mean_ld(std::size_t i) const {
    long double s = 0;
    for (const auto &r : rows) s += r[i];
    return s / rows.size();
  }
  double mean(std::size_t i) const { return double(mean_ld(i)); }
  double var(std::size_t i, unsigned ddof) const {
    if (rows.size() <= ddof) return 0;
    const long double m = mean_ld(i);
    long double s = 0;
    for (const auto &r : rows) s += (r[i] - m) * (r[i] - m);
    return double(s / (rows.size() - ddof));
  }
  double min(std::size_t i) const {
    double m = rows[0][i];
    for (const auto &r : rows) m = std::min(m, r[i]);
    return m;
  }
  double max(std::size_t i) const {
    double m = rows[0][i];
    for (const auto &r : rows) m = std::max(m, r[i]);
    return m;
  }
};

// Every statistic of rolling<D, N> against naive_window on random rows whose
// offset (|offset| <= 1e4) and scale (1e-3..1e3) jump every 5000 events.
// Tolerance, with u = 1e-13 (~450 ulps of double): relative 1e-9 plus an
// absolute term that follows the conditioning of shifted sums — sum:
// u·N·(|offset| + 10·scale), mean: u·(|offset| + 10·scale), variance:
// u·N·(scale² + jump²) where the jump term applies for 3N events after a regime
// change (the centre sits on the old level, or between levels, until a block
// that began after the change is rebuilt), stddev: the square root of that,
// z-score: |z|·(variance term / variance). count, min and max must be exact.
// `Extremes`: with min and max the block sums are taken in the extremes' backward
// pass, without them every push accumulates them; both paths are checked.
template <std::size_t D, std::size_t N, bool Extremes = true>
void compare_with_naive(std::uint64_t seed, std::size_t events) {
  using rill::stat;
  constexpr stat moments =
      stat::count | stat::sum | stat::mean | stat::variance | stat::stddev | stat::zscore;
  constexpr stat all = Extremes ? moments | stat::min | stat::max : moments;
  std::mt19937_64 rng(seed);
  const unsigned ddof = rng() % 2;
  rill::rolling<D, N, all, double> w(ddof);
  naive_window ref;
  std::normal_distribution<double> g(0, 1);
  double offset = 0, scale = 1, jump = 0;
  std::size_t since_change = 0;
  std::size_t bad = 0;
  std::string first_failure;
  for (std::size_t t = 0; t < events; ++t) {
    if (t % 5000 == 0) {  // a new regime: offsets up to 1e4, scales 1e-3..1e3
      const double next = std::uniform_real_distribution<double>(-1e4, 1e4)(rng);
      jump = std::abs(next - offset) + 10 * scale;
      offset = next;
      scale = std::pow(10.0, std::uniform_real_distribution<double>(-3, 3)(rng));
      since_change = 0;
    }
    ++since_change;
    rill::event<D, double> e{t, std::int64_t(t), {}};
    std::vector<double> r(D);
    for (std::size_t i = 0; i < D; ++i) r[i] = e.x[i] = offset + scale * g(rng);
    ref.rows.push_back(r);
    if (ref.rows.size() > N) ref.rows.erase(ref.rows.begin());
    rill::feature_row<double, decltype(w)::output_width> got{};
    w(e, [&](const auto &out) noexcept { got = out.x; });
    // Only check a sample of the events in full (the naive side is O(N·D)).
    if (t % 7 != 0 && t + 1 != events) continue;
    std::size_t col = 0;
    bad += got[col++] != double(ref.rows.size());
    auto close = [&](double a, double b, double extra) {
      const bool ok = std::abs(a - b) <= 1e-9 * std::abs(b) + extra;
      if (!ok && first_failure.empty()) {
        std::ostringstream m;
        m.precision(17);
        m << "t=" << t << " col=" << col << " got " << a << " want " << b;
        first_failure = m.str();
      }
      return ok;
    };
    constexpr double u = 1e-13;
    const double level = std::abs(offset) + 10 * scale;
    const double var_extra =
        u * double(N) * (scale * scale + (since_change <= 3 * N + 1 ? jump * jump : 0.0));
    for (std::size_t i = 0; i < D; ++i)
      bad += !close(got[col + i], ref.sum(i), u * double(N) * level);
    col += D;
    for (std::size_t i = 0; i < D; ++i) bad += !close(got[col + i], ref.mean(i), u * level);
    col += D;
    for (std::size_t i = 0; i < D; ++i) bad += !close(got[col + i], ref.var(i, ddof), var_extra);
    col += D;
    for (std::size_t i = 0; i < D; ++i) {
      bad += !close(got[col + i], std::sqrt(ref.var(i, ddof)), std::sqrt(var_extra));
    }
    col += D;
    if constexpr (Extremes) {
      for (std::size_t i = 0; i < D; ++i)
        bad += !close(got[col + i], ref.min(i), 0) || got[col + i] != ref.min(i);
      col += D;
      for (std::size_t i = 0; i < D; ++i)
        bad += !close(got[col + i], ref.max(i), 0) || got[col + i] != ref.max(i);
      col += D;
    }
    for (std::size_t i = 0; i < D; ++i) {
      const double v = ref.var(i, ddof);
      if (v <= var_extra)
        continue;  // z of a window with no spread is conditioned on rounding
                   // only
      const double z = double((r[i] - ref.mean_ld(i)) / std::sqrt(v));
      bad += !close(got[col + i], z, 1e-9 + std::abs(z) * var_extra / v);
    }
  }
  INFO("D=" << D << " N=" << N << " seed=" << seed << " ddof=" << ddof << " " << first_failure);
  CHECK(bad == 0);
}

}  // namespace

TEST_CASE("rolling statistics equal a naive recomputation over 1e5 events", "[window][random]") {
  std::random_device rd;
  const std::uint64_t seed = rd();
  // Capacities: a spread of compile-time N, run in an order drawn from the
  // seed.
  compare_with_naive<1, 1>(seed, 20000);
  compare_with_naive<3, 2>(seed + 1, 20000);
  compare_with_naive<5, 7>(seed + 2, 20000);
  compare_with_naive<16, 64>(seed + 3, 20000);
  compare_with_naive<2, 100>(seed + 4, 20000);
  compare_with_naive<16, 64, false>(seed + 5, 20000);
  compare_with_naive<5, 7, false>(seed + 6, 20000);
  // The backward pass steps four rows at a time: N = 5 takes only the remainder loop,
  // N = 6 one step of four and no remainder.
  compare_with_naive<3, 5>(seed + 7, 20000);
  compare_with_naive<4, 6>(seed + 8, 20000);
}

// ---------------------------------------------------------------- numerics

TEST_CASE(
    "rolling sums recover after a huge value leaves; a naive running sum "
    "never does",
    "[window][stability]") {
  // 1e17 enters a window of 8 unit-scale values and leaves again. A naive
  // running sum (s += new - old) absorbs the small values while 1e17 is inside
  // and keeps that error forever; the rebuilt sums are exact again within 3N
  // pushes.
  constexpr std::size_t N = 8;
  rill::rolling<1, N, rill::stat::sum | rill::stat::variance, double> w(0);
  std::vector<double> ring(N, 0.0);
  double naive = 0;
  std::mt19937_64 rng(7);
  std::uniform_real_distribution<double> u(0, 1);
  for (std::size_t t = 0; t < 10 * N; ++t) {
    const double x = t == N ? 1e17 : u(rng);
    naive += x - ring[t % N];
    ring[t % N] = x;
    w.push(rill::feature_row<double, 1>{{x}});
  }
  long double exact = 0;
  for (double v : ring) exact += v;
  CHECK(std::abs(naive - double(exact)) > 1.0);           // the naive sum is off for good
  CHECK(std::abs(w.sum(0) - double(exact)) < 1e-14 * N);  // ours is exact again
  long double m2 = 0;
  for (double v : ring) m2 += (v - exact / N) * (v - exact / N);
  CHECK(std::abs(w.variance(0) - double(m2 / N)) < 1e-14);
}

TEST_CASE(
    "float accumulators stay within block rounding over 1e6 updates, "
    "unlike a naive sum",
    "[window][stability]") {
  // The 1e9 argument at 1e6: error is bounded by what 3N updates can add, so it
  // does not grow with the stream; a naive float running sum random-walks away.
  constexpr std::size_t N = 64;
  rill::rolling<1, N, rill::stat::sum, float, float> w;
  std::vector<float> ring(N, 0.0f);
  float naive = 0;
  std::mt19937 rng(3);
  std::uniform_real_distribution<float> u(1000.0f, 1001.0f);
  double worst = 0;
  for (std::size_t t = 0; t < 1000000; ++t) {
    const float x = u(rng);
    naive += x - ring[t % N];
    ring[t % N] = x;
    w.push(rill::feature_row<float, 1>{{x}});
    if (t % 4096 == 4095) {
      double exact = 0;
      for (float v : ring) exact += v;
      worst = std::max(worst, std::abs(double(w.sum(0)) - exact) / exact);
    }
  }
  double exact = 0;
  for (float v : ring) exact += v;
  const double naive_rel = std::abs(double(naive) - exact) / exact;
  INFO("rolling worst relative error " << worst << ", naive final " << naive_rel);
  CHECK(worst < 64 * 3 * 6e-8);  // 3N float roundings at most
  CHECK(naive_rel > 10 * worst);
}

// ---------------------------------------------------------------- policies

TEST_CASE(
    "NaN policies: skip, replace and propagate are counted and behave as "
    "documented",
    "[window][nan]") {
  using rill::stat;
  const double nan = std::numeric_limits<double>::quiet_NaN();
  const double inf = std::numeric_limits<double>::infinity();
  using W = rill::rolling<2, 4, stat::count | stat::mean | stat::max, double>;
  auto feed = [](W &w, std::vector<std::array<double, 2>> rows) {
    std::size_t emitted = 0;
    for (auto r : rows) {
      w(rill::event<2, double>{0, 0, {{r[0], r[1]}}}, [&](const auto &) noexcept { ++emitted; });
    }
    return emitted;
  };
  SECTION("skip") {
    W w(1, rill::nan_policy::skip);
    CHECK(feed(w, {{1, 2}, {nan, 3}, {inf, -inf}, {3, 4}}) == 2);
    CHECK(w.count() == 2);
    CHECK(w.mean(0) == 2.0);
    CHECK(w.counters().nonfinite == 3);
    CHECK(w.counters().skipped_rows == 2);
  }
  SECTION("replace") {
    W w(1, rill::nan_policy::replace, -1.0);
    CHECK(feed(w, {{1, 2}, {nan, 3}, {3, 4}}) == 3);
    CHECK(w.mean(0) == 1.0);  // (1 - 1 + 3) / 3
    CHECK(w.max(1) == 4.0);
    CHECK(w.counters().nonfinite == 1);
    CHECK(w.counters().skipped_rows == 0);
  }
  SECTION("propagate, then recover within 2N after the value left") {
    W w(1, rill::nan_policy::propagate);
    feed(w, {{1, 2}, {nan, 3}});
    CHECK(std::isnan(w.mean(0)));
    CHECK(w.mean(1) == 2.5);  // other features are unaffected
    for (int i = 0; i < 8; ++i) feed(w, {{5, 5}});
    CHECK(w.mean(0) == 5.0);
    CHECK(w.max(0) == 5.0);
    CHECK(w.counters().nonfinite == 1);
  }
  SECTION("propagate: a non-finite first row does not poison the window for good") {
    W w(1, rill::nan_policy::propagate);
    feed(w, {{nan, 1}});
    CHECK(std::isnan(w.mean(0)));
    for (int i = 0; i < 40; ++i) feed(w, {{5, 5}});
    CHECK(w.mean(0) == 5.0);
    CHECK(w.variance(0) == Approx(0.0).margin(1e-12));
  }
}

TEST_CASE(
    "a row that needs no conversion is screened in place: a non-finite value in any "
    "lane is still found and counted",
    "[window][nan]") {
  using rill::stat;
  // D a whole number of registers and T = Acc: the window reads the caller's row
  // directly when it is finite, and copies it only to apply a policy.
  constexpr std::size_t D = 16;
  using W = rill::rolling<D, 4, stat::mean | stat::min | stat::max, float, float>;
  const float bad[] = {std::numeric_limits<float>::quiet_NaN(),
                       std::numeric_limits<float>::infinity(),
                       -std::numeric_limits<float>::infinity()};
  for (std::size_t lane = 0; lane < D; ++lane) {
    INFO("lane " << lane);
    rill::feature_row<float, D> x{};
    for (std::size_t i = 0; i < D; ++i) x[i] = float(i);
    W skip(1, rill::nan_policy::skip), replace(1, rill::nan_policy::replace, -7.0f);
    auto e = rill::ewm<D, stat::mean, float, float>::fading(0.5, rill::nan_policy::skip);
    CHECK(skip.push(x));
    CHECK(e.push(x));
    x[lane] = bad[lane % 3];
    CHECK_FALSE(skip.push(x));
    CHECK_FALSE(e.push(x));
    CHECK(skip.counters().nonfinite == 1);
    CHECK(skip.counters().skipped_rows == 1);
    CHECK(e.counters().skipped_rows == 1);
    CHECK(skip.count() == 1);
    CHECK(replace.push(x));
    CHECK(replace.counters().nonfinite == 1);
    CHECK(replace.min(lane) == -7.0f);
    CHECK(replace.mean(lane) == -7.0f);
    // The caller's row is not changed by the policy.
    CHECK_FALSE(std::isfinite(x[lane]));
  }
}

TEST_CASE("an empty window reports zeros, for any capacity", "[window]") {
  using rill::stat;
  constexpr stat all = stat::count | stat::sum | stat::mean | stat::variance | stat::stddev |
                       stat::min | stat::max | stat::zscore;
  auto check_empty = [](auto &w) {
    const auto row = w.row();
    for (float v : row) CHECK(v == 0.0f);
    for (std::size_t i = 0; i < 3; ++i) {
      CHECK(w.min(i) == 0.0);
      CHECK(w.max(i) == 0.0);
    }
  };
  auto exercise = [&](auto w) {
    check_empty(w);
    rill::feature_row<float, 3> x{{-1.0f, 2.0f, 5.0f}};
    for (int k = 0; k < 250; ++k) w.push(x);
    w.reset();
    check_empty(w);
  };
  exercise(rill::rolling<3, 1, all>{});
  exercise(rill::rolling<3, 3, all>{});
  exercise(rill::rolling<3, 5, all, float, float>{});
  exercise(rill::rolling<3, 64, all>{});
  exercise(rill::rolling<3, 100, all, float, float>{});
}

TEST_CASE("emit_into writes exactly the row that push then row() give", "[window]") {
  // The portable build here; tests/fma runs the same check built for x86-64-v3.
  CHECK(emit_into_mismatches() == "");
}

TEST_CASE("the SIMD screen finds a non-finite value in any lane, and narrowing overflow",
          "[window][nan]") {
  using rill::stat;
  const float nan = std::numeric_limits<float>::quiet_NaN();
  // Width 13: whole registers plus a tail and padding lanes for every instruction set.
  constexpr std::size_t D = 13;
  using W = rill::rolling<D, 4, stat::mean | stat::stddev, float, float>;
  for (std::size_t lane = 0; lane < D; ++lane) {
    W w(1, rill::nan_policy::skip);
    rill::feature_row<float, D> x{};
    for (std::size_t i = 0; i < D; ++i) x[i] = float(i);
    CHECK(w.push(x));
    x[lane] = lane % 2 ? nan : -std::numeric_limits<float>::infinity();
    CHECK_FALSE(w.push(x));
    CHECK(w.counters().nonfinite == 1);
    CHECK(w.counters().skipped_rows == 1);
    CHECK(w.count() == 1);
  }
  SECTION("a double too large for a float accumulator counts as non-finite") {
    rill::rolling<3, 4, stat::mean, double, float> w(1, rill::nan_policy::replace, 7.0f);
    CHECK(w.push(rill::feature_row<double, 3>{{1.0, 1e300, -1e300}}));
    CHECK(w.counters().nonfinite == 2);
    CHECK(w.mean(0) == 1.0f);
    CHECK(w.mean(1) == 7.0f);
    CHECK(w.mean(2) == 7.0f);
  }
  SECTION("ewm screens the same way") {
    auto e = rill::ewm<D, stat::mean, float, float>::fading(0.5, rill::nan_policy::skip);
    rill::feature_row<float, D> x{};
    CHECK(e.push(x));
    x[D - 1] = nan;
    CHECK_FALSE(e.push(x));
    CHECK(e.counters().nonfinite == 1);
  }
}

TEST_CASE("a float row's standard deviation from a double window, across float's range",
          "[window]") {
  using rill::stat;
  // Two rows {0, s} have sample std s/sqrt(2): variances from beyond FLT_MAX down to
  // below FLT_MIN, so both the float-root and the double-root path are taken.
  for (double s : {1e-30, 1e-21, 1e-3, 1.0, 3e7, 1e21, 1e30}) {
    INFO("spread " << s);
    rill::rolling<9, 4, stat::stddev, float, double> w;
    rill::feature_row<float, 9> a{}, b{};
    for (std::size_t i = 0; i < 9; ++i) b[i] = float(s * double(i + 1));
    w.push(a);
    w.push(b);
    const auto row = w.row();
    for (std::size_t i = 0; i < 9; ++i) {
      const double exact = w.stddev(i);
      REQUIRE(std::isfinite(exact));
      CHECK(std::isfinite(row[i]));
      CHECK(double(row[i]) == Approx(exact).epsilon(3e-7));
    }
  }
}

// ---------------------------------------------------------------- ewm, lag

TEST_CASE("ewm of a constant stream: the mean stays exact, variance and z-score 0",
          "[window][ewm]") {
  using rill::stat;
  // 1 - a is rounded for most fading factors; an update that does not keep a constant
  // stream's mean exactly shows a deviation the data does not have (z near 1 for ever).
  for (double f : {0.3, 0.1, 0.7, 0.01}) {
    INFO("fading factor " << f);
    for (double x : {1.9375, 1e6 + 0.1, -3.7, 0.1}) {
      INFO("value " << x);
      auto e = rill::ewm<3, stat::mean | stat::variance | stat::zscore, double, double>::fading(f);
      auto ef =
          rill::ewm<3, stat::mean | stat::stddev | stat::zscore, float, float>::fading(float(f));
      for (int k = 0; k < 200; ++k) {
        e.push(rill::feature_row<double, 3>{{x, x, x}});
        ef.push(rill::feature_row<float, 3>{{float(x), float(x), float(x)}});
      }
      const auto row = e.row();
      const auto rowf = ef.row();
      for (std::size_t i = 0; i < 3; ++i) {
        CHECK(e.mean(i) == x);
        CHECK(e.variance(i) == 0.0);
        CHECK(row[6 + i] == 0.0);  // zscore columns after mean and variance
        CHECK(ef.mean(i) == float(x));
        CHECK(rowf[6 + i] == 0.0f);
      }
    }
  }
  // With a half-life and equal timestamps the weights are 1/2, 1/3, 1/4, ...
  auto h = rill::ewm<2, stat::mean | stat::zscore, double, double>::half_life(1000);
  for (int k = 0; k < 100; ++k) h.push(rill::feature_row<double, 2>{{1.9375, 0.3}}, 5);
  CHECK(h.mean(0) == 1.9375);
  CHECK(h.mean(1) == 0.3);
  const auto hr = h.row();
  CHECK(hr[2] == 0.0);
  CHECK(hr[3] == 0.0);
}

TEST_CASE("ewm with a half-life equals explicitly weighted statistics", "[window][ewm]") {
  const std::int64_t h = 1000;
  auto e = rill::ewm<2, rill::stat::mean | rill::stat::variance, double>::half_life(h);
  std::mt19937_64 rng(11);
  std::uniform_int_distribution<std::int64_t> gap(0, 3000);
  std::normal_distribution<double> g(5, 2);
  std::vector<std::pair<std::int64_t, double>> seen;
  std::int64_t t = 0;
  std::size_t bad = 0;
  for (int k = 0; k < 500; ++k) {
    t += gap(rng);
    const double x = g(rng);
    seen.emplace_back(t, x);
    e.push(rill::feature_row<double, 2>{{x, -x}}, t);
    long double sw = 0, sx = 0;
    for (auto [ti, xi] : seen) {
      const long double wgt = std::exp2(-(long double)(t - ti) / h);
      sw += wgt;
      sx += wgt * xi;
    }
    const long double m = sx / sw;
    long double sv = 0;
    for (auto [ti, xi] : seen) sv += std::exp2(-(long double)(t - ti) / h) * (xi - m) * (xi - m);
    bad += std::abs(e.mean(0) - double(m)) > 1e-9 || std::abs(e.mean(1) + double(m)) > 1e-9;
    bad += std::abs(e.variance(0) - double(sv / sw)) > 1e-9;
  }
  CHECK(bad == 0);
  e.push(rill::feature_row<double, 2>{{0, 0}}, t - 5);  // time going backwards
  CHECK(e.out_of_order() == 1);
  CHECK_THROWS_WITH(decltype(e)::fading(1.5), Catch::Contains("fading_factor"));
  CHECK_THROWS_WITH(decltype(e)::half_life(0), Catch::Contains("half_life_ns"));
}

TEST_CASE(
    "lag features equal their definitions; warm-up and undefined values "
    "are counted",
    "[window][lag]") {
  using rill::lag_op;
  rill::lag<2, 3, lag_op::value | lag_op::diff | lag_op::ret | lag_op::log_return, double> l(-9);
  static_assert(decltype(l)::output_width == 8);
  std::vector<std::array<double, 2>> xs;
  std::mt19937_64 rng(5);
  std::uniform_real_distribution<double> u(0.5, 2);
  for (int t = 0; t < 200; ++t) {
    std::array<double, 2> x{u(rng), t == 50 ? 0.0 : u(rng)};
    xs.push_back(x);
    rill::feature_row<double, 8> got{};
    l(rill::event<2, double>{std::uint64_t(t), t, {{x[0], x[1]}}},
      [&](const auto &out) noexcept { got = out.x; });
    if (t < 3) {
      for (double v : got) CHECK(v == -9);
      continue;
    }
    const auto &o = xs[t - 3];
    for (std::size_t i = 0; i < 2; ++i) {
      CHECK(got[i] == o[i]);
      CHECK(got[2 + i] == x[i] - o[i]);
      if (o[i] != 0) {
        CHECK(got[4 + i] == Approx(x[i] / o[i] - 1).epsilon(1e-15));
        if (x[i] != 0) CHECK(got[6 + i] == Approx(std::log(x[i] / o[i])).epsilon(1e-14));
      }
    }
  }
  CHECK(l.warming() == 3);
  CHECK(l.undefined() == 3);  // x[50] = 0: log-return at t=50, return and log-return at t=53
}

// ---------------------------------------------------------------- scalers

TEST_CASE("River's scaler docstring cases, learn then transform", "[window][scaler][reference]") {
  std::ifstream f(RILL_TEST_DATA_DIR "/online/scaler_cases.txt");
  REQUIRE(f.good());
  rill::standard_scaler<2, double> standard;
  rill::min_max_scaler<1, double> minmax;
  rill::max_abs_scaler<1, double> maxabs;
  std::string section;
  std::size_t checked = 0;
  auto value_after = [](const std::string &line, const std::string &key) {
    return std::stod(line.substr(line.find(key) + key.size()));
  };
  // One unit of the last printed digit (River truncates: 0.4069206 prints
  // 0.406920).
  auto expected_digits = [](const std::string &printed) {
    const auto dot = printed.find('.');
    return dot == std::string::npos ? 0.0 : std::pow(10.0, -double(printed.size() - dot - 1));
  };
  for (std::string line; std::getline(f, line);) {
    if (line.empty() || line[0] == '#') continue;
    if (line[0] == '[') {
      section = line.substr(1, line.find(']') - 1);
      continue;
    }
    INFO(section << ": " << line);
    const std::string expected = trim(line.substr(line.find("expected") + 8));
    if (section == "StandardScaler") {
      const double x = value_after(line, "in x="), y = value_after(line, " y=");
      rill::event<2, double> out{};
      standard(rill::event<2, double>{0, 0, {{x, y}}}, [&](const auto &o) noexcept { out = o; });
      const auto words = split_ws(expected);
      const std::string ex = words[0].substr(2), ey = words[1].substr(2);
      // River prints 3 decimals here, truncated: one unit of the last digit.
      CHECK(std::abs(out.x[0] - std::stod(ex)) <= expected_digits(ex) + 1e-12);
      CHECK(std::abs(out.x[1] - std::stod(ey)) <= expected_digits(ey) + 1e-12);
    } else {
      const double x = value_after(line, "in x=");
      rill::event<1, double> out{};
      auto sink = [&](const auto &o) noexcept { out = o; };
      const rill::event<1, double> in{0, 0, {{x}}};
      if (section == "MinMaxScaler") minmax(in, sink);
      if (section == "MaxAbsScaler") maxabs(in, sink);
      CHECK(std::abs(out.x[0] - std::stod(expected)) <= expected_digits(expected) + 1e-12);
    }
    ++checked;
  }
  CHECK(checked == 16);
}

// The scaler's SIMD learn and transform against the per-feature formulas written out
// one value at a time (Welford, River's order of operations), bit for bit. `gaps`: 0
// a clean stream (one count for all features throughout), 1 NaN and ±Inf in random
// features from row 1000 on (each feature then keeps its own count), 2 as 1 plus a
// feature that is never finite. Widths with and without a partial register, float and
// double accumulators.
template <std::size_t D, class T, class Acc>
std::size_t scaler_mismatches(std::uint64_t seed, int gaps) {
  rill::standard_scaler<D, T, Acc> s;
  std::array<std::uint64_t, D> n{};
  std::array<Acc, D> mean{}, m2{};
  std::uint64_t non_finite = 0;
  std::mt19937_64 rng(seed);
  std::normal_distribution<double> g(0, 1);
  std::size_t bad = 0;
  auto same = [](auto a, auto b) {
    return std::isnan(a) ? std::isnan(b) : std::memcmp(&a, &b, sizeof a) == 0;
  };
  for (std::uint64_t t = 0; t < 3000; ++t) {
    rill::event<D, T> in{t, std::int64_t(t), {}};
    const double level = t < 1500 ? 5.0 : -300.0, scale = t < 1500 ? 2.0 : 0.01;
    for (std::size_t i = 0; i < D; ++i) in.x[i] = T(level + scale * g(rng));
    if (gaps > 0 && t > 1000 && rng() % 9 == 0)
      in.x[rng() % D] = std::numeric_limits<T>::quiet_NaN();
    if (gaps > 0 && t > 1200 && rng() % 13 == 0)
      in.x[rng() % D] = std::numeric_limits<T>::infinity();
    if (gaps == 2) in.x[D / 2] = std::numeric_limits<T>::quiet_NaN();  // never finite
    for (std::size_t i = 0; i < D; ++i) {  // the reference learns
      const Acc v = static_cast<Acc>(in.x[i]);
      if (!std::isfinite(v)) {
        ++non_finite;
        continue;
      }
      ++n[i];
      const Acc delta = v - mean[i];
      mean[i] += delta / static_cast<Acc>(n[i]);
      m2[i] += delta * (v - mean[i]);
    }
    rill::feature_row<T, D> got{};
    s(in, [&](const auto &out) noexcept { got = out.x; });
    for (std::size_t i = 0; i < D; ++i) {
      const Acc var = n[i] ? m2[i] / static_cast<Acc>(n[i]) : Acc(0);
      const Acc v = static_cast<Acc>(in.x[i]);
      const T want = !std::isfinite(v) ? in.x[i]
                     : var > 0         ? static_cast<T>((v - mean[i]) / std::sqrt(var))
                                       : T(0);
      bad += !same(got[i], want) + !same(s.mean(i), mean[i]) + !same(s.variance(i), var);
      bad += s.count(i) != n[i];
    }
    bad += s.non_finite() != non_finite || s.count() != t + 1;
  }
  return bad;
}

TEST_CASE("the standard scaler's SIMD path equals Welford one value at a time",
          "[window][scaler]") {
  for (int gaps : {0, 1, 2}) {
    INFO("gaps " << gaps);
    CHECK(scaler_mismatches<16, float, double>(1, gaps) == 0);
    CHECK(scaler_mismatches<5, float, double>(2, gaps) == 0);
    CHECK(scaler_mismatches<16, float, float>(3, gaps) == 0);
    CHECK(scaler_mismatches<7, double, double>(4, gaps) == 0);
    CHECK(scaler_mismatches<1, double, double>(5, gaps) == 0);
  }
}

// ---------------------------------------------------------------- assembly

TEST_CASE("assemble concatenates raw and derived rows into a compile-time width",
          "[window][assemble]") {
  using rill::stat;
  auto stage = rill::assemble(rill::rolling<3, 4, stat::mean | stat::max, double>(),
                              rill::ewm<3, stat::mean, double>::fading(0.5),
                              rill::lag<3, 1, rill::lag_op::diff, double>());
  using S = decltype(stage);
  static_assert(S::output_width == 3 + 6 + 3 + 3);
  // rolling and ewm write their columns in place (a drifted signature would fall back
  // to copying without a word); lag is copied.
  static_assert(rill::detail::writes_row_in_place<rill::rolling<3, 4, stat::mean, double>>);
  static_assert(rill::detail::writes_row_in_place<rill::ewm<3, stat::mean, double>>);
  static_assert(!rill::detail::writes_row_in_place<rill::lag<3, 1, rill::lag_op::diff, double>>);
  static_assert(std::is_same_v<S::output_type, rill::event<15, double>>);
  static_assert(rill::stage<S>);
  static_assert(std::is_trivially_copyable_v<S>);
  rill::rolling<3, 4, stat::mean | stat::max, double> r;
  auto e = rill::ewm<3, stat::mean, double>::fading(0.5);
  rill::lag<3, 1, rill::lag_op::diff, double> d;
  std::mt19937 rng(1);
  std::normal_distribution<double> g;
  std::size_t bad = 0, emitted = 0;
  for (int t = 0; t < 50; ++t) {
    rill::event<3, double> in{std::uint64_t(t), t, {{g(rng), g(rng), g(rng)}}};
    stage(in, [&](const rill::event<15, double> &out) noexcept {
      ++emitted;
      r.push(in.x);
      e.push(in.x);
      const auto rr = r.row();
      const auto er = e.row();
      const auto dr = d.push(in.x);
      for (std::size_t i = 0; i < 3; ++i) bad += out.x[i] != in.x[i];
      for (std::size_t i = 0; i < 6; ++i) bad += out.x[3 + i] != rr[i];
      for (std::size_t i = 0; i < 3; ++i) bad += out.x[9 + i] != er[i] || out.x[12 + i] != dr[i];
      bad += out.id != in.id || out.time_ns != in.time_ns;
    });
  }
  CHECK(emitted == 50);
  CHECK(bad == 0);
  // Stages compose with the rest of a pipeline.
  auto derived =
      rill::assemble_derived(rill::rolling<3, 4, stat::mean, double>(1, rill::nan_policy::skip));
  static_assert(decltype(derived)::output_width == 3);
  std::size_t n = 0;
  derived(rill::event<3, double>{0, 0, {{1, std::nan(""), 3}}},
          [&](const auto &) noexcept { ++n; });
  CHECK(n == 0);
  CHECK(derived.incomplete() == 1);
  // The part writes in place; the skipped row left nothing behind.
  derived(rill::event<3, double>{1, 1, {{2, 4, 6}}}, [&](const auto &out) noexcept {
    ++n;
    CHECK(out.id == 1);
    CHECK(out.x[0] == 2);
    CHECK(out.x[1] == 4);
    CHECK(out.x[2] == 6);
  });
  CHECK(n == 1);
  CHECK(derived.incomplete() == 1);
}
