// A circuit breaker around a model stage: a failing model (NaN/Inf output, latency over
// budget, failed load) is taken out of service and a fallback answers until probes
// show it has recovered.
#pragma once

#include <atomic>
#include <cmath>
#include <cstdint>
#include <stdexcept>
#include <string>
#include <type_traits>
#include <utility>

#include "rill/config.hpp"
#include "rill/core/event.hpp"
#include "rill/serve/common.hpp"

RILL_NAMESPACE_BEGIN

/// closed: the model answers. open: the fallback answers, until the cooldown has
/// passed. half_open: the model answers again on probation (every event is a probe).
enum class breaker_state : std::uint8_t { closed, open, half_open };

/// Knobs of a circuit_breaker.
struct breaker_options {
  std::uint32_t trip_after = 1;          ///< consecutive failures (closed) that open it
  std::int64_t cooldown_ns = 1'000'000'000;  ///< time spent open before probing
  std::uint32_t probes_to_close = 1;     ///< consecutive good probes that close it
  std::int64_t latency_budget_ns = 0;    ///< > 0: a model call slower than this is a failure
                                         ///< (needs a wall clock); 0: latency not checked
  /// Set (by a loader, any thread) while the served model failed to load; read
  /// relaxed on every attempt. nullptr: not checked.
  const std::atomic<bool>* load_failed = nullptr;
};

/// Counters of a circuit_breaker (for metrics). calls == primary + fallback; every
/// failure is counted once under its reason.
struct breaker_counters {
  std::uint64_t calls = 0;        ///< events in
  std::uint64_t primary = 0;      ///< answered by the model (over-budget answers included)
  std::uint64_t fallback = 0;     ///< answered by the fallback
  std::uint64_t nonfinite = 0;    ///< model answered NaN or ±Inf (not emitted)
  std::uint64_t over_budget = 0;  ///< model answered, slower than the budget (emitted)
  std::uint64_t load_failed = 0;  ///< attempts refused because the load-failed flag was set
  std::uint64_t no_output = 0;    ///< model emitted nothing
  std::uint64_t trips = 0;        ///< transitions to open (from closed or a failed probe)
  std::uint64_t probes = 0;       ///< attempts made half-open
  std::uint64_t recoveries = 0;   ///< half_open -> closed
};

/// Wraps model stage `Model` with a breaker and a `Fallback` stage of the same shape
/// (another model, or `constant_like<Model>(value)`).
///
/// Closed: each event goes to the model. A NaN/Inf answer, no answer, or a set
/// load-failed flag is a failure and that event is answered by the fallback; an
/// answer slower than `latency_budget_ns` is emitted but is a failure too. After
/// `trip_after` consecutive failures the breaker opens. Open: the fallback answers
/// until `cooldown_ns` has passed since it opened, then the breaker is half-open:
/// the next events probe the model; `probes_to_close` consecutive good answers close
/// it, one failure opens it again (a new cooldown). The model is assumed to emit one
/// output per event; a finite answer is passed on as the model emits it.
///
/// Time: cooldowns are measured on the events' time with `Clock = event_clock`, on
/// the clock otherwise. The latency budget needs a wall clock: read before the model
/// call and when the model answers (so downstream stages are not counted).
/// Cost closed, no budget: a flag check, an isfinite and a branch around the model
/// call. Never allocates. One thread; `load_failed` may be written by any thread.
template <class Model, class Fallback, class Clock = event_clock>
class circuit_breaker {
 public:
  using input_type = typename Model::input_type;
  using output_type = detail::model_output_t<Model, input_type>;
  static constexpr bool uses_event_time = std::is_same_v<Clock, event_clock>;

  static_assert(detail::check_model_stage<Model, input_type>());
  static_assert(detail::check_model_stage<Fallback, input_type>());
  static_assert(std::is_same_v<detail::model_output_t<Fallback, input_type>, output_type>,
                "rill::circuit_breaker: the fallback must emit the same type as the model.");
  static_assert(uses_event_time || wall_clock<Clock>,
                "rill::circuit_breaker: Clock is rill::event_clock or has `std::int64_t now() "
                "noexcept`.");

  /// Throws std::invalid_argument for trip_after or probes_to_close of 0, a negative
  /// cooldown or budget, or a budget without a wall clock.
  circuit_breaker(Model model, Fallback fallback, breaker_options options = {}, Clock clock = {})
      : model_(std::move(model)),
        fallback_(std::move(fallback)),
        clock_(std::move(clock)),
        opt_(options) {
    if (opt_.trip_after == 0)
      throw std::invalid_argument("rill::circuit_breaker: trip_after must be >= 1");
    if (opt_.probes_to_close == 0)
      throw std::invalid_argument("rill::circuit_breaker: probes_to_close must be >= 1");
    if (opt_.cooldown_ns < 0)
      throw std::invalid_argument("rill::circuit_breaker: cooldown_ns must be >= 0, got " +
                                  std::to_string(opt_.cooldown_ns));
    if (opt_.latency_budget_ns < 0)
      throw std::invalid_argument("rill::circuit_breaker: latency_budget_ns must be >= 0, got " +
                                  std::to_string(opt_.latency_budget_ns));
    if (uses_event_time && opt_.latency_budget_ns > 0)
      throw std::invalid_argument(
          "rill::circuit_breaker: latency_budget_ns needs a wall clock (Clock = "
          "rill::steady_clock_ns or your own), not event time");
  }

