// Online MLP training: gradients against finite differences, steps against their
// formulas, learning a nonlinear problem, and scikit-learn's partial_fit.
#include <algorithm>
#include <cmath>
#include <cstdint>
#include <fstream>
#include <map>
#include <memory>
#include <sstream>
#include <string>
#include <vector>

#include "catch.hpp"
#include "rill/learn/learn.hpp"
#include "rill/learn/mlp_learner.hpp"
#include "rill/model/mlp.hpp"

namespace {

using rill::activation;

// ---- a plain reference implementation (vectors, loops, no SIMD, no shared code) ----

struct ref_net {
  std::vector<std::size_t> shape;
  std::vector<activation> acts;
  std::vector<std::vector<double>> w;  // w[l][o * in + i]
  std::vector<std::vector<double>> b;
};

template <class Net>
ref_net to_ref(Net& net) {
  ref_net r;
  r.shape.assign(Net::shape.begin(), Net::shape.end());
  r.acts.assign(Net::activations.begin(), Net::activations.end());
  for (std::size_t l = 0; l < Net::depth; ++l) {
    const std::size_t in = r.shape[l], out = r.shape[l + 1];
    r.w.emplace_back(in * out);
    r.b.emplace_back(out);
    for (std::size_t o = 0; o < out; ++o) {
      r.b[l][o] = double(net.bias(l, o));
      for (std::size_t i = 0; i < in; ++i) r.w[l][o * in + i] = double(net.weight(l, o, i));
    }
  }
  return r;
}

double act_value(activation a, double z) {
  switch (a) {
    case activation::relu: return z > 0 ? z : 0;
    case activation::tanh: return std::tanh(z);
    case activation::logistic: return 1 / (1 + std::exp(-z));
    default: return z;
  }
}

// Activations of every layer (index 0 = the input).
std::vector<std::vector<double>> ref_forward(const ref_net& n, const std::vector<double>& x) {
  std::vector<std::vector<double>> a{x};
  for (std::size_t l = 0; l < n.acts.size(); ++l) {
    const std::size_t in = n.shape[l], out = n.shape[l + 1];
    std::vector<double> z(out);
    for (std::size_t o = 0; o < out; ++o) {
      z[o] = n.b[l][o];
      for (std::size_t i = 0; i < in; ++i) z[o] += n.w[l][o * in + i] * a[l][i];
    }
    if (n.acts[l] == activation::softmax) {
      double m = z[0], s = 0;
      for (double v : z) m = std::max(m, v);
      for (double& v : z) s += (v = std::exp(v - m));
      for (double& v : z) v /= s;
    } else {
      for (double& v : z) v = act_value(n.acts[l], v);
    }
    a.push_back(z);
  }
  return a;
}

enum class kind { squared, log_loss, cross_entropy };

// The loss of one row; `y` holds a target per output (one-hot for cross-entropy).
double loss_of(kind k, const std::vector<double>& a, const std::vector<double>& y) {
  double s = 0;
  for (std::size_t o = 0; o < a.size(); ++o) {
    if (k == kind::squared) s += 0.5 * (a[o] - y[o]) * (a[o] - y[o]);
    if (k == kind::log_loss) s -= y[o] * std::log(a[o]) + (1 - y[o]) * std::log(1 - a[o]);
    if (k == kind::cross_entropy && y[o] == 1) s -= std::log(a[o]);
  }
  return s;
}

// Gradient of the summed loss over rows, by backpropagation written out plainly,
// for the reference formulas of the SGD/Adam step tests.
struct ref_grad {
  std::vector<std::vector<double>> w, b;
};
ref_grad ref_backprop(const ref_net& n, kind k, const std::vector<std::vector<double>>& xs,
                      const std::vector<std::vector<double>>& ys) {
  ref_grad g;
  for (std::size_t l = 0; l < n.acts.size(); ++l) {
    g.w.emplace_back(n.w[l].size(), 0.0);
    g.b.emplace_back(n.b[l].size(), 0.0);
  }
  for (std::size_t r = 0; r < xs.size(); ++r) {
    const auto a = ref_forward(n, xs[r]);
    const std::size_t depth = n.acts.size();
    std::vector<double> delta(n.shape[depth]);
    for (std::size_t o = 0; o < delta.size(); ++o) {
      delta[o] = a[depth][o] - ys[r][o];
      if (k == kind::squared) {
        const double v = a[depth][o];
        if (n.acts[depth - 1] == activation::tanh) delta[o] *= 1 - v * v;
        if (n.acts[depth - 1] == activation::logistic) delta[o] *= v * (1 - v);
        if (n.acts[depth - 1] == activation::relu) delta[o] *= v > 0 ? 1 : 0;
      }
    }
    for (std::size_t l = depth; l-- > 0;) {
      const std::size_t in = n.shape[l], out = n.shape[l + 1];
      for (std::size_t o = 0; o < out; ++o) {
        g.b[l][o] += delta[o];
        for (std::size_t i = 0; i < in; ++i) g.w[l][o * in + i] += delta[o] * a[l][i];
      }
      if (l == 0) break;
      std::vector<double> prev(in, 0.0);
      for (std::size_t i = 0; i < in; ++i) {
        for (std::size_t o = 0; o < out; ++o) prev[i] += n.w[l][o * in + i] * delta[o];
        const double v = a[l][i];
        switch (n.acts[l - 1]) {
          case activation::tanh: prev[i] *= 1 - v * v; break;
          case activation::logistic: prev[i] *= v * (1 - v); break;
          case activation::relu: prev[i] *= v > 0 ? 1 : 0; break;
          default: break;
        }
      }
      delta = prev;
    }
  }
  return g;
}

bool close_rel(double got, double want, double rel, double abs_floor = 0) {
  return std::abs(got - want) <= rel * std::max(std::abs(got), std::abs(want)) + abs_floor;
}

template <class Net>
void fill_row(typename Net::row_type& x, const std::vector<double>& v) {
  for (std::size_t i = 0; i < Net::inputs; ++i) x[i] = typename Net::value_type(v[i]);
}

std::vector<double> one_hot(std::size_t k, std::size_t n) {
  std::vector<double> v(n, 0.0);
  v[k] = 1;
  return v;
}

std::uint64_t lcg(std::uint64_t& s) {
  s = s * 6364136223846793005ULL + 1442695040888963407ULL;
  return s >> 11;
}
double uniform(std::uint64_t& s) { return double(lcg(s)) / double(1ULL << 53); }

// (a): the learner's gradient sums against a 4th-order central difference of the summed
// loss, computed through the model's own predict, for every weight and bias.
template <class Net, rill::mlp_loss Loss, bool VectorTargets = false>
void check_gradients(kind k, std::uint64_t seed) {
  Net net;
  rill::init_glorot_uniform(net, seed);
  // non-zero biases so every term of the bias gradient matters
  for (std::size_t l = 0; l < Net::depth; ++l)
    for (std::size_t o = 0; o < Net::shape[l + 1]; ++o) net.bias(l, o) += 0.1 * double(o + 1);
  using learner_t = typename rill::mlp_learner<Loss>::template learner<Net>;
  learner_t learner{rill::mlp_learner<Loss>{}};
  std::uint64_t s = seed * 7 + 1;
  std::vector<typename Net::row_type> xs(3);
  std::vector<std::vector<double>> ys;
  for (auto& x : xs) {
    for (auto& v : x) v = 2 * uniform(s) - 1;
    std::vector<double> y(Net::outputs);
    if (k == kind::cross_entropy) {
      y = one_hot(lcg(s) % Net::outputs, Net::outputs);
    } else if (k == kind::log_loss) {
      for (auto& v : y) v = double(lcg(s) % 2);
    } else {
      for (auto& v : y) v = 2 * uniform(s) - 1;
    }
    ys.push_back(y);
    if constexpr (VectorTargets) {
      learner.accumulate(net, x, y.data());
    } else if (k == kind::cross_entropy) {
      double cls = 0;
      for (std::size_t o = 0; o < y.size(); ++o) cls = y[o] == 1 ? double(o) : cls;
      learner.accumulate(net, x, cls);
    } else {
      learner.accumulate(net, x, y[0]);
    }
  }
  REQUIRE(learner.pending_rows() == 3);
  auto total_loss = [&]() {
    double sum = 0;
    for (std::size_t r = 0; r < xs.size(); ++r) {
      const auto p = net.predict_all(xs[r]);
      sum += loss_of(k, std::vector<double>(p.begin(), p.end()), ys[r]);
    }
    return sum;
  };
  auto numeric = [&](double& param) {
    const double h = 1e-4, p0 = param;
    double f[4];
    const double steps[4] = {-2 * h, -h, h, 2 * h};
    for (int j = 0; j < 4; ++j) {
      param = p0 + steps[j];
      f[j] = total_loss();
    }
    param = p0;
    return (f[0] - 8 * f[1] + 8 * f[2] - f[3]) / (12 * h);
  };
  std::size_t checked = 0;
  rill::detail::kernels::static_for<Net::depth>([&](auto lc) {
    constexpr std::size_t l = decltype(lc)::value;
    const auto& g = learner.template gradient_sum<l>();
    for (std::size_t o = 0; o < Net::shape[l + 1]; ++o) {
      for (std::size_t i = 0; i < Net::shape[l]; ++i) {
        const double fd = numeric(net.weight(l, o, i));
        INFO("layer " << l << " w(" << o << "," << i << "): backprop " << g.weight(o, i)
                      << ", finite difference " << fd);
        CHECK(close_rel(g.weight(o, i), fd, 1e-6, 1e-10));
        ++checked;
      }
      const double fd = numeric(net.bias(l, o));
      INFO("layer " << l << " b(" << o << "): backprop " << g.bias(o) << ", fd " << fd);
      CHECK(close_rel(g.bias(o), fd, 1e-6, 1e-10));
      ++checked;
    }
  });
  std::size_t params = 0;
  for (std::size_t l = 0; l < Net::depth; ++l) params += (Net::shape[l] + 1) * Net::shape[l + 1];
  CHECK(checked == params);
}

}  // namespace

