// Metrics: registration, per-thread recording merged on snapshot, gauge merge rules,
// derived rates, the plain-histogram copy, histogram accuracy, and the exact text of
// the Prometheus, JSON and text renderings.
#include <algorithm>
#include <chrono>
#include <cmath>
#include <cstdint>
#include <cstdlib>
#include <limits>
#include <map>
#include <random>
#include <sstream>
#include <stdexcept>
#include <string>
#include <thread>
#include <vector>

#include "catch.hpp"
#include "rill/metrics/exposition.hpp"
#include "rill/metrics/registry.hpp"

namespace {

using clock_type = rill::metrics_registry::clock;
using namespace std::chrono_literals;

// The same histogram fed the same values, bucket by bucket.
void require_same_histogram(const rill::latency_histogram& got,
                            const rill::latency_histogram& want) {
  REQUIRE(got.count() == want.count());
  REQUIRE(got.min() == want.min());
  REQUIRE(got.max() == want.max());
  REQUIRE(got.clamped() == want.clamped());
  std::size_t differing = 0;
  for (std::size_t i = 0; i < rill::latency_histogram::bucket_count; ++i)
    differing += got.bucket(i) != want.bucket(i);
  REQUIRE(differing == 0);
  for (double q : {0.0, 0.001, 0.1, 0.5, 0.9, 0.95, 0.99, 0.999, 1.0})
    REQUIRE(got.quantile(q) == want.quantile(q));
}

// ------------------------------------------------ a minimal JSON validator (RFC 8259)

struct json_checker {
  const std::string& s;
  std::size_t i = 0;
  void ws() {
    while (i < s.size() && (s[i] == ' ' || s[i] == '\n' || s[i] == '\t' || s[i] == '\r')) ++i;
  }
  bool lit(const char* w) {
    const std::string word(w);
    if (s.compare(i, word.size(), word) != 0) return false;
    i += word.size();
    return true;
  }
  bool string() {
    if (i >= s.size() || s[i] != '"') return false;
    for (++i; i < s.size(); ++i) {
      const auto c = static_cast<unsigned char>(s[i]);
      if (c == '"') return ++i, true;
      if (c < 0x20) return false;
      if (c == '\\') {
        if (++i >= s.size()) return false;
        if (s[i] == 'u') {
          for (int k = 0; k < 4; ++k)
            if (++i >= s.size() || !std::isxdigit(static_cast<unsigned char>(s[i]))) return false;
        } else if (std::string("\"\\/bfnrt").find(s[i]) == std::string::npos) {
          return false;
        }
      }
    }
    return false;
  }
  bool number() {
    const std::size_t start = i;
    if (i < s.size() && s[i] == '-') ++i;
    if (i >= s.size() || !std::isdigit(static_cast<unsigned char>(s[i]))) return false;
    if (s[i] == '0') {
      ++i;
    } else {
      while (i < s.size() && std::isdigit(static_cast<unsigned char>(s[i]))) ++i;
    }
    if (i < s.size() && s[i] == '.') {
      ++i;
      if (i >= s.size() || !std::isdigit(static_cast<unsigned char>(s[i]))) return false;
      while (i < s.size() && std::isdigit(static_cast<unsigned char>(s[i]))) ++i;
    }
    if (i < s.size() && (s[i] == 'e' || s[i] == 'E')) {
      ++i;
      if (i < s.size() && (s[i] == '+' || s[i] == '-')) ++i;
      if (i >= s.size() || !std::isdigit(static_cast<unsigned char>(s[i]))) return false;
      while (i < s.size() && std::isdigit(static_cast<unsigned char>(s[i]))) ++i;
    }
    return i > start;
  }
  bool value() {
    ws();
    if (i >= s.size()) return false;
    bool ok = false;
    if (s[i] == '{') {
      ++i;
      ws();
      if (i < s.size() && s[i] == '}') {
        ok = (++i, true);
      } else {
        for (;;) {
          ws();
          if (!string()) return false;
          ws();
          if (i >= s.size() || s[i++] != ':') return false;
          if (!value()) return false;
          ws();
          if (i < s.size() && s[i] == ',') {
            ++i;
            continue;
          }
          ok = i < s.size() && s[i++] == '}';
          break;
        }
      }
    } else if (s[i] == '[') {
      ++i;
      ws();
      if (i < s.size() && s[i] == ']') {
        ok = (++i, true);
      } else {
        for (;;) {
          if (!value()) return false;
          ws();
          if (i < s.size() && s[i] == ',') {
            ++i;
            continue;
          }
          ok = i < s.size() && s[i++] == ']';
          break;
        }
      }
    } else if (s[i] == '"') {
      ok = string();
    } else if (s[i] == 't' || s[i] == 'f' || s[i] == 'n') {
      ok = lit("true") || lit("false") || lit("null");
    } else {
      ok = number();
    }
    ws();
    return ok;
  }
};

bool valid_json(const std::string& s) {
  json_checker c{s};
  return c.value() && c.i == s.size();
}

// ----------------------------------------- a small Prometheus text format 0.0.4 checker

bool name_char(char c, bool first, bool colon) {
  const bool alpha = (c >= 'a' && c <= 'z') || (c >= 'A' && c <= 'Z') || c == '_';
  return alpha || (colon && c == ':') || (!first && c >= '0' && c <= '9');
}

// Reads [a-zA-Z_:][a-zA-Z0-9_:]* (metric) or [a-zA-Z_][a-zA-Z0-9_]* (label) at `i`.
bool read_name(const std::string& s, std::size_t& i, bool colon, std::string& out) {
  const std::size_t start = i;
  while (i < s.size() && name_char(s[i], i == start, colon)) ++i;
  out = s.substr(start, i - start);
  return i > start;
}

bool read_value(const std::string& tok, double& v) {
  if (tok == "+Inf" || tok == "-Inf" || tok == "NaN") return v = 0, true;
  if (tok.empty() || tok.find_first_not_of("0123456789.eE+-") != std::string::npos) return false;
  char* end = nullptr;
  v = std::strtod(tok.c_str(), &end);
  return end == tok.c_str() + tok.size();
}

// Every line a HELP, TYPE or sample line; names and labels well formed, label values
// escaped; each family's TYPE once, before its samples, and its samples contiguous;
// histogram buckets cumulative, ending in le="+Inf". Returns "" or the first problem.
std::string check_prometheus(const std::string& text) {
  if (text.empty() || text.back() != '\n') return "does not end in a newline";
  std::map<std::string, std::string> types;
  std::map<std::string, bool> closed;
  std::string current, last_series;
  double last_bucket = -1;
  std::istringstream in(text);
  for (std::string line; std::getline(in, line);) {
    std::size_t i = 0;
    std::string name;
    if (line.rfind("# ", 0) == 0) {
      const std::string word = line.substr(2, 5);
      if (word != "HELP " && word != "TYPE ") return "unknown comment: " + line;
      i = 7;
      if (!read_name(line, i, true, name) || i >= line.size() || line[i] != ' ')
        return "bad name in: " + line;
      const std::string rest = line.substr(i + 1);
      if (word == "TYPE ") {
        if (types.count(name)) return "TYPE twice for " + name;
        if (rest != "counter" && rest != "gauge" && rest != "histogram" && rest != "summary" &&
            rest != "untyped")
          return "bad type: " + line;
        types[name] = rest;
      } else {
        for (std::size_t k = 0; k < rest.size(); ++k)
          if (rest[k] == '\\' &&
              (k + 1 == rest.size() || (rest[k + 1] != '\\' && rest[k + 1] != 'n')))
            return "bad escape in help: " + line;
          else if (rest[k] == '\\')
            ++k;
      }
      if (closed[name]) return "family " + name + " reopened";
      if (!current.empty() && current != name) closed[current] = true;
      current = name;
      continue;
    }
    if (!read_name(line, i, true, name)) return "bad metric name: " + line;
    std::string series, le;
    bool has_le = false;
    if (i < line.size() && line[i] == '{') {
      ++i;
      for (bool first = true;; first = false) {
        if (i < line.size() && line[i] == '}' && first) break;
        std::string label;
        if (!read_name(line, i, false, label)) return "bad label name: " + line;
        if (line.compare(i, 2, "=\"") != 0) return "bad label: " + line;
        i += 2;
        std::string value;
        for (; i < line.size() && line[i] != '"'; ++i) {
          if (line[i] == '\\') {
            if (++i >= line.size() || (line[i] != '\\' && line[i] != '"' && line[i] != 'n'))
              return "bad escape: " + line;
          }
          value += line[i];
        }
        if (i >= line.size()) return "unterminated label value: " + line;
        ++i;
        if (label == "le") {
          has_le = true;
          le = value;
        } else {
          series += label + "=" + value + ",";
        }
        if (i < line.size() && line[i] == ',') {
          ++i;
          continue;
        }
        if (i < line.size() && line[i] == '}') break;
        return "bad label list: " + line;
      }
      ++i;
    }
    double v = 0;
    if (i >= line.size() || line[i] != ' ' || !read_value(line.substr(i + 1), v))
      return "bad value: " + line;
    std::string family = name;
    for (const std::string sfx : {"_bucket", "_sum", "_count"})
      if (!types.count(family) && name.size() > sfx.size() &&
          name.compare(name.size() - sfx.size(), sfx.size(), sfx) == 0)
        family = name.substr(0, name.size() - sfx.size());
    if (!types.count(family)) return "sample before TYPE: " + line;
    if (family != current) return "family not contiguous: " + line;
    if (types[family] == "histogram" && name == family + "_bucket") {
      if (!has_le) return "bucket without le: " + line;
      if (series == last_series && v < last_bucket) return "buckets not cumulative: " + line;
      last_series = series;
      last_bucket = le == "+Inf" ? -1 : v;
    }
  }
  return "";
}

// -------------------------------------------------------------------- fixtures

// The small registry used for the exact renderings: values chosen so every figure can
// be worked out by hand (see the comments in the expected texts).
struct small_registry {
  clock_type::time_point t0{};
  rill::metrics_registry reg{t0};
  rill::counter_id events_a = reg.add_counter("events", "Events accepted.", {{"queue", "a"}});
  rill::counter_id events_b = reg.add_counter("events", "Events accepted.", {{"queue", "b"}});
  rill::counter_id errors = reg.add_counter("errors_total", "Errors, see \\docs\nsecond line");
  rill::counter_id odd = reg.add_counter("bad name-1", "Sanitised.");
  rill::gauge_id version =
      reg.add_gauge("model_version", "Model version in use.", rill::gauge_merge::max);
  rill::gauge_id depth = reg.add_gauge("queue_depth", "Items waiting.", rill::gauge_merge::sum,
                                       {{"queue", "a\"b\\c\nd"}});
  rill::histogram_id latency =
      reg.add_histogram("stage_latency", "Stage latency.", {{"stage", "score"}});
  rill::rate_id eps = reg.add_rate("events_per_second", "Events per second.", events_a);
  rill::rate_id ratio =
      reg.add_ratio("error_ratio", "Errors per event.", errors, {events_a, events_b});

