// Driving a queue_source on a thread, with a stop that drains or counts what is left.
#pragma once

#include <atomic>
#include <cstdint>
#include <thread>
#include <utility>

#include "rill/config.hpp"
#include "rill/runtime/event_queue.hpp"
#include "rill/runtime/queue_source.hpp"

RILL_NAMESPACE_BEGIN

/// What `runner::stop` does with items still queued.
enum class stop_mode {
  drain,    ///< process everything accepted before the stop, then return
  discard,  ///< take it out unprocessed, counted as `dropped_shutdown`
};

/// Runs `source.drain(sink)` in a loop until stopped, on a thread it starts
/// (`start()`) or on the caller's own (`run()`, e.g. a pinned thread the user made).
///
/// When the queue is empty the loop waits by `idle` (spin, yield or sleep). `stop()`
/// closes the queue first, so producers stop adding (their late offers are counted
/// `dropped_closed`) and the count of what is left is final; then it drains or
/// discards and joins. After `stop()` the queue's counters add up exactly.
template <class Source, class Sink>
class runner {
 public:
  runner(Source& source, Sink& sink, wait_strategy idle = wait_strategy::yield) noexcept
      : source_(&source), sink_(&sink), idle_(idle) {}
  runner(const runner&) = delete;
  runner& operator=(const runner&) = delete;
  ~runner() { stop(stop_mode::drain); }

  /// Starts a thread running `run()`.
  void start() {
    stopping_.store(false, std::memory_order_relaxed);
    thread_ = std::thread([this] { run(); });
  }

  /// The loop, on the calling thread; returns once `stop()` was called and the queue
  /// has been drained or discarded as asked.
  void run() noexcept {
    for (;;) {
      // A discarding stop must not process the backlog: look at the flag before
      // every drain (one relaxed-cost load per batch).
      const bool stopping = stopping_.load(std::memory_order_acquire);
      if (stopping && mode_.load(std::memory_order_relaxed) == stop_mode::discard) break;
      const std::size_t n = source_->drain(*sink_);
      if (n != 0) continue;
      if (stopping) break;
      detail::wait_once(idle_);
    }
    if (mode_.load(std::memory_order_relaxed) == stop_mode::drain) {
      while (source_->drain(*sink_) != 0) {
      }
    }
    source_->discard_all();  // after a drain this finds nothing, unless producers raced close()
    done_.store(true, std::memory_order_release);
  }

  /// Closes the queue, lets the loop finish as `mode` says and joins the thread if
  /// `start()` made one. Idempotent.
  void stop(stop_mode mode = stop_mode::drain) noexcept {
    source_->queue().close();
    mode_.store(mode, std::memory_order_relaxed);
    stopping_.store(true, std::memory_order_release);
    if (thread_.joinable()) thread_.join();
  }

  /// True once `run()` has returned.
  bool done() const noexcept { return done_.load(std::memory_order_acquire); }

 private:
  Source* source_;
  Sink* sink_;
  wait_strategy idle_;
  std::thread thread_;
  std::atomic<bool> stopping_{false};
  std::atomic<bool> done_{false};
  std::atomic<stop_mode> mode_{stop_mode::drain};
};

RILL_NAMESPACE_END
