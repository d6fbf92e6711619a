// The live view's HTTP server: cpp-httplib kept behind a pimpl (users never compile
// httplib.h), a bounded connection pool, and a pump thread between the feeds' queues
// and the /events clients' buffers.
#include "rill/http/live_server.hpp"

#include <httplib.h>

#include <algorithm>
#include <array>
#include <atomic>
#include <charconv>
#include <condition_variable>
#include <deque>
#include <functional>
#include <mutex>
#include <stdexcept>
#include <string>
#include <string_view>
#include <thread>
#include <vector>

#include "dashboard_html.hpp"
#include "rill/metrics/exposition.hpp"
#include "rill/metrics/registry.hpp"
#include "rill/runtime/queue_source.hpp"

RILL_NAMESPACE_BEGIN

namespace {

using clock_type = std::chrono::steady_clock;

// Set while a connection over the limit is being turned away (see bounded_pool).
thread_local bool t_over_limit = false;

// httplib hands each accepted connection to a TaskQueue as an opaque job that reads,
// answers and closes it. This one serves at most `workers` connections at once. The
// others run on one rejecting thread with t_over_limit set, so the pre-routing handler
// answers them 503 and closes them; past a bounded backlog the accepting thread itself
// rejects, which slows accepting down (the point of a limit).
class bounded_pool final : public httplib::TaskQueue {
 public:
  explicit bounded_pool(std::size_t workers) : workers_(workers) {
    for (std::size_t i = 0; i < workers; ++i) threads_.emplace_back([this] { work(); });
    rejecter_ = std::thread([this] { reject_loop(); });
  }

  // cpp-httplib 0.15 made TaskQueue::enqueue return bool (false: refused); CMake says
  // which one the found version has.
#ifdef RILL_HTTPLIB_ENQUEUE_RETURNS_BOOL
  bool enqueue(std::function<void()> fn) override {
    take(std::move(fn));
    return true;  // never refused: over the limit it is answered 503 instead
  }
#else
  void enqueue(std::function<void()> fn) override { take(std::move(fn)); }
#endif

  void shutdown() override {
    {
      std::lock_guard lock(m_);
      shutdown_ = true;
    }
    work_cv_.notify_all();
    reject_cv_.notify_all();
    for (auto& t : threads_) t.join();
    rejecter_.join();
  }

 private:
  static constexpr std::size_t reject_backlog = 64;

  void take(std::function<void()> fn) {
    std::unique_lock lock(m_);
    if (busy_ + jobs_.size() < workers_) {
      jobs_.push_back(std::move(fn));
      lock.unlock();
      work_cv_.notify_one();
    } else if (rejects_.size() < reject_backlog) {
      rejects_.push_back(std::move(fn));
      lock.unlock();
      reject_cv_.notify_one();
    } else {
      lock.unlock();
      run_rejected(fn);
    }
  }

  static void run_rejected(std::function<void()>& fn) {
    t_over_limit = true;
    fn();
    t_over_limit = false;
  }

  void work() {
    for (;;) {
      std::function<void()> fn;
      {
        std::unique_lock lock(m_);
        work_cv_.wait(lock, [&] { return shutdown_ || !jobs_.empty(); });
        if (jobs_.empty()) return;
        fn = std::move(jobs_.front());
        jobs_.pop_front();
        ++busy_;
      }
      fn();
      std::lock_guard lock(m_);
      --busy_;
    }
  }

  void reject_loop() {
    for (;;) {
      std::function<void()> fn;
      {
        std::unique_lock lock(m_);
        reject_cv_.wait(lock, [&] { return shutdown_ || !rejects_.empty(); });
        if (rejects_.empty()) return;
        fn = std::move(rejects_.front());
        rejects_.pop_front();
      }
      run_rejected(fn);
    }
  }