  rill::metrics_snapshot fill() {
    auto& a = reg.add_recorder("a");
    auto& b = reg.add_recorder("b");
    a.add(events_a, 4);
    b.add(events_a, 3);  // 7
    b.add(events_b, 5);
    a.add(errors);
    a.add(errors, 2);  // 3
    b.add(odd);
    a.set(version, 3);
    b.set(version, 4);  // max: 4
    a.set(depth, 2);
    b.set(depth, 5);  // sum: 7
    for (std::uint64_t v : {100, 200, 300, 1000, 3000}) a.record(latency, v);
    for (std::uint64_t v : {60, 40'000'000}) b.record(latency, v);
    return reg.snapshot(t0 + 2s);
  }
};

}  // namespace

TEST_CASE("metrics_registry: registration and its errors", "[metrics]") {
  rill::metrics_registry reg;
  const auto c0 = reg.add_counter("a", "first");
  const auto c1 = reg.add_counter("a", "same name, other labels", {{"k", "v"}});
  const auto g0 = reg.add_gauge("g", "", rill::gauge_merge::sum);
  const auto h0 = reg.add_histogram("h", "");
  REQUIRE(c0.index == 0);
  REQUIRE(c1.index == 1);
  REQUIRE(g0.index == 0);
  REQUIRE(h0.index == 0);

  REQUIRE_THROWS_AS(reg.add_counter("", "empty"), std::invalid_argument);
  REQUIRE_THROWS_AS(reg.add_counter("a", "duplicate"), std::invalid_argument);
  REQUIRE_THROWS_AS(reg.add_counter("a", "duplicate", {{"k", "v"}}), std::invalid_argument);
  REQUIRE_THROWS_AS(reg.add_gauge("a", "other kind", rill::gauge_merge::max),
                    std::invalid_argument);
  REQUIRE_THROWS_AS(reg.add_histogram("g", "other kind"), std::invalid_argument);
  for (const char* bad : {"le", "quantile", "__x", "1a", "a-b", ""})
    REQUIRE_THROWS_AS(reg.add_counter("b", "", {{bad, "v"}}), std::invalid_argument);
  REQUIRE_THROWS_AS(reg.add_counter("b", "", {{"k", "1"}, {"k", "2"}}), std::invalid_argument);
  REQUIRE_THROWS_AS(reg.add_ratio("r", "", c0, {}), std::invalid_argument);
  REQUIRE_THROWS_AS(reg.add_rate("r", "", rill::counter_id{7}), std::invalid_argument);
  try {
    reg.add_counter("b", "", {{"le", "1"}});
  } catch (const std::invalid_argument& e) {
    REQUIRE(std::string(e.what()).find("le") != std::string::npos);
  }

  auto& r = reg.add_recorder("worker");
  REQUIRE(reinterpret_cast<std::uintptr_t>(&r) % rill::cache_line == 0);
  REQUIRE(r.name() == "worker");
  REQUIRE_THROWS_AS(reg.add_recorder("worker"), std::invalid_argument);
  // Recorders size their storage once: no more counters, gauges or histograms.
  REQUIRE_THROWS_AS(reg.add_counter("late", ""), std::logic_error);
  REQUIRE_THROWS_AS(reg.add_gauge("late", "", rill::gauge_merge::sum), std::logic_error);
  REQUIRE_THROWS_AS(reg.add_histogram("late", ""), std::logic_error);
  // ... but derived rates may still be added.
  const auto rt = reg.add_rate("a_per_s", "", c0);
  REQUIRE(rt.index == 0);
  auto& r2 = reg.add_recorder("other");
  REQUIRE(&r2 != &r);
  REQUIRE(reg.recorder_count() == 2);
}

