// Linear and MLP kernels: SIMD against scalar references, shape edge cases,
// scikit-learn fidelity on committed fixtures, loader errors.
#include "catch.hpp"
#include "csv_rows.hpp"

#include <algorithm>
#include <array>
#include <limits>
#include <memory>
#include <string>
#include <cmath>
#include <cstddef>
#include <random>
#include <vector>

#include "rill/model/linear.hpp"
#include "rill/model/linear_kernels.hpp"
#include "rill/model/mlp.hpp"

namespace {

template <class T>
std::vector<T> random_vector(std::size_t n, std::uint32_t seed, double scale = 1.0) {
  std::mt19937 rng(seed);
  std::normal_distribution<double> nd(0.0, scale);
  std::vector<T> v(n);
  for (auto& x : v) x = T(nd(rng));
  return v;
}

// |a - b| relative to max(1, |b|): the fidelity measure of the issue.
double rel_err(double a, double b) { return std::abs(a - b) / std::max(1.0, std::abs(b)); }

// Error bound for a dot product in T: a few ulps of T times the sum of |w_i x_i|.
template <class T>
double dot_bound(const T* w, const T* x, std::size_t d) {
  double s = 0;
  for (std::size_t i = 0; i < d; ++i) s += std::abs(double(w[i]) * double(x[i]));
  return (double(d) + 4) * double(std::numeric_limits<T>::epsilon()) * s + 1e-300;
}

template <class T, std::size_t D>
void check_dot_fixed() {
  for (std::uint32_t seed = 1; seed <= 5; ++seed) {
    const auto w = random_vector<T>(D, seed);
    const auto x = random_vector<T>(D, seed + 100);
    const double ref = rill::detail::kernels::reference_dot(w.data(), x.data(), D);
    const double got = rill::detail::kernels::dot<rill::detail::simd::default_arch, T, D>(
        w.data(), x.data());
    INFO("D=" << D << " seed=" << seed << " ref=" << ref << " got=" << got);
    CHECK(std::abs(got - ref) <= dot_bound(w.data(), x.data(), D));
  }
}

template <class T, std::size_t... Ds>
void check_dot_all(std::index_sequence<Ds...>) {
  (check_dot_fixed<T, Ds + 1>(), ...);
}

}  // namespace

TEST_CASE("dot kernel matches the scalar reference for every width 1..70 and large ones",
          "[kernels]") {
  check_dot_all<float>(std::make_index_sequence<70>{});
  check_dot_all<double>(std::make_index_sequence<70>{});
  check_dot_fixed<float, 128>();
  check_dot_fixed<float, 1024>();
  check_dot_fixed<float, 1031>();
  check_dot_fixed<double, 1024>();
}

TEST_CASE("runtime-length dot kernel matches the scalar reference", "[kernels]") {
  for (std::size_t d : {0u, 1u, 2u, 3u, 7u, 8u, 15u, 16u, 17u, 31u, 63u, 64u, 65u, 129u, 1000u}) {
    const auto w = random_vector<float>(d, 7);
    const auto x = random_vector<float>(d, 8);
    const double ref = rill::detail::kernels::reference_dot(w.data(), x.data(), d);
    const double got =
        rill::detail::kernels::dot_n<rill::detail::simd::default_arch>(w.data(), x.data(), d);
    INFO("d=" << d);
    CHECK(std::abs(got - ref) <= dot_bound(w.data(), x.data(), d));
  }
}

TEST_CASE("linear_model margin and predict use the kernel and keep their meaning", "[kernels]") {
  rill::linear_model<13, float> m;
  const auto w = random_vector<float>(13, 3);
  for (std::size_t i = 0; i < 13; ++i) m.weights[i] = w[i];
  m.bias = 0.25f;
  rill::feature_row<float, 13> x{};
  const auto xv = random_vector<float>(13, 4);
  for (std::size_t i = 0; i < 13; ++i) x[i] = xv[i];
  const double ref = rill::detail::kernels::reference_dot(w.data(), xv.data(), 13) + 0.25;
  CHECK(std::abs(m.margin(x) - ref) <= 1e-5);
  CHECK(std::abs(m.predict(x) - 1.0 / (1.0 + std::exp(-ref))) <= 1e-6);
  // an explicit instruction set gives the same answer within rounding
  CHECK(std::abs(m.margin<xsimd::sse2>(x) - ref) <= 1e-5);
}

