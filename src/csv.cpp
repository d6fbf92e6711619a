#include "rill/io/csv.hpp"

#include <cerrno>
#include <charconv>
#include <cmath>
#include <cstring>
#include <limits>

RILL_NAMESPACE_BEGIN

namespace {

// Built with append: g++ 12 at -O2 warns (-Wrestrict, a false positive) on the
// equivalent chain of operator+.
std::string format_message(const std::string& file, std::size_t line, std::size_t column,
                           const std::string& reason) {
  std::string s;
  s.append(file).append(":").append(std::to_string(line));
  if (column > 0) s.append(":").append(std::to_string(column));
  s.append(": ").append(reason);
  return s;
}

std::string_view trim(std::string_view s) noexcept {
  while (!s.empty() && (s.front() == ' ' || s.front() == '\t')) s.remove_prefix(1);
  while (!s.empty() && (s.back() == ' ' || s.back() == '\t' || s.back() == '\r')) s.remove_suffix(1);
  return s;
}

bool is_missing(std::string_view f) noexcept {
  return f.empty() || f == "nan" || f == "NaN" || f == "NAN" || f == "NA" || f == "-nan";
}

// Parses one field; returns false if it is not a number.
bool parse_number(std::string_view f, double& out) noexcept {
  if (is_missing(f)) {
    out = std::numeric_limits<double>::quiet_NaN();
    return true;
  }
  if (f.front() == '+') {
    f.remove_prefix(1);  // from_chars takes no '+'; one sign only ("+-3" is not a number)
    if (f.empty() || f.front() == '-' || f.front() == '+') return false;
  }
  const char* end = f.data() + f.size();
  auto [ptr, ec] = std::from_chars(f.data(), end, out);
  if (ec == std::errc::result_out_of_range && ptr == end) {
    // from_chars leaves `out` unchanged on overflow/underflow: saturate like strtod.
    // Only for a field that is one number throughout ("1e400", not "1e400xyz").
    out = std::strtod(std::string(f).c_str(), nullptr);
    return true;
  }
  return ec == std::errc{} && ptr == end;
}

}  // namespace

csv_error::csv_error(std::string file, std::size_t line, std::size_t column,
                     const std::string& reason)
    : std::runtime_error(format_message(file, line, column, reason)),
      file_(std::move(file)),
      line_(line),
      column_(column) {}

std::size_t csv_table::column_index(std::string_view name) const {
  for (std::size_t i = 0; i < columns.size(); ++i)
    if (columns[i] == name) return i;
  std::string known;
  for (const auto& c : columns) known += (known.empty() ? "" : ", ") + c;
  throw std::out_of_range("no column named '" + std::string(name) + "' (columns: " + known + ")");
}

csv_reader::csv_reader(const std::filesystem::path& path) : name_(path.string()) {
  file_ = std::fopen(name_.c_str(), "rb");
  if (!file_) throw csv_error(name_, 0, 0, std::string("cannot open: ") + std::strerror(errno));
  parse_header();
}

csv_reader::csv_reader(std::string_view text, std::string name)
    : name_(std::move(name)), text_(text) {
  parse_header();
}

csv_reader::~csv_reader() {
  if (file_) std::fclose(file_);
}

bool csv_reader::read_line() {
  buffer_.clear();
  if (file_) {
    int c;
    bool any = false;
    // One reader per FILE, so the unlocked read is safe.
    while ((c = getc_unlocked(file_)) != EOF) {
      any = true;
      if (c == '\n') break;
      buffer_.push_back(static_cast<char>(c));
    }
    if (std::ferror(file_)) throw csv_error(name_, line_ + 1, 0, "read error");
    if (!any) return false;
  } else {
    if (text_pos_ >= text_.size()) return false;
    const std::size_t nl = text_.find('\n', text_pos_);
    const std::size_t end = nl == std::string_view::npos ? text_.size() : nl;
    buffer_.assign(text_.substr(text_pos_, end - text_pos_));
    text_pos_ = end + 1;
  }
  ++line_;
  if (!buffer_.empty() && buffer_.back() == '\r') buffer_.pop_back();
  return true;
}

void csv_reader::parse_header() {
  do {
    if (!read_line()) throw csv_error(name_, line_, 0, "empty input: expected a header row");
  } while (trim(buffer_).empty());
  if (line_ == 1 && buffer_.size() >= 3 && buffer_.compare(0, 3, "\xEF\xBB\xBF") == 0)
    buffer_.erase(0, 3);  // UTF-8 byte-order mark
  std::string_view rest = buffer_;
  while (true) {
    const std::size_t comma = rest.find(',');
    std::string_view f = trim(rest.substr(0, comma));
    if (f.size() >= 2 && f.front() == '"' && f.back() == '"') f = f.substr(1, f.size() - 2);
    if (f.empty())
      throw csv_error(name_, line_, columns_.size() + 1, "empty column name in the header");
    columns_.emplace_back(f);
    if (comma == std::string_view::npos) break;
    rest.remove_prefix(comma + 1);
  }
}

bool csv_reader::next(std::span<double> out) {
  if (out.size() != columns_.size())
    throw std::invalid_argument("rill::csv_reader::next: row buffer has " +
                                std::to_string(out.size()) + " values, the file has " +
                                std::to_string(columns_.size()) + " columns");
  do {
    if (!read_line()) return false;
  } while (trim(buffer_).empty());
  std::string_view rest = buffer_;
  std::size_t col = 0;
  while (true) {
    const std::size_t comma = rest.find(',');
    const std::string_view field = trim(rest.substr(0, comma));
    if (col >= columns_.size())
      throw csv_error(name_, line_, 0,
                      "expected " + std::to_string(columns_.size()) + " fields, got more");
    if (!parse_number(field, out[col]))
      throw csv_error(name_, line_, col + 1,
                      "column '" + columns_[col] + "': expected a number, got '" +
                          std::string(field) + "'");
    ++col;
    if (comma == std::string_view::npos) break;
    rest.remove_prefix(comma + 1);
  }
  if (col != columns_.size())
    throw csv_error(name_, line_, 0,
                    "expected " + std::to_string(columns_.size()) + " fields, got " +
                        std::to_string(col));
  return true;
}

namespace {
csv_table read_all(csv_reader& r) {
  csv_table t;
  t.columns = r.columns();
  std::vector<double> row(t.columns.size());
  while (r.next(row)) t.values.insert(t.values.end(), row.begin(), row.end());
  return t;
}
}  // namespace

csv_table read_csv(const std::filesystem::path& path) {
  csv_reader r(path);
  return read_all(r);
}

csv_table parse_csv(std::string_view text, std::string name) {
  csv_reader r(text, std::move(name));
  return read_all(r);
}

RILL_NAMESPACE_END
