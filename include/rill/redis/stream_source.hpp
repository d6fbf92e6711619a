// Reading a Redis stream through a consumer group into an event_queue, on an I/O
// thread of its own (compiled part: src/redis/stream_source.cpp).
#pragma once

#include <chrono>
#include <cstddef>
#include <cstdint>
#include <memory>
#include <stdexcept>
#include <string>
#include <vector>

#include "rill/config.hpp"
#include "rill/core/event.hpp"
#include "rill/redis/connection.hpp"
#include "rill/redis/stream_id.hpp"
#include "rill/runtime/event_queue.hpp"

RILL_NAMESPACE_BEGIN
namespace redis {

/// Settings of a `stream_source`.
struct stream_source_options {
  connection_options redis;
  std::string stream;    ///< the input stream key
  std::string group;     ///< consumer group (created with MKSTREAM if missing)
  std::string consumer;  ///< this consumer's name: stable across restarts, unique in the group
  /// Entry field holding feature i, for i < D. Each value must parse as a number.
  std::vector<std::string> fields;
  /// Entry field holding the event time in ns (an integer). Empty: the entry id's
  /// milliseconds × 10^6, i.e. when the server added the entry.
  std::string time_field;
  /// Where entries that do not parse go. Empty: "<stream>:dead".
  std::string dead_letter_stream;
  std::size_t count = 256;                ///< COUNT of each XREADGROUP
  std::chrono::milliseconds block{100};   ///< BLOCK of each XREADGROUP
  /// Entries read and not yet acknowledged by the sink, at most (rounded up to a
  /// power of two, at least 2·count). The source stops reading while this many are in
  /// flight: it reads only as fast as the pipeline and the sink drain.
  std::size_t max_in_flight = 8192;
  /// XAUTOCLAIM takes entries idle for longer than this from other consumers (dead or
  /// stuck ones). Keep it well above the time an entry spends in the pipeline.
  std::chrono::milliseconds min_idle{30000};
  /// How often XAUTOCLAIM runs after the one at start; 0: only at start.
  std::chrono::milliseconds claim_interval{5000};
  /// Id the group starts from when this source creates it ("0": the whole stream).
  std::string group_start = "0";
};

/// Where every entry went. Snapshot; any thread; exact once the source has stopped.
///   read = pushed + dead_lettered + not_delivered + deleted
struct source_counts {
  std::uint64_t read = 0;            ///< entries received (new, reclaimed or claimed)
  std::uint64_t pushed = 0;          ///< handed to the event queue as events
  std::uint64_t reclaimed_own = 0;   ///< of `read`: from this consumer's pending list (a restart, a reconnect)
  std::uint64_t claimed_idle = 0;    ///< of `read`: taken from other consumers by XAUTOCLAIM
  std::uint64_t dead_lettered = 0;   ///< unparsable entries written to the dead-letter stream and acked
  std::uint64_t not_delivered = 0;   ///< read while stopping (queue closed): left pending, redelivered later
  std::uint64_t deleted = 0;         ///< pending ids whose entry was deleted or trimmed: acked
  std::uint64_t reads = 0;           ///< XREADGROUP / XAUTOCLAIM calls that returned
  std::uint64_t full_waits = 0;      ///< waits because max_in_flight entries were unacknowledged
  std::uint64_t in_flight = 0;       ///< read and pushed, not yet acknowledged by the sink
  connection_counts connection;
};

namespace detail {
class source_core;

// The typed half of a source, called on the I/O thread.
struct source_hooks {
  void* self = nullptr;
  // Pushes an event (blocking while the queue is full); false once the queue is closed.
  bool (*push)(void* self, std::uint64_t handle, std::int64_t time_ns, const double* values) noexcept =
      nullptr;
};
}  // namespace detail

/// The untyped part of every stream_source: the I/O thread, the connection and the
/// table of stream ids in flight that a `stream_sink` acknowledges from.
class stream_source_base {
 public:
  stream_source_base(const stream_source_base&) = delete;
  stream_source_base& operator=(const stream_source_base&) = delete;
  ~stream_source_base();

  /// Stops reading and joins the I/O thread (it may be waiting for room in the queue
  /// until the pipeline drains it: stop the source before the pipeline's runner).
  /// Entries already read stay in flight for the sink to acknowledge. Idempotent.
  void stop();
  source_counts counts() const noexcept;
  const stream_source_options& options() const noexcept;
  /// The stream id of the entry the event with id `handle` came from, if it is still in
  /// flight (not yet acknowledged). Any thread; for diagnostics.
  bool lookup(std::uint64_t handle, stream_id& out) const noexcept;

  detail::source_core& core() noexcept { return *core_; }

 protected:
  stream_source_base(stream_source_options o, std::size_t width);
  void start_with(detail::source_hooks h);

 private:
  std::unique_ptr<detail::source_core> core_;
};

/// Reads entries of a Redis stream as a member of a consumer group and pushes them as
/// `rill::event<D, T>` into an event_queue, from an I/O thread it starts; the pipeline
/// thread drains the queue and never touches the network.
///
/// - Each event's `id` is a handle (a sequence number of this source) that the sink
///   maps back to the entry's stream id; keep it unchanged through the pipeline.
///   `time_ns` comes from `time_field`, or from the entry id.
/// - At start (and after every reconnect) it first re-reads this consumer's own pending
///   entries (XREADGROUP from id 0) except those still in flight, then claims entries
///   idle for longer than `min_idle` (XAUTOCLAIM), then reads new ones (`>`).
/// - An entry with a missing or non-numeric field is written to the dead-letter stream
///   (fields: src, reason, then the entry's own) and acknowledged; counted.
/// - Connection loss: retried with backoff, counted; the thread never dies of it.
///
/// The queue must use `overflow_policy::block`, so that no read entry is dropped.
/// The I/O thread allocates (replies, ids); the pipeline thread does not.
template <std::size_t D, class T = float, queue_kind Kind = queue_kind::spsc>
class stream_source : public stream_source_base {
 public:
  using event_type = event<D, T>;

  /// Throws std::invalid_argument naming the option (fields.size() != D, empty
  /// stream/group/consumer, a queue policy other than block, count 0).
  stream_source(event_queue<event_type, Kind>& queue, stream_source_options o)
      : stream_source_base(check(queue, std::move(o)), D), producer_(queue.make_producer()) {}
  ~stream_source() { stop(); }

  /// Starts the I/O thread.
  void start() { start_with(detail::source_hooks{this, &push_thunk}); }

 private:
  static stream_source_options check(const event_queue<event_type, Kind>& q, stream_source_options o) {
    if (q.options().policy != overflow_policy::block)
      throw std::invalid_argument(
          "rill::redis::stream_source: the queue's policy must be overflow_policy::block (a dropped "
          "event would never be acknowledged)");
    if (o.fields.size() != D)
      throw std::invalid_argument("rill::redis::stream_source: fields has " + std::to_string(o.fields.size()) +
                                  " names, the event has " + std::to_string(D) + " features");
    return o;
  }

  static bool push_thunk(void* self, std::uint64_t handle, std::int64_t time_ns, const double* v) noexcept {
    auto& s = *static_cast<stream_source*>(self);
    event_type e;
    e.id = handle;
    e.time_ns = time_ns;
    for (std::size_t i = 0; i < D; ++i) e.x[i] = static_cast<T>(v[i]);
    return s.producer_.push(e);
  }

  typename event_queue<event_type, Kind>::producer producer_;
};

}  // namespace redis
RILL_NAMESPACE_END
