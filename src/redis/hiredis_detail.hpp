// Internal to src/redis: the hiredis side of rill::redis::connection, an argument
// builder, and raw-reply helpers the I/O threads use without converting replies.
#pragma once

#include <hiredis/hiredis.h>

#include <atomic>
#include <charconv>
#include <cstddef>
#include <cstdint>
#include <memory>
#include <string>
#include <string_view>
#include <vector>

#include "rill/redis/connection.hpp"

RILL_NAMESPACE_BEGIN
namespace redis {

struct connection::impl {
  connection_options opt;
  redisContext* ctx = nullptr;
  bool ever_connected = false;
  std::chrono::milliseconds next_backoff{0};
  // Extra read timeout for blocking commands (set by the caller around them).
  std::chrono::milliseconds extra_timeout{0};
  std::chrono::milliseconds applied_timeout{-1};
  std::atomic<std::uint64_t> connects{0}, reconnects{0}, connect_failures{0}, io_errors{0},
      server_errors{0};

  void bump(std::atomic<std::uint64_t>& c) noexcept { c.fetch_add(1, std::memory_order_relaxed); }
  void close() noexcept {
    if (ctx) redisFree(ctx);
    ctx = nullptr;
  }
  void lost() noexcept {
    bump(io_errors);
    close();
  }
};

namespace detail {

struct reply_deleter {
  void operator()(redisReply* r) const noexcept { freeReplyObject(r); }
};
using reply_ptr = std::unique_ptr<redisReply, reply_deleter>;

inline std::string_view str(const redisReply* r) noexcept {
  return r && (r->type == REDIS_REPLY_STRING || r->type == REDIS_REPLY_STATUS ||
               r->type == REDIS_REPLY_ERROR)
             ? std::string_view(r->str, r->len)
             : std::string_view{};
}

/// Arguments of one command, copied into one buffer (pointers are resolved when the
/// command is sent, so the buffer may grow while it is built). Reused: no allocation
/// once it has grown to the largest command.
class argv_builder {
 public:
  void clear() noexcept {
    buf_.clear();
    spans_.clear();
  }
  argv_builder& add(std::string_view s) {
    spans_.push_back({buf_.size(), s.size()});
    buf_.append(s);
    return *this;
  }
  template <class Int>
  argv_builder& add_int(Int v) {
    char tmp[24];
    return add(std::string_view(tmp, static_cast<std::size_t>(std::to_chars(tmp, tmp + 24, v).ptr - tmp)));
  }
  argv_builder& add_double(double v, bool as_float) {
    char tmp[32];
    auto r = as_float ? std::to_chars(tmp, tmp + 32, static_cast<float>(v)) : std::to_chars(tmp, tmp + 32, v);
    return add(std::string_view(tmp, static_cast<std::size_t>(r.ptr - tmp)));
  }
  std::size_t size() const noexcept { return spans_.size(); }
  // Resolves pointers; valid until the next add/clear.
  void resolve() {
    ptrs_.resize(spans_.size());
    lens_.resize(spans_.size());
    for (std::size_t i = 0; i < spans_.size(); ++i) {
      ptrs_[i] = buf_.data() + spans_[i].first;
      lens_[i] = spans_[i].second;
    }
  }
  int argc() const noexcept { return static_cast<int>(ptrs_.size()); }
  const char** argv() noexcept { return ptrs_.data(); }
  const std::size_t* lens() const noexcept { return lens_.data(); }

 private:
  std::string buf_;
  std::vector<std::pair<std::size_t, std::size_t>> spans_;
  std::vector<const char*> ptrs_;
  std::vector<std::size_t> lens_;
};

/// Raw access for the I/O threads in src/redis (no reply conversion).
struct connection_access {
  /// Queues `a` (false: not connected).
  static bool append(connection& c, argv_builder& a);
  /// Next reply; null if the connection was lost (closed and counted). An error reply
  /// is returned as such and counted in server_errors.
  static reply_ptr read(connection& c);
  /// append + read.
  static reply_ptr call(connection& c, argv_builder& a);
  /// Extra read timeout for the following calls (blocking commands).
  static void set_extra_timeout(connection& c, std::chrono::milliseconds extra);
  static void apply_timeout(connection& c) noexcept;
};

}  // namespace detail
}  // namespace redis
RILL_NAMESPACE_END