namespace {

// Double-precision forward pass of any compile-time MLP, through its weight accessors.
template <class Net>
std::vector<double> reference_forward(Net& net, const std::vector<double>& x, bool raw = false) {
  std::vector<double> cur = x;
  for (std::size_t l = 0; l < Net::depth; ++l) {
    const std::size_t in = Net::shape[l], out = Net::shape[l + 1];
    std::vector<double> next(out);
    for (std::size_t o = 0; o < out; ++o) {
      double s = net.bias(l, o);
      for (std::size_t i = 0; i < in; ++i) s += double(net.weight(l, o, i)) * cur[i];
      next[o] = s;
    }
    const auto act = Net::activations[l];
    const bool last = l + 1 == Net::depth;
    if (!(last && raw)) {
      if (act == rill::activation::softmax) {
        double m = next[0], sum = 0;
        for (double v : next) m = std::max(m, v);
        for (double& v : next) sum += (v = std::exp(v - m));
        for (double& v : next) v /= sum;
      } else {
        for (double& v : next) {
          if (act == rill::activation::relu) v = v > 0 ? v : 0;
          if (act == rill::activation::tanh) v = std::tanh(v);
          if (act == rill::activation::logistic) v = 1 / (1 + std::exp(-v));
        }
      }
    }
    cur = next;
  }
  return cur;
}

template <class Net>
void fill_random(Net& net, std::uint32_t seed) {
  std::mt19937 rng(seed);
  for (std::size_t l = 0; l < Net::depth; ++l) {
    const double scale = 1.0 / std::sqrt(double(Net::shape[l]));
    std::normal_distribution<double> nd(0.0, scale);
    for (std::size_t o = 0; o < Net::shape[l + 1]; ++o) {
      net.bias(l, o) = typename Net::value_type(nd(rng));
      for (std::size_t i = 0; i < Net::shape[l]; ++i)
        net.weight(l, o, i) = typename Net::value_type(nd(rng));
    }
  }
}

template <class Net>
void check_mlp(double tol) {
  auto net = std::make_unique<Net>();
  fill_random(*net, 11);
  constexpr std::size_t in = Net::inputs, out = Net::outputs;
  constexpr std::size_t rows = 9;  // two batches of four and a single row
  using T = typename Net::value_type;
  const auto xs = random_vector<T>(rows * in, 12);
  std::vector<T> batch(rows * out);
  net->predict_batch(xs.data(), rows, batch.data());
  for (std::size_t r = 0; r < rows; ++r) {
    std::vector<double> x(xs.begin() + r * in, xs.begin() + (r + 1) * in);
    const auto ref = reference_forward(*net, x);
    const auto raw = reference_forward(*net, x, true);
    std::array<T, out> one{}, margin{};
    net->predict(xs.data() + r * in, one.data());
    net->margin(xs.data() + r * in, margin.data());
    for (std::size_t o = 0; o < out; ++o) {
      INFO("row " << r << " output " << o << " ref " << ref[o]);
      CHECK(rel_err(one[o], ref[o]) <= tol);
      CHECK(rel_err(batch[r * out + o], ref[o]) <= tol);
      CHECK(rel_err(margin[o], raw[o]) <= tol);
    }
  }
}

using rill::activation;
template <std::size_t N, activation A>
using D = rill::dense<N, A>;

}  // namespace

TEST_CASE("compile-time MLP matches a double-precision reference", "[kernels][mlp]") {
  // the benchmark shape
  check_mlp<rill::mlp<float, 32, D<64, activation::relu>, D<64, activation::relu>,
                      D<1, activation::identity>>>(2e-5);
  // every activation, widths that are not multiples of the lanes, a single input
  check_mlp<rill::mlp<float, 1, D<3, activation::tanh>, D<1, activation::logistic>>>(2e-5);
  check_mlp<rill::mlp<float, 7, D<17, activation::logistic>, D<5, activation::tanh>,
                      D<3, activation::softmax>>>(2e-5);
  check_mlp<rill::mlp<double, 13, D<33, activation::tanh>, D<2, activation::identity>>>(1e-12);
  check_mlp<rill::mlp<double, 5, D<100, activation::relu>, D<9, activation::softmax>>>(1e-12);
  check_mlp<rill::mlp<float, 64, D<300, activation::relu>, D<4, activation::identity>>>(2e-5);
  // a single dense layer is a (multi-output) linear model
  check_mlp<rill::mlp<float, 3, D<1, activation::identity>>>(2e-6);
  // an explicit narrower instruction set in the same program
  check_mlp<rill::basic_mlp<xsimd::sse2, float, 32, D<64, activation::relu>,
                            D<1, activation::logistic>>>(2e-5);
}

