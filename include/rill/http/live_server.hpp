// The server side of the live view: an HTTP server on its own threads that drains
// live_feeds and serves /metrics, /events and a dashboard.
#pragma once

#include <chrono>
#include <cstddef>
#include <cstdint>
#include <memory>
#include <string>

#include "rill/config.hpp"
#include "rill/http/live_feed.hpp"

RILL_NAMESPACE_BEGIN

class metrics_registry;

/// What happens to an /events client whose buffer is full (it reads slower than
/// records arrive).
enum class slow_client_policy : std::uint8_t {
  skip,        ///< records that do not fit are skipped for that client, counted; the
               ///< gap shows in its `id:` sequence
  disconnect,  ///< the client is disconnected, counted; EventSource reconnects by itself
};

/// Settings of a `live_server`. Validated by the constructor (std::invalid_argument
/// naming the option).
struct live_server_options {
  /// Address to bind. Loopback (127.0.0.0/8, ::1, "localhost") unless
  /// `allow_non_loopback` is set: exposing the view is an explicit choice.
  std::string address = "127.0.0.1";
  std::uint16_t port = 0;  ///< 0: a free port chosen by the system (see port())
  bool allow_non_loopback = false;
  /// When bound to loopback, answer only requests whose Host is a loopback name
  /// (127.x.x.x, localhost, [::1]): a web page elsewhere cannot read the view through
  /// DNS rebinding.
  bool check_host = true;
  /// Connections served at once (one thread each, /events streams included); more
  /// are answered 503 and closed.
  std::size_t max_connections = 16;
  /// /events streams at once (at most max_connections - 1, so /metrics stays
  /// reachable); more are answered 503.
  std::size_t max_event_clients = 8;
  /// Request line + headers, and a declared body, above this are answered 431 / 413.
  std::size_t max_request_bytes = 8192;
  /// Records buffered per /events client (48 bytes each, allocated when it connects).
  std::size_t client_buffer = 4096;
  slow_client_policy slow_clients = slow_client_policy::skip;
  /// How often each /events stream gets an `event: stats` message (throughput and
  /// drop counts); it doubles as the keep-alive.
  std::chrono::milliseconds stats_interval{1000};
  /// Socket read/write timeout: a client that sends nothing, or reads nothing, for
  /// this long is disconnected.
  std::chrono::milliseconds io_timeout{5000};
  /// Prefix of the registry's metric names in /metrics (see to_prometheus); the view's
  /// own metrics are `<prefix>_live_*`.
  std::string metrics_prefix = "rill";
  /// The dashboard's title, and the histogram it charts (a registry histogram's
  /// registered name; empty: the first one).
  std::string title = "rill live view";
  std::string latency_histogram;
};

/// What the server did so far (a snapshot; any thread).
struct live_server_counts {
  std::uint64_t requests = 0;              ///< requests answered, rejections included
  std::uint64_t rejected_method = 0;       ///< 405: anything but GET
  std::uint64_t rejected_size = 0;         ///< 413 / 431: over max_request_bytes
  std::uint64_t rejected_host = 0;         ///< 421: non-loopback Host on a loopback bind
  std::uint64_t rejected_connections = 0;  ///< 503: over max_connections or max_event_clients
  std::uint64_t event_clients = 0;         ///< /events streams open now
  std::uint64_t event_clients_total = 0;   ///< /events streams opened so far
  std::uint64_t clients_disconnected = 0;  ///< closed by slow_client_policy::disconnect
  std::uint64_t records = 0;               ///< records drained from the feeds
  std::uint64_t records_sent = 0;          ///< records written to clients (summed over clients)
  std::uint64_t records_skipped = 0;       ///< records a slow client did not get (summed)
};

/// Serves the live view of one application:
/// - `GET /metrics`: Prometheus text format 0.0.4 of the registry (to_prometheus), then
///   the view's own counters (`<prefix>_live_*`);
/// - `GET /events`: server-sent events; every record of the feeds as
///   `id: <n>` (increasing by one per record drained, so a skipped record leaves a gap)
///   and `data: <JSON>` (see append_json), and every stats_interval an `event: stats`
///   message without id;
/// - `GET /`: the dashboard, one self-contained page (no external assets).
/// Anything but GET is 405; other paths 404.
///
/// Threads: one accepts, up to max_connections serve requests (a bounded pool), one
/// turns away connections over the limit, and one pumps: it drains every feed's queue
/// into each /events client's bounded buffer, so the pipeline thread only ever
/// touches its feed's queue and a slow or stalled client only loses its own records.
///
/// Set-up (allocates, throws): construct, add_feed(), set_registry(), start().
/// start() and stop() from one controlling thread; port(), url(), counts() from any.
/// Feeds and the registry must outlive the server (or its stop()).
class live_server {
 public:
  explicit live_server(live_server_options o = {});
  ~live_server();  ///< stop()s
  live_server(const live_server&) = delete;
  live_server& operator=(const live_server&) = delete;

  /// A feed to drain (before start()). Several feeds interleave in one id sequence.
  void add_feed(live_feed& feed);
  /// The registry /metrics exposes (before start()); nullptr: only the view's own.
  void set_registry(metrics_registry* registry);

  /// Binds and starts the threads. Throws std::runtime_error when the address cannot
  /// be bound, std::logic_error when already started.
  void start();
  /// Closes the listening socket and every connection, joins the threads (returns
  /// within about io_timeout). Idempotent; later records stay in the feeds' queues.
  void stop() noexcept;

  bool running() const noexcept;
  /// The bound port (the chosen one when options().port was 0); 0 before start().
  std::uint16_t port() const noexcept;
  /// `http://<address>:<port>/`.
  std::string url() const;
  live_server_counts counts() const noexcept;
  const live_server_options& options() const noexcept;

 private:
  struct impl;
  std::unique_ptr<impl> impl_;
};

/// True for the addresses bound without `allow_non_loopback`: 127.0.0.0/8 in dotted
/// form, "::1" and "localhost".
bool is_loopback_address(const std::string& address) noexcept;

RILL_NAMESPACE_END
