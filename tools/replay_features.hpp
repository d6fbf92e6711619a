// `rill replay --features`: window statistics chosen by name at run time, computed by
// rill's own stages (time_window, ewm, lag) in event order.
#pragma once

#include <cstddef>
#include <cstdint>
#include <string>
#include <vector>

namespace rill::tools {

/// One entry of `--features`, e.g. `mean:48`, `ewm_std:0.05`, `logret`.
struct feature_item {
  enum class kind {
    raw,                                                   // the input columns themselves
    sum, mean, variance, stddev, min, max, zscore,         // time window over `span`
    ewm_mean, ewm_std,                                     // fading factor `alpha`
    lag, diff, ret, log_return                             // against the previous row
  };
  kind which = kind::raw;
  std::string text;       ///< as written, for column names and messages
  std::int64_t span = 0;  ///< window span in event-time units (rows, or ns with a time column)
  double alpha = 0;       ///< ewm fading factor
};

/// The largest count window `--features` accepts (the compiled capacity of its windows).
inline constexpr std::size_t max_window_rows = 4096;

/// Parses `raw,mean:48,std:48,ewm_mean:0.1,diff`. With `time_unit_ns` > 0 (a time
/// column is given) a span takes a unit suffix (ns, us, ms, s, m, h, d) or is in the
/// time column's unit; otherwise spans count rows. Throws usage_error naming the item.
std::vector<feature_item> parse_features(const std::string& text, std::int64_t time_unit_ns);

/// The derived stream: `rows` × `names.size()` values, row-major.
struct feature_table {
  std::vector<double> x;
  std::vector<std::string> names;
  double seconds = 0;  ///< time spent computing them (all rows)
  std::uint64_t window_overflows = 0, out_of_order = 0, late_dropped = 0, undefined_returns = 0;
};

/// Computes the features of `rows` rows of `d` columns (`x` row-major, `columns`
/// their names) at event times `time_ns` (non-decreasing, or counted as the windows'
/// late/out-of-order policy says). Every value depends only on rows up to its own, so
/// learning from the table is exactly learning from the same stages inline.
feature_table build_features(const std::vector<feature_item>& items, const double* x,
                             std::size_t rows, std::size_t d,
                             const std::vector<std::string>& columns,
                             const std::vector<std::int64_t>& time_ns);

}  // namespace rill::tools
