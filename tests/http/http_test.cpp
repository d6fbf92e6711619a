// The live view: feed sampling against a naive recount, the JSON records, /metrics
// through an independent Prometheus text parser, /events order and ids, a stalled
// client against the producer's time, and the server's refusals.
#include <arpa/inet.h>
#include <httplib.h>
#include <netinet/in.h>
#include <sys/socket.h>
#include <sys/time.h>
#include <unistd.h>

#include <atomic>
#include <chrono>
#include <cmath>
#include <cstdint>
#include <cstdlib>
#include <map>
#include <set>
#include <sstream>
#include <string>
#include <thread>
#include <vector>

#include "catch.hpp"
#include "rill/http/live_feed.hpp"
#include "rill/http/live_server.hpp"
#include "rill/http/live_tap.hpp"
#include "rill/metrics/registry.hpp"
#include "rill/runtime/queue_source.hpp"

namespace {

using namespace std::chrono_literals;
using steady = std::chrono::steady_clock;

// Sanitizers slow every thread several-fold, and the pump then competes harder with
// the producer for the cores: timing bounds get this much slack.
#if defined(__SANITIZE_THREAD__) || defined(__SANITIZE_ADDRESS__)
constexpr int slack = 4;
#elif defined(__has_feature)
#if __has_feature(thread_sanitizer) || __has_feature(address_sanitizer)
constexpr int slack = 4;
#else
constexpr int slack = 1;
#endif
#else
constexpr int slack = 1;
#endif

// ------------------------------------------------------------- raw sockets

int connect_loopback(std::uint16_t port, int rcvbuf = 0) {
  const int fd = ::socket(AF_INET, SOCK_STREAM, 0);
  REQUIRE(fd >= 0);
  if (rcvbuf > 0) ::setsockopt(fd, SOL_SOCKET, SO_RCVBUF, &rcvbuf, sizeof rcvbuf);
  timeval tv{5, 0};
  ::setsockopt(fd, SOL_SOCKET, SO_RCVTIMEO, &tv, sizeof tv);
  sockaddr_in a{};
  a.sin_family = AF_INET;
  a.sin_port = htons(port);
  a.sin_addr.s_addr = htonl(INADDR_LOOPBACK);
  REQUIRE(::connect(fd, reinterpret_cast<sockaddr*>(&a), sizeof a) == 0);
  return fd;
}

void send_all(int fd, const std::string& s) {
  std::size_t off = 0;
  while (off < s.size()) {
    const ssize_t n = ::send(fd, s.data() + off, s.size() - off, MSG_NOSIGNAL);
    if (n <= 0) return;  // the server may close early on a refused request
    off += static_cast<std::size_t>(n);
  }
}

// True once `r` holds a whole response with a Content-Length body.
bool complete(const std::string& r) {
  const auto end = r.find("\r\n\r\n");
  if (end == std::string::npos) return false;
  const auto at = r.find("Content-Length: ");
  if (at == std::string::npos || at > end) return false;
  return r.size() >= end + 4 + std::stoull(r.substr(at + 16));
}

// Sends `request` and reads one response (until it is complete, the server closes,
// or 5 s pass).
std::string raw_exchange(std::uint16_t port, const std::string& request) {
  const int fd = connect_loopback(port);
  send_all(fd, request);
  std::string out;
  char buf[4096];
  while (!complete(out)) {
    const ssize_t n = ::recv(fd, buf, sizeof buf, 0);
    if (n <= 0) break;
    out.append(buf, static_cast<std::size_t>(n));
  }
  ::close(fd);
  return out;
}

std::string status_line(const std::string& response) { return response.substr(0, response.find("\r\n")); }

template <class Pred>
bool wait_for(Pred p, std::chrono::milliseconds limit = 5000ms) {
  const auto end = steady::now() + limit;
  while (!p()) {
    if (steady::now() > end) return false;
    std::this_thread::sleep_for(1ms);
  }
  return true;
}

// ------------------------------------------------- Prometheus text, parsed

struct prom_sample {
  std::string name;
  std::map<std::string, std::string> labels;
  double value = 0;
};
struct prom_text {
  std::map<std::string, std::string> type, help;
  std::vector<prom_sample> samples;
};

// Format 0.0.4, strictly: HELP and TYPE at most once per family and before its
// samples; samples `name{label="value",...} value`; label values with \\ \" \n escapes.
prom_text parse_prometheus(const std::string& text) {
  prom_text doc;
  std::set<std::string> seen_families;
  std::istringstream in(text);
  std::string line;
  auto family_of = [&](const std::string& name) {
    for (const char* suffix : {"_bucket", "_sum", "_count"}) {
      const std::string s = suffix;
      if (name.size() > s.size() && name.compare(name.size() - s.size(), s.size(), s) == 0) {
        const std::string base = name.substr(0, name.size() - s.size());
        const auto t = doc.type.find(base);
        if (t != doc.type.end() && (t->second == "histogram" || t->second == "summary")) return base;
      }
    }
    return name;
  };
  while (std::getline(in, line)) {
    INFO("line: " << line);
    REQUIRE(!line.empty());  // the exposition writes no blank lines
    if (line.rfind("# HELP ", 0) == 0 || line.rfind("# TYPE ", 0) == 0) {
      const bool is_type = line[2] == 'T';
      const std::string rest = line.substr(7);
      const std::string name = rest.substr(0, rest.find(' '));
      REQUIRE(rest.size() > name.size());
      const std::string arg = rest.substr(name.size() + 1);
      REQUIRE(seen_families.count(name) == 0);  // no metadata after samples
      auto& map = is_type ? doc.type : doc.help;
      REQUIRE(map.count(name) == 0);
      if (is_type) {
        REQUIRE((arg == "counter" || arg == "gauge" || arg == "histogram" || arg == "summary" ||
                 arg == "untyped"));
      }
      map[name] = arg;
      continue;
    }
    REQUIRE(line[0] != '#');
    prom_sample s;
    std::size_t i = 0;
    auto name_char = [](char c, bool first) {
      return (c >= 'a' && c <= 'z') || (c >= 'A' && c <= 'Z') || c == '_' || c == ':' ||
             (!first && c >= '0' && c <= '9');
    };
    while (i < line.size() && name_char(line[i], i == 0)) ++i;
    REQUIRE(i > 0);
    s.name = line.substr(0, i);
    if (i < line.size() && line[i] == '{') {
      ++i;
      while (line.at(i) != '}') {
        const std::size_t k0 = i;
        while (name_char(line.at(i), i == k0)) ++i;
        const std::string key = line.substr(k0, i - k0);
        REQUIRE(!key.empty());
        REQUIRE(line.at(i++) == '=');
        REQUIRE(line.at(i++) == '"');
        std::string v;
        while (line.at(i) != '"') {
          if (line[i] == '\\') {
            const char e = line.at(++i);
            REQUIRE((e == '\\' || e == '"' || e == 'n'));
            v += e == 'n' ? '\n' : e;
          } else {
            v += line[i];
          }
          ++i;
        }
        ++i;
        REQUIRE(s.labels.count(key) == 0);
        s.labels[key] = v;
        if (line.at(i) == ',') ++i;
      }
      ++i;
    }
    REQUIRE(line.at(i++) == ' ');
    const std::string num = line.substr(i);
    if (num == "+Inf") s.value = INFINITY;
    else if (num == "-Inf") s.value = -INFINITY;
    else if (num == "NaN") s.value = NAN;
    else {
      char* end = nullptr;
      s.value = std::strtod(num.c_str(), &end);
      REQUIRE(end == num.c_str() + num.size());
    }
    const std::string fam = family_of(s.name);
    REQUIRE(doc.type.count(fam) == 1);  // every sample belongs to a typed family
    seen_families.insert(fam);
    doc.samples.push_back(std::move(s));
  }
  return doc;
}

const prom_sample* find_sample(const prom_text& d, const std::string& name,
                               const std::map<std::string, std::string>& labels = {}) {
  for (const auto& s : d.samples)
    if (s.name == name && s.labels == labels) return &s;
  return nullptr;
}

// Per label set: cumulative buckets rise with le, end at +Inf, and +Inf equals _count.
void check_histogram(const prom_text& d, const std::string& family) {
  std::map<std::map<std::string, std::string>, std::vector<std::pair<double, double>>> series;
  for (const auto& s : d.samples) {
    if (s.name != family + "_bucket") continue;
    auto labels = s.labels;
    const std::string le = labels.at("le");
    labels.erase("le");
    series[labels].emplace_back(le == "+Inf" ? INFINITY : std::stod(le), s.value);
  }
  REQUIRE(!series.empty());
  for (const auto& [labels, buckets] : series) {
    REQUIRE(buckets.size() >= 2);
    for (std::size_t i = 1; i < buckets.size(); ++i) {
      CHECK(buckets[i].first > buckets[i - 1].first);
      CHECK(buckets[i].second >= buckets[i - 1].second);
    }
    CHECK(std::isinf(buckets.back().first));
    const prom_sample* count = find_sample(d, family + "_count", labels);
    REQUIRE(count);
    CHECK(count->value == buckets.back().second);
  }
}

// ------------------------------------------------------ SSE, parsed

struct sse_message {
  std::string event, id, data;
};

// Splits complete messages off the front of `buffer`.
std::vector<sse_message> take_messages(std::string& buffer) {
  std::vector<sse_message> out;
  for (std::size_t end; (end = buffer.find("\n\n")) != std::string::npos;) {
    const std::string block = buffer.substr(0, end);
    buffer.erase(0, end + 2);
    sse_message m;
    std::istringstream in(block);
    for (std::string line; std::getline(in, line);) {
      const auto colon = line.find(": ");
      if (colon == std::string::npos) continue;
      const std::string k = line.substr(0, colon), v = line.substr(colon + 2);
      if (k == "event") m.event = v;
      if (k == "id") m.id = v;
      if (k == "data") m.data = v;
    }
    if (!m.data.empty()) out.push_back(m);
  }
  return out;
}

std::string json_field(const std::string& json, const std::string& key) {
  const std::string k = "\"" + key + "\":";
  const auto at = json.find(k);
  if (at == std::string::npos) return {};
  const auto start = at + k.size();
  const auto end = json.find_first_of(",}", start);
  std::string v = json.substr(start, end - start);
  if (!v.empty() && v.front() == '"') v = v.substr(1, v.size() - 2);
  return v;
}

std::vector<std::uint64_t> drain_ids(rill::live_feed& feed) {
  rill::queue_source<rill::live_event, rill::queue_kind::spsc> src(feed.queue());
  std::vector<std::uint64_t> ids;
  while (src.drain([&](const rill::live_event& e) noexcept { ids.push_back(e.id); }) != 0) {
  }
  return ids;
}

rill::live_server_options test_options() {
  rill::live_server_options o;
  o.io_timeout = 1000ms;
  o.stats_interval = 200ms;
  return o;
}

}  // namespace

