// Text, JSON and Prometheus renderings of a metrics snapshot, formatted with {fmt}.
#include <fmt/format.h>

#include <cmath>
#include <iterator>
#include <string>
#include <string_view>
#include <vector>

#include "rill/metrics/exposition.hpp"

RILL_NAMESPACE_BEGIN

namespace {

using hist_value = metrics_snapshot::histogram_value;

constexpr std::array<double, 4> quantiles{0.5, 0.95, 0.99, 0.999};
constexpr std::array<std::string_view, 4> quantile_labels{"0.5", "0.95", "0.99", "0.999"};
constexpr std::array<std::string_view, 4> quantile_keys{"p50", "p95", "p99", "p999"};
constexpr std::array<std::string_view, 4> quantile_text{"p50", "p95", "p99", "p99.9"};

bool ends_with(std::string_view s, std::string_view suffix) {
  return s.size() >= suffix.size() && s.substr(s.size() - suffix.size()) == suffix;
}

double seconds(std::uint64_t ns) { return static_cast<double>(ns) / 1e9; }  // correctly rounded

// --------------------------------------------------------------- Prometheus

// Go's ParseFloat spellings for the non-finite values; shortest round-trip otherwise.
void prom_number(std::string& out, double v) {
  if (std::isnan(v)) {
    out += "NaN";
  } else if (std::isinf(v)) {
    out += v > 0 ? "+Inf" : "-Inf";
  } else {
    fmt::format_to(std::back_inserter(out), "{}", v);
  }
}

// [a-zA-Z_:][a-zA-Z0-9_:]*: anything else becomes '_'.
std::string prom_name(std::string_view prefix, std::string_view name, std::string_view suffix) {
  std::string raw;
  if (!prefix.empty()) {
    raw += prefix;
    raw += '_';
  }
  raw += name;
  raw += suffix;
  for (char& c : raw) {
    const bool ok = (c >= 'a' && c <= 'z') || (c >= 'A' && c <= 'Z') || (c >= '0' && c <= '9') ||
                    c == '_' || c == ':';
    if (!ok) c = '_';
  }
  if (raw.empty() || (raw[0] >= '0' && raw[0] <= '9')) raw.insert(raw.begin(), '_');
  return raw;
}

// Label values escape backslash, double quote and line feed; help text the first and last.
void prom_escaped(std::string& out, std::string_view s, bool quote) {
  for (char c : s) {
    if (c == '\\') {
      out += "\\\\";
    } else if (c == '\n') {
      out += "\\n";
    } else if (quote && c == '"') {
      out += "\\\"";
    } else {
      out += c;
    }
  }
}

void prom_labels(std::string& out, const metric_labels& labels, std::string_view extra_name = {},
                 std::string_view extra_value = {}) {
  if (labels.empty() && extra_name.empty()) return;
  out += '{';
  bool first = true;
  auto one = [&](std::string_view n, std::string_view v) {
    if (!first) out += ',';
    first = false;
    out += n;
    out += "=\"";
    prom_escaped(out, v, true);
    out += '"';
  };
  for (const auto& l : labels) one(l.name, l.value);
  if (!extra_name.empty()) one(extra_name, extra_value);
  out += '}';
}

void prom_header(std::string& out, const std::string& family, std::string_view help,
                 std::string_view help_suffix, std::string_view type) {
  out += "# HELP ";
  out += family;
  out += ' ';
  prom_escaped(out, help, false);
  prom_escaped(out, help_suffix, false);
  out += "\n# TYPE ";
  out += family;
  out += ' ';
  out += type;
  out += '\n';
}

void prom_sample(std::string& out, const std::string& name, const metric_labels& labels,
                 double value, std::string_view extra_name = {},
                 std::string_view extra_value = {}) {
  out += name;
  prom_labels(out, labels, extra_name, extra_value);
  out += ' ';
  prom_number(out, value);
  out += '\n';
}

void prom_sample(std::string& out, const std::string& name, const metric_labels& labels,
                 std::uint64_t value, std::string_view extra_name = {},
                 std::string_view extra_value = {}) {
  out += name;
  prom_labels(out, labels, extra_name, extra_value);
  fmt::format_to(std::back_inserter(out), " {}\n", value);
}

// Calls emit(family name, indices) per family, in order of first appearance: metrics
// registered under one name with different constant labels must be written together.
template <class Vec, class NameOf, class Emit>
void for_each_family(const Vec& v, NameOf name_of, Emit emit) {
  std::vector<bool> done(v.size(), false);
  std::vector<std::size_t> members;
  for (std::size_t i = 0; i < v.size(); ++i) {
    if (done[i]) continue;
    const std::string family = name_of(v[i]);
    members.clear();
    for (std::size_t j = i; j < v.size(); ++j)
      if (!done[j] && name_of(v[j]) == family) {
        members.push_back(j);
        done[j] = true;
      }
    emit(family, members);
  }
}

// The le ladder, cumulative, in one pass over the buckets (see
// prometheus_latency_bounds_ns for which bucket counts as <= a bound).
std::array<std::uint64_t, prometheus_latency_bounds_ns.size()> cumulative_buckets(
    const latency_histogram& h) {
  std::array<std::uint64_t, prometheus_latency_bounds_ns.size()> out{};
  if (h.count() == 0) return out;
  std::size_t b = 0;
  std::uint64_t seen = 0;
  for (std::size_t i = 0; i < latency_histogram::bucket_count; ++i) {
    const std::uint64_t c = h.bucket(i);
    if (c == 0) continue;
    std::uint64_t rep = latency_histogram::midpoint_of(i);
    rep = rep < h.min() ? h.min() : rep;
    rep = rep > h.max() ? h.max() : rep;
    for (; b < out.size() && prometheus_latency_bounds_ns[b] < rep; ++b) out[b] = seen;
    seen += c;
  }
  for (; b < out.size(); ++b) out[b] = seen;
  return out;
}

std::string histogram_base(std::string_view name) {
  return std::string(ends_with(name, "_seconds") ? name.substr(0, name.size() - 8) : name);
}

}  // namespace

