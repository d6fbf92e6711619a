// `rill replay`: runs a learning pipeline over a CSV stream, test-then-train, and
// reports prequential metrics, throughput and per-event latency.
#include <fmt/format.h>
#include <unistd.h>

#include <chrono>
#include <cmath>
#include <cstdint>
#include <cstdio>
#include <memory>
#include <optional>
#include <string>
#include <thread>
#include <vector>

#include "cli.hpp"
#include "commands.hpp"
#include "replay_config.hpp"
#include "replay_features.hpp"
#include "replay_live.hpp"
#include "replay_report.hpp"
#include "rill/core/graph.hpp"
#include "rill/drift/policy.hpp"
#include "rill/drift/registry.hpp"
#include "rill/io/csv.hpp"
#include "rill/io/sinks.hpp"
#include "rill/learn/join.hpp"
#include "rill/learn/learn.hpp"
#include "rill/learn/learn_transform.hpp"
#include "rill/learn/linear_learner.hpp"
#include "rill/learn/pending.hpp"
#include "rill/learn/sklearn_sgd.hpp"
#include "rill/metrics/latency_histogram.hpp"
#include "rill/metrics/prequential.hpp"
#include "rill/model/linear.hpp"
#include "rill/model/predict.hpp"
#include "rill/window/standard_scaler.hpp"

namespace {

using rill::tools::usage_error;

// The CSV, split into features (row-major, NaN replaced by 0), labels and event times.
struct stream_data {
  std::string file, label_name;
  std::size_t rows = 0, features = 0;
  std::vector<std::string> names;  // of the feature columns
  std::vector<double> x;
  std::vector<double> y;
  std::vector<std::int64_t> time_ns;  // the time column scaled to ns, or the row number
  bool binary = true;
  std::uint64_t missing_features = 0, missing_labels = 0;
};

enum class compat_mode { native, river, sklearn };
enum class learner_kind { sgd, momentum, adagrad, rmsprop, adam, ftrl, pa, perceptron };

struct settings {
  compat_mode compat = compat_mode::native;
  learner_kind learner = learner_kind::sgd;
  std::string learner_name = "sgd";
  rill::linear_learner<rill::any_loss, rill::any_optimizer, rill::any_schedule> river_style;
  rill::sklearn_sgd<rill::any_loss, 1>::settings sklearn_style;  // width-independent part
  bool scale = false;
  std::size_t delay = 0;  // labels arrive this many rows after their event
  std::string description;
  // Drift: a detector on the error stream of the learn path, and what to do on drift.
  std::string detector;  // empty: none
  std::vector<std::string> detector_params;
  std::string on_drift = "report";
};

struct run_result {
  rill::prequential_metrics metrics;
  rill::pending_counters pending;
  double seconds = 0;
  rill::latency_histogram latency;
  std::vector<double> weights;
  double bias = 0;
  std::vector<double> scale_mean, scale_std;  // the scaler's final statistics (with --scale)
  std::vector<std::uint64_t> drifts, warnings;  // rows (event ids) where they were flagged
  std::vector<rill::tools::interval_point> points;  // one per --report-every rows
};

// What --features did, for the summary.
struct feature_summary {
  std::string spec;  // empty: the file's columns as they are
  std::size_t inputs = 0, columns = 0;
  double seconds = 0;
  std::uint64_t overflows = 0, out_of_order = 0, late_dropped = 0, undefined_returns = 0;
};

// How one pass runs: timed per event or not, with a progress bar, reporting intervals.
struct pass_options {
  bool timed = false;
  rill::tools::progress_bar* progress = nullptr;
  std::uint64_t report_every = 0;  // rows per interval_point; 0: none
  rill::tools::live_view* live = nullptr;  // --serve: the live view to feed
  double rate = 0;                         // --rate: events per second (0: as fast as it goes)
};

// A detector that may be absent (no --detector): then it never signals.
class maybe_detector {
 public:
  explicit maybe_detector(const settings& s) {
    if (!s.detector.empty()) d_.emplace(rill::make_detector(s.detector, s.detector_params));
  }
  rill::drift_signal update(double x) noexcept {
    return d_ ? d_->update(x) : rill::drift_signal::none;
  }
  bool drift_detected() const noexcept { return d_ && d_->drift_detected(); }
  bool warning_detected() const noexcept { return d_ && d_->warning_detected(); }
  void reset() noexcept {
    if (d_) d_->reset();
  }
  double statistic() const noexcept { return d_ ? d_->statistic() : 0.0; }

 private:
  std::optional<rill::any_detector> d_;
};

// --on-drift chosen at run time; drift and warning rows are logged into vectors
// reserved for the whole stream, so logging never allocates while it runs.
template <class Model, class State>
struct replay_policy {
  enum class kind { report, reset, boost, challenger } which;
  rill::reset_learner<Model, State> reset;
  rill::raise_learning_rate<State> boost;
  rill::promote_challenger<Model, State> challenger;
  run_result* log;
  rill::tools::live_view* live;

  replay_policy(kind k, Model& m, State& s, run_result& r, rill::tools::live_view* v)
      : which(k), reset{&m, &s}, boost{&s, 10.0, 500}, challenger(m, s), log(&r), live(v) {}