TEST_CASE("live_feed samples 1 in N and above the threshold, as a naive recount does", "[http]") {
  rill::live_feed feed({.sample_every = 7, .threshold = 0.95, .capacity = 4096});
  std::vector<std::uint64_t> expected;
  std::uint64_t since = 0;
  for (std::uint64_t i = 0; i < 2000; ++i) {
    const double v = static_cast<double>((i * 7919) % 1000) / 1000.0;
    // Naive: the 1st of every 7 calls, or a value at/above the threshold.
    const bool by_count = since == 0;
    since = (since + 1) % 7;
    if (by_count || v >= 0.95) expected.push_back(i);
    const bool queued = feed.on_prediction(i, static_cast<std::int64_t>(i), v);
    CHECK(queued == (by_count || v >= 0.95));
  }
  const auto c = feed.counts();
  CHECK(c.predictions == 2000);
  CHECK(c.sampled == expected.size());
  CHECK(drain_ids(feed) == expected);

  SECTION("sample_every = 0 samples by threshold only; events are never sampled") {
    rill::live_feed f({.sample_every = 0, .threshold = 0.5, .capacity = 64});
    for (int i = 0; i < 10; ++i) f.on_prediction(static_cast<std::uint64_t>(i), 0, i < 5 ? 0.1 : 0.9);
    f.on_drift(42, 1, 3.5);
    f.on_model_version(3, 2);
    f.on_breaker(std::uint8_t{1}, 3);
    f.on_score(100, 4, 0.875);
    CHECK(drain_ids(f) == std::vector<std::uint64_t>{5, 6, 7, 8, 9, 42, 0, 0, 100});
    CHECK(f.counts().events == 4);
  }
  SECTION("a full queue drops and counts, never waits") {
    rill::live_feed f({.sample_every = 1, .capacity = 16});
    std::uint64_t accepted = 0;
    for (int i = 0; i < 1000; ++i) accepted += f.on_prediction(static_cast<std::uint64_t>(i), 0, 0.0);
    const auto q = f.counts().queue;
    CHECK(q.offered == 1000);
    CHECK(q.accepted == accepted);
    CHECK(q.dropped_full == 1000 - accepted);
    CHECK(q.waits == 0);
    CHECK(accepted < 1000);
  }
}

