// The record the live view carries from the pipeline thread to the server thread.
#pragma once

#include <cstddef>
#include <cstdint>
#include <limits>
#include <string>
#include <type_traits>

#include "rill/config.hpp"

RILL_NAMESPACE_BEGIN

/// What a `live_event` reports. The JSON name of each kind is in brackets.
enum class live_kind : std::uint8_t {
  prediction,     ///< a sampled prediction ["prediction"]
  drift,          ///< a drift detector fired ["drift"]
  warning,        ///< a drift detector warned ["warning"]
  model_version,  ///< the served model changed ["model_version"]
  breaker,        ///< a circuit breaker changed state ["breaker"]
  score,          ///< the prequential metric's current value ["score"]
};

/// One fixed-size, trivially copyable record: what the pipeline thread queues for the
/// server (never a string, so queueing one never allocates). Fields a kind does not use
/// stay at their defaults; `label` is NaN when unknown.
///
/// | kind          | id               | value                  | label        | version         | code         |
/// |---------------|------------------|------------------------|--------------|-----------------|--------------|
/// | prediction    | event id         | predicted value        | outcome/NaN  | model version   | 0            |
/// | drift/warning | event id         | detector statistic     | NaN          | model version   | detector no. |
/// | model_version | 0                | 0                      | NaN          | new version     | 0            |
/// | breaker       | 0                | 0                      | NaN          | model version   | state (0 closed, 1 open, 2 half_open) |
/// | score         | events scored    | metric value           | NaN          | model version   | metric no.   |
struct live_event {
  std::uint64_t id = 0;
  std::int64_t time_ns = 0;  ///< event time (the stream's clock, not the wall clock)
  double value = 0;
  double label = std::numeric_limits<double>::quiet_NaN();
  std::uint64_t version = 0;
  std::uint32_t code = 0;
  live_kind kind = live_kind::prediction;
};
static_assert(std::is_trivially_copyable_v<live_event> && sizeof(live_event) <= 48,
              "rill::live_event is a small trivially copyable record");

/// The JSON name of `k` ("prediction", "drift", ...).
const char* to_string(live_kind k) noexcept;

/// Appends `e` as one JSON object, e.g.
/// `{"kind":"prediction","id":7,"time_ns":7000,"value":0.81,"label":1,"version":2}`
/// (`label` is omitted when NaN; `state` is named for a breaker; `code` is given for
/// drift, warning and score). Non-finite values are written as null. Allocates `out`'s
/// growth; any thread.
void append_json(std::string& out, const live_event& e);

RILL_NAMESPACE_END
