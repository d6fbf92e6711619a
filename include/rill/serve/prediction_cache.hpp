// A fixed-capacity prediction cache in front of a model stage: CLOCK eviction, TTL in
// event time, exact hit/miss/expiry/eviction counters.
#pragma once

#include <bit>
#include <cstddef>
#include <cstdint>
#include <cstring>
#include <memory>
#include <stdexcept>
#include <string>
#include <type_traits>
#include <utility>

#include "rill/config.hpp"
#include "rill/core/event.hpp"
#include "rill/serve/common.hpp"

RILL_NAMESPACE_BEGIN

/// Counters of a prediction_cache. Every lookup is exactly one of hit, miss, expired
/// or stale: lookups == hits + misses + expired + stale.
struct cache_counters {
  std::uint64_t hits = 0;       ///< answered from the cache
  std::uint64_t misses = 0;     ///< key absent: the model ran and (if it answered) was stored
  std::uint64_t expired = 0;    ///< key present but older than the TTL: re-run, entry refreshed
  std::uint64_t stale = 0;      ///< key present but made by another model version: re-run
  std::uint64_t evictions = 0;  ///< live entries dropped by CLOCK to make room
  std::uint64_t no_output = 0;  ///< model emitted nothing: nothing stored, nothing emitted
  std::uint64_t lookups() const noexcept { return hits + misses + expired + stale; }
};

/// Key tag: the key is a hash of the feature row's bytes (the D values, not the
/// padding), and a hit also compares the stored row byte for byte, so two rows that
/// share a hash never share a prediction. 0.0 and -0.0 are different rows; a row with
/// a NaN hits only the same NaN bits.
struct hash_row {};

namespace detail {

RILL_ALWAYS_INLINE constexpr std::uint64_t rotl64(std::uint64_t x, int r) noexcept {
  return (x << r) | (x >> (64 - r));
}

#if defined(__SIZEOF_INT128__)
/// The 128-bit product of a and b folded to 64 bits (wyhash's "mum"): every output
/// bit depends on every input bit.
RILL_ALWAYS_INLINE std::uint64_t mum(std::uint64_t a, std::uint64_t b) noexcept {
  __extension__ typedef unsigned __int128 u128;
  const u128 r = static_cast<u128>(a) * b;
  return static_cast<std::uint64_t>(r) ^ static_cast<std::uint64_t>(r >> 64);
}
#else
RILL_ALWAYS_INLINE std::uint64_t mum(std::uint64_t a, std::uint64_t b) noexcept {
  return splitmix64(a ^ rotl64(b, 32) ^ (a * b));
}
#endif

/// A 64-bit hash of `N` bytes. Each 16-byte chunk is folded by one mum with secrets
/// that depend on its position (so chunks are independent and their multiplies
/// overlap, yet reordering them changes the hash), the zero-padded tail likewise,
/// and the sum is mixed once more with the length. Not cryptographic; a cache
/// verifies the row on a hit.
template <std::size_t N>
RILL_ALWAYS_INLINE std::uint64_t hash_bytes(const void* p) noexcept {
  constexpr std::uint64_t s0 = 0xa0761d6478bd642fULL, s1 = 0xe7037ed1a0b428dbULL,
                          s2 = 0x8ebc6af09c88c6e3ULL, step = 0x9e3779b97f4a7c15ULL;
  const auto* b = static_cast<const unsigned char*>(p);
  constexpr std::size_t chunks = (N + 15) / 16;
  // One mum per 16-byte chunk, unrolled; the last chunk is zero-padded.
  auto chunk = [b](auto c) noexcept {
    constexpr std::size_t at = decltype(c)::value * 16;
    std::uint64_t w[2] = {0, 0};
    std::memcpy(w, b + at, N - at < 16 ? N - at : 16);
    return mum(w[0] ^ s0 ^ (step * decltype(c)::value), w[1] ^ s1);
  };
  std::uint64_t acc = 0;
  [&]<std::size_t... C>(std::index_sequence<C...>) noexcept {
    ((acc += chunk(std::integral_constant<std::size_t, C>{})), ...);
  }(std::make_index_sequence<chunks>{});
  return mum(acc ^ s2, N ^ s1);
}

}  // namespace detail