TEST_CASE("live_tap passes predictions through and feeds them", "[http]") {
  rill::live_feed feed({.sample_every = 2});
  rill::live_tap<float> tap(feed);
  std::vector<std::uint64_t> out;
  for (std::uint64_t i = 0; i < 10; ++i)
    tap(rill::prediction<float>{i, 0, 0.5f, 4}, [&](const rill::prediction<float>& p) noexcept { out.push_back(p.id); });
  CHECK(out == std::vector<std::uint64_t>{0, 1, 2, 3, 4, 5, 6, 7, 8, 9});
  CHECK(drain_ids(feed) == std::vector<std::uint64_t>{0, 2, 4, 6, 8});
}

TEST_CASE("live_event JSON", "[http]") {
  std::string s;
  rill::append_json(s, {7, 7000, 0.25, 1, 2, 0, rill::live_kind::prediction});
  CHECK(s == R"({"kind":"prediction","id":7,"time_ns":7000,"value":0.25,"label":1,"version":2})");
  s.clear();
  rill::append_json(s, {0, -5, NAN, NAN, 3, 2, rill::live_kind::breaker});
  CHECK(s == R"({"kind":"breaker","id":0,"time_ns":-5,"value":null,"version":3,"state":"half_open"})");
  s.clear();
  rill::append_json(s, {9, 1, 0.1, NAN, 1, 4, rill::live_kind::drift});
  CHECK(s == R"({"kind":"drift","id":9,"time_ns":1,"value":0.1,"version":1,"code":4})");
}

