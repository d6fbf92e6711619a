// Micro-batching: hold events until N have arrived or a wait budget has passed, then
// score them in one call of the model's batch path.
#pragma once

#include <algorithm>
#include <array>
#include <cstddef>
#include <cstdint>
#include <span>
#include <stdexcept>
#include <string>
#include <type_traits>
#include <utility>

#include "rill/config.hpp"
#include "rill/core/event.hpp"
#include "rill/metrics/latency_histogram.hpp"
#include "rill/serve/common.hpp"

RILL_NAMESPACE_BEGIN

/// Counters of a micro_batch. batches == full + timed + flushed.
struct micro_batch_counters {
  std::uint64_t events = 0;   ///< events taken in
  std::uint64_t batches = 0;  ///< batch calls made
  std::uint64_t full = 0;     ///< batches closed because N events were waiting
  std::uint64_t timed = 0;    ///< batches closed because the oldest waited max_wait_ns
  std::uint64_t flushed = 0;  ///< batches closed by flush()
};

/// Collects up to `N` events and scores them with one call
/// `batch_fn(std::span<const event<D, T>> events, std::span<prediction<T>> out)`,
/// then emits the `prediction<T>`s in arrival order.
///
/// A batch closes when (a) it holds N events (closed on the N-th, which is scored
/// with it), (b) time has reached `oldest arrival + max_wait_ns`, or (c) `flush(emit)`
/// is called. "Time" is the events' own time by default (`Clock = event_clock`):
/// an event whose time_ns reaches the deadline closes the waiting batch *before*
/// it joins the next one, and `advance(now_ns, emit)` closes it without a new event
/// (call it from a timer on a sparse stream). With a wall clock (`Clock` has
/// `now()`, e.g. steady_clock_ns), each push reads the clock once and `poll(emit)`
/// closes an overdue batch.
///
/// `batch_fn` gets outputs whose id and time_ns are already set and writes `value`
/// and `version` (see `rows_batch`, `strided_batch`). It must be noexcept.
///
/// The latency batching adds, "time scored − time arrived" per event on the chosen
/// clock (event time: the newest time seen), goes into `added_latency()`; it does not
/// include the model's own run time.
///
/// Cost per event: a copy of the event and a compare; per batch: the batch call and
/// N histogram records. Storage inline (N events, N predictions, a 36 KiB
/// histogram); never allocates. One thread.
template <std::size_t D, std::size_t N, class BatchFn, class T = float, class Clock = event_clock>
class micro_batch {
  static_assert(N > 0, "rill::micro_batch needs a batch size N of at least one event.");
  static_assert(std::is_nothrow_invocable_v<BatchFn&, std::span<const event<D, T>>,
                                            std::span<prediction<T>>>,
                "rill::micro_batch: batch_fn must be callable as noexcept "
                "fn(std::span<const rill::event<D, T>>, std::span<rill::prediction<T>>).");
  static_assert(std::is_same_v<Clock, event_clock> || wall_clock<Clock>,
                "rill::micro_batch: Clock is rill::event_clock or has `std::int64_t now() "
                "noexcept`.");

 public:
  using input_type = event<D, T>;
  using output_type = prediction<T>;
  static constexpr std::size_t capacity = N;
  static constexpr bool uses_event_time = std::is_same_v<Clock, event_clock>;

  /// Throws std::invalid_argument if `max_wait_ns` is negative.
  explicit micro_batch(BatchFn fn, std::int64_t max_wait_ns, Clock clock = {})
      : fn_(std::move(fn)), clock_(std::move(clock)), max_wait_(max_wait_ns) {
    if (max_wait_ns < 0)
      throw std::invalid_argument("rill::micro_batch: max_wait_ns must be >= 0, got " +
                                  std::to_string(max_wait_ns));
  }

  template <class Emit>
  RILL_ALWAYS_INLINE void operator()(const input_type& in, Emit&& emit) noexcept {
    const std::int64_t now = stamp(in);
    newest_ = std::max(newest_, now);
    if (size_ != 0 && now >= deadline_) close(newest_, emit, counters_.timed);
    if (size_ == 0) deadline_ = now > INT64_MAX - max_wait_ ? INT64_MAX : now + max_wait_;
    events_[size_] = in;
    out_[size_].id = in.id;
    out_[size_].time_ns = in.time_ns;
    arrived_[size_] = now;
    ++size_;
    ++counters_.events;
    if (size_ == N) close(newest_, emit, counters_.full);
  }

  /// Event time only: time has reached `now_ns`; closes the waiting batch if it is due.
  template <class Emit>
  void advance(std::int64_t now_ns, Emit&& emit) noexcept {
    static_assert(uses_event_time, "rill::micro_batch::advance is for event time; use poll().");
    newest_ = std::max(newest_, now_ns);
    if (size_ != 0 && newest_ >= deadline_) close(newest_, emit, counters_.timed);
  }

  /// Wall clock only: reads the clock and closes the waiting batch if it is due.
  template <class Emit>
  void poll(Emit&& emit) noexcept {
    static_assert(!uses_event_time, "rill::micro_batch::poll needs a wall clock; use advance().");
    const std::int64_t now = clock_.now();
    if (size_ != 0 && now >= deadline_) close(now, emit, counters_.timed);
  }