  const std::size_t workers_;
  std::mutex m_;
  std::condition_variable work_cv_, reject_cv_;
  std::deque<std::function<void()>> jobs_, rejects_;
  std::size_t busy_ = 0;
  bool shutdown_ = false;
  std::vector<std::thread> threads_;
  std::thread rejecter_;
};

// A record with its stream id.
struct sse_item {
  std::uint64_t seq = 0;
  live_event event;
};

// One /events client: a ring the pump fills and the connection's thread empties.
struct sse_client {
  explicit sse_client(std::size_t capacity) : ring(capacity) {}
  std::mutex m;
  std::condition_variable cv;
  std::vector<sse_item> ring;  // allocated once, when the client connects
  std::size_t head = 0, size = 0;
  std::uint64_t skipped = 0;
  bool closed = false;  // disconnected by the slow-client policy
  // Used only by the connection's thread:
  clock_type::time_point next_stats{};
  bool first = true;
  std::vector<sse_item> batch;
  std::string text;
};

void append_uint(std::string& out, std::uint64_t v) {
  char buf[24];
  out.append(buf, std::to_chars(buf, buf + sizeof buf, v).ptr);
}

bool starts_with(std::string_view s, std::string_view p) { return s.substr(0, p.size()) == p; }

// The host part of a Host header ("127.0.0.1:8080" -> "127.0.0.1", "[::1]:80" -> "::1").
std::string_view host_name(std::string_view host) {
  if (starts_with(host, "[")) {
    const auto end = host.find(']');
    return end == std::string_view::npos ? host : host.substr(1, end - 1);
  }
  return host.substr(0, host.find(':'));
}

}  // namespace

bool is_loopback_address(const std::string& a) noexcept {
  if (a == "localhost" || a == "::1") return true;
  // 127.b.c.d with every part a number 0..255.
  std::string_view s = a;
  if (!starts_with(s, "127.")) return false;
  int parts = 0;
  while (!s.empty()) {
    unsigned v = 0;
    const auto r = std::from_chars(s.data(), s.data() + s.size(), v);
    if (r.ec != std::errc{} || v > 255) return false;
    ++parts;
    s.remove_prefix(static_cast<std::size_t>(r.ptr - s.data()));
    if (!s.empty()) {
      if (s.front() != '.' || s.size() == 1) return false;
      s.remove_prefix(1);
    }
  }
  return parts == 4;
}

struct live_server::impl {
  explicit impl(live_server_options o) : opt(std::move(o)) {}

  live_server_options opt;
  std::vector<live_feed*> feeds;
  metrics_registry* registry = nullptr;
  bool loopback = true;

  httplib::Server server;
  std::thread listener, pump_thread;
  std::atomic<bool> started{false}, stopping{false};
  std::atomic<int> bound_port{0};
  clock_type::time_point start_time{};
  std::string dashboard;  // the page with its configuration filled in

  std::mutex clients_m;
  std::vector<std::shared_ptr<sse_client>> clients;
  std::mutex pump_m;
  std::condition_variable pump_cv;
  std::uint64_t next_seq = 0;  // pump thread only

  std::atomic<std::uint64_t> requests{0}, rejected_method{0}, rejected_size{0}, rejected_host{0},
      rejected_connections{0}, event_clients{0}, event_clients_total{0}, clients_disconnected{0},
      records{0}, records_sent{0}, records_skipped{0};

  static void bump(std::atomic<std::uint64_t>& c) { c.fetch_add(1, std::memory_order_relaxed); }

  // ------------------------------------------------------------------ requests

  // Everything that is refused is refused here, before routing reads any body.
  httplib::Server::HandlerResponse screen(const httplib::Request& req, httplib::Response& res) {
    bump(requests);
    auto refuse = [&](int status, const char* why) {
      res.status = status;
      res.set_header("Connection", "close");
      res.set_content(std::string(why) + "\n", "text/plain; charset=utf-8");
      return httplib::Server::HandlerResponse::Handled;
    };
    if (t_over_limit) {
      bump(rejected_connections);
      return refuse(503, "too many connections");
    }
    if (req.method != "GET") {
      bump(rejected_method);
      res.set_header("Allow", "GET");
      return refuse(405, "read-only: only GET is allowed");
    }
    std::size_t head = req.method.size() + req.target.size() + 12;  // "GET <target> HTTP/1.1\r\n"
    for (const auto& [k, v] : req.headers) head += k.size() + v.size() + 4;
    if (head > opt.max_request_bytes) {
      bump(rejected_size);
      return refuse(431, "request header fields too large");
    }
    if (req.has_header("Content-Length") || req.has_header("Transfer-Encoding")) {
      const std::string len = req.get_header_value("Content-Length");
      std::uint64_t n = 0;
      const auto r = std::from_chars(len.data(), len.data() + len.size(), n);
      if (r.ec != std::errc{} || n > opt.max_request_bytes - std::min(head, opt.max_request_bytes)) {
        bump(rejected_size);
        return refuse(413, "request too large");
      }
    }
    if (loopback && opt.check_host && req.has_header("Host")) {
      const std::string host = req.get_header_value("Host");
      const std::string name(host_name(host));
      if (!is_loopback_address(name)) {
        bump(rejected_host);
        return refuse(421, "this view answers loopback host names only");
      }
    }
    return httplib::Server::HandlerResponse::Unhandled;
  }