TEST_CASE("binding beyond loopback is an explicit choice", "[http]") {
  CHECK(rill::is_loopback_address("127.0.0.1"));
  CHECK(rill::is_loopback_address("127.10.0.254"));
  CHECK(rill::is_loopback_address("::1"));
  CHECK(rill::is_loopback_address("localhost"));
  CHECK_FALSE(rill::is_loopback_address("0.0.0.0"));
  CHECK_FALSE(rill::is_loopback_address("127.0.0"));
  CHECK_FALSE(rill::is_loopback_address("127.0.0.256"));
  CHECK_FALSE(rill::is_loopback_address("127.0.0.1.example.com"));
  CHECK_FALSE(rill::is_loopback_address("192.168.1.1"));

  auto o = test_options();
  o.address = "0.0.0.0";
  CHECK_THROWS_AS(rill::live_server(o), std::invalid_argument);
  o.allow_non_loopback = true;
  rill::live_server server(o);
  server.start();
  REQUIRE(server.port() != 0);
  httplib::Client cli("127.0.0.1", server.port());
  const auto r = cli.Get("/metrics");
  REQUIRE(r);
  CHECK(r->status == 200);
  server.stop();
}

TEST_CASE("/metrics is Prometheus text of the registry and the view's counters", "[http]") {
  rill::metrics_registry registry;
  const auto events = registry.add_counter("events", "Events scored");
  const auto depth = registry.add_gauge("queue_depth", "Items \"queued\"", rill::gauge_merge::sum,
                                        {{"queue", "in\\put"}});
  const auto lat = registry.add_histogram("latency", "Time per event", {{"stage", "predict"}});
  auto& rec = registry.add_recorder("main");
  std::uint64_t recorded = 0;
  for (std::uint64_t i = 1; i <= 5000; ++i) {
    rec.add(events);
    rec.record(lat, (i * 7919) % 2'000'000);  // 0 .. 2 ms
    ++recorded;
  }
  rec.set(depth, 17);

  rill::live_feed feed({.sample_every = 10});
  for (std::uint64_t i = 0; i < 123; ++i) feed.on_prediction(i, 0, 0.5);
  rill::live_server server(test_options());
  server.add_feed(feed);
  server.set_registry(&registry);
  server.start();

  httplib::Client cli("127.0.0.1", server.port());
  const auto r = cli.Get("/metrics");
  REQUIRE(r);
  CHECK(r->status == 200);
  CHECK(r->get_header_value("Content-Type") == "text/plain; version=0.0.4; charset=utf-8");
  const prom_text d = parse_prometheus(r->body);

  CHECK(d.type.at("rill_events_total") == "counter");
  CHECK(find_sample(d, "rill_events_total")->value == 5000);
  CHECK(d.type.at("rill_queue_depth") == "gauge");
  const auto* g = find_sample(d, "rill_queue_depth", {{"queue", "in\\put"}});
  REQUIRE(g);
  CHECK(g->value == 17);
  CHECK(d.type.at("rill_latency_seconds") == "histogram");
  check_histogram(d, "rill_latency_seconds");
  CHECK(find_sample(d, "rill_latency_seconds_count", {{"stage", "predict"}})->value == double(recorded));
  CHECK(d.type.at("rill_latency_quantiles_seconds") == "summary");
  const auto* p99 = find_sample(d, "rill_latency_quantiles_seconds", {{"stage", "predict"}, {"quantile", "0.99"}});
  REQUIRE(p99);
  CHECK(p99->value == Approx(0.00198).epsilon(0.02));  // uniform on [0, 2 ms)

  // The view's own counters: 123 predictions seen, 13 sampled (1st of every 10).
  CHECK(d.type.at("rill_live_predictions_total") == "counter");
  CHECK(find_sample(d, "rill_live_predictions_total")->value == 123);
  CHECK(find_sample(d, "rill_live_sampled_total")->value == 13);
  CHECK(find_sample(d, "rill_live_rejected_total", {{"reason", "method"}})->value == 0);
  server.stop();
}