TEST_CASE("MLP gradients equal finite differences for every activation and loss",
          "[learn][mlp]") {
  using rill::dense;
  using rill::mlp_loss;
  SECTION("relu and tanh hidden layers, identity output, squared loss") {
    using net = rill::mlp<double, 3, dense<5, activation::relu>, dense<3, activation::tanh>,
                          dense<1, activation::identity>>;
    check_gradients<net, mlp_loss::squared>(kind::squared, 11);
  }
  SECTION("logistic hidden layer, logistic output, log-loss") {
    using net = rill::mlp<double, 4, dense<6, activation::logistic>, dense<1, activation::logistic>>;
    check_gradients<net, mlp_loss::automatic>(kind::log_loss, 12);
  }
  SECTION("tanh and relu hidden layers, softmax output, cross-entropy on a class index") {
    using net = rill::mlp<double, 3, dense<4, activation::tanh>, dense<7, activation::relu>,
                          dense<3, activation::softmax>>;
    check_gradients<net, mlp_loss::cross_entropy>(kind::cross_entropy, 13);
  }
  SECTION("softmax with a one-hot target vector") {
    using net = rill::mlp<double, 5, dense<9, activation::tanh>, dense<4, activation::softmax>>;
    check_gradients<net, mlp_loss::automatic, true>(kind::cross_entropy, 14);
  }
  SECTION("squared loss through tanh, logistic and relu outputs, two targets") {
    using tanh_net = rill::mlp<double, 3, dense<5, activation::relu>, dense<2, activation::tanh>>;
    check_gradients<tanh_net, mlp_loss::squared, true>(kind::squared, 15);
    using logistic_net =
        rill::mlp<double, 3, dense<5, activation::tanh>, dense<2, activation::logistic>>;
    check_gradients<logistic_net, mlp_loss::squared, true>(kind::squared, 16);
    using relu_net =
        rill::mlp<double, 3, dense<4, activation::logistic>, dense<2, activation::relu>>;
    check_gradients<relu_net, mlp_loss::squared, true>(kind::squared, 17);
  }
  SECTION("log-loss on two logistic outputs (multi-label), wide identity hidden layer") {
    using net = rill::mlp<double, 6, dense<17, activation::identity>,
                          dense<2, activation::logistic>>;
    check_gradients<net, mlp_loss::log_loss, true>(kind::log_loss, 18);
  }
}