  void serve_metrics(httplib::Response& res) {
    std::string body;
    if (registry) body = to_prometheus(registry->snapshot(), opt.metrics_prefix);
    body += to_prometheus(own_metrics(), opt.metrics_prefix + "_live");
    res.set_header("Cache-Control", "no-store");
    res.set_content(std::move(body), "text/plain; version=0.0.4; charset=utf-8");
  }

  // The view's own counters, as a snapshot so the registry's exposition writes them.
  metrics_snapshot own_metrics() const {
    live_feed_counts f = feed_totals();
    const live_server_counts c = counts();
    metrics_snapshot s;
    auto counter = [&](std::string name, std::string help, std::uint64_t v,
                       metric_labels labels = {}) {
      s.counters.push_back({{std::move(name), std::move(help), std::move(labels)}, v});
    };
    counter("predictions", "Predictions the feeds saw (sampled or not)", f.predictions);
    counter("sampled", "Predictions the feeds sampled for the view", f.sampled);
    counter("feed_events", "Drift, warning, version, breaker and score records offered", f.events);
    counter("feed_dropped", "Records dropped because a feed's queue was full",
            f.queue.dropped_full);
    counter("records", "Records the server drained from the feeds", c.records);
    counter("records_sent", "Records written to /events clients, summed over clients",
            c.records_sent);
    counter("records_skipped", "Records slow /events clients did not get, summed over clients",
            c.records_skipped);
    counter("requests", "HTTP requests answered", c.requests);
    counter("rejected", "Requests refused, by reason", c.rejected_method, {{"reason", "method"}});
    counter("rejected", "Requests refused, by reason", c.rejected_size, {{"reason", "size"}});
    counter("rejected", "Requests refused, by reason", c.rejected_host, {{"reason", "host"}});
    counter("rejected", "Requests refused, by reason", c.rejected_connections,
            {{"reason", "connections"}});
    counter("event_clients_opened", "/events streams opened", c.event_clients_total);
    counter("clients_disconnected", "/events clients disconnected for being slow",
            c.clients_disconnected);
    s.gauges.push_back({{"event_clients", "/events streams open now", {}},
                        gauge_merge::sum,
                        static_cast<double>(c.event_clients),
                        true});
    return s;
  }

  live_feed_counts feed_totals() const {
    live_feed_counts t;
    for (const live_feed* f : feeds) {
      const live_feed_counts c = f->counts();
      t.predictions += c.predictions;
      t.sampled += c.sampled;
      t.events += c.events;
      t.queue.dropped_full += c.queue.dropped_full;
    }
    return t;
  }

  void serve_events(httplib::Response& res) {
    std::shared_ptr<sse_client> c;
    {
      std::lock_guard lock(clients_m);
      if (clients.size() < opt.max_event_clients) {
        c = std::make_shared<sse_client>(opt.client_buffer);
        c->batch.reserve(std::min<std::size_t>(opt.client_buffer, 512));
        clients.push_back(c);
        bump(event_clients);
        bump(event_clients_total);
      }
    }
    if (!c) {
      bump(rejected_connections);
      res.status = 503;
      res.set_header("Connection", "close");
      res.set_content("too many /events clients\n", "text/plain; charset=utf-8");
      return;
    }
    res.set_header("Cache-Control", "no-store");
    res.set_header("X-Accel-Buffering", "no");
    res.set_chunked_content_provider(
        "text/event-stream",
        [this, c](std::size_t, httplib::DataSink& sink) { return stream_some(*c, sink); },
        [this, c](bool) { remove_client(c); });
  }

