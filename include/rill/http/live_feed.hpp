// The pipeline side of the live view: picks what is worth showing and queues it for
// the server thread without ever waiting on it.
#pragma once

#include <cstddef>
#include <cstdint>
#include <limits>
#include <stdexcept>
#include <type_traits>

#include "rill/config.hpp"
#include "rill/core/event.hpp"
#include "rill/http/live_event.hpp"
#include "rill/runtime/event_queue.hpp"

RILL_NAMESPACE_BEGIN

/// Settings of a `live_feed`.
struct live_feed_options {
  /// One prediction in `sample_every` is queued (the 1st of every N); 0 queues none by
  /// count. 1 queues all of them (tests; a busy stream then mostly counts drops).
  std::uint64_t sample_every = 100;
  /// Predictions whose value is >= threshold are queued as well (alerts, fraud
  /// scores). The default (+inf) switches this off.
  double threshold = std::numeric_limits<double>::infinity();
  /// Records the queue holds (48 bytes each, allocated at construction). When it is
  /// full, new records are dropped and counted, never waited for.
  std::size_t capacity = 4096;
};

/// Where a feed's records went. A snapshot; exact when the pipeline thread and the
/// server have stopped. `queue.offered == sampled + events`.
struct live_feed_counts {
  std::uint64_t predictions = 0;  ///< on_prediction calls (all of them, sampled or not)
  std::uint64_t sampled = 0;      ///< predictions offered to the queue
  std::uint64_t events = 0;       ///< drift, warning, version, breaker, score records offered
  queue_counts queue;             ///< the queue's own counts (dropped_full: queue was full)
};

/// Records what the pipeline thread does for the live view: predictions (sampled 1 in
/// N, or above a threshold), drift and warning signals, model-version changes, breaker
/// state changes and the prequential metric, as fixed-size `live_event`s in a bounded
/// single-producer queue that a `live_server` drains on its own thread.
///
/// Cost: on_prediction() is O(1): a counter, a countdown and a compare when not
/// sampled (about a nanosecond); a sampled one adds a queue push (~10 ns). Other
/// records are always offered. Never blocks: a full queue drops the record and counts
/// it (`counts().queue.dropped_full`). Allocates only in the constructor.
///
/// Thread-safety: every on_*() call must come from ONE thread (the queue is
/// single-producer; give each pipeline thread its own feed). counts() may be called
/// from any thread. Not copyable or movable (the server keeps its address).
class live_feed {
 public:
  using queue_type = event_queue<live_event, queue_kind::spsc>;

  /// Throws std::invalid_argument naming the option when `capacity` is 0.
  explicit live_feed(live_feed_options o = {})
      : opt_(check(o)), queue_(queue_settings(opt_)), producer_(queue_.make_producer()) {}
  live_feed(const live_feed&) = delete;
  live_feed& operator=(const live_feed&) = delete;

  /// A prediction made for event `id`. `label` is the outcome when already known
  /// (test-then-train replays), NaN otherwise; the version is the last one given to
  /// on_model_version(). Returns true if it was queued.
  RILL_ALWAYS_INLINE bool on_prediction(std::uint64_t id, std::int64_t time_ns, double value,
                                        double label = std::numeric_limits<double>::quiet_NaN()) noexcept {
    return on_prediction(id, time_ns, value, label, version_);
  }

  /// As above, with the model version that made the prediction.
  RILL_ALWAYS_INLINE bool on_prediction(std::uint64_t id, std::int64_t time_ns, double value,
                                        double label, std::uint64_t version) noexcept {
    predictions_.add();
    if (RILL_LIKELY(--countdown_ != 0) && RILL_LIKELY(!(value >= opt_.threshold))) return false;
    if (countdown_ == 0) countdown_ = every_;
    return offer_sampled({id, time_ns, value, label, version, 0, live_kind::prediction});
  }

  /// A `rill::prediction<T>` (its own version is used).
  template <class T>
  RILL_ALWAYS_INLINE bool on_prediction(const prediction<T>& p) noexcept {
    return on_prediction(p.id, p.time_ns, static_cast<double>(p.value),
                         std::numeric_limits<double>::quiet_NaN(), p.version);
  }

