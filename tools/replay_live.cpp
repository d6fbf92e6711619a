#include "replay_live.hpp"

#include "cli.hpp"

#ifdef RILL_TOOL_HAVE_HTTP
#include <charconv>

#include "rill/http/live_feed.hpp"
#include "rill/http/live_server.hpp"
#include "rill/metrics/registry.hpp"
#endif

namespace rill::tools {

#ifdef RILL_TOOL_HAVE_HTTP
namespace {

class http_live_view final : public live_view {
 public:
  http_live_view(const std::string& address, std::uint16_t port, bool allow_remote,
                 const std::string& title, const std::string& metric_name)
      : feed_({.sample_every = 20}),
        events_(registry_.add_counter("events", "Events replayed")),
        drifts_(registry_.add_counter("drifts", "Drifts detected on the error stream")),
        metric_(registry_.add_gauge(metric_name, "Prequential " + metric_name + " over the last 100 labels",
                                    rill::gauge_merge::last)),
        version_(registry_.add_gauge("model_version", "Models the drift policy put in service",
                                     rill::gauge_merge::max)),
        latency_(registry_.add_histogram("latency", "Push + feedback time per event (ns)")),
        rate_(registry_.add_rate("events_per_second", "Events replayed per second", events_)),
        recorder_(registry_.add_recorder("replay")) {
    rill::live_server_options o;
    o.address = address;
    o.port = port;
    o.allow_non_loopback = allow_remote;
    o.title = title;
    o.latency_histogram = "latency";
    server_ = std::make_unique<rill::live_server>(o);
    server_->add_feed(feed_);
    server_->set_registry(&registry_);
    server_->start();
    feed_.on_model_version(version_number_, 0);
    recorder_.set(version_, 1);
  }
  ~http_live_view() override { server_->stop(); }

  void prediction(std::uint64_t id, std::int64_t t, double value, double label) noexcept override {
    feed_.on_prediction(id, t, value, label);
    recorder_.add(events_);
  }
  void drift(std::uint64_t id, std::int64_t t, double statistic) noexcept override {
    feed_.on_drift(id, t, statistic);
    recorder_.add(drifts_);
  }
  void warning(std::uint64_t id, std::int64_t t, double statistic) noexcept override {
    feed_.on_warning(id, t, statistic);
  }
  void model_replaced(std::int64_t t) noexcept override {
    feed_.on_model_version(++version_number_, t);
    recorder_.set(version_, static_cast<double>(version_number_));
  }
  void scored(std::uint64_t n, std::int64_t t, double metric) noexcept override {
    feed_.on_score(n, t, metric);
    recorder_.set(metric_, metric);
  }
  void latency(std::uint64_t ns) noexcept override { recorder_.record(latency_, ns); }
  std::string url() const override { return server_->url(); }
  std::uint64_t dropped() const noexcept override { return feed_.counts().queue.dropped_full; }

 private:
  rill::live_feed feed_;
  rill::metrics_registry registry_;
  rill::counter_id events_, drifts_;
  rill::gauge_id metric_, version_;
  rill::histogram_id latency_;
  rill::rate_id rate_;
  rill::metrics_recorder& recorder_;
  std::unique_ptr<rill::live_server> server_;
  std::uint64_t version_number_ = 1;
};

}  // namespace
#endif

std::unique_ptr<live_view> start_live_view(const std::string& address_port, bool allow_remote,
                                           const std::string& title, const std::string& metric_name) {
#ifdef RILL_TOOL_HAVE_HTTP
  const auto colon = address_port.rfind(':');
  if (colon == std::string::npos)
    throw usage_error("--serve needs ADDRESS:PORT (e.g. 127.0.0.1:8080, or :0 for any free port)");
  std::string address = address_port.substr(0, colon);
  if (address.empty()) address = "127.0.0.1";
  if (address.size() > 2 && address.front() == '[' && address.back() == ']')
    address = address.substr(1, address.size() - 2);
  unsigned port = 0;
  const std::string p = address_port.substr(colon + 1);
  const auto [end, ec] = std::from_chars(p.data(), p.data() + p.size(), port);
  if (ec != std::errc{} || end != p.data() + p.size() || port > 65535)
    throw usage_error("--serve " + address_port + ": the port must be a number in 0..65535");
  if (!allow_remote && !rill::is_loopback_address(address))
    throw usage_error("--serve " + address_port + ": " + address +
                      " is not a loopback address; add --serve-remote to expose the view");
  return std::make_unique<http_live_view>(address, static_cast<std::uint16_t>(port), allow_remote,
                                          title, metric_name);
#else
  (void)address_port, (void)allow_remote, (void)title, (void)metric_name;
  throw usage_error("--serve needs rill::http, which this rill was built without "
                    "(Debian: libcpp-httplib-dev, then re-run cmake)");
#endif
}

}  // namespace rill::tools