TEST_CASE("metrics_registry: a snapshot without recorders is all zero", "[metrics]") {
  rill::metrics_registry reg;
  const auto c = reg.add_counter("c", "");
  const auto g = reg.add_gauge("g", "", rill::gauge_merge::max);
  const auto h = reg.add_histogram("h", "");
  const auto s = reg.snapshot();
  REQUIRE(s.sequence == 1);
  REQUIRE(s.value(c) == 0);
  REQUIRE(s.value(g) == 0);
  REQUIRE_FALSE(s.gauges[g.index].set);
  REQUIRE(s.histogram(h).count() == 0);
  REQUIRE(s.histograms[h.index].sum == 0);
  REQUIRE(reg.snapshot().sequence == 2);
}

TEST_CASE("metrics_recorder: per-thread recording merges to exact totals", "[metrics]") {
  for (int threads : {2, 3, 4}) {
    rill::metrics_registry reg;
    const auto events = reg.add_counter("events", "");
    const auto bytes = reg.add_counter("bytes", "");
    const auto lat = reg.add_histogram("latency", "");
    const auto other = reg.add_histogram("other", "");  // never recorded
    std::vector<rill::metrics_recorder*> recorders;
    for (int t = 0; t < threads; ++t)
      recorders.push_back(&reg.add_recorder(std::string(1, 't') += std::to_string(t)));

    // Each thread's values, recomputed below without the registry.
    auto value_of = [](int t, std::uint64_t i) -> std::uint64_t {
      if (i % 9973 == 5) return rill::latency_histogram::max_value + 1 + i;  // clamped
      return (i * 2654435761u + static_cast<std::uint64_t>(t) * 977) %
             (std::uint64_t{1} << (8 + i % 30));
    };
    auto count_of = [](int t) { return std::uint64_t{20'000} * static_cast<std::uint64_t>(t + 1); };

    std::vector<std::thread> pool;
    for (int t = 0; t < threads; ++t)
      pool.emplace_back([&, t] {
        auto& r = *recorders[static_cast<std::size_t>(t)];
        for (std::uint64_t i = 0; i < count_of(t); ++i) {
          r.add(events);
          r.add(bytes, i);
          r.record(lat, value_of(t, i));
        }
      });
    for (auto& th : pool) th.join();

    rill::latency_histogram want;
    std::uint64_t want_events = 0, want_bytes = 0, want_sum = 0;
    for (int t = 0; t < threads; ++t)
      for (std::uint64_t i = 0; i < count_of(t); ++i) {
        ++want_events;
        want_bytes += i;
        const auto v = value_of(t, i);
        want.record(v);
        want_sum += std::min(v, rill::latency_histogram::max_value);
      }
    const auto s = reg.snapshot();
    REQUIRE(s.value(events) == want_events);
    REQUIRE(s.value(bytes) == want_bytes);
    REQUIRE(s.histograms[lat.index].sum == want_sum);
    REQUIRE(want.clamped() > 0);
    require_same_histogram(s.histogram(lat), want);
    REQUIRE(s.histogram(other).count() == 0);
  }
}

TEST_CASE("fill_latency_histogram: the plain copy equals a histogram fed the values", "[metrics]") {
  std::mt19937_64 rng(42);
  for (int round = 0; round < 30; ++round) {
    rill::concurrent_latency_histogram c;
    rill::latency_histogram want;
    const int n = round == 0 ? 1 : static_cast<int>(rng() % 5000);
    const int top_bits = 1 + static_cast<int>(rng() % 43);  // up to beyond max_value
    std::uint64_t sum = 0;
    for (int i = 0; i < n; ++i) {
      std::uint64_t v = rng() >> (64 - top_bits);
      if (round % 3 == 0) v = 1000 + (v & 1);  // few buckets, large counts
      c.record(v);
      want.record(v);
      sum += std::min(v, rill::latency_histogram::max_value);
    }
    const auto got = c.snapshot();
    require_same_histogram(got, want);
    rill::latency_histogram reused;  // filling replaces what was there
    reused.record(12345);
    rill::concurrent_latency_histogram::state st;
    c.collect(st);
    rill::fill_latency_histogram(reused, st);
    require_same_histogram(reused, want);
    REQUIRE(c.sum() == sum);
    // Sums are carried over exactly, so the mean is exact too.
    REQUIRE(got.mean() == want.mean());
  }
  rill::concurrent_latency_histogram empty;
  REQUIRE(empty.snapshot().count() == 0);
}

TEST_CASE("metrics_registry: gauge merge rules", "[metrics]") {
  rill::metrics_registry reg;
  const auto sum = reg.add_gauge("depth", "", rill::gauge_merge::sum);
  const auto mx = reg.add_gauge("high", "", rill::gauge_merge::max);
  const auto last = reg.add_gauge("rate", "", rill::gauge_merge::last);
  const auto unset = reg.add_gauge("unset", "", rill::gauge_merge::max);
  auto& a = reg.add_recorder("a");
  auto& b = reg.add_recorder("b");
  auto& idle = reg.add_recorder("idle");  // sets nothing: takes no part
  (void)idle;

  a.set(sum, 2.5);
  b.set(sum, 4);
  a.set(mx, -5);
  b.set(mx, -3);  // max of negatives: an unset recorder's 0 must not win
  a.set(last, 1);
  std::this_thread::sleep_for(2ms);
  b.set(last, 2);
  auto s = reg.snapshot();
  REQUIRE(s.value(sum) == 6.5);
  REQUIRE(s.value(mx) == -3);
  REQUIRE(s.value(last) == 2);
  REQUIRE(s.value(unset) == 0);
  REQUIRE(s.gauges[sum.index].set);
  REQUIRE_FALSE(s.gauges[unset.index].set);

  std::this_thread::sleep_for(2ms);
  a.set(last, 3);  // the older recorder sets it again: now it is the most recent
  a.set(sum, 1);   // a gauge is a value, not a counter
  b.set(mx, -10);
  s = reg.snapshot();
  REQUIRE(s.value(last) == 3);
  REQUIRE(s.value(sum) == 5);
  REQUIRE(s.value(mx) == -5);
}

TEST_CASE("metrics_registry: rates over the interval since the previous snapshot", "[metrics]") {
  const clock_type::time_point t0{};
  rill::metrics_registry reg(t0);
  const auto events = reg.add_counter("events", "");
  const auto errors = reg.add_counter("errors", "");
  const auto dropped = reg.add_counter("dropped", "");
  const auto eps = reg.add_rate("events_per_second", "", events);
  const auto err = reg.add_ratio("error_rate", "", errors, {events});
  const auto lost = reg.add_ratio("loss", "", dropped, {events, dropped});
  auto& r = reg.add_recorder("r");

  r.add(events, 100);
  r.add(errors, 5);
  r.add(dropped, 25);
  auto s = reg.snapshot(t0 + 2s);
  REQUIRE(s.uptime_s == 2);
  REQUIRE(s.interval_s == 2);
  REQUIRE(s.value(eps) == 50);    // 100 / 2 s
  REQUIRE(s.value(err) == 0.05);  // 5 / 100
  REQUIRE(s.value(lost) == 0.2);  // 25 / (100 + 25)

  r.add(events, 30);
  r.add(errors, 3);
  s = reg.snapshot(t0 + 2500ms);
  REQUIRE(s.uptime_s == 2.5);
  REQUIRE(s.interval_s == 0.5);
  REQUIRE(s.value(eps) == 60);   // 30 / 0.5 s
  REQUIRE(s.value(err) == 0.1);  // 3 / 30
  REQUIRE(s.value(lost) == 0);   // nothing dropped in this interval

  s = reg.snapshot(t0 + 3500ms);  // nothing happened
  REQUIRE(s.value(eps) == 0);
  REQUIRE(s.value(err) == 0);       // no events: 0, not NaN
  REQUIRE(s.value(events) == 130);  // counters stay cumulative
}

TEST_CASE("histogram accuracy: quantiles within 1 % of the exact order statistic", "[metrics]") {
  // 10^6 log-uniform values from 10 ns to 10 s, through a recorder and a snapshot.
  rill::metrics_registry reg;
  const auto h = reg.add_histogram("latency", "");
  auto& r = reg.add_recorder("r");
  std::mt19937_64 rng(7);
  std::uniform_real_distribution<double> log_ns(std::log(10.0), std::log(1e10));
  constexpr std::size_t n = 1'000'000;
  std::vector<std::uint64_t> values(n);
  for (auto& v : values) {
    v = static_cast<std::uint64_t>(std::llround(std::exp(log_ns(rng))));
    r.record(h, v);
  }
  const auto s = reg.snapshot();
  const auto& got = s.histogram(h);
  std::sort(values.begin(), values.end());
  REQUIRE(got.count() == n);
  for (double q : {0.5, 0.95, 0.99, 0.999}) {
    const auto rank = static_cast<std::size_t>(std::ceil(q * static_cast<double>(n)));
    const double exact = static_cast<double>(values[rank - 1]);
    const double est = static_cast<double>(got.quantile(q));
    INFO("q " << q << " exact " << exact << " estimate " << est);
    REQUIRE(std::abs(est - exact) <= 0.01 * exact);
    REQUIRE(std::abs(est - exact) <= 0.004 * exact);  // what the bucket width promises
  }
  REQUIRE(got.max() == values.back());
  REQUIRE(got.min() == values.front());
  std::uint64_t sum = 0;
  for (auto v : values) sum += v;
  REQUIRE(s.histograms[h.index].sum == sum);
}

TEST_CASE("to_prometheus: exact text of a small registry", "[metrics]") {
  small_registry f;
  const auto s = f.fill();
  // Latencies recorded (ns): 60, 100, 200, 300, 1000, 3000, 40'000'000 (sum 40'004'660).
  // Bucket representatives: exact below 256; 300 -> [300, 301] -> 300; 1000 -> [1000,
  // 1003] -> 1001 (so not <= 1 µs); 3000 -> [2992, 3007] -> 2999; 40 ms -> [39'845'888,
  // 40'108'031] -> 39'976'959. Quantiles (rank ceil(q·7)): p50 = 4th = 300 ns; p95, p99,
  // p99.9 = 7th -> 39'976'959 ns. Max exact: 40 ms.
  const std::string want =
      "# HELP rill_events_total Events accepted.\n"
      "# TYPE rill_events_total counter\n"
      "rill_events_total{queue=\"a\"} 7\n"
      "rill_events_total{queue=\"b\"} 5\n"
      "# HELP rill_errors_total Errors, see \\\\docs\\nsecond line\n"
      "# TYPE rill_errors_total counter\n"
      "rill_errors_total 3\n"
      "# HELP rill_bad_name_1_total Sanitised.\n"
      "# TYPE rill_bad_name_1_total counter\n"
      "rill_bad_name_1_total 1\n"
      "# HELP rill_model_version Model version in use.\n"
      "# TYPE rill_model_version gauge\n"
      "rill_model_version 4\n"
      "# HELP rill_queue_depth Items waiting.\n"
      "# TYPE rill_queue_depth gauge\n"
      "rill_queue_depth{queue=\"a\\\"b\\\\c\\nd\"} 7\n"
      "# HELP rill_events_per_second Events per second.\n"
      "# TYPE rill_events_per_second gauge\n"
      "rill_events_per_second 3.5\n"
      "# HELP rill_error_ratio Errors per event.\n"
      "# TYPE rill_error_ratio gauge\n"
      "rill_error_ratio 0.25\n"
      "# HELP rill_stage_latency_seconds Stage latency.\n"
      "# TYPE rill_stage_latency_seconds histogram\n"
      "rill_stage_latency_seconds_bucket{stage=\"score\",le=\"5e-08\"} 0\n"
      "rill_stage_latency_seconds_bucket{stage=\"score\",le=\"1e-07\"} 2\n"
      "rill_stage_latency_seconds_bucket{stage=\"score\",le=\"2e-07\"} 3\n"
      "rill_stage_latency_seconds_bucket{stage=\"score\",le=\"5e-07\"} 4\n"
      "rill_stage_latency_seconds_bucket{stage=\"score\",le=\"1e-06\"} 4\n"
      "rill_stage_latency_seconds_bucket{stage=\"score\",le=\"2e-06\"} 5\n"
      "rill_stage_latency_seconds_bucket{stage=\"score\",le=\"5e-06\"} 6\n"
      "rill_stage_latency_seconds_bucket{stage=\"score\",le=\"1e-05\"} 6\n"
      "rill_stage_latency_seconds_bucket{stage=\"score\",le=\"2e-05\"} 6\n"
      "rill_stage_latency_seconds_bucket{stage=\"score\",le=\"5e-05\"} 6\n"
      "rill_stage_latency_seconds_bucket{stage=\"score\",le=\"0.0001\"} 6\n"
      "rill_stage_latency_seconds_bucket{stage=\"score\",le=\"0.0002\"} 6\n"
      "rill_stage_latency_seconds_bucket{stage=\"score\",le=\"0.0005\"} 6\n"
      "rill_stage_latency_seconds_bucket{stage=\"score\",le=\"0.001\"} 6\n"
      "rill_stage_latency_seconds_bucket{stage=\"score\",le=\"0.002\"} 6\n"
      "rill_stage_latency_seconds_bucket{stage=\"score\",le=\"0.005\"} 6\n"
      "rill_stage_latency_seconds_bucket{stage=\"score\",le=\"0.01\"} 6\n"
      "rill_stage_latency_seconds_bucket{stage=\"score\",le=\"0.02\"} 6\n"
      "rill_stage_latency_seconds_bucket{stage=\"score\",le=\"0.05\"} 7\n"
      "rill_stage_latency_seconds_bucket{stage=\"score\",le=\"0.1\"} 7\n"
      "rill_stage_latency_seconds_bucket{stage=\"score\",le=\"0.2\"} 7\n"
      "rill_stage_latency_seconds_bucket{stage=\"score\",le=\"0.5\"} 7\n"
      "rill_stage_latency_seconds_bucket{stage=\"score\",le=\"1\"} 7\n"
      "rill_stage_latency_seconds_bucket{stage=\"score\",le=\"2\"} 7\n"
      "rill_stage_latency_seconds_bucket{stage=\"score\",le=\"5\"} 7\n"
      "rill_stage_latency_seconds_bucket{stage=\"score\",le=\"10\"} 7\n"
      "rill_stage_latency_seconds_bucket{stage=\"score\",le=\"+Inf\"} 7\n"
      "rill_stage_latency_seconds_sum{stage=\"score\"} 0.04000466\n"
      "rill_stage_latency_seconds_count{stage=\"score\"} 7\n"
      "# HELP rill_stage_latency_quantiles_seconds Stage latency. (quantiles since start)\n"
      "# TYPE rill_stage_latency_quantiles_seconds summary\n"
      "rill_stage_latency_quantiles_seconds{stage=\"score\",quantile=\"0.5\"} 3e-07\n"
      "rill_stage_latency_quantiles_seconds{stage=\"score\",quantile=\"0.95\"} 0.039976959\n"
      "rill_stage_latency_quantiles_seconds{stage=\"score\",quantile=\"0.99\"} 0.039976959\n"
      "rill_stage_latency_quantiles_seconds{stage=\"score\",quantile=\"0.999\"} 0.039976959\n"
      "rill_stage_latency_quantiles_seconds_sum{stage=\"score\"} 0.04000466\n"
      "rill_stage_latency_quantiles_seconds_count{stage=\"score\"} 7\n"
      "# HELP rill_stage_latency_max_seconds Stage latency. (largest value since start)\n"
      "# TYPE rill_stage_latency_max_seconds gauge\n"
      "rill_stage_latency_max_seconds{stage=\"score\"} 0.04\n";
  const auto got = rill::to_prometheus(s);
  REQUIRE(got == want);
  REQUIRE(check_prometheus(got).empty());
  // Another prefix, and none.
  REQUIRE(rill::to_prometheus(s, "app").find("\napp_model_version 4\n") != std::string::npos);
  REQUIRE(rill::to_prometheus(s, "").find("\nmodel_version 4\n") != std::string::npos);
}

TEST_CASE("to_prometheus: names, empty histograms and the checker itself", "[metrics]") {
  rill::metrics_registry reg;
  reg.add_counter("9lives", "leading digit");
  reg.add_counter("x.y:z", "dots");
  reg.add_histogram("idle_seconds", "never recorded");
  reg.add_histogram("h", "two series", {{"stage", "a"}});
  const auto hb = reg.add_histogram("h", "two series", {{"stage", "b"}});
  reg.add_gauge("w", "help with \"quotes\" stays", rill::gauge_merge::last);
  auto& r = reg.add_recorder("r");
  r.record(hb, 1500);
  const auto text = rill::to_prometheus(reg.snapshot(), "");
  INFO(text);
  REQUIRE(check_prometheus(text).empty());
  REQUIRE(text.find("\n_9lives_total 0\n") != std::string::npos);
  REQUIRE(text.find("\nx_y:z_total 0\n") != std::string::npos);
  // A trailing _seconds is not doubled; an empty summary's quantiles are NaN.
  REQUIRE(text.find("# TYPE idle_seconds histogram\n") != std::string::npos);
  REQUIRE(text.find("\nidle_seconds_bucket{le=\"+Inf\"} 0\n") != std::string::npos);
  REQUIRE(text.find("\nidle_quantiles_seconds{quantile=\"0.99\"} NaN\n") != std::string::npos);
  REQUIRE(text.find("\nidle_max_seconds 0\n") != std::string::npos);
  REQUIRE(text.find("# HELP w help with \"quotes\" stays\n") != std::string::npos);
  // Two series of one family under one HELP/TYPE (the checker rejects reopened families).
  REQUIRE(
      text.find("h_seconds_count{stage=\"a\"} 0\nh_seconds_bucket{stage=\"b\",le=\"5e-08\"} 0\n") !=
      std::string::npos);
  REQUIRE(text.find("h_quantiles_seconds{stage=\"b\",quantile=\"0.5\"} 1.5e-06\n") !=
          std::string::npos);  // 1500 -> [1496, 1503] -> midpoint 1499, clamped to min 1500

  // The checker must catch what it claims to.
  REQUIRE_FALSE(check_prometheus("# TYPE a counter\na 1").empty());  // no final newline
  REQUIRE_FALSE(check_prometheus("# TYPE a counter\na{x=\"\n\"} 1\n").empty());
  REQUIRE_FALSE(check_prometheus("# TYPE a counter\na{x=\"1\"} one\n").empty());
  REQUIRE_FALSE(check_prometheus("# TYPE a counter\n# TYPE b gauge\nb 1\na 1\n").empty());
  REQUIRE_FALSE(check_prometheus("# TYPE a-b counter\na-b 1\n").empty());
  REQUIRE_FALSE(check_prometheus("# TYPE h histogram\nh_bucket{le=\"1\"} 2\n"
                                 "h_bucket{le=\"2\"} 1\n")
                    .empty());
  REQUIRE(check_prometheus("# TYPE a counter\na{x=\"q\\\"\\n\"} 1e+06\n").empty());
}

TEST_CASE("to_json: exact text, and valid JSON with awkward strings", "[metrics]") {
  small_registry f;
  const auto s = f.fill();
  // mean = 40'004'660 / 7 = 5714951.428571428 (shortest round-trip of the double)
  const std::string want =
      "{\"sequence\": 1, \"uptime_s\": 2, \"interval_s\": 2, \"counters\": ["
      "{\"name\": \"events\", \"help\": \"Events accepted.\", \"labels\": {\"queue\": \"a\"}, "
      "\"value\": 7}, "
      "{\"name\": \"events\", \"help\": \"Events accepted.\", \"labels\": {\"queue\": \"b\"}, "
      "\"value\": 5}, "
      "{\"name\": \"errors_total\", \"help\": \"Errors, see \\\\docs\\nsecond line\", "
      "\"labels\": {}, \"value\": 3}, "
      "{\"name\": \"bad name-1\", \"help\": \"Sanitised.\", \"labels\": {}, \"value\": 1}], "
      "\"gauges\": ["
      "{\"name\": \"model_version\", \"help\": \"Model version in use.\", \"labels\": {}, "
      "\"merge\": \"max\", \"value\": 4}, "
      "{\"name\": \"queue_depth\", \"help\": \"Items waiting.\", \"labels\": {\"queue\": "
      "\"a\\\"b\\\\c\\nd\"}, \"merge\": \"sum\", \"value\": 7}], "
      "\"rates\": ["
      "{\"name\": \"events_per_second\", \"help\": \"Events per second.\", \"labels\": {}, "
      "\"value\": 3.5}, "
      "{\"name\": \"error_ratio\", \"help\": \"Errors per event.\", \"labels\": {}, "
      "\"value\": 0.25}], "
      "\"histograms\": ["
      "{\"name\": \"stage_latency\", \"help\": \"Stage latency.\", \"labels\": {\"stage\": "
      "\"score\"}, \"unit\": \"ns\", \"count\": 7, \"sum\": 40004660, \"min\": 60, "
      "\"mean\": 5714951.428571428, \"p50\": 300, \"p95\": 39976959, \"p99\": 39976959, "
      "\"p999\": 39976959, \"max\": 40000000, \"clamped\": 0}]}";
  const auto got = rill::to_json(s);
  REQUIRE(got == want);
  REQUIRE(valid_json(got));

  rill::metrics_registry reg;
  reg.add_counter("ctl\x01\x1f\t\r/", "tab\there");
  const auto g = reg.add_gauge("inf", "", rill::gauge_merge::last);
  reg.add_recorder("r").set(g, std::numeric_limits<double>::infinity());
  const auto odd = rill::to_json(reg.snapshot());
  INFO(odd);
  REQUIRE(valid_json(odd));
  REQUIRE(odd.find("\"ctl\\u0001\\u001f\\t\\r/\"") != std::string::npos);
  REQUIRE(odd.find("\"value\": null") != std::string::npos);

  // The validator must reject what is not JSON.
  for (const char* bad : {"{", "{\"a\": }", "{\"a\": 01}", "{\"a\": nan}", "[1,]",
                          "{\"a\": \"\x01\"}", "{\"a\": 1} x", "\"\\x\""})
    REQUIRE_FALSE(valid_json(bad));
  REQUIRE(valid_json("{\"a\": [1, -2.5e-3, true, null, {}], \"b\": \"\\u00e9\"}"));
}

TEST_CASE("to_text: exact text of a small registry", "[metrics]") {
  small_registry f;
  const auto s = f.fill();
  const std::string want =
      "# snapshot 1, uptime 2.000 s, interval 2.000 s\n"
      "events{queue=\"a\"} 7\n"
      "events{queue=\"b\"} 5\n"
      "errors_total 3\n"
      "bad name-1 1\n"
      "model_version 4\n"
      "queue_depth{queue=\"a\\\"b\\\\c\\nd\"} 7\n"
      "events_per_second 3.5\n"
      "error_ratio 0.25\n"
      "stage_latency{stage=\"score\"} count=7 min=60 p50=300 p95=39976959 p99=39976959 "
      "p99.9=39976959 max=40000000 mean=5714951.4 ns\n";
  REQUIRE(rill::to_text(s) == want);
}
