// A bounded queue between threads with a stated overflow policy and counters that
// add up: every offered item is accepted or dropped for a named reason, and every
// accepted item is processed, late, evicted or discarded at shutdown.
#pragma once

#include <atomic>
#include <chrono>
#include <cstddef>
#include <cstdint>
#include <memory>
#include <optional>
#include <stdexcept>
#include <string>
#include <thread>
#include <type_traits>

#include "rill/config.hpp"
#include "rill/detail/moodycamel.hpp"

RILL_NAMESPACE_BEGIN

/// What a producer does when the queue is full.
enum class overflow_policy {
  block,        ///< wait (see wait_strategy) until there is room or the queue is closed
  drop_newest,  ///< drop the item being offered
  drop_oldest,  ///< evict a queued item to make room (MPMC queues only: a producer cannot
                ///< pop an SPSC queue); FIFO per producer, so "oldest" is per producer
  sample,       ///< from the high watermark until the low one, admit 1 offer in N;
                ///< offers that still find the queue full are dropped as `full`
};

/// How a blocked producer (or an idle consumer) waits.
enum class wait_strategy {
  spin,   ///< busy-wait with a pause instruction: lowest latency, burns a core
  yield,  ///< std::this_thread::yield between attempts
  sleep,  ///< sleep ~50 µs between attempts: frees the core, adds latency
};

/// The two moodycamel queues: one producer (ReaderWriterQueue), or many (ConcurrentQueue
/// with a producer token each).
enum class queue_kind { spsc, mpmc };

/// Settings of an `event_queue`.
struct queue_options {
  /// Items the queue holds. For MPMC queues this is per producer: moodycamel's
  /// ConcurrentQueue(capacity, producers, 0) preallocates enough blocks for each
  /// explicit producer to hold `capacity` items, and try_enqueue never allocates.
  std::size_t capacity = 4096;
  std::size_t max_producers = 1;
  overflow_policy policy = overflow_policy::block;
  wait_strategy wait = wait_strategy::yield;
  std::uint64_t sample_every = 10;  ///< N of `sample`: 1 offer in N admitted while high
  /// Occupancy at which `high` turns on and at which it turns off again (checked by the
  /// consumer at every drain). 0 means capacity·3/4 and capacity/4.
  std::size_t high_watermark = 0;
  std::size_t low_watermark = 0;
};

/// Where every item went. Produced by `event_queue::counts()` (a snapshot; exact
/// once producers and consumer have stopped). The identities
///   offered  = accepted + dropped_full + dropped_sampled + dropped_closed
///   accepted = processed + late + dropped_oldest + dropped_shutdown + queued
/// hold exactly when the threads are quiescent.
struct queue_counts {
  std::uint64_t offered = 0;
  std::uint64_t accepted = 0;
  std::uint64_t dropped_full = 0;      ///< drop_newest, or sample/drop_oldest still full
  std::uint64_t dropped_oldest = 0;    ///< evicted by drop_oldest
  std::uint64_t dropped_sampled = 0;   ///< not admitted by sample
  std::uint64_t dropped_closed = 0;    ///< offered after close()
  std::uint64_t dropped_shutdown = 0;  ///< discarded by a consumer stopping without draining
  std::uint64_t late = 0;              ///< dequeued but older than the allowed lateness
  std::uint64_t processed = 0;         ///< handed to the pipeline
  std::uint64_t waits = 0;             ///< times a blocked producer waited
  std::uint64_t high_watermark_crossings = 0;

  std::uint64_t dropped() const noexcept {
    return dropped_full + dropped_oldest + dropped_sampled + dropped_closed + dropped_shutdown;
  }
  std::uint64_t queued() const noexcept {
    return accepted - processed - late - dropped_oldest - dropped_shutdown;
  }
  /// processed / (processed + dropped + late); 1 when nothing happened yet.
  double efficiency() const noexcept {
    const double all = static_cast<double>(processed + dropped() + late);
    return all == 0 ? 1.0 : static_cast<double>(processed) / all;
  }
};