  /// Scores and emits whatever is waiting now (nothing if the batch is empty).
  template <class Emit>
  void flush(Emit&& emit) noexcept {
    if (size_ == 0) return;
    if constexpr (uses_event_time) {
      close(newest_, emit, counters_.flushed);
    } else {
      close(clock_.now(), emit, counters_.flushed);
    }
  }

  /// Events waiting for the next batch call.
  std::size_t pending() const noexcept { return size_; }
  const micro_batch_counters& counters() const noexcept { return counters_; }
  /// Waiting time each scored event spent in the batch, in ns of the chosen clock.
  const latency_histogram& added_latency() const noexcept { return latency_; }
  BatchFn& batch_fn() noexcept { return fn_; }
  Clock& clock() noexcept { return clock_; }

 private:
  std::int64_t stamp(const input_type& in) noexcept {
    if constexpr (uses_event_time) {
      return in.time_ns;
    } else {
      return clock_.now();
    }
  }

  template <class Emit>
  void close(std::int64_t now, Emit& emit, std::uint64_t& reason) noexcept {
    const std::size_t n = size_;
    fn_(std::span<const input_type>(events_.data(), n), std::span<output_type>(out_.data(), n));
    for (std::size_t i = 0; i < n; ++i) {
      const std::int64_t waited = now - arrived_[i];  // out-of-order times wait 0, not < 0
      latency_.record(waited > 0 ? static_cast<std::uint64_t>(waited) : 0);
    }
    size_ = 0;  // before emitting, so a re-entrant flush from downstream sees an empty batch
    ++counters_.batches;
    ++reason;
    for (std::size_t i = 0; i < n; ++i) emit(out_[i]);
  }

  [[no_unique_address]] BatchFn fn_;
  [[no_unique_address]] Clock clock_;
  std::int64_t max_wait_;
  std::int64_t deadline_ = INT64_MAX;
  std::int64_t newest_ = INT64_MIN;
  std::size_t size_ = 0;
  micro_batch_counters counters_;
  std::array<input_type, N> events_{};
  std::array<output_type, N> out_{};
  std::array<std::int64_t, N> arrived_{};
  latency_histogram latency_;
};

/// A micro_batch with D, T and the batch function's type deduced:
/// `auto mb = rill::make_micro_batch<16, 32>(rill::rows_batch(model), 50'000);`.
template <std::size_t D, std::size_t N, class T = float, class BatchFn, class Clock = event_clock>
micro_batch<D, N, BatchFn, T, Clock> make_micro_batch(BatchFn fn, std::int64_t max_wait_ns,
                                                      Clock clock = {}) {
  return micro_batch<D, N, BatchFn, T, Clock>(std::move(fn), max_wait_ns, std::move(clock));
}

/// Batch adapter for any model with `predict(row) const noexcept` and a `version`
/// member (rill::linear_model, rill::mlp): one predict per row, in a loop the compiler
/// can interleave. Holds a pointer; the model is owned elsewhere. O(n · cost of one).
template <class Model>
class rows_batch {
 public:
  using value_type = typename Model::value_type;
  static constexpr std::size_t width = Model::width;

  explicit rows_batch(const Model& model) noexcept : model_(&model) {}

  void operator()(std::span<const event<width, value_type>> in,
                  std::span<prediction<value_type>> out) const noexcept {
    const std::uint64_t version = model_->version;
    for (std::size_t i = 0; i < in.size(); ++i) {
      out[i].value = model_->predict(in[i].x);
      out[i].version = version;
    }
  }

 private:
  const Model* model_;
};

/// Batch adapter for a model with a strided batch path
/// `predict_batch(const T* rows, std::size_t n, std::size_t stride, T* out) const noexcept`
/// and one output per row (rill::tree_ensemble with one output group). The events'
/// rows are read in place (stride = sizeof(event) / sizeof(T)), scored in chunks of 64
/// into a stack buffer; `version` is the adapter's (models without one report 0).
template <std::size_t D, class Model, class T = float>
class strided_batch {
  static_assert(sizeof(event<D, T>) % sizeof(T) == 0, "rill::strided_batch: event stride");

 public:
  explicit strided_batch(const Model& model, std::uint64_t version = 0) noexcept
      : model_(&model), version_(version) {}

  void operator()(std::span<const event<D, T>> in, std::span<prediction<T>> out) const noexcept {
    constexpr std::size_t stride = sizeof(event<D, T>) / sizeof(T);
    constexpr std::size_t chunk = 64;
    T buf[chunk];
    for (std::size_t at = 0; at < in.size(); at += chunk) {
      const std::size_t n = std::min(chunk, in.size() - at);
      model_->predict_batch(in[at].x.data(), n, stride, buf);
      for (std::size_t i = 0; i < n; ++i) {
        out[at + i].value = buf[i];
        out[at + i].version = version_;
      }
    }
  }

  std::uint64_t& version() noexcept { return version_; }

 private:
  const Model* model_;
  std::uint64_t version_;
};

RILL_NAMESPACE_END
