// rill::redis against a real redis-server on a loopback port (tests/redis/redis_server.hpp):
// consumer groups sharing a stream, a consumer killed with SIGKILL and restarted, the
// server killed and restarted, dead letters, model distribution, backoff.
//
// Every input entry i carries a=i, b=i%7, c=i%3, d=i%5 and the pipeline scores it as
// a - b + 2c + d, so each output entry is checked against the input entry its `src`
// names: a result attached to the wrong entry fails the test. Sizes: RILL_REDIS_N
// (default 1'000'000) for the shared-stream test, a tenth of it for the failure tests.
#include <fcntl.h>
#include <signal.h>
#include <sys/wait.h>
#include <unistd.h>

#include <atomic>
#include <charconv>
#include <csignal>
#include <chrono>
#include <cstdint>
#include <cstdio>
#include <cstdlib>
#include <fstream>
#include <map>
#include <string>
#include <thread>
#include <unordered_map>
#include <vector>

#include "catch.hpp"
#include "redis_server.hpp"
#include "rill/core/pipeline.hpp"
#include "rill/model/linear.hpp"
#include "rill/redis/connection.hpp"
#include "rill/redis/model_channel.hpp"
#include "rill/redis/stream_sink.hpp"
#include "rill/redis/stream_source.hpp"
#include "rill/runtime/event_queue.hpp"
#include "rill/runtime/model_slot.hpp"
#include "rill/runtime/queue_source.hpp"
#include "rill/runtime/runner.hpp"