namespace detail {

/// A counter with one writer: a relaxed load and store (plain moves on x86, no lock
/// prefix), readable from any thread without a data race.
class owned_counter {
 public:
  RILL_ALWAYS_INLINE void add(std::uint64_t n = 1) noexcept {
    v_.store(v_.load(std::memory_order_relaxed) + n, std::memory_order_relaxed);
  }
  std::uint64_t get() const noexcept { return v_.load(std::memory_order_relaxed); }

 private:
  std::atomic<std::uint64_t> v_{0};
};

inline void cpu_relax() noexcept {
#if defined(__x86_64__) || defined(__i386__)
  __builtin_ia32_pause();
#elif defined(__aarch64__)
  asm volatile("yield");
#endif
}

inline void wait_once(wait_strategy w) noexcept {
  switch (w) {
    case wait_strategy::spin: cpu_relax(); break;
    case wait_strategy::yield: std::this_thread::yield(); break;
    case wait_strategy::sleep: std::this_thread::sleep_for(std::chrono::microseconds(50)); break;
  }
}

// Counters of one producer, on their own cache lines so producers never share one.
struct alignas(cache_line) producer_counts {
  owned_counter offered, accepted, dropped_full, dropped_oldest, dropped_sampled, dropped_closed,
      waits;
  std::uint64_t sample_seq = 0;  // producer-private
};

template <class T, queue_kind Kind>
struct queue_backend;

template <class T>
struct queue_backend<T, queue_kind::spsc> {
  moodycamel::ReaderWriterQueue<T> q;
  explicit queue_backend(const queue_options& o) : q(o.capacity) {}
  struct token {
    token(queue_backend&, std::size_t) noexcept {}
  };
  bool try_push(token&, const T& x) noexcept { return q.try_enqueue(x); }
  bool try_evict(T&) noexcept { return false; }
  struct consumer {
    explicit consumer(queue_backend&) noexcept {}
  };
  std::size_t try_pop_bulk(consumer&, T* out, std::size_t n) noexcept {
    std::size_t i = 0;
    while (i < n && q.try_dequeue(out[i])) ++i;
    return i;
  }
};

template <class T>
struct queue_backend<T, queue_kind::mpmc> {
  moodycamel::ConcurrentQueue<T> q;
  explicit queue_backend(const queue_options& o) : q(o.capacity, o.max_producers, 0) {}
  // A producer's blocks are its own for the queue's life (moodycamel never returns an
  // explicit producer's blocks to the shared pool), so a producer created after others
  // filled the pool could never enqueue. The token therefore claims `capacity` slots of
  // blocks at set-up, by enqueuing and taking back that many items from itself.
  struct token {
    moodycamel::ProducerToken t;
    token(queue_backend& b, std::size_t capacity) : t(b.q) {
      T filler{};
      for (std::size_t i = 0; i < capacity; ++i)
        if (!b.q.try_enqueue(t, filler)) b.q.enqueue(t, filler);  // may allocate: set-up only
      for (std::size_t i = 0; i < capacity; ++i) b.q.try_dequeue_from_producer(t, filler);
    }
  };
  bool try_push(token& tk, const T& x) noexcept { return q.try_enqueue(tk.t, x); }
  bool try_evict(T& out) noexcept { return q.try_dequeue(out); }
  struct consumer {
    moodycamel::ConsumerToken t;
    explicit consumer(queue_backend& b) : t(b.q) {}
  };
  std::size_t try_pop_bulk(consumer& c, T* out, std::size_t n) noexcept {
    return q.try_dequeue_bulk(c.t, out, n);
  }
};

}  // namespace detail

template <class T, queue_kind Kind = queue_kind::mpmc, std::size_t Batch = 64>
class queue_source;

