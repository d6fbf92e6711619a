// Metrics under contention: four writers record while a reader snapshots without pause.
// Run under -fsanitize=thread: recorders and snapshots must not race.
#include <algorithm>
#include <atomic>
#include <cstdint>
#include <thread>
#include <vector>

#include "catch.hpp"
#include "rill/metrics/exposition.hpp"
#include "rill/metrics/registry.hpp"

TEST_CASE("metrics: 4 writers and a snapshotting reader; totals exact, counts monotonic",
          "[metrics][concurrency]") {
  constexpr int writers = 4;
  constexpr std::uint64_t per_writer = 1'000'000;

  rill::metrics_registry reg;
  const auto events = reg.add_counter("events", "events processed");
  const auto weight = reg.add_counter("weight", "sum of i");
  const auto progress = reg.add_gauge("progress", "largest i reached", rill::gauge_merge::max);
  const auto in_flight = reg.add_gauge("in_flight", "per-writer i, summed", rill::gauge_merge::sum);
  const auto lat = reg.add_histogram("latency", "recorded i % 5000 + 1");
  const auto eps = reg.add_rate("events_per_second", "", events);
  (void)eps;
  std::vector<rill::metrics_recorder*> rec;
  for (int t = 0; t < writers; ++t) rec.push_back(&reg.add_recorder(std::string(1, 'w') += std::to_string(t)));

  std::atomic<int> running{writers};
  std::vector<std::thread> pool;
  for (int t = 0; t < writers; ++t)
    pool.emplace_back([&, t] {
      auto& r = *rec[static_cast<std::size_t>(t)];
      for (std::uint64_t i = 1; i <= per_writer; ++i) {
        r.add(events);
        r.add(weight, i);
        r.record(lat, i % 5000 + 1);
        if (i % 64 == 0) {
          r.set(progress, static_cast<double>(i));
          r.set(in_flight, static_cast<double>(i));
        }
      }
      running.fetch_sub(1, std::memory_order_release);
    });

  // The reader: every field it sees only grows, never beyond the final totals.
  std::uint64_t snapshots = 0, prev_events = 0, prev_weight = 0, prev_count = 0;
  double prev_progress = 0, prev_in_flight = 0;
  std::vector<std::uint64_t> prev_buckets(rill::latency_histogram::bucket_count, 0);
  bool monotonic = true, bounded = true, consistent = true;
  const std::uint64_t total = writers * per_writer;
  const std::uint64_t total_weight = writers * (per_writer * (per_writer + 1) / 2);
  do {
    const auto s = reg.snapshot();
    ++snapshots;
    const auto& h = s.histogram(lat);
    monotonic = monotonic && s.value(events) >= prev_events && s.value(weight) >= prev_weight &&
                h.count() >= prev_count && s.value(progress) >= prev_progress &&
                s.value(in_flight) >= prev_in_flight;
    for (std::size_t i = 0; i < prev_buckets.size(); ++i) {
      monotonic = monotonic && h.bucket(i) >= prev_buckets[i];
      prev_buckets[i] = h.bucket(i);
    }
    bounded = bounded && s.value(events) <= total && s.value(weight) <= total_weight &&
              h.count() <= total && s.value(progress) <= double(per_writer);
    // A value seen in its bucket is also seen in min and max (release/acquire).
    consistent = consistent &&
                 (h.count() == 0 || (h.min() >= 1 && h.max() <= 5000 &&
                                     h.min() <= h.quantile(0.5) && h.quantile(0.5) <= h.max()));
    prev_events = s.value(events);
    prev_weight = s.value(weight);
    prev_count = h.count();
    prev_progress = s.value(progress);
    prev_in_flight = s.value(in_flight);
    // Rendering while writers run must not race either.
    if (snapshots % 16 == 1) (void)rill::to_prometheus(s);
  } while (running.load(std::memory_order_acquire) > 0);
  for (auto& th : pool) th.join();

  INFO("snapshots taken while writing: " << snapshots);
  REQUIRE(snapshots >= 2);
  REQUIRE(monotonic);
  REQUIRE(bounded);
  REQUIRE(consistent);

  const auto s = reg.snapshot();
  REQUIRE(s.value(events) == total);
  REQUIRE(s.value(weight) == total_weight);
  REQUIRE(s.value(progress) == double(per_writer));
  REQUIRE(s.value(in_flight) == double(writers) * double(per_writer));
  const auto& h = s.histogram(lat);
  REQUIRE(h.count() == total);
  REQUIRE(h.min() == 1);
  REQUIRE(h.max() == 5000);
  // i % 5000 + 1 over i = 1..10^6 takes every value 1..5000 exactly 200 times per writer.
  std::uint64_t sum = 0;
  for (std::uint64_t v = 1; v <= 5000; ++v) sum += v * 200 * writers;
  REQUIRE(s.histograms[lat.index].sum == sum);
  for (std::uint64_t v = 1; v < 256; ++v) REQUIRE(h.bucket(v) == 200 * writers);
}
