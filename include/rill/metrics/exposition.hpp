// A metrics snapshot as human-readable text, JSON, and Prometheus text format 0.0.4.
#pragma once

#include <array>
#include <cstdint>
#include <string>
#include <string_view>

#include "rill/config.hpp"
#include "rill/metrics/registry.hpp"

RILL_NAMESPACE_BEGIN

/// Upper bounds (ns) of the cumulative `le` buckets a latency histogram is exposed with
/// to Prometheus: 1-2-5 per decade from 50 ns to 10 s, then +Inf. A recorded value
/// counts as <= a bound when its bucket's representative (the midpoint, clamped to the
/// observed min and max, as in latency_histogram::quantile) is; so the counts agree
/// with the exposed quantiles, exactly below 256 ns and within 0.4 % above.
inline constexpr std::array<std::uint64_t, 26> prometheus_latency_bounds_ns{50,
                                                                            100,
                                                                            200,
                                                                            500,
                                                                            1'000,
                                                                            2'000,
                                                                            5'000,
                                                                            10'000,
                                                                            20'000,
                                                                            50'000,
                                                                            100'000,
                                                                            200'000,
                                                                            500'000,
                                                                            1'000'000,
                                                                            2'000'000,
                                                                            5'000'000,
                                                                            10'000'000,
                                                                            20'000'000,
                                                                            50'000'000,
                                                                            100'000'000,
                                                                            200'000'000,
                                                                            500'000'000,
                                                                            1'000'000'000,
                                                                            2'000'000'000,
                                                                            5'000'000'000,
                                                                            10'000'000'000};

/// One line per metric, `name{labels} value`; histograms as
/// `name{labels} count=N min=.. p50=.. p95=.. p99=.. p99.9=.. max=.. mean=.. ns`.
/// For people and logs; the format may change. Allocates the result; any thread.
std::string to_text(const metrics_snapshot& s);

/// One JSON object: {"sequence", "uptime_s", "interval_s", "counters": [...],
/// "gauges": [...], "rates": [...], "histograms": [...]}; each metric an object with
/// "name", "help", "labels" (an object) and its values as JSON numbers (histogram values
/// in ns: count, sum, min, mean, p50, p95, p99, p999, max, clamped). A non-finite gauge
/// is null. Allocates the result; any thread.
std::string to_json(const metrics_snapshot& s);

/// Prometheus text exposition format 0.0.4 (Content-Type:
/// `text/plain; version=0.0.4; charset=utf-8`). Names are `<prefix>_<name>` with every
/// character outside [a-zA-Z0-9_:] replaced by '_' (and '_' put before a leading digit);
/// label values and help text are escaped. Metrics sharing a name (different constant
/// labels) are one family. Per kind:
/// - counter `c`: `<p>_c_total` (type counter);
/// - gauge and rate `g`: `<p>_g` (type gauge);
/// - histogram `h` (recorded in ns, exposed in seconds, Prometheus' base unit; a
///   trailing `_seconds` in the name is not doubled):
///   - `<p>_h_seconds`, type histogram: cumulative `_bucket{le=...}` at
///     prometheus_latency_bounds_ns and +Inf, `_sum`, `_count`;
///   - `<p>_h_quantiles_seconds`, type summary: `{quantile="0.5"|"0.95"|"0.99"|"0.999"}`
///     plus `_sum` and `_count`;
///   - `<p>_h_max_seconds`, type gauge: the largest value recorded.
///   The quantiles are a separate family because a family has one type, and a summary
///   because `quantile` is the label Prometheus reserves for precomputed quantiles: typed
///   so, tools know not to average them across instances (aggregate the buckets
///   instead). They cover everything recorded since start, not a sliding window. The max
///   is a gauge, not quantile="1": it is exact, not an estimate from a bucket.
/// Allocates the result; any thread.
std::string to_prometheus(const metrics_snapshot& s, std::string_view prefix = "rill");

RILL_NAMESPACE_END