TEST_CASE("/events delivers every record in order with increasing ids", "[http]") {
  rill::live_feed feed({.sample_every = 1, .capacity = 4096});
  auto o = test_options();
  o.client_buffer = 4096;
  rill::live_server server(o);
  server.add_feed(feed);
  server.start();

  constexpr std::size_t n = 2000;
  std::vector<sse_message> records;
  std::atomic<int> stats{0};
  std::thread reader([&] {
    httplib::Client cli("127.0.0.1", server.port());
    cli.set_read_timeout(5, 0);
    std::string buffer;
    cli.Get("/events", [&](const char* data, std::size_t len) {
      buffer.append(data, len);
      for (auto& m : take_messages(buffer)) {
        if (m.event == "stats") ++stats;
        else records.push_back(m);
      }
      return records.size() < n + 2;
    });
  });
  REQUIRE(wait_for([&] { return server.counts().event_clients == 1; }));
  for (std::uint64_t i = 0; i < n; ++i) {
    feed.on_prediction(i, static_cast<std::int64_t>(i) * 10, static_cast<double>(i) / 4, 1.0);
    if (i % 256 == 255) std::this_thread::sleep_for(1ms);  // stay below the queue's capacity
  }
  feed.on_drift(n, 5, 2.5);
  feed.on_model_version(2, 6);
  reader.join();

  REQUIRE(records.size() == n + 2);
  CHECK(feed.counts().queue.dropped_full == 0);
  CHECK(server.counts().records_skipped == 0);
  for (std::size_t i = 0; i < records.size(); ++i) {
    INFO("record " << i << ": " << records[i].data);
    CHECK(std::stoull(records[i].id) == i + 1);  // the first record has id 1, then +1 each
    if (i < n) {
      CHECK(json_field(records[i].data, "kind") == "prediction");
      CHECK(std::stoull(json_field(records[i].data, "id")) == i);
      CHECK(std::stod(json_field(records[i].data, "value")) == static_cast<double>(i) / 4);
      CHECK(json_field(records[i].data, "label") == "1");
    }
  }
  CHECK(json_field(records[n].data, "kind") == "drift");
  CHECK(json_field(records[n + 1].data, "kind") == "model_version");
  CHECK(json_field(records[n + 1].data, "version") == "2");
  CHECK(stats >= 1);  // the first stats message comes at once
  server.stop();
}

