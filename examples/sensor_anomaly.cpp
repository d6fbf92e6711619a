// Sensor anomaly detection: two redundant temperature probes on one machine, read at
// 10 Hz. Window features catch point faults as they happen (a spike: a large rolling
// z-score; a stuck probe: a rolling standard deviation of zero), and a drift detector
// watching the difference of the probes catches a slow calibration drift that no single
// reading shows. Every alert is printed with its timestamp; the run ends with counts.
//
// The stream is synthetic, and deterministic on every platform: data/ holds only Elec2
// (electricity prices with an up/down label, no sensor faults marked in it), and this
// program must know where its faults are to check itself. The signal is a slow thermal
// cycle plus probe noise, with four faults injected at the times in `faults` below. It
// exits 1 if a fault raises no alert or an alert fires on clean data.
#include <cmath>
#include <cstdint>
#include <cstdio>

#include "rill/core/pipeline.hpp"
#include "rill/drift/detect.hpp"
#include "rill/drift/page_hinkley.hpp"
#include "rill/io/sinks.hpp"
#include "rill/window/assemble.hpp"
#include "rill/window/ewm.hpp"
#include "rill/window/rolling.hpp"

namespace {

constexpr std::int64_t sample_ns = 100'000'000;  // 10 Hz
constexpr std::uint64_t n_samples = 24'000;      // 40 minutes
constexpr std::uint64_t grace = 300;             // an alert up to 30 s after a fault is its own

// What is injected where (sample indices, [begin, end)), to score the alerts.
struct fault {
  const char* what;
  std::uint64_t begin, end;
  std::uint64_t alerts = 0;
};
fault faults[] = {
    {"spike on probe A", 3'000, 3'001},
    {"spike on probe B", 7'500, 7'501},
    {"probe B stuck", 11'000, 11'600},
    {"probe B calibration drift", 16'000, n_samples},  // +1.5 degC over 5 min, then held
};

// Two probes on one temperature: a 10-minute thermal cycle, noise sigma 0.05 degC.
class machine {
 public:
  rill::event<2> next() {
    const std::uint64_t i = i_++;
    const double temp = 60.0 + 4.0 * std::sin(2 * 3.141592653589793 * double(i) / 6'000.0);
    double a = temp + 0.05 * gaussian(), b = temp + 0.05 * gaussian();
    if (i == faults[0].begin) a += 3.0;
    if (i == faults[1].begin) b -= 3.0;
    if (i >= faults[2].begin && i < faults[2].end) b = held_b_;  // the reading freezes
    if (i >= faults[3].begin) b += 1.5 * std::fmin(1.0, double(i - faults[3].begin) / 3'000.0);
    held_b_ = b;
    return {i, std::int64_t(i) * sample_ns, {{float(a), float(b)}}};
  }

 private:
  // splitmix64 + Box-Muller: the same numbers with every standard library.
  double uniform() {
    std::uint64_t z = (state_ += 0x9E3779B97F4A7C15ULL);
    z = (z ^ (z >> 30)) * 0xBF58476D1CE4E5B9ULL;
    z = (z ^ (z >> 27)) * 0x94D049BB133111EBULL;
    return (double((z ^ (z >> 31)) >> 11) + 0.5) * 0x1.0p-53;
  }
  double gaussian() {
    return std::sqrt(-2.0 * std::log(uniform())) * std::cos(2 * 3.141592653589793 * uniform());
  }
  std::uint64_t i_ = 0, state_ = 42;
  double held_b_ = 0;
};

std::uint64_t false_alarms = 0;

// Prints one alert and charges it to the fault it belongs to (or counts a false alarm).
void alert(std::uint64_t sample, std::int64_t time_ns, const char* kind, const char* detail,
           double value) {
  std::printf("  %8.1f s  %-6s %-30s %8.3f\n", double(time_ns) * 1e-9, kind, detail, value);
  for (fault& f : faults) {
    if (sample >= f.begin && sample < f.end + grace) {
      ++f.alerts;
      return;
    }
  }
  ++false_alarms;
}

}  // namespace

int main() {
  constexpr std::size_t window = 64;  // 6.4 s
  using rill::stat;

  // Features per reading: the raw pair, then over the last 64 readings the standard
  // deviation and the z-score of the newest value, then an EWMA of each probe:
  // columns {a, b, sd_a, sd_b, z_a, z_b, ewma_a, ewma_b}.
  auto features = rill::assemble(rill::rolling<2, window, stat::stddev | stat::zscore>{},
                                 rill::ewm<2, stat::mean>::fading(0.05));

  // The probes measure the same thing, so their difference should hover around 0; a
  // Page-Hinkley test on it reports a lasting change of its mean.
  auto probe_gap = [](const rill::event<8>& e) noexcept { return double(e.x[0] - e.x[1]); };
  auto on_drift = [](const rill::drift_event& d) noexcept {
    alert(d.id, d.time_ns, "DRIFT", "probes disagree, PH statistic", d.statistic);
  };
  auto watch_gap = rill::detect(rill::page_hinkley{}, probe_gap, on_drift);

  // Point rules on the window features. A stuck probe repeats one value exactly, so its
  // window's deviation drops to ~0 (healthy noise keeps it above 0.03); report the onset.
  bool flat[2] = {false, false};
  auto rules = rill::callback_sink([&](const rill::event<8>& e) noexcept {
    const char* spike[2] = {"probe A, z-score", "probe B, z-score"};
    const char* stuck[2] = {"probe A, window std dev", "probe B, window std dev"};
    for (int p = 0; p < 2; ++p) {
      const float sd = e.x[2 + p], z = e.x[4 + p];
      if (std::fabs(z) > 6.0f) alert(e.id, e.time_ns, "SPIKE", spike[p], z);
      const bool now_flat = e.id >= window && sd < 0.005f;
      if (now_flat && !flat[p]) alert(e.id, e.time_ns, "STUCK", stuck[p], sd);
      flat[p] = now_flat;
    }
  });

  auto monitor = std::move(features) | std::move(watch_gap) | std::move(rules);

  std::printf("      time  alert  what                              value\n");
  machine m;
  for (std::uint64_t i = 0; i < n_samples; ++i) monitor.push(m.next());

  const auto& gap = monitor.stage<1>();
  std::printf("\n%llu readings, %llu drifts reported by page_hinkley, %llu false alarms\n",
              static_cast<unsigned long long>(n_samples),
              static_cast<unsigned long long>(gap.drifts()),
              static_cast<unsigned long long>(false_alarms));
  bool all_found = true;
  for (const fault& f : faults) {
    std::printf("  %-27s at %7.1f s: %llu alert(s)\n", f.what, double(f.begin) * 0.1,
                static_cast<unsigned long long>(f.alerts));
    all_found = all_found && f.alerts > 0;
  }
  return all_found && false_alarms == 0 ? 0 : 1;
}