  /// A drift detector (number `detector`, for several) fired at event `id`.
  bool on_drift(std::uint64_t id, std::int64_t time_ns, double statistic = 0,
                std::uint32_t detector = 0) noexcept {
    return offer({id, time_ns, statistic, nan(), version_, detector, live_kind::drift});
  }
  /// A drift detector warned at event `id`.
  bool on_warning(std::uint64_t id, std::int64_t time_ns, double statistic = 0,
                  std::uint32_t detector = 0) noexcept {
    return offer({id, time_ns, statistic, nan(), version_, detector, live_kind::warning});
  }
  /// A `rill::drift_event` (rill/drift/detect.hpp) or anything with id, time_ns and
  /// statistic, as passed to adapt_on_drift's policies.
  template <class E>
    requires requires(const E& e) { e.id, e.time_ns, e.statistic; }
  bool on_drift(const E& e, std::uint32_t detector = 0) noexcept {
    return on_drift(e.id, e.time_ns, e.statistic, detector);
  }
  template <class E>
    requires requires(const E& e) { e.id, e.time_ns, e.statistic; }
  bool on_warning(const E& e, std::uint32_t detector = 0) noexcept {
    return on_warning(e.id, e.time_ns, e.statistic, detector);
  }

  /// The served model is now `version`; later records carry it.
  bool on_model_version(std::uint64_t version, std::int64_t time_ns) noexcept {
    version_ = version;
    return offer({0, time_ns, 0, nan(), version, 0, live_kind::model_version});
  }

  /// A circuit breaker changed state: any enum or integer with rill::breaker_state's
  /// values (0 closed, 1 open, 2 half_open).
  template <class State>
    requires std::is_enum_v<State> || std::is_integral_v<State>
  bool on_breaker(State state, std::int64_t time_ns) noexcept {
    return offer({0, time_ns, 0, nan(), version_, static_cast<std::uint32_t>(state),
                  live_kind::breaker});
  }

  /// The prequential metric (number `metric`, for several) is `value` after `scored`
  /// events. Call it every so many events, not on every one, to keep the feed light.
  bool on_score(std::uint64_t scored, std::int64_t time_ns, double value,
                std::uint32_t metric = 0) noexcept {
    return offer({scored, time_ns, value, nan(), version_, metric, live_kind::score});
  }

  /// Where every record went so far (any thread).
  live_feed_counts counts() const noexcept {
    return {predictions_.get(), sampled_.get(), events_.get(), queue_.counts()};
  }

  const live_feed_options& options() const noexcept { return opt_; }
  /// The queue a server drains (one consumer).
  queue_type& queue() noexcept { return queue_; }

 private:
  static double nan() noexcept { return std::numeric_limits<double>::quiet_NaN(); }

  static live_feed_options check(live_feed_options o) {
    if (o.capacity == 0) throw std::invalid_argument("rill::live_feed: capacity must be at least 1");
    return o;
  }
  static queue_options queue_settings(const live_feed_options& o) {
    queue_options q;
    q.capacity = o.capacity;
    q.max_producers = 1;
    q.policy = overflow_policy::drop_newest;
    return q;
  }

  bool offer_sampled(const live_event& e) noexcept {
    sampled_.add();
    return producer_.push(e);
  }
  bool offer(const live_event& e) noexcept {
    events_.add();
    return producer_.push(e);
  }

  live_feed_options opt_;
  // sample_every == 0: a countdown that does not reach 0 in any real stream's lifetime.
  std::uint64_t every_ = opt_.sample_every ? opt_.sample_every : std::numeric_limits<std::uint64_t>::max();
  std::uint64_t countdown_ = opt_.sample_every ? 1 : every_;  // the first one is sampled
  std::uint64_t version_ = 0;
  detail::owned_counter predictions_, sampled_, events_;
  queue_type queue_;
  queue_type::producer producer_;
};

RILL_NAMESPACE_END
