// `rill replay --serve ADDR:PORT`: what a replay tells the live view (rill::http).
// The tool builds without rill::http too; then --serve is a clear error.
#pragma once

#include <cstdint>
#include <memory>
#include <string>

namespace rill::tools {

/// The replay's side of the live view. Called on the replay thread only; every call
/// is a non-blocking hand-over to the view's queue or metrics recorder.
class live_view {
 public:
  virtual ~live_view() = default;
  virtual void prediction(std::uint64_t id, std::int64_t time_ns, double value, double label) noexcept = 0;
  virtual void drift(std::uint64_t id, std::int64_t time_ns, double statistic) noexcept = 0;
  virtual void warning(std::uint64_t id, std::int64_t time_ns, double statistic) noexcept = 0;
  /// The drift policy replaced the model (reset, or the challenger promoted).
  virtual void model_replaced(std::int64_t time_ns) noexcept = 0;
  /// The prequential metric over the last interval, after `scored` labels.
  virtual void scored(std::uint64_t scored, std::int64_t time_ns, double metric) noexcept = 0;
  /// One event's push + feedback time.
  virtual void latency(std::uint64_t ns) noexcept = 0;
  /// Where it is served, e.g. http://127.0.0.1:8080/
  virtual std::string url() const = 0;
  /// Records the view dropped because its queue was full (a slow pump), for the summary.
  virtual std::uint64_t dropped() const noexcept = 0;
};

/// Starts the live view on `address_port` ("127.0.0.1:8080", ":0" for any free port
/// on loopback; a non-loopback address is served only with `allow_remote`).
/// `metric_name` is "accuracy" or "mae". Throws usage_error when this rill was built
/// without rill::http, or for a bad address; std::runtime_error when it cannot bind.
std::unique_ptr<live_view> start_live_view(const std::string& address_port, bool allow_remote,
                                           const std::string& title, const std::string& metric_name);

}  // namespace rill::tools
