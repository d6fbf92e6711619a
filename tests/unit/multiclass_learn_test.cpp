// Multiclass linear learners: the softmax step against its formula, one-vs-rest against
// K independent binary learners, and both learning a 3-class problem.
#include <cmath>
#include <cstdint>
#include <vector>

#include "catch.hpp"
#include "rill/learn/learn.hpp"
#include "rill/learn/linear_learner.hpp"
#include "rill/learn/multiclass_learner.hpp"
#include "rill/learn/sklearn_sgd.hpp"
#include "rill/model/linear.hpp"
#include "rill/model/multiclass.hpp"

namespace {

std::uint64_t lcg(std::uint64_t& s) {
  s = s * 6364136223846793005ULL + 1442695040888963407ULL;
  return s >> 11;
}
double uniform(std::uint64_t& s) { return double(lcg(s)) / double(1ULL << 53); }
double normal(std::uint64_t& s) {
  const double u = std::max(uniform(s), 1e-300), v = uniform(s);
  return std::sqrt(-2 * std::log(u)) * std::cos(6.283185307179586 * v);
}

// Three Gaussian blobs in 4 dimensions; the class is the returned label.
template <class T>
T blob(std::uint64_t& s, rill::feature_row<T, 4>& x) {
  static const double centres[3][4] = {{2, 0, 0, 1}, {-1, 2, 0, -1}, {-1, -2, 1, 0}};
  const std::size_t c = lcg(s) % 3;
  for (std::size_t i = 0; i < 4; ++i) x[i] = T(centres[c][i] + 0.8 * normal(s));
  return T(c);
}

}  // namespace

TEST_CASE("softmax SGD steps equal the cross-entropy formula", "[learn][multiclass]") {
  using model_t = rill::multiclass_linear_model<3, 3, double>;
  model_t m;
  const double W[3][3] = {{0.2, -0.1, 0.4}, {0.0, 0.3, -0.2}, {-0.5, 0.1, 0.1}};
  const double B[3] = {0.1, -0.1, 0.05};
  for (std::size_t k = 0; k < 3; ++k) {
    for (std::size_t i = 0; i < 3; ++i) m.weights[k][i] = W[k][i];
    m.bias[k] = B[k];
  }
  const double lr = 0.3, ilr = 0.05, l2 = 0.02;
  rill::softmax_learner<> settings;
  settings.schedule.eta0 = lr;
  settings.intercept_lr = ilr;
  settings.l2 = l2;

  // reference: p = softmax(Wx + b), g_k = p_k − [k = c]
  auto gradient = [](const double (&w)[3][3], const double (&b)[3], const double (&x)[3],
                     std::size_t c, double (&g)[3]) {
    double z[3], sum = 0;
    for (int k = 0; k < 3; ++k) {
      z[k] = b[k] + w[k][0] * x[0] + w[k][1] * x[1] + w[k][2] * x[2];
      sum += std::exp(z[k]);
    }
    for (std::size_t k = 0; k < 3; ++k) g[k] = std::exp(z[k]) / sum - (k == c ? 1.0 : 0.0);
  };

  SECTION("one row") {
    const double x[3] = {1.0, -2.0, 0.5};
    double g[3];
    gradient(W, B, x, 2, g);
    rill::softmax_learner<>::learner<model_t> learner(settings);
    learner.update(m, {{x[0], x[1], x[2]}}, 2.0);
    CHECK(m.version == 1);
    for (std::size_t k = 0; k < 3; ++k) {
      for (std::size_t i = 0; i < 3; ++i)
        CHECK(m.weights[k][i] == Approx(W[k][i] - lr * (g[k] * x[i] + l2 * W[k][i])).epsilon(1e-13));
      CHECK(m.bias[k] == Approx(B[k] - ilr * g[k]).epsilon(1e-13));
    }
  }
  SECTION("a mini-batch of two rows steps along the mean gradient") {
    const double x0[3] = {1.0, -2.0, 0.5}, x1[3] = {-0.3, 0.7, 2.0};
    double g0[3], g1[3];
    gradient(W, B, x0, 0, g0);
    gradient(W, B, x1, 1, g1);
    rill::softmax_learner<>::learner<model_t> learner(settings);
    learner.accumulate(m, {{x0[0], x0[1], x0[2]}}, 0.0);
    learner.accumulate(m, {{x1[0], x1[1], x1[2]}}, 1.0);
    learner.accumulate(m, {{x1[0], x1[1], x1[2]}}, 3.0);   // no such class
    learner.accumulate(m, {{x1[0], x1[1], x1[2]}}, -1.0);  // no such class
    CHECK(learner.pending_rows() == 2);
    CHECK(learner.rejected() == 2);
    learner.apply(m);
    for (std::size_t k = 0; k < 3; ++k) {
      for (std::size_t i = 0; i < 3; ++i) {
        const double mean = (g0[k] * x0[i] + g1[k] * x1[i]) / 2;
        CHECK(m.weights[k][i] == Approx(W[k][i] - lr * (mean + l2 * W[k][i])).epsilon(1e-13));
      }
      CHECK(m.bias[k] == Approx(B[k] - ilr * (g0[k] + g1[k]) / 2).epsilon(1e-13));
    }
  }
}