#include "rill/model/dispatch.hpp"
#include "rill/model/dynamic_mlp.hpp"

namespace {

template <class T>
void check_dynamic(std::size_t in, const std::vector<rill::layer_spec>& layers, double tol) {
  for (const auto* ks : rill::usable_kernels()) {
    rill::dynamic_mlp<T> net(in, layers, *ks);
    std::mt19937 rng(5);
    std::vector<std::vector<std::vector<double>>> w(layers.size());
    std::vector<std::vector<double>> b(layers.size());
    std::size_t prev = in;
    for (std::size_t l = 0; l < layers.size(); ++l) {
      std::normal_distribution<double> nd(0.0, 1.0 / std::sqrt(double(prev)));
      w[l].assign(layers[l].outputs, std::vector<double>(prev));
      b[l].resize(layers[l].outputs);
      for (std::size_t o = 0; o < layers[l].outputs; ++o) {
        b[l][o] = double(T(nd(rng)));
        net.bias(l, o) = T(b[l][o]);
        for (std::size_t i = 0; i < prev; ++i) {
          w[l][o][i] = double(T(nd(rng)));
          net.weight(l, o, i) = T(w[l][o][i]);
        }
      }
      prev = layers[l].outputs;
    }
    for (std::uint32_t r = 0; r < 5; ++r) {
      const auto x = random_vector<T>(in, 40 + r);
      std::vector<double> cur(x.begin(), x.end());
      std::vector<double> raw;
      for (std::size_t l = 0; l < layers.size(); ++l) {
        std::vector<double> next(layers[l].outputs);
        for (std::size_t o = 0; o < next.size(); ++o) {
          double s = b[l][o];
          for (std::size_t i = 0; i < cur.size(); ++i) s += w[l][o][i] * cur[i];
          next[o] = s;
        }
        raw = next;
        const auto act = layers[l].act;
        if (act == rill::activation::softmax) {
          double m = *std::max_element(next.begin(), next.end()), sum = 0;
          for (double& v : next) sum += (v = std::exp(v - m));
          for (double& v : next) v /= sum;
        } else {
          for (double& v : next) {
            if (act == rill::activation::relu) v = std::max(v, 0.0);
            if (act == rill::activation::tanh) v = std::tanh(v);
            if (act == rill::activation::logistic) v = 1 / (1 + std::exp(-v));
          }
        }
        cur = next;
      }
      std::vector<T> out(net.outputs()), margin(net.outputs());
      net.predict(x.data(), out.data());
      net.margin(x.data(), margin.data());
      for (std::size_t o = 0; o < out.size(); ++o) {
        INFO("kernels " << ks->name << " output " << o);
        CHECK(rel_err(out[o], cur[o]) <= tol);
        CHECK(rel_err(margin[o], raw[o]) <= tol);
      }
    }
  }
}

}  // namespace

TEST_CASE("runtime-shaped MLP matches the reference on every usable kernel set",
          "[kernels][mlp]") {
  using rill::activation;
  REQUIRE(rill::usable_kernels().size() >= 1);
  CHECK(std::string(rill::best_kernels().name) == rill::usable_kernels().back()->name);
  check_dynamic<float>(32, {{64, activation::relu}, {64, activation::relu}, {1, activation::identity}},
                       2e-5);
  check_dynamic<double>(1, {{1, activation::logistic}}, 1e-12);
  check_dynamic<double>(7, {{17, activation::tanh}, {33, activation::logistic}, {5, activation::softmax}},
                        1e-12);
  check_dynamic<double>(20, {{129, activation::relu}, {3, activation::tanh}}, 1e-12);
  check_dynamic<float>(3, {{40, activation::identity}, {2, activation::softmax}}, 2e-5);
  CHECK_THROWS_WITH((rill::dynamic_mlp<double>(3, {{4, activation::softmax}, {1, activation::identity}})),
                    Catch::Contains("softmax on layer 0"));
  CHECK_THROWS_WITH((rill::dynamic_mlp<double>(3, {{0, activation::relu}})),
                    Catch::Contains("layer 0 has zero outputs"));
}

