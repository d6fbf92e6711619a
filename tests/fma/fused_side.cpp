// The drift detectors built with fused multiply-adds and contraction on (-O2
// -march=x86-64-v3 -ffp-contract=fast; g++ fuses only from -O2) in their own ABI
// namespace; the tree kernels of the same build (AVX2 + BMI2 paths), and the windows'
// emit_into of that build against their push() then row().
#include <cstdint>
#include <string>
#include <vector>

#include "../support/emit_into_check.hpp"
#include "trace.hpp"
#include "tree_trace.hpp"
#include "window_trace.hpp"

#if !defined(__FMA__) || !defined(__AVX2__) || !defined(__BMI2__)
#error "fused_side.cpp must be compiled with -march=x86-64-v3"
#endif

std::vector<std::uint64_t> drift_trace_fused(const std::vector<double>& errors,
                                             const std::vector<double>& values) {
  return drift_trace(errors, values);
}

double multiply_add_fused(double a, double b, double c) { return probe_multiply_add(a, b, c); }

std::vector<std::uint32_t> tree_trace_v3() { return tree_trace(); }
std::vector<std::uint32_t> window_trace_v3() { return window_extrema_trace(); }
std::string emit_into_mismatches_v3() { return emit_into_mismatches(); }
