// `rill replay`'s time series (--report FILE.csv) and progress bar.
#pragma once

#include <cstddef>
#include <cstdint>
#include <string>
#include <vector>

#include "rill/metrics/latency_histogram.hpp"
#include "rill/metrics/prequential.hpp"

namespace rill::tools {

/// The state of a replay at the end of one reporting interval.
struct interval_point {
  std::uint64_t row = 0;                  ///< rows pushed so far
  rill::prequential_metrics cumulative;   ///< every label scored so far
  std::uint64_t drifts = 0, warnings = 0; ///< flagged so far
  std::uint64_t p50_ns = 0, p99_ns = 0, p999_ns = 0;  ///< latency within the interval
  double seconds = 0;                     ///< untimed pass: wall time of the interval
};

/// The metrics of the labels scored between two snapshots (b after a).
rill::prequential_metrics metrics_between(const rill::prequential_metrics& a,
                                          const rill::prequential_metrics& b) noexcept;

/// Writes `text` to `path` whole; std::runtime_error naming the path on failure.
void write_text_file(const std::string& path, const std::string& text);

/// Writes the series as CSV: one line per interval; `drift_rows` (sorted) are listed
/// in the interval that holds them. Columns are documented in docs/replay.md.
void write_report_csv(const std::string& path, bool classification,
                      const std::vector<interval_point>& points,
                      const std::vector<std::uint64_t>& drift_rows);

/// Writes the non-empty buckets of `h` as CSV (lower_ns,upper_ns,count), for the
/// latency histogram of tools/plot_replay.py; `--report R.csv` writes R.latency.csv.
void write_latency_csv(const std::string& path, const rill::latency_histogram& h);

/// `R.csv` → `R.latency.csv` (anything else: `R.latency.csv` appended).
std::string latency_path(const std::string& report_path);

/// A one-line progress bar on stderr, redrawn at most ~10 times a second; silent when
/// stderr is not a terminal or when disabled.
class progress_bar {
 public:
  progress_bar(std::uint64_t total, bool enabled);
  ~progress_bar();
  progress_bar(const progress_bar&) = delete;
  progress_bar& operator=(const progress_bar&) = delete;
  /// Names the current pass (e.g. "pass 1/2: throughput") and restarts the bar.
  void start(std::string label);
  /// Rows done in the current pass; cheap to call every few thousand rows.
  void update(std::uint64_t done);
  /// Clears the line.
  void finish();
  bool enabled() const noexcept { return enabled_; }

 private:
  std::uint64_t total_;
  bool enabled_, drawn_ = false;
  std::string label_;
  std::int64_t last_draw_ns_ = 0;
};

}  // namespace rill::tools