/// Caches the predictions of model stage `Model` (e.g. `rill::predict(model)`).
///
/// As a stage it takes `Model`'s event and emits what `Model` emits. On a hit it emits
/// the stored value and version (id, time and row from the new event); otherwise it
/// runs the model, passes its output on and stores the value.
///
/// Keys: `Key = hash_row` (default) hashes the row and verifies it on a hit;
/// otherwise `Key` is a functor `std::uint64_t(const event&) noexcept` (a user or
/// instrument id) and equal keys are the same entry.
///
/// Policy, exactly:
/// - `capacity` (rounded up to a power of two) entries. A slot is filled in order
///   until the cache is full; then CLOCK picks the victim: the hand skips (and
///   clears) entries whose reference bit is set and evicts the first clear one.
///   Inserts start with the bit clear; any later lookup of the key sets it. So a key
///   used once is evicted before one used twice.
/// - TTL in event time: an entry is expired when `event.time_ns − stored time_ns >
///   ttl_ns`; the model re-runs and the entry is refreshed in place (not an eviction).
/// - If `Model` exposes `model().version` (rill::predict does), an entry made by
///   another version is stale and refreshed the same way, so a learner's update or a
///   hot swap never serves an old model's answer.
///
/// Cost: a hit is a row hash (D·sizeof(T) bytes), one or two probes of an
/// open-addressing index (2·capacity slots, linear probing, backward-shift deletion)
/// and a row compare. Memory allocated once at construction: capacity × (slot +
/// row) + 2·capacity × 16 bytes. Never allocates afterwards. One thread.
template <class Model, class Key = hash_row>
class prediction_cache {
 public:
  using input_type = typename Model::input_type;
  using output_type = detail::model_output_t<Model, input_type>;
  using value_type = typename output_type::value_type;
  using row_type = typename input_type::row_type;
  static constexpr bool by_row = std::is_same_v<Key, hash_row>;
  static constexpr std::int64_t no_ttl = INT64_MAX;

  static_assert(detail::check_model_stage<Model, input_type>());
  static_assert(by_row || std::is_nothrow_invocable_r_v<std::uint64_t, const Key&, const input_type&>,
                "rill::prediction_cache: Key is rill::hash_row or a noexcept functor "
                "std::uint64_t(const event&).");

  /// Throws std::invalid_argument for a capacity outside [1, 2^30] or ttl_ns <= 0.
  prediction_cache(Model model, std::size_t capacity, std::int64_t ttl_ns = no_ttl, Key key = {})
      : model_(std::move(model)),
        key_(std::move(key)),
        capacity_(std::bit_ceil(capacity < 1 ? std::size_t{1} : capacity)),
        index_mask_(capacity_ * 2 - 1),
        ttl_(ttl_ns) {
    if (capacity == 0 || capacity > (std::size_t{1} << 30))
      throw std::invalid_argument("rill::prediction_cache: capacity must be in [1, 2^30], got " +
                                  std::to_string(capacity));
    if (ttl_ns <= 0)
      throw std::invalid_argument("rill::prediction_cache: ttl_ns must be positive, got " +
                                  std::to_string(ttl_ns));
    slots_ = std::make_unique<slot[]>(capacity_);
    index_ = std::make_unique<index_entry[]>(capacity_ * 2);
    if constexpr (by_row) rows_ = std::make_unique<row_type[]>(capacity_);
    clear();
  }

  template <class Emit>
  RILL_ALWAYS_INLINE void operator()(const input_type& in, Emit&& emit) noexcept {
    const std::uint64_t h = hash_of(in);
    for (std::size_t i = h & index_mask_;; i = (i + 1) & index_mask_) {
      const index_entry e = index_[i];
      if (e.slot == empty_) break;
      if (e.hash != h || !same_row(e.slot, in)) continue;
      slot& s = slots_[e.slot];
      s.ref = true;
      if (RILL_UNLIKELY(in.time_ns - s.time_ns > ttl_)) {
        ++counters_.expired;
        refresh(e.slot, in, emit);
      } else if (RILL_UNLIKELY(is_stale(s))) {
        ++counters_.stale;
        refresh(e.slot, in, emit);
      } else {
        ++counters_.hits;
        emit(detail::make_model_output<output_type>(in, s.value, s.version));
      }
      return;
    }
    ++counters_.misses;
    insert(h, in, emit);
  }

  /// Drops every entry (e.g. after swapping a model that has no version). O(capacity).
  void clear() noexcept {
    for (std::size_t i = 0; i < capacity_ * 2; ++i) index_[i] = index_entry{0, empty_};
    size_ = 0;
    hand_ = 0;
  }

  /// Entries stored (≤ capacity()).
  std::size_t size() const noexcept { return size_; }
  std::size_t capacity() const noexcept { return capacity_; }
  std::int64_t ttl_ns() const noexcept { return ttl_; }
  const cache_counters& counters() const noexcept { return counters_; }
  Model& model() noexcept { return model_; }

  /// The key this cache uses for `in` (the row hash or the user key, mixed).
  std::uint64_t hash_of(const input_type& in) const noexcept {
    if constexpr (by_row) {
      return detail::hash_bytes<sizeof(value_type_of_row) * input_type::width>(in.x.data());
    } else {
      return splitmix64(key_(in));  // a bijection: equal hashes mean equal keys
    }
  }

