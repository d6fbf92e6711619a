// int8 quantised models: bit-exact against a scalar int8 reference written from the
// scheme's definition, error against the float model within a bound derived from
// the scales, and the accuracy change on real models (Elec2 logistic and MLP,
// a 4-class scikit-learn LogisticRegression).
#include <algorithm>
#include <array>
#include <cmath>
#include <cstddef>
#include <cstdint>
#include <fstream>
#include <memory>
#include <random>
#include <sstream>
#include <string>
#include <vector>

#include "catch.hpp"
#include "csv_rows.hpp"
#include "rill/io/model_json.hpp"
#include "rill/model/quantized.hpp"

namespace {

using rill::activation;

// ---------------------------------------------------------------- the reference
// Written from the definition in quantized.hpp, one value at a time.

struct ref_layer {
  std::size_t in = 0, out = 0;
  std::vector<int> q;  // q[o * in + i]
  std::vector<float> s, b;
};

// s_w = max|w| / 127 (double), q = round(w / s_w).
ref_layer ref_quantize(const std::vector<float>& w, const std::vector<float>& b, std::size_t in) {
  ref_layer L;
  L.in = in;
  L.out = b.size();
  for (std::size_t o = 0; o < L.out; ++o) {
    double m = 0;
    for (std::size_t i = 0; i < in; ++i) m = std::max(m, std::abs(double(w[o * in + i])));
    const double s = m / 127;
    for (std::size_t i = 0; i < in; ++i)
      L.q.push_back(s > 0 ? int(std::clamp(std::nearbyint(double(w[o * in + i]) / s), -127.0, 127.0)) : 0);
    L.s.push_back(float(s));
    L.b.push_back(b[o]);
  }
  return L;
}

struct ref_row {
  std::vector<int> q;
  float s = 0;
};

// s_x = max|x| / 127, q = round-half-even(x * (127 / max|x|)), in float.
ref_row ref_quantize_row(const std::vector<float>& x) {
  ref_row r;
  float m = 0;
  for (float v : x) m = std::max(m, std::abs(v));
  r.q.assign(x.size(), 0);
  if (m == 0) return r;
  const float inv = 127.0f / m;
  r.s = m / 127.0f;
  for (std::size_t i = 0; i < x.size(); ++i)
    r.q[i] = int(std::clamp(std::nearbyint(x[i] * inv), -127.0f, 127.0f));
  return r;
}

// fma(float(acc), s_w * s_x, b): fused exactly when the build has FMA, as the SIMD
// dequantisation is (xsimd::fma); plain multiply-add otherwise.
float ref_dequant(std::int64_t acc, float sw, float sx, float b) {
  const float scale = sw * sx;
#if defined(__FMA__)
  return std::fma(float(acc), scale, b);
#else
  const float p = float(acc) * scale;
  return p + b;
#endif
}

std::vector<std::int64_t> ref_accumulate(const ref_layer& L, const ref_row& x) {
  std::vector<std::int64_t> acc(L.out, 0);
  for (std::size_t o = 0; o < L.out; ++o)
    for (std::size_t i = 0; i < L.in; ++i) acc[o] += std::int64_t(L.q[o * L.in + i]) * x.q[i];
  return acc;
}

std::vector<float> ref_forward(const ref_layer& L, const std::vector<float>& x, activation act) {
  const ref_row r = ref_quantize_row(x);
  const auto acc = ref_accumulate(L, r);
  std::vector<float> y(L.out);
  for (std::size_t o = 0; o < L.out; ++o) {
    const float v = ref_dequant(acc[o], L.s[o], r.s, L.b[o]);
    switch (act) {
      case activation::relu: y[o] = v > 0 ? v : 0.0f; break;
      case activation::tanh: y[o] = std::tanh(v); break;
      case activation::logistic: y[o] = 1.0f / (1.0f + std::exp(-v)); break;
      default: y[o] = v; break;
    }
  }
  if (act == activation::softmax) {
    double m = y[0], sum = 0;
    for (float v : y) m = std::max(m, double(v));
    for (float v : y) sum += std::exp(double(v) - m);
    for (float& v : y) v = float(std::exp(double(v) - m) / sum);
  }
  return y;
}

// |w·x - s_w s_x q_w·q_x| <= s_w s_x sum_i (|q_w| + |q_x| + 1/2) / 2 from
// w = s_w (q_w + e_w), x = s_x (q_x + e_x), |e| <= 1/2; plus float rounding of the
// float model itself and of the dequantisation.
double quant_bound(const ref_layer& L, std::size_t o, const std::vector<float>& x) {
  const ref_row r = ref_quantize_row(x);
  double sum = 0, mag = std::abs(double(L.b[o]));
  for (std::size_t i = 0; i < L.in; ++i) {
    sum += std::abs(L.q[o * L.in + i]) + std::abs(r.q[i]) + 0.5;
    mag += double(L.s[o]) * 127 * std::abs(double(x[i]));
  }
  return double(L.s[o]) * double(r.s) * sum / 2 * (1 + 1e-6) + 1e-6 * mag + 1e-30;
}

std::vector<float> random_floats(std::size_t n, std::uint32_t seed, double scale = 1.0,
                                 bool nonneg = false) {
  std::mt19937 rng(seed);
  std::normal_distribution<double> nd(0.0, scale);
  std::vector<float> v(n);
  for (auto& x : v) x = float(nonneg ? std::abs(nd(rng)) : nd(rng));
  return v;
}

using rill::test::read_csv_rows;

template <std::size_t D>
void check_linear() {
  for (std::uint32_t seed = 1; seed <= 4; ++seed) {
    rill::linear_model<D, float, rill::link_function::identity> m{};
    const auto w = random_floats(D, seed, 0.5);
    for (std::size_t i = 0; i < D; ++i) m.weights[i] = w[i];
    m.bias = 0.25f * float(seed);
    m.version = seed;
    const auto q = rill::quantize(m);
    CHECK(q.version == seed);
    const ref_layer L = ref_quantize(w, {m.bias}, D);
    CHECK(q.layer.scale[0] == L.s[0]);
    for (std::size_t i = 0; i < D; ++i) REQUIRE(int(q.layer.q(0, i)) == L.q[i]);
    for (int kind = 0; kind < 4; ++kind) {
      // mixed signs, all non-negative (the kernel's unsigned path), wide range, zero
      auto x = random_floats(D, seed * 10 + kind, kind == 2 ? 1000.0 : 1.0, kind == 1);
      if (kind == 3) std::fill(x.begin(), x.end(), 0.0f);
      rill::feature_row<float, D> row;
      for (std::size_t i = 0; i < D; ++i) row[i] = x[i];
      const float got = q.margin(row);
      const float want = ref_forward(L, x, activation::identity)[0];
      INFO("D=" << D << " seed=" << seed << " kind=" << kind);
      CHECK(got == want);
      CHECK(std::abs(double(got) - double(m.margin(row))) <= quant_bound(L, 0, x));
    }
  }
}

template <std::size_t In, std::size_t Out>
void check_dense_layout() {
  rill::detail::quant::int8_dense<In, Out> layer;
  const auto w = random_floats(In * Out, In * 100 + Out);
  const auto b = random_floats(Out, 7);
  for (std::size_t o = 0; o < Out; ++o)
    layer.set_output(o, [&](std::size_t i) { return w[o * In + i]; }, b[o]);
  const ref_layer L = ref_quantize(w, b, In);
  for (std::size_t o = 0; o < Out; ++o) {
    CHECK(layer.scale[o] == L.s[o]);
    for (std::size_t i = 0; i < In; ++i) REQUIRE(int(layer.q(o, i)) == L.q[o * In + i]);
  }
  for (int kind = 0; kind < 2; ++kind) {
    const auto x = random_floats(In, In + Out + std::uint32_t(kind), 3.0, kind == 1);
    alignas(64) float y[rill::detail::quant::out_floats(Out)];
    layer.template forward<rill::detail::simd::default_arch, activation::identity>(x.data(), y);
    const auto want = ref_forward(L, x, activation::identity);
    for (std::size_t o = 0; o < Out; ++o) {
      INFO("In=" << In << " Out=" << Out << " o=" << o << " kind=" << kind);
      CHECK(y[o] == want[o]);
    }
  }
}

// Copies a float compile-time net's weights into reference layers.
template <class Net>
std::vector<ref_layer> ref_net(const Net& net) {
  std::vector<ref_layer> out;
  rill::detail::kernels::static_for<Net::depth>([&](auto k) {
    const auto& src = net.template layer<decltype(k)::value>();
    const std::size_t in = Net::shape[k], o_n = Net::shape[k + 1];
    std::vector<float> w, b;
    for (std::size_t o = 0; o < o_n; ++o) {
      b.push_back(src.bias(o));
      for (std::size_t i = 0; i < in; ++i) w.push_back(src.weight(o, i));
    }
    out.push_back(ref_quantize(w, b, in));
  });
  return out;
}

template <class Net>
std::vector<float> ref_predict(const std::vector<ref_layer>& L, std::vector<float> x) {
  for (std::size_t l = 0; l < L.size(); ++l) x = ref_forward(L[l], x, Net::activations[l]);
  return x;
}

template <class Net>
std::unique_ptr<Net> random_net(std::uint32_t seed) {
  auto net = std::make_unique<Net>();
  std::mt19937 rng(seed);
  std::normal_distribution<double> nd(0.0, 1.0);
  for (std::size_t l = 0; l < Net::depth; ++l) {
    const double scale = 1.0 / std::sqrt(double(Net::shape[l]));
    for (std::size_t o = 0; o < Net::shape[l + 1]; ++o) {
      net->bias(l, o) = float(0.1 * nd(rng));
      for (std::size_t i = 0; i < Net::shape[l]; ++i) net->weight(l, o, i) = float(scale * nd(rng));
    }
  }
  return net;
}

// exact: every activation is computed the same way in both (relu, identity);
// otherwise tanh/logistic/softmax come from xsimd/libm and may differ in the last
// bits, which can move a rounding of the next layer's input by one step.
template <class Net>
void check_mlp(bool exact, double tol) {
  const auto net = random_net<Net>(42);
  auto q = std::make_unique<rill::quantized_mlp<Net>>(*net);
  const auto L = ref_net(*net);
  double worst_ref = 0, worst_float = 0;
  std::vector<float> batch_in, batch_out(20 * Net::outputs);
  for (std::uint32_t r = 0; r < 20; ++r) {
    const auto x = random_floats(Net::inputs, 1000 + r, 2.0, r % 3 == 0);
    batch_in.insert(batch_in.end(), x.begin(), x.end());
    typename Net::row_type row;
    for (std::size_t i = 0; i < Net::inputs; ++i) row[i] = x[i];
    const auto got = q->predict_all(row);
    const auto want = ref_predict<Net>(L, x);
    const auto fl = net->predict_all(row);
    for (std::size_t o = 0; o < Net::outputs; ++o) {
      INFO("row " << r << " output " << o);
      if (exact) CHECK(got[o] == want[o]);
      worst_ref = std::max(worst_ref, std::abs(double(got[o]) - double(want[o])));
      worst_float = std::max(worst_float, std::abs(double(got[o]) - double(fl[o])));
    }
  }
  q->predict_batch(batch_in.data(), 20, batch_out.data());
  for (std::size_t r = 0; r < 20; ++r) {
    typename Net::row_type row;
    for (std::size_t i = 0; i < Net::inputs; ++i) row[i] = batch_in[r * Net::inputs + i];
    const auto one = q->predict_all(row);
    for (std::size_t o = 0; o < Net::outputs; ++o) CHECK(batch_out[r * Net::outputs + o] == one[o]);
  }
  INFO("worst vs reference " << worst_ref << ", vs float " << worst_float);
  CHECK(worst_ref <= (exact ? 0.0 : 1e-4));
  CHECK(worst_float <= tol);
}

}  // namespace

