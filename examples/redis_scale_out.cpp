// Scale-out on Redis Streams: one program, three roles chosen by argv.
//
//   redis_scale_out feed  [csv]   replay data/elec2.csv into the stream "elec2:in"
//   redis_scale_out infer NAME    score events as consumer NAME of group "infer",
//                                 with the newest model from "elec2:model"
//   redis_scale_out learn         learn from every event (group "learn"), publish a
//                                 checkpoint every 2,000 updates
//
// Environment: REDIS_PORT (default 6379). examples/redis_scale_out.sh starts a private
// redis-server and runs feed + two infer + one learn. Each role ends once "elec2:fed"
// is set and its group has nothing left to read.
//
// Threads in infer and learn: the source's I/O thread reads the stream, the pipeline
// thread (a runner) scores or learns without touching the network, the sink's I/O
// thread writes results and acknowledges; the model follower (infer) and a publisher
// thread (learn) move checkpoints.
#include <atomic>
#include <chrono>
#include <cstdint>
#include <cstdio>
#include <cstdlib>
#include <string>
#include <thread>
#include <vector>

#include "rill/core/pipeline.hpp"
#include "rill/io/csv.hpp"
#include "rill/metrics/exposition.hpp"
#include "rill/metrics/registry.hpp"
#include "rill/io/sinks.hpp"
#include "rill/learn/linear_learner.hpp"
#include "rill/model/linear.hpp"
#include "rill/model/predict.hpp"
#include "rill/redis/connection.hpp"
#include "rill/redis/model_channel.hpp"
#include "rill/redis/stream_sink.hpp"
#include "rill/redis/stream_source.hpp"
#include "rill/runtime/model_slot.hpp"
#include "rill/runtime/queue_source.hpp"
#include "rill/runtime/runner.hpp"

