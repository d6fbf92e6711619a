// The I/O thread of rill::redis::stream_sink: pipelined XADDs of results, then one
// XACK of the entries they came from; retries across lost connections.
#include <algorithm>
#include <condition_variable>
#include <mutex>
#include <stdexcept>
#include <thread>

#include "hiredis_detail.hpp"
#include "rill/redis/stream_sink.hpp"
#include "source_core.hpp"

RILL_NAMESPACE_BEGIN
namespace redis {
namespace detail {

namespace {
std::int64_t wall_ns() noexcept {
  return std::chrono::duration_cast<std::chrono::nanoseconds>(
             std::chrono::system_clock::now().time_since_epoch())
      .count();
}
}  // namespace

class sink_core {
 public:
  sink_core(stream_sink_options o, source_core& source, bool float_values)
      : opt_(std::move(o)), source_(&source), float_values_(float_values), conn_(opt_.redis) {
    if (opt_.stream.empty()) throw std::invalid_argument("rill::redis::stream_sink: stream must not be empty");
    if (opt_.batch == 0) throw std::invalid_argument("rill::redis::stream_sink: batch must be at least 1");
    if (opt_.stream == source.options().stream)
      throw std::invalid_argument("rill::redis::stream_sink: stream must differ from the source's stream");
    rows_.resize((opt_.batch + 63) / 64 * 64);
    valid_.resize(rows_.size());
  }
  ~sink_core() { stop(); }

  void start(sink_hooks h) {
    if (thread_.joinable()) throw std::logic_error("rill::redis::stream_sink: already started");
    hooks_ = h;
    thread_ = std::thread([this] { run(); });
  }

  void stop() {
    if (!thread_.joinable()) return;
    stopping_.store(true, std::memory_order_release);
    {
      std::unique_lock lock(mutex_);
      if (!done_cv_.wait_for(lock, opt_.stop_timeout, [&] { return done_; }))
        abort_.store(true, std::memory_order_release);
    }
    thread_.join();
  }

  sink_counts counts() const noexcept {
    auto get = [](const std::atomic<std::uint64_t>& a) { return a.load(std::memory_order_relaxed); };
    sink_counts c;
    c.taken = get(taken_);
    c.written = get(written_);
    c.acked = get(acked_);
    c.batches = get(batches_);
    c.rewritten = get(rewritten_);
    c.unknown = get(unknown_);
    c.write_errors = get(write_errors_);
    c.abandoned = get(abandoned_);
    c.connection = conn_.counts();
    return c;
  }
  const latency_histogram& latency() const noexcept { return latency_; }

 private:
  void bump(std::atomic<std::uint64_t>& c, std::uint64_t n = 1) noexcept {
    c.store(c.load(std::memory_order_relaxed) + n, std::memory_order_relaxed);
  }
  bool aborted() const noexcept { return abort_.load(std::memory_order_acquire); }

  void run() noexcept {
    std::size_t n = 0;
    try {
      for (;;) {
        while (n < opt_.batch) {
          const std::size_t got = hooks_.pop(hooks_.self, rows_.data() + n, rows_.size() - n);
          if (got == 0) break;
          bump(taken_, got);
          n += got;
        }
        if (n == 0) {
          if (stopping_.load(std::memory_order_acquire)) break;
          std::this_thread::sleep_for(std::chrono::microseconds(50));
          continue;
        }
        while (!write(n)) {
          if (aborted()) {
            bump(abandoned_, n + hooks_.discard(hooks_.self));
            n = 0;
            break;
          }
          std::this_thread::sleep_for(conn_.options().backoff_initial);
        }
        n = 0;
        if (aborted()) break;
      }
    } catch (...) {
      // Allocation failure: the unacknowledged entries stay pending and are redelivered.
      bump(abandoned_, n);
    }
    std::lock_guard lock(mutex_);
    done_ = true;
    done_cv_.notify_all();
  }