TEST_CASE("int8 layers store the reference's quantised weights and compute its sums exactly",
          "[quantized]") {
  check_dense_layout<1, 1>();
  check_dense_layout<3, 2>();
  check_dense_layout<8, 7>();
  check_dense_layout<8, 8>();
  check_dense_layout<31, 13>();
  check_dense_layout<33, 64>();
  check_dense_layout<100, 9>();
  check_dense_layout<64, 72>();  // a full 8-group tile plus a 1-group remainder
}

TEST_CASE("quantised linear model equals the int8 reference and stays within the scale bound",
          "[quantized]") {
  check_linear<1>();
  check_linear<5>();
  check_linear<8>();
  check_linear<32>();
  check_linear<37>();
  check_linear<128>();
  check_linear<1024>();
}

TEST_CASE("calibrated quantisation divides inputs by powers of two and stays exact",
          "[quantized]") {
  constexpr std::size_t D = 12;
  rill::linear_model<D, float, rill::link_function::identity> m{};
  const auto w = random_floats(D, 77);
  std::array<float, D> range;
  for (std::size_t i = 0; i < D; ++i) {
    m.weights[i] = w[i] * (i % 3 == 0 ? 50.0f : 1.0f);
    range[i] = i == 4 ? 0.0f : std::ldexp(1.0f, int(i) - 4) * 1.5f;  // 1/16 .. 128
  }
  m.bias = -0.5f;
  const auto q = rill::quantize(m, range);
  // c_i = 2^ceil(log2(sqrt(range_i / |w_i|))), applied to inputs and weights
  std::vector<float> cw(D), c(D);
  for (std::size_t i = 0; i < D; ++i) {
    const double r = range[i], a = std::abs(double(m.weights[i]));
    c[i] = r > 0 ? float(std::pow(2.0, std::ceil(std::log2(std::sqrt(r / a))))) : 1.0f;
    CHECK(q.layer.in_mul[i] == 1.0f / c[i]);
    cw[i] = float(double(m.weights[i]) * c[i]);  // exact: a power of two
  }
  const ref_layer L = ref_quantize(cw, {m.bias}, D);
  for (std::size_t i = 0; i < D; ++i) REQUIRE(int(q.layer.q(0, i)) == L.q[i]);
  for (std::uint32_t r = 0; r < 20; ++r) {
    auto x = random_floats(D, 900 + r);
    rill::feature_row<float, D> row;
    std::vector<float> xs(D);
    for (std::size_t i = 0; i < D; ++i) {
      row[i] = x[i] * range[i];
      xs[i] = row[i] / c[i];
    }
    CHECK(q.margin(row) == ref_forward(L, xs, activation::identity)[0]);
    CHECK(std::abs(double(q.margin(row)) - m.margin(row)) <= quant_bound(L, 0, xs));
  }
}