TEST_CASE("a stalled /events client does not slow the producer", "[http]") {
  constexpr std::uint64_t n = 1'000'000;
  auto push_all = [&](rill::live_feed& feed, std::uint64_t first) {
    const auto t0 = steady::now();
    for (std::uint64_t i = first; i < first + n; ++i)
      feed.on_prediction(i, static_cast<std::int64_t>(i), 0.5);
    return std::chrono::duration<double>(steady::now() - t0).count();
  };

  rill::live_feed feed({.sample_every = 1, .capacity = 4096});  // every prediction offered
  auto o = test_options();
  o.client_buffer = 256;
  rill::live_server server(o);
  server.add_feed(feed);
  server.start();

  const double alone = push_all(feed, 0);  // server draining, no client

  // Connects with a tiny receive buffer, asks for the stream, and never reads.
  const int fd = connect_loopback(server.port(), 1024);
  send_all(fd, "GET /events HTTP/1.1\r\nHost: 127.0.0.1\r\n\r\n");
  REQUIRE(wait_for([&] { return server.counts().event_clients == 1; }));

  const double stalled = push_all(feed, n);
  INFO("1e6 offers: " << alone << " s without a client, " << stalled << " s with a stalled one");
  CHECK(stalled < slack * (3 * alone + 0.25));

  // The pump fills the stalled client's 256-record buffer and then skips, counted.
  const bool skipped = wait_for([&] {
    if (server.counts().records_skipped > 0) return true;
    feed.on_prediction(0, 0, 0.5);  // keep records coming if the burst was all drained already
    return false;
  }, 10000ms);
  CHECK(skipped);
  const auto q = feed.counts().queue;
  CHECK(q.waits == 0);
  CHECK(q.offered == feed.counts().sampled);
  CHECK(q.offered == q.accepted + q.dropped_full);  // every offer accounted for

  const auto t0 = steady::now();
  server.stop();  // returns although the client still reads nothing
  CHECK(std::chrono::duration<double>(steady::now() - t0).count() < 5.0);
  ::close(fd);
  const auto c = server.counts();
  CHECK(c.records_sent + c.records_skipped <= c.records);
}

