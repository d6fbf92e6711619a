// A second copy of the drift detectors, compiled with fused multiply-adds and
// contraction on (-mfma -ffp-contract=fast) in its own ABI namespace, so that
// "drift: the same bits when the compiler fuses multiply-adds" (drift_test.cpp)
// can set it beside the normal build.
#include <cstdint>
#include <vector>

#include "drift_trace.hpp"

#if !defined(__FMA__)
#error "drift_fused_side.cpp must be compiled with -mfma"
#endif

std::vector<std::uint64_t> drift_trace_fused(const std::vector<double>& errors,
                                             const std::vector<double>& values) {
  return drift_trace(errors, values);
}
