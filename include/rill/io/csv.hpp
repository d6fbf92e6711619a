// Reading numeric CSV files (compiled part: src/csv.cpp).
#pragma once

#include <cstddef>
#include <cstdio>
#include <filesystem>
#include <span>
#include <stdexcept>
#include <string>
#include <string_view>
#include <vector>

#include "rill/config.hpp"

RILL_NAMESPACE_BEGIN

/// A malformed CSV input. `what()` reads "FILE:LINE:COLUMN: reason", with the
/// column's header name where there is one.
class csv_error : public std::runtime_error {
 public:
  csv_error(std::string file, std::size_t line, std::size_t column, const std::string& reason);
  const std::string& file() const noexcept { return file_; }
  std::size_t line() const noexcept { return line_; }      ///< 1-based
  std::size_t column() const noexcept { return column_; }  ///< 1-based field index; 0 = whole line

 private:
  std::string file_;
  std::size_t line_, column_;
};

/// A numeric CSV table in memory: the header and row-major values. Missing values
/// (an empty field, `nan`, `NaN`, `NA`) are quiet NaN.
struct csv_table {
  std::vector<std::string> columns;
  std::vector<double> values;  ///< rows × columns.size(), row-major

  std::size_t rows() const noexcept { return columns.empty() ? 0 : values.size() / columns.size(); }
  std::span<const double> row(std::size_t i) const noexcept {
    return {values.data() + i * columns.size(), columns.size()};
  }
  /// Index of the column named `name`; throws std::out_of_range naming it if absent.
  std::size_t column_index(std::string_view name) const;
};

/// Reads a CSV file row by row: a header line, then one row of numbers per line
/// (comma-separated; `\r\n` accepted; blank lines skipped; header names may be
/// double-quoted). Memory: one line buffer that grows to the longest line; `next`
/// allocates only when a line is longer than any before it, or to parse a number
/// outside the double range (e.g. `1e400`, then an error or a counted missing value).
class csv_reader {
 public:
  /// Opens `path` and reads its header; throws csv_error if it cannot be opened or
  /// the header is missing.
  explicit csv_reader(const std::filesystem::path& path);
  /// Reads CSV from `text` (kept by reference: it must outlive the reader); `name`
  /// is used in error messages.
  csv_reader(std::string_view text, std::string name);
  ~csv_reader();
  csv_reader(const csv_reader&) = delete;
  csv_reader& operator=(const csv_reader&) = delete;

  const std::vector<std::string>& columns() const noexcept { return columns_; }

  /// Parses the next row into `out` (size must equal columns().size()). Returns
  /// false at end of input; throws csv_error on a malformed row.
  bool next(std::span<double> out);

  std::size_t line() const noexcept { return line_; }

 private:
  bool read_line();
  void parse_header();

  std::string name_;
  std::FILE* file_ = nullptr;
  std::string_view text_;
  std::size_t text_pos_ = 0;
  std::string buffer_;
  std::size_t line_ = 0;
  std::vector<std::string> columns_;
};

/// Reads a whole numeric CSV file. Throws csv_error naming file, line and column for
/// a malformed file (wrong field count, a non-numeric field, no header).
csv_table read_csv(const std::filesystem::path& path);

/// Parses CSV text; `name` stands for the file in error messages.
csv_table parse_csv(std::string_view text, std::string name = "<string>");

RILL_NAMESPACE_END
