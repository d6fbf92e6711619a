// Counters, gauges and latency histograms recorded per thread without contention and
// merged on snapshot.
#pragma once

#include <algorithm>
#include <array>
#include <atomic>
#include <bit>
#include <chrono>
#include <cstddef>
#include <cstdint>
#include <memory>
#include <mutex>
#include <new>
#include <stdexcept>
#include <string>
#include <utility>
#include <vector>

#include "rill/config.hpp"
#include "rill/metrics/latency_histogram.hpp"

RILL_NAMESPACE_BEGIN

/// How a gauge set by several recorders becomes one value in a snapshot. Recorders
/// that never set the gauge take no part.
enum class gauge_merge : std::uint8_t {
  sum,   ///< the sum over recorders (queue depths, items in flight)
  max,   ///< the largest (model version, high-water marks)
  last,  ///< the value of the recorder that set it most recently (steady clock)
};

/// Handles returned by registration; small values, valid for the registry that made them.
struct counter_id {
  std::uint32_t index = 0;
};
struct gauge_id {
  std::uint32_t index = 0;
};
struct histogram_id {
  std::uint32_t index = 0;
};
struct rate_id {
  std::uint32_t index = 0;
};

/// A constant label attached to a metric at registration (`queue="orders"`).
struct metric_label {
  std::string name, value;
  friend bool operator==(const metric_label&, const metric_label&) = default;
};
using metric_labels = std::vector<metric_label>;

/// What a metric is called and how it is described, as registered.
struct metric_info {
  std::string name, help;
  metric_labels labels;
};

/// `latency_histogram`'s buckets as relaxed atomics: one thread records, any thread
/// may read a snapshot while it does (ThreadSanitizer-clean, no lock).
///
/// record(): O(1), noexcept, no allocation; each field is a relaxed load + store (plain
/// moves on x86), never a read-modify-write, since only the owner writes. The bucket
/// store is a release and the snapshot's bucket load an acquire, so a snapshot that
/// sees a value in its bucket also sees it in min, max and the sum (also plain moves
/// on x86). A snapshot taken during recording may count a value in `sum()` whose
/// bucket it has not read yet; each field alone never goes backwards.
///
/// Memory: 4608 counters inline (36 KiB), cache-line aligned.
class alignas(cache_line) concurrent_latency_histogram {
 public:
  using plain = latency_histogram;

  concurrent_latency_histogram() noexcept = default;
  concurrent_latency_histogram(const concurrent_latency_histogram&) = delete;
  concurrent_latency_histogram& operator=(const concurrent_latency_histogram&) = delete;

  /// Adds one value (the owning thread only). Values above `plain::max_value` are
  /// clamped to it and counted in clamped(), as `latency_histogram` does.
  RILL_ALWAYS_INLINE void record(std::uint64_t v) noexcept {
    constexpr auto rx = std::memory_order_relaxed;
    if (RILL_UNLIKELY(v > plain::max_value)) {
      v = plain::max_value;
      clamped_.store(clamped_.load(rx) + 1, rx);
    }
    if (v < min_.load(rx)) min_.store(v, rx);
    if (v > max_.load(rx)) max_.store(v, rx);
    sum_.store(sum_.load(rx) + v, rx);
    auto& c = counts_[plain::index_of(v)];
    c.store(c.load(rx) + 1, std::memory_order_release);
  }

  /// What collect() gathers: counts per bucket, exact sum, min, max, clamped count.
  struct state {
    std::array<std::uint64_t, plain::bucket_count> counts{};
    std::uint64_t sum = 0, clamped = 0, min = UINT64_MAX, max = 0;

    std::uint64_t count() const noexcept {
      std::uint64_t n = 0;
      for (auto c : counts) n += c;
      return n;
    }
  };
  /// Adds this histogram's current counts into `s` (sum, clamped added; min, max
  /// combined), so several recorders' histograms merge into one state. Any thread;
  /// O(buckets); no allocation.
  void collect(state& s) const noexcept {
    constexpr auto rx = std::memory_order_relaxed;
    for (std::size_t i = 0; i < plain::bucket_count; ++i)
      s.counts[i] += counts_[i].load(std::memory_order_acquire);
    s.sum += sum_.load(rx);
    s.clamped += clamped_.load(rx);
    s.min = std::min(s.min, min_.load(rx));
    s.max = std::max(s.max, max_.load(rx));
  }

  /// A plain copy of what has been recorded (any thread). O(buckets); no
  /// allocation, ~36 KiB of stack besides the result. See `fill_latency_histogram`.
  plain snapshot() const noexcept;