 private:
  using value_type_of_row = typename row_type::value_type;
  static constexpr std::uint32_t empty_ = UINT32_MAX;

  struct slot {
    std::uint64_t hash = 0;
    std::int64_t time_ns = 0;
    std::uint64_t version = 0;
    value_type value{};
    bool ref = false;
  };
  struct index_entry {
    std::uint64_t hash;
    std::uint32_t slot;
  };

  bool same_row(std::uint32_t s, const input_type& in) const noexcept {
    if constexpr (by_row) {
      // Bitwise equality by 8-byte words, branch-free, so it vectorises.
      constexpr std::size_t bytes = sizeof(value_type_of_row) * input_type::width;
      const auto* a = reinterpret_cast<const unsigned char*>(rows_[s].data());
      const auto* b = reinterpret_cast<const unsigned char*>(in.x.data());
      std::uint64_t diff = 0;
      std::size_t i = 0;
      for (; i + 8 <= bytes; i += 8) {
        std::uint64_t u, v;
        std::memcpy(&u, a + i, 8);
        std::memcpy(&v, b + i, 8);
        diff |= u ^ v;
      }
      if constexpr (bytes % 8 != 0) diff |= std::memcmp(a + i, b + i, bytes % 8) != 0;
      return diff == 0;
    } else {
      (void)s;
      (void)in;
      return true;
    }
  }

  bool is_stale(const slot& s) const noexcept {
    if constexpr (requires(const Model& m) { m.model().version; }) {
      return s.version != static_cast<std::uint64_t>(model_.model().version);
    } else {
      (void)s;
      return false;
    }
  }

  // Runs the model, passes its outputs on, and returns whether it answered (the last
  // answer's value and version land in `s`).
  template <class Emit>
  bool run_into(slot& s, const input_type& in, Emit& emit) noexcept {
    bool answered = false;
    model_(in, [&](const output_type& out) noexcept {
      s.value = out.value;
      s.version = static_cast<std::uint64_t>(out.version);
      answered = true;
      emit(out);
    });
    if (!answered) ++counters_.no_output;
    return answered;
  }

  template <class Emit>
  void refresh(std::uint32_t si, const input_type& in, Emit& emit) noexcept {
    slot& s = slots_[si];
    if (run_into(s, in, emit)) s.time_ns = in.time_ns;  // no answer: the entry stays as it was
  }

  template <class Emit>
  void insert(std::uint64_t h, const input_type& in, Emit& emit) noexcept {
    slot fresh{h, in.time_ns, 0, value_type{}, false};
    if (!run_into(fresh, in, emit)) return;
    std::uint32_t si;
    if (size_ < capacity_) {
      si = static_cast<std::uint32_t>(size_++);
    } else {
      while (slots_[hand_].ref) {  // CLOCK: second chance for referenced entries
        slots_[hand_].ref = false;
        hand_ = (hand_ + 1) & (capacity_ - 1);
      }
      si = static_cast<std::uint32_t>(hand_);
      hand_ = (hand_ + 1) & (capacity_ - 1);
      erase_index(slots_[si].hash, si);
      ++counters_.evictions;
    }
    slots_[si] = fresh;
    if constexpr (by_row) rows_[si] = in.x;
    std::size_t i = h & index_mask_;
    while (index_[i].slot != empty_) i = (i + 1) & index_mask_;
    index_[i] = index_entry{h, si};
  }

  // Backward-shift deletion keeps every probe chain contiguous without tombstones.
  void erase_index(std::uint64_t h, std::uint32_t si) noexcept {
    std::size_t hole = h & index_mask_;
    while (index_[hole].slot != si) hole = (hole + 1) & index_mask_;
    for (std::size_t i = (hole + 1) & index_mask_;; i = (i + 1) & index_mask_) {
      const index_entry e = index_[i];
      if (e.slot == empty_) break;
      const std::size_t home = e.hash & index_mask_;
      // Move `e` into the hole unless its home lies cyclically in (hole, i].
      const bool stays = hole <= i ? (hole < home && home <= i) : (hole < home || home <= i);
      if (!stays) {
        index_[hole] = e;
        hole = i;
      }
    }
    index_[hole] = index_entry{0, empty_};
  }

  Model model_;
  [[no_unique_address]] Key key_;
  std::size_t capacity_;
  std::size_t index_mask_;
  std::int64_t ttl_;
  std::unique_ptr<slot[]> slots_;
  std::unique_ptr<index_entry[]> index_;
  std::unique_ptr<row_type[]> rows_;
  std::size_t size_ = 0;
  std::size_t hand_ = 0;
  cache_counters counters_;
};

RILL_NAMESPACE_END
