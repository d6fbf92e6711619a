// rill::redis model channel: checkpoints as entries of a short stream.
#include <charconv>
#include <stdexcept>
#include <thread>

#include "hiredis_detail.hpp"
#include "rill/redis/model_channel.hpp"

RILL_NAMESPACE_BEGIN
namespace redis {

namespace {
model_channel_options checked(model_channel_options o, const char* who) {
  if (o.key.empty()) throw std::invalid_argument(std::string(who) + ": key must not be empty");
  if (o.keep == 0) throw std::invalid_argument(std::string(who) + ": keep must be at least 1");
  if (o.block.count() <= 0) throw std::invalid_argument(std::string(who) + ": block must be positive");
  return o;
}

void bump(std::atomic<std::uint64_t>& c, std::uint64_t n = 1) noexcept {
  c.store(c.load(std::memory_order_relaxed) + n, std::memory_order_relaxed);
}
}  // namespace

struct model_publisher::impl {
  model_channel_options opt;
  connection conn;
  detail::argv_builder argv;
  std::atomic<std::uint64_t> published{0}, version{0};
  explicit impl(model_channel_options o) : opt(std::move(o)), conn(opt.redis) {}
};

model_publisher::model_publisher(model_channel_options o)
    : impl_(std::make_unique<impl>(checked(std::move(o), "rill::redis::model_publisher"))) {}
model_publisher::~model_publisher() = default;
const std::string& model_publisher::prefix() const noexcept { return impl_->opt.prefix; }

bool model_publisher::publish(std::span<const std::byte> checkpoint, std::uint64_t version,
                              std::chrono::milliseconds timeout) {
  auto& m = *impl_;
  const auto deadline = std::chrono::steady_clock::now() + timeout;
  for (;;) {
    if (!m.conn.connected() && !m.conn.try_connect()) {
      if (std::chrono::steady_clock::now() >= deadline) return false;
      std::this_thread::sleep_for(m.opt.redis.backoff_initial);
      continue;
    }
    m.argv.clear();
    m.argv.add("XADD").add(m.opt.key).add("MAXLEN").add_int(m.opt.keep).add("*");
    m.argv.add("version").add_int(version);
    m.argv.add("checkpoint").add(std::string_view(reinterpret_cast<const char*>(checkpoint.data()), checkpoint.size()));
    auto r = detail::connection_access::call(m.conn, m.argv);
    if (r && r->type != REDIS_REPLY_ERROR) {
      bump(m.published);
      m.version.store(version, std::memory_order_relaxed);
      return true;
    }
    if (std::chrono::steady_clock::now() >= deadline) return false;
    std::this_thread::sleep_for(m.opt.redis.backoff_initial);
  }
}

model_channel_counts model_publisher::counts() const noexcept {
  model_channel_counts c;
  c.published = impl_->published.load(std::memory_order_relaxed);
  c.version = impl_->version.load(std::memory_order_relaxed);
  c.connection = impl_->conn.counts();
  return c;
}

namespace detail {

class follower_core {
 public:
  explicit follower_core(model_channel_options o)
      : opt_(checked(std::move(o), "rill::redis::model_follower")), conn_(opt_.redis) {}
  ~follower_core() { stop(); }

  void start(follower_hooks h) {
    if (thread_.joinable()) throw std::logic_error("rill::redis::model_follower: already started");
    hooks_ = h;
    thread_ = std::thread([this] { run(); });
  }
  void stop() {
    stop_.store(true, std::memory_order_release);
    if (thread_.joinable()) thread_.join();
  }
  model_channel_counts counts() const noexcept {
    model_channel_counts c;
    c.loaded = loaded_.load(std::memory_order_relaxed);
    c.rejected = rejected_.load(std::memory_order_relaxed);
    c.skipped = skipped_.load(std::memory_order_relaxed);
    c.version = version_.load(std::memory_order_relaxed);
    c.connection = conn_.counts();
    return c;
  }
  const model_channel_options& options() const noexcept { return opt_; }