TEST_CASE("one SGD step on a 2-3-1 net equals the hand-computed step", "[learn][mlp]") {
  using net_t = rill::mlp<double, 2, rill::dense<3, activation::tanh>,
                          rill::dense<1, activation::identity>>;
  net_t net;
  const double W1[3][2] = {{0.5, -0.3}, {0.2, 0.8}, {-0.6, 0.1}};
  const double b1[3] = {0.1, -0.2, 0.05};
  const double W2[3] = {0.7, -0.4, 0.9};
  const double b2 = 0.3;
  for (std::size_t o = 0; o < 3; ++o) {
    for (std::size_t i = 0; i < 2; ++i) net.weight(0, o, i) = W1[o][i];
    net.bias(0, o) = b1[o];
    net.weight(1, 0, o) = W2[o];
  }
  net.bias(1, 0) = b2;

  const double x[2][2] = {{1.0, 2.0}, {-0.5, 0.25}};
  const double y[2] = {0.5, -1.0};
  const double lr = 0.1, l2 = 0.01;

  // By hand: h = tanh(W1 x + b1), out = W2·h + b2, d = out − y,
  // gW2 = mean(d h) + l2 W2, gb2 = mean(d), dh_o = d W2_o (1 − h_o²),
  // gW1 = mean(dh x) + l2 W1, gb1 = mean(dh); w ← w − lr g.
  double gW1[3][2] = {}, gb1[3] = {}, gW2[3] = {}, gb2 = 0;
  for (int r = 0; r < 2; ++r) {
    double h[3];
    double out = b2;
    for (int o = 0; o < 3; ++o) {
      h[o] = std::tanh(W1[o][0] * x[r][0] + W1[o][1] * x[r][1] + b1[o]);
      out += W2[o] * h[o];
    }
    const double d = out - y[r];
    gb2 += d / 2;
    for (int o = 0; o < 3; ++o) {
      gW2[o] += d * h[o] / 2;
      const double dh = d * W2[o] * (1 - h[o] * h[o]);
      gb1[o] += dh / 2;
      gW1[o][0] += dh * x[r][0] / 2;
      gW1[o][1] += dh * x[r][1] / 2;
    }
  }

  rill::mlp_learner<rill::mlp_loss::squared> settings;
  settings.schedule.eta0 = lr;
  settings.l2 = l2;
  rill::mlp_learner<rill::mlp_loss::squared>::learner<net_t> learner(settings);
  for (int r = 0; r < 2; ++r) learner.accumulate(net, {{x[r][0], x[r][1]}}, y[r]);
  const auto version = net.version;
  learner.apply(net);
  CHECK(net.version == version + 1);
  CHECK(learner.pending_rows() == 0);
  CHECK(learner.updates() == 1);
  for (std::size_t o = 0; o < 3; ++o) {
    for (std::size_t i = 0; i < 2; ++i)
      CHECK(net.weight(0, o, i) == Approx(W1[o][i] - lr * (gW1[o][i] + l2 * W1[o][i])).epsilon(1e-12));
    CHECK(net.bias(0, o) == Approx(b1[o] - lr * gb1[o]).epsilon(1e-12));
    CHECK(net.weight(1, 0, o) == Approx(W2[o] - lr * (gW2[o] + l2 * W2[o])).epsilon(1e-12));
  }
  CHECK(net.bias(1, 0) == Approx(b2 - lr * gb2).epsilon(1e-12));
  // the gradient sums were cleared: another apply with nothing pending changes nothing
  const double w = net.weight(0, 0, 0);
  learner.apply(net);
  CHECK(net.weight(0, 0, 0) == w);
  CHECK(learner.updates() == 1);
}

