// Drift detectors give River's bits when the compiler fuses multiply-adds, and tree
// ensembles give the same bits from their AVX2/BMI2 kernels as from the portable ones.
//
// Built for a target with FMA, g++ fuses a*b + c unless the product is kept rounded
// (detail/rounded.hpp); River rounds it. This program sets a copy of the detectors
// built for x86-64-v3 with fusion (fused_side.cpp) beside one built without
// (plain_side.cpp) and compares every statistic and signal over two streams, bit for
// bit; then the same for tree-ensemble margins (tree_trace.hpp) and rolling-window
// extremes (window_trace.hpp), and the v3 windows' emit_into against their own push()
// then row() (support/emit_into_check.hpp). Its own executable:
// the v3 side's std:: instantiations use AVX, so nothing may run before the CPU
// check. Exit 77 (skipped) on a CPU without FMA, AVX2 or BMI2.
#include <cstdint>
#include <cstdio>
#include <string>
#include <vector>

#include "lcg.hpp"

std::vector<std::uint64_t> drift_trace_fused(const std::vector<double>& errors,
                                             const std::vector<double>& values);
std::vector<std::uint64_t> drift_trace_plain(const std::vector<double>& errors,
                                             const std::vector<double>& values);
double multiply_add_fused(double a, double b, double c);
double multiply_add_plain(double a, double b, double c);
std::vector<std::uint32_t> tree_trace_v3();
std::vector<std::uint32_t> tree_trace_plain();
std::vector<std::uint32_t> window_trace_v3();
std::vector<std::uint32_t> window_trace_plain();
std::string emit_into_mismatches_v3();

int main() {
  if (!__builtin_cpu_supports("fma") || !__builtin_cpu_supports("avx2") ||
      !__builtin_cpu_supports("bmi2")) {
    std::puts("skipped: this CPU lacks FMA, AVX2 or BMI2, so the x86-64-v3 copy cannot run");
    return 77;
  }
  // Each side really is what it claims: (1 + 2^-30)(1 - 2^-30) - 1 is -2^-60 fused,
  // 0 when the product is rounded first.
  const double a = 1.0 + 0x1p-30, b = 1.0 - 0x1p-30;
  if (multiply_add_fused(a, b, -1.0) != -0x1p-60 || multiply_add_plain(a, b, -1.0) != 0.0) {
    std::printf("FAILED: the sides are not built as intended (fused %a, plain %a)\n",
                multiply_add_fused(a, b, -1.0), multiply_add_plain(a, b, -1.0));
    return 1;
  }

  // A classifier's errors at a rate switching between 15 % and 35 %, and values in
  // [0, 1] whose mean moves by 0.3, every 7000 updates (a 64-bit LCG: the same
  // stream on every platform).
  std::vector<double> errors(60000), values(60000);
  lcg rng{5};
  for (std::size_t i = 0; i < errors.size(); ++i) {
    const bool late = (i / 7000) % 2 == 1;
    errors[i] = rng.uniform() < (late ? 0.35 : 0.15) ? 1.0 : 0.0;
    values[i] = rng.uniform() * 0.7 + (late ? 0.3 : 0.0);
  }
  const auto plain = drift_trace_plain(errors, values);
  const auto fused = drift_trace_fused(errors, values);
  if (plain.size() != fused.size()) {
    std::printf("FAILED: traces of %zu and %zu words\n", plain.size(), fused.size());
    return 1;
  }
  std::size_t differ = 0, first = plain.size();
  for (std::size_t i = 0; i < plain.size(); ++i)
    if (plain[i] != fused[i]) {
      ++differ;
      if (first == plain.size()) first = i;
    }
  if (differ != 0) {
    std::printf("FAILED: %zu of %zu trace words differ, the first at %zu\n", differ, plain.size(),
                first);
    return 1;
  }
  std::printf("drift traces identical with and without fused multiply-adds: %zu words\n",
              plain.size());

  const auto trees_plain = tree_trace_plain();
  const auto trees_v3 = tree_trace_v3();
  if (trees_plain.empty() || trees_v3.empty()) {
    std::puts("FAILED: a synthetic forest did not take the complete layout");
    return 1;
  }
  std::size_t tree_differ = 0;
  for (std::size_t i = 0; i < trees_plain.size() && i < trees_v3.size(); ++i)
    tree_differ += trees_plain[i] != trees_v3[i];
  if (trees_plain.size() != trees_v3.size() || tree_differ != 0) {
    std::printf(
        "FAILED: tree margins differ between the portable and x86-64-v3 builds: %zu of "
        "%zu words (sizes %zu, %zu)\n",
        tree_differ, trees_plain.size(), trees_plain.size(), trees_v3.size());
    return 1;
  }
  std::printf("tree margins identical from the portable and x86-64-v3 kernels: %zu words\n",
              trees_plain.size());

  const auto windows_plain = window_trace_plain();
  const auto windows_v3 = window_trace_v3();
  if (windows_plain != windows_v3) {
    std::printf(
        "FAILED: rolling min/max rows differ between the portable and x86-64-v3 "
        "builds (%zu and %zu words)\n",
        windows_plain.size(), windows_v3.size());
    return 1;
  }
  std::printf("rolling min/max identical from the portable and x86-64-v3 builds: %zu words\n",
              windows_plain.size());

  // The x86-64-v3 windows write whole registers of their row during the push: the same
  // row as push() then row() in that build (the unit tests check the portable build).
  const std::string emit_failures = emit_into_mismatches_v3();
  if (!emit_failures.empty()) {
    std::printf("FAILED: x86-64-v3 emit_into differs from push() then row(): %s\n",
                emit_failures.c_str());
    return 1;
  }
  std::puts("x86-64-v3 emit_into rows identical to push() then row()");
  return 0;
}
