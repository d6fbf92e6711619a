// The I/O thread of rill::redis::stream_source: consumer-group reads, recovery of
// pending entries, dead letters, reconnects.
#include <algorithm>
#include <bit>
#include <charconv>
#include <cstring>
#include <stdexcept>

#include "source_core.hpp"

RILL_NAMESPACE_BEGIN
namespace redis {
namespace detail {

namespace {

bool parse_number(std::string_view s, double& out) noexcept {
  // from_chars rejects a leading '+' and spaces; both are errors here too.
  const auto r = std::from_chars(s.data(), s.data() + s.size(), out);
  return r.ec == std::errc{} && r.ptr == s.data() + s.size() && !s.empty();
}

bool parse_int(std::string_view s, std::int64_t& out) noexcept {
  const auto r = std::from_chars(s.data(), s.data() + s.size(), out);
  return r.ec == std::errc{} && r.ptr == s.data() + s.size() && !s.empty();
}

// Value of field `name` in a [k1, v1, k2, v2, ...] array; tries position `hint` first
// (producers usually write fields in one order).
const redisReply* find_field(const redisReply* kv, std::string_view name, std::size_t hint) noexcept {
  if (2 * hint + 1 < kv->elements && str(kv->element[2 * hint]) == name) return kv->element[2 * hint + 1];
  for (std::size_t i = 0; i + 1 < kv->elements; i += 2)
    if (str(kv->element[i]) == name) return kv->element[i + 1];
  return nullptr;
}

bool is_entries(const redisReply* r) noexcept { return r && r->type == REDIS_REPLY_ARRAY; }

}  // namespace

source_core::source_core(stream_source_options o, std::size_t width)
    : opt_(std::move(o)), width_(width), conn_(opt_.redis) {
  auto fail = [](const std::string& what) {
    throw std::invalid_argument("rill::redis::stream_source: " + what);
  };
  if (opt_.stream.empty()) fail("stream must not be empty");
  if (opt_.group.empty()) fail("group must not be empty");
  if (opt_.consumer.empty()) fail("consumer must not be empty");
  if (opt_.count == 0) fail("count must be at least 1");
  if (opt_.block.count() <= 0) fail("block must be positive");
  if (opt_.min_idle.count() <= 0) fail("min_idle must be positive");
  if (opt_.fields.size() != width) fail("fields must name one field per feature");
  for (const auto& f : opt_.fields)
    if (f.empty()) fail("fields must not contain an empty name");
  if (opt_.dead_letter_stream.empty()) opt_.dead_letter_stream = opt_.stream + ":dead";
  if (opt_.dead_letter_stream == opt_.stream) fail("dead_letter_stream must differ from stream");
  const std::size_t cap = std::bit_ceil(std::max(opt_.max_in_flight, 2 * opt_.count));
  opt_.max_in_flight = cap;
  ring_.resize(cap);
  mask_ = cap - 1;
  values_.resize(width_);
}

source_core::~source_core() { stop(); }

void source_core::start(source_hooks h) {
  if (thread_.joinable()) throw std::logic_error("rill::redis::stream_source: already started");
  hooks_ = h;
  stop_.store(false, std::memory_order_release);
  thread_ = std::thread([this] { run(); });
}

void source_core::stop() {
  stop_.store(true, std::memory_order_release);
  if (thread_.joinable()) thread_.join();
}

bool source_core::lookup(std::uint64_t handle, stream_id& out) const noexcept {
  if (handle < acked() || handle >= issued()) return false;
  out = slot(handle);
  return true;
}

source_counts source_core::counts() const noexcept {
  source_counts c;
  auto get = [](const std::atomic<std::uint64_t>& a) { return a.load(std::memory_order_relaxed); };
  c.read = get(read_);
  c.pushed = get(pushed_);
  c.reclaimed_own = get(reclaimed_own_);
  c.claimed_idle = get(claimed_idle_);
  c.dead_lettered = get(dead_lettered_);
  c.not_delivered = get(not_delivered_);
  c.deleted = get(deleted_);
  c.reads = get(reads_);
  c.full_waits = get(full_waits_);
  c.in_flight = issued() - acked();
  c.connection = conn_.counts();
  return c;
}

void source_core::run() noexcept {
  try {
    while (!stop_.load(std::memory_order_acquire)) {
      if (!loop()) break;
    }
  } catch (...) {
    // Allocation failure on the I/O thread: stop reading; what was read stays pending
    // in the group and is redelivered (at-least-once holds).
  }
}

// One connection's life. False: stop for good.
bool source_core::loop() {
  if (!conn_.ensure(&stop_)) return false;
  auto retry = [&](step s) {
    if (s == step::stopped) return false;
    std::this_thread::sleep_for(conn_.options().backoff_initial);  // then reconnect and recover
    return true;
  };
  step s = setup();
  if (s != step::ok) return retry(s);
  // After a reconnect too: entries delivered to us whose reply was lost are only in
  // our pending list.
  if ((s = recover_own()) != step::ok) return retry(s);
  if ((s = claim_idle()) != step::ok) return retry(s);
  next_claim_ = std::chrono::steady_clock::now() + opt_.claim_interval;
  while (!stop_.load(std::memory_order_acquire)) {
    if (opt_.claim_interval.count() > 0 && std::chrono::steady_clock::now() >= next_claim_) {
      if ((s = claim_idle()) != step::ok) return retry(s);
      next_claim_ = std::chrono::steady_clock::now() + opt_.claim_interval;
    }
    if ((s = read_new()) != step::ok) return retry(s);
  }
  return false;
}

source_core::step source_core::setup() {
  argv_.clear();
  argv_.add("XGROUP").add("CREATE").add(opt_.stream).add(opt_.group).add(opt_.group_start).add("MKSTREAM");
  auto r = connection_access::call(conn_, argv_);
  if (!r) return step::lost;
  if (r->type == REDIS_REPLY_ERROR && str(r.get()).substr(0, 9) != "BUSYGROUP") return step::lost;
  return step::ok;
}

void source_core::snapshot_in_flight() {
  in_flight_.clear();
  const std::uint64_t end = issued(), begin = acked();
  for (std::uint64_t h = begin; h < end; ++h) in_flight_.insert(slot(h));
}

source_core::step source_core::wait_for_room(std::size_t n) {
  bool waited = false;
  while (issued() - acked() + n > ring_.size()) {
    if (stop_.load(std::memory_order_acquire)) return step::stopped;
    if (!waited) bump(full_waits_);
    waited = true;
    std::this_thread::sleep_for(std::chrono::microseconds(200));
  }
  return step::ok;
}

source_core::step source_core::recover_own() {
  snapshot_in_flight();
  std::string cursor = "0";
  for (;;) {
    if (stop_.load(std::memory_order_acquire)) return step::stopped;
    if (auto w = wait_for_room(opt_.count); w != step::ok) return w;
    argv_.clear();
    argv_.add("XREADGROUP").add("GROUP").add(opt_.group).add(opt_.consumer).add("COUNT").add_int(opt_.count);
    argv_.add("STREAMS").add(opt_.stream).add(cursor);
    auto r = connection_access::call(conn_, argv_);
    if (!r || r->type == REDIS_REPLY_ERROR) return step::lost;
    bump(reads_);
    // [[stream, [entries]]]
    if (!is_entries(r.get()) || r->elements == 0) return step::ok;
    const redisReply* entries = r->element[0]->element[1];
    if (!is_entries(entries) || entries->elements == 0) return step::ok;
    std::string last;
    if (auto s = take_entries(entries, true, &reclaimed_own_, &last); s != step::ok)
      return s;
    cursor = last;
  }
}

source_core::step source_core::claim_idle() {
  snapshot_in_flight();
  std::string cursor = "0-0";
  for (;;) {
    if (stop_.load(std::memory_order_acquire)) return step::stopped;
    if (auto w = wait_for_room(opt_.count); w != step::ok) return w;
    argv_.clear();
    argv_.add("XAUTOCLAIM").add(opt_.stream).add(opt_.group).add(opt_.consumer).add_int(opt_.min_idle.count());
    argv_.add(cursor).add("COUNT").add_int(opt_.count);
    auto r = connection_access::call(conn_, argv_);
    if (!r || r->type == REDIS_REPLY_ERROR || r->type != REDIS_REPLY_ARRAY || r->elements < 2) return step::lost;
    bump(reads_);
    // [next cursor, [entries], [deleted ids] (7.0+)]: deleted ids left the pending list.
    if (r->elements >= 3 && is_entries(r->element[2]) && r->element[2]->elements) {
      bump(read_, r->element[2]->elements);
      bump(deleted_, r->element[2]->elements);
    }
    if (auto s = take_entries(r->element[1], true, &claimed_idle_, nullptr); s != step::ok)
      return s;
    cursor = std::string(str(r->element[0]));
    if (cursor == "0-0" || cursor.empty()) return step::ok;
  }
}

source_core::step source_core::read_new() {
  if (auto w = wait_for_room(opt_.count); w != step::ok) return w;
  argv_.clear();
  argv_.add("XREADGROUP").add("GROUP").add(opt_.group).add(opt_.consumer).add("COUNT").add_int(opt_.count);
  argv_.add("BLOCK").add_int(opt_.block.count()).add("STREAMS").add(opt_.stream).add(">");
  connection_access::set_extra_timeout(conn_, opt_.block);
  auto r = connection_access::call(conn_, argv_);
  connection_access::set_extra_timeout(conn_, std::chrono::milliseconds(0));
  if (!r || r->type == REDIS_REPLY_ERROR) return step::lost;  // NOGROUP and the like: set up again
  bump(reads_);
  if (r->type != REDIS_REPLY_ARRAY || r->elements == 0) return step::ok;  // timed out
  return take_entries(r->element[0]->element[1], false, nullptr, nullptr);
}

source_core::step source_core::take_entries(const redisReply* entries, bool skip_in_flight,
                                            std::atomic<std::uint64_t>* counter, std::string* last_id) {
  if (!is_entries(entries)) return step::ok;
  for (std::size_t i = 0; i < entries->elements; ++i) {
    const redisReply* e = entries->element[i];
    if (!is_entries(e) || e->elements < 2) continue;
    const std::string_view id_text = str(e->element[0]);
    if (last_id) last_id->assign(id_text);
    const auto id = stream_id::parse(id_text);
    if (!id) continue;  // not an entry id: nothing we could acknowledge either
    if (skip_in_flight && in_flight_.count(*id)) continue;
    bump(read_);
    if (counter) bump(*counter);
    const redisReply* kv = e->element[1];
    if (queue_closed_) {
      bump(not_delivered_);
      continue;
    }
    if (!is_entries(kv)) {  // a pending id whose entry was deleted or trimmed
      dead_.push_back({std::string(id_text), {}, {}});
      continue;
    }
    const char* reason = nullptr;
    std::size_t bad_field = 0;
    for (std::size_t f = 0; f < width_ && !reason; ++f) {
      const redisReply* v = find_field(kv, opt_.fields[f], f);
      if (!v || v->type != REDIS_REPLY_STRING) reason = "missing field", bad_field = f;
      else if (!parse_number(str(v), values_[f])) reason = "not a number", bad_field = f;
    }
    std::int64_t time_ns = static_cast<std::int64_t>(id->ms * 1'000'000);
    if (!reason && !opt_.time_field.empty()) {
      const redisReply* v = find_field(kv, opt_.time_field, width_);
      if (!v || !parse_int(str(v), time_ns)) reason = "bad time field";
    }
    if (reason) {
      dead_entry d;
      d.id.assign(id_text);
      d.reason = std::string(reason);
      if (reason[0] != 'b') d.reason += ": " + opt_.fields[bad_field];
      for (std::size_t k = 0; k < kv->elements; ++k) d.fields.emplace_back(str(kv->element[k]));
      dead_.push_back(std::move(d));
      continue;
    }
    // Publish the slot and the handle before pushing, so that the sink, which learns
    // of the handle through the queues, finds both.
    const std::uint64_t h = issued_.load(std::memory_order_relaxed);
    ring_[h & mask_] = *id;
    issued_.store(h + 1, std::memory_order_release);
    if (!hooks_.push(hooks_.self, h, time_ns, values_.data())) {
      issued_.store(h, std::memory_order_release);  // never reached the pipeline
      queue_closed_ = true;
      bump(not_delivered_);
      continue;
    }
    bump(pushed_);
  }
  if (auto s = flush_dead(); s != step::ok) return s;
  return queue_closed_ ? step::stopped : step::ok;
}

// Dead letters of the last batch: XADD each to the dead-letter stream, then XACK it
// (only after its XADD succeeded). On a lost connection the entries stay pending
// here and come back through recover_own.
source_core::step source_core::flush_dead() {
  if (dead_.empty()) return step::ok;
  for (const auto& d : dead_) {
    if (d.reason.empty()) continue;  // deleted entry: nothing to write
    argv_.clear();
    argv_.add("XADD").add(opt_.dead_letter_stream).add("*").add("src").add(d.id).add("reason").add(d.reason);
    argv_.add("consumer").add(opt_.consumer);
    for (const auto& f : d.fields) argv_.add(f);
    if (!connection_access::append(conn_, argv_)) return lost_dead();
  }
  std::vector<bool> written(dead_.size(), true);
  for (std::size_t i = 0; i < dead_.size(); ++i) {
    if (dead_[i].reason.empty()) continue;
    auto r = connection_access::read(conn_);
    if (!r) return lost_dead();
    written[i] = r->type != REDIS_REPLY_ERROR;
  }
  argv_.clear();
  argv_.add("XACK").add(opt_.stream).add(opt_.group);
  std::uint64_t dead = 0, deleted = 0;
  for (std::size_t i = 0; i < dead_.size(); ++i) {
    if (!written[i]) continue;  // stays pending; retried after the next reconnect
    argv_.add(dead_[i].id);
    (dead_[i].reason.empty() ? deleted : dead) += 1;
  }
  if (argv_.size() > 3) {
    auto r = connection_access::call(conn_, argv_);
    if (!r || r->type == REDIS_REPLY_ERROR) return lost_dead();
  }
  bump(dead_lettered_, dead);
  bump(deleted_, deleted);
  dead_.clear();
  return step::ok;
}

// The batch's dead entries are still pending here: recover_own reads them again after
// the reconnect (and counts them in `read` again).
source_core::step source_core::lost_dead() {
  dead_.clear();
  return step::lost;
}

}  // namespace detail

// stream_source_base

stream_source_base::stream_source_base(stream_source_options o, std::size_t width)
    : core_(std::make_unique<detail::source_core>(std::move(o), width)) {}
stream_source_base::~stream_source_base() = default;
void stream_source_base::stop() { core_->stop(); }
source_counts stream_source_base::counts() const noexcept { return core_->counts(); }
const stream_source_options& stream_source_base::options() const noexcept { return core_->options(); }
bool stream_source_base::lookup(std::uint64_t handle, stream_id& out) const noexcept {
  return core_->lookup(handle, out);
}
void stream_source_base::start_with(detail::source_hooks h) { core_->start(h); }

}  // namespace redis
RILL_NAMESPACE_END
