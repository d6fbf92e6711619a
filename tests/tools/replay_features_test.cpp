// `rill replay --features`: the parser's contract, and every derived column against a
// naive recomputation from the rows it may depend on (count and time spans).
#include <algorithm>
#include <cmath>
#include <cstdint>
#include <limits>
#include <random>
#include <string>
#include <vector>

#include "../../tools/cli.hpp"
#include "../../tools/replay_config.hpp"
#include "../../tools/replay_features.hpp"
#include "catch.hpp"

namespace {

using rill::tools::build_features;
using rill::tools::feature_item;
using rill::tools::parse_features;
using rill::tools::usage_error;

// Statistics of the rows i with lo <= i <= r (the window's rows), column c.
struct naive {
  const std::vector<double>& x;
  std::size_t d;
  double at(std::size_t i, std::size_t c) const { return x[i * d + c]; }
  double mean(std::size_t lo, std::size_t r, std::size_t c) const {
    double s = 0;
    for (std::size_t i = lo; i <= r; ++i) s += at(i, c);
    return s / static_cast<double>(r - lo + 1);
  }
  double var(std::size_t lo, std::size_t r, std::size_t c) const {  // ddof 1
    const std::size_t n = r - lo + 1;
    if (n < 2) return 0;
    const double m = mean(lo, r, c);
    double s = 0;
    for (std::size_t i = lo; i <= r; ++i) s += (at(i, c) - m) * (at(i, c) - m);
    return s / static_cast<double>(n - 1);
  }
  double min(std::size_t lo, std::size_t r, std::size_t c) const {
    double v = at(lo, c);
    for (std::size_t i = lo; i <= r; ++i) v = std::min(v, at(i, c));
    return v;
  }
  double max(std::size_t lo, std::size_t r, std::size_t c) const {
    double v = at(lo, c);
    for (std::size_t i = lo; i <= r; ++i) v = std::max(v, at(i, c));
    return v;
  }
};

}  // namespace

