// Writing your own stage: `clip` bounds every feature to [lo, hi], so that one wild
// reading (a sensor glitch, a fat-finger price) cannot drag a window or a model with it,
// and counts what it bounded.
//
// A stage is a class that declares `input_type` and `output_type` and has a noexcept
// call taking one input and `emit`, the rest of the pipeline, which it calls zero, one
// or more times (include/rill/core/stage.hpp). That is the whole protocol: `|` composes
// it with rill's own stages and checks every link at compile time.
#include <cmath>
#include <cstdint>
#include <cstdio>
#include <stdexcept>
#include <string>

#include "rill/core/pipeline.hpp"
#include "rill/io/sinks.hpp"
#include "rill/window/rolling.hpp"

namespace app {  // your namespace, not rill's

/// Clamps feature i of each event to [lo[i], hi[i]] and counts the values it changed.
/// NaN passes unchanged (give the window after it a rill::nan_policy). O(D) per event;
/// never allocates; one thread.
template <std::size_t D, class T = float>
class clip {
 public:
  using input_type = rill::event<D, T>;
  using output_type = rill::event<D, T>;  // same shape: only values change

  // Configuration may throw, naming the parameter; the call below may not.
  clip(rill::feature_row<T, D> lo, rill::feature_row<T, D> hi) : lo_(lo), hi_(hi) {
    for (std::size_t i = 0; i < D; ++i) {
      if (!(lo[i] <= hi[i]))
        throw std::invalid_argument("app::clip: lo[" + std::to_string(i) + "] must be <= hi[" +
                                    std::to_string(i) + "]");
    }
  }

  template <class Emit>
  void operator()(const input_type& in, Emit&& emit) noexcept {
    output_type out = in;  // id and time_ns travel with the row
    for (std::size_t i = 0; i < D; ++i) {
      const T v = in.x[i];
      const T bounded = v < lo_[i] ? lo_[i] : (v > hi_[i] ? hi_[i] : v);
      clipped_ += bounded != v && !std::isnan(v);
      out.x[i] = bounded;
    }
    emit(out);  // exactly once per input: a filter would sometimes skip it
  }

  std::uint64_t clipped() const noexcept { return clipped_; }

 private:
  rill::feature_row<T, D> lo_, hi_;
  std::uint64_t clipped_ = 0;
};

// What `|` requires of every link, checkable on its own.
static_assert(rill::stage<clip<2>>);
static_assert(rill::stage_for<clip<2>, rill::event<2>>);

// A stream with outliers in both features.
rill::event<2> reading(std::uint64_t i) {
  const float a = 2.0f * std::sin(0.1f * float(i)) + (i % 50 == 0 ? 100.0f : 0.0f);
  const float b = float(i % 7) - 3.5f + (i % 91 == 0 ? -1e6f : 0.0f);
  return {i, std::int64_t(i) * 1'000'000, {{a, b}}};
}

}  // namespace app

int main() {
  constexpr std::size_t n = 1'000, window = 8;
  using rill::stat;
  using out_event = rill::event<4>;  // mean and max of 2 features

  // `|` is rill's operator, found because a rill stage is on one side of it. Two stages
  // that are both in your namespace compose with rill::pipeline{a, b} instead.
  auto p = app::clip<2>({{-3, -3}}, {{3, 3}}) |
           rill::rolling<2, window, stat::mean | stat::max>{} |
           rill::collector<out_event, n>{};
  for (std::uint64_t i = 0; i < n; ++i) p.push(app::reading(i));

  // Check against a naive recomputation: clamp by hand, then mean and max of the last
  // `window` clamped rows.
  const auto& got = p.stage<2>().items();
  std::uint64_t expected_clipped = 0, mismatches = 0;
  float rows[n][2];
  for (std::size_t i = 0; i < n; ++i) {
    const auto e = app::reading(i);
    for (int f = 0; f < 2; ++f) {
      rows[i][f] = std::fmin(3.0f, std::fmax(-3.0f, e.x[f]));
      expected_clipped += rows[i][f] != e.x[f];
    }
    for (int f = 0; f < 2; ++f) {
      double sum = 0, max = -1e30;
      const std::size_t first = i + 1 >= window ? i + 1 - window : 0;
      for (std::size_t j = first; j <= i; ++j) sum += rows[j][f], max = std::fmax(max, rows[j][f]);
      const double mean = sum / double(i + 1 - first);
      mismatches += std::fabs(got[i].x[f] - mean) > 1e-5 || got[i].x[2 + f] != float(max);
    }
  }
  const std::uint64_t clipped = p.stage<0>().clipped();
  std::printf("custom stage: %zu events in, %zu rows out, %llu values clipped (expected %llu), "
              "%llu mismatches against a naive recomputation\n",
              n, got.size(), static_cast<unsigned long long>(clipped),
              static_cast<unsigned long long>(expected_clipped),
              static_cast<unsigned long long>(mismatches));
  return got.size() == n && clipped == expected_clipped && mismatches == 0 ? 0 : 1;
}