  template <class In>
  void observe(const In& in) noexcept {
    if (which == kind::boost) boost.observe(in);
    if (which == kind::challenger) challenger.observe(in);
  }
  void on_warning(const rill::drift_event& e) noexcept {
    if (log->warnings.size() < log->warnings.capacity()) log->warnings.push_back(e.id);
    if (live) live->warning(e.id, e.time_ns, e.statistic);
    if (which == kind::challenger) challenger.on_warning(e);
  }
  void on_drift(const rill::drift_event& e) noexcept {
    if (log->drifts.size() < log->drifts.capacity()) log->drifts.push_back(e.id);
    if (live) {
      live->drift(e.id, e.time_ns, e.statistic);
      if (which == kind::reset || which == kind::challenger) live->model_replaced(e.time_ns);
    }
    if (which == kind::reset) reset.on_drift(e);
    if (which == kind::boost) boost.on_drift(e);
    if (which == kind::challenger) challenger.on_drift(e);
  }
};

// `time_unit_ns` > 0: `time_column` holds event times in that unit.
stream_data load(const std::string& path, const std::string& label_column,
                 const std::string& time_column, std::int64_t time_unit_ns) {
  const rill::csv_table t = rill::read_csv(path);
  const std::size_t needed = time_column.empty() ? 2 : 3;
  if (t.columns.size() < needed)
    throw std::runtime_error(path + ": needs at least one feature column and a label column" +
                             (time_column.empty() ? "" : " besides the time column"));
  if (t.rows() == 0) throw std::runtime_error(path + ": header only, no rows to replay");
  const std::size_t label = label_column.empty() ? t.columns.size() - 1 : t.column_index(label_column);
  const std::size_t time = time_column.empty() ? t.columns.size() : t.column_index(time_column);
  if (time == label) throw usage_error("--time-column and the label column are the same column");
  stream_data d;
  d.file = path;
  d.label_name = t.columns[label];
  d.rows = t.rows();
  d.features = t.columns.size() - needed + 1;
  for (std::size_t c = 0; c < t.columns.size(); ++c)
    if (c != label && c != time) d.names.push_back(t.columns[c]);
  d.x.reserve(d.rows * d.features);
  d.y.reserve(d.rows);
  d.time_ns.reserve(d.rows);
  for (std::size_t r = 0; r < d.rows; ++r) {
    const auto row = t.row(r);
    if (time < row.size()) {
      const double v = row[time] * static_cast<double>(time_unit_ns);
      if (!std::isfinite(v) || std::abs(v) >= 9.2e18)
        throw std::runtime_error(fmt::format("{}: row {}: column '{}' is not a time ({})", path,
                                             r + 1, time_column, row[time]));
      d.time_ns.push_back(static_cast<std::int64_t>(v));
    } else {
      d.time_ns.push_back(static_cast<std::int64_t>(r));
    }
    for (std::size_t c = 0; c < row.size(); ++c) {
      if (c == label || c == time) continue;
      const bool missing = !std::isfinite(row[c]);
      d.missing_features += missing;
      d.x.push_back(missing ? 0.0 : row[c]);
    }
    const double y = row[label];
    d.missing_labels += !std::isfinite(y);
    d.y.push_back(y);
    if (std::isfinite(y) && y != 0.0 && y != 1.0) d.binary = false;
  }
  return d;
}

// A standard scaler that can be switched off at run time (one branch per row), so
// `--scale` does not double the pipelines the tool compiles.
template <std::size_t W>
struct optional_scaler {
  using input_type = rill::event<W, double>;
  rill::standard_scaler<W, double> scaler;
  bool enabled = false;
  void learn(const rill::feature_row<double, W>& x) noexcept {
    if (enabled) scaler.learn(x);
  }
  rill::feature_row<double, W> transform(const rill::feature_row<double, W>& x) const noexcept {
    return enabled ? scaler.transform(x) : x;
  }
};

// One pass over the stream through the graph. With `timed`, each event's push and
// the feedback that follows it are timed; otherwise only the whole pass is.
template <std::size_t W, rill::link_function Link, class Learner>
run_result run(const stream_data& d, const settings& s, const Learner& learner,
               const pass_options& o) {
  const bool timed = o.timed;
  rill::linear_model<W, double, Link> model;
  optional_scaler<W> scaler;
  scaler.enabled = s.scale;
  rill::pending_buffer<W, double> pending(std::max<std::size_t>(1024, 2 * (s.delay + 1)));
  run_result out;
  out.drifts.reserve(d.rows);
  out.warnings.reserve(d.rows);
  using model_type = decltype(model);
  using state_type = typename rill::detail::learner_state<Learner, model_type>::type;
  state_type state(learner);
  using policy_type = replay_policy<model_type, state_type>;
  using policy_kind = typename policy_type::kind;
  const policy_kind kind = s.on_drift == "reset"        ? policy_kind::reset
                           : s.on_drift == "boost"      ? policy_kind::boost
                           : s.on_drift == "challenger" ? policy_kind::challenger
                                                        : policy_kind::report;
  // The live view sees each prediction with the label the replay already knows.
  auto to_live = [&o, &d](const rill::prediction<double>& p) noexcept {
    if (o.live) o.live->prediction(p.id, p.time_ns, p.value, d.y[p.id]);
  };
  auto g = rill::graph(
      rill::predict(model, scaler) | rill::remember(pending) | rill::callback_sink(to_live),
      rill::join(pending) | rill::learn_transform(scaler) |
          rill::adapt_on_drift(maybe_detector(s), policy_type(kind, model, state, out, o.live),
                               rill::prediction_error{d.binary}) |
          rill::learn(model, rill::shared(state)) | rill::score_prequential<double>(out.metrics));

  auto feedback = [&](std::size_t r) {
    if (std::isfinite(d.y[r])) g.feedback({r, static_cast<std::int64_t>(r + s.delay), d.y[r]});
  };
  rill::event<W, double> e;
  using clock = std::chrono::steady_clock;
  // Interval bookkeeping runs once per --report-every rows, outside the timed span.
  rill::latency_histogram interval_latency;
  out.points.reserve(o.report_every ? d.rows / o.report_every + 2 : 0);
  std::uint64_t next_point = o.report_every ? o.report_every : d.rows + 1;
  auto interval_start = clock::now();
  auto close_interval = [&](std::uint64_t rows_done) {
    const auto now = clock::now();
    out.points.push_back({rows_done, out.metrics, out.drifts.size(), out.warnings.size(),
                          interval_latency.quantile(0.5), interval_latency.quantile(0.99),
                          interval_latency.quantile(0.999),
                          std::chrono::duration<double>(now - interval_start).count()});
    interval_latency = {};
    interval_start = now;
  };
  rill::prequential_metrics live_scored;
  const auto start = clock::now();
  for (std::size_t r = 0; r < d.rows; ++r) {
    e.id = r;
    e.time_ns = static_cast<std::int64_t>(r);
    std::copy_n(d.x.data() + r * d.features, d.features, e.x.data());
    const auto t0 = timed ? clock::now() : clock::time_point{};
    g.push(e);
    if (r >= s.delay) feedback(r - s.delay);
    if (timed) {
      const auto ns = static_cast<std::uint64_t>((clock::now() - t0).count());
      out.latency.record(ns);
      interval_latency.record(ns);
      if (o.live) o.live->latency(ns);
    }
    if (o.live) {
      if ((r + 1) % 100 == 0) {  // the metric over the last 100 labels, for the dashboard
        const auto in = rill::tools::metrics_between(live_scored, out.metrics);
        live_scored = out.metrics;
        o.live->scored(out.metrics.count, e.time_ns, d.binary ? in.accuracy() : in.mae());
      }
      if (o.rate > 0)
        std::this_thread::sleep_until(
            start + std::chrono::duration_cast<clock::duration>(
                        std::chrono::duration<double>(static_cast<double>(r + 1) / o.rate)));
    }
    if (r + 1 == next_point && r + 1 < d.rows) {
      close_interval(r + 1);
      next_point += o.report_every;
    }
    if (o.progress && (r & 0x3FFF) == 0) o.progress->update(r);
  }
  for (std::size_t r = d.rows > s.delay ? d.rows - s.delay : 0; r < d.rows; ++r) feedback(r);
  out.seconds = std::chrono::duration<double>(clock::now() - start).count();
  // The last interval also takes the labels that arrive after the final event.
  if (o.report_every) close_interval(d.rows);
  out.pending = pending.counters();
  out.weights.assign(model.weights.begin(), model.weights.begin() + d.features);
  out.bias = model.bias;
  if (s.scale) {
    for (std::size_t i = 0; i < d.features; ++i) {
      out.scale_mean.push_back(scaler.scaler.mean(i));
      out.scale_std.push_back(std::sqrt(scaler.scaler.variance(i)));
    }
  }
  return out;
}

template <std::size_t W, rill::link_function Link>
run_result run_width(const stream_data& d, const settings& s, const pass_options& o) {
  const bool sklearn_learner =
      s.compat == compat_mode::sklearn || s.learner == learner_kind::pa;
  if (sklearn_learner)
    return run<W, Link>(d, s, rill::sklearn_sgd<rill::any_loss, W, double>(
                                  {s.sklearn_style.loss, s.sklearn_style.penalty,
                                   s.sklearn_style.alpha, s.sklearn_style.l1_ratio,
                                   s.sklearn_style.schedule, s.sklearn_style.fit_intercept,
                                   s.sklearn_style.pa, s.sklearn_style.C}),
                        o);
  return run<W, Link>(d, s, s.river_style, o);
}

// Picks the narrowest compiled width that holds the file's features; the padding
// features are zero and stay zero through scaling, so they never move a weight.
template <rill::link_function Link>
run_result run_any_width(const stream_data& d, const settings& s, const pass_options& o) {
  if (d.features <= 8) return run_width<8, Link>(d, s, o);
  if (d.features <= 16) return run_width<16, Link>(d, s, o);
  if (d.features <= 32) return run_width<32, Link>(d, s, o);
  if (d.features <= 64) return run_width<64, Link>(d, s, o);
  if (d.features <= 128) return run_width<128, Link>(d, s, o);
  if (d.features <= 256) return run_width<256, Link>(d, s, o);
  throw std::runtime_error(d.file + ": " + std::to_string(d.features) +
                           " feature columns; rill replay handles at most 256");
}

run_result run_stream(const stream_data& d, const settings& s, const pass_options& o) {
  if (d.binary) return run_any_width<rill::link_function::logistic>(d, s, o);
  return run_any_width<rill::link_function::identity>(d, s, o);
}

// ---- configuration from flags ---------------------------------------------------------

template <class E>
E pick(const std::string& flag, const std::string& value,
       std::initializer_list<std::pair<const char*, E>> choices) {
  std::string names;
  for (const auto& [name, e] : choices) {
    if (value == name) return e;
    names += (names.empty() ? "" : ", ") + std::string(name);
  }
  throw usage_error(flag + " must be one of " + names + "; got '" + value + "'");
}

rill::any_loss loss_from_flag(const std::string& name, bool binary) {
  using K = rill::any_loss::kind;
  rill::any_loss l;
  l.which = pick<K>("--loss", name,
                    {{"squared", K::squared}, {"logistic", K::logistic}, {"hinge", K::hinge},
                     {"huber", K::huber}, {"epsilon_insensitive", K::epsilon_insensitive}});
  if (rill::is_classification_loss(l) != binary)
    throw usage_error("--loss " + name + " is a " +
                      (binary ? "regression loss, but the label is 0/1"
                              : "classification loss, but the label is not 0/1"));
  l.param = l.which == K::hinge ? 1.0 : (l.which == K::squared ? 1.0 : 0.1);
  return l;
}

settings configure(const rill::tools::cli& cli, const stream_data& d) {
  settings s;
  s.compat = pick<compat_mode>("--compat", cli.get_or("--compat", "native"),
                               {{"native", compat_mode::native},
                                {"river", compat_mode::river},
                                {"sklearn", compat_mode::sklearn}});
  s.learner_name = cli.get_or("--learner", "sgd");
  s.learner = pick<learner_kind>(
      "--learner", s.learner_name,
      {{"sgd", learner_kind::sgd}, {"momentum", learner_kind::momentum},
       {"adagrad", learner_kind::adagrad}, {"rmsprop", learner_kind::rmsprop},
       {"adam", learner_kind::adam}, {"ftrl", learner_kind::ftrl}, {"pa", learner_kind::pa},
       {"perceptron", learner_kind::perceptron}});
  s.scale = cli.has("--scale");
  s.detector = cli.get_or("--detector", "");
  s.detector_params = cli.get_all("--param");
  s.on_drift = cli.get_or("--on-drift", "report");
  if (s.on_drift != "report" && s.on_drift != "reset" && s.on_drift != "boost" &&
      s.on_drift != "challenger")
    throw usage_error("--on-drift must be one of report, reset, boost, challenger; got '" +
                      s.on_drift + "'");
  if (s.detector.empty() && (!s.detector_params.empty() || cli.has("--on-drift")))
    throw usage_error("--param and --on-drift need --detector NAME");
  if (!s.detector.empty()) {
    try {
      (void)rill::make_detector(s.detector, s.detector_params);  // validate before the run
    } catch (const std::invalid_argument& e) {
      throw usage_error(e.what());
    }
  }
  const double delay = cli.number("--delay", 0);
  if (delay < 0 || delay != std::floor(delay)) throw usage_error("--delay must be a whole number >= 0");
  s.delay = static_cast<std::size_t>(delay);
  const double l1 = cli.number("--l1", 0), l2 = cli.number("--l2", 0);
  if (l1 < 0 || l2 < 0) throw usage_error("--l1 and --l2 must be >= 0");
  if (s.learner == learner_kind::perceptron && !d.binary)
    throw usage_error("--learner perceptron needs a 0/1 label");

  // Loss: the flag, or the mode's default for the task.
  using LK = rill::any_loss::kind;
  rill::any_loss loss;
  if (auto name = cli.get("--loss")) {
    loss = loss_from_flag(*name, d.binary);
  } else if (s.learner == learner_kind::perceptron) {
    loss = {LK::hinge, 0.0};
  } else if (s.learner == learner_kind::pa) {
    loss = d.binary ? rill::any_loss{LK::hinge, 1.0} : rill::any_loss{LK::epsilon_insensitive, 0.1};
  } else if (s.compat == compat_mode::sklearn) {
    loss = d.binary ? rill::any_loss{LK::hinge, 1.0} : rill::any_loss{LK::squared, 1.0};
  } else {
    loss = d.binary ? rill::any_loss{LK::logistic, 1.0} : rill::any_loss{LK::squared, 1.0};
  }
  // River's squared loss has gradient 2(ŷ − y).
  if (s.compat == compat_mode::river && loss.which == LK::squared) loss.param = 2.0;

  using SK = rill::any_schedule::kind;
  const std::string schedule_name = cli.get_or(
      "--schedule", s.compat == compat_mode::sklearn && s.learner == learner_kind::sgd
                        ? (d.binary ? "optimal" : "invscaling")
                        : "constant");
  rill::any_schedule schedule;
  schedule.which = pick<SK>("--schedule", schedule_name,
                            {{"constant", SK::constant}, {"inverse_time", SK::inverse_time},
                             {"invscaling", SK::inverse_scaling}, {"optimal", SK::optimal}});

  if (s.compat == compat_mode::sklearn || s.learner == learner_kind::pa) {
    if (s.learner != learner_kind::sgd && s.learner != learner_kind::pa &&
        s.learner != learner_kind::perceptron)
      throw usage_error("--compat sklearn supports --learner sgd, pa and perceptron (SGDClassifier/"
                        "SGDRegressor, PassiveAggressive*, Perceptron); got '" + s.learner_name + "'");
    auto& k = s.sklearn_style;
    k.loss = loss;
    const double eta0 = cli.number("--lr", s.learner == learner_kind::perceptron ? 1.0 : 0.01);
    schedule.constant = {eta0};
    schedule.inverse_time = {eta0, 1e-3};
    schedule.inverse_scaling = {eta0, cli.number("--power-t", 0.25)};
    k.schedule = schedule;
    if (s.learner == learner_kind::perceptron || s.learner == learner_kind::pa) {
      k.penalty = rill::penalty::none;
      if (s.learner == learner_kind::perceptron) k.schedule.which = SK::constant;
    } else if (l1 > 0 && l2 > 0) {
      k.penalty = rill::penalty::elastic_net;
      k.alpha = l1 + l2;
      k.l1_ratio = l1 / (l1 + l2);
    } else if (l1 > 0) {
      k.penalty = rill::penalty::l1;
      k.alpha = l1;
    } else {
      k.penalty = rill::penalty::l2;
      k.alpha = cli.has("--l2") ? l2 : 1e-4;
    }
    if (s.learner == learner_kind::pa) {
      k.pa = rill::passive_aggressive::pa1;
      k.C = cli.number("--C", 1.0);
    }
    s.description = fmt::format("scikit-learn {} (alpha {}, {})",
                                s.learner == learner_kind::pa ? "PassiveAggressive (PA-I)"
                                                              : "SGD partial_fit",
                                k.alpha, schedule_name);
    return s;
  }

  // River's generalised linear model (native and river modes), River's defaults.
  auto& r = s.river_style;
  r.loss = loss;
  using OK = rill::any_optimizer::kind;
  double default_lr = 0.1;
  switch (s.learner) {
    case learner_kind::sgd: r.optimizer.which = OK::sgd; default_lr = 0.01; break;
    case learner_kind::perceptron: r.optimizer.which = OK::sgd; default_lr = 1.0; break;
    case learner_kind::momentum: r.optimizer.which = OK::momentum; break;
    case learner_kind::adagrad: r.optimizer.which = OK::adagrad; break;
    case learner_kind::rmsprop: r.optimizer.which = OK::rmsprop; break;
    case learner_kind::adam: r.optimizer.which = OK::adam; break;
    case learner_kind::ftrl: r.optimizer.which = OK::ftrl; default_lr = 0.05; break;
    case learner_kind::pa: break;
  }
  const double lr = cli.number("--lr", default_lr);
  if (!(lr > 0)) throw usage_error("--lr must be positive");
  r.optimizer.ftrl.alpha = lr;
  schedule.constant = {lr};
  schedule.inverse_time = {lr, cli.number("--decay", 1e-3)};
  schedule.inverse_scaling = {lr, cli.number("--power-t", 0.25)};
  schedule.optimal = rill::optimal_rate(l2 > 0 ? l2 : 1e-4, loss);
  r.schedule = schedule;
  r.l1 = l1;
  r.l2 = l2;
  const double default_intercept_lr =
      s.learner == learner_kind::perceptron ? 1.0 : (s.compat == compat_mode::river ? 0.01 : lr);
  r.intercept_lr = cli.number("--intercept-lr", default_intercept_lr);
  s.description = fmt::format("{} linear model, {} (lr {}, intercept lr {}, l1 {}, l2 {}, {})",
                              s.compat == compat_mode::river ? "River" : "rill", s.learner_name,
                              lr, r.intercept_lr, l1, l2, schedule_name);
  return s;
}

// ---- reporting ------------------------------------------------------------------------

// The interval metric at ten evenly spaced points: how the learner did over time.
std::string over_time(const stream_data& d, const run_result& r) {
  std::string out;
  const std::size_t n = r.points.size();
  rill::prequential_metrics previous;
  std::size_t shown = 0;
  for (std::size_t i = 0; i < n; ++i) {
    const std::size_t target = (shown + 1) * n / 10;
    if (i + 1 < target) continue;
    const auto in = rill::tools::metrics_between(previous, r.points[i].cumulative);
    previous = r.points[i].cumulative;
    out += fmt::format(" {:.3f}", d.binary ? in.accuracy() : in.mae());
    ++shown;
  }
  return out;
}

void print_text(const stream_data& d, const settings& s, const run_result& r, double eps,
                const feature_summary& fs) {
  const auto& m = r.metrics;
  fmt::print("rill replay: {}\n", d.file);
  fmt::print("  rows          {} ({} features, label '{}', {})\n", d.rows, d.features, d.label_name,
             d.binary ? "binary classification" : "regression");
  if (!fs.spec.empty()) {
    fmt::print("  features      {} -> {} columns from {} inputs ({:.1f} ns/row)\n", fs.spec, fs.columns,
               fs.inputs, 1e9 * fs.seconds / static_cast<double>(d.rows));
    if (fs.overflows || fs.out_of_order || fs.late_dropped || fs.undefined_returns)
      fmt::print("                windows: {} overflowed, {} out of order, {} late dropped; "
                 "{} undefined returns\n",
                 fs.overflows, fs.out_of_order, fs.late_dropped, fs.undefined_returns);
  }
  fmt::print("  pipeline      {}{} ; labels {} rows later\n", s.scale ? "standard scaler -> " : "",
             s.description, s.delay);
  if (d.binary)
    fmt::print("  prequential   accuracy {:.4f}   f1 {:.4f}   logloss {:.4f}   ({} labels)\n",
               m.accuracy(), m.f1(), m.log_loss(), m.count);
  else
    fmt::print("  prequential   mae {:.6g}   rmse {:.6g}   ({} labels)\n", m.mae(), m.rmse(), m.count);
  if (r.points.size() >= 10)
    fmt::print("  over time     {} by tenths:{}\n", d.binary ? "accuracy" : "mae", over_time(d, r));
  fmt::print("  throughput    {:.2f} M events/s (predict + learn, parsing excluded)\n", eps / 1e6);
  fmt::print("  latency ns    p50 {}   p99 {}   p99.9 {}   max {}   (per event: push + feedback)\n",
             r.latency.quantile(0.5), r.latency.quantile(0.99), r.latency.quantile(0.999),
             r.latency.max());
  if (d.missing_features || d.missing_labels)
    fmt::print("  missing       {} feature values replaced by 0, {} rows without a label skipped\n",
               d.missing_features, d.missing_labels);
  if (!s.detector.empty()) {
    std::string rows;
    for (std::size_t i = 0; i < r.drifts.size() && i < 20; ++i)
      rows += fmt::format("{}{}", i ? ", " : "", r.drifts[i]);
    if (r.drifts.size() > 20) rows += ", ...";
    fmt::print("  drift         {} drifts{}{} ({} on the error stream; {} warning zones; on drift: {})\n",
               r.drifts.size(), r.drifts.empty() ? "" : " at rows ", rows, s.detector,
               r.warnings.size(), s.on_drift);
  }
  if (r.pending.expired || r.pending.evicted || r.pending.unmatched)
    fmt::print("  pending       {} expired, {} evicted, {} unmatched labels\n", r.pending.expired,
               r.pending.evicted, r.pending.unmatched);
}

std::string json_string(const std::string& s) {
  std::string out = "\"";
  for (char c : s) {
    if (c == '"' || c == '\\') out += '\\';
    out += c;
  }
  return out + '"';
}

std::string json_list(const std::vector<std::uint64_t>& v) {
  std::string out;
  for (auto x : v) out += fmt::format("{}{}", out.empty() ? "" : ", ", x);
  return "[" + out + "]";
}

void print_json(const stream_data& d, const settings& s, const run_result& r, double eps,
                const feature_summary& fs) {
  const auto& m = r.metrics;
  std::string metrics =
      d.binary ? fmt::format(R"("accuracy": {:.6f}, "f1": {:.6f}, "logloss": {:.6f})",
                             m.accuracy(), m.f1(), m.log_loss())
               : fmt::format(R"("mae": {:.9g}, "rmse": {:.9g})", m.mae(), m.rmse());
  std::string weights;
  for (double w : r.weights) weights += fmt::format("{}{:.17g}", weights.empty() ? "" : ", ", w);
  fmt::print(
      R"({{"rows": {}, "features": {}, "label": {}, "task": "{}", "labels": {}, )"
      R"("metrics": {{{}}}, "throughput_eps": {:.0f}, )"
      R"("latency_ns": {{"p50": {}, "p99": {}, "p999": {}, "max": {}}}, )"
      R"("missing_features": {}, "missing_labels": {}, )"
      R"("model": {{"intercept": {:.17g}, "weights": [{}]}}{}}})"
      "\n",
      d.rows, d.features, json_string(d.label_name), d.binary ? "classification" : "regression",
      m.count, metrics, eps, r.latency.quantile(0.5), r.latency.quantile(0.99),
      r.latency.quantile(0.999), r.latency.max(), d.missing_features, d.missing_labels, r.bias,
      weights,
      (fs.spec.empty() ? std::string()
                       : fmt::format(R"(, "features": {{"spec": {}, "columns": {}, "ns_per_row": {:.1f}}})",
                                     json_string(fs.spec), fs.columns,
                                     1e9 * fs.seconds / static_cast<double>(d.rows))) +
      (s.detector.empty()
          ? std::string()
          : fmt::format(R"(, "drift": {{"detector": {}, "on_drift": {}, "drifts": {}, "warnings": {}}})",
                        json_string(s.detector), json_string(s.on_drift), json_list(r.drifts),
                        json_list(r.warnings))));
}

// Writes the learnt model as a rill.model v1 file (docs/formats.md), so that
// `rill score` can use it. With --scale the scaler is folded into the weights
// (w' = w/std, b' = b − Σ w·mean/std; a constant feature gets weight 0), so the file
// scores raw rows exactly as the pipeline did.
void save_model(const std::string& path, const stream_data& d, const settings& s,
                const run_result& r) {
  std::vector<double> w = r.weights;
  double b = r.bias;
  if (s.scale) {
    for (std::size_t i = 0; i < w.size(); ++i) {
      if (r.scale_std[i] > 0) {
        w[i] /= r.scale_std[i];
        b -= w[i] * r.scale_mean[i];
      } else {
        w[i] = 0;
      }
    }
  }
  const bool logistic = s.compat == compat_mode::sklearn || s.learner == learner_kind::pa
                            ? s.sklearn_style.loss.which == rill::any_loss::kind::logistic
                            : s.river_style.loss.which == rill::any_loss::kind::logistic;
  const char* output = !d.binary ? "identity" : (logistic ? "logistic" : "margin");
  std::string coef;
  for (double v : w) coef += fmt::format("{}{:.17g}", coef.empty() ? "" : ", ", v);
  const std::string text = fmt::format(
      "{{\n  \"format\": \"rill.model\",\n  \"format_version\": 1,\n  \"model\": \"linear\",\n"
      "  \"task\": \"{}\",\n  \"n_features\": {},\n  \"output\": \"{}\",\n"
      "  \"source\": {},\n  \"coef\": [[{}]],\n  \"intercept\": [{:.17g}]\n}}\n",
      d.binary ? "binary" : "regression", w.size(), output,
      json_string("rill replay: " + s.description), coef, b);
  rill::tools::write_text_file(path, text);
}

}  // namespace

