// Shared by the serving stages: clocks, the 64-bit mixer, and how a wrapped model
// stage's output is read and rebuilt.
#pragma once

#include <chrono>
#include <cstdint>
#include <type_traits>

#include "rill/config.hpp"
#include "rill/core/event.hpp"
#include "rill/core/scored.hpp"
#include "rill/core/stage.hpp"

RILL_NAMESPACE_BEGIN

/// Clock tag: "use the events' own timestamps". The default for every serving stage,
/// so replays are deterministic and tests never depend on wall time.
struct event_clock {};

/// A wall clock for the serving stages: `now()` in nanoseconds from steady_clock
/// (a vDSO call, ~15–25 ns). Any type with `std::int64_t now() noexcept` works in its
/// place, e.g. a manual clock in tests or a TSC reader in production.
struct steady_clock_ns {
  std::int64_t now() const noexcept {
    return std::chrono::duration_cast<std::chrono::nanoseconds>(
               std::chrono::steady_clock::now().time_since_epoch())
        .count();
  }
};

/// `C` can be asked the time: `c.now()` returns nanoseconds and does not throw.
template <class C>
concept wall_clock = requires(C& c) {
  { c.now() } noexcept -> std::convertible_to<std::int64_t>;
};

/// splitmix64's output function: a bijection on 64-bit values whose output bits each
/// depend on every input bit, so consecutive ids land on unrelated hash values.
constexpr std::uint64_t splitmix64(std::uint64_t x) noexcept {
  x += 0x9e3779b97f4a7c15ULL;
  x = (x ^ (x >> 30)) * 0xbf58476d1ce4e5b9ULL;
  x = (x ^ (x >> 27)) * 0x94d049bb133111ebULL;
  return x ^ (x >> 31);
}

namespace detail {

/// The value and version a model stage's output carries (`prediction<T>` or
/// `scored_event<D, T>`, or any type with `value` and `version` members).
template <class Out>
concept model_output = requires(const Out& o) {
  o.value;
  o.version;
};

/// Rebuilds a model stage's output for event `in` from a value and version (a cache
/// hit, a fallback constant): the same type the model would have emitted.
template <class Out, class In, class T>
RILL_ALWAYS_INLINE Out make_model_output(const In& in, T value, std::uint64_t version) noexcept {
  if constexpr (requires { Out{in.id, in.time_ns, in.x, value, version}; }) {
    return Out{in.id, in.time_ns, in.x, static_cast<typename Out::value_type>(value), version};
  } else {
    static_assert(requires { Out{in.id, in.time_ns, value, version}; },
                  "rill serving stage: the wrapped model stage must emit rill::prediction<T> or "
                  "rill::scored_event<D, T> (or a type built as {id, time_ns, [x,] value, "
                  "version}).");
    return Out{in.id, in.time_ns, static_cast<typename Out::value_type>(value), version};
  }
}

/// The model stage's output type when fed an event of type `In`.
template <class Stage, class In>
using model_output_t = stage_output_t<Stage, In>;

/// Checks that `Stage` is a model stage taking `In` and emitting a model output.
template <class Stage, class In>
inline constexpr bool check_model_stage() noexcept {
  static_assert(stage_for<Stage, In>,
                "rill serving stage: the wrapped model must be a stage taking the serving "
                "stage's event type (e.g. rill::predict(model)) with a noexcept call.");
  static_assert(model_output<model_output_t<Stage, In>>,
                "rill serving stage: the wrapped model stage must emit a type with `value` and "
                "`version` (rill::prediction<T> or rill::scored_event<D, T>).");
  return true;
}

}  // namespace detail

/// A model stage that always answers `value` (version 0): the fallback of a circuit
/// breaker, or a stand-in arm. `In` is the event type, `Out` the output type of the
/// model it stands in for. O(1), never allocates.
template <class In, class Out>
class constant_model {
 public:
  using input_type = In;
  using output_type = Out;
  using value_type = typename Out::value_type;

  constexpr explicit constant_model(value_type value, std::uint64_t version = 0) noexcept
      : value_(value), version_(version) {}

  template <class Emit>
  RILL_ALWAYS_INLINE void operator()(const input_type& in, Emit&& emit) noexcept {
    emit(detail::make_model_output<Out>(in, value_, version_));
  }

  value_type value() const noexcept { return value_; }

 private:
  value_type value_;
  std::uint64_t version_;
};

/// A `constant_model` shaped like model stage `Stage` (same input and output types).
template <class Stage>
constexpr auto constant_like(typename stage_output_t<Stage, typename Stage::input_type>::value_type v,
                             std::uint64_t version = 0) noexcept {
  using in = typename Stage::input_type;
  return constant_model<in, stage_output_t<Stage, in>>(v, version);
}

RILL_NAMESPACE_END