 private:
  void run() noexcept {
    try {
      while (!stop_.load(std::memory_order_acquire)) {
        if (!conn_.ensure(&stop_)) break;
        if (!poll()) std::this_thread::sleep_for(opt_.redis.backoff_initial);
      }
    } catch (...) {
      // Allocation failure: stop following; the slot keeps the last model.
    }
  }

  // One read. False if the connection was lost.
  bool poll() {
    argv_.clear();
    if (last_id_.empty()) {
      argv_.add("XREVRANGE").add(opt_.key).add("+").add("-").add("COUNT").add("1");
      auto r = connection_access::call(conn_, argv_);
      if (!r || r->type != REDIS_REPLY_ARRAY) return false;
      last_id_ = "0-0";
      if (r->elements) take(r->element[0]);
      return true;
    }
    argv_.add("XREAD").add("COUNT").add("64").add("BLOCK").add_int(opt_.block.count());
    argv_.add("STREAMS").add(opt_.key).add(last_id_);
    connection_access::set_extra_timeout(conn_, opt_.block);
    auto r = connection_access::call(conn_, argv_);
    connection_access::set_extra_timeout(conn_, std::chrono::milliseconds(0));
    if (!r || r->type == REDIS_REPLY_ERROR) return false;
    if (r->type != REDIS_REPLY_ARRAY || r->elements == 0) return true;  // timed out
    const redisReply* entries = r->element[0]->element[1];
    if (entries->elements == 0) return true;
    // Only the newest matters; older ones in the same reply are skipped.
    bump(skipped_, entries->elements - 1);
    take(entries->element[entries->elements - 1]);
    return true;
  }

  void take(const redisReply* e) {
    if (!e || e->type != REDIS_REPLY_ARRAY || e->elements < 2) return;
    last_id_.assign(str(e->element[0]));
    const redisReply* kv = e->element[1];
    std::uint64_t version = 0;
    std::string_view data;
    bool has_version = false, has_data = false;
    for (std::size_t i = 0; kv && kv->type == REDIS_REPLY_ARRAY && i + 1 < kv->elements; i += 2) {
      const auto k = str(kv->element[i]);
      const auto v = str(kv->element[i + 1]);
      if (k == "version") {
        const auto res = std::from_chars(v.data(), v.data() + v.size(), version);
        has_version = res.ec == std::errc{} && res.ptr == v.data() + v.size();
      } else if (k == "checkpoint") {
        data = v;
        has_data = true;
      }
    }
    if (!has_version || !has_data) {
      bump(rejected_);
      return;
    }
    if (loaded_.load(std::memory_order_relaxed) && version <= version_.load(std::memory_order_relaxed)) {
      bump(skipped_);
      return;
    }
    const std::span<const std::byte> bytes(reinterpret_cast<const std::byte*>(data.data()), data.size());
    if (hooks_.load(hooks_.self, bytes, version)) {
      version_.store(version, std::memory_order_relaxed);
      bump(loaded_);
    } else {
      bump(rejected_);
    }
  }

  model_channel_options opt_;
  connection conn_;
  follower_hooks hooks_;
  std::thread thread_;
  std::atomic<bool> stop_{false};
  argv_builder argv_;
  std::string last_id_;
  std::atomic<std::uint64_t> loaded_{0}, rejected_{0}, skipped_{0}, version_{0};
};

}  // namespace detail

model_follower_base::model_follower_base(model_channel_options o)
    : core_(std::make_unique<detail::follower_core>(std::move(o))) {}
model_follower_base::~model_follower_base() = default;
void model_follower_base::stop() { core_->stop(); }
model_channel_counts model_follower_base::counts() const noexcept { return core_->counts(); }
const model_channel_options& model_follower_base::options() const noexcept { return core_->options(); }
void model_follower_base::start_with(detail::follower_hooks h) { core_->start(h); }

}  // namespace redis
RILL_NAMESPACE_END