namespace {
// Runs `steps` optimiser steps on a 2-3-1 logistic net (batches of 2 rows) in rill and
// in the reference, where `ref_step(param, grad, slot_a, slot_b, t)` is the optimiser's
// formula applied to one parameter.
template <class Optimizer, class RefStep>
void check_optimizer(Optimizer opt, double lr, double l2, RefStep ref_step) {
  using net_t = rill::mlp<double, 2, rill::dense<3, activation::relu>,
                          rill::dense<1, activation::logistic>>;
  net_t net;
  rill::init_glorot_uniform(net, 99);
  ref_net ref = to_ref(net);
  rill::mlp_learner<rill::mlp_loss::log_loss, Optimizer> settings;
  settings.optimizer = opt;
  settings.schedule.eta0 = lr;
  settings.l2 = l2;
  typename decltype(settings)::template learner<net_t> learner(settings);
  std::vector<std::vector<double>> ma, mb;  // reference optimiser slots, per layer
  for (std::size_t l = 0; l < 2; ++l) {
    ma.emplace_back(ref.w[l].size() + ref.b[l].size(), 0.0);
    mb.emplace_back(ref.w[l].size() + ref.b[l].size(), 0.0);
  }
  std::uint64_t s = 5;
  for (int t = 1; t <= 4; ++t) {
    std::vector<std::vector<double>> xs, ys;
    for (int r = 0; r < 2; ++r) {
      xs.push_back({2 * uniform(s) - 1, 2 * uniform(s) - 1});
      ys.push_back({double(lcg(s) % 2)});
      learner.accumulate(net, {{xs.back()[0], xs.back()[1]}}, ys.back()[0]);
    }
    learner.apply(net);
    const ref_grad g = ref_backprop(ref, kind::log_loss, xs, ys);
    for (std::size_t l = 0; l < 2; ++l) {
      const std::size_t nw = ref.w[l].size();
      for (std::size_t j = 0; j < nw; ++j)
        ref_step(ref.w[l][j], g.w[l][j] / 2 + l2 * ref.w[l][j], ma[l][j], mb[l][j], t);
      for (std::size_t j = 0; j < ref.b[l].size(); ++j)
        ref_step(ref.b[l][j], g.b[l][j] / 2, ma[l][nw + j], mb[l][nw + j], t);
    }
    for (std::size_t l = 0; l < 2; ++l) {
      const std::size_t in = ref.shape[l];
      for (std::size_t o = 0; o < ref.shape[l + 1]; ++o) {
        for (std::size_t i = 0; i < in; ++i) {
          INFO("step " << t << " layer " << l << " w(" << o << "," << i << ")");
          CHECK(close_rel(net.weight(l, o, i), ref.w[l][o * in + i], 1e-12, 1e-15));
        }
        CHECK(close_rel(net.bias(l, o), ref.b[l][o], 1e-12, 1e-15));
      }
    }
  }
}
}  // namespace