TEST_CASE("quantised linear predict applies the link; zero weights give the bias",
          "[quantized]") {
  rill::linear_model<4, float, rill::link_function::logistic> m{};
  m.bias = 0.5f;
  const auto q = rill::quantize(m);
  const rill::feature_row<float, 4> x{{1, -2, 3, -4}};
  CHECK(q.margin(x) == 0.5f);
  CHECK(q.predict(x) == Approx(1 / (1 + std::exp(-0.5))).epsilon(1e-6));
}

TEST_CASE("quantised multiclass model equals the int8 reference", "[quantized]") {
  rill::multiclass_linear_model<20, 5, float, rill::multiclass_rule::ovr> m{};
  std::vector<float> w, b;
  for (std::size_t k = 0; k < 5; ++k) {
    const auto row = random_floats(20, 300 + std::uint32_t(k));
    for (std::size_t i = 0; i < 20; ++i) m.weights[k][i] = row[i];
    w.insert(w.end(), row.begin(), row.end());
    m.bias[k] = 0.1f * float(k);
    b.push_back(m.bias[k]);
  }
  const auto q = rill::quantize(m);
  const ref_layer L = ref_quantize(w, b, 20);
  std::vector<float> xs;
  for (std::uint32_t r = 0; r < 30; ++r) {
    const auto x = random_floats(20, 500 + r);
    xs.insert(xs.end(), x.begin(), x.end());
    rill::feature_row<float, 20> row;
    for (std::size_t i = 0; i < 20; ++i) row[i] = x[i];
    const auto got = q.margins(row);
    const auto want = ref_forward(L, x, activation::identity);
    const auto fl = m.margins(row);
    for (std::size_t k = 0; k < 5; ++k) {
      CHECK(got[k] == want[k]);
      CHECK(std::abs(double(got[k]) - double(fl[k])) <= quant_bound(L, k, x));
    }
    auto p = got;
    rill::detail::kernels::margins_to_proba<rill::multiclass_rule::ovr>(p);
    CHECK(q.predict_proba(row) == p);
    CHECK(q.predict_class(row) == std::size_t(std::max_element(want.begin(), want.end()) - want.begin()));
  }
  std::vector<float> batch(30 * 5);
  q.predict_proba_batch(xs.data(), 30, batch.data());
  for (std::size_t r = 0; r < 30; ++r) {
    const auto p = q.predict_proba([&] {
      rill::feature_row<float, 20> row;
      for (std::size_t i = 0; i < 20; ++i) row[i] = xs[r * 20 + i];
      return row;
    }());
    for (std::size_t k = 0; k < 5; ++k) CHECK(batch[r * 5 + k] == p[k]);
  }
}