#include <fstream>
#include <sstream>

#include "rill/io/model_json.hpp"

namespace {

const std::string sk_dir = std::string(RILL_TEST_DATA_DIR) + "/sklearn/";

std::vector<std::vector<double>> read_rows(const std::string& path, bool header) {
  return rill::test::read_csv_rows(path, header);
}

std::string first_line(const std::string& path) {
  std::ifstream f(path);
  std::string s;
  std::getline(f, s);
  return s;
}

}  // namespace

TEST_CASE("every exported scikit-learn model predicts like scikit-learn", "[kernels][sklearn]") {
  const char* cases[] = {"linear_regression",
                         "ridge",
                         "sgd_regressor",
                         "sgd_classifier_log",
                         "sgd_classifier_modified_huber",
                         "sgd_classifier_hinge_multiclass",
                         "sgd_classifier_log_multiclass",
                         "logistic_binary",
                         "logistic_multinomial",
                         "logistic_ovr",
                         "mlp_regressor",
                         "mlp_classifier_binary",
                         "mlp_classifier_multiclass"};
  for (const char* c : cases) {
    const std::string name = c;
    const auto inputs = read_rows(sk_dir + first_line(sk_dir + name + ".data") + ".input.csv", true);
    const auto expected = read_rows(sk_dir + name + ".expected.csv", false);
    REQUIRE(inputs.size() >= 1000);
    REQUIRE(inputs.size() == expected.size());
    rill::json_model m(rill::read_model_json(sk_dir + name + ".json"));
    REQUIRE(m.n_features() == inputs[0].size());
    REQUIRE(m.n_outputs() == expected[0].size());
    std::vector<double> out(m.n_outputs());
    double worst = 0;
    for (std::size_t r = 0; r < inputs.size(); ++r) {
      m.predict(inputs[r].data(), out.data());
      for (std::size_t k = 0; k < out.size(); ++k) worst = std::max(worst, rel_err(out[k], expected[r][k]));
    }
    INFO(name << " kernels " << m.kernel_name() << " worst relative error " << worst);
    CHECK(worst <= 1e-5);
    CHECK(worst <= 1e-9);  // computed in double: far inside the bound
  }
}

TEST_CASE("model files load into compile-time models with their shapes checked",
          "[kernels][sklearn]") {
  const auto inputs = read_rows(sk_dir + "regression.input.csv", true);
  const auto expected = read_rows(sk_dir + "ridge.expected.csv", false);
  const auto ridge = rill::load_linear_model<8, double, rill::link_function::identity>(sk_dir + "ridge.json");
  for (std::size_t r = 0; r < inputs.size(); ++r) {
    rill::feature_row<double, 8> x{};
    for (std::size_t i = 0; i < 8; ++i) x[i] = inputs[r][i];
    CHECK(rel_err(ridge.predict(x), expected[r][0]) <= 1e-9);
  }
  const auto bin_in = read_rows(sk_dir + "binary.input.csv", true);
  const auto bin_exp = read_rows(sk_dir + "logistic_binary.expected.csv", false);
  const auto logit = rill::load_linear_model<8, float>(sk_dir + "logistic_binary.json");
  for (std::size_t r = 0; r < bin_in.size(); ++r) {
    rill::feature_row<float, 8> x{};
    for (std::size_t i = 0; i < 8; ++i) x[i] = float(bin_in[r][i]);
    CHECK(rel_err(logit.predict(x), bin_exp[r][0]) <= 1e-5);
  }

  using net_t = rill::mlp<float, 8, D<32, activation::relu>, D<16, activation::relu>,
                          D<1, activation::identity>>;
  const auto net = rill::load_mlp<net_t>(sk_dir + "mlp_regressor.json");
  const auto mlp_in = read_rows(sk_dir + "mlp_regressor.input.csv", true);
  const auto mlp_exp = read_rows(sk_dir + "mlp_regressor.expected.csv", false);
  double worst = 0;
  for (std::size_t r = 0; r < mlp_in.size(); ++r) {
    rill::feature_row<float, 8> x{};
    for (std::size_t i = 0; i < 8; ++i) x[i] = float(mlp_in[r][i]);
    worst = std::max(worst, rel_err(net->predict(x), mlp_exp[r][0]));
  }
  INFO("float32 compile-time MLP worst relative error " << worst);
  CHECK(worst <= 1e-5);

  // wrong shapes against the compiled type name the field
  using wide_t = rill::mlp<float, 8, D<31, activation::relu>, D<16, activation::relu>,
                           D<1, activation::identity>>;
  CHECK_THROWS_WITH(rill::load_mlp<wide_t>(sk_dir + "mlp_regressor.json"),
                    Catch::Contains("field 'layers[0].weights' is 32x8, the compiled model expects 31x8"));
  using tanh_t = rill::mlp<float, 8, D<32, activation::tanh>, D<16, activation::relu>,
                           D<1, activation::identity>>;
  CHECK_THROWS_WITH(rill::load_mlp<tanh_t>(sk_dir + "mlp_regressor.json"),
                    Catch::Contains("field 'layers[0].activation' is 'relu'"));
  using deep_t = rill::mlp<float, 8, D<32, activation::relu>, D<1, activation::identity>>;
  CHECK_THROWS_WITH(rill::load_mlp<deep_t>(sk_dir + "mlp_regressor.json"),
                    Catch::Contains("field 'layers' has 3 layers, the compiled model has 2"));
  CHECK_THROWS_WITH((rill::load_linear_model<9, double, rill::link_function::identity>(sk_dir + "ridge.json")),
                    Catch::Contains("field 'n_features' is 8, the compiled model has 9"));
  CHECK_THROWS_WITH((rill::load_linear_model<8, double, rill::link_function::logistic>(sk_dir + "ridge.json")),
                    Catch::Contains("field 'output' is not 'logistic'"));
  CHECK_THROWS_WITH((rill::load_linear_model<8, double>(sk_dir + "logistic_multinomial.json")),
                    Catch::Contains("field 'coef' has 4 rows"));
}