  // Called again and again on the client's connection thread: waits for records (or
  // the next stats message), formats them and writes them. False ends the stream.
  bool stream_some(sse_client& c, httplib::DataSink& sink) {
    c.text.clear();
    c.batch.clear();
    if (c.first) {
      c.first = false;
      c.next_stats = clock_type::now();
      c.text += "retry: 1000\n\n";
    }
    {
      std::unique_lock lock(c.m);
      c.cv.wait_until(lock, c.next_stats, [&] {
        return c.size > 0 || c.closed || stopping.load(std::memory_order_relaxed);
      });
      if (c.closed || stopping.load(std::memory_order_relaxed)) return false;
      const std::size_t n = std::min(c.size, c.batch.capacity());
      for (std::size_t i = 0; i < n; ++i) c.batch.push_back(c.ring[(c.head + i) % c.ring.size()]);
      c.head = (c.head + n) % c.ring.size();
      c.size -= n;
    }
    for (const sse_item& it : c.batch) {
      c.text += "id: ";
      append_uint(c.text, it.seq);
      c.text += "\ndata: ";
      append_json(c.text, it.event);
      c.text += "\n\n";
    }
    records_sent.fetch_add(c.batch.size(), std::memory_order_relaxed);
    const auto now = clock_type::now();
    if (now >= c.next_stats) {
      append_stats(c);
      c.next_stats = now + opt.stats_interval;
    }
    if (c.text.empty()) return true;
    return sink.write(c.text.data(), c.text.size());
  }

  void append_stats(sse_client& c) {
    const live_feed_counts f = feed_totals();
    std::uint64_t skipped;
    {
      std::lock_guard lock(c.m);
      skipped = c.skipped;
    }
    auto field = [&](const char* name, std::uint64_t v) {
      c.text += ",\"";
      c.text += name;
      c.text += "\":";
      append_uint(c.text, v);
    };
    c.text += "event: stats\ndata: {\"uptime_ms\":";
    append_uint(c.text, static_cast<std::uint64_t>(
                            std::chrono::duration_cast<std::chrono::milliseconds>(
                                clock_type::now() - start_time)
                                .count()));
    field("predictions", f.predictions);
    field("sampled", f.sampled);
    field("feed_dropped", f.queue.dropped_full);
    field("records", records.load(std::memory_order_relaxed));
    field("skipped", skipped);
    field("clients", event_clients.load(std::memory_order_relaxed));
    c.text += "}\n\n";
  }

  void remove_client(const std::shared_ptr<sse_client>& c) {
    std::lock_guard lock(clients_m);
    const auto it = std::find(clients.begin(), clients.end(), c);
    if (it != clients.end()) {
      clients.erase(it);
      event_clients.fetch_sub(1, std::memory_order_relaxed);
    }
  }

  // --------------------------------------------------------------------- pump

  void pump() {
    using source = queue_source<live_event, queue_kind::spsc, 64>;
    std::vector<std::unique_ptr<source>> sources;
    for (live_feed* f : feeds) sources.push_back(std::make_unique<source>(f->queue()));
    std::array<live_event, 64> batch;
    while (!stopping.load(std::memory_order_relaxed)) {
      std::size_t total = 0;
      for (auto& s : sources) {
        std::size_t k = 0;
        s->drain([&](const live_event& e) noexcept { batch[k++] = e; });
        if (k == 0) continue;
        broadcast(batch.data(), k);
        total += k;
      }
      if (total == 0) {
        std::unique_lock lock(pump_m);
        pump_cv.wait_for(lock, std::chrono::milliseconds(1),
                         [&] { return stopping.load(std::memory_order_relaxed); });
      }
    }
  }

