// Online learners against scikit-learn and River, and the learn path's contracts.
#include <cmath>
#include <fstream>
#include <map>
#include <sstream>
#include <string>
#include <vector>

#include "catch.hpp"
#include "rill/io/csv.hpp"
#include "rill/learn/loss.hpp"
#include "rill/learn/schedule.hpp"
#include "rill/learn/sklearn_sgd.hpp"
#include "rill/model/linear.hpp"

namespace {

// A reference case written by tests/tools/gen_sgd_cases.py.
struct sgd_case {
  std::map<std::string, std::string> params;
  std::size_t rows = 0;
  double t = 0, intercept = 0;
  std::vector<double> coef;
};

sgd_case read_case(const std::string& name) {
  std::ifstream in(std::string(RILL_TEST_DATA_DIR) + "/sklearn_sgd/" + name + ".txt");
  REQUIRE(in.good());
  sgd_case c;
  std::string line;
  while (std::getline(in, line)) {
    std::istringstream ls(line);
    std::string key;
    ls >> key;
    if (key == "#") {
      std::string k, v;
      ls >> k;
      std::getline(ls, v);
      c.params[k] = v.empty() ? v : v.substr(1);
    } else if (key == "rows") {
      ls >> c.rows;
    } else if (key == "t") {
      ls >> c.t;
    } else if (key == "intercept") {
      ls >> c.intercept;
    } else if (key == "coef") {
      double v;
      while (ls >> v) c.coef.push_back(v);
    }
  }
  return c;
}

rill::any_schedule schedule_of(const sgd_case& c) {
  rill::any_schedule s;
  const std::string lr = c.params.at("learning_rate");
  const double eta0 = std::stod(c.params.at("eta0"));
  if (lr == "optimal") {
    s.which = rill::any_schedule::kind::optimal;
  } else if (lr == "invscaling") {
    s.which = rill::any_schedule::kind::inverse_scaling;
    s.inverse_scaling = {eta0, std::stod(c.params.at("power_t"))};
  } else {
    s.which = rill::any_schedule::kind::constant;
    s.constant = {eta0};
  }
  return s;
}

rill::penalty penalty_of(const sgd_case& c) {
  if (!c.params.count("penalty")) return rill::penalty::none;  // PassiveAggressive*
  const std::string p = c.params.at("penalty");
  if (p == "l2") return rill::penalty::l2;
  if (p == "l1") return rill::penalty::l1;
  if (p == "elasticnet") return rill::penalty::elastic_net;
  return rill::penalty::none;
}

// Replays `csv` one row at a time through the sklearn-compatible learner and checks
// the final weights against scikit-learn's own.
template <std::size_t D, class Loss>
void check_against_sklearn(const std::string& name, const std::string& csv, Loss loss) {
  const sgd_case c = read_case(name);
  REQUIRE(c.coef.size() == D);
  using learner_t = rill::sklearn_sgd<Loss, D, double>;
  typename learner_t::settings s;
  s.loss = loss;
  s.penalty = penalty_of(c);
  if (c.params.count("alpha")) s.alpha = std::stod(c.params.at("alpha"));
  if (c.params.count("l1_ratio")) s.l1_ratio = std::stod(c.params.at("l1_ratio"));
  const std::string model = c.params.at("model");
  if (model.rfind("PassiveAggressive", 0) == 0) {
    s.pa = c.params.at("loss") == "hinge" || c.params.at("loss") == "epsilon_insensitive"
               ? rill::passive_aggressive::pa1
               : rill::passive_aggressive::pa2;
    s.C = std::stod(c.params.at("C"));
    s.penalty = rill::penalty::none;
  } else {
    s.schedule = schedule_of(c);
  }
  learner_t learner(s);
  rill::linear_model<D, double, rill::link_function::identity> m;
  const auto table = rill::read_csv(csv);
  REQUIRE(table.rows() >= c.rows);
  for (std::size_t r = 0; r < c.rows; ++r) {
    rill::feature_row<double, D> x;
    for (std::size_t i = 0; i < D; ++i) x[i] = table.row(r)[i];
    learner.update(m, x, table.row(r)[D]);
  }
  INFO(name);
  CHECK(double(learner.t()) == c.t);
  auto close = [](double got, double want) {
    return std::abs(got - want) <= 1e-6 * std::max(std::abs(want), 1e-300);
  };
  CHECK(close(m.bias, c.intercept));
  for (std::size_t i = 0; i < D; ++i) {
    INFO("coef " << i << ": rill " << m.weights[i] << ", scikit-learn " << c.coef[i]);
    CHECK(close(m.weights[i], c.coef[i]));
  }
}

const std::string elec2 = RILL_SOURCE_DIR "/data/elec2.csv";
const std::string phishing = RILL_TEST_DATA_DIR "/fixtures/river_phishing.csv";
const std::string trump = RILL_TEST_DATA_DIR "/fixtures/river_trump_approval.csv";

}  // namespace

