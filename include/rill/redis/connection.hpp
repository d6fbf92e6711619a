// One connection to a Redis server, reconnected with capped exponential backoff
// (compiled part: src/redis/connection.cpp; hiredis stays out of this header).
#pragma once

#include <atomic>
#include <chrono>
#include <cstdint>
#include <initializer_list>
#include <memory>
#include <optional>
#include <span>
#include <string>
#include <string_view>
#include <vector>

#include "rill/config.hpp"

RILL_NAMESPACE_BEGIN
namespace redis {

namespace detail {
struct connection_access;
}

/// Where the server is and how hard to try.
struct connection_options {
  std::string host = "127.0.0.1";
  int port = 6379;
  std::chrono::milliseconds connect_timeout{1000};
  /// A reply that takes longer than this counts as a lost connection. Blocking reads
  /// (XREADGROUP BLOCK) add their own block time to it.
  std::chrono::milliseconds command_timeout{5000};
  /// Wait after the first failed attempt; doubled after each further failure up to
  /// `backoff_max`, and reset once a connection succeeds.
  std::chrono::milliseconds backoff_initial{10};
  std::chrono::milliseconds backoff_max{1000};
};

/// What happened to a connection. Snapshot; any thread.
struct connection_counts {
  std::uint64_t connects = 0;          ///< successful connections, the first included
  std::uint64_t reconnects = 0;        ///< successful connections after the first
  std::uint64_t connect_failures = 0;  ///< attempts that failed (each followed by a backoff wait)
  std::uint64_t io_errors = 0;         ///< connections lost while sending or reading
  std::uint64_t server_errors = 0;     ///< error replies ("-ERR ...") from the server
};

/// A reply converted out of hiredis (allocates: strings and arrays are copied).
struct reply {
  enum class kind { nil, string, integer, array, status, error };
  kind type = kind::nil;
  long long integer = 0;
  std::string str;  ///< string, status or error text
  std::vector<reply> elements;

  bool is_error() const noexcept { return type == kind::error; }
  bool is_nil() const noexcept { return type == kind::nil; }
};

/// A blocking connection for one thread, connected lazily.
///
/// Every call that talks to the server reports a lost connection by returning
/// false/nullopt (never by throwing): the connection is closed and counted, and the
/// next `ensure()` reconnects after the backoff. Not thread-safe, except `counts()`,
/// which any thread may call. Allocates on connect and to build replies.
class connection {
 public:
  /// Throws std::invalid_argument naming the option if `o` is unusable (empty host,
  /// port outside 1..65535, backoff_initial > backoff_max, non-positive timeouts).
  explicit connection(connection_options o);
  ~connection();
  /// A moved-from connection reads as closed (connected() false, counts() zero) and
  /// may be destroyed or assigned to; anything else on it is undefined.
  connection(connection&&) noexcept;
  connection& operator=(connection&&) noexcept;
  connection(const connection&) = delete;
  connection& operator=(const connection&) = delete;

  /// Connects if not connected, retrying with capped exponential backoff until it
  /// succeeds or `*cancel` turns true (checked every 10 ms of waiting). True if connected.
  bool ensure(const std::atomic<bool>* cancel = nullptr);
  /// One attempt, no waiting. True if connected.
  bool try_connect();
  bool connected() const noexcept;
  /// Closes the socket; the next ensure() reconnects (without counting a failure).
  void disconnect() noexcept;

  /// Sends one command (binary-safe arguments) and waits for its reply. nullopt if
  /// the connection was lost or was not up; an error reply is a `reply` of kind error
  /// (counted in server_errors).
  std::optional<reply> command(std::initializer_list<std::string_view> args);
  std::optional<reply> command(std::span<const std::string_view> args);

  /// Pipelining: queue a command without waiting (false if not connected)...
  bool append(std::initializer_list<std::string_view> args);
  bool append(std::span<const std::string_view> args);
  /// ...then read the replies in order, one per appended command.
  std::optional<reply> read();

  connection_counts counts() const noexcept;
  const connection_options& options() const noexcept;

 private:
  friend struct detail::connection_access;
  struct impl;
  std::unique_ptr<impl> impl_;
};

}  // namespace redis
RILL_NAMESPACE_END