TEST_CASE("Adam and momentum steps equal their formulas", "[learn][mlp]") {
  SECTION("Adam") {
    const double lr = 0.05, b1 = 0.9, b2 = 0.999, eps = 1e-8;
    check_optimizer(rill::adam_optimizer{}, lr, 1e-3, [&](double& w, double g, double& m,
                                                          double& v, int t) {
      m = b1 * m + (1 - b1) * g;
      v = b2 * v + (1 - b2) * g * g;
      const double mhat = m / (1 - std::pow(b1, t)), vhat = v / (1 - std::pow(b2, t));
      // Kingma & Ba's form with eps scaled as in the folded step size (sklearn, River)
      w -= lr * mhat / (std::sqrt(vhat) + eps / std::sqrt(1 - std::pow(b2, t)));
    });
  }
  SECTION("momentum") {
    const double lr = 0.2, rho = 0.8;
    check_optimizer(rill::momentum_optimizer{rho}, lr, 0.0,
                    [&](double& w, double g, double& vel, double&, int) {
                      vel = rho * vel - lr * g;  // scikit-learn's velocity
                      w += vel;
                    });
  }
}

TEST_CASE("an MLP learns XOR through the learn stage", "[learn][mlp]") {
  using net_t = rill::mlp<double, 2, rill::dense<8, activation::tanh>,
                          rill::dense<1, activation::logistic>>;
  net_t net;
  rill::init_glorot_uniform(net, 2024);
  rill::mlp_learner<rill::mlp_loss::automatic, rill::adam_optimizer> settings;
  settings.schedule.eta0 = 0.05;
  auto stage = rill::learn(net, settings, rill::mini_batch{4});
  const double xs[4][2] = {{0, 0}, {0, 1}, {1, 0}, {1, 1}};
  const double ys[4] = {0, 1, 1, 0};
  std::uint64_t id = 0;
  auto sink = [](const auto&) {};
  for (int epoch = 0; epoch < 1500; ++epoch) {
    for (int r = 0; r < 4; ++r) {
      rill::labelled_event<2, double> e;
      e.id = id++;
      e.x = {{xs[r][0], xs[r][1]}};
      e.target = ys[r];
      stage(e, sink);
    }
  }
  CHECK(stage.learner().updates() == 1500);
  CHECK(net.version == 1500 + 1);  // + the initialisation
  double loss = 0;
  for (int r = 0; r < 4; ++r) {
    const double p = net.predict(rill::feature_row<double, 2>{{xs[r][0], xs[r][1]}});
    INFO("xor(" << xs[r][0] << "," << xs[r][1] << ") = " << p);
    CHECK((p > 0.5) == (ys[r] > 0.5));
    loss -= ys[r] * std::log(p) + (1 - ys[r]) * std::log(1 - p);
  }
  CHECK(loss / 4 < 0.02);
}

