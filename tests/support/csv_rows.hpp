// Reads a numeric CSV fixture into rows of doubles: for tests and benchmarks that
// compare with reference outputs. Not the library's reader (that one is under test).
#pragma once

#include <cstddef>
#include <fstream>
#include <sstream>
#include <stdexcept>
#include <string>
#include <vector>

namespace rill::test {

/// Every line of `path` as numbers (the first skipped if `header`); `columns` > 0
/// keeps only the first `columns` values of each row. Throws if the file is missing.
inline std::vector<std::vector<double>> read_csv_rows(const std::string& path, bool header,
                                                      std::size_t columns = 0) {
  std::ifstream f(path);
  if (!f) throw std::runtime_error("cannot open fixture " + path);
  std::vector<std::vector<double>> rows;
  std::string line;
  if (header) std::getline(f, line);
  while (std::getline(f, line)) {
    std::vector<double> row;
    std::stringstream ss(line);
    std::string cell;
    while (std::getline(ss, cell, ',')) row.push_back(std::stod(cell));
    if (columns) row.resize(columns);
    rows.push_back(std::move(row));
  }
  return rows;
}

}  // namespace rill::test