namespace {

using namespace std::chrono_literals;
using ev = rill::event<4>;
using pred = rill::prediction<float>;
using rill::redis::connection;
using rill::redis::reply;

std::uint64_t env_n(std::uint64_t dflt) {
  const char* s = std::getenv("RILL_REDIS_N");
  return s ? std::strtoull(s, nullptr, 10) : dflt;
}

float expected(std::uint64_t i) {
  return static_cast<float>(i) - static_cast<float>(i % 7) + 2.0f * static_cast<float>(i % 3) +
         static_cast<float>(i % 5);
}

using rill_test::score;

// Appends entries [from, to) to `stream`, pipelined; `bad(i)` may replace an entry's
// fields with a broken set. Returns the ids in order.
template <class Bad>
std::vector<std::string> feed(connection& c, const std::string& stream, std::uint64_t from, std::uint64_t to,
                              Bad&& bad) {
  std::vector<std::string> ids;
  ids.reserve(to - from);
  std::vector<std::string> args;
  std::vector<std::string_view> views;
  bool ok = true;  // one REQUIRE at the end: a million Catch assertions would cost seconds
  for (std::uint64_t lo = from; lo < to && ok; lo += 1000) {
    const std::uint64_t hi = std::min(to, lo + 1000);
    for (std::uint64_t i = lo; i < hi; ++i) {
      args = {"XADD", stream, "*", "a", std::to_string(i), "b", std::to_string(i % 7),
              "c", std::to_string(i % 3), "d", std::to_string(i % 5)};
      bad(i, args);
      views.assign(args.begin(), args.end());
      ok = ok && c.append(views);
    }
    for (std::uint64_t i = lo; i < hi && ok; ++i) {
      auto r = c.read();
      ok = r && r->type == reply::kind::string;
      if (ok) ids.push_back(std::move(r->str));
    }
  }
  REQUIRE(ok);
  return ids;
}
std::vector<std::string> feed(connection& c, const std::string& stream, std::uint64_t from, std::uint64_t to) {
  return feed(c, stream, from, to, [](std::uint64_t, std::vector<std::string>&) {});
}

// (src, value) of every entry of `stream`, in order.
std::vector<std::pair<std::string, std::string>> read_output(connection& c, const std::string& stream) {
  std::vector<std::pair<std::string, std::string>> out;
  std::string start = "-";
  for (;;) {
    auto r = c.command({"XRANGE", stream, start, "+", "COUNT", "20000"});
    REQUIRE(r);
    REQUIRE(r->type == reply::kind::array);
    if (r->elements.empty()) break;
    for (const auto& e : r->elements) {
      std::string src, value;
      const auto& kv = e.elements[1].elements;
      for (std::size_t k = 0; k + 1 < kv.size(); k += 2) {
        if (kv[k].str == "src") src = kv[k + 1].str;
        if (kv[k].str == "value") value = kv[k + 1].str;
      }
      out.emplace_back(std::move(src), std::move(value));
    }
    start = "(" + r->elements.back().elements[0].str;
  }
  return out;
}

struct group_state {
  long long pending = -1;
  std::string last_delivered;
  long long consumers = 0;
};

group_state group_info(connection& c, const std::string& stream, const std::string& group) {
  group_state g;
  auto r = c.command({"XINFO", "GROUPS", stream});
  if (!r || r->type != reply::kind::array) return g;
  for (const auto& grp : r->elements) {
    std::map<std::string, const reply*> kv;
    for (std::size_t k = 0; k + 1 < grp.elements.size(); k += 2) kv[grp.elements[k].str] = &grp.elements[k + 1];
    if (kv.count("name") == 0 || kv["name"]->str != group) continue;
    g.pending = kv.count("pending") ? kv["pending"]->integer : -1;
    g.last_delivered = kv.count("last-delivered-id") ? kv["last-delivered-id"]->str : "";
    g.consumers = kv.count("consumers") ? kv["consumers"]->integer : 0;
  }
  return g;
}

// Waits until the group has delivered `last_id` and nothing is pending.
bool wait_consumed(connection& c, const std::string& stream, const std::string& group, const std::string& last_id,
                   std::chrono::seconds timeout) {
  const auto until = std::chrono::steady_clock::now() + timeout;
  while (std::chrono::steady_clock::now() < until) {
    if (c.ensure()) {
      const auto g = group_info(c, stream, group);
      if (g.pending == 0 && g.last_delivered == last_id) return true;
    }
    std::this_thread::sleep_for(50ms);
  }
  return false;
}

// One consumer: source -> queue -> pipeline (runner) -> queue -> sink.
struct consumer_config {
  rill::redis::connection_options redis;
  std::string name;
  std::string in = "in", out = "out", group = "g";
  std::size_t max_in_flight = 4096;
  std::chrono::milliseconds min_idle{30000};
};

struct consumer_result {
  rill::redis::source_counts source;
  rill::redis::sink_counts sink;
  rill::queue_counts in_queue, out_queue;
};

template <class StopFn>
consumer_result run_consumer(const consumer_config& cfg, StopFn&& should_stop) {
  rill::event_queue<ev, rill::queue_kind::spsc> in({.capacity = 2048, .policy = rill::overflow_policy::block,
                                                    .wait = rill::wait_strategy::sleep});
  rill::event_queue<pred, rill::queue_kind::spsc> out({.capacity = 8192, .policy = rill::overflow_policy::block,
                                                       .wait = rill::wait_strategy::sleep});
  rill::redis::stream_source_options so;
  so.redis = cfg.redis;
  so.stream = cfg.in;
  so.group = cfg.group;
  so.consumer = cfg.name;
  so.fields = {"a", "b", "c", "d"};
  so.max_in_flight = cfg.max_in_flight;
  so.min_idle = cfg.min_idle;
  so.count = 256;
  so.block = 50ms;
  rill::redis::stream_source<4> source(in, so);
  rill::redis::stream_sink_options ko;
  ko.redis = cfg.redis;
  ko.stream = cfg.out;
  rill::redis::stream_sink<pred> sink(out, source, ko);
  auto pipe = rill::pipeline{score{}, rill::queue_sink<pred, rill::queue_kind::spsc>(out)};
  rill::queue_source<ev, rill::queue_kind::spsc, 128> drain(in);
  rill::runner run(drain, pipe, rill::wait_strategy::sleep);
  run.start();
  sink.start();
  source.start();
  while (!should_stop()) std::this_thread::sleep_for(5ms);
  // The order that loses nothing: stop reading, drain the pipeline, flush the sink.
  source.stop();
  run.stop(rill::stop_mode::drain);
  sink.stop();
  return {source.counts(), sink.counts(), in.counts(), out.counts()};
}

// Consumers in child processes, so one can be killed with SIGKILL.
volatile sig_atomic_t g_term = 0;
extern "C" void on_term(int) { g_term = 1; }

struct child {
  pid_t pid = -1;
  std::string counts_file;
};

child spawn_consumer(const consumer_config& cfg, const std::string& dir) {
  static int serial = 0;
  child c;
  c.counts_file = dir + "/" + cfg.name + "." + std::to_string(serial++) + ".counts";
  std::fflush(nullptr);
  c.pid = ::fork();
  REQUIRE(c.pid >= 0);
  if (c.pid == 0) {
    g_term = 0;
    std::signal(SIGTERM, on_term);
    const auto r = run_consumer(cfg, [] { return g_term != 0; });
    std::ofstream f(c.counts_file);
    f << "read " << r.source.read << "\npushed " << r.source.pushed << "\nreclaimed_own " << r.source.reclaimed_own
      << "\nclaimed_idle " << r.source.claimed_idle << "\ndead_lettered " << r.source.dead_lettered
      << "\nnot_delivered " << r.source.not_delivered << "\ntaken " << r.sink.taken << "\nwritten "
      << r.sink.written << "\nacked " << r.sink.acked << "\nrewritten " << r.sink.rewritten << "\nunknown "
      << r.sink.unknown << "\nabandoned " << r.sink.abandoned << "\nsource_reconnects "
      << r.source.connection.reconnects << "\nsink_reconnects " << r.sink.connection.reconnects
      << "\nin_flight " << r.source.in_flight << "\nprocessed " << r.in_queue.processed << "\n";
    f.close();
    std::_Exit(0);
  }
  return c;
}

std::map<std::string, std::uint64_t> stop_consumer(child& c) {
  ::kill(c.pid, SIGTERM);
  int status = 0;
  ::waitpid(c.pid, &status, 0);
  CHECK(WIFEXITED(status));
  CHECK(WEXITSTATUS(status) == 0);
  std::map<std::string, std::uint64_t> m;
  std::ifstream f(c.counts_file);
  std::string k;
  std::uint64_t v;
  while (f >> k >> v) m[k] = v;
  REQUIRE(!m.empty());
  return m;
}

// Output entries per input entry; checks every value against its src.
struct tally {
  std::vector<std::uint32_t> per_input;
  std::uint64_t total = 0, wrong_value = 0, unknown_src = 0;
  std::uint64_t missing() const {
    std::uint64_t m = 0;
    for (auto n : per_input) m += n == 0;
    return m;
  }
  std::uint64_t duplicates() const {
    std::uint64_t d = 0;
    for (auto n : per_input) d += n > 1 ? n - 1 : 0;
    return d;
  }
};

tally count_outputs(connection& c, const std::string& out, const std::vector<std::string>& ids,
                    const std::vector<std::uint64_t>& index_of_id) {
  std::unordered_map<std::string, std::uint64_t> pos;
  pos.reserve(ids.size() * 2);
  for (std::size_t k = 0; k < ids.size(); ++k) pos.emplace(ids[k], k);
  tally t;
  t.per_input.assign(ids.size(), 0);
  for (const auto& [src, value] : read_output(c, out)) {
    ++t.total;
    const auto it = pos.find(src);
    if (it == pos.end()) {
      ++t.unknown_src;
      continue;
    }
    ++t.per_input[it->second];
    float v = 0;
    const auto r = std::from_chars(value.data(), value.data() + value.size(), v);
    if (r.ec != std::errc{} || v != expected(index_of_id[it->second])) ++t.wrong_value;
  }
  return t;
}

std::vector<std::uint64_t> iota_n(std::uint64_t n) {
  std::vector<std::uint64_t> v(n);
  for (std::uint64_t i = 0; i < n; ++i) v[i] = i;
  return v;
}

}  // namespace