  // Writes rows_[0, n) and acknowledges their entries. False: retry (counted).
  bool write(std::size_t n) {
    if (!conn_.ensure(&abort_)) return false;
    const std::uint64_t lo = source_->acked(), hi = source_->issued();
    std::uint64_t end = lo;  // acknowledge [lo, end)
    if (!batch_written_) {
      std::size_t sent = 0;
      for (std::size_t i = 0; i < n; ++i) {
        const result_row& r = rows_[i];
        valid_[i] = r.handle >= lo && r.handle < hi;
        if (!valid_[i]) continue;
        char id[stream_id::max_chars];
        const std::size_t len = source_->slot(r.handle).format(id);
        argv_.clear();
        argv_.add("XADD").add(opt_.stream);
        if (opt_.maxlen) argv_.add("MAXLEN").add(opt_.exact_trim ? "=" : "~").add_int(opt_.maxlen);
        argv_.add("*").add("src").add(std::string_view(id, len)).add("value").add_double(r.value, float_values_);
        argv_.add("version").add_int(r.version).add("time").add_int(r.time_ns);
        // A command that could not be queued was never sent: it cannot be a duplicate.
        if (!connection_access::append(conn_, argv_)) return retry_writes(sent);
        ++sent;
      }
      // Replies read so far that were errors: those XADDs did not happen.
      std::size_t errors = 0;
      for (std::size_t i = 0; i < sent; ++i) {
        auto rep = connection_access::read(conn_);
        if (!rep) return retry_writes(sent - errors);  // the unread ones may have happened
        if (rep->type == REDIS_REPLY_ERROR) ++errors;
      }
      if (errors) {
        bump(write_errors_);
        return retry_writes(sent - errors);  // e.g. -LOADING after a restart
      }
      bump(written_, sent);
      if (opt_.measure_latency) {
        const std::int64_t now = wall_ns();
        for (std::size_t i = 0; i < n; ++i)
          if (valid_[i]) latency_.record(static_cast<std::uint64_t>(std::max<std::int64_t>(0, now - rows_[i].time_ns)));
      }
      for (std::size_t i = 0; i < n; ++i)
        if (!valid_[i]) bump(unknown_);
      batch_written_ = true;
    }
    for (std::size_t i = 0; i < n; ++i)
      if (valid_[i]) end = std::max(end, rows_[i].handle + 1);
    if (end > lo) {
      argv_.clear();
      argv_.add("XACK").add(source_->options().stream).add(source_->options().group);
      for (std::uint64_t h = lo; h < end; ++h) {
        char id[stream_id::max_chars];
        argv_.add(std::string_view(id, source_->slot(h).format(id)));
      }
      auto rep = connection_access::call(conn_, argv_);
      if (!rep) return false;  // only the XACK is retried: the results are written
      if (rep->type == REDIS_REPLY_ERROR) {
        bump(write_errors_);
        return false;
      }
      bump(acked_, static_cast<std::uint64_t>(rep->integer));
      source_->set_acked(end);
    }
    bump(batches_);
    batch_written_ = false;
    return true;
  }

  // The batch will be sent again; `maybe_written` of its XADDs may already be in the
  // stream and become duplicates.
  bool retry_writes(std::size_t maybe_written) {
    bump(rewritten_, maybe_written);
    return false;
  }

  stream_sink_options opt_;
  source_core* source_;
  bool float_values_;
  connection conn_;
  sink_hooks hooks_;
  std::thread thread_;
  std::atomic<bool> stopping_{false}, abort_{false};
  std::mutex mutex_;
  std::condition_variable done_cv_;
  bool done_ = false;

  // I/O thread only.
  std::vector<result_row> rows_;
  std::vector<char> valid_;
  bool batch_written_ = false;  // the current batch's XADDs are confirmed; only its XACK is left
  argv_builder argv_;
  latency_histogram latency_;

  alignas(cache_line) std::atomic<std::uint64_t> taken_{0}, written_{0}, acked_{0}, batches_{0},
      rewritten_{0}, unknown_{0}, write_errors_{0}, abandoned_{0};
};

}  // namespace detail

stream_sink_base::stream_sink_base(stream_sink_options o, stream_source_base& source, bool float_values)
    : core_(std::make_unique<detail::sink_core>(std::move(o), source.core(), float_values)) {}
stream_sink_base::~stream_sink_base() = default;
void stream_sink_base::stop() { core_->stop(); }
sink_counts stream_sink_base::counts() const noexcept { return core_->counts(); }
const latency_histogram& stream_sink_base::latency() const noexcept { return core_->latency(); }
void stream_sink_base::start_with(detail::sink_hooks h) { core_->start(h); }

}  // namespace redis
RILL_NAMESPACE_END