/// A bounded queue of `T` from up to `max_producers` producer threads to one consumer
/// thread, preallocated at construction; pushing and popping never allocate.
///
/// Producers get a `producer` handle each (`make_producer()`, at set-up); the consumer
/// drains through a `queue_source` (rill/runtime/queue_source.hpp). Counters are kept
/// per thread on separate cache lines and summed by `counts()`.
template <class T, queue_kind Kind = queue_kind::mpmc>
class event_queue {
  static_assert(std::is_default_constructible_v<T> && std::is_nothrow_copy_constructible_v<T> &&
                    std::is_nothrow_copy_assignable_v<T>,
                "rill::event_queue carries default-constructible values that copy without throwing");
  using backend = detail::queue_backend<T, Kind>;

 public:
  using value_type = T;

  /// Validates `o` (std::invalid_argument naming the option) and preallocates.
  explicit event_queue(queue_options o) : opt_(check(o)), backend_(opt_) {
    producers_ = std::make_unique<detail::producer_counts[]>(opt_.max_producers);
  }
  event_queue(const event_queue&) = delete;
  event_queue& operator=(const event_queue&) = delete;

  /// One producer thread's handle. Move-only; use it from one thread at a time.
  class producer {
   public:
    /// Offers `x` under the queue's policy. True if it was queued.
    bool push(const T& x) noexcept {
      auto& c = *counts_;
      c.offered.add();
      auto& q = *queue_;
      if (RILL_UNLIKELY(q.closed_.load(std::memory_order_relaxed))) {
        c.dropped_closed.add();
        return false;
      }
      if (q.opt_.policy == overflow_policy::sample && q.high_.load(std::memory_order_relaxed) &&
          (c.sample_seq++ % q.opt_.sample_every) != 0) {
        c.dropped_sampled.add();
        return false;
      }
      if (RILL_LIKELY(q.backend_.try_push(token_, x))) {
        c.accepted.add();
        return true;
      }
      return push_full(x);
    }

    std::size_t index() const noexcept { return index_; }

   private:
    friend class event_queue;
    producer(event_queue& q, std::size_t i)
        : queue_(&q), token_(q.backend_, q.opt_.capacity), counts_(&q.producers_[i]), index_(i) {}

    bool push_full(const T& x) noexcept {
      auto& c = *counts_;
      auto& q = *queue_;
      switch (q.opt_.policy) {
        case overflow_policy::block:
          for (;;) {
            c.waits.add();
            detail::wait_once(q.opt_.wait);
            if (q.closed_.load(std::memory_order_relaxed)) {
              c.dropped_closed.add();
              return false;
            }
            if (q.backend_.try_push(token_, x)) {
              c.accepted.add();
              return true;
            }
          }
        case overflow_policy::drop_oldest: {
          // Evicting frees a slot in some producer's block; ours may still be full,
          // so try a few times before giving up (counted as full, never lost).
          T evicted;
          for (int attempt = 0; attempt < 8; ++attempt) {
            if (q.backend_.try_evict(evicted)) c.dropped_oldest.add();
            if (q.backend_.try_push(token_, x)) {
              c.accepted.add();
              return true;
            }
          }
          break;
        }
        case overflow_policy::drop_newest:
        case overflow_policy::sample: break;
      }
      c.dropped_full.add();
      return false;
    }

    event_queue* queue_;
    typename backend::token token_;
    detail::producer_counts* counts_;
    std::size_t index_;
  };

  /// A handle for a new producer thread. Set-up only: it allocates the moodycamel token
  /// and claims the producer's blocks by cycling `capacity` default-constructed items
  /// through the queue, so make every producer before the consumer starts draining.
  /// Throws std::length_error past `max_producers`.
  producer make_producer() {
    const std::size_t i = producer_count_.fetch_add(1, std::memory_order_relaxed);
    if (i >= opt_.max_producers) {
      producer_count_.fetch_sub(1, std::memory_order_relaxed);
      throw std::length_error("rill::event_queue: more producers than max_producers (" +
                              std::to_string(opt_.max_producers) + ")");
    }
    return producer(*this, i);
  }