TEST_CASE("two consumers in one group share the stream: every result exactly once", "[redis]") {
  const std::uint64_t n = env_n(1'000'000);
  rill_test::redis_server server;
  connection c(server.options());
  REQUIRE(c.ensure());
  consumer_config a{server.options(), "c1"}, b{server.options(), "c2"};
  auto ca = spawn_consumer(a, server.dir());
  auto cb = spawn_consumer(b, server.dir());
  // Feed once both are reading, so that they share the stream from the first entry.
  for (int i = 0; i < 400 && group_info(c, "in", "g").consumers < 2; ++i) std::this_thread::sleep_for(10ms);
  REQUIRE(group_info(c, "in", "g").consumers == 2);
  const auto t0 = std::chrono::steady_clock::now();
  const auto ids = feed(c, "in", 0, n);
  REQUIRE(wait_consumed(c, "in", "g", ids.back(), 240s));
  const double secs = std::chrono::duration<double>(std::chrono::steady_clock::now() - t0).count();
  const auto ra = stop_consumer(ca), rb = stop_consumer(cb);
  const auto t = count_outputs(c, "out", ids, iota_n(n));
  std::printf("[shared] %llu events, 2 consumers (%llu + %llu) in %.2f s: %.0f events/s in total\n",
              static_cast<unsigned long long>(n), static_cast<unsigned long long>(ra.at("pushed")),
              static_cast<unsigned long long>(rb.at("pushed")), secs, static_cast<double>(n) / secs);
  CHECK(t.missing() == 0);
  CHECK(t.duplicates() == 0);
  CHECK(t.total == n);
  CHECK(t.wrong_value == 0);
  CHECK(t.unknown_src == 0);
  CHECK(ra.at("pushed") + rb.at("pushed") == n);
  CHECK(ra.at("pushed") > 0);
  CHECK(rb.at("pushed") > 0);
  for (const auto* r : {&ra, &rb}) {
    CHECK(r->at("read") == r->at("pushed"));
    CHECK(r->at("written") == r->at("pushed"));
    CHECK(r->at("acked") == r->at("pushed"));
    CHECK(r->at("rewritten") == 0);
    CHECK(r->at("dead_lettered") == 0);
    CHECK(r->at("reclaimed_own") == 0);
    CHECK(r->at("in_flight") == 0);
  }
}