  /// The exact sum of recorded values (clamped ones as `plain::max_value`).
  std::uint64_t sum() const noexcept { return sum_.load(std::memory_order_relaxed); }

 private:
  std::array<std::atomic<std::uint64_t>, plain::bucket_count> counts_{};
  std::atomic<std::uint64_t> sum_{0}, clamped_{0}, min_{UINT64_MAX}, max_{0};
};

/// Makes `out` a plain `latency_histogram` holding exactly the merged state `s`.
inline void fill_latency_histogram(latency_histogram& out,
                                   const concurrent_latency_histogram::state& s) noexcept {
  out.assign(s.counts, s.sum, s.clamped, s.min, s.max);
}

inline latency_histogram concurrent_latency_histogram::snapshot() const noexcept {
  state s;
  collect(s);
  latency_histogram h;
  fill_latency_histogram(h, s);
  return h;
}

namespace detail {

/// An array of `T` on its own cache lines (aligned start, size rounded up), so two
/// threads' arrays never share a line. Allocates once, at construction.
template <class T>
class padded_array {
 public:
  padded_array() = default;
  explicit padded_array(std::size_t n) : size_(n) {
    if (n == 0) return;
    const std::size_t bytes = (n * sizeof(T) + cache_line - 1) / cache_line * cache_line;
    data_ = static_cast<T*>(::operator new (bytes, std::align_val_t{cache_line}));
    for (std::size_t i = 0; i < n; ++i) new (data_ + i) T();
  }
  padded_array(const padded_array&) = delete;
  padded_array& operator=(const padded_array&) = delete;
  ~padded_array() {
    if (!data_) return;
    for (std::size_t i = 0; i < size_; ++i) data_[i].~T();
    ::operator delete (data_, std::align_val_t{cache_line});
  }
  T& operator[](std::size_t i) noexcept { return data_[i]; }
  const T& operator[](std::size_t i) const noexcept { return data_[i]; }
  std::size_t size() const noexcept { return size_; }

 private:
  T* data_ = nullptr;
  std::size_t size_ = 0;
};

static_assert(std::atomic<std::uint64_t>::is_always_lock_free &&
                  std::atomic<double>::is_always_lock_free,
              "rill metrics need lock-free 64-bit atomics: recording must never take a lock");

struct gauge_cell {
  std::atomic<double> value{0.0};
  std::atomic<std::uint64_t> stamp{0};  // 0: never set; else 1, or steady-clock ns for `last`
  bool timed = false;                   // merge rule `last`: stamp with the clock
};

}  // namespace detail

class metrics_registry;

/// One thread's metrics: counters, gauges and latency histograms for every metric of
/// its registry, on cache lines no other thread writes.
///
/// add(), set(), record(): noexcept, O(1), no allocation, no lock, no read-modify-write
/// instruction: relaxed loads and stores of this thread's own atomics (plain moves on
/// x86), so `metrics_registry::snapshot()` on another thread reads them without a data
/// race. Exactly ONE thread may call them for a given recorder; two writers lose
/// updates. Owned by its registry (stable address for the registry's lifetime); not
/// copyable or movable.
class alignas(cache_line) metrics_recorder {
 public:
  metrics_recorder(const metrics_recorder&) = delete;
  metrics_recorder& operator=(const metrics_recorder&) = delete;

  /// Adds `n` to a counter.
  RILL_ALWAYS_INLINE void add(counter_id id, std::uint64_t n = 1) noexcept {
    auto& c = counters_[id.index];
    c.store(c.load(std::memory_order_relaxed) + n, std::memory_order_relaxed);
  }

  /// Sets this thread's value of a gauge. A `last` gauge also reads the steady clock
  /// (~20 ns through the vDSO); `sum` and `max` gauges do not.
  RILL_ALWAYS_INLINE void set(gauge_id id, double v) noexcept {
    auto& g = gauges_[id.index];
    const std::uint64_t stamp =
        RILL_UNLIKELY(g.timed) ? static_cast<std::uint64_t>(
                                     std::chrono::steady_clock::now().time_since_epoch().count()) |
                                     1u
                               : 1u;
    g.value.store(v, std::memory_order_relaxed);
    g.stamp.store(stamp, std::memory_order_release);  // published after the value
  }

  /// Records one latency (nanoseconds, or any non-negative integer unit).
  RILL_ALWAYS_INLINE void record(histogram_id id, std::uint64_t ns) noexcept {
    histograms_[id.index].record(ns);
  }

  const std::string& name() const noexcept { return name_; }

