// The drift detectors built with fused multiply-adds and contraction on (-O2 -mfma
// -ffp-contract=fast; g++ fuses only from -O2) in their own ABI namespace.
#include <cstdint>
#include <vector>

#include "trace.hpp"

#if !defined(__FMA__)
#error "fused_side.cpp must be compiled with -mfma"
#endif

std::vector<std::uint64_t> drift_trace_fused(const std::vector<double>& errors,
                                             const std::vector<double>& values) {
  return drift_trace(errors, values);
}

double multiply_add_fused(double a, double b, double c) { return probe_multiply_add(a, b, c); }