TEST_CASE("one-vs-rest equals K independent binary learners exactly", "[learn][multiclass]") {
  using model_t = rill::multiclass_linear_model<4, 3, double, rill::multiclass_rule::ovr>;
  using binary_model = rill::linear_model<4, double, rill::link_function::logistic>;
  rill::linear_learner<rill::logistic_loss, rill::adam_optimizer> binary;
  binary.schedule.eta0 = 0.05;
  binary.l2 = 1e-3;
  binary.l1 = 1e-4;
  binary.intercept_lr = 0.02;

  auto compare = [](const model_t& m, const binary_model (&b)[3]) {
    for (std::size_t k = 0; k < 3; ++k) {
      for (std::size_t i = 0; i < 4; ++i) CHECK(m.weights[k][i] == b[k].weights[i]);
      CHECK(m.bias[k] == b[k].bias);
    }
  };

  SECTION("every label, through the learn stage") {
    model_t m;
    binary_model b[3];
    using state_t = decltype(binary)::learner<binary_model>;
    state_t s[3] = {state_t(binary), state_t(binary), state_t(binary)};
    auto stage = rill::learn(m, rill::one_vs_rest{binary});
    std::uint64_t seed = 1;
    for (int r = 0; r < 500; ++r) {
      rill::labelled_event<4, double> e;
      e.target = blob(seed, e.x);
      stage(e, [](const auto&) {});
      for (std::size_t k = 0; k < 3; ++k) s[k].update(b[k], e.x, e.target == double(k) ? 1.0 : 0.0);
    }
    CHECK(m.version == 500);
    compare(m, b);
  }
  SECTION("mini-batches of 8") {
    model_t m;
    binary_model b[3];
    using state_t = decltype(binary)::learner<binary_model>;
    state_t s[3] = {state_t(binary), state_t(binary), state_t(binary)};
    auto stage = rill::learn(m, rill::one_vs_rest{binary}, rill::mini_batch{8});
    std::uint64_t seed = 2;
    for (int r = 0; r < 400; ++r) {
      rill::labelled_event<4, double> e;
      e.target = blob(seed, e.x);
      stage(e, [](const auto&) {});
      for (std::size_t k = 0; k < 3; ++k) {
        s[k].accumulate(b[k], e.x, e.target == double(k) ? 1.0 : 0.0);
        if (s[k].pending_rows() == 8) s[k].apply(b[k]);
      }
    }
    CHECK(m.version == 50);
    compare(m, b);
  }
  SECTION("over scikit-learn's SGD (its own multiclass SGDClassifier is one-vs-rest)") {
    using sk = rill::sklearn_sgd<rill::hinge_loss, 4, double>;
    sk::settings st;
    st.loss = rill::hinge_loss{1.0};
    model_t m;
    binary_model b[3];
    sk s[3] = {sk(st), sk(st), sk(st)};
    rill::one_vs_rest<sk>::learner<model_t> ovr(rill::one_vs_rest<sk>{sk(st)});
    std::uint64_t seed = 3;
    for (int r = 0; r < 300; ++r) {
      rill::feature_row<double, 4> x;
      const double y = blob(seed, x);
      ovr.update(m, x, y);
      for (std::size_t k = 0; k < 3; ++k) s[k].update(b[k], x, y == double(k) ? 1.0 : 0.0);
    }
    compare(m, b);
    CHECK(ovr.binary(0).t() == s[0].t());
  }
}

TEST_CASE("softmax and one-vs-rest learn three Gaussian blobs", "[learn][multiclass]") {
  auto accuracy = [](const auto& m) {
    std::uint64_t seed = 999;
    int correct = 0;
    for (int i = 0; i < 3000; ++i) {
      rill::feature_row<float, 4> x;
      const float y = blob(seed, x);
      correct += m.predict_class(x) == std::size_t(y);
    }
    return correct / 3000.0;
  };
  // The Bayes rate for these blobs is about 0.97.
  SECTION("softmax, Adam, mini-batches of 16") {
    rill::multiclass_linear_model<4, 3, float> m;
    rill::softmax_learner<rill::adam_optimizer> settings;
    settings.schedule.eta0 = 0.02;
    auto stage = rill::learn(m, settings, rill::mini_batch{16});
    std::uint64_t seed = 5;
    for (int r = 0; r < 20000; ++r) {
      rill::labelled_event<4, float> e;
      e.target = blob(seed, e.x);
      stage(e, [](const auto&) {});
    }
    INFO("accuracy " << accuracy(m));
    CHECK(accuracy(m) > 0.93);
  }
  SECTION("one-vs-rest logistic SGD, every label") {
    rill::multiclass_linear_model<4, 3, float, rill::multiclass_rule::ovr> m;
    auto stage = rill::learn(m, rill::one_vs_rest{rill::sgd<rill::logistic_loss>(0.05)});
    std::uint64_t seed = 6;
    for (int r = 0; r < 20000; ++r) {
      rill::labelled_event<4, float> e;
      e.target = blob(seed, e.x);
      stage(e, [](const auto&) {});
    }
    rill::labelled_event<4, float> bad;
    bad.target = std::nanf("");
    stage(bad, [](const auto&) {});
    CHECK(stage.learner().rejected() == 1);
    INFO("accuracy " << accuracy(m));
    CHECK(accuracy(m) > 0.93);
  }
}