TEST_CASE("an MLP learns three concentric rings with softmax, in float", "[learn][mlp]") {
  using net_t = rill::mlp<float, 2, rill::dense<16, activation::relu>,
                          rill::dense<16, activation::relu>, rill::dense<3, activation::softmax>>;
  auto net = std::make_unique<net_t>();
  rill::init_glorot_uniform(*net, 7);
  rill::mlp_learner<rill::mlp_loss::cross_entropy, rill::adam_optimizer> settings;
  settings.schedule.eta0 = 0.01f;
  auto stage = rill::learn(*net, settings, rill::mini_batch{16});
  std::uint64_t s = 77;
  auto sample = [&](rill::feature_row<float, 2>& x) {
    const double radius = 3 * uniform(s), angle = 6.283185307179586 * uniform(s);
    x = {{float(radius * std::cos(angle)), float(radius * std::sin(angle))}};
    return radius < 1 ? 0.0f : radius < 2 ? 1.0f : 2.0f;
  };
  auto sink = [](const auto&) {};
  for (std::uint64_t i = 0; i < 60000; ++i) {
    rill::labelled_event<2, float> e;
    e.id = i;
    e.target = sample(e.x);
    stage(e, sink);
  }
  // an out-of-range class index is not learnt, and is counted
  rill::labelled_event<2, float> bad;
  bad.target = 3;
  stage(bad, sink);
  CHECK(stage.learner().rejected() == 1);
  int correct = 0;
  const int n = 2000;
  for (int i = 0; i < n; ++i) {
    rill::feature_row<float, 2> x;
    const float y = sample(x);
    const auto p = net->predict_all(x);
    const auto best = std::size_t(std::max_element(p.begin(), p.end()) - p.begin());
    correct += best == std::size_t(y);
  }
  INFO("accuracy " << double(correct) / n);
  CHECK(double(correct) / n > 0.95);
}