TEST_CASE("a consumer killed with SIGKILL and restarted loses nothing; duplicates are bounded", "[redis]") {
  // Enough events that the victim still holds some when it is killed, even under ASan.
  const std::uint64_t n = std::max<std::uint64_t>(env_n(1'000'000) / 10, 50'000);
  rill_test::redis_server server;
  connection c(server.options());
  REQUIRE(c.ensure());
  const auto ids = feed(c, "in", 0, n);
  consumer_config a{server.options(), "victim"}, b{server.options(), "survivor"};
  auto cb = spawn_consumer(b, server.dir());
  auto ca = spawn_consumer(a, server.dir());
  // Kill the victim once it has written some results and has entries in flight.
  std::uint64_t victim_pending = 0;
  for (int i = 0; i < 5000; ++i) {
    auto len = c.command({"XLEN", "out"});
    auto p = c.command({"XPENDING", "in", "g", "-", "+", "100000", "victim"});
    victim_pending = p ? p->elements.size() : 0;
    if (len && static_cast<std::uint64_t>(len->integer) >= n / 4 && victim_pending > 0) break;
    std::this_thread::sleep_for(2ms);
  }
  ::kill(ca.pid, SIGKILL);
  int status = 0;
  ::waitpid(ca.pid, &status, 0);
  REQUIRE(WIFSIGNALED(status));
  auto p = c.command({"XPENDING", "in", "g", "-", "+", "100000", "victim"});
  REQUIRE(p);
  const std::uint64_t stranded = p->elements.size();  // what the victim had in flight
  auto ca2 = spawn_consumer(a, server.dir());        // same name: it reclaims its own pending
  REQUIRE(wait_consumed(c, "in", "g", ids.back(), 120s));
  const auto ra = stop_consumer(ca2), rb = stop_consumer(cb);
  const auto t = count_outputs(c, "out", ids, iota_n(n));
  std::printf("[sigkill] %llu events; victim had %llu in flight at the kill; restart reclaimed %llu; "
              "%llu duplicates in the output\n",
              static_cast<unsigned long long>(n), static_cast<unsigned long long>(stranded),
              static_cast<unsigned long long>(ra.at("reclaimed_own")),
              static_cast<unsigned long long>(t.duplicates()));
  CHECK(stranded > 0);
  CHECK(t.missing() == 0);
  CHECK(t.wrong_value == 0);
  CHECK(t.unknown_src == 0);
  CHECK(ra.at("reclaimed_own") == stranded);
  // A duplicate is a stranded entry whose result was written before the kill.
  CHECK(t.duplicates() <= stranded);
  CHECK(t.duplicates() <= a.max_in_flight);
  CHECK(t.total == n + t.duplicates());
  CHECK(rb.at("rewritten") == 0);
}

TEST_CASE("redis-server killed and restarted mid-stream: the consumers reconnect, nothing lost", "[redis]") {
  const std::uint64_t n = std::max<std::uint64_t>(env_n(1'000'000) / 10, 2000);
  rill_test::redis_server server(/*fsync_always=*/true);
  connection c(server.options());
  REQUIRE(c.ensure());
  const auto ids = feed(c, "in", 0, n);
  consumer_config a{server.options(), "c1"}, b{server.options(), "c2"};
  auto ca = spawn_consumer(a, server.dir());
  auto cb = spawn_consumer(b, server.dir());
  for (int i = 0; i < 4000; ++i) {
    auto len = c.command({"XLEN", "out"});
    if (len && static_cast<std::uint64_t>(len->integer) >= n / 3) break;
    std::this_thread::sleep_for(2ms);
  }
  server.kill(SIGKILL);
  c.disconnect();
  std::this_thread::sleep_for(300ms);  // the consumers see the loss and back off
  server.start();
  REQUIRE(c.ensure());
  REQUIRE(wait_consumed(c, "in", "g", ids.back(), 120s));
  const auto ra = stop_consumer(ca), rb = stop_consumer(cb);
  const auto t = count_outputs(c, "out", ids, iota_n(n));
  const std::uint64_t rewritten = ra.at("rewritten") + rb.at("rewritten");
  std::printf("[restart] %llu events; reconnects source %llu+%llu sink %llu+%llu; %llu results rewritten, "
              "%llu duplicates in the output\n",
              static_cast<unsigned long long>(n), static_cast<unsigned long long>(ra.at("source_reconnects")),
              static_cast<unsigned long long>(rb.at("source_reconnects")),
              static_cast<unsigned long long>(ra.at("sink_reconnects")),
              static_cast<unsigned long long>(rb.at("sink_reconnects")), static_cast<unsigned long long>(rewritten),
              static_cast<unsigned long long>(t.duplicates()));
  CHECK(t.missing() == 0);
  CHECK(t.wrong_value == 0);
  CHECK(t.unknown_src == 0);
  CHECK(ra.at("source_reconnects") >= 1);
  CHECK(rb.at("source_reconnects") >= 1);
  CHECK(ra.at("sink_reconnects") >= 1);
  CHECK(rb.at("sink_reconnects") >= 1);
  // With appendfsync always every confirmed write survived; a duplicate can only be a
  // batch whose reply the crash cut off, and those were counted as rewritten.
  CHECK(t.duplicates() <= rewritten);
  CHECK(ra.at("abandoned") + rb.at("abandoned") == 0);
}

TEST_CASE("unparsable entries go to the dead-letter stream, counted and acknowledged", "[redis]") {
  const std::uint64_t n = 5000;
  rill_test::redis_server server;
  connection c(server.options());
  REQUIRE(c.ensure());
  std::map<std::uint64_t, std::string> bad;  // index -> reason expected
  const auto ids = feed(c, "in", 0, n, [&](std::uint64_t i, std::vector<std::string>& args) {
    if (i % 500 == 7) {  // a field missing
      args = {"XADD", "in", "*", "a", "1", "b", "2", "c", "3"};
      bad[i] = "missing field: d";
    } else if (i % 500 == 123) {  // not a number
      args[6] = "x1";
      bad[i] = "not a number: b";
    } else if (i % 1000 == 999) {  // trailing garbage
      args[10] = "4.5kg";
      bad[i] = "not a number: d";
    }
  });
  std::atomic<bool> stop{false};
  consumer_result r;
  std::thread consumer([&] { r = run_consumer({server.options(), "solo"}, [&] { return stop.load(); }); });
  const bool done = wait_consumed(c, "in", "g", ids.back(), 60s);
  stop = true;
  consumer.join();
  REQUIRE(done);
  CHECK(r.source.dead_lettered == bad.size());
  CHECK(r.source.read == n);
  CHECK(r.source.pushed == n - bad.size());
  CHECK(r.sink.written == n - bad.size());
  // Every bad entry is in the dead-letter stream with its reason; none has a result.
  auto dl = c.command({"XRANGE", "in:dead", "-", "+"});
  REQUIRE(dl);
  REQUIRE(dl->elements.size() == bad.size());
  std::map<std::string, std::string> got;
  for (const auto& e : dl->elements) {
    std::map<std::string, std::string> kv;
    for (std::size_t k = 0; k + 1 < e.elements[1].elements.size(); k += 2)
      kv[e.elements[1].elements[k].str] = e.elements[1].elements[k + 1].str;
    got[kv["src"]] = kv["reason"];
  }
  for (const auto& [i, reason] : bad) CHECK(got[ids[i]] == reason);
  std::vector<std::string> good_ids;
  std::vector<std::uint64_t> good_index;
  for (std::uint64_t i = 0; i < n; ++i)
    if (!bad.count(i)) good_ids.push_back(ids[i]), good_index.push_back(i);
  const auto t = count_outputs(c, "out", good_ids, good_index);
  CHECK(t.missing() == 0);
  CHECK(t.duplicates() == 0);
  CHECK(t.unknown_src == 0);  // no result for a dead-lettered entry
  CHECK(t.wrong_value == 0);
  CHECK(group_info(c, "in", "g").pending == 0);
}

TEST_CASE("entries stranded with a consumer that never returns are claimed after min_idle", "[redis]") {
  const std::uint64_t n = 3000, stranded = 1000;
  rill_test::redis_server server;
  connection c(server.options());
  REQUIRE(c.ensure());
  REQUIRE(c.command({"XGROUP", "CREATE", "in", "g", "0", "MKSTREAM"}));
  const auto ids = feed(c, "in", 0, n);
  // A consumer that reads 1000 entries and dies without a trace.
  auto r = c.command({"XREADGROUP", "GROUP", "g", "ghost", "COUNT", std::to_string(stranded), "STREAMS", "in", ">"});
  REQUIRE(r);
  REQUIRE(r->elements.at(0).elements.at(1).elements.size() == stranded);
  std::this_thread::sleep_for(150ms);
  std::atomic<bool> stop{false};
  consumer_result res;
  consumer_config cfg{server.options(), "solo"};
  cfg.min_idle = 100ms;
  std::thread consumer([&] { res = run_consumer(cfg, [&] { return stop.load(); }); });
  const bool done = wait_consumed(c, "in", "g", ids.back(), 60s);
  stop = true;
  consumer.join();
  REQUIRE(done);
  CHECK(res.source.claimed_idle == stranded);
  CHECK(res.source.reclaimed_own == 0);
  CHECK(res.source.read == n);
  CHECK(res.sink.acked == n);
  const auto t = count_outputs(c, "out", ids, iota_n(n));
  CHECK(t.missing() == 0);
  CHECK(t.duplicates() == 0);
  CHECK(t.wrong_value == 0);
}

TEST_CASE("model channel: the follower loads newer checkpoints into the slot, refuses bad ones", "[redis]") {
  using model_t = rill::linear_model<4>;
  rill_test::redis_server server;
  rill::redis::model_channel_options o;
  o.redis = server.options();
  o.key = "m";
  o.block = 50ms;
  rill::redis::model_publisher pub(o);
  model_t m1;
  m1.weights = {{1, 2, 3, 4}};
  m1.bias = 0.5f;
  m1.version = 1;
  REQUIRE(pub.publish_model(m1));  // before the follower starts: loaded at start

  rill::model_slot<model_t> slot(model_t{});
  rill::slot_reader<model_t> reader(slot);
  rill::redis::model_follower<model_t> follower(slot, o);
  follower.start();
  auto wait_version = [&](std::uint64_t v) {
    for (int i = 0; i < 500 && follower.version() != v; ++i) std::this_thread::sleep_for(10ms);
    return follower.version() == v;
  };
  REQUIRE(wait_version(1));
  reader.refresh();
  CHECK(reader.model().weights == m1.weights);
  CHECK(reader.model().bias == 0.5f);
  CHECK(reader.model().version == 1);

  model_t m2 = m1;
  m2.weights = {{-1, 0, 1, 2}};
  m2.version = 2;
  REQUIRE(pub.publish_model(m2));
  REQUIRE(wait_version(2));
  reader.refresh();
  CHECK(reader.model().weights == m2.weights);
  CHECK(reader.model().version == 2);

  // A corrupt checkpoint (bad CRC) and one of another shape are refused; the slot
  // keeps version 2.
  auto bytes = [&] {
    rill::checkpoint_writer w;
    rill::save_state(w, m2, "model");
    return w.bytes();
  }();
  bytes[bytes.size() / 2] ^= std::byte{0x40};
  // One at a time: a follower that finds several new entries loads only the newest
  // (the others count as skipped), and here each must be judged on its own.
  auto wait_counts = [&](std::uint64_t rejected, std::uint64_t skipped) {
    for (int i = 0; i < 500; ++i) {
      const auto k = follower.counts();
      if (k.rejected == rejected && k.skipped == skipped) return true;
      std::this_thread::sleep_for(10ms);
    }
    return false;
  };
  REQUIRE(pub.publish(bytes, 3));
  CHECK(wait_counts(1, 0));
  rill::linear_model<5> wide;
  wide.version = 4;
  REQUIRE(pub.publish_model(wide));
  CHECK(wait_counts(2, 0));
  // An older version is skipped.
  REQUIRE(pub.publish_model(m1));
  CHECK(wait_counts(2, 1));
  follower.stop();
  const auto fc = follower.counts();
  CHECK(fc.loaded == 2);
  CHECK(fc.rejected == 2);
  CHECK(fc.skipped == 1);
  CHECK(fc.version == 2);
  CHECK(slot.publications() == 3);  // the initial model + versions 1 and 2
  CHECK(pub.counts().published == 5);
}

TEST_CASE("connection: capped exponential backoff while the server is away, counted", "[redis]") {
  rill::redis::connection_options o;
  o.port = rill_test::free_port();  // nobody listens
  o.backoff_initial = 5ms;
  o.backoff_max = 40ms;
  connection c(o);
  std::atomic<bool> cancel{false};
  std::thread t([&] {
    std::this_thread::sleep_for(400ms);
    cancel = true;
  });
  const auto t0 = std::chrono::steady_clock::now();
  CHECK_FALSE(c.ensure(&cancel));
  t.join();
  const double ms = std::chrono::duration<double, std::milli>(std::chrono::steady_clock::now() - t0).count();
  const auto k = c.counts();
  // Waits 5, 10, 20, 40, 40, ... ms: about 12 attempts in 400 ms (exponential without
  // a cap would make 7, no backoff thousands).
  CHECK(k.connect_failures >= 8);
  CHECK(k.connect_failures <= 16);
  CHECK(k.connects == 0);
  CHECK(ms >= 390);
  CHECK_FALSE(c.command({"PING"}));

  CHECK_THROWS_AS(connection(rill::redis::connection_options{.host = "", .port = 1}), std::invalid_argument);
  rill::redis::connection_options bad;
  bad.backoff_initial = 2s;
  bad.backoff_max = 1s;
  CHECK_THROWS_AS(connection(bad), std::invalid_argument);
  rill::event_queue<ev, rill::queue_kind::spsc> dropping({.capacity = 16, .policy = rill::overflow_policy::drop_newest});
  rill::redis::stream_source_options so;
  so.stream = "s";
  so.group = "g";
  so.consumer = "c";
  so.fields = {"a", "b", "c", "d"};
  CHECK_THROWS_AS((rill::redis::stream_source<4>(dropping, so)), std::invalid_argument);
}
