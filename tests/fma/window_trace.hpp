// Rolling-window extremes from a build for x86-64-v3 (8 floats or 4 doubles a
// register) and from the portable build (SSE2: 4 or 2), as raw bits: min and max are
// exact, so both must give the same rows. Moments may differ in the last bit where
// the v3 build contracts multiply-adds, and make no bit-equality claim, so they are
// not compared. Internal linkage on purpose, as trace.hpp.
#pragma once

#include <bit>
#include <cstdint>
#include <limits>
#include <vector>

#include "lcg.hpp"
#include "rill/window/rolling.hpp"

namespace {

/// Every emitted min/max row of three window shapes (full registers, padded lanes, a
/// window shorter than a register count) over rows with NaN (skipped) and ±inf.
inline std::vector<std::uint32_t> window_extrema_trace() {
  std::vector<std::uint32_t> out;
  lcg rng{17};
  const auto run = [&](auto window, std::size_t rows) {
    using event_t = typename decltype(window)::input_type;
    for (std::size_t r = 0; r < rows; ++r) {
      event_t e{r, static_cast<std::int64_t>(r), {}};
      for (auto& v : e.x) {
        const std::uint32_t k = rng.next() % 256;
        v = k == 0   ? std::numeric_limits<float>::quiet_NaN()
            : k == 1 ? std::numeric_limits<float>::infinity()
            : k == 2 ? -std::numeric_limits<float>::infinity()
                     : static_cast<float>(static_cast<int>(rng.next() % 20001) - 10000) * 0.01f;
      }
      window(e, [&](const auto& o) {
        for (float v : o.x) out.push_back(std::bit_cast<std::uint32_t>(v));
      });
    }
  };
  constexpr auto mm = rill::stat::min | rill::stat::max;
  run(rill::rolling<16, 64, mm, float, double>(1, rill::nan_policy::skip), 3000);
  run(rill::rolling<16, 64, mm, float, float>(1, rill::nan_policy::skip), 3000);
  run(rill::rolling<5, 7, mm | rill::stat::count, float, double>(1, rill::nan_policy::skip), 500);
  run(rill::rolling<11, 3, mm, float, float>(1, rill::nan_policy::skip), 500);
  return out;
}

}  // namespace