TEST_CASE("sklearn compat: SGDClassifier partial_fit on Elec2", "[learn][sklearn]") {
  check_against_sklearn<8>("elec2_log_invscaling", elec2, rill::logistic_loss{});
  check_against_sklearn<8>("elec2_hinge_optimal", elec2, rill::hinge_loss{1.0});
  check_against_sklearn<8>("elec2_modified_huber_l1", elec2, rill::modified_huber_loss{});
}

TEST_CASE("sklearn compat: SGDClassifier and PassiveAggressive on Phishing", "[learn][sklearn]") {
  check_against_sklearn<9>("phishing_log_optimal_elasticnet", phishing, rill::logistic_loss{});
  check_against_sklearn<9>("phishing_hinge_constant", phishing, rill::hinge_loss{1.0});
  check_against_sklearn<9>("phishing_perceptron", phishing, rill::hinge_loss{0.0});
  check_against_sklearn<9>("phishing_squared_hinge_invscaling", phishing,
                           rill::squared_hinge_loss{1.0});
  check_against_sklearn<9>("phishing_pa1", phishing, rill::hinge_loss{1.0});
  check_against_sklearn<9>("phishing_pa2", phishing, rill::hinge_loss{1.0});
}

TEST_CASE("sklearn compat: SGDRegressor and PassiveAggressiveRegressor", "[learn][sklearn]") {
  check_against_sklearn<6>("trump_squared_constant", trump, rill::squared_loss{});
  check_against_sklearn<6>("trump_squared_invscaling_elasticnet", trump, rill::squared_loss{});
  check_against_sklearn<6>("trump_huber_constant_l1", trump, rill::huber_loss{0.5});
  check_against_sklearn<6>("trump_epsilon_insensitive_optimal", trump,
                           rill::epsilon_insensitive_loss{0.1});
  check_against_sklearn<6>("trump_pa_regressor", trump, rill::epsilon_insensitive_loss{0.1});
}

// ---------------------------------------------------------------------------------------
// River: StandardScaler | <linear model>, evaluated by progressive_val_score
// (predict with the scaler's current statistics, then learn: scaler first, then model).

#include "rill/core/graph.hpp"
#include "rill/learn/join.hpp"
#include "rill/learn/learn.hpp"
#include "rill/learn/learn_transform.hpp"
#include "rill/learn/linear_learner.hpp"
#include "rill/learn/pending.hpp"
#include "rill/metrics/prequential.hpp"
#include "rill/model/predict.hpp"
#include "rill/window/standard_scaler.hpp"

namespace {

template <std::size_t D, rill::link_function Link, class Learner>
rill::prequential_metrics river_progressive(const std::string& csv, const Learner& learner) {
  using model_t = rill::linear_model<D, double, Link>;
  model_t model;
  rill::standard_scaler<D, double> scaler;
  rill::pending_buffer<D, double> pending(4);
  rill::prequential_metrics metrics;
  auto g = rill::graph(
      rill::predict(model, scaler) | rill::remember(pending),
      rill::join(pending) | rill::learn_transform(scaler) | rill::learn(model, learner) |
          rill::score_prequential<double>(metrics));
  static_assert(decltype(g)::shared_states::size == 3, "model, scaler and pending buffer");
  const auto t = rill::read_csv(csv);
  for (std::size_t r = 0; r < t.rows(); ++r) {
    rill::event<D, double> e{r, std::int64_t(r), {}};
    for (std::size_t i = 0; i < D; ++i) e.x[i] = t.row(r)[i];
    g.push(e);
    g.feedback({r, std::int64_t(r), t.row(r)[D]});
  }
  return metrics;
}

template <class Opt>
rill::linear_learner<rill::logistic_loss, Opt> river_logreg(Opt opt, double lr) {
  rill::linear_learner<rill::logistic_loss, Opt> l;
  l.optimizer = opt;
  l.schedule.eta0 = lr;
  l.intercept_lr = 0.01;  // River's default
  return l;
}

}  // namespace

TEST_CASE("River compat: LinearRegression on TrumpApproval", "[learn][river]") {
  // preprocessing.StandardScaler() | linear_model.LinearRegression(intercept_lr=.1)
  // River's docstring: MAE: 0.558735
  rill::linear_learner<rill::squared_loss> l;
  l.loss.factor = 2.0;  // River's Squared gradient is 2(ŷ − y)
  l.schedule.eta0 = 0.01;
  l.intercept_lr = 0.1;
  const auto m = river_progressive<6, rill::link_function::identity>(trump, l);
  CHECK(m.count == 1001);
  CHECK(std::round(m.mae() * 1e6) / 1e6 == Approx(0.558735).margin(5e-7));
}