 private:
  friend class metrics_registry;
  metrics_recorder(std::string name, std::size_t counters, const std::vector<gauge_merge>& gauges,
                   std::size_t histograms)
      : name_(std::move(name)),
        counters_(counters),
        gauges_(gauges.size()),
        histograms_(new concurrent_latency_histogram[histograms]) {
    for (std::size_t i = 0; i < gauges.size(); ++i)
      gauges_[i].timed = gauges[i] == gauge_merge::last;
  }

  std::string name_;
  detail::padded_array<std::atomic<std::uint64_t>> counters_;
  detail::padded_array<detail::gauge_cell> gauges_;
  std::unique_ptr<concurrent_latency_histogram[]> histograms_;  // aligned new: own lines
};

/// Every metric's merged value at one moment. Plain values; copyable; allocates.
/// Indexed by the ids registration returned (`s.counters[id.index]` or `s.value(id)`).
struct metrics_snapshot {
  struct counter_value {
    metric_info info;
    std::uint64_t value = 0;
  };
  struct gauge_value {
    metric_info info;
    gauge_merge merge = gauge_merge::last;
    double value = 0;  // 0 when no recorder has set it
    bool set = false;
  };
  /// A gauge derived from counters (see metrics_registry::add_rate / add_ratio).
  struct rate_value {
    metric_info info;
    double value = 0;
  };
  struct histogram_value {
    metric_info info;
    latency_histogram histogram;  // merged over recorders; count() is the bucket total
    std::uint64_t sum = 0;        // exact sum of the recorded values
  };

  std::uint64_t sequence = 0;  ///< 1 for the registry's first snapshot, then 2, 3, ...
  double uptime_s = 0;         ///< since the registry was made
  double interval_s = 0;       ///< since the previous snapshot (or since made)
  std::vector<counter_value> counters;
  std::vector<gauge_value> gauges;
  std::vector<rate_value> rates;
  std::vector<histogram_value> histograms;

  std::uint64_t value(counter_id id) const { return counters.at(id.index).value; }
  double value(gauge_id id) const { return gauges.at(id.index).value; }
  double value(rate_id id) const { return rates.at(id.index).value; }
  const latency_histogram& histogram(histogram_id id) const {
    return histograms.at(id.index).histogram;
  }
};

/// The set of metrics an application exposes, and the per-thread recorders that write
/// them.
///
/// Set-up (allocates, may throw std::invalid_argument or std::logic_error): register
/// every counter, gauge and histogram, then give each writing thread its own recorder
/// with add_recorder(). Registering a counter, gauge or histogram after the first
/// recorder exists is a std::logic_error, because recorders size their storage once.
/// Rates may be added at any time.
///
/// Derived gauges ("rates"): computed in snapshot(), never recorded. add_rate(c) is the
/// increase of counter c since the previous snapshot divided by the seconds elapsed
/// since it (events/s; the first snapshot measures from the registry's construction);
/// add_ratio(num, dens) is the increase of num over the summed increase of dens over
/// the same interval (error rate = errors / events; 0 when the denominators did not
/// move). Every snapshot() advances the interval, so two scrapers sharing a registry
/// each see rates over the time since either last looked; Prometheus users can
/// instead take rate() of the *_total counters.
///
/// Thread-safety: every member locks an internal mutex, so registration, add_recorder()
/// and snapshot() may be called from any thread; recording never takes it.
class metrics_registry {
 public:
  using clock = std::chrono::steady_clock;

  explicit metrics_registry(clock::time_point start = clock::now()) : start_(start), prev_(start) {}
  metrics_registry(const metrics_registry&) = delete;
  metrics_registry& operator=(const metrics_registry&) = delete;

  /// A monotonically increasing count. Exposed to Prometheus as `<prefix>_<name>_total`.
  counter_id add_counter(std::string name, std::string help, metric_labels labels = {}) {
    std::lock_guard lock(mutex_);
    check_new(kind::counter, name, labels, "add_counter");
    counters_.push_back({std::move(name), std::move(help), std::move(labels)});
    return {static_cast<std::uint32_t>(counters_.size() - 1)};
  }

  /// A value that goes up and down; several recorders' values combine by `merge`.
  gauge_id add_gauge(std::string name, std::string help, gauge_merge merge,
                     metric_labels labels = {}) {
    std::lock_guard lock(mutex_);
    check_new(kind::gauge, name, labels, "add_gauge");
    gauges_.push_back({std::move(name), std::move(help), std::move(labels)});
    gauge_merges_.push_back(merge);
    return {static_cast<std::uint32_t>(gauges_.size() - 1)};
  }

