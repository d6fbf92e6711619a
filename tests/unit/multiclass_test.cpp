// Compile-time multiclass linear models: margins against a double-precision
// reference, both probability rules against their textbook formulas, argmax ties,
// and scikit-learn fidelity on committed LogisticRegression fixtures.
#include <algorithm>
#include <array>
#include <cmath>
#include <cstddef>
#include <cstdint>
#include <fstream>
#include <limits>
#include <memory>
#include <random>
#include <sstream>
#include <string>
#include <type_traits>
#include <vector>

#include "catch.hpp"
#include "csv_rows.hpp"
#include "rill/io/model_json.hpp"
#include "rill/model/multiclass.hpp"

namespace {

const std::string mc_dir = std::string(RILL_TEST_DATA_DIR) + "/sklearn_multiclass/";

using rill::test::read_csv_rows;

double rel_err(double a, double b) { return std::abs(a - b) / std::max(1.0, std::abs(b)); }

template <class Model>
void fill_random(Model& m, std::uint32_t seed, double scale = 1.0) {
  std::mt19937 rng(seed);
  std::normal_distribution<double> nd(0.0, scale);
  for (auto& row : m.weights)
    for (auto& w : row.values) w = typename Model::value_type(nd(rng));
  for (auto& b : m.bias) b = typename Model::value_type(nd(rng));
}

// The textbook formulas, in double, one chain, no tricks.
template <class Model>
std::vector<double> ref_margins(const Model& m, const typename Model::value_type* x) {
  std::vector<double> out;
  for (std::size_t k = 0; k < Model::classes; ++k) {
    double s = double(m.bias[k]);
    for (std::size_t i = 0; i < Model::width; ++i) s += double(m.weights[k][i]) * double(x[i]);
    out.push_back(s);
  }
  return out;
}
std::vector<double> ref_softmax(const std::vector<double>& m) {
  std::vector<double> p;
  double sum = 0;
  for (double v : m) sum += std::exp(v);
  for (double v : m) p.push_back(std::exp(v) / sum);
  return p;
}
std::vector<double> ref_ovr(const std::vector<double>& m) {
  std::vector<double> p;
  double sum = 0;
  for (double v : m) sum += 1 / (1 + std::exp(-v));
  for (double v : m) p.push_back(1 / (1 + std::exp(-v)) / sum);
  return p;
}

template <class T, std::size_t D, std::size_t K, rill::multiclass_rule Rule>
void check_against_reference() {
  using model_t = rill::multiclass_linear_model<D, K, T, Rule>;
  auto m = std::make_unique<model_t>();
  fill_random(*m, 11 + D + K);
  std::mt19937 rng(5);
  std::normal_distribution<double> nd(0.0, 1.0);
  std::vector<T> xs(50 * D);
  for (auto& v : xs) v = T(nd(rng));
  std::vector<T> batch(50 * K);
  m->predict_proba_batch(xs.data(), 50, batch.data());
  std::vector<std::size_t> classes(50);
  m->predict_class_batch(xs.data(), 50, classes.data());
  const double eps = double(std::numeric_limits<T>::epsilon());
  for (std::size_t r = 0; r < 50; ++r) {
    typename model_t::row_type x;
    for (std::size_t i = 0; i < D; ++i) x[i] = xs[r * D + i];
    const auto ref = ref_margins(*m, x.data());
    const auto got = m->margins(x);
    double mag = 1;
    for (std::size_t i = 0; i < D; ++i) mag += std::abs(double(x[i]));
    for (std::size_t k = 0; k < K; ++k) CHECK(std::abs(got[k] - ref[k]) <= 8 * (D + 4) * eps * mag);
    const auto p_ref = Rule == rill::multiclass_rule::softmax ? ref_softmax(ref) : ref_ovr(ref);
    const auto p = m->predict_proba(x);
    double sum = 0;
    for (std::size_t k = 0; k < K; ++k) {
      INFO("D=" << D << " K=" << K << " row " << r << " class " << k);
      CHECK(std::abs(p[k] - p_ref[k]) <= 64 * (D + 4) * eps * mag);
      CHECK(batch[r * K + k] == p[k]);
      sum += p[k];
    }
    CHECK(std::abs(sum - 1) <= 8 * K * eps);
    const auto best = std::size_t(std::max_element(ref.begin(), ref.end()) - ref.begin());
    CHECK(m->predict_class(x) == best);
    CHECK(classes[r] == best);
  }
}

}  // namespace

TEST_CASE("multiclass margins and probabilities match the textbook formulas", "[multiclass]") {
  using rill::multiclass_rule;
  check_against_reference<float, 8, 3, multiclass_rule::softmax>();
  check_against_reference<float, 8, 4, multiclass_rule::ovr>();
  check_against_reference<float, 17, 7, multiclass_rule::softmax>();
  check_against_reference<float, 64, 5, multiclass_rule::ovr>();
  check_against_reference<double, 3, 2, multiclass_rule::softmax>();
  check_against_reference<double, 33, 4, multiclass_rule::ovr>();
}