int rill_cmd_replay(int argc, char** argv) {
  rill::tools::cli cli("replay", "replay a CSV stream through predict -> delayed label -> learn");
  cli.option("--input", "FILE.csv", "numeric CSV with a header row (required)")
      .option("--config", "FILE.json", "settings as JSON, keys = these flags without '--' "
                                       "(the command line overrides the file)")
      .option("--label-column", "NAME", "the label column (default: the last column)")
      .option("--time-column", "NAME", "event times for time windows (not a feature)")
      .option("--time-unit", "UNIT", "unit of --time-column: ns, us, ms, s (default), m, h, d")
      .option("--features", "LIST", "what the model sees, e.g. raw,mean:48,std:48,zscore:96,"
                                    "min:24,max:24,sum:N,var:N,ewm_mean:0.1,ewm_std:0.1,lag,"
                                    "diff,ret,logret (default raw; spans in rows, or with "
                                    "--time-column a duration like 30m)")
      .option("--summary", "text|json", "report format (default: text)")
      .option("--report", "FILE.csv", "write the metrics over time, and the latency histogram to "
                                      "FILE.latency.csv (see tools/plot_replay.py)")
      .option("--report-every", "ROWS", "rows per line of --report (default: rows / 200)")
      .flag("--no-progress", "no progress bar (it is drawn only when stderr is a terminal)")
      .option("--serve", "ADDR:PORT", "run once with the live view (rill::http) on, e.g. "
                                      "127.0.0.1:8080 or :0 (any free port); loopback only "
                                      "unless --serve-remote")
      .flag("--serve-remote", "allow --serve on a non-loopback address")
      .option("--rate", "EV/S", "with --serve: pace the replay to this many events per second")
      .option("--linger", "SECONDS", "with --serve: keep serving this long after the run "
                                     "(default: until Enter when stdin is a terminal, else 0)")
      .option("--compat", "native|river|sklearn", "reproduce a peer's learner exactly (default native)")
      .option("--learner", "NAME", "sgd, momentum, adagrad, rmsprop, adam, ftrl, pa, perceptron")
      .option("--loss", "NAME", "squared, logistic, hinge, huber, epsilon_insensitive")
      .option("--lr", "X", "learning rate (FTRL: alpha; sklearn: eta0)")
      .option("--intercept-lr", "X", "intercept learning rate (native: = lr; river: 0.01)")
      .option("--schedule", "NAME", "constant, inverse_time, invscaling, optimal")
      .option("--power-t", "X", "exponent of invscaling (default 0.25)")
      .option("--decay", "X", "decay of inverse_time: lr / (1 + decay t) (default 1e-3)")
      .option("--l1", "X", "L1 penalty (default 0)")
      .option("--l2", "X", "L2 penalty (default 0; sklearn: alpha, default 1e-4)")
      .option("--C", "X", "passive-aggressive aggressiveness (default 1)")
      .flag("--scale", "standardise features online (River's StandardScaler semantics)")
      .option("--delay", "ROWS", "labels arrive ROWS events after their event (default 0)")
      .option("--save-model", "FILE", "write the final model as rill.model JSON (for rill score)")
      .option("--detector", "NAME", "drift detector on the error stream: adwin, ddm, eddm, hddm_a, "
                                    "hddm_w, kswin, page_hinkley")
      .option("--param", "KEY=VALUE", "a detector parameter, River's names (repeatable)", true)
      .option("--on-drift", "POLICY", "report (default), reset, boost (lr x10 for 500 labels), "
                                      "challenger (trained from the warning, promoted on drift)");
  const std::vector<std::string> args = rill::tools::expand_config(argc, argv);
  std::vector<char*> arg_ptrs;
  for (const auto& a : args) arg_ptrs.push_back(const_cast<char*>(a.c_str()));
  if (!cli.parse(static_cast<int>(arg_ptrs.size()), arg_ptrs.data())) return 0;
  const auto input = cli.get("--input");
  if (!input) throw usage_error("--input FILE.csv is required");
  const std::string summary = cli.get_or("--summary", "text");
  if (summary != "text" && summary != "json")
    throw usage_error("--summary must be text or json, got '" + summary + "'");
  const auto time_column = cli.get("--time-column");
  if (cli.has("--time-unit") && !time_column) throw usage_error("--time-unit needs --time-column NAME");
  const std::int64_t time_unit_ns =
      !time_column ? 0
                   : pick<std::int64_t>("--time-unit", cli.get_or("--time-unit", "s"),
                                        {{"ns", 1}, {"us", 1'000}, {"ms", 1'000'000},
                                         {"s", 1'000'000'000}, {"m", 60'000'000'000},
                                         {"h", 3'600'000'000'000}, {"d", 86'400'000'000'000}});
  // Parse everything the file does not decide before reading it.
  std::vector<rill::tools::feature_item> features;
  if (auto f = cli.get("--features")) features = rill::tools::parse_features(*f, time_unit_ns);
  const double every = cli.number("--report-every", 0);
  if (every < 0 || every != std::floor(every)) throw usage_error("--report-every must be a whole number >= 0");
  using fk = rill::tools::feature_item::kind;
  if (cli.has("--save-model") && !(features.empty() || (features.size() == 1 && features[0].which == fk::raw)))
    throw usage_error("--save-model writes a model over the file's columns; it cannot be "
                      "combined with derived --features");
  const double rate = cli.number("--rate", 0), linger = cli.number("--linger", -1);
  const auto serve = cli.get("--serve");
  if (!serve && (cli.has("--rate") || cli.has("--linger") || cli.has("--serve-remote")))
    throw usage_error("--rate, --linger and --serve-remote go with --serve ADDR:PORT");
  if (rate < 0) throw usage_error("--rate must be >= 0");

  stream_data d = load(*input, cli.get_or("--label-column", ""), time_column.value_or(""), time_unit_ns);
  feature_summary fs;
  if (!features.empty()) {
    auto table = rill::tools::build_features(features, d.x.data(), d.rows, d.features, d.names, d.time_ns);
    fs = {cli.get_or("--features", ""), d.features, table.names.size(), table.seconds,
          table.window_overflows, table.out_of_order, table.late_dropped, table.undefined_returns};
    d.x = std::move(table.x);
    d.names = std::move(table.names);
    d.features = d.names.size();
  }
  const settings s = configure(cli, d);

  // Throughput from an untimed pass; latency from a second, identical pass that
  // reads the clock around every event (the clock read adds ~20 ns to each figure).
  pass_options o;
  o.report_every = every > 0 ? static_cast<std::uint64_t>(every)
                             : std::max<std::uint64_t>(1, d.rows / 200);
  rill::tools::progress_bar progress(d.rows, !cli.has("--no-progress"));
  o.progress = &progress;
  run_result timed;
  double eps = 0;
  std::unique_ptr<rill::tools::live_view> live;
  if (serve) {
    // One timed pass with the live view on (paced with --rate): throughput is then
    // that of the paced run, and the view's own cost is inside the latencies.
    live = rill::tools::start_live_view(*serve, cli.has("--serve-remote"),
                                        "rill replay — " + d.file, d.binary ? "accuracy" : "mae");
    std::fprintf(stderr, "live view: %s\n", live->url().c_str());
    o.timed = true;
    o.live = live.get();
    o.rate = rate;
    progress.start(rate > 0 ? "live (paced)" : "live");
    timed = run_stream(d, s, o);
    progress.finish();
    eps = static_cast<double>(d.rows) / timed.seconds;
  } else {
    progress.start("pass 1/2 (throughput)");
    const run_result fast = run_stream(d, s, o);
    o.timed = true;
    progress.start("pass 2/2 (latency)");
    timed = run_stream(d, s, o);
    progress.finish();
    // Interval throughput from the untimed pass (same intervals: same rows, same settings).
    for (std::size_t i = 0; i < timed.points.size() && i < fast.points.size(); ++i)
      timed.points[i].seconds = fast.points[i].seconds;
    eps = static_cast<double>(d.rows) / fast.seconds;
  }
  if (auto path = cli.get("--save-model")) save_model(*path, d, s, timed);
  if (auto path = cli.get("--report")) {
    rill::tools::write_report_csv(*path, d.binary, timed.points, timed.drifts);
    rill::tools::write_latency_csv(rill::tools::latency_path(*path), timed.latency);
  }
  if (summary == "json")
    print_json(d, s, timed, eps, fs);
  else
    print_text(d, s, timed, eps, fs);
  if (live) {
    std::fflush(stdout);
    if (const auto dropped = live->dropped())
      std::fprintf(stderr, "live view: %llu records dropped (queue full)\n",
                   static_cast<unsigned long long>(dropped));
    if (linger >= 0) {
      std::this_thread::sleep_for(std::chrono::duration<double>(linger));
    } else if (isatty(STDIN_FILENO) == 1) {
      std::fprintf(stderr, "live view: still serving %s; press Enter to stop\n", live->url().c_str());
      (void)std::getchar();
    }
  }
  return 0;
}