  /// A latency histogram (values in nanoseconds; see latency_histogram). Name it
  /// without a unit: Prometheus exposition appends `_seconds`.
  histogram_id add_histogram(std::string name, std::string help, metric_labels labels = {}) {
    std::lock_guard lock(mutex_);
    check_new(kind::histogram, name, labels, "add_histogram");
    histograms_.push_back({std::move(name), std::move(help), std::move(labels)});
    return {static_cast<std::uint32_t>(histograms_.size() - 1)};
  }

  /// Derived gauge: increase of `of` per second since the previous snapshot.
  rate_id add_rate(std::string name, std::string help, counter_id of, metric_labels labels = {}) {
    return add_derived(std::move(name), std::move(help), of, {}, std::move(labels), "add_rate");
  }

  /// Derived gauge: increase of `numerator` / summed increase of `denominators` since the
  /// previous snapshot (0 when the denominators did not move).
  rate_id add_ratio(std::string name, std::string help, counter_id numerator,
                    std::vector<counter_id> denominators, metric_labels labels = {}) {
    if (denominators.empty())
      throw std::invalid_argument("metrics_registry::add_ratio: denominators is empty");
    return add_derived(std::move(name), std::move(help), numerator, std::move(denominators),
                       std::move(labels), "add_ratio");
  }

  /// A new recorder for ONE thread to write, owned by the registry (its address is
  /// stable until the registry is destroyed). Allocates ~36 KiB per histogram.
  metrics_recorder& add_recorder(std::string name) {
    std::lock_guard lock(mutex_);
    for (const auto& r : recorders_)
      if (r->name() == name)
        throw std::invalid_argument("metrics_registry::add_recorder: name \"" + name +
                                    "\" is already taken");
    recorders_.emplace_back(
        new metrics_recorder(std::move(name), counters_.size(), gauge_merges_, histograms_.size()));
    return *recorders_.back();
  }

  std::size_t recorder_count() const {
    std::lock_guard lock(mutex_);
    return recorders_.size();
  }

  /// Merges every recorder into plain values (any thread, while recorders write).
  /// Counters: sums, exact once writers have stopped (or been joined); while they
  /// write, each value is one they held at some moment during the call and never less
  /// than in an earlier snapshot. O(recorders · (metrics + histograms · 4608));
  /// allocates the result.
  metrics_snapshot snapshot() { return snapshot(clock::now()); }

  /// As snapshot(), with the time of the snapshot given (tests, replays).
  metrics_snapshot snapshot(clock::time_point now) {
    std::lock_guard lock(mutex_);
    metrics_snapshot s;
    s.sequence = ++sequence_;
    s.uptime_s = std::chrono::duration<double>(now - start_).count();
    s.interval_s = std::chrono::duration<double>(now - prev_).count();

    s.counters.resize(counters_.size());
    for (std::size_t i = 0; i < counters_.size(); ++i) {
      s.counters[i].info = counters_[i];
      for (const auto& r : recorders_)
        s.counters[i].value += r->counters_[i].load(std::memory_order_relaxed);
    }

    s.gauges.resize(gauges_.size());
    for (std::size_t i = 0; i < gauges_.size(); ++i) {
      auto& g = s.gauges[i];
      g.info = gauges_[i];
      g.merge = gauge_merges_[i];
      std::uint64_t newest = 0;
      for (const auto& r : recorders_) {
        const auto& cell = r->gauges_[i];
        const std::uint64_t stamp = cell.stamp.load(std::memory_order_acquire);
        if (stamp == 0) continue;
        const double v = cell.value.load(std::memory_order_relaxed);
        switch (g.merge) {
          case gauge_merge::sum:
            g.value += v;
            break;
          case gauge_merge::max:
            g.value = g.set ? std::max(g.value, v) : v;
            break;
          case gauge_merge::last:
            if (stamp >= newest) {  // ties go to the later recorder
              g.value = v;
              newest = stamp;
            }
            break;
        }
        g.set = true;
      }
    }

    s.histograms.resize(histograms_.size());
    auto acc = std::make_unique<concurrent_latency_histogram::state>();
    for (std::size_t i = 0; i < histograms_.size(); ++i) {
      *acc = {};
      for (const auto& r : recorders_) r->histograms_[i].collect(*acc);
      s.histograms[i].info = histograms_[i];
      s.histograms[i].sum = acc->sum;
      fill_latency_histogram(s.histograms[i].histogram, *acc);
    }

    // Rates over the interval since the previous snapshot.
    prev_counts_.resize(counters_.size(), 0);
    s.rates.resize(rates_.size());
    for (std::size_t i = 0; i < rates_.size(); ++i) {
      const auto& d = rates_[i];
      s.rates[i].info = d.info;
      auto delta = [&](counter_id c) {
        return static_cast<double>(s.counters[c.index].value - prev_counts_[c.index]);
      };
      if (d.denominators.empty()) {
        s.rates[i].value = s.interval_s > 0 ? delta(d.numerator) / s.interval_s : 0.0;
      } else {
        double den = 0;
        for (auto c : d.denominators) den += delta(c);
        s.rates[i].value = den > 0 ? delta(d.numerator) / den : 0.0;
      }
    }
    for (std::size_t i = 0; i < counters_.size(); ++i) prev_counts_[i] = s.counters[i].value;
    prev_ = now;
    return s;
  }

