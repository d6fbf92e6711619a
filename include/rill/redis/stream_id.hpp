// The id of a Redis Streams entry ("<ms>-<seq>") as two integers.
#pragma once

#include <charconv>
#include <compare>
#include <cstddef>
#include <cstdint>
#include <functional>
#include <optional>
#include <string>
#include <string_view>

#include "rill/config.hpp"

RILL_NAMESPACE_BEGIN
namespace redis {

/// A stream entry id: the server's clock in milliseconds when the entry was added and
/// a sequence number within that millisecond. Ordered as the stream orders entries.
/// Trivially copyable; parsing and formatting never allocate (`to_string` does).
struct stream_id {
  std::uint64_t ms = 0;
  std::uint64_t seq = 0;

  friend constexpr auto operator<=>(const stream_id&, const stream_id&) = default;

  /// Longest text form: two 20-digit numbers and a dash.
  static constexpr std::size_t max_chars = 41;

  /// Parses "<ms>-<seq>" (or "<ms>", seq 0). nullopt if the text is anything else.
  static std::optional<stream_id> parse(std::string_view s) noexcept {
    stream_id id;
    const char* p = s.data();
    const char* end = s.data() + s.size();
    auto r = std::from_chars(p, end, id.ms);
    if (r.ec != std::errc{} || r.ptr == p) return std::nullopt;
    if (r.ptr == end) return id;
    if (*r.ptr != '-') return std::nullopt;
    const char* q = r.ptr + 1;
    r = std::from_chars(q, end, id.seq);
    if (r.ec != std::errc{} || r.ptr == q || r.ptr != end) return std::nullopt;
    return id;
  }

  /// Writes the text form into `out` (at least max_chars bytes); returns its length.
  std::size_t format(char* out) const noexcept {
    char* p = std::to_chars(out, out + 20, ms).ptr;
    *p++ = '-';
    p = std::to_chars(p, p + 20, seq).ptr;
    return static_cast<std::size_t>(p - out);
  }

  /// The text form (allocates).
  std::string to_string() const {
    char buf[max_chars];
    return std::string(buf, format(buf));
  }
};

/// Hash for unordered containers of ids.
struct stream_id_hash {
  std::size_t operator()(const stream_id& id) const noexcept {
    return std::hash<std::uint64_t>{}(id.ms * 0x9E3779B97F4A7C15ULL ^ id.seq);
  }
};

}  // namespace redis
RILL_NAMESPACE_END
