#include "replay_features.hpp"

#include <algorithm>
#include <charconv>
#include <chrono>
#include <memory>
#include <utility>

#include "cli.hpp"
#include "rill/window/ewm.hpp"
#include "rill/window/lag.hpp"
#include "rill/window/time_window.hpp"

namespace rill::tools {
namespace {

using K = feature_item::kind;

struct named_kind {
  const char* name;
  K which;
  enum class param { none, span, alpha } takes;
};
constexpr named_kind kinds[] = {
    {"raw", K::raw, named_kind::param::none},         {"sum", K::sum, named_kind::param::span},
    {"mean", K::mean, named_kind::param::span},       {"var", K::variance, named_kind::param::span},
    {"std", K::stddev, named_kind::param::span},      {"min", K::min, named_kind::param::span},
    {"max", K::max, named_kind::param::span},         {"zscore", K::zscore, named_kind::param::span},
    {"ewm_mean", K::ewm_mean, named_kind::param::alpha},
    {"ewm_std", K::ewm_std, named_kind::param::alpha},
    {"lag", K::lag, named_kind::param::none},         {"diff", K::diff, named_kind::param::none},
    {"ret", K::ret, named_kind::param::none},         {"logret", K::log_return, named_kind::param::none},
};

std::string known_names() {
  std::string out;
  for (const auto& k : kinds) out += (out.empty() ? "" : ", ") + std::string(k.name);
  return out;
}

bool parse_number(std::string_view s, double& out) {
  const auto [ptr, ec] = std::from_chars(s.data(), s.data() + s.size(), out);
  return ec == std::errc{} && ptr == s.data() + s.size();
}

std::int64_t parse_span(const std::string& item, std::string_view s, std::int64_t unit_ns) {
  std::int64_t scale = unit_ns > 0 ? unit_ns : 1;
  if (unit_ns > 0) {
    static constexpr std::pair<const char*, std::int64_t> suffixes[] = {
        {"ns", 1}, {"us", 1'000}, {"ms", 1'000'000}, {"s", 1'000'000'000},
        {"m", 60'000'000'000}, {"h", 3'600'000'000'000}, {"d", 86'400'000'000'000}};
    // Two-letter suffixes first, so "5ms" is not read as "5m" + "s".
    for (const auto& [suffix, ns] : suffixes) {
      const std::string_view sv(suffix);
      if (s.size() > sv.size() && s.ends_with(sv)) {
        s.remove_suffix(sv.size());
        scale = ns;
        break;
      }
    }
  }
  double v = 0;
  if (!parse_number(s, v) || !(v > 0))
    throw usage_error("--features " + item + ": the span must be a positive number" +
                      (unit_ns > 0 ? " with an optional unit (ns, us, ms, s, m, h, d)" : " of rows"));
  const double span = v * static_cast<double>(scale);
  if (unit_ns <= 0 && (v != static_cast<double>(static_cast<std::int64_t>(v)) ||
                       v > static_cast<double>(max_window_rows)))
    throw usage_error("--features " + item + ": a count window is a whole number of rows up to " +
                      std::to_string(max_window_rows));
  if (span >= 9.2e18) throw usage_error("--features " + item + ": span too long");
  return static_cast<std::int64_t>(span);
}

}  // namespace

std::vector<feature_item> parse_features(const std::string& text, std::int64_t time_unit_ns) {
  std::vector<feature_item> items;
  std::size_t start = 0;
  while (start <= text.size()) {
    const std::size_t comma = std::min(text.find(',', start), text.size());
    const std::string item = text.substr(start, comma - start);
    start = comma + 1;
    if (item.empty()) throw usage_error("--features: empty item in '" + text + "'");
    const std::size_t colon = item.find(':');
    const std::string name = item.substr(0, colon);
    const named_kind* k = nullptr;
    for (const auto& c : kinds)
      if (name == c.name) k = &c;
    if (!k) throw usage_error("--features: unknown feature '" + name + "'; known: " + known_names());
    feature_item f;
    f.which = k->which;
    f.text = item;
    const bool has_param = colon != std::string::npos;
    const std::string_view param = has_param ? std::string_view(item).substr(colon + 1) : "";
    switch (k->takes) {
      case named_kind::param::none:
        if (has_param) throw usage_error("--features " + item + ": '" + name + "' takes no parameter");
        break;
      case named_kind::param::span:
        if (!has_param) throw usage_error("--features " + name + " needs a span, e.g. " + name + ":48");
        f.span = parse_span(item, param, time_unit_ns);
        break;
      case named_kind::param::alpha:
        if (!has_param || !parse_number(param, f.alpha) || !(f.alpha > 0 && f.alpha <= 1))
          throw usage_error("--features " + item + ": needs a fading factor in (0, 1], e.g. " +
                            name + ":0.1");
        break;
    }
    items.push_back(std::move(f));
    if (comma == text.size()) break;
  }
  return items;
}

namespace {

// Where a feature's block of D columns comes from: which stage instance, which block
// of that stage's output row.
struct block_source {
  enum class stage { input, window, ewm, lag } from;
  std::size_t instance = 0, block = 0;
};

template <std::size_t W>
feature_table build(const std::vector<feature_item>& items, const double* x, std::size_t rows,
                    std::size_t d, const std::vector<std::string>& columns,
                    const std::vector<std::int64_t>& time_ns) {
  constexpr stat window_stats = stat::sum | stat::mean | stat::variance | stat::stddev | stat::min |
                                stat::max | stat::zscore;  // blocks 0..6 in this order
  using window_t = time_window<W, max_window_rows, window_stats, double>;
  using ewm_t = ewm<W, stat::mean | stat::stddev, double>;  // blocks 0, 1
  constexpr lag_op lag_ops = lag_op::value | lag_op::diff | lag_op::ret | lag_op::log_return;
  using lag_t = lag<W, 1, lag_ops, double>;

  std::vector<std::int64_t> spans;
  std::vector<double> alphas;
  std::vector<std::unique_ptr<window_t>> windows;  // large: W · 4096 rows each, on the heap
  std::vector<ewm_t> ewms;
  std::unique_ptr<lag_t> lags;
  std::vector<block_source> sources;
  auto instance_of = [](auto& keys, auto key) {
    const auto it = std::find(keys.begin(), keys.end(), key);
    if (it != keys.end()) return static_cast<std::size_t>(it - keys.begin());
    keys.push_back(key);
    return keys.size() - 1;
  };
  for (const auto& f : items) {
    using S = block_source::stage;
    switch (f.which) {
      case K::raw: sources.push_back({S::input, 0, 0}); break;
      case K::sum: case K::mean: case K::variance: case K::stddev:
      case K::min: case K::max: case K::zscore: {
        const std::size_t i = instance_of(spans, f.span);
        if (i == windows.size()) windows.push_back(std::make_unique<window_t>(f.span));
        sources.push_back({S::window, i, static_cast<std::size_t>(f.which) - static_cast<std::size_t>(K::sum)});
        break;
      }
      case K::ewm_mean: case K::ewm_std: {
        const std::size_t i = instance_of(alphas, f.alpha);
        if (i == ewms.size()) ewms.push_back(ewm_t::fading(f.alpha));
        sources.push_back({S::ewm, i, f.which == K::ewm_mean ? 0u : 1u});
        break;
      }
      case K::lag: case K::diff: case K::ret: case K::log_return:
        if (!lags) lags = std::make_unique<lag_t>();
        sources.push_back({S::lag, 0, static_cast<std::size_t>(f.which) - static_cast<std::size_t>(K::lag)});
        break;
    }
  }

  feature_table out;
  for (const auto& f : items)
    for (std::size_t c = 0; c < d; ++c)
      out.names.push_back(f.which == K::raw ? columns[c] : f.text + "(" + columns[c] + ")");
  const std::size_t width = items.size() * d;
  out.x.resize(rows * width);

  std::vector<typename window_t::output_row> window_rows(windows.size());
  std::vector<typename ewm_t::output_row> ewm_rows(ewms.size());
  typename lag_t::output_row lag_row{};
  feature_row<double, W> row{};
  feature_row<double, W> lag_in;  // padded with 1s, so the padding never counts as an undefined return
  lag_in.values.fill(1.0);
  const auto start = std::chrono::steady_clock::now();
  for (std::size_t r = 0; r < rows; ++r) {
    std::copy_n(x + r * d, d, row.data());
    for (std::size_t i = 0; i < windows.size(); ++i) {
      windows[i]->push(row, time_ns[r]);
      window_rows[i] = windows[i]->row();
    }
    for (std::size_t i = 0; i < ewms.size(); ++i) {
      ewms[i].push(row, time_ns[r]);
      ewm_rows[i] = ewms[i].row();
    }
    if (lags) {
      std::copy_n(row.data(), d, lag_in.data());
      lag_row = lags->push(lag_in);
    }
    double* dst = out.x.data() + r * width;
    for (const auto& s : sources) {
      const double* src = nullptr;
      switch (s.from) {
        case block_source::stage::input: src = row.data(); break;
        case block_source::stage::window: src = window_rows[s.instance].data() + s.block * W; break;
        case block_source::stage::ewm: src = ewm_rows[s.instance].data() + s.block * W; break;
        case block_source::stage::lag: src = lag_row.data() + s.block * W; break;
      }
      dst = std::copy_n(src, d, dst);
    }
  }
  out.seconds = std::chrono::duration<double>(std::chrono::steady_clock::now() - start).count();
  for (const auto& w : windows) {
    out.window_overflows += w->overflowed();
    out.out_of_order += w->out_of_order();
    out.late_dropped += w->late_dropped();
  }
  // The lag stage computes every op; its undefined count matters only if a return was asked for.
  const bool returns = std::any_of(items.begin(), items.end(), [](const feature_item& f) {
    return f.which == K::ret || f.which == K::log_return;
  });
  if (lags && returns) out.undefined_returns = lags->undefined();
  return out;
}

}  // namespace

feature_table build_features(const std::vector<feature_item>& items, const double* x,
                             std::size_t rows, std::size_t d,
                             const std::vector<std::string>& columns,
                             const std::vector<std::int64_t>& time_ns) {
  if (d <= 8) return build<8>(items, x, rows, d, columns, time_ns);
  if (d <= 16) return build<16>(items, x, rows, d, columns, time_ns);
  if (d <= 32) return build<32>(items, x, rows, d, columns, time_ns);
  if (d <= 64) return build<64>(items, x, rows, d, columns, time_ns);
  throw usage_error("--features works on files of up to 64 feature columns; this one has " +
                    std::to_string(d));
}

}  // namespace rill::tools
