// The drift detectors built without fused multiply-adds (-O2 -ffp-contract=off),
// whatever -march the build uses, in their own ABI namespace: River's roundings.
#include <cstdint>
#include <vector>

#include "trace.hpp"
#include "tree_trace.hpp"
#include "window_trace.hpp"

std::vector<std::uint64_t> drift_trace_plain(const std::vector<double>& errors,
                                             const std::vector<double>& values) {
  return drift_trace(errors, values);
}

double multiply_add_plain(double a, double b, double c) { return probe_multiply_add(a, b, c); }

std::vector<std::uint32_t> tree_trace_plain() { return tree_trace(); }
std::vector<std::uint32_t> window_trace_plain() { return window_extrema_trace(); }