TEST_CASE("softmax is stable for huge margins and ovr for all-negative ones", "[multiclass]") {
  rill::multiclass_linear_model<2, 3, float, rill::multiclass_rule::softmax> s{};
  s.bias = {1000.0f, 999.0f, -1000.0f};  // exp(1000) overflows float without the max shift
  const auto p = s.predict_proba({});
  CHECK(std::isfinite(p[0]));
  CHECK(p[0] == Approx(1 / (1 + std::exp(-1.0))).epsilon(1e-6));
  CHECK(p[1] == Approx(std::exp(-1.0) / (1 + std::exp(-1.0))).epsilon(1e-6));
  CHECK(p[2] == 0.0f);

  rill::multiclass_linear_model<2, 4, double, rill::multiclass_rule::ovr> o{};
  o.bias = {-800.0, -800.0, -800.0, -800.0};  // every expit underflows to 0
  for (double v : o.predict_proba({})) CHECK(v == 0.25);
  o.bias = {-30.0, -31.0, -32.0, -33.0};
  const auto q = o.predict_proba({});
  const auto want = ref_ovr({-30.0, -31.0, -32.0, -33.0});
  for (std::size_t k = 0; k < 4; ++k) CHECK(q[k] == Approx(want[k]).epsilon(1e-12));
}

TEST_CASE("predict_class breaks ties towards the lowest class", "[multiclass]") {
  rill::multiclass_linear_model<3, 4, float> m{};
  m.weights[1] = {{1.0f, 2.0f, 3.0f}};
  m.weights[3] = {{1.0f, 2.0f, 3.0f}};
  CHECK(m.predict_class({{1.0f, 1.0f, 1.0f}}) == 1);
  CHECK(m.predict_class({{-1.0f, -1.0f, -1.0f}}) == 0);  // classes 0 and 2 tie at 0
  CHECK(m.predict_class({{0.0f, 0.0f, 0.0f}}) == 0);     // all tie
}

TEST_CASE("multiclass models predict like scikit-learn's LogisticRegression",
          "[multiclass][sklearn]") {
  const auto inputs = read_csv_rows(mc_dir + "multiclass.input.csv", true);
  REQUIRE(inputs.size() == 1000);
  REQUIRE(inputs[0].size() == 10);
  auto run = [&]<class model_t>(std::type_identity<model_t>, const std::string& name,
                                rill::model_output want) {
    model_t model{};
    using T = typename model_t::value_type;
    const auto d = rill::read_model_json(mc_dir + name + ".json");
    REQUIRE(d.output == want);
    REQUIRE(d.n_features == model_t::width);
    REQUIRE(d.n_outputs() == model_t::classes);
    for (std::size_t k = 0; k < model_t::classes; ++k) {
      model.bias[k] = T(d.layers[0].bias[k]);
      for (std::size_t i = 0; i < model_t::width; ++i)
        model.weights[k][i] = T(d.layers[0].weights[k * model_t::width + i]);
    }
    const auto expected = read_csv_rows(mc_dir + name + ".proba.csv", false);
    REQUIRE(expected.size() == inputs.size());
    double worst = 0;
    std::size_t argmax_agree = 0;
    for (std::size_t r = 0; r < inputs.size(); ++r) {
      typename model_t::row_type x;
      for (std::size_t i = 0; i < model_t::width; ++i) x[i] = T(inputs[r][i]);
      const auto p = model.predict_proba(x);
      for (std::size_t k = 0; k < model_t::classes; ++k) worst = std::max(worst, rel_err(p[k], expected[r][k]));
      const auto best = std::size_t(std::max_element(expected[r].begin(), expected[r].end()) -
                                    expected[r].begin());
      argmax_agree += model.predict_class(x) == best;
    }
    INFO(name << " (" << sizeof(T) * 8 << "-bit) worst relative error " << worst);
    CHECK(worst <= 1e-5);
    CHECK(argmax_agree >= 999);  // a float rounding may only flip a near-tie
    return worst;
  };
  using rill::multiclass_rule;
  using rill::model_output;
  run(std::type_identity<rill::multiclass_linear_model<10, 4, float, multiclass_rule::softmax>>{}, "logistic_softmax",
      model_output::softmax);
  run(std::type_identity<rill::multiclass_linear_model<10, 4, float, multiclass_rule::ovr>>{}, "logistic_ovr",
      model_output::ovr_logistic);
  CHECK(run(std::type_identity<rill::multiclass_linear_model<10, 4, double, multiclass_rule::softmax>>{},
            "logistic_softmax", model_output::softmax) <= 1e-12);
  CHECK(run(std::type_identity<rill::multiclass_linear_model<10, 4, double, multiclass_rule::ovr>>{}, "logistic_ovr",
            model_output::ovr_logistic) <= 1e-12);
}
