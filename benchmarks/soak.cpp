// Soak: N events (default 10^9) through window -> model -> pending labels -> learner ->
// ADWIN -> sink, reporting resident memory at start and end, throughput, and every
// 10^7 events the rolling window's statistics against an exact recomputation from the
// last 64 rows kept on the side. Counters are 64-bit throughout; the program checks
// that the pipeline's own counts equal what was pushed.
//
//   build/release/benchmarks/soak [events]          (10^9 takes a few minutes)
#include <array>
#include <chrono>
#include <cmath>
#include <cstdint>
#include <cstdio>
#include <cstdlib>
#include <fstream>
#include <string>

#include "rill/core/graph.hpp"
#include "rill/drift/adwin.hpp"
#include "rill/drift/detect.hpp"
#include "rill/io/sinks.hpp"
#include "rill/learn/join.hpp"
#include "rill/learn/learn.hpp"
#include "rill/learn/linear_learner.hpp"
#include "rill/learn/pending.hpp"
#include "rill/metrics/prequential.hpp"
#include "rill/model/linear.hpp"
#include "rill/model/predict.hpp"
#include "rill/window/rolling.hpp"

namespace {

constexpr std::size_t D = 4, N = 64;
using window_t = rill::rolling<D, N, rill::stat::mean | rill::stat::stddev, float, double>;
constexpr std::size_t W = window_t::output_type::width;

long resident_kib() {
  std::ifstream f("/proc/self/status");
  std::string line;
  while (std::getline(f, line))
    if (line.rfind("VmRSS:", 0) == 0) return std::strtol(line.c_str() + 6, nullptr, 10);
  return -1;
}

// A deterministic stream with a slowly drifting level, so sums grow large and the
// learner and ADWIN have something to do.
rill::event<D> make(std::uint64_t i) {
  rill::event<D> e{i, static_cast<std::int64_t>(i), {}};
  std::uint64_t s = i * 0x9E3779B97F4A7C15ULL;
  const double level = 1000.0 + static_cast<double>((i >> 24) % 7) * 250.0;
  for (auto& v : e.x) {
    s ^= s >> 29;
    s *= 0xBF58476D1CE4E5B9ULL;
    v = static_cast<float>(level + static_cast<double>(s >> 40) / double(1 << 24));
  }
  return e;
}

}  // namespace

int main(int argc, char** argv) {
  const std::uint64_t events = argc > 1 ? std::strtoull(argv[1], nullptr, 10) : 1'000'000'000ULL;
  rill::linear_model<W, float, rill::link_function::identity> model;
  rill::pending_buffer<W> pending(1024, 1'000'000);
  rill::prequential_metrics metrics;
  std::uint64_t sunk = 0, drifts = 0;
  auto g = rill::graph(
      window_t{} | rill::predict(model) | rill::remember(pending) |
          rill::callback_sink([&](const rill::prediction<float>&) noexcept { ++sunk; }),
      rill::join(pending) | rill::learn(model, rill::sgd<rill::squared_loss>(1e-7)) |
          rill::detect(rill::adwin{}, [](const rill::learn_outcome<float>& o) noexcept {
            return static_cast<double>(std::abs(o.prediction - o.target) > 0.2f);
          }, [&](const rill::drift_event&) noexcept { ++drifts; }) |
          rill::score_prequential<float>(metrics));

  std::array<rill::feature_row<float, D>, N> last{};  // the last N rows, for the exact check
  double worst_mean = 0, worst_std = 0;
  std::uint64_t checks = 0;
  const long rss_start = resident_kib();
  const auto t0 = std::chrono::steady_clock::now();
  constexpr std::uint64_t delay = 8;
  for (std::uint64_t i = 0; i < events; ++i) {
    const auto e = make(i);
    last[i % N] = e.x;
    g.push(e);
    if (i >= delay) {
      const auto old = make(i - delay);
      g.feedback({i - delay, e.time_ns, old.x[0] * 0.001f + old.x[1] * 0.0005f});
    }
    if (i % 10'000'000 == 9'999'999) {  // exact recomputation against the window
      const auto& w = g.predict_path().stage<0>();
      for (std::size_t f = 0; f < D; ++f) {
        long double s = 0, s2 = 0;
        for (const auto& r : last) s += r[f];
        const long double m = s / N;
        for (const auto& r : last) s2 += (r[f] - m) * (r[f] - m);
        const long double sd = std::sqrt(s2 / (N - 1));
        worst_mean = std::max(worst_mean, static_cast<double>(std::abs((w.mean(f) - m) / m)));
        worst_std = std::max(worst_std, static_cast<double>(std::abs(w.stddev(f) - sd) / sd));
      }
      ++checks;
    }
  }
  const double secs = std::chrono::duration<double>(std::chrono::steady_clock::now() - t0).count();
  const long rss_end = resident_kib();
  const auto& pc = pending.counters();
  std::printf("soak: %llu events in %.1f s (%.2f M events/s)\n", static_cast<unsigned long long>(events),
              secs, static_cast<double>(events) / secs / 1e6);
  std::printf("resident memory: start %ld KiB, end %ld KiB\n", rss_start, rss_end);
  std::printf("window vs exact recomputation (%llu checks): worst relative error mean %.3g, std %.3g\n",
              static_cast<unsigned long long>(checks), worst_mean, worst_std);
  std::printf("sink %llu, labels matched %llu, expired %llu, unmatched %llu, learnt %llu, drifts %llu, model version %llu\n",
              static_cast<unsigned long long>(sunk), static_cast<unsigned long long>(pc.matched),
              static_cast<unsigned long long>(pc.expired), static_cast<unsigned long long>(pc.unmatched),
              static_cast<unsigned long long>(metrics.count), static_cast<unsigned long long>(drifts),
              static_cast<unsigned long long>(model.version));
  const bool ok = sunk == events && pc.matched == events - delay && rss_end - rss_start < 1024 &&
                  worst_mean < 1e-9 && worst_std < 1e-6;
  std::printf("%s\n", ok ? "soak: OK" : "soak: FAILED");
  return ok ? 0 : 1;
}