TEST_CASE("quantised MLPs equal the int8 reference", "[quantized][mlp]") {
  using rill::dense;
  // relu / identity: bit-exact; the float error bounds are what these random nets show
  check_mlp<rill::mlp<float, 32, dense<64, activation::relu>, dense<64, activation::relu>,
                      dense<1, activation::identity>>>(true, 0.1);
  check_mlp<rill::mlp<float, 5, dense<9, activation::relu>, dense<3, activation::identity>>>(true,
                                                                                              0.1);
  check_mlp<rill::mlp<float, 40, dense<72, activation::relu>, dense<7, activation::identity>>>(
      true, 0.1);
  // smooth activations and a softmax output: equal up to libm-vs-xsimd rounding
  check_mlp<rill::mlp<float, 8, dense<24, activation::logistic>, dense<12, activation::tanh>,
                      dense<4, activation::softmax>>>(false, 0.05);
}

TEST_CASE("int8 models on real data: Elec2 logistic and MLP, a 4-class LogisticRegression",
          "[quantized][sklearn]") {
  const std::string dir = std::string(RILL_TEST_DATA_DIR) + "/sklearn_multiclass/";
  const auto rows = read_csv_rows(std::string(RILL_SOURCE_DIR) + "/data/elec2.csv", true);
  REQUIRE(rows.size() == 45312);
  const auto sk = read_csv_rows(dir + "elec2.proba.csv", false);
  REQUIRE(sk.size() == 45312 - 30000);

  const auto lin = rill::load_linear_model<8, float, rill::link_function::logistic>(
      dir + "elec2_logistic.json");
  using net_t = rill::mlp<float, 8, rill::dense<32, activation::relu>,
                          rill::dense<32, activation::relu>, rill::dense<1, activation::logistic>>;
  const auto net = rill::load_mlp<net_t>(dir + "elec2_mlp.json");
  // calibration: max |x_i| over the training rows only
  std::vector<float> train;
  for (std::size_t r = 0; r < 30000; ++r)
    for (std::size_t i = 0; i < 8; ++i) train.push_back(float(rows[r][i]));
  const auto range = rill::feature_range<8>(train.data(), 30000);
  CHECK(range[1] == 7.0f);  // `day` is 1..7, the others are normalised to [0, 1]
  const auto qlin = rill::quantize(lin, range);
  const auto qnet = rill::quantize(*net, range);

  std::size_t ok[4] = {}, n = 0;
  double diff_lin = 0, diff_net = 0, fid_lin = 0, fid_net = 0;
  for (std::size_t r = 30000; r < rows.size(); ++r, ++n) {
    rill::feature_row<float, 8> x;
    for (std::size_t i = 0; i < 8; ++i) x[i] = float(rows[r][i]);
    const int y = int(rows[r][8]);
    const float p[4] = {lin.predict(x), qlin.predict(x), net->predict(x), qnet.predict(x)};
    for (int k = 0; k < 4; ++k) ok[k] += (p[k] > 0.5f) == (y == 1);
    diff_lin = std::max(diff_lin, std::abs(double(p[1]) - p[0]));
    diff_net = std::max(diff_net, std::abs(double(p[3]) - p[2]));
    fid_lin = std::max(fid_lin, std::abs(double(p[0]) - sk[n][0]));
    fid_net = std::max(fid_net, std::abs(double(p[2]) - sk[n][1]));
  }
  const double acc[4] = {double(ok[0]) / n, double(ok[1]) / n, double(ok[2]) / n, double(ok[3]) / n};
  INFO("elec2 held-out rows " << n << ": logistic float " << acc[0] << " int8 " << acc[1]
                              << " max|dp| " << diff_lin << "; mlp float " << acc[2] << " int8 "
                              << acc[3] << " max|dp| " << diff_net);
  // the float models are scikit-learn's (float32 rounding only)
  CHECK(fid_lin <= 1e-5);
  CHECK(fid_net <= 1e-5);
  // int8 (calibrated) costs at most half a point of accuracy; the MLP's probabilities
  // move more (0.19 measured at the worst row: its first layer sums 8 coarse inputs)
  CHECK(std::abs(acc[1] - acc[0]) <= 0.005);
  CHECK(std::abs(acc[3] - acc[2]) <= 0.005);
  CHECK(diff_lin <= 0.03);
  CHECK(diff_net <= 0.25);

  // multiclass: the softmax fixture of multiclass_test.cpp, quantised
  const auto d = rill::read_model_json(dir + "logistic_softmax.json");
  rill::multiclass_linear_model<10, 4, float, rill::multiclass_rule::softmax> mc{};
  for (std::size_t k = 0; k < 4; ++k) {
    mc.bias[k] = float(d.layers[0].bias[k]);
    for (std::size_t i = 0; i < 10; ++i) mc.weights[k][i] = float(d.layers[0].weights[k * 10 + i]);
  }
  const auto qmc = rill::quantize(mc);
  const auto inputs = read_csv_rows(dir + "multiclass.input.csv", true);
  std::size_t agree = 0;
  double diff_mc = 0;
  for (const auto& in : inputs) {
    rill::feature_row<float, 10> x;
    for (std::size_t i = 0; i < 10; ++i) x[i] = float(in[i]);
    const auto pf = mc.predict_proba(x), pq = qmc.predict_proba(x);
    for (std::size_t k = 0; k < 4; ++k) diff_mc = std::max(diff_mc, std::abs(double(pf[k]) - pq[k]));
    agree += mc.predict_class(x) == qmc.predict_class(x);
  }
  INFO("4-class softmax: int8 class agrees on " << agree << "/1000, max|dp| " << diff_mc);
  CHECK(agree >= 990);
  CHECK(diff_mc <= 0.05);
}
