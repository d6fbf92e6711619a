// rill::redis::connection over hiredis: lazy connect, capped exponential backoff,
// every failure counted and reported as a value.
#include <sys/time.h>

#include <algorithm>
#include <stdexcept>
#include <thread>

#include "hiredis_detail.hpp"
#include "rill/redis/connection.hpp"

RILL_NAMESPACE_BEGIN
namespace redis {

namespace {

timeval to_timeval(std::chrono::milliseconds ms) noexcept {
  timeval tv{};
  tv.tv_sec = static_cast<time_t>(ms.count() / 1000);
  tv.tv_usec = static_cast<suseconds_t>((ms.count() % 1000) * 1000);
  return tv;
}

reply convert(const redisReply* r) {
  reply out;
  if (!r) return out;
  switch (r->type) {
    case REDIS_REPLY_STRING: out.type = reply::kind::string; break;
    case REDIS_REPLY_STATUS: out.type = reply::kind::status; break;
    case REDIS_REPLY_ERROR: out.type = reply::kind::error; break;
    case REDIS_REPLY_INTEGER: out.type = reply::kind::integer; break;
    case REDIS_REPLY_ARRAY: out.type = reply::kind::array; break;
    default: out.type = reply::kind::nil; break;
  }
  out.integer = r->integer;
  if (r->type == REDIS_REPLY_STRING || r->type == REDIS_REPLY_STATUS || r->type == REDIS_REPLY_ERROR)
    out.str.assign(r->str, r->len);
  if (r->type == REDIS_REPLY_ARRAY) {
    out.elements.reserve(r->elements);
    for (std::size_t i = 0; i < r->elements; ++i) out.elements.push_back(convert(r->element[i]));
  }
  return out;
}

}  // namespace

connection::connection(connection_options o) : impl_(std::make_unique<impl>()) {
  auto fail = [](const char* what) {
    throw std::invalid_argument(std::string("rill::redis::connection: ") + what);
  };
  if (o.host.empty()) fail("host must not be empty");
  if (o.port < 1 || o.port > 65535) fail("port must be in 1..65535");
  if (o.connect_timeout.count() <= 0) fail("connect_timeout must be positive");
  if (o.command_timeout.count() <= 0) fail("command_timeout must be positive");
  if (o.backoff_initial.count() <= 0) fail("backoff_initial must be positive");
  if (o.backoff_initial > o.backoff_max) fail("backoff_initial must not exceed backoff_max");
  impl_->opt = std::move(o);
  impl_->next_backoff = impl_->opt.backoff_initial;
}

connection::~connection() {
  if (impl_) impl_->close();
}
connection::connection(connection&&) noexcept = default;
connection& connection::operator=(connection&& other) noexcept {
  if (this != &other) {
    if (impl_) impl_->close();
    impl_ = std::move(other.impl_);
  }
  return *this;
}

// A moved-from connection (impl_ null) reads as closed and empty.
bool connection::connected() const noexcept { return impl_ && impl_->ctx != nullptr; }
void connection::disconnect() noexcept {
  if (impl_) impl_->close();
}
const connection_options& connection::options() const noexcept { return impl_->opt; }

bool connection::try_connect() {
  auto& m = *impl_;
  if (m.ctx) return true;
  redisContext* c = redisConnectWithTimeout(m.opt.host.c_str(), m.opt.port, to_timeval(m.opt.connect_timeout));
  if (!c || c->err) {
    if (c) redisFree(c);
    m.bump(m.connect_failures);
    return false;
  }
  m.ctx = c;
  m.applied_timeout = std::chrono::milliseconds(-1);
  detail::connection_access::apply_timeout(*this);
  m.bump(m.connects);
  if (m.ever_connected) m.bump(m.reconnects);
  m.ever_connected = true;
  m.next_backoff = m.opt.backoff_initial;
  return true;
}

bool connection::ensure(const std::atomic<bool>* cancel) {
  auto& m = *impl_;
  for (;;) {
    if (cancel && cancel->load(std::memory_order_acquire)) return m.ctx != nullptr;
    if (try_connect()) return true;
    // Sleep in slices so that a cancel is seen within 10 ms.
    const auto until = std::chrono::steady_clock::now() + m.next_backoff;
    while (std::chrono::steady_clock::now() < until) {
      if (cancel && cancel->load(std::memory_order_acquire)) return false;
      std::this_thread::sleep_for(std::min(std::chrono::milliseconds(10), m.next_backoff));
    }
    m.next_backoff = std::min(m.next_backoff * 2, m.opt.backoff_max);
  }
}

bool connection::append(std::initializer_list<std::string_view> args) {
  return append(std::span<const std::string_view>(args.begin(), args.size()));
}

bool connection::append(std::span<const std::string_view> args) {
  auto& m = *impl_;
  if (!m.ctx) return false;
  std::vector<const char*> p;
  std::vector<std::size_t> n;
  p.reserve(args.size());
  n.reserve(args.size());
  for (auto a : args) {
    p.push_back(a.data());
    n.push_back(a.size());
  }
  if (redisAppendCommandArgv(m.ctx, static_cast<int>(args.size()), p.data(), n.data()) != REDIS_OK) {
    m.lost();
    return false;
  }
  return true;
}

std::optional<reply> connection::read() {
  auto r = detail::connection_access::read(*this);
  if (!r) return std::nullopt;
  return convert(r.get());
}

std::optional<reply> connection::command(std::initializer_list<std::string_view> args) {
  return command(std::span<const std::string_view>(args.begin(), args.size()));
}

std::optional<reply> connection::command(std::span<const std::string_view> args) {
  if (!append(args)) return std::nullopt;
  return read();
}

connection_counts connection::counts() const noexcept {
  connection_counts c;
  if (!impl_) return c;
  const auto& m = *impl_;
  c.connects = m.connects.load(std::memory_order_relaxed);
  c.reconnects = m.reconnects.load(std::memory_order_relaxed);
  c.connect_failures = m.connect_failures.load(std::memory_order_relaxed);
  c.io_errors = m.io_errors.load(std::memory_order_relaxed);
  c.server_errors = m.server_errors.load(std::memory_order_relaxed);
  return c;
}

namespace detail {

bool connection_access::append(connection& c, argv_builder& a) {
  auto& m = *c.impl_;
  if (!m.ctx) return false;
  a.resolve();
  if (redisAppendCommandArgv(m.ctx, a.argc(), a.argv(), a.lens()) != REDIS_OK) {
    m.lost();
    return false;
  }
  return true;
}

reply_ptr connection_access::read(connection& c) {
  auto& m = *c.impl_;
  if (!m.ctx) return nullptr;
  void* raw = nullptr;
  if (redisGetReply(m.ctx, &raw) != REDIS_OK || raw == nullptr) {
    if (raw) freeReplyObject(raw);
    m.lost();
    return nullptr;
  }
  reply_ptr r(static_cast<redisReply*>(raw));
  if (r->type == REDIS_REPLY_ERROR) m.bump(m.server_errors);
  return r;
}

reply_ptr connection_access::call(connection& c, argv_builder& a) {
  if (!append(c, a)) return nullptr;
  return read(c);
}

void connection_access::set_extra_timeout(connection& c, std::chrono::milliseconds extra) {
  c.impl_->extra_timeout = extra;
  apply_timeout(c);
}

void connection_access::apply_timeout(connection& c) noexcept {
  auto& m = *c.impl_;
  const auto want = m.opt.command_timeout + m.extra_timeout;
  if (m.ctx && want != m.applied_timeout) {
    redisSetTimeout(m.ctx, to_timeval(want));
    m.applied_timeout = want;
  }
}

}  // namespace detail
}  // namespace redis
RILL_NAMESPACE_END