TEST_CASE("the server is read-only and bounded", "[http]") {
  auto o = test_options();
  o.max_request_bytes = 4096;
  o.max_connections = 4;
  o.max_event_clients = 1;
  rill::live_server server(o);
  server.start();
  const auto port = server.port();
  const std::string host = "Host: 127.0.0.1:" + std::to_string(port) + "\r\n";

  SECTION("GET / is the dashboard, self-contained") {
    const auto r = raw_exchange(port, "GET / HTTP/1.1\r\n" + host + "Connection: close\r\n\r\n");
    CHECK(status_line(r) == "HTTP/1.1 200 OK");
    CHECK(r.find("<canvas") != std::string::npos);
    CHECK(r.find("EventSource(\"/events\")") != std::string::npos);
    CHECK(r.find("src=\"http") == std::string::npos);   // no external script or image
    CHECK(r.find("href=\"http") == std::string::npos);  // no external style sheet
    CHECK(r.find("/*RILL_CONFIG*/") == std::string::npos);  // configuration filled in
  }
  SECTION("anything but GET is 405") {
    for (const char* method : {"POST", "PUT", "DELETE", "PATCH", "OPTIONS", "HEAD"}) {
      const auto r = raw_exchange(
          port, std::string(method) + " /metrics HTTP/1.1\r\n" + host + "Content-Length: 1\r\n\r\nx");
      INFO(method);
      CHECK(status_line(r) == "HTTP/1.1 405 Method Not Allowed");
      CHECK(r.find("Allow: GET\r\n") != std::string::npos);
    }
    CHECK(server.counts().rejected_method == 6);
  }
  SECTION("oversized requests are refused") {
    const std::string pad(5000, 'a');
    const auto big_head = raw_exchange(port, "GET /metrics HTTP/1.1\r\n" + host + "X-Pad: " + pad + "\r\n\r\n");
    CHECK(status_line(big_head) == "HTTP/1.1 431 Request Header Fields Too Large");
    const auto big_body = raw_exchange(port, "GET /metrics HTTP/1.1\r\n" + host + "Content-Length: 100000000\r\n\r\n");
    CHECK(status_line(big_body) == "HTTP/1.1 413 Payload Too Large");
    CHECK(server.counts().rejected_size == 2);
  }
  SECTION("a foreign Host is refused on a loopback bind") {
    const auto r = raw_exchange(port, "GET /metrics HTTP/1.1\r\nHost: attacker.example\r\n\r\n");
    CHECK(status_line(r) == "HTTP/1.1 421 Misdirected Request");
  }
  SECTION("unknown paths are 404") {
    const auto r = raw_exchange(port, "GET /admin HTTP/1.1\r\n" + host + "Connection: close\r\n\r\n");
    CHECK(status_line(r) == "HTTP/1.1 404 Not Found");
  }
  SECTION("connections and streams over the limits get 503") {
    const int stream = connect_loopback(port);
    send_all(stream, "GET /events HTTP/1.1\r\n" + host + "\r\n");
    REQUIRE(wait_for([&] { return server.counts().event_clients == 1; }));
    const auto second = raw_exchange(port, "GET /events HTTP/1.1\r\n" + host + "\r\n");
    CHECK(status_line(second) == "HTTP/1.1 503 Service Unavailable");
    std::this_thread::sleep_for(slack * 150ms);  // its worker sees the close and is free again
    // Three idle connections fill the pool of 4 with the stream; the next is turned away.
    std::vector<int> idle;
    for (int i = 0; i < 3; ++i) idle.push_back(connect_loopback(port));
    std::this_thread::sleep_for(slack * 150ms);  // let the server accept them
    const auto over = raw_exchange(port, "GET /metrics HTTP/1.1\r\n" + host + "\r\n");
    CHECK(status_line(over) == "HTTP/1.1 503 Service Unavailable");
    CHECK(server.counts().rejected_connections == 2);
    for (int fd : idle) ::close(fd);
    ::close(stream);
  }
  server.stop();
}