 private:
  enum class kind { counter, gauge, histogram, rate };
  struct derived {
    metric_info info;
    counter_id numerator;
    std::vector<counter_id> denominators;  // empty: a per-second rate
  };

  rate_id add_derived(std::string name, std::string help, counter_id numerator,
                      std::vector<counter_id> denominators, metric_labels labels, const char* who) {
    std::lock_guard lock(mutex_);
    check_new(kind::rate, name, labels, who);
    const auto check_id = [&](counter_id c) {
      if (c.index >= counters_.size())
        throw std::invalid_argument(std::string("metrics_registry::") + who +
                                    ": counter id is not one of this registry's");
    };
    check_id(numerator);
    for (auto c : denominators) check_id(c);
    rates_.push_back({{std::move(name), std::move(help), std::move(labels)},
                      numerator,
                      std::move(denominators)});
    return {static_cast<std::uint32_t>(rates_.size() - 1)};
  }

  static bool valid_label_name(const std::string& n) {
    if (n.empty() || (n[0] >= '0' && n[0] <= '9') || n.starts_with("__")) return false;
    return std::all_of(n.begin(), n.end(), [](char c) {
      return (c >= 'a' && c <= 'z') || (c >= 'A' && c <= 'Z') || (c >= '0' && c <= '9') || c == '_';
    });
  }

  // Names must be non-empty; a name belongs to one kind; one name + label set once.
  // Label names follow Prometheus ([a-zA-Z_][a-zA-Z0-9_]*, no leading "__") and may not
  // be "le" or "quantile", which the exposition uses.
  void check_new(kind k, const std::string& name, const metric_labels& labels, const char* who) {
    const std::string where = std::string("metrics_registry::") + who + ": ";
    if (name.empty()) throw std::invalid_argument(where + "name is empty");
    if (k != kind::rate && !recorders_.empty())
      throw std::logic_error(where + "\"" + name +
                             "\" registered after add_recorder(); register every metric first");
    for (std::size_t i = 0; i < labels.size(); ++i) {
      const auto& l = labels[i].name;
      if (!valid_label_name(l) || l == "le" || l == "quantile")
        throw std::invalid_argument(where + "label name \"" + l + "\" of \"" + name +
                                    "\" is not allowed");
      for (std::size_t j = 0; j < i; ++j)
        if (labels[j].name == l)
          throw std::invalid_argument(where + "label \"" + l + "\" repeated in \"" + name + "\"");
    }
    const auto scan = [&](const std::vector<metric_info>& infos, kind of) {
      for (const auto& m : infos) {
        if (m.name != name) continue;
        if (of != k)
          throw std::invalid_argument(where + "\"" + name +
                                      "\" is already a metric of another kind");
        if (m.labels == labels)
          throw std::invalid_argument(where + "\"" + name + "\" is already registered");
      }
    };
    scan(counters_, kind::counter);
    scan(gauges_, kind::gauge);
    scan(histograms_, kind::histogram);
    for (const auto& d : rates_) {
      if (d.info.name != name) continue;
      if (k != kind::rate)
        throw std::invalid_argument(where + "\"" + name + "\" is already a metric of another kind");
      if (d.info.labels == labels)
        throw std::invalid_argument(where + "\"" + name + "\" is already registered");
    }
  }

  mutable std::mutex mutex_;
  std::vector<metric_info> counters_, gauges_, histograms_;
  std::vector<gauge_merge> gauge_merges_;
  std::vector<derived> rates_;
  std::vector<std::unique_ptr<metrics_recorder>> recorders_;
  clock::time_point start_, prev_;
  std::uint64_t sequence_ = 0;
  std::vector<std::uint64_t> prev_counts_;
};

RILL_NAMESPACE_END