std::string to_prometheus(const metrics_snapshot& s, std::string_view prefix) {
  std::string out;
  out.reserve(4096);

  for_each_family(
      s.counters,
      [&](const auto& c) {
        return prom_name(prefix, c.info.name, ends_with(c.info.name, "_total") ? "" : "_total");
      },
      [&](const std::string& family, const std::vector<std::size_t>& members) {
        prom_header(out, family, s.counters[members[0]].info.help, "", "counter");
        for (auto i : members)
          prom_sample(out, family, s.counters[i].info.labels, s.counters[i].value);
      });

  auto gauge_name = [&](const auto& g) { return prom_name(prefix, g.info.name, ""); };
  for_each_family(s.gauges, gauge_name,
                  [&](const std::string& family, const std::vector<std::size_t>& members) {
                    prom_header(out, family, s.gauges[members[0]].info.help, "", "gauge");
                    for (auto i : members)
                      prom_sample(out, family, s.gauges[i].info.labels, s.gauges[i].value);
                  });
  for_each_family(s.rates, gauge_name,
                  [&](const std::string& family, const std::vector<std::size_t>& members) {
                    prom_header(out, family, s.rates[members[0]].info.help, "", "gauge");
                    for (auto i : members)
                      prom_sample(out, family, s.rates[i].info.labels, s.rates[i].value);
                  });

  for_each_family(
      s.histograms,
      [&](const hist_value& h) {
        return prom_name(prefix, histogram_base(h.info.name), "_seconds");
      },
      [&](const std::string& family, const std::vector<std::size_t>& members) {
        const auto& help = s.histograms[members[0]].info.help;
        const std::string bucket = family + "_bucket", sum = family + "_sum",
                          count = family + "_count";
        prom_header(out, family, help, "", "histogram");
        for (auto i : members) {
          const auto& h = s.histograms[i];
          const auto cum = cumulative_buckets(h.histogram);
          std::string le;
          for (std::size_t b = 0; b < cum.size(); ++b) {
            le.clear();
            prom_number(le, seconds(prometheus_latency_bounds_ns[b]));
            prom_sample(out, bucket, h.info.labels, cum[b], "le", le);
          }
          prom_sample(out, bucket, h.info.labels, h.histogram.count(), "le", "+Inf");
          prom_sample(out, sum, h.info.labels, seconds(h.sum));
          prom_sample(out, count, h.info.labels, h.histogram.count());
        }

        const std::string base = family.substr(0, family.size() - 8);  // without _seconds
        const std::string qfamily = base + "_quantiles_seconds";
        prom_header(out, qfamily, help, " (quantiles since start)", "summary");
        for (auto i : members) {
          const auto& h = s.histograms[i];
          for (std::size_t q = 0; q < quantiles.size(); ++q) {
            // An empty summary's quantiles are NaN, as Prometheus' own clients write them.
            const double v =
                h.histogram.count() ? seconds(h.histogram.quantile(quantiles[q])) : std::nan("");
            prom_sample(out, qfamily, h.info.labels, v, "quantile", quantile_labels[q]);
          }
          prom_sample(out, qfamily + "_sum", h.info.labels, seconds(h.sum));
          prom_sample(out, qfamily + "_count", h.info.labels, h.histogram.count());
        }

        const std::string mfamily = base + "_max_seconds";
        prom_header(out, mfamily, help, " (largest value since start)", "gauge");
        for (auto i : members)
          prom_sample(out, mfamily, s.histograms[i].info.labels,
                      seconds(s.histograms[i].histogram.max()));
      });
  return out;
}

// ---------------------------------------------------------------------- JSON

