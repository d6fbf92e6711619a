// Handing a model from the thread that learns it to the thread that scores with it.
#pragma once

#include <array>
#include <atomic>
#include <cstddef>
#include <cstdint>
#include <cstring>
#include <type_traits>

#include "rill/config.hpp"
#include "rill/core/event.hpp"
#include "rill/core/stage.hpp"

RILL_NAMESPACE_BEGIN

/// One published model, read by any number of threads: a sequence lock.
///
/// The writer (one thread) copies a new model in word by word between two bumps of a
/// sequence number; a reader copies it out and keeps the copy only if the number was
/// even and unchanged around its read, so it never sees a torn model. Every word is an
/// atomic (release stores, acquire loads, no fences), so the race is defined behaviour
/// that ThreadSanitizer models in full, and on x86 the copies are plain moves.
///
/// Costs: publish O(sizeof(Model)), never blocks; a reader whose copy is current pays
/// one acquire load (`slot_reader::refresh`); neither allocates. The writer keeps the
/// previous model, so `rollback()` republishes it. `Model` must be trivially copyable
/// (linear models, compile-time MLPs and tree blocks of fixed size are).
template <class Model>
class model_slot {
  static_assert(std::is_trivially_copyable_v<Model>,
                "rill::model_slot copies models word by word: Model must be trivially copyable");
  static constexpr std::size_t words = (sizeof(Model) + 7) / 8;

 public:
  using model_type = Model;

  explicit model_slot(const Model& initial) noexcept : current_(initial), previous_(initial) {
    store(initial);
  }
  model_slot(const model_slot&) = delete;
  model_slot& operator=(const model_slot&) = delete;

  /// Makes `m` the model readers pick up next; the one it replaces becomes the rollback
  /// target. Writer thread only.
  void publish(const Model& m) noexcept {
    previous_ = current_;
    current_ = m;
    store(m);
  }

  /// Republishes the model before the last publish (again a new publication: readers
  /// pick it up like any other). Writer thread only.
  void rollback() noexcept { publish(Model(previous_)); }

  /// How many times a model was published (the initial one counts as 1). Any thread.
  std::uint64_t publications() const noexcept { return seq_.load(std::memory_order_acquire) / 2; }

  /// Copies the current model into `out` if its publication differs from `seen`;
  /// returns the publication number read (== seen when nothing changed). Any thread.
  std::uint64_t load_if_newer(Model& out, std::uint64_t seen) const noexcept {
    for (;;) {
      const std::uint64_t s1 = seq_.load(std::memory_order_acquire);
      // Nothing newer is complete (an odd number: the next one is being written, and
      // the copy the reader holds stays valid until it is done).
      if (s1 / 2 == seen) return seen;
      if (s1 & 1) {
        cpu_pause();
        continue;
      }
      std::array<std::uint64_t, words> buf;
      // Acquire loads keep the sequence re-read below after them (no fence needed:
      // ThreadSanitizer does not model fences, and on x86 these are plain moves).
      for (std::size_t i = 0; i < words; ++i) buf[i] = data_[i].load(std::memory_order_acquire);
      if (seq_.load(std::memory_order_relaxed) != s1) continue;  // a publish overlapped: retry
      std::memcpy(static_cast<void*>(&out), buf.data(), sizeof(Model));
      return s1 / 2;
    }
  }

 private:
  static void cpu_pause() noexcept {
#if defined(__x86_64__) || defined(__i386__)
    __builtin_ia32_pause();
#endif
  }

  void store(const Model& m) noexcept {
    std::array<std::uint64_t, words> buf{};
    std::memcpy(buf.data(), static_cast<const void*>(&m), sizeof(Model));
    const std::uint64_t s = seq_.load(std::memory_order_relaxed);
    seq_.store(s + 1, std::memory_order_relaxed);
    // Release stores order the odd sequence number before every word, so a reader that
    // sees any new word also sees the write in progress.
    for (std::size_t i = 0; i < words; ++i) data_[i].store(buf[i], std::memory_order_release);
    seq_.store(s + 2, std::memory_order_release);
  }

  alignas(cache_line) std::atomic<std::uint64_t> seq_{0};
  alignas(cache_line) std::array<std::atomic<std::uint64_t>, words> data_{};
  alignas(cache_line) Model current_;  // writer-side copies
  Model previous_;
};

/// A reader's own copy of a slot's model, refreshed at event boundaries.
///
/// Score with `model()` (a plain object on the reader's thread: the predict stage
/// reads it without synchronisation); call `refresh()` between events to pick up a
/// newer publication. One reader thread per `slot_reader`.
template <class Model>
class slot_reader {
 public:
  explicit slot_reader(const model_slot<Model>& slot) noexcept : slot_(&slot) { refresh(); }

  /// Picks up the newest model if one was published since the last call. True if it
  /// did. When nothing changed: one acquire load and a compare.
  RILL_ALWAYS_INLINE bool refresh() noexcept {
    const std::uint64_t now = slot_->load_if_newer(model_, seen_);
    const bool changed = now != seen_;
    seen_ = now;
    return changed;
  }

  const Model& model() const noexcept { return model_; }
  /// The publication number of the copy held.
  std::uint64_t publication() const noexcept { return seen_; }

 private:
  const model_slot<Model>* slot_;
  Model model_{};
  std::uint64_t seen_ = 0;
};

/// A pass-through stage that refreshes a `slot_reader` before each event, so the model
/// stage after it scores every event with the newest model published before the event
/// arrived, and a model never changes in the middle of an event. Takes the event the
/// model scores (`In` to place it elsewhere).
template <class Model, class In = event<Model::width, typename Model::value_type>>
class pick_up {
 public:
  using input_type = In;
  using output_type = In;

  explicit pick_up(slot_reader<Model>& reader) noexcept : reader_(&reader) {}

  template <class Emit>
  RILL_ALWAYS_INLINE void operator()(const In& in, Emit&& emit) noexcept {
    reader_->refresh();
    emit(in);
  }

 private:
  slot_reader<Model>* reader_;
};

template <class Model>
pick_up(slot_reader<Model>&) -> pick_up<Model>;

RILL_NAMESPACE_END
