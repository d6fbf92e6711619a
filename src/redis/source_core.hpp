// Internal to src/redis: the I/O side of stream_source, and the in-flight table the
// sink acknowledges from.
#pragma once

#include <atomic>
#include <chrono>
#include <cstdint>
#include <memory>
#include <string>
#include <thread>
#include <unordered_set>
#include <vector>

#include "hiredis_detail.hpp"
#include "rill/redis/stream_source.hpp"

RILL_NAMESPACE_BEGIN
namespace redis {
namespace detail {

/// Handles are issued in order; slot h & mask holds the stream id of handle h from its
/// issue until the sink acknowledges it. The source reuses a slot only after `acked`
/// has passed it (acquire), and the sink learns of a handle through the queues, which
/// order the slot's write before its read.
class source_core {
 public:
  source_core(stream_source_options o, std::size_t width);
  ~source_core();

  void start(source_hooks h);
  void stop();
  source_counts counts() const noexcept;
  const stream_source_options& options() const noexcept { return opt_; }

  // The sink's side.
  std::uint64_t issued() const noexcept { return issued_.load(std::memory_order_acquire); }
  std::uint64_t acked() const noexcept { return acked_.load(std::memory_order_acquire); }
  const stream_id& slot(std::uint64_t handle) const noexcept { return ring_[handle & mask_]; }
  void set_acked(std::uint64_t end) noexcept { acked_.store(end, std::memory_order_release); }
  bool lookup(std::uint64_t handle, stream_id& out) const noexcept;

 private:
  enum class step { ok, lost, stopped };
  void run() noexcept;
  bool loop();
  step setup();
  step recover_own();
  step claim_idle();
  step read_new();
  step wait_for_room(std::size_t n);
  // Takes the entries of one XREADGROUP/XAUTOCLAIM entry array. `skip_in_flight`
  // ignores ids already in flight here (a re-read of our own pending list).
  step take_entries(const redisReply* entries, bool skip_in_flight,
                    std::atomic<std::uint64_t>* counter, std::string* last_id);
  step flush_dead();
  step lost_dead();
  void snapshot_in_flight();
  void bump(std::atomic<std::uint64_t>& c, std::uint64_t n = 1) noexcept {
    c.store(c.load(std::memory_order_relaxed) + n, std::memory_order_relaxed);
  }

  stream_source_options opt_;
  std::size_t width_;
  connection conn_;
  source_hooks hooks_;
  std::thread thread_;
  std::atomic<bool> stop_{false};

  std::vector<stream_id> ring_;
  std::uint64_t mask_ = 0;
  alignas(cache_line) std::atomic<std::uint64_t> issued_{0};
  alignas(cache_line) std::atomic<std::uint64_t> acked_{0};

  // I/O thread only.
  argv_builder argv_;
  std::vector<double> values_;
  std::unordered_set<stream_id, stream_id_hash> in_flight_;
  struct dead_entry {
    std::string id;
    std::string reason;
    std::vector<std::string> fields;
  };
  std::vector<dead_entry> dead_;
  std::chrono::steady_clock::time_point next_claim_{};
  bool queue_closed_ = false;

  alignas(cache_line) std::atomic<std::uint64_t> read_{0}, pushed_{0}, reclaimed_own_{0},
      claimed_idle_{0}, dead_lettered_{0}, not_delivered_{0}, deleted_{0}, reads_{0},
      full_waits_{0};
};

}  // namespace detail
}  // namespace redis
RILL_NAMESPACE_END
