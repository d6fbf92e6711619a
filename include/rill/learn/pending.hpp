// The pending buffer: predictions waiting for their labels.
#pragma once

#include <bit>
#include <cstddef>
#include <cstdint>
#include <memory>
#include <optional>
#include <stdexcept>
#include <string>

#include "rill/config.hpp"
#include "rill/core/event.hpp"
#include "rill/core/scored.hpp"

RILL_NAMESPACE_BEGIN

/// Counters of a pending buffer. Every remembered entry ends in exactly one of
/// `matched`, `expired`, `evicted`, or is still pending:
/// remembered == matched + expired + evicted + pending.
struct pending_counters {
  std::uint64_t remembered = 0;  ///< predictions stored
  std::uint64_t matched = 0;     ///< labels joined to their prediction
  std::uint64_t expired = 0;     ///< entries older than the horizon, dropped unlabelled
  std::uint64_t evicted = 0;     ///< pushed out unlabelled: `capacity` newer predictions arrived
                                 ///< after it, or a newer prediction for the same id replaced it
  std::uint64_t replaced = 0;    ///< of `evicted`, those replaced by a newer prediction, same id
  std::uint64_t unmatched = 0;   ///< labels whose id is not pending (unknown, expired or already seen)
};

/// A fixed-capacity store of (id, time, features, prediction) awaiting labels.
///
/// Entries sit in a ring in arrival order (so the oldest expires first) and an
/// open-addressing index maps id → ring slot (linear probing, backward-shift
/// deletion: no tombstones, so probe lengths do not degrade over time).
/// Policies: an entry still pending when `capacity` newer predictions have been
/// remembered after it is evicted (counted), so the buffer never overflows; entries whose event
/// time is more than `horizon_ns` behind the newest event are expired (counted);
/// a label for an id that is not pending is counted as unmatched and ignored.
///
/// Memory: allocated once at construction (capacity rounded up to a power of two,
/// index twice that). remember/take: O(1) expected, no allocation, noexcept.
/// One thread (the graph's).
template <std::size_t D, class T = float>
class pending_buffer {
 public:
  using entry = scored_event<D, T>;
  static constexpr std::int64_t no_horizon = INT64_MAX;

  /// `capacity` entries at most; entries older than `horizon_ns` (event time) expire.
  explicit pending_buffer(std::size_t capacity, std::int64_t horizon_ns = no_horizon)
      : capacity_(checked_capacity(capacity, horizon_ns)),
        index_mask_(capacity_ * 2 - 1),
        horizon_ns_(horizon_ns),
        ring_(std::make_unique<slot[]>(capacity_)),
        index_(std::make_unique<std::uint32_t[]>(capacity_ * 2)) {
    for (std::size_t i = 0; i < capacity_ * 2; ++i) index_[i] = empty_;
  }

  /// Stores a prediction until its label arrives.
  void remember(const entry& e) noexcept {
    expire_before(e.time_ns);
    if (std::uint32_t* hit = find(e.id)) {  // same id again: the newer prediction wins
      ring_[*hit].live = false;
      erase_index(hit);
      --size_;
      ++counters_.replaced;
      ++counters_.evicted;
    }
    compact_head();
    if (tail_ - head_ == capacity_) evict_oldest();
    const std::uint32_t s = static_cast<std::uint32_t>(tail_ & (capacity_ - 1));
    ring_[s] = slot{e, true};
    ++tail_;
    insert_index(e.id, s);
    ++size_;
    ++counters_.remembered;
  }

  /// Removes and returns the entry for `id`, or nothing (counted as unmatched).
  std::optional<entry> take(std::uint64_t id) noexcept {
    std::uint32_t* hit = find(id);
    if (!hit) {
      ++counters_.unmatched;
      return std::nullopt;
    }
    slot& s = ring_[*hit];
    s.live = false;
    erase_index(hit);
    --size_;
    ++counters_.matched;
    compact_head();
    return s.value;
  }