TEST_CASE("replay --features: parsing names, spans, units and bad items", "[tools]") {
  const auto items = parse_features("raw,mean:48,std:3,ewm_mean:0.25,diff,logret", 0);
  REQUIRE(items.size() == 6);
  CHECK(items[1].which == feature_item::kind::mean);
  CHECK(items[1].span == 48);
  CHECK(items[2].which == feature_item::kind::stddev);
  CHECK(items[3].alpha == 0.25);
  CHECK(items[5].which == feature_item::kind::log_return);

  const std::int64_t second = 1'000'000'000;
  CHECK(parse_features("mean:30m", second)[0].span == 1800 * second);
  CHECK(parse_features("mean:250ms", second)[0].span == 250'000'000);
  CHECK(parse_features("mean:5us", second)[0].span == 5'000);
  CHECK(parse_features("mean:1.5", second)[0].span == 1'500'000'000);  // the column's unit

  CHECK_THROWS_WITH(parse_features("mean", 0), Catch::Contains("needs a span"));
  CHECK_THROWS_WITH(parse_features("mean:0", 0), Catch::Contains("positive"));
  CHECK_THROWS_WITH(parse_features("mean:2.5", 0), Catch::Contains("whole number of rows"));
  CHECK_THROWS_WITH(parse_features("mean:4097", 0), Catch::Contains("up to 4096"));
  CHECK_THROWS_WITH(parse_features("mean:30m", 0), Catch::Contains("mean:30m"));
  CHECK_THROWS_WITH(parse_features("median:3", 0), Catch::Contains("unknown feature 'median'"));
  CHECK_THROWS_WITH(parse_features("diff:2", 0), Catch::Contains("takes no parameter"));
  CHECK_THROWS_WITH(parse_features("ewm_mean:1.5", 0), Catch::Contains("(0, 1]"));
  CHECK_THROWS_WITH(parse_features("raw,,mean:3", 0), Catch::Contains("empty item"));
  CHECK_THROWS_AS(parse_features("", 0), usage_error);
}

TEST_CASE("replay --features: every column equals a naive recomputation", "[tools]") {
  std::mt19937_64 rng(7);
  std::uniform_real_distribution<double> u(0.5, 2.0);
  const std::size_t rows = 3000, d = 3;
  std::vector<double> x(rows * d);
  for (auto& v : x) v = u(rng);
  const std::vector<std::string> columns{"a", "b", "c"};
  std::vector<std::int64_t> row_time(rows);
  for (std::size_t r = 0; r < rows; ++r) row_time[r] = static_cast<std::int64_t>(r);

  const auto items = parse_features("raw,sum:7,mean:7,var:33,std:33,min:5,max:64,zscore:10,"
                                    "ewm_mean:0.2,ewm_std:0.2,lag,diff,ret,logret", 0);
  const auto t = build_features(items, x.data(), rows, d, columns, row_time);
  const std::size_t width = items.size() * d;
  REQUIRE(t.names.size() == width);
  CHECK(t.names[0] == "a");
  CHECK(t.names[d] == "sum:7(a)");
  REQUIRE(t.x.size() == rows * width);
  CHECK(t.window_overflows == 0);
  CHECK(t.undefined_returns == 0);

  const naive n{x, d};
  double ew_mean[3] = {}, ew_var[3] = {};
  double worst = 0;
  for (std::size_t r = 0; r < rows; ++r) {
    const double* f = t.x.data() + r * width;
    auto lo = [&](std::size_t span) { return r + 1 >= span ? r + 1 - span : 0; };
    for (std::size_t c = 0; c < d; ++c) {
      const double v = n.at(r, c);
      // EWMA as River: the first value initialises the mean; then m += a (x - m),
      // var = (1 - a)(var + a (x - m_old)²).
      const double a = r == 0 ? 1.0 : 0.2, delta = v - ew_mean[c];
      ew_mean[c] += a * delta;
      ew_var[c] = (1 - a) * (ew_var[c] + a * delta * delta);
      const double prev = r ? n.at(r - 1, c) : 0.0;
      const double sd33 = std::sqrt(n.var(lo(33), r, c));
      const double sd10 = std::sqrt(n.var(lo(10), r, c));
      const double expected[] = {
          v,
          n.mean(lo(7), r, c) * static_cast<double>(r - lo(7) + 1),
          n.mean(lo(7), r, c),
          n.var(lo(33), r, c),
          sd33,
          n.min(lo(5), r, c),
          n.max(lo(64), r, c),
          sd10 > 0 ? (v - n.mean(lo(10), r, c)) / sd10 : 0.0,
          ew_mean[c],
          std::sqrt(ew_var[c]),
          r ? prev : 0.0,
          r ? v - prev : 0.0,
          r ? v / prev - 1 : 0.0,
          r ? std::log(v / prev) : 0.0,
      };
      for (std::size_t k = 0; k < items.size(); ++k) {
        const double got = f[k * d + c];
        if (items[k].which == feature_item::kind::min || items[k].which == feature_item::kind::max) {
          REQUIRE(got == expected[k]);  // extremes are exact
        } else {
          INFO("row " << r << " column " << c << " feature " << items[k].text);
          REQUIRE(got == Approx(expected[k]).epsilon(1e-9).margin(1e-12));
          worst = std::max(worst, std::abs(got - expected[k]));
        }
      }
    }
  }
  CHECK(worst < 1e-9);
}

TEST_CASE("replay --features: time spans use the event times, not the row count", "[tools]") {
  // Irregular times: gaps of 1..9 ns; a span of 20 ns holds a varying number of rows.
  std::mt19937_64 rng(11);
  std::uniform_int_distribution<int> gap(1, 9);
  const std::size_t rows = 2000, d = 1;
  std::vector<double> x(rows);
  std::vector<std::int64_t> time(rows);
  std::int64_t now = 0;
  for (std::size_t r = 0; r < rows; ++r) {
    x[r] = static_cast<double>(r % 17);
    now += gap(rng);
    time[r] = now;
  }
  const auto items = parse_features("mean:20ns,max:20ns", 1);
  const auto t = build_features(items, x.data(), rows, d, {"v"}, time);
  for (std::size_t r = 0; r < rows; ++r) {
    double s = 0, mx = -1;
    std::size_t k = 0;
    for (std::size_t i = 0; i <= r; ++i) {
      if (time[i] > time[r] - 20) {  // the window (now - span, now]
        s += x[i];
        mx = std::max(mx, x[i]);
        ++k;
      }
    }
    INFO("row " << r);
    REQUIRE(t.x[r * 2] == Approx(s / static_cast<double>(k)).epsilon(1e-12));
    REQUIRE(t.x[r * 2 + 1] == mx);
  }
}

TEST_CASE("replay --config: flags from JSON, overridden by the command line", "[tools]") {
  const std::string path = "replay_config_test.json";
  {
    std::FILE* f = std::fopen(path.c_str(), "wb");
    REQUIRE(f);
    const char text[] = R"({"input": "a.csv", "features": ["raw", "mean:4"], "scale": true,
                            "no-progress": false, "param": ["delta=0.1", "clock=8"], "lr": 0.5})";
    std::fwrite(text, 1, sizeof text - 1, f);
    std::fclose(f);
  }
  std::string a0 = "replay", a1 = "--config", a2 = path, a3 = "--lr", a4 = "0.25";
  char* argv[] = {a0.data(), a1.data(), a2.data(), a3.data(), a4.data()};
  const auto args = rill::tools::expand_config(5, argv);
  const std::vector<std::string> expected{"replay",   "--input", "a.csv",      "--features",
                                          "raw,mean:4", "--scale", "--param",  "delta=0.1",
                                          "--param",  "clock=8", "--lr",      "0.25"};
  CHECK(args == expected);

  {
    std::FILE* f = std::fopen(path.c_str(), "wb");
    REQUIRE(f);
    const char text[] = R"({"input": {"file": "a.csv"}})";
    std::fwrite(text, 1, sizeof text - 1, f);
    std::fclose(f);
  }
  char* argv2[] = {a0.data(), a1.data(), a2.data()};
  CHECK_THROWS_WITH(rill::tools::expand_config(3, argv2), Catch::Contains("$.input") &&
                                                            Catch::Contains(path));
  std::remove(path.c_str());
  std::string missing = "--config=/nonexistent/x.json";
  char* argv3[] = {a0.data(), missing.data()};
  CHECK_THROWS_WITH(rill::tools::expand_config(2, argv3), Catch::Contains("cannot open"));
}
