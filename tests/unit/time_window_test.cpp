// Time windows: sliding (time_window) and tumbling/hopping (hopping_window),
// against naive recomputation, hand-computed boundaries, lateness and overflow
// counters, NaN policies and long-stream numerics.
#include "rill/window/time_window.hpp"

#include <algorithm>
#include <cmath>
#include <cstdint>
#include <deque>
#include <limits>
#include <map>
#include <random>
#include <sstream>
#include <string>
#include <type_traits>
#include <vector>

#include "catch.hpp"
#include "rill/core/stage.hpp"
#include "rill/window/tumbling.hpp"

namespace {

using rill::stat;
constexpr stat all_stats = stat::count | stat::sum | stat::mean | stat::variance | stat::stddev |
                           stat::min | stat::max | stat::zscore;
constexpr stat bucket_stats =
    stat::count | stat::sum | stat::mean | stat::variance | stat::stddev | stat::min | stat::max;

// Statistics of a set of rows, recomputed from scratch in long double.
struct naive_rows {
  std::vector<std::vector<double>> rows;
  long double mean_ld(std::size_t i) const {
    long double s = 0;
    for (const auto &r : rows) s += r[i];
    return s / rows.size();
  }
  double sum(std::size_t i) const {
    long double s = 0;
    for (const auto &r : rows) s += r[i];
    return double(s);
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

// The sliding window's documented semantics, written the obvious way: a deque
// of (effective time, row), late/out-of-order/overflow rules applied in order.
struct naive_time_window {
  std::int64_t span;
  std::size_t capacity;
  std::deque<std::pair<std::int64_t, std::vector<double>>> q;
  std::int64_t now = 0;
  bool started = false;
  std::uint64_t overflowed = 0, out_of_order = 0, late = 0;

  bool push(std::int64_t t, const std::vector<double> &x) {
    if (started && t < now) {
      if (t <= now - span) {
        ++late;
        return false;
      }
      ++out_of_order;
      t = now;
    }
    now = started ? std::max(now, t) : t;
    started = true;
    while (!q.empty() && q.front().first <= now - span) q.pop_front();
    if (q.size() == capacity) {
      q.pop_front();
      ++overflowed;
    }
    q.emplace_back(t, x);
    return true;
  }
  naive_rows rows() const {
    naive_rows r;
    for (const auto &e : q) r.rows.push_back(e.second);
    return r;
  }
};

std::string describe(std::size_t t, std::size_t col, double got, double want) {
  std::ostringstream m;
  m.precision(17);
  m << "event " << t << " col " << col << " got " << got << " want " << want;
  return m.str();
}

// Every statistic of time_window<D, Cap> against naive_time_window on random
// rows and random timestamps: steps of 0 (ties), small steps, occasional gaps
// longer than the span, out-of-order events within the span and events too
// late for it. Values: offset (|offset| <= 1e4) and scale (1e-3..1e3) jump
// every 4000 events. Tolerances as in window_test.cpp's rolling comparison,
// with the capacity in place of N (u = 1e-13): relative 1e-9 plus sum
// u·Cap·level, mean u·level, variance u·Cap·(scale² + jump²) where the jump
// term applies for 4·Cap+2 taken events after a regime change (a rebuild comes
// at most Cap events after its mark, so by then two rebuilds have moved the
// centre to the new level and a third has dropped the sums made around the
// old one), stddev its square root, z-score |z|·(var term / var).
// count, min and max must be exact, and so must every counter.
template <std::size_t D, std::size_t Cap>
void compare_time_window(std::uint64_t seed, std::size_t events) {
  std::mt19937_64 rng(seed);
  const unsigned ddof = rng() % 2;
  const std::int64_t span = std::int64_t(4 * Cap + rng() % (20 * Cap + 2000));
  rill::time_window<D, Cap, all_stats, double> w(span, ddof);
  naive_time_window ref{span, Cap, {}, 0, false, 0, 0, 0};
  std::normal_distribution<double> g(0, 1);
  std::uniform_int_distribution<int> kind(0, 99);
  std::int64_t step = 1;
  double offset = 0, scale = 1, jump = 0;
  std::size_t since_change = 0, bad = 0, emitted = 0, checked = 0;
  std::string first_failure;
  std::int64_t t = std::int64_t(rng() % 1000) - 500;  // negative times too
  for (std::size_t e = 0; e < events; ++e) {
    if (e % 4000 == 0) {
      const double next = std::uniform_real_distribution<double>(-1e4, 1e4)(rng);
      jump = std::abs(next - offset) + 10 * scale;
      offset = next;
      scale = std::pow(10.0, std::uniform_real_distribution<double>(-3, 3)(rng));
      since_change = 0;
      // Mean step: even regimes hold up to Cap events in the span, odd ones
      // about Cap..3·Cap (so they overflow).
      const std::uint64_t r = (e / 4000) % 2 == 0 ? rng() % Cap : Cap + rng() % (2 * Cap + 1);
      step = std::max<std::int64_t>(1, span / std::int64_t(1 + r));
    }
    const int k = kind(rng);
    std::int64_t at = t;
    if (k < 20) {
      // tie
    } else if (k < 85) {
      t += std::int64_t(rng() % std::uint64_t(2 * step + 1));
      at = t;
    } else if (k < 88) {
      // A gap that empties the window (0.3 %), else a step.
      t += rng() % 10 == 0 ? span + std::int64_t(rng() % std::uint64_t(3 * span))
                           : std::int64_t(rng() % std::uint64_t(2 * step + 1));
      at = t;
    } else if (k < 96) {
      at = t - std::int64_t(rng() % std::uint64_t(span));  // out of order, inside the span
    } else {
      at = t - span - std::int64_t(rng() % 100);  // too late
    }
    rill::event<D, double> in{e, at, {}};
    std::vector<double> r(D);
    for (std::size_t i = 0; i < D; ++i) r[i] = in.x[i] = offset + scale * g(rng);
    const bool taken = ref.push(at, r);
    if (taken) ++since_change;
    rill::feature_row<double, decltype(w)::output_width> got{};
    bool out = false;
    w(in, [&](const auto &o) noexcept {
      got = o.x;
      out = true;
      bad += o.id != in.id || o.time_ns != in.time_ns;
    });
    emitted += out;
    bad += out != taken;
    if (!out || (e % 5 != 0 && e + 1 != events)) continue;
    ++checked;
    const naive_rows nr = ref.rows();
    std::size_t col = 0;
    auto close = [&](double a, double b, double extra) {
      const bool ok = std::abs(a - b) <= 1e-9 * std::abs(b) + extra;
      if (!ok && first_failure.empty()) first_failure = describe(e, col, a, b);
      return ok;
    };
    bad += !close(got[col++], double(nr.rows.size()), 0);
    constexpr double u = 1e-13;
    const double level = std::abs(offset) + 10 * scale;
    const double var_extra =
        u * double(Cap) * (scale * scale + (since_change <= 4 * Cap + 2 ? jump * jump : 0.0));
    for (std::size_t i = 0; i < D; ++i) bad += !close(got[col + i], nr.sum(i), u * Cap * level);
    col += D;
    for (std::size_t i = 0; i < D; ++i) bad += !close(got[col + i], nr.mean(i), u * level);
    col += D;
    for (std::size_t i = 0; i < D; ++i) bad += !close(got[col + i], nr.var(i, ddof), var_extra);
    col += D;
    for (std::size_t i = 0; i < D; ++i)
      bad += !close(got[col + i], std::sqrt(nr.var(i, ddof)), std::sqrt(var_extra));
    col += D;
    for (std::size_t i = 0; i < D; ++i) bad += !close(got[col + i], nr.min(i), 0);
    col += D;
    for (std::size_t i = 0; i < D; ++i) bad += !close(got[col + i], nr.max(i), 0);
    col += D;
    for (std::size_t i = 0; i < D; ++i) {
      const double v = nr.var(i, ddof);
      if (v <= var_extra) continue;  // no spread: z is conditioned on rounding only
      const double z = double((r[i] - nr.mean_ld(i)) / std::sqrt(v));
      bad += !close(got[col + i], z, 1e-9 + std::abs(z) * var_extra / v);
    }
  }
  INFO("D=" << D << " Cap=" << Cap << " seed=" << seed << " span=" << span << " step=" << step
            << " ddof=" << ddof << " " << first_failure);
  CHECK(bad == 0);
  CHECK(checked > events / 6);
  CHECK(w.count() == ref.q.size());
  CHECK(w.overflowed() == ref.overflowed);
  CHECK(w.out_of_order() == ref.out_of_order);
  CHECK(w.late_dropped() == ref.late);
  CHECK(w.pushes() == events);
  CHECK(emitted + w.late_dropped() == events);
  // Each kind of event happened, so each rule was exercised.
  CHECK(ref.overflowed > 0);
  CHECK(ref.out_of_order > 0);
  CHECK(ref.late > 0);
}

}  // namespace

TEST_CASE("time_window statistics equal a naive recomputation over 1e5 events",
          "[window][time][random]") {
  std::random_device rd;
  const std::uint64_t seed = rd();
  compare_time_window<1, 1>(seed, 20000);
  compare_time_window<3, 4>(seed + 1, 20000);
  compare_time_window<5, 37>(seed + 2, 20000);
  compare_time_window<16, 64>(seed + 3, 20000);
  compare_time_window<2, 300>(seed + 4, 20000);
}

TEST_CASE("time_window boundaries, ties, gaps, lateness and overflow by hand", "[window][time]") {
  using W = rill::time_window<1, 4, stat::count | stat::sum | stat::min | stat::max, double>;
  static_assert(rill::stage<W>);
  static_assert(std::is_trivially_copyable_v<W>);
  static_assert(W::output_width == 4);
  W w(10);
  auto push = [&](std::int64_t t, double x) {
    return w.push(rill::feature_row<double, 1>{{x}}, t);
  };
  CHECK(push(0, 1));
  CHECK(push(5, 2));
  CHECK((w.count() == 2 && w.sum(0) == 3));
  CHECK(push(10, 3));  // (0, 10]: the event at 0 has left
  CHECK((w.count() == 2 && w.sum(0) == 5 && w.min(0) == 2 && w.max(0) == 3));
  CHECK(push(10, 4));  // a tie
  CHECK((w.count() == 3 && w.sum(0) == 9));
  CHECK(push(14, -1));
  CHECK(w.count() == 4);
  CHECK(push(14, 7));  // a fifth event inside the span: the oldest (5) is evicted early
  CHECK((w.overflowed() == 1 && w.count() == 4 && w.sum(0) == 13 && w.min(0) == -1));
  CHECK(push(40, 6));  // a gap longer than the span: only itself
  CHECK((w.count() == 1 && w.sum(0) == 6 && w.min(0) == 6 && w.max(0) == 6));
  CHECK(push(33, 2));  // out of order, inside (30, 40]: taken in as at 40
  CHECK((w.out_of_order() == 1 && w.count() == 2 && w.sum(0) == 8));
  CHECK_FALSE(push(30, 100));  // at now - span: outside the window
  CHECK(w.late_dropped() == 1);
  CHECK((w.count() == 2 && w.max(0) == 6));
  w.advance_to(49);  // (39, 49]: both still inside (the late one counts as 40)
  CHECK(w.count() == 2);
  w.advance_to(50);
  CHECK(w.count() == 0);
  const auto row = w.row();
  CHECK((row[0] == 0 && row[1] == 0));
  CHECK(w.pushes() == 9);
  w.reset();
  CHECK((w.pushes() == 0 && w.overflowed() == 0 && w.span() == 10));
  CHECK_THROWS_WITH(W(0), Catch::Contains("span_ns"));
}

TEST_CASE("time_window moments stay exact over 1e6 events; a naive running sum drifts",
          "[window][time][stability]") {
  // Values 1e6 + [0, 1): the sum of a window of ~100 is ~1e8, where a running
  // sum (s += new, s -= old) loses ~1e-8 per update and random-walks. The
  // window's shifted sums are rebuilt at every turnover, so their error stays
  // at a few roundings of the window's own spread however long the stream.
  constexpr std::size_t Cap = 256;
  const std::int64_t span = 1000;
  rill::time_window<1, Cap, stat::sum | stat::variance, double> w(span, 0);
  naive_time_window ref{span, Cap, {}, 0, false, 0, 0, 0};
  std::mt19937_64 rng(17);
  std::uniform_real_distribution<double> u(0, 1);
  double naive_sum = 0, worst_sum = 0, worst_var = 0;
  std::int64_t t = 0;
  std::size_t checks = 0;
  for (std::size_t e = 0; e < 1'200'000; ++e) {
    const auto r = rng() % 100;
    // Ties, steps and (rarely, so the naive running sum has time to drift) gaps.
    t += r < 30 ? 0 : (rng() % 100000 != 0 ? std::int64_t(rng() % 20) : 5000);
    const double x = 1e6 + u(rng);
    // The naive running sum applies the same evictions as the reference.
    std::size_t before = ref.q.size();
    double evicted = 0;
    for (const auto &q : ref.q) {
      if (q.first > t - span) break;
      evicted += q.second[0];
      --before;
    }
    if (before == Cap) evicted += ref.q[ref.q.size() - before].second[0];
    ref.push(t, {x});
    naive_sum += x - evicted;
    if (ref.q.size() == 1) naive_sum = x;  // a gap emptied the window: restart it exactly too
    w.push(rill::feature_row<double, 1>{{x}}, t);
    if (e % 997 != 0) continue;
    ++checks;
    const naive_rows nr = ref.rows();
    const double s = nr.sum(0), v = nr.var(0, 0);
    worst_sum = std::max(worst_sum, std::abs(w.sum(0) - s) / s);
    if (v > 0) worst_var = std::max(worst_var, std::abs(w.variance(0) - v) / v);
  }
  const naive_rows nr = ref.rows();
  const double naive_rel = std::abs(naive_sum - nr.sum(0)) / nr.sum(0);
  INFO("worst relative error: sum " << worst_sum << ", variance " << worst_var
                                    << "; naive running sum at the end " << naive_rel);
  CHECK(checks > 1000);
  CHECK(worst_sum < 1e-15);
  CHECK(worst_var < 1e-9);
  CHECK(naive_rel > 10 * worst_sum);  // the comparison can tell drift from exactness
}

TEST_CASE("time_window with float accumulators stays within turnover rounding over 1e6 events",
          "[window][time][stability]") {
  // Stated float tolerance: relative 3·Cap float roundings (3·Cap·6e-8), the
  // updates one value's error can see between rebuilds.
  constexpr std::size_t Cap = 64;
  rill::time_window<1, Cap, stat::sum, float, float> w(100);
  naive_time_window ref{100, Cap, {}, 0, false, 0, 0, 0};
  std::mt19937 rng(3);
  std::uniform_real_distribution<float> u(1000.0f, 1001.0f);
  double worst = 0;
  std::int64_t t = 0;
  for (std::size_t e = 0; e < 1'000'000; ++e) {
    t += std::int64_t(rng() % 4);
    const float x = u(rng);
    ref.push(t, {double(x)});
    w.push(rill::feature_row<float, 1>{{x}}, t);
    if (e % 4093 == 0) {
      const double s = ref.rows().sum(0);
      worst = std::max(worst, std::abs(double(w.sum(0)) - s) / s);
    }
  }
  INFO("worst relative error " << worst);
  CHECK(worst < 3 * 64 * 6e-8);
}

TEST_CASE("time_window NaN policies are counted and behave as documented", "[window][time][nan]") {
  const double nan = std::numeric_limits<double>::quiet_NaN();
  const double inf = std::numeric_limits<double>::infinity();
  using W = rill::time_window<2, 8, stat::count | stat::mean | stat::max, double>;
  auto feed = [](W &w, std::int64_t t, double a, double b) {
    std::size_t n = 0;
    w(rill::event<2, double>{0, t, {{a, b}}}, [&](const auto &) noexcept { ++n; });
    return n;
  };
  SECTION("skip: not taken, nothing emitted, time still advances") {
    W w(10, 1, rill::nan_policy::skip);
    CHECK(feed(w, 0, 1, 2) == 1);
    CHECK(feed(w, 5, nan, 3) == 0);
    CHECK(feed(w, 6, inf, -inf) == 0);
    CHECK(feed(w, 7, 3, 4) == 1);
    CHECK((w.count() == 2 && w.mean(0) == 2.0));
    CHECK((w.counters().nonfinite == 3 && w.counters().skipped_rows == 2));
    CHECK(feed(w, 12, nan, 0) == 0);  // skipped, but now = 12 expired the event at 0
    CHECK((w.count() == 1 && w.mean(1) == 4.0));
  }
  SECTION("replace") {
    W w(10, 1, rill::nan_policy::replace, -1.0);
    CHECK(feed(w, 0, 1, 2) == 1);
    CHECK(feed(w, 1, nan, 3) == 1);
    CHECK(feed(w, 2, 3, inf) == 1);
    CHECK(w.mean(0) == 1.0);  // (1 - 1 + 3) / 3
    CHECK(w.max(1) == 3.0);   // inf became -1
    CHECK((w.counters().nonfinite == 2 && w.counters().skipped_rows == 0));
  }
  SECTION("propagate, then finite and exact again after the value left") {
    W w(10, 1, rill::nan_policy::propagate);
    feed(w, 0, 1, 2);
    feed(w, 1, nan, 3);
    CHECK(std::isnan(w.mean(0)));
    CHECK(w.mean(1) == 2.5);  // other features are unaffected
    // It leaves at t = 11; two turnovers of at most 8 events later it is gone.
    for (std::int64_t t = 2; t < 40; ++t) feed(w, t, 5, 5);
    CHECK((w.mean(0) == 5.0 && w.max(0) == 5.0 && w.mean(1) == 5.0));
    CHECK(w.counters().nonfinite == 1);
  }
}

// ---------------------------------------------------------------- tumbling / hopping

namespace {

struct emitted_window {
  std::uint64_t id;
  std::int64_t end;
  std::vector<double> x;
  std::size_t at_push;  // push index during which it was emitted; SIZE_MAX for flush
};

template <class H>
std::vector<emitted_window> run_buckets(H &h,
                                        const std::vector<std::pair<std::int64_t, double>> &in,
                                        bool flush = true) {
  std::vector<emitted_window> out;
  std::size_t i = 0;
  auto sink = [&](const typename H::output_type &o) noexcept {
    out.push_back({o.id, o.time_ns, std::vector<double>(o.x.begin(), o.x.end()), i});
  };
  for (; i < in.size(); ++i) h(rill::event<1, double>{i, in[i].first, {{in[i].second}}}, sink);
  i = SIZE_MAX;
  if (flush) h.flush(sink);
  return out;
}

}  // namespace

TEST_CASE("tumbling windows: boundaries, ids and emission times by hand", "[window][tumbling]") {
  // Columns: count, sum, min, max.
  using H = rill::tumbling_window<1, stat::count | stat::sum | stat::min | stat::max, 2, double>;
  static_assert(rill::stage<H>);
  static_assert(std::is_trivially_copyable_v<H>);
  auto h = H::tumbling(10);
  // [0,10): 0, 3, 9.  [10,20): 10, 19.  [20,30): 20.  [30,40): nothing.  [40,50): 45 (flush)
  const auto out = run_buckets(h, {{0, 1}, {3, 2}, {9, 4}, {10, 8}, {19, 16}, {20, 32}, {45, 64}});
  REQUIRE(out.size() == 4);
  CHECK((out[0].id == 0 && out[0].end == 10 && out[0].at_push == 3));  // closed by t = 10
  CHECK(out[0].x == std::vector<double>{3, 7, 1, 4});
  CHECK((out[1].id == 1 && out[1].end == 20 && out[1].at_push == 5));
  CHECK(out[1].x == std::vector<double>{2, 24, 8, 16});
  CHECK(
      (out[2].id == 2 && out[2].end == 30 && out[2].at_push == 6));  // the empty [30,40) is skipped
  CHECK(out[2].x == std::vector<double>{1, 32, 32, 32});
  CHECK((out[3].id == 3 && out[3].end == 50 && out[3].at_push == SIZE_MAX));
  CHECK(out[3].x == std::vector<double>{1, 64, 64, 64});
  CHECK((h.accepted() == 7 && h.late_dropped() == 0 && h.out_of_order() == 0));
  CHECK(h.emitted() == 4);

  // Negative times floor towards -inf: -1 is in [-10, 0), 0 in [0, 10).
  auto n = H::tumbling(10);
  const auto neg = run_buckets(n, {{-11, 1}, {-10, 2}, {-1, 3}, {0, 4}});
  REQUIRE(neg.size() == 3);
  CHECK((neg[0].end == -10 && neg[0].x[0] == 1));
  CHECK((neg[1].end == 0 && neg[1].x[0] == 2 && neg[1].x[1] == 5));
  CHECK((neg[2].end == 10 && neg[2].x[0] == 1));
}

TEST_CASE("hopping windows: each event lands in size/hop windows, by hand", "[window][tumbling]") {
  // size 10, hop 5: windows [-5,5), [0,10), [5,15), [10,20), ...
  using H = rill::hopping_window<1, stat::count | stat::sum, 4, double>;
  H h(10, 5);
  const auto out = run_buckets(h, {{0, 1}, {4, 2}, {5, 4}, {12, 8}, {15, 16}});
  REQUIRE(out.size() == 5);
  // end:   5        10           15         20        25
  // rows:  0,4      0,4,5        5,12       12,15     15
  CHECK((out[0].end == 5 && out[0].x == std::vector<double>{2, 3} && out[0].at_push == 2));
  CHECK((out[1].end == 10 && out[1].x == std::vector<double>{3, 7} && out[1].at_push == 3));
  CHECK((out[2].end == 15 && out[2].x == std::vector<double>{2, 12} && out[2].at_push == 4));
  CHECK((out[3].end == 20 && out[3].x == std::vector<double>{2, 24} && out[3].at_push == SIZE_MAX));
  CHECK((out[4].end == 25 && out[4].x == std::vector<double>{1, 16} && out[4].at_push == SIZE_MAX));
  for (std::size_t i = 0; i < out.size(); ++i) CHECK(out[i].id == i);

  // Hop not dividing size: size 10, hop 4: windows [4k, 4k+10). t = 9 is in k = 0, 1, 2.
  rill::hopping_window<1, stat::count, 4, double> g(10, 4);
  const auto o2 = run_buckets(g, {{9, 1}});
  REQUIRE(o2.size() == 3);
  CHECK((o2[0].end == 10 && o2[1].end == 14 && o2[2].end == 18));
}

TEST_CASE("lateness: accepted within it, dropped beyond it, counters add up",
          "[window][tumbling][lateness]") {
  using H = rill::tumbling_window<1, stat::count | stat::sum, 4, double>;
  auto h = H::tumbling(10, 5);
  // watermark:        0        12       12 (8 late by 4: accepted)  15: closes [0,10)
  //                   15 (9 late by 6: dropped)  15 (10 late by 5: accepted, boundary)
  //                   30: closes [10,20)
  const auto out = run_buckets(h, {{0, 1}, {12, 2}, {8, 4}, {15, 8}, {9, 16}, {10, 32}, {30, 64}});
  REQUIRE(out.size() == 3);
  CHECK((out[0].end == 10 && out[0].x == std::vector<double>{2, 5} && out[0].at_push == 3));
  CHECK((out[1].end == 20 && out[1].x == std::vector<double>{3, 42} && out[1].at_push == 6));
  CHECK((out[2].end == 40 && out[2].x == std::vector<double>{1, 64}));
  CHECK(h.pushes() == 7);
  CHECK(h.accepted() == 6);
  CHECK(h.late_dropped() == 1);
  CHECK(h.out_of_order() == 2);
  CHECK(h.accepted() + h.late_dropped() == h.pushes());

  // advance() closes windows on an idle stream.
  auto a = H::tumbling(10, 5);
  std::size_t n = 0;
  auto count = [&](const auto &) noexcept { ++n; };
  a(rill::event<1, double>{0, 3, {{1}}}, count);
  a.advance(14, count);
  CHECK(n == 0);
  a.advance(15, count);
  CHECK(n == 1);
  CHECK(a.open_windows() == 0);
}

TEST_CASE("hopping_window checks its configuration", "[window][tumbling]") {
  using H = rill::hopping_window<1, stat::count, 4, double>;
  CHECK_THROWS_WITH(H(0, 1), Catch::Contains("size_ns"));
  CHECK_THROWS_WITH(H(10, 0), Catch::Contains("hop_ns"));
  CHECK_THROWS_WITH(H(10, 11), Catch::Contains("hop_ns"));
  CHECK_THROWS_WITH(H(10, 5, -1), Catch::Contains("lateness_ns"));
  CHECK_THROWS_WITH(H(10, 5, 6), Catch::Contains("MaxOpen"));  // needs ceil(16/5)+1 = 5
  CHECK_NOTHROW(H(10, 5, 5));                                  // ceil(15/5)+1 = 4
  static_assert(rill::open_windows_needed(10, 10, 0) == 2);
  static_assert(rill::open_windows_needed(10, 3, 2) == 5);
}

namespace {

// hopping_window<D=2> against its definition: the accepted events (t >=
// watermark - lateness, judged before the event), grouped by every window k
// with k·hop <= t < k·hop + size, each window emitted during the first push
// whose watermark reached its end + lateness (or by the final flush).
template <std::size_t MaxOpen>
void compare_hopping(std::uint64_t seed, std::size_t events) {
  std::mt19937_64 rng(seed);
  const std::int64_t hop = 1 + std::int64_t(rng() % 50);
  std::int64_t size = hop * (1 + std::int64_t(rng() % 4));
  if (rng() % 2) size += std::int64_t(rng() % std::uint64_t(hop));  // hop need not divide size
  std::int64_t lateness = rng() % 3 == 0 ? 0 : std::int64_t(rng() % std::uint64_t(2 * size));
  while (rill::open_windows_needed(size, hop, lateness) > std::int64_t(MaxOpen)) lateness /= 2;
  const unsigned ddof = rng() % 2;
  rill::hopping_window<2, bucket_stats, MaxOpen, double> h(size, hop, lateness, ddof);

  std::normal_distribution<double> g(0, 1);
  const double offset = std::uniform_real_distribution<double>(-1e3, 1e3)(rng);
  std::map<std::int64_t, naive_rows> windows;  // by k
  std::vector<std::int64_t> watermark_after;   // per push
  std::int64_t wm = 0, t = std::int64_t(rng() % 1000) - 500;
  bool started = false;
  std::uint64_t accepted = 0, late = 0, ooo = 0;
  std::vector<emitted_window> out;
  std::size_t push_index = 0;
  auto sink = [&](const auto &o) noexcept {
    out.push_back({o.id, o.time_ns, std::vector<double>(o.x.begin(), o.x.end()), push_index});
  };
  auto floor_div = [](std::int64_t a, std::int64_t b) {
    return std::int64_t(std::floor(double(a) / double(b)));
  };
  for (; push_index < events; ++push_index) {
    const auto k = rng() % 100;
    std::int64_t at;
    if (k < 15) {
      at = t;  // tie
    } else if (k < 75) {
      t += std::int64_t(rng() % std::uint64_t(hop + 1));
      at = t;
    } else if (k < 78) {
      t += std::int64_t(rng() % std::uint64_t(20 * size));  // gap
      at = t;
    } else {
      at = t - std::int64_t(rng() % std::uint64_t(lateness + hop + 2));  // behind the watermark
    }
    const std::vector<double> x{offset + g(rng), -offset + 100 * g(rng)};
    if (started && at < wm - lateness) {
      ++late;
    } else {
      ooo += started && at < wm;
      ++accepted;
      for (std::int64_t kw = floor_div(at, hop) - size / hop - 2; kw * hop <= at; ++kw) {
        if (at < kw * hop + size) windows[kw].rows.push_back(x);
      }
    }
    wm = started ? std::max(wm, at) : at;
    started = true;
    watermark_after.push_back(wm);
    h(rill::event<2, double>{push_index, at, {{x[0], x[1]}}}, sink);
  }
  push_index = SIZE_MAX;
  h.flush(sink);

  std::size_t bad = 0;
  std::string first_failure;
  auto fail = [&](const std::string &what) {
    ++bad;
    if (first_failure.empty()) first_failure = what;
  };
  if (out.size() != windows.size()) fail("emitted " + std::to_string(out.size()) + " windows");
  std::size_t i = 0;
  for (const auto &[kw, nr] : windows) {
    if (i >= out.size()) break;
    const auto &o = out[i];
    const std::int64_t end = kw * hop + size;
    if (o.id != i || o.end != end) {
      fail("window " + std::to_string(i) + " end " + std::to_string(o.end) + " want " +
           std::to_string(end));
    }
    // Emitted during the first push whose watermark reached end + lateness.
    if (o.at_push == SIZE_MAX) {
      if (watermark_after.back() - lateness >= end) fail("flushed a window that had closed");
    } else {
      if (watermark_after[o.at_push] - lateness < end) fail("emitted early");
      if (o.at_push > 0 && watermark_after[o.at_push - 1] - lateness >= end) fail("emitted late");
    }
    std::size_t col = 0;
    auto close = [&](double a, double b, double tol) {
      if (!(std::abs(a - b) <= tol)) fail(describe(i, col, a, b));
    };
    close(o.x[col++], double(nr.rows.size()), 0);
    for (std::size_t f = 0; f < 2; ++f, ++col)
      close(o.x[col], nr.sum(f), 1e-9 * std::abs(nr.sum(f)) + 1e-12 * nr.rows.size() * 1e3);
    for (std::size_t f = 0; f < 2; ++f, ++col)
      close(o.x[col], nr.mean(f), 1e-9 * std::abs(nr.mean(f)) + 1e-12);
    for (std::size_t f = 0; f < 2; ++f, ++col)
      close(o.x[col], nr.var(f, ddof), 1e-9 * nr.var(f, ddof) + 1e-9);
    for (std::size_t f = 0; f < 2; ++f, ++col)
      close(o.x[col], std::sqrt(nr.var(f, ddof)), 1e-9 * std::sqrt(nr.var(f, ddof)) + 1e-9);
    for (std::size_t f = 0; f < 2; ++f, ++col) close(o.x[col], nr.min(f), 0);
    for (std::size_t f = 0; f < 2; ++f, ++col) close(o.x[col], nr.max(f), 0);
    ++i;
  }
  INFO("seed=" << seed << " size=" << size << " hop=" << hop << " lateness=" << lateness
               << " ddof=" << ddof << " windows=" << windows.size() << " " << first_failure);
  CHECK(bad == 0);
  CHECK(h.accepted() == accepted);
  CHECK(h.late_dropped() == late);
  CHECK(h.out_of_order() == ooo);
  CHECK(h.accepted() + h.late_dropped() == h.pushes());
  CHECK(h.pushes() == events);
  CHECK(h.open_windows() == 0);
}

}  // namespace

TEST_CASE("hopping windows equal their definition on random streams with lateness",
          "[window][tumbling][random]") {
  std::random_device rd;
  const std::uint64_t seed = rd();
  for (std::uint64_t r = 0; r < 20; ++r) compare_hopping<16>(seed + r, 2500);
  for (std::uint64_t r = 20; r < 40; ++r) compare_hopping<6>(seed + r, 2500);
}

TEST_CASE("hopping_window NaN policies are counted; skipped rows still advance the watermark",
          "[window][tumbling][nan]") {
  const double nan = std::numeric_limits<double>::quiet_NaN();
  using H = rill::tumbling_window<2, stat::count | stat::mean, 2, double>;
  std::vector<std::vector<double>> rows;
  auto sink = [&](const auto &o) noexcept { rows.emplace_back(o.x.begin(), o.x.end()); };
  auto feed = [&](H &h, std::int64_t t, double a, double b) {
    h(rill::event<2, double>{0, t, {{a, b}}}, sink);
  };
  SECTION("skip") {
    auto h = H::tumbling(10, 0, 1, rill::nan_policy::skip);
    feed(h, 1, 1, 2);
    feed(h, 2, nan, 2);
    feed(h, 12, nan, 0);  // skipped, but it closes [0,10)
    REQUIRE(rows.size() == 1);
    CHECK(rows[0] == std::vector<double>{1, 1, 2});
    CHECK((h.counters().nonfinite == 2 && h.counters().skipped_rows == 2));
    CHECK(h.accepted() + h.late_dropped() + h.counters().skipped_rows == h.pushes());
    h.flush(sink);
    CHECK(rows.size() == 1);  // [10,20) got no row: nothing to emit
  }
  SECTION("replace") {
    auto h = H::tumbling(10, 0, 1, rill::nan_policy::replace, 7.0);
    feed(h, 1, 1, 2);
    feed(h, 2, nan, 4);
    h.flush(sink);
    REQUIRE(rows.size() == 1);
    CHECK(rows[0] == std::vector<double>{2, 4, 3});
    CHECK(h.counters().nonfinite == 1);
  }
  SECTION("propagate: only the windows holding the value are affected") {
    auto h = H::tumbling(10);
    feed(h, 1, 1, 2);
    feed(h, 2, nan, 4);
    feed(h, 11, 5, 6);
    h.flush(sink);
    REQUIRE(rows.size() == 2);
    CHECK((std::isnan(rows[0][1]) && rows[0][2] == 3));
    CHECK(rows[1] == std::vector<double>{1, 5, 6});
  }
}