namespace {

using namespace std::chrono_literals;
constexpr std::size_t D = 7;  // day, period, nswprice, nswdemand, vicprice, vicdemand, transfer
using model_t = rill::linear_model<D>;
const std::vector<std::string> feature_names = {"day", "period", "nswprice", "nswdemand",
                                                "vicprice", "vicdemand", "transfer"};

rill::redis::connection_options redis_options() {
  rill::redis::connection_options o;
  if (const char* p = std::getenv("REDIS_PORT")) o.port = std::atoi(p);
  return o;
}

std::int64_t wall_ns() {
  return std::chrono::duration_cast<std::chrono::nanoseconds>(
             std::chrono::system_clock::now().time_since_epoch())
      .count();
}

int feed(const char* path) {
  rill::redis::connection c(redis_options());
  if (!c.ensure()) return 1;
  c.command({"DEL", "elec2:fed"});
  rill::csv_reader csv(path);
  std::vector<std::size_t> col;  // feature columns, then class_up
  for (const auto& name : feature_names) col.push_back(rill::csv_table{csv.columns(), {}}.column_index(name));
  col.push_back(rill::csv_table{csv.columns(), {}}.column_index("class_up"));
  std::vector<double> row(csv.columns().size());
  std::uint64_t sent = 0, pending = 0;
  std::vector<std::string> args;
  std::vector<std::string_view> views;
  auto flush = [&] {
    for (; pending; --pending)
      if (auto r = c.read(); !r || r->is_error()) return false;
    return true;
  };
  while (csv.next(row)) {
    args = {"XADD", "elec2:in", "*"};
    for (std::size_t k = 0; k < D; ++k) args.insert(args.end(), {feature_names[k], std::to_string(row[col[k]])});
    args.insert(args.end(), {"label", std::to_string(row[col[D]]), "t", std::to_string(wall_ns())});
    views.assign(args.begin(), args.end());
    if (!c.append(views)) return 1;
    ++sent;
    if (++pending == 500 && !flush()) return 1;
  }
  if (!flush()) return 1;
  c.command({"SET", "elec2:fed", std::to_string(sent)});
  std::printf("feed: %llu events into elec2:in\n", static_cast<unsigned long long>(sent));
  return 0;
}

// True once the feed is done and `group` has read everything and acknowledged it.
bool finished(rill::redis::connection& c, const char* group) {
  auto fed = c.command({"GET", "elec2:fed"});
  if (!fed || fed->is_nil()) return false;
  auto g = c.command({"XINFO", "GROUPS", "elec2:in"});
  if (!g) return false;
  for (const auto& grp : g->elements) {
    long long pending = -1, lag = -1;
    bool match = false;
    for (std::size_t k = 0; k + 1 < grp.elements.size(); k += 2) {
      const auto& key = grp.elements[k].str;
      const auto& v = grp.elements[k + 1];
      if (key == "name") match = v.str == group;
      if (key == "pending") pending = v.integer;
      if (key == "lag") lag = v.is_nil() ? -1 : v.integer;
    }
    if (match) return pending == 0 && lag == 0;
  }
  return false;
}

template <std::size_t W>
rill::redis::stream_source_options source_options(const char* group, const std::string& consumer,
                                                  bool with_label) {
  rill::redis::stream_source_options o;
  o.redis = redis_options();
  o.stream = "elec2:in";
  o.group = group;
  o.consumer = consumer;
  o.fields = feature_names;
  if (with_label) o.fields.push_back("label");
  o.time_field = "t";
  return o;
}

int infer(const std::string& name) {
  using ev = rill::event<D>;
  using result = rill::scored_event<D>;
  rill::model_slot<model_t> slot(model_t{});
  rill::slot_reader<model_t> reader(slot);
  rill::redis::model_channel_options mo;
  mo.redis = redis_options();
  mo.key = "elec2:model";
  rill::redis::model_follower<model_t> follower(slot, mo);

  rill::event_queue<ev, rill::queue_kind::spsc> in({.capacity = 4096, .wait = rill::wait_strategy::sleep});
  rill::event_queue<result, rill::queue_kind::spsc> out({.capacity = 4096, .wait = rill::wait_strategy::sleep});
  rill::redis::stream_source<D> source(in, source_options<D>("infer", name, false));
  rill::redis::stream_sink_options so;
  so.redis = redis_options();
  so.stream = "elec2:out";
  so.maxlen = 1'000'000;
  rill::redis::stream_sink<result> sink(out, source, so);
  // The served model's version and the events scored, as metrics (a dashboard or
  // Prometheus would scrape these; here they are printed at the end).
  rill::metrics_registry registry;
  const auto scored = registry.add_counter("events", "Events scored", {{"consumer", name}});
  const auto version = registry.add_gauge("model_version", "Version of the model that scored the last event",
                                          rill::gauge_merge::max, {{"consumer", name}});
  auto& rec = registry.add_recorder("pipeline");
  std::uint64_t versions_seen = 0, last_version = ~0ULL;
  auto pipe = rill::pick_up(reader) | rill::predict(reader.model()) |
              rill::callback_sink([&](const result& r) noexcept {
                if (r.version != last_version) ++versions_seen, last_version = r.version;
                rec.add(scored);
                rec.set(version, static_cast<double>(r.version));
              }) |
              rill::queue_sink<result, rill::queue_kind::spsc>(out);
  rill::queue_source<ev, rill::queue_kind::spsc, 128> drain(in);
  rill::runner run(drain, pipe, rill::wait_strategy::sleep);
  follower.start();
  run.start();
  sink.start();
  source.start();
  rill::redis::connection c(redis_options());
  while (!c.ensure() || !finished(c, "infer")) std::this_thread::sleep_for(200ms);
  source.stop();
  run.stop(rill::stop_mode::drain);
  sink.stop();
  follower.stop();
  const auto s = source.counts();
  const auto k = sink.counts();
  std::printf("infer %s: %llu events read, %llu results written, %llu acked, %llu dead-lettered, "
              "model versions loaded %llu (last %llu), seen in results %llu\n",
              name.c_str(), static_cast<unsigned long long>(s.read), static_cast<unsigned long long>(k.written),
              static_cast<unsigned long long>(k.acked), static_cast<unsigned long long>(s.dead_lettered),
              static_cast<unsigned long long>(follower.counts().loaded),
              static_cast<unsigned long long>(follower.version()), static_cast<unsigned long long>(versions_seen));
  const std::string exposition = rill::to_prometheus(registry.snapshot());
  for (std::size_t at = 0, end; at < exposition.size(); at = end + 1) {
    end = exposition.find('\n', at);
    if (end == std::string::npos) end = exposition.size();
    if (exposition.compare(at, 1, "#") != 0) std::printf("  %.*s\n", int(end - at), exposition.data() + at);
  }
  return 0;
}

// Test-then-train on the pipeline thread: the output is the prediction made before the
// update (prequential); every 2,000 updates the model goes to the slot.
template <class Learner>
struct learn_stage {
  using input_type = rill::event<D + 1>;
  using output_type = rill::prediction<float>;
  model_t* model;
  Learner* learner;
  rill::model_slot<model_t>* slot;
  std::uint64_t* correct;
  template <class Emit>
  void operator()(const input_type& in, Emit&& emit) noexcept {
    model_t::row_type x;
    for (std::size_t k = 0; k < D; ++k) x[k] = in.x[k];
    const float y = in.x[D];
    const float p = model->predict(x);
    *correct += (p > 0.5f) == (y > 0.5f);
    emit(output_type{in.id, in.time_ns, p, model->version});
    learner->update(*model, x, y);
    if (++updates % 2000 == 0) slot->publish(*model);  // version: the learner's update count
  }
  std::uint64_t updates = 0;
};

int learn() {
  using ev = rill::event<D + 1>;
  using result = rill::prediction<float>;
  model_t model;
  auto settings = rill::sgd<rill::logistic_loss>(0.1);
  decltype(settings)::learner<model_t> learner(settings);
  rill::model_slot<model_t> slot(model);
  std::uint64_t correct = 0;

  rill::event_queue<ev, rill::queue_kind::spsc> in({.capacity = 4096, .wait = rill::wait_strategy::sleep});
  rill::event_queue<result, rill::queue_kind::spsc> out({.capacity = 4096, .wait = rill::wait_strategy::sleep});
  rill::redis::stream_source<D + 1> source(in, source_options<D + 1>("learn", "learner", true));
  rill::redis::stream_sink_options so;
  so.redis = redis_options();
  so.stream = "elec2:prequential";
  so.maxlen = 100'000;
  rill::redis::stream_sink<result> sink(out, source, so);
  auto pipe = rill::pipeline{learn_stage<decltype(learner)>{&model, &learner, &slot, &correct},
                             rill::queue_sink<result, rill::queue_kind::spsc>(out)};
  rill::queue_source<ev, rill::queue_kind::spsc, 128> drain(in);
  rill::runner run(drain, pipe, rill::wait_strategy::sleep);

  // The publisher thread: new versions from the slot to Redis (the learning thread
  // never waits for the network).
  rill::redis::model_channel_options mo;
  mo.redis = redis_options();
  mo.key = "elec2:model";
  rill::redis::model_publisher publisher(mo);
  std::atomic<bool> stop{false};
  std::thread publish([&] {
    rill::slot_reader<model_t> reader(slot);
    while (!stop.load()) {
      if (reader.refresh()) publisher.publish_model(reader.model());
      std::this_thread::sleep_for(20ms);
    }
    if (reader.refresh()) publisher.publish_model(reader.model());  // the final model
  });
  run.start();
  sink.start();
  source.start();
  rill::redis::connection c(redis_options());
  while (!c.ensure() || !finished(c, "learn")) std::this_thread::sleep_for(200ms);
  source.stop();
  run.stop(rill::stop_mode::drain);
  sink.stop();
  slot.publish(model);  // the pipeline thread has stopped: the model is ours again
  stop = true;
  publish.join();
  const auto s = source.counts();
  std::printf("learn: %llu events, prequential accuracy %.3f, %llu checkpoints published (last version %llu)\n",
              static_cast<unsigned long long>(s.pushed),
              s.pushed ? static_cast<double>(correct) / static_cast<double>(s.pushed) : 0.0,
              static_cast<unsigned long long>(publisher.counts().published),
              static_cast<unsigned long long>(publisher.counts().version));
  return 0;
}

}  // namespace

int main(int argc, char** argv) {
  const std::string role = argc > 1 ? argv[1] : "";
  try {
    if (role == "feed") return feed(argc > 2 ? argv[2] : "data/elec2.csv");
    if (role == "infer" && argc > 2) return infer(argv[2]);
    if (role == "learn") return learn();
  } catch (const std::exception& e) {
    std::fprintf(stderr, "redis_scale_out %s: %s\n", role.c_str(), e.what());
    return 1;
  }
  std::fprintf(stderr, "usage: %s feed [csv] | infer NAME | learn\n", argv[0]);
  return 2;
}