// ---- (e) scikit-learn MLPRegressor / MLPClassifier partial_fit ----

namespace {
struct mlp_case {
  std::vector<std::size_t> shape;
  std::size_t batches = 0, rows = 0;
  std::map<std::string, std::string> params;
  std::vector<std::vector<double>> w0, b0, w, b;  // coef as [i][o] row-major
  std::vector<std::vector<double>> x;
  std::vector<double> y;
};

mlp_case read_mlp_case(const std::string& name) {
  std::ifstream in(std::string(RILL_TEST_DATA_DIR) + "/sklearn_mlp/" + name + ".txt");
  REQUIRE(in.good());
  mlp_case c;
  std::string line;
  while (std::getline(in, line)) {
    std::istringstream ls(line);
    std::string key;
    ls >> key;
    std::vector<double> v;
    if (key == "#") {
      std::string k, rest;
      ls >> k;
      std::getline(ls, rest);
      c.params[k] = rest.empty() ? rest : rest.substr(1);
      continue;
    }
    if (key == "shape") {
      std::size_t s;
      while (ls >> s) c.shape.push_back(s);
      continue;
    }
    if (key == "batches") { ls >> c.batches; continue; }
    if (key == "rows") { ls >> c.rows; continue; }
    std::size_t l = 0;
    if (key != "row") ls >> l;
    double d;
    while (ls >> d) v.push_back(d);
    auto put = [&](std::vector<std::vector<double>>& to) {
      if (to.size() <= l) to.resize(l + 1);
      to[l] = v;
    };
    if (key == "w0") put(c.w0);
    if (key == "b0") put(c.b0);
    if (key == "w") put(c.w);
    if (key == "b") put(c.b);
    if (key == "row") {
      c.y.push_back(v.back());
      v.pop_back();
      c.x.push_back(v);
    }
  }
  return c;
}

template <rill::mlp_loss Loss, class Net, class Optimizer>
void check_against_sklearn_mlp(const std::string& name, Optimizer opt, bool through_stage) {
  INFO(name);
  const mlp_case c = read_mlp_case(name);
  REQUIRE(c.shape == std::vector<std::size_t>(Net::shape.begin(), Net::shape.end()));
  REQUIRE(c.x.size() == c.batches * c.rows);
  auto net = std::make_unique<Net>();
  for (std::size_t l = 0; l < Net::depth; ++l) {
    const std::size_t in = c.shape[l], out = c.shape[l + 1];
    REQUIRE(c.w0[l].size() == in * out);
    for (std::size_t i = 0; i < in; ++i)
      for (std::size_t o = 0; o < out; ++o) net->weight(l, o, i) = c.w0[l][i * out + o];
    for (std::size_t o = 0; o < out; ++o) net->bias(l, o) = c.b0[l][o];
  }
  rill::mlp_learner<Loss, Optimizer> settings;
  settings.optimizer = opt;
  settings.schedule.eta0 = std::stod(c.params.at("learning_rate_init"));
  settings.l2 = std::stod(c.params.at("alpha")) / double(c.rows);  // scikit-learn: alpha/n
  auto feed = [&](auto&& learn_one) {
    for (std::size_t r = 0; r < c.x.size(); ++r) {
      rill::labelled_event<Net::inputs, double> e;
      e.id = r;
      for (std::size_t i = 0; i < Net::inputs; ++i) e.x[i] = c.x[r][i];
      e.target = c.y[r];
      learn_one(e);
    }
  };
  if (through_stage) {
    auto stage = rill::learn(*net, settings, rill::mini_batch{std::uint32_t(c.rows)});
    feed([&](const auto& e) { stage(e, [](const auto&) {}); });
    CHECK(stage.learner().updates() == c.batches);
  } else {
    typename decltype(settings)::template learner<Net> learner(settings);
    feed([&](const auto& e) {
      learner.accumulate(*net, e.x, e.target);
      if (learner.pending_rows() == c.rows) learner.apply(*net);
    });
    CHECK(learner.updates() == c.batches);
  }
  std::size_t moved = 0;
  for (std::size_t l = 0; l < Net::depth; ++l) {
    const std::size_t in = c.shape[l], out = c.shape[l + 1];
    for (std::size_t i = 0; i < in; ++i) {
      for (std::size_t o = 0; o < out; ++o) {
        const double want = c.w[l][i * out + o];
        INFO("layer " << l << " coef[" << i << "][" << o << "]: rill " << net->weight(l, o, i)
                      << ", scikit-learn " << want);
        CHECK(close_rel(net->weight(l, o, i), want, 1e-6, 1e-300));
        moved += std::abs(want - c.w0[l][i * out + o]) > 1e-6;
      }
    }
    for (std::size_t o = 0; o < out; ++o) {
      INFO("layer " << l << " intercept[" << o << "]");
      CHECK(close_rel(net->bias(l, o), c.b[l][o], 1e-6, 1e-300));
    }
  }
  CHECK(moved > 0);  // the case is not vacuous
}
}  // namespace

