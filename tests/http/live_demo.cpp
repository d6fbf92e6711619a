// A paced replay of data/elec2.csv with the live view on, for the browser test and
// for trying the dashboard by hand:
//   live_demo [--csv data/elec2.csv] [--rate 2000] [--port 0] [--seconds 0]
// Prints "live view: <url>" once serving; runs until --seconds pass (0: forever),
// looping over the file. Online logistic regression, test-then-train; DDM on the error
// stream (ADWIN for drifts, DDM's warnings as warnings); on drift the model is reset
// and its version bumped.
#include <chrono>
#include <cmath>
#include <cstdint>
#include <cstdio>
#include <cstdlib>
#include <fstream>
#include <sstream>
#include <stdexcept>
#include <string>
#include <thread>
#include <vector>

#include "rill/drift/adwin.hpp"
#include "rill/drift/ddm.hpp"
#include "rill/http/live_feed.hpp"
#include "rill/http/live_server.hpp"
#include "rill/metrics/registry.hpp"

namespace {

struct table {
  std::size_t width = 0;
  std::vector<double> x, y;
};

table load(const std::string& path) {
  std::ifstream in(path);
  if (!in) throw std::runtime_error("cannot open " + path);
  std::string line;
  std::getline(in, line);  // header
  table t;
  while (std::getline(in, line)) {
    std::vector<double> row;
    std::stringstream ss(line);
    for (std::string cell; std::getline(ss, cell, ',');) row.push_back(std::stod(cell));
    if (row.size() < 2) continue;
    if (t.width == 0) t.width = row.size() - 1;
    if (row.size() != t.width + 1) throw std::runtime_error(path + ": ragged row");
    t.x.insert(t.x.end(), row.begin(), row.end() - 1);
    t.y.push_back(row.back());
  }
  if (t.y.empty()) throw std::runtime_error(path + ": no rows");
  return t;
}

}  // namespace

int main(int argc, char** argv) try {
  std::string csv = "data/elec2.csv", address = "127.0.0.1";
  double rate = 2000, seconds = 0;
  int port = 0;
  for (int i = 1; i + 1 < argc; i += 2) {
    const std::string k = argv[i], v = argv[i + 1];
    if (k == "--csv") csv = v;
    else if (k == "--rate") rate = std::stod(v);
    else if (k == "--port") port = std::stoi(v);
    else if (k == "--seconds") seconds = std::stod(v);
    else throw std::invalid_argument("unknown option " + k);
  }
  const table t = load(csv);

  rill::metrics_registry registry;
  const auto events = registry.add_counter("events", "Events scored");
  const auto errors = registry.add_counter("errors", "Wrong predictions");
  const auto accuracy = registry.add_gauge("accuracy", "Prequential accuracy (last 500)",
                                           rill::gauge_merge::last);
  const auto version_g = registry.add_gauge("model_version", "Served model version",
                                            rill::gauge_merge::max);
  const auto drifts = registry.add_counter("drifts", "Drifts detected");
  const auto latency = registry.add_histogram("latency", "Predict + learn time per event (ns)");
  registry.add_rate("events_per_second", "Events scored per second", events);
  auto& rec = registry.add_recorder("pipeline");

  rill::live_feed feed({.sample_every = 20});
  rill::live_server_options so;
  so.address = address;
  so.port = static_cast<std::uint16_t>(port);
  so.title = "rill live view — elec2 replay";
  so.latency_histogram = "latency";
  rill::live_server server(so);
  server.add_feed(feed);
  server.set_registry(&registry);
  server.start();
  std::printf("live view: %s\n", server.url().c_str());
  std::fflush(stdout);

  std::vector<double> w(t.width + 1, 0.0);
  rill::adwin detector;
  rill::ddm warner;
  bool warning_on = false;  // report a warning when it starts, not on every row
  std::vector<std::uint8_t> window(500, 0);
  std::uint64_t wrong_in_window = 0, version = 1;
  feed.on_model_version(version, 0);
  rec.set(version_g, 1);

  using clock = std::chrono::steady_clock;
  const auto start = clock::now();
  const auto period = std::chrono::duration<double>(1.0 / rate);
  for (std::uint64_t n = 0;; ++n) {
    if (seconds > 0 && clock::now() - start > std::chrono::duration<double>(seconds)) break;
    const std::size_t r = n % t.y.size();
    const double* x = &t.x[r * t.width];
    const double y = t.y[r];
    const auto t0 = clock::now();
    double z = w[t.width];
    for (std::size_t j = 0; j < t.width; ++j) z += w[j] * x[j];
    const double p = 1.0 / (1.0 + std::exp(-z));
    const auto time_ns = static_cast<std::int64_t>(n) * 1'800'000'000'000LL / 1000;  // 30 min a row
    feed.on_prediction(n, time_ns, p, y);
    const double g = p - y;  // log-loss gradient
    for (std::size_t j = 0; j < t.width; ++j) w[j] -= 0.1 * g * x[j];
    w[t.width] -= 0.1 * g;
    const bool wrong = (p >= 0.5) != (y >= 0.5);
    rec.record(latency, static_cast<std::uint64_t>(
                            std::chrono::duration_cast<std::chrono::nanoseconds>(clock::now() - t0)
                                .count()));
    rec.add(events);
    if (wrong) rec.add(errors);
    wrong_in_window += wrong;
    wrong_in_window -= window[n % window.size()];
    window[n % window.size()] = wrong;
    const auto w_signal = warner.update(wrong ? 1.0 : 0.0);
    if (w_signal == rill::drift_signal::warning && !warning_on) feed.on_warning(n, time_ns);
    warning_on = w_signal == rill::drift_signal::warning;
    if (w_signal == rill::drift_signal::drift) warner.reset();
    if (detector.update(wrong ? 1.0 : 0.0) == rill::drift_signal::drift) {
      feed.on_drift(n, time_ns, detector.statistic());
      rec.add(drifts);
      warner.reset();
      std::fill(w.begin(), w.end(), 0.0);  // retrain from scratch: a new model version
      feed.on_model_version(++version, time_ns);
      rec.set(version_g, static_cast<double>(version));
    }
    if (n % 100 == 99) {
      const double acc =
          1.0 - static_cast<double>(wrong_in_window) / static_cast<double>(std::min<std::uint64_t>(n + 1, window.size()));
      feed.on_score(n + 1, time_ns, acc);
      rec.set(accuracy, acc);
    }
    std::this_thread::sleep_until(start + std::chrono::duration_cast<clock::duration>(period * double(n + 1)));
  }
  server.stop();
  return 0;
} catch (const std::exception& e) {
  std::fprintf(stderr, "live_demo: %s\n", e.what());
  return 1;
}
