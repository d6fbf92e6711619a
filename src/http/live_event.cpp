// JSON of a live_event, as the /events stream sends it.
#include "rill/http/live_event.hpp"

#include <charconv>
#include <cmath>
#include <cstdint>
#include <string>

RILL_NAMESPACE_BEGIN

namespace {

template <class N>
void append_number(std::string& out, N v) {
  if constexpr (std::is_floating_point_v<N>) {
    if (!std::isfinite(v)) {
      out += "null";  // JSON has no NaN or infinity
      return;
    }
  }
  char buf[32];
  const auto r = std::to_chars(buf, buf + sizeof buf, v);  // shortest round-trip form
  out.append(buf, r.ptr);
}

template <class N>
void append_field(std::string& out, const char* name, N v) {
  out += ",\"";
  out += name;
  out += "\":";
  append_number(out, v);
}

const char* breaker_name(std::uint32_t s) noexcept {
  switch (s) {
    case 0: return "closed";
    case 1: return "open";
    case 2: return "half_open";
    default: return "unknown";
  }
}

}  // namespace

const char* to_string(live_kind k) noexcept {
  switch (k) {
    case live_kind::prediction: return "prediction";
    case live_kind::drift: return "drift";
    case live_kind::warning: return "warning";
    case live_kind::model_version: return "model_version";
    case live_kind::breaker: return "breaker";
    case live_kind::score: return "score";
  }
  return "unknown";
}

void append_json(std::string& out, const live_event& e) {
  out += "{\"kind\":\"";
  out += to_string(e.kind);
  out += '"';
  append_field(out, "id", e.id);
  append_field(out, "time_ns", e.time_ns);
  append_field(out, "value", e.value);
  if (!std::isnan(e.label)) append_field(out, "label", e.label);
  append_field(out, "version", e.version);
  switch (e.kind) {
    case live_kind::breaker:
      out += ",\"state\":\"";
      out += breaker_name(e.code);
      out += '"';
      break;
    case live_kind::drift:
    case live_kind::warning:
    case live_kind::score: append_field(out, "code", e.code); break;
    case live_kind::prediction:
    case live_kind::model_version: break;
  }
  out += '}';
}

RILL_NAMESPACE_END