TEST_CASE("scikit-learn compat: MLPRegressor and MLPClassifier partial_fit", "[learn][mlp][sklearn]") {
  using rill::dense;
  using rill::mlp_loss;
  using relu_reg = rill::mlp<double, 4, dense<5, activation::relu>, dense<3, activation::relu>,
                             dense<1, activation::identity>>;
  check_against_sklearn_mlp<mlp_loss::squared, relu_reg>("regressor_relu_sgd",
                                                         rill::sgd_optimizer{}, true);
  using tanh_reg = rill::mlp<double, 4, dense<6, activation::tanh>, dense<1, activation::identity>>;
  check_against_sklearn_mlp<mlp_loss::squared, tanh_reg>("regressor_tanh_adam_l2",
                                                         rill::adam_optimizer{}, false);
  using tanh_small = rill::mlp<double, 4, dense<3, activation::tanh>, dense<1, activation::identity>>;
  check_against_sklearn_mlp<mlp_loss::squared, tanh_small>("regressor_tanh_sgd_batch1",
                                                           rill::sgd_optimizer{}, false);
  using logistic_clf = rill::mlp<double, 4, dense<4, activation::logistic>,
                                 dense<1, activation::logistic>>;
  check_against_sklearn_mlp<mlp_loss::log_loss, logistic_clf>(
      "classifier_logistic_momentum", rill::momentum_optimizer{0.9}, true);
  using softmax_clf = rill::mlp<double, 4, dense<5, activation::relu>, dense<4, activation::relu>,
                                dense<3, activation::softmax>>;
  check_against_sklearn_mlp<mlp_loss::cross_entropy, softmax_clf>(
      "classifier_softmax_relu_adam", rill::adam_optimizer{}, true);
}

TEST_CASE("every_label with an MLP equals one-row mini-batches", "[learn][mlp]") {
  using net_t = rill::mlp<double, 3, rill::dense<4, activation::tanh>,
                          rill::dense<1, activation::identity>>;
  net_t a, b;
  rill::init_glorot_uniform(a, 3);
  rill::init_glorot_uniform(b, 3);
  rill::mlp_learner<> settings;
  settings.schedule.eta0 = 0.05;
  auto every = rill::learn(a, settings);
  auto batched = rill::learn(b, settings, rill::mini_batch{1});
  std::uint64_t s = 9;
  for (int r = 0; r < 50; ++r) {
    rill::labelled_event<3, double> e;
    for (auto& v : e.x) v = uniform(s);
    e.target = e.x[0] - e.x[1] * e.x[2];
    every(e, [](const auto&) {});
    batched(e, [](const auto&) {});
  }
  for (std::size_t o = 0; o < 4; ++o)
    for (std::size_t i = 0; i < 3; ++i) CHECK(a.weight(0, o, i) == b.weight(0, o, i));
  CHECK(a.bias(1, 0) == b.bias(1, 0));
  CHECK(a.version == b.version);
}