  void broadcast(const live_event* events, std::size_t n) {
    const std::uint64_t first = next_seq + 1;
    next_seq += n;
    records.fetch_add(n, std::memory_order_relaxed);
    std::lock_guard lock(clients_m);
    for (const auto& c : clients) {
      std::uint64_t skipped = 0;
      {
        std::lock_guard client_lock(c->m);
        if (c->closed) continue;
        const std::size_t cap = c->ring.size();
        for (std::size_t i = 0; i < n; ++i) {
          if (c->size < cap) {
            c->ring[(c->head + c->size) % cap] = {first + i, events[i]};
            ++c->size;
          } else if (opt.slow_clients == slow_client_policy::skip) {
            ++skipped;
          } else {
            c->closed = true;
            bump(clients_disconnected);
            skipped = n - i;
            break;
          }
        }
        c->skipped += skipped;
      }
      if (skipped) records_skipped.fetch_add(skipped, std::memory_order_relaxed);
      c->cv.notify_one();
    }
  }

  live_server_counts counts() const noexcept {
    constexpr auto rx = std::memory_order_relaxed;
    live_server_counts c;
    c.requests = requests.load(rx);
    c.rejected_method = rejected_method.load(rx);
    c.rejected_size = rejected_size.load(rx);
    c.rejected_host = rejected_host.load(rx);
    c.rejected_connections = rejected_connections.load(rx);
    c.event_clients = event_clients.load(rx);
    c.event_clients_total = event_clients_total.load(rx);
    c.clients_disconnected = clients_disconnected.load(rx);
    c.records = records.load(rx);
    c.records_sent = records_sent.load(rx);
    c.records_skipped = records_skipped.load(rx);
    return c;
  }

  // ---------------------------------------------------------------- lifecycle

  std::string histogram_family() const {
    if (opt.latency_histogram.empty()) return {};
    // As to_prometheus names it: <prefix>_<name without _seconds>.
    std::string n = opt.metrics_prefix + "_" + opt.latency_histogram;
    if (n.size() > 8 && n.ends_with("_seconds")) n.resize(n.size() - 8);
    for (char& ch : n)
      if (!((ch >= 'a' && ch <= 'z') || (ch >= 'A' && ch <= 'Z') || (ch >= '0' && ch <= '9') ||
            ch == '_' || ch == ':'))
        ch = '_';
    return n;
  }

  static std::string json_escape(std::string_view s) {
    std::string out;
    for (char ch : s) {
      const auto u = static_cast<unsigned char>(ch);
      if (ch == '"' || ch == '\\') {
        out += '\\';
        out += ch;
      } else if (ch == '<') {
        out += "\\u003c";  // no "</script>" inside the page's script
      } else if (u < 0x20) {
        out += ' ';
      } else {
        out += ch;
      }
    }
    return out;
  }

  void make_dashboard() {
    std::string config = "{\"title\":\"" + json_escape(opt.title) + "\",\"histogram\":\"" +
                         json_escape(histogram_family()) + "\",\"live_prefix\":\"" +
                         json_escape(opt.metrics_prefix + "_live") + "\",\"stats_interval_ms\":";
    append_uint(config, static_cast<std::uint64_t>(opt.stats_interval.count()));
    config += "}";
    dashboard = std::string(detail::dashboard_html);
    const std::string_view mark = "/*RILL_CONFIG*/null";
    const auto at = dashboard.find(mark);
    if (at != std::string::npos) dashboard.replace(at, mark.size(), config);
  }

  void install_routes() {
    server.new_task_queue = [this] { return new bounded_pool(opt.max_connections); };
    server.set_pre_routing_handler(
        [this](const httplib::Request& req, httplib::Response& res) { return screen(req, res); });
    server.set_payload_max_length(opt.max_request_bytes);
    const auto io_s = static_cast<time_t>(opt.io_timeout.count() / 1000);
    const auto io_us = static_cast<time_t>(opt.io_timeout.count() % 1000 * 1000);
    server.set_read_timeout(io_s, io_us);
    server.set_write_timeout(io_s, io_us);
    server.set_keep_alive_timeout(std::max<time_t>(1, io_s));
    server.set_keep_alive_max_count(100);
    server.set_default_headers({{"X-Content-Type-Options", "nosniff"}});
    server.Get("/metrics", [this](const httplib::Request&, httplib::Response& res) {
      serve_metrics(res);
    });
    server.Get("/events", [this](const httplib::Request&, httplib::Response& res) {
      serve_events(res);
    });
    server.Get("/", [this](const httplib::Request&, httplib::Response& res) {
      // The page may only talk to this server and load nothing from elsewhere.
      res.set_header("Content-Security-Policy",
                     "default-src 'none'; script-src 'unsafe-inline'; style-src 'unsafe-inline'; "
                     "connect-src 'self'; img-src 'self' data:");
      res.set_header("Cache-Control", "no-store");
      res.set_content(dashboard, "text/html; charset=utf-8");
    });
  }
};