namespace {

void json_string(std::string& out, std::string_view s) {
  out += '"';
  for (char ch : s) {
    const auto c = static_cast<unsigned char>(ch);
    switch (c) {
      case '"':
        out += "\\\"";
        break;
      case '\\':
        out += "\\\\";
        break;
      case '\n':
        out += "\\n";
        break;
      case '\r':
        out += "\\r";
        break;
      case '\t':
        out += "\\t";
        break;
      default:
        if (c < 0x20) {
          fmt::format_to(std::back_inserter(out), "\\u{:04x}", c);
        } else {
          out += ch;
        }
    }
  }
  out += '"';
}

void json_number(std::string& out, double v) {
  if (std::isfinite(v)) {
    fmt::format_to(std::back_inserter(out), "{}", v);
  } else {
    out += "null";  // JSON has no NaN or infinity
  }
}

void json_info(std::string& out, const metric_info& info) {
  out += "{\"name\": ";
  json_string(out, info.name);
  out += ", \"help\": ";
  json_string(out, info.help);
  out += ", \"labels\": {";
  for (std::size_t i = 0; i < info.labels.size(); ++i) {
    if (i) out += ", ";
    json_string(out, info.labels[i].name);
    out += ": ";
    json_string(out, info.labels[i].value);
  }
  out += '}';
}

constexpr std::string_view merge_name(gauge_merge m) {
  switch (m) {
    case gauge_merge::sum:
      return "sum";
    case gauge_merge::max:
      return "max";
    case gauge_merge::last:
      return "last";
  }
  return "?";
}

double mean_ns(const hist_value& h) {
  const auto n = h.histogram.count();
  return n ? static_cast<double>(h.sum) / static_cast<double>(n) : 0.0;
}

}  // namespace

std::string to_json(const metrics_snapshot& s) {
  std::string out;
  out.reserve(1024);
  auto it = std::back_inserter(out);
  fmt::format_to(it, "{{\"sequence\": {}, \"uptime_s\": ", s.sequence);
  json_number(out, s.uptime_s);
  out += ", \"interval_s\": ";
  json_number(out, s.interval_s);

  out += ", \"counters\": [";
  for (std::size_t i = 0; i < s.counters.size(); ++i) {
    if (i) out += ", ";
    json_info(out, s.counters[i].info);
    fmt::format_to(it, ", \"value\": {}}}", s.counters[i].value);
  }
  out += "], \"gauges\": [";
  for (std::size_t i = 0; i < s.gauges.size(); ++i) {
    if (i) out += ", ";
    json_info(out, s.gauges[i].info);
    fmt::format_to(it, ", \"merge\": \"{}\", \"value\": ", merge_name(s.gauges[i].merge));
    json_number(out, s.gauges[i].value);
    out += '}';
  }
  out += "], \"rates\": [";
  for (std::size_t i = 0; i < s.rates.size(); ++i) {
    if (i) out += ", ";
    json_info(out, s.rates[i].info);
    out += ", \"value\": ";
    json_number(out, s.rates[i].value);
    out += '}';
  }
  out += "], \"histograms\": [";
  for (std::size_t i = 0; i < s.histograms.size(); ++i) {
    if (i) out += ", ";
    const auto& h = s.histograms[i];
    json_info(out, h.info);
    fmt::format_to(it, ", \"unit\": \"ns\", \"count\": {}, \"sum\": {}, \"min\": {}, \"mean\": ",
                   h.histogram.count(), h.sum, h.histogram.min());
    json_number(out, mean_ns(h));
    for (std::size_t q = 0; q < quantiles.size(); ++q)
      fmt::format_to(it, ", \"{}\": {}", quantile_keys[q], h.histogram.quantile(quantiles[q]));
    fmt::format_to(it, ", \"max\": {}, \"clamped\": {}}}", h.histogram.max(),
                   h.histogram.clamped());
  }
  out += "]}";
  return out;
}

// ---------------------------------------------------------------------- text

namespace {

void text_name(std::string& out, const metric_info& info) {
  out += info.name;
  prom_labels(out, info.labels);
}

}  // namespace

std::string to_text(const metrics_snapshot& s) {
  std::string out;
  auto it = std::back_inserter(out);
  fmt::format_to(it, "# snapshot {}, uptime {:.3f} s, interval {:.3f} s\n", s.sequence, s.uptime_s,
                 s.interval_s);
  for (const auto& c : s.counters) {
    text_name(out, c.info);
    fmt::format_to(it, " {}\n", c.value);
  }
  for (const auto& g : s.gauges) {
    text_name(out, g.info);
    fmt::format_to(it, " {}\n", g.value);
  }
  for (const auto& r : s.rates) {
    text_name(out, r.info);
    fmt::format_to(it, " {:.6g}\n", r.value);
  }
  for (const auto& h : s.histograms) {
    text_name(out, h.info);
    fmt::format_to(it, " count={} min={}", h.histogram.count(), h.histogram.min());
    for (std::size_t q = 0; q < quantiles.size(); ++q)
      fmt::format_to(it, " {}={}", quantile_text[q], h.histogram.quantile(quantiles[q]));
    fmt::format_to(it, " max={} mean={:.1f} ns\n", h.histogram.max(), mean_ns(h));
  }
  return out;
}

RILL_NAMESPACE_END