  template <class Emit>
  RILL_ALWAYS_INLINE void operator()(const input_type& in, Emit&& emit) noexcept {
    ++counters_.calls;
    if (RILL_UNLIKELY(state_ == breaker_state::open)) {
      if (now(in) - opened_at_ < opt_.cooldown_ns) {
        serve_fallback(in, emit);
        return;
      }
      state_ = breaker_state::half_open;
      good_probes_ = 0;
    }
    if (RILL_UNLIKELY(state_ == breaker_state::half_open)) ++counters_.probes;
    attempt(in, emit);
  }

  breaker_state state() const noexcept { return state_; }
  const breaker_counters& counters() const noexcept { return counters_; }
  const breaker_options& options() const noexcept { return opt_; }
  /// Opens the breaker now (e.g. an operator's kill switch), at time `now_ns`.
  void trip(std::int64_t now_ns) noexcept { open(now_ns); }
  /// Closes the breaker now and forgets past failures.
  void reset() noexcept {
    state_ = breaker_state::closed;
    failures_ = 0;
    good_probes_ = 0;
  }
  Model& model() noexcept { return model_; }
  Fallback& fallback() noexcept { return fallback_; }
  Clock& clock() noexcept { return clock_; }

 private:
  std::int64_t now(const input_type& in) noexcept {
    if constexpr (uses_event_time) {
      return in.time_ns;
    } else {
      (void)in;
      return static_cast<std::int64_t>(clock_.now());
    }
  }

  template <class Emit>
  RILL_ALWAYS_INLINE void serve_fallback(const input_type& in, Emit& emit) noexcept {
    ++counters_.fallback;
    fallback_(in, emit);
  }

  template <class Emit>
  RILL_ALWAYS_INLINE void attempt(const input_type& in, Emit& emit) noexcept {
    if (opt_.load_failed != nullptr && opt_.load_failed->load(std::memory_order_relaxed)) {
      ++counters_.load_failed;
      fail(in);
      serve_fallback(in, emit);
      return;
    }
    // Finite answers go straight on (no copy of the output); the budget clock is read
    // when the model answers, so downstream stages are not billed to the model.
    bool got = false, bad = false;
    std::int64_t t0 = 0, t1 = 0;
    if constexpr (!uses_event_time) {
      if (opt_.latency_budget_ns > 0) t0 = static_cast<std::int64_t>(clock_.now());
    }
    model_(in, [&](const output_type& o) noexcept {
      if constexpr (!uses_event_time) {
        if (opt_.latency_budget_ns > 0 && !got) t1 = static_cast<std::int64_t>(clock_.now());
      }
      got = true;
      if (RILL_UNLIKELY(!std::isfinite(static_cast<double>(o.value)))) {
        bad = true;
        return;
      }
      emit(o);
    });
    if (RILL_UNLIKELY(!got || bad)) {
      if (!got) {
        ++counters_.no_output;
      } else {
        ++counters_.nonfinite;
      }
      fail(in);
      serve_fallback(in, emit);
      return;
    }
    ++counters_.primary;
    if constexpr (!uses_event_time) {
      if (opt_.latency_budget_ns > 0 && t1 - t0 > opt_.latency_budget_ns) {
        ++counters_.over_budget;
        fail_at(t1);
        return;
      }
    }
    (void)t0;
    (void)t1;
    succeed();
  }

  RILL_ALWAYS_INLINE void succeed() noexcept {
    failures_ = 0;
    if (RILL_UNLIKELY(state_ == breaker_state::half_open) &&
        ++good_probes_ >= opt_.probes_to_close) {
      state_ = breaker_state::closed;
      ++counters_.recoveries;
    }
  }

  void fail(const input_type& in) noexcept { fail_at(now(in)); }

  void fail_at(std::int64_t t) noexcept {
    if (state_ == breaker_state::half_open || ++failures_ >= opt_.trip_after) open(t);
  }

  void open(std::int64_t t) noexcept {
    state_ = breaker_state::open;
    opened_at_ = t;
    failures_ = 0;
    good_probes_ = 0;
    ++counters_.trips;
  }

  Model model_;
  Fallback fallback_;
  [[no_unique_address]] Clock clock_;
  breaker_options opt_;
  breaker_state state_ = breaker_state::closed;
  std::uint32_t failures_ = 0;
  std::uint32_t good_probes_ = 0;
  std::int64_t opened_at_ = 0;
  breaker_counters counters_;
};

template <class Model, class Fallback>
circuit_breaker(Model, Fallback) -> circuit_breaker<Model, Fallback>;
template <class Model, class Fallback>
circuit_breaker(Model, Fallback, breaker_options) -> circuit_breaker<Model, Fallback>;
template <class Model, class Fallback, class Clock>
circuit_breaker(Model, Fallback, breaker_options, Clock) -> circuit_breaker<Model, Fallback, Clock>;

RILL_NAMESPACE_END