TEST_CASE("bad model files are reported with the field and the reason", "[kernels][sklearn]") {
  const std::string good =
      R"({"format":"rill.model","format_version":1,"model":"mlp","task":"regression",)"
      R"("n_features":2,"output":"identity","layers":[)"
      R"({"activation":"relu","weights":[[1,2],[3,4],[5,6]],"bias":[0,0,0]},)"
      R"({"activation":"identity","weights":[[1,1,1]],"bias":[0.5]}]})";
  auto d = rill::parse_model_json(good, "m.json");
  CHECK(d.layers.size() == 2);
  {
    rill::json_model m(d);
    const double x[2] = {1, -1};
    double y = 0;
    m.predict(x, &y);
    CHECK(y == Approx(0.5));  // relu(-1, -1, -1) = 0
  }
  auto fails = [&](std::string from, std::string to, const std::string& message) {
    std::string text = good;
    const auto at = text.find(from);
    REQUIRE(at != std::string::npos);
    text.replace(at, from.size(), to);
    INFO(text);
    CHECK_THROWS_WITH(rill::parse_model_json(text, "m.json"),
                      Catch::Contains("m.json") && Catch::Contains(message));
  };
  fails(R"("format_version":1)", R"("format_version":2)", "version 2 is not supported");
  fails(R"("format_version":1,)", "", "format_version");
  fails(R"("n_features":2)", R"("n_features":"two")", "n_features");
  fails(R"([[1,2],[3,4],[5,6]])", R"([[1,2],[3,4],[5]])", "layers/0/weights/2");
  fails(R"("bias":[0,0,0])", R"("bias":[0,0])", "expected 3 values");
  fails(R"("weights":[[1,1,1]])", R"("weights":[[1,1]])", "layers/1/weights/0");
  fails(R"("activation":"relu")", R"("activation":"swish")", "unknown activation 'swish'");
  fails(R"("activation":"relu")", R"("activation":"softmax")", "only allowed on the last layer");
  fails(R"("output":"identity")", R"("output":"logistic")", "binary rule");
  fails(R"("model":"mlp")", R"("model":"tree")", "expected \"linear\" or \"mlp\"");
  fails(R"([0,0,0])", R"([0,"x",0])", "layers/0/bias/1");
  fails(R"("layers":[)", R"("layerz":[)", "layers");
  CHECK_THROWS_WITH(rill::read_model_json(sk_dir + "no_such_file.json"),
                    Catch::Contains("no_such_file.json: cannot open the file"));
}
