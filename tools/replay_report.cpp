#include "replay_report.hpp"

#include <fmt/format.h>
#include <unistd.h>

#include <chrono>
#include <cstdio>
#include <stdexcept>

namespace rill::tools {

void write_text_file(const std::string& path, const std::string& text) {
  std::FILE* f = std::fopen(path.c_str(), "wb");
  if (!f) throw std::runtime_error(path + ": cannot open for writing");
  const bool ok = std::fwrite(text.data(), 1, text.size(), f) == text.size();
  if (std::fclose(f) != 0 || !ok) throw std::runtime_error(path + ": write failed");
}

rill::prequential_metrics metrics_between(const rill::prequential_metrics& a,
                                          const rill::prequential_metrics& b) noexcept {
  rill::prequential_metrics d;
  d.count = b.count - a.count;
  d.correct = b.correct - a.correct;
  d.true_pos = b.true_pos - a.true_pos;
  d.false_pos = b.false_pos - a.false_pos;
  d.false_neg = b.false_neg - a.false_neg;
  d.log_loss_sum = b.log_loss_sum - a.log_loss_sum;
  d.abs_err_sum = b.abs_err_sum - a.abs_err_sum;
  d.sq_err_sum = b.sq_err_sum - a.sq_err_sum;
  return d;
}

void write_report_csv(const std::string& path, bool classification,
                      const std::vector<interval_point>& points,
                      const std::vector<std::uint64_t>& drift_rows) {
  std::string out = classification
                        ? "row,labels,accuracy,accuracy_interval,f1,logloss,logloss_interval"
                        : "row,labels,mae,mae_interval,rmse,rmse_interval";
  out += ",drifts,warnings,drift_rows,latency_p50_ns,latency_p99_ns,latency_p999_ns,throughput_eps\n";
  rill::prequential_metrics previous;
  std::uint64_t previous_row = 0;
  std::size_t next_drift = 0;
  for (const auto& p : points) {
    const auto& m = p.cumulative;
    const auto in = metrics_between(previous, m);
    out += classification ? fmt::format("{},{},{:.6f},{:.6f},{:.6f},{:.6f},{:.6f}", p.row, m.count,
                                        m.accuracy(), in.accuracy(), m.f1(), m.log_loss(),
                                        in.log_loss())
                          : fmt::format("{},{},{:.9g},{:.9g},{:.9g},{:.9g}", p.row, m.count, m.mae(),
                                        in.mae(), m.rmse(), in.rmse());
    std::string rows;
    while (next_drift < drift_rows.size() && drift_rows[next_drift] < p.row)
      rows += fmt::format("{}{}", rows.empty() ? "" : ";", drift_rows[next_drift++]);
    const double eps = p.seconds > 0 ? static_cast<double>(p.row - previous_row) / p.seconds : 0.0;
    out += fmt::format(",{},{},{},{},{},{},{:.0f}\n", p.drifts, p.warnings, rows, p.p50_ns, p.p99_ns,
                       p.p999_ns, eps);
    previous = m;
    previous_row = p.row;
  }
  write_text_file(path, out);
}

void write_latency_csv(const std::string& path, const rill::latency_histogram& h) {
  std::string out = "lower_ns,upper_ns,count\n";
  for (std::size_t i = 0; i < rill::latency_histogram::bucket_count; ++i)
    if (const auto c = h.bucket(i))
      out += fmt::format("{},{},{}\n", rill::latency_histogram::lower_of(i),
                         rill::latency_histogram::upper_of(i), c);
  write_text_file(path, out);
}

std::string latency_path(const std::string& report_path) {
  const std::string ext = ".csv";
  if (report_path.size() > ext.size() && report_path.ends_with(ext))
    return report_path.substr(0, report_path.size() - ext.size()) + ".latency.csv";
  return report_path + ".latency.csv";
}

namespace {
std::int64_t now_ns() {
  return std::chrono::duration_cast<std::chrono::nanoseconds>(
             std::chrono::steady_clock::now().time_since_epoch())
      .count();
}
}  // namespace

progress_bar::progress_bar(std::uint64_t total, bool enabled)
    : total_(total), enabled_(enabled && isatty(STDERR_FILENO) == 1) {}

progress_bar::~progress_bar() { finish(); }

void progress_bar::start(std::string label) {
  label_ = std::move(label);
  last_draw_ns_ = 0;
  update(0);
}

void progress_bar::update(std::uint64_t done) {
  if (!enabled_) return;
  const std::int64_t t = now_ns();
  if (done != 0 && done < total_ && t - last_draw_ns_ < 100'000'000) return;
  last_draw_ns_ = t;
  constexpr int width = 30;
  const double frac = total_ ? static_cast<double>(done) / static_cast<double>(total_) : 1.0;
  const int filled = static_cast<int>(frac * width);
  std::fprintf(stderr, "\r  %-28s [%s%s] %5.1f%%", label_.c_str(),
               std::string(static_cast<std::size_t>(filled), '#').c_str(),
               std::string(static_cast<std::size_t>(width - filled), '.').c_str(), 100.0 * frac);
  std::fflush(stderr);
  drawn_ = true;
}

void progress_bar::finish() {
  if (!drawn_) return;
  std::fprintf(stderr, "\r%*s\r", 72, "");
  std::fflush(stderr);
  drawn_ = false;
}

}  // namespace rill::tools