  /// From now on every offer is dropped as `closed` and blocked producers return;
  /// the consumer can still drain what is queued.
  void close() noexcept { closed_.store(true, std::memory_order_relaxed); }
  bool closed() const noexcept { return closed_.load(std::memory_order_relaxed); }
  /// True between crossing the high watermark and falling back to the low one.
  bool high() const noexcept { return high_.load(std::memory_order_relaxed); }

  /// Sums every thread's counters. Exact when the threads are quiescent.
  queue_counts counts() const noexcept {
    queue_counts r;
    const std::size_t n = std::min(producer_count_.load(std::memory_order_relaxed), opt_.max_producers);
    for (std::size_t i = 0; i < n; ++i) {
      const auto& c = producers_[i];
      r.offered += c.offered.get();
      r.accepted += c.accepted.get();
      r.dropped_full += c.dropped_full.get();
      r.dropped_oldest += c.dropped_oldest.get();
      r.dropped_sampled += c.dropped_sampled.get();
      r.dropped_closed += c.dropped_closed.get();
      r.waits += c.waits.get();
    }
    r.processed = consumer_.processed.get();
    r.late = consumer_.late.get();
    r.dropped_shutdown = consumer_.dropped_shutdown.get();
    r.high_watermark_crossings = consumer_.crossings.get();
    return r;
  }

  const queue_options& options() const noexcept { return opt_; }

 private:
  template <class, queue_kind, std::size_t>
  friend class queue_source;

  static queue_options check(queue_options o) {
    auto fail = [](const std::string& what) {
      throw std::invalid_argument("rill::event_queue: " + what);
    };
    if (o.capacity == 0) fail("capacity must be at least 1");
    if (o.max_producers == 0) fail("max_producers must be at least 1");
    if (Kind == queue_kind::spsc && o.max_producers != 1)
      fail("an spsc queue has exactly one producer (max_producers = " +
           std::to_string(o.max_producers) + "); use queue_kind::mpmc");
    if (Kind == queue_kind::spsc && o.policy == overflow_policy::drop_oldest)
      fail("drop_oldest needs queue_kind::mpmc: the producer of an spsc queue cannot pop it");
    if (o.policy == overflow_policy::sample && o.sample_every == 0)
      fail("sample_every must be at least 1");
    if (o.high_watermark == 0) o.high_watermark = std::max<std::size_t>(1, o.capacity * 3 / 4);
    if (o.low_watermark == 0) o.low_watermark = o.capacity / 4;
    if (o.low_watermark >= o.high_watermark)
      fail("low_watermark (" + std::to_string(o.low_watermark) + ") must be below high_watermark (" +
           std::to_string(o.high_watermark) + ")");
    return o;
  }

  // Items accepted and not yet taken out by anyone: what the watermarks look at.
  std::uint64_t occupancy() const noexcept {
    std::uint64_t in = 0, evicted = 0;
    const std::size_t n = std::min(producer_count_.load(std::memory_order_relaxed), opt_.max_producers);
    for (std::size_t i = 0; i < n; ++i) {
      in += producers_[i].accepted.get();
      evicted += producers_[i].dropped_oldest.get();
    }
    const std::uint64_t out = consumer_.taken.get() + evicted;
    return in > out ? in - out : 0;
  }

  struct alignas(cache_line) consumer_counts {
    detail::owned_counter processed, late, dropped_shutdown, taken, crossings;
  };

  queue_options opt_;
  backend backend_;
  std::unique_ptr<detail::producer_counts[]> producers_;
  std::atomic<std::size_t> producer_count_{0};
  consumer_counts consumer_;
  alignas(cache_line) std::atomic<bool> closed_{false};
  std::atomic<bool> high_{false};
};

RILL_NAMESPACE_END
