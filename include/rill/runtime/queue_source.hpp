// The two ends of an event_queue inside pipelines: a source that drains it in bulk
// into a pipeline on the consumer thread, and a sink stage that feeds it.
#pragma once

#include <array>
#include <cstddef>
#include <cstdint>
#include <limits>
#include <type_traits>
#include <utility>

#include "rill/config.hpp"
#include "rill/runtime/event_queue.hpp"

RILL_NAMESPACE_BEGIN

/// A watermark callback that does nothing.
struct no_watermark_callback {
  void operator()(std::uint64_t) const noexcept {}
};

/// Settings of a `queue_source`.
struct source_options {
  /// An item whose `time_ns` is older than (latest time seen − allowed_lateness_ns) is
  /// counted `late` and not processed. The default accepts any order. Applies when
  /// the item has a `time_ns` member (rill events and labels do).
  std::int64_t allowed_lateness_ns = std::numeric_limits<std::int64_t>::max();
};

/// Drains an `event_queue` on the consumer thread, `Batch` items per dequeue, into a
/// pipeline (anything with `push(const T&)`) or a noexcept callable.
///
/// At each drain it also checks the queue's watermarks: crossing the high one turns
/// the queue's `high()` flag on (the `sample` policy sheds load from then on) and calls
/// `on_high(occupancy)`; falling to the low one turns it off and calls `on_low`. Both
/// callbacks run on the consumer thread. Never allocates after construction (the
/// consumer token is allocated here); one consumer thread.
template <class T, queue_kind Kind, std::size_t Batch>
class queue_source {
 public:
  explicit queue_source(event_queue<T, Kind>& q, source_options o = {})
      : queue_(&q), consumer_(q.backend_), opt_(o) {}

  /// Dequeues up to `Batch` items and hands each to `sink`. Returns how many it took
  /// out of the queue (processed or late). O(Batch + max_producers): the watermark
  /// check sums the producers' counters.
  template <class Sink>
  std::size_t drain(Sink&& sink) noexcept {
    return drain(sink, no_watermark_callback{}, no_watermark_callback{});
  }

  template <class Sink, class OnHigh, class OnLow>
  std::size_t drain(Sink&& sink, OnHigh&& on_high, OnLow&& on_low) noexcept {
    check_watermarks(on_high, on_low);
    auto& q = *queue_;
    const std::size_t n = q.backend_.try_pop_bulk(consumer_, buffer_.data(), Batch);
    if (n == 0) return 0;
    q.consumer_.taken.add(n);
    std::uint64_t processed = 0, late = 0;
    for (std::size_t i = 0; i < n; ++i) {
      const T& x = buffer_[i];
      if constexpr (requires { x.time_ns; }) {
        if (x.time_ns > latest_) latest_ = x.time_ns;
        if (detail::lags_more_than(latest_, x.time_ns, opt_.allowed_lateness_ns)) {
          ++late;
          continue;
        }
      }
      deliver(sink, x);
      ++processed;
    }
    q.consumer_.processed.add(processed);
    if (late) q.consumer_.late.add(late);
    return n;
  }

  /// Takes everything left out of the queue without processing it, counted as
  /// `dropped_shutdown`. For a consumer that stops without draining.
  std::uint64_t discard_all() noexcept {
    std::uint64_t total = 0;
    auto& q = *queue_;
    for (;;) {
      const std::size_t n = q.backend_.try_pop_bulk(consumer_, buffer_.data(), Batch);
      if (n == 0) break;
      q.consumer_.taken.add(n);
      q.consumer_.dropped_shutdown.add(n);
      total += n;
    }
    return total;
  }

  event_queue<T, Kind>& queue() noexcept { return *queue_; }

 private:
  template <class Sink>
  static RILL_ALWAYS_INLINE void deliver(Sink& sink, const T& x) noexcept {
    if constexpr (requires { sink.push(x); }) {
      static_assert(noexcept(sink.push(x)), "rill::queue_source: the pipeline's push must be noexcept");
      sink.push(x);
    } else {
      static_assert(std::is_nothrow_invocable_v<Sink&, const T&>,
                    "rill::queue_source: the sink must be a pipeline or a noexcept callable taking "
                    "the queue's item type");
      sink(x);
    }
  }

  template <class OnHigh, class OnLow>
  void check_watermarks(OnHigh& on_high, OnLow& on_low) noexcept {
    auto& q = *queue_;
    const std::uint64_t occ = q.occupancy();
    const bool high = q.high_.load(std::memory_order_relaxed);
    if (!high && occ >= q.opt_.high_watermark) {
      q.high_.store(true, std::memory_order_relaxed);
      q.consumer_.crossings.add();
      on_high(occ);
    } else if (high && occ <= q.opt_.low_watermark) {
      q.high_.store(false, std::memory_order_relaxed);
      on_low(occ);
    }
  }

  event_queue<T, Kind>* queue_;
  typename detail::queue_backend<T, Kind>::consumer consumer_;
  source_options opt_;
  std::int64_t latest_ = std::numeric_limits<std::int64_t>::min();
  std::array<T, Batch> buffer_{};
};

/// A pass-through stage that offers each input to an `event_queue` under the queue's
/// policy (block, drop or sample) and passes it on. Holds one producer handle: one
/// pipeline thread per sink.
template <class T, queue_kind Kind = queue_kind::mpmc>
class queue_sink {
 public:
  using input_type = T;
  using output_type = T;

  explicit queue_sink(event_queue<T, Kind>& q) : producer_(q.make_producer()) {}

  template <class Emit>
  RILL_ALWAYS_INLINE void operator()(const T& in, Emit&& emit) noexcept {
    producer_.push(in);
    emit(in);
  }

 private:
  typename event_queue<T, Kind>::producer producer_;
};

RILL_NAMESPACE_END
