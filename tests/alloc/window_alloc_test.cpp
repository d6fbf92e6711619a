// Zero allocation in the feature windows: count, exponential, lag, sliding-time and
// hopping windows, assembled into one pipeline, for 10^6 events after warm-up.
#include <cstdint>
#include <limits>

#include "alloc_counter.hpp"
#include "catch.hpp"
#include "rill/core/pipeline.hpp"
#include "rill/io/sinks.hpp"
#include "rill/window/assemble.hpp"
#include "rill/window/ewm.hpp"
#include "rill/window/extrema.hpp"
#include "rill/window/lag.hpp"
#include "rill/window/rolling.hpp"
#include "rill/window/time_window.hpp"
#include "rill/window/tumbling.hpp"

namespace {
// Deterministic features and times without <random>: steps of 0..3 µs, and every
// 50th event 1..4 µs behind the newest (out of order, within the lateness below).
rill::event<8> make_event(std::uint64_t i, std::int64_t &clock) {
  std::uint64_t s = (i + 1) * 0x9E3779B97F4A7C15ULL;
  auto next = [&s] {
    s ^= s >> 29;
    s *= 0xBF58476D1CE4E5B9ULL;
    return s >> 40;
  };
  clock += static_cast<std::int64_t>(next() % 4) * 1000;
  const std::int64_t t =
      i % 50 == 49 ? clock - static_cast<std::int64_t>(1 + next() % 4) * 1000 : clock;
  rill::event<8> e{i, t, {}};
  for (auto &v : e.x) v = static_cast<float>(next()) / float(1 << 24) - 0.5f;
  if (i % 1000 == 999) e.x[3] = std::numeric_limits<float>::quiet_NaN();  // policy paths too
  return e;
}
}  // namespace

TEST_CASE("window stages allocate nothing per event after warm-up", "[alloc][window]") {
  using rill::stat;
  constexpr stat moments = stat::count | stat::mean | stat::stddev | stat::min | stat::max;
  auto features = rill::assemble(
      rill::rolling<8, 64, stat::mean | stat::stddev | stat::min | stat::max | stat::zscore>(
          1, rill::nan_policy::replace),
      rill::ewm<8, stat::mean | stat::variance>::half_life(50'000, rill::nan_policy::replace),
      rill::lag<8, 3, rill::lag_op::diff | rill::lag_op::ret>(),
      rill::time_window<8, 256, moments | stat::sum>(200'000, 1, rill::nan_policy::replace));
  using assembled = decltype(features)::output_type;
  std::uint64_t windows = 0, rows = 0;
  double checksum = 0;
  auto pipe = features | rill::callback_sink([&](const assembled &) noexcept { ++rows; }) |
              rill::hopping_window<assembled::width, moments, 8>(100'000, 25'000, 10'000) |
              rill::callback_sink([&](const auto &w) noexcept {
                ++windows;
                checksum += w.x[0];
              });
  // Beside the pipeline: a bare time-keyed extreme.
  rill::monotonic_ring<float, 512, true> peak;

  std::int64_t clock = 0;
  auto step = [&](std::uint64_t i) {
    const auto e = make_event(i, clock);
    pipe.push(e);
    peak.expire_before(e.time_ns - 500'000);
    peak.push(e.x[0], e.time_ns);
  };
  for (std::uint64_t i = 0; i < 10'000; ++i) step(i);  // warm-up
  rill::test::allocation_scope scope;
  for (std::uint64_t i = 10'000; i < 1'010'000; ++i) step(i);
  const auto allocations = scope.allocations();

  REQUIRE(allocations == 0);
  // The work was done: every event made a row, and hopping windows closed.
  CHECK(rows == 1'010'000);
  CHECK(windows > 50'000);
  CHECK(checksum > 0);
  CHECK(pipe.stage<0>().incomplete() == 0);
  CHECK(pipe.stage<0>().part<3>().out_of_order() > 10'000);
  CHECK(pipe.stage<2>().out_of_order() > 10'000);
  CHECK(pipe.stage<2>().late_dropped() == 0);
  CHECK(!peak.empty());
}