  /// Expires every entry whose event time is more than the horizon behind `now_ns`.
  void expire_before(std::int64_t now_ns) noexcept {
    if (horizon_ns_ == no_horizon) return;
    while (head_ != tail_) {
      slot& s = ring_[head_ & (capacity_ - 1)];
      if (s.live) {
        if (!detail::lags_more_than(now_ns, s.value.time_ns, horizon_ns_)) break;
        s.live = false;
        erase_index(find(s.value.id));
        --size_;
        ++counters_.expired;
      }
      ++head_;
    }
  }

  std::size_t size() const noexcept { return size_; }
  std::size_t capacity() const noexcept { return capacity_; }
  const pending_counters& counters() const noexcept { return counters_; }

 private:
  // Validates before anything is allocated, so a bad size is a clear error, not bad_alloc.
  static std::size_t checked_capacity(std::size_t capacity, std::int64_t horizon_ns) {
    if (capacity == 0 || capacity > (std::size_t{1} << 30))
      throw std::invalid_argument("rill::pending_buffer: capacity must be in [1, 2^30], got " +
                                  std::to_string(capacity));
    if (horizon_ns <= 0)
      throw std::invalid_argument("rill::pending_buffer: horizon_ns must be positive, got " +
                                  std::to_string(horizon_ns));
    return std::bit_ceil(capacity);
  }
  struct slot {
    entry value{};
    bool live = false;
  };
  static constexpr std::uint32_t empty_ = UINT32_MAX;

  static std::size_t hash(std::uint64_t id) noexcept {
    id ^= id >> 33;  // murmur3 finaliser: sequential ids spread over the table
    id *= 0xff51afd7ed558ccdULL;
    id ^= id >> 33;
    return static_cast<std::size_t>(id);
  }

  std::uint32_t* find(std::uint64_t id) noexcept {
    for (std::size_t i = hash(id) & index_mask_;; i = (i + 1) & index_mask_) {
      const std::uint32_t s = index_[i];
      if (s == empty_) return nullptr;
      if (ring_[s].value.id == id) return &index_[i];
    }
  }

  void insert_index(std::uint64_t id, std::uint32_t s) noexcept {
    std::size_t i = hash(id) & index_mask_;
    while (index_[i] != empty_) i = (i + 1) & index_mask_;
    index_[i] = s;
  }

  // Backward-shift deletion keeps every probe chain contiguous without tombstones.
  void erase_index(std::uint32_t* at) noexcept {
    std::size_t hole = static_cast<std::size_t>(at - index_.get());
    for (std::size_t i = (hole + 1) & index_mask_;; i = (i + 1) & index_mask_) {
      const std::uint32_t s = index_[i];
      if (s == empty_) break;
      const std::size_t home = hash(ring_[s].value.id) & index_mask_;
      // Move `s` into the hole unless its home lies cyclically in (hole, i].
      const bool stays = hole <= i ? (hole < home && home <= i) : (hole < home || home <= i);
      if (!stays) {
        index_[hole] = s;
        hole = i;
      }
    }
    index_[hole] = empty_;
  }

  // Called with a live entry at the head: it has seen `capacity` newer predictions.
  void evict_oldest() noexcept {
    slot& s = ring_[head_ & (capacity_ - 1)];
    s.live = false;
    erase_index(find(s.value.id));
    --size_;
    ++head_;
    ++counters_.evicted;
  }

  void compact_head() noexcept {
    while (head_ != tail_ && !ring_[head_ & (capacity_ - 1)].live) ++head_;
  }

  std::size_t capacity_;
  std::size_t index_mask_;
  std::int64_t horizon_ns_;
  std::unique_ptr<slot[]> ring_;
  std::unique_ptr<std::uint32_t[]> index_;
  std::uint64_t head_ = 0, tail_ = 0;  // ring positions, monotonically increasing
  std::size_t size_ = 0;
  pending_counters counters_;
};

RILL_NAMESPACE_END