TEST_CASE("River compat: LogisticRegression and Perceptron on Phishing", "[learn][river]") {
  using rill::link_function;
  // StandardScaler() | LogisticRegression(optimizer=optim.SGD(.1)) -> Accuracy: 88.96%
  auto sgd = river_progressive<9, link_function::logistic>(
      phishing, river_logreg(rill::sgd_optimizer{}, 0.1));
  CHECK(std::round(sgd.accuracy() * 1e4) / 1e4 == Approx(0.8896).margin(5e-6));
  INFO("SGD F1 " << sgd.f1());
  CHECK(std::round(sgd.f1() * 1e4) / 1e4 == Approx(0.8785).margin(5e-6));

  auto adagrad = river_progressive<9, link_function::logistic>(
      phishing, river_logreg(rill::adagrad_optimizer{}, 0.1));
  INFO("AdaGrad F1 " << adagrad.f1());
  CHECK(std::round(adagrad.f1() * 1e4) / 1e4 == Approx(0.8801).margin(5e-6));

  auto adam = river_progressive<9, link_function::logistic>(
      phishing, river_logreg(rill::adam_optimizer{}, 0.1));
  INFO("Adam F1 " << adam.f1());
  CHECK(std::round(adam.f1() * 1e4) / 1e4 == Approx(0.8652).margin(5e-6));

  auto ftrl = river_progressive<9, link_function::logistic>(
      phishing, river_logreg(rill::ftrl_optimizer{}, 0.0));
  INFO("FTRL F1 " << ftrl.f1());
  CHECK(std::round(ftrl.f1() * 1e4) / 1e4 == Approx(0.8756).margin(5e-6));

  auto rms = river_progressive<9, link_function::logistic>(
      phishing, river_logreg(rill::rmsprop_optimizer{}, 0.1));
  INFO("RMSProp F1 " << rms.f1());
  CHECK(std::round(rms.f1() * 1e4) / 1e4 == Approx(0.8724).margin(5e-6));

  // StandardScaler() | Perceptron() -> Accuracy: 85.84%
  rill::linear_learner<rill::hinge_loss> perceptron;
  perceptron.loss.threshold = 0.0;
  perceptron.schedule.eta0 = 1.0;
  perceptron.intercept_lr = 1.0;
  auto p = river_progressive<9, link_function::logistic>(phishing, perceptron);
  INFO("Perceptron accuracy " << p.accuracy());
  CHECK(std::round(p.accuracy() * 1e4) / 1e4 == Approx(0.8584).margin(5e-6));
}

TEST_CASE("rolling prequential metrics equal a recomputation over the last window",
          "[learn][metrics]") {
  rill::rolling_prequential_metrics rolling(50);
  std::vector<std::pair<double, double>> seen;
  std::uint64_t s = 12345;
  for (int i = 0; i < 1000; ++i) {
    s = s * 6364136223846793005ULL + 1442695040888963407ULL;
    const double p = double(s >> 11) / double(1ULL << 53);
    const double y = (s >> 7) % 3 == 0 ? 1.0 : 0.0;
    rolling.update(p, y);
    seen.emplace_back(p, y);
    rill::prequential_metrics exact;
    for (std::size_t j = seen.size() > 50 ? seen.size() - 50 : 0; j < seen.size(); ++j)
      exact.update(seen[j].first, seen[j].second);
    const auto& got = rolling.current();
    REQUIRE(got.count == exact.count);
    REQUIRE(got.correct == exact.correct);
    REQUIRE(got.f1() == Approx(exact.f1()).margin(1e-12));
    REQUIRE(got.log_loss() == Approx(exact.log_loss()).epsilon(1e-9));
    REQUIRE(got.rmse() == Approx(exact.rmse()).epsilon(1e-9));
    REQUIRE(got.mae() == Approx(exact.mae()).epsilon(1e-9));
  }
}

// ---------------------------------------------------------------- exp without errno

#include <cstring>
#include <limits>

#include "rill/detail/exp.hpp"

namespace {
template <class T>
bool same_bits(T a, T b) {
  return std::memcmp(&a, &b, sizeof(T)) == 0 || (std::isnan(a) && std::isnan(b));
}
template <class T>
void check_exp_quiet_matches_std() {
  using lim = std::numeric_limits<T>;
  std::vector<T> xs = {T(0), T(-0.0), T(1), T(-1), T(18), T(-18), T(50), T(-50), T(88), T(-88),
                       lim::infinity(), -lim::infinity(), lim::quiet_NaN(), lim::max(),
                       lim::lowest()};
  // Walk a few representable values either side of both limits.
  for (T edge : {rill::detail::exp_range<T>::zero_at, rill::detail::exp_range<T>::inf_at}) {
    T lo = edge, hi = edge;
    for (int i = 0; i < 64; ++i) {
      xs.push_back(lo);
      xs.push_back(hi);
      lo = std::nextafter(lo, -lim::infinity());
      hi = std::nextafter(hi, lim::infinity());
    }
  }
  for (T x : xs) {
    INFO("x = " << x);
    CHECK(same_bits(rill::detail::exp_quiet(x), std::exp(x)));
    CHECK(same_bits(rill::detail::logistic(x), T(1) / (T(1) + std::exp(-x))));
  }
}
}  // namespace

TEST_CASE("exp_quiet and logistic equal std::exp bit for bit, at the range limits too",
          "[learn][exp]") {
  check_exp_quiet_matches_std<float>();
  check_exp_quiet_matches_std<double>();
}
