// Writing a pipeline's results to a Redis stream and acknowledging the entries they
// came from, on an I/O thread of its own (compiled part: src/redis/stream_sink.cpp).
#pragma once

#include <chrono>
#include <concepts>
#include <cstddef>
#include <cstdint>
#include <memory>
#include <string>
#include <type_traits>

#include "rill/config.hpp"
#include "rill/metrics/latency_histogram.hpp"
#include "rill/redis/connection.hpp"
#include "rill/redis/stream_source.hpp"
#include "rill/runtime/event_queue.hpp"
#include "rill/runtime/queue_source.hpp"

RILL_NAMESPACE_BEGIN
namespace redis {

/// Settings of a `stream_sink`.
struct stream_sink_options {
  connection_options redis;
  std::string stream;       ///< the output stream key
  std::size_t maxlen = 0;   ///< trim the output stream to about this many entries; 0: never
  bool exact_trim = false;  ///< MAXLEN = instead of MAXLEN ~ (exact trimming costs more)
  std::size_t batch = 256;  ///< results per pipelined write, at most (rounded up to a multiple of 64)
  /// How long `stop()` keeps retrying a write or an acknowledgement while the server
  /// is unreachable before it gives up (the entries stay pending: redelivered later).
  std::chrono::milliseconds stop_timeout{5000};
  /// Record (wall clock now − result.time_ns) when a result's XADD is confirmed. Only
  /// meaningful when time_ns is CLOCK_REALTIME nanoseconds (see stream_source_options::time_field).
  bool measure_latency = false;
};

/// Where every result went. Snapshot; any thread; exact once the sink has stopped.
struct sink_counts {
  std::uint64_t taken = 0;         ///< results taken out of the queue
  std::uint64_t written = 0;       ///< XADDs confirmed (a result sent twice counts twice)
  std::uint64_t acked = 0;         ///< source entries acknowledged (XACK replies)
  std::uint64_t batches = 0;       ///< pipelined write round trips that succeeded
  std::uint64_t rewritten = 0;     ///< results sent again although their first XADD may have
                                   ///< happened (reply lost, or another XADD of the batch
                                   ///< failed): a bound on the duplicates this sink wrote
  std::uint64_t unknown = 0;       ///< results whose id is no event in flight: not written
  std::uint64_t write_errors = 0;  ///< error replies to XADD or XACK (the batch is retried)
  std::uint64_t abandoned = 0;     ///< results dropped at stop() because the server stayed away
  connection_counts connection;
};

namespace detail {
class sink_core;
class source_core;

// One result, as the I/O thread needs it.
struct result_row {
  std::uint64_t handle;
  std::int64_t time_ns;
  double value;
  std::uint64_t version;
};

struct sink_hooks {
  void* self = nullptr;
  std::size_t (*pop)(void* self, result_row* out, std::size_t max) noexcept = nullptr;
  std::size_t (*discard)(void* self) noexcept = nullptr;
};
}  // namespace detail

/// What a sink can write: an `id` (the handle the source gave the event), `time_ns`,
/// a numeric `value` and a model `version` (rill::prediction and rill::scored_event).
template <class R>
concept stream_result = requires(const R& r) {
  { r.id } -> std::convertible_to<std::uint64_t>;
  { r.time_ns } -> std::convertible_to<std::int64_t>;
  { r.version } -> std::convertible_to<std::uint64_t>;
  requires std::is_arithmetic_v<std::remove_cvref_t<decltype(r.value)>>;
};

/// The untyped part of every stream_sink.
class stream_sink_base {
 public:
  stream_sink_base(const stream_sink_base&) = delete;
  stream_sink_base& operator=(const stream_sink_base&) = delete;
  ~stream_sink_base();

  /// Writes and acknowledges everything already in the queue, then joins the I/O
  /// thread (after `stop_timeout` without a server it gives up; counted `abandoned`).
  /// Stop it after the pipeline's runner, which after the source. Idempotent.
  void stop();
  sink_counts counts() const noexcept;
  /// End-to-end latencies (with measure_latency). Read it after stop().
  const latency_histogram& latency() const noexcept;

 protected:
  stream_sink_base(stream_sink_options o, stream_source_base& source, bool float_values);
  void start_with(detail::sink_hooks h);

 private:
  std::unique_ptr<detail::sink_core> core_;
};

/// Takes results from an event_queue on an I/O thread and, per batch:
///  1. XADDs one entry per result to the output stream, pipelined, with MAXLEN
///     trimming as configured; fields `src` (the input entry's id), `value`,
///     `version`, `time` (the event's time_ns);
///  2. once every XADD of the batch is confirmed, XACKs the input entries up to the
///     batch's last one, in one command.
/// An entry is acknowledged only after its result is written, so delivery is
/// at-least-once. Acknowledgement is cumulative in the order the source issued events:
/// an event the pipeline dropped (no result) is acknowledged with the next result
/// after it, so the pipeline must keep events in order (single-threaded rill
/// pipelines do). A lost connection is retried with backoff (the batch is rewritten:
/// counted `rewritten`). The I/O thread allocates; the pipeline thread only pushes.
template <stream_result Result, queue_kind Kind = queue_kind::spsc>
class stream_sink : public stream_sink_base {
 public:
  /// `results` is fed by the pipeline (e.g. through rill::queue_sink); `source` is the
  /// stream_source whose events the results belong to.
  stream_sink(event_queue<Result, Kind>& results, stream_source_base& source, stream_sink_options o)
      : stream_sink_base(std::move(o), source, std::is_same_v<decltype(Result{}.value), float>),
        drain_(results) {}
  ~stream_sink() { stop(); }

  void start() { start_with(detail::sink_hooks{this, &pop_thunk, &discard_thunk}); }

 private:
  static std::size_t pop_thunk(void* self, detail::result_row* out, std::size_t max) noexcept {
    auto& s = *static_cast<stream_sink*>(self);
    std::size_t n = 0;
    while (n + 64 <= max) {
      const std::size_t got = s.drain_.drain([&](const Result& r) noexcept {
        out[n++] = detail::result_row{static_cast<std::uint64_t>(r.id), static_cast<std::int64_t>(r.time_ns),
                                      static_cast<double>(r.value), static_cast<std::uint64_t>(r.version)};
      });
      if (got == 0) break;
    }
    return n;
  }
  static std::size_t discard_thunk(void* self) noexcept {
    return static_cast<std::size_t>(static_cast<stream_sink*>(self)->drain_.discard_all());
  }

  queue_source<Result, Kind, 64> drain_;
};

}  // namespace redis
RILL_NAMESPACE_END