live_server::live_server(live_server_options o) {
  auto fail = [](const std::string& what) {
    throw std::invalid_argument("rill::live_server: " + what);
  };
  if (o.address.empty()) fail("address is empty");
  const bool loopback = is_loopback_address(o.address);
  if (!loopback && !o.allow_non_loopback)
    fail("address \"" + o.address +
         "\" is not loopback; set allow_non_loopback to expose the view on it");
  if (o.max_connections < 2) fail("max_connections must be at least 2");
  if (o.max_event_clients == 0 || o.max_event_clients >= o.max_connections)
    fail("max_event_clients must be between 1 and max_connections - 1");
  if (o.max_request_bytes < 256) fail("max_request_bytes must be at least 256");
  if (o.client_buffer == 0) fail("client_buffer must be at least 1");
  if (o.stats_interval.count() <= 0) fail("stats_interval must be positive");
  if (o.io_timeout.count() <= 0) fail("io_timeout must be positive");
  impl_ = std::make_unique<impl>(std::move(o));
  impl_->loopback = loopback;
}

live_server::~live_server() { stop(); }

void live_server::add_feed(live_feed& feed) {
  if (impl_->started) throw std::logic_error("rill::live_server::add_feed: server already started");
  impl_->feeds.push_back(&feed);
}

void live_server::set_registry(metrics_registry* registry) {
  if (impl_->started)
    throw std::logic_error("rill::live_server::set_registry: server already started");
  impl_->registry = registry;
}

void live_server::start() {
  auto& d = *impl_;
  if (d.started.exchange(true)) throw std::logic_error("rill::live_server::start: already started");
  d.make_dashboard();
  d.install_routes();
  const int port = d.opt.port == 0 ? d.server.bind_to_any_port(d.opt.address)
                                   : (d.server.bind_to_port(d.opt.address, d.opt.port) ? d.opt.port : -1);
  if (port <= 0) {
    d.started = false;
    throw std::runtime_error("rill::live_server: cannot bind " + d.opt.address + ":" +
                             std::to_string(d.opt.port));
  }
  d.bound_port = port;
  d.start_time = clock_type::now();
  d.pump_thread = std::thread([&d] { d.pump(); });
  d.listener = std::thread([&d] { d.server.listen_after_bind(); });
  // httplib's stop() does nothing until the accept loop runs: wait for it (it sets
  // is_running first thing, on a socket already bound).
  for (int i = 0; i < 5000 && !d.server.is_running(); ++i)
    std::this_thread::sleep_for(std::chrono::milliseconds(1));
}

void live_server::stop() noexcept {
  if (!impl_) return;
  auto& d = *impl_;
  if (!d.started || d.stopping.exchange(true)) return;
  {
    std::lock_guard lock(d.clients_m);
    for (const auto& c : d.clients) {
      { std::lock_guard client_lock(c->m); }  // a waiter sees `stopping` before it sleeps
      c->cv.notify_all();
    }
  }
  d.pump_cv.notify_all();
  d.server.stop();
  if (d.listener.joinable()) d.listener.join();
  if (d.pump_thread.joinable()) d.pump_thread.join();
}

bool live_server::running() const noexcept {
  return impl_->started && !impl_->stopping && impl_->server.is_running();
}

std::uint16_t live_server::port() const noexcept {
  return static_cast<std::uint16_t>(impl_->bound_port.load());
}

std::string live_server::url() const {
  const std::string& a = impl_->opt.address;
  const bool v6 = a.find(':') != std::string::npos;
  return "http://" + (v6 ? "[" + a + "]" : a) + ":" + std::to_string(port()) + "/";
}

live_server_counts live_server::counts() const noexcept { return impl_->counts(); }

const live_server_options& live_server::options() const noexcept { return impl_->opt; }

RILL_NAMESPACE_END
