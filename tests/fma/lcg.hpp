// The 64-bit LCG the tests/fma streams come from (Knuth's MMIX constants): the same
// numbers on every platform and in every build of the two sides.
#pragma once

#include <cstdint>

namespace {

struct lcg {
  std::uint64_t state;
  std::uint64_t step() noexcept {
    return state = state * 6364136223846793005ULL + 1442695040888963407ULL;
  }
  std::uint32_t next() noexcept { return static_cast<std::uint32_t>(step() >> 33); }
  double uniform() noexcept { return static_cast<double>(step() >> 11) * 0x1p-53; }
};

}  // namespace
