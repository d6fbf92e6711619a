// Zero allocation when scoring loaded models: trees (one row, batch, as a stage) and
// rill.model JSON models with a runtime shape.
#include <cmath>
#include <memory>
#include <vector>

#include "alloc_counter.hpp"
#include "catch.hpp"
#include "rill/io/csv.hpp"
#include "rill/io/model_json.hpp"
#include "rill/io/model_loader.hpp"
#include "rill/model/mlp.hpp"
#include "rill/model/multiclass.hpp"
#include "rill/model/quantized.hpp"
#include "rill/model/linear.hpp"
#include "rill/model/tree_ensemble.hpp"

namespace {
const std::string models = RILL_TEST_DATA_DIR "/models/";

std::vector<float> rows_of(const std::string& csv) {
  const auto t = rill::read_csv(csv);
  std::vector<float> out;
  for (double v : t.values) out.push_back(static_cast<float>(v));
  return out;
}
}  // namespace

TEST_CASE("tree ensembles predict without allocating", "[alloc][trees]") {
  const auto m = rill::load_xgboost_json(models + "xgb_bin_small.json");
  const auto rows = rows_of(models + "xgb_bin_small.test.csv");
  const std::size_t F = m.num_features(), n = rows.size() / F;
  std::vector<float> out(8), batch_out(n * m.num_outputs());
  float sink = 0;
  for (std::size_t i = 0; i < 1000; ++i) m.predict(&rows[(i % n) * F], out.data());  // warm-up
  rill::test::allocation_scope scope;
  for (std::size_t i = 0; i < 200'000; ++i) {
    m.predict(&rows[(i % n) * F], out.data());
    sink += out[0];
    m.predict_margin(&rows[(i % n) * F], out.data());
  }
  for (int r = 0; r < 20; ++r) m.predict_batch(rows.data(), n, F, batch_out.data());
  CHECK(scope.allocations() == 0);
  CHECK(sink > 0);
}

TEST_CASE("rill.model JSON models predict without allocating", "[alloc][kernels]") {
  for (const char* name : {"mlp_classifier_multiclass", "logistic_binary", "mlp_regressor"}) {
    rill::json_model m(rill::read_model_json(RILL_TEST_DATA_DIR "/sklearn/" + std::string(name) + ".json"));
    std::vector<double> x(m.n_features(), 0.25), out(std::max(m.n_outputs(), m.n_margins()));
    m.predict(x.data(), out.data());  // warm-up of both paths
    m.margin(x.data(), out.data());
    rill::test::allocation_scope scope;
    for (int i = 0; i < 100'000; ++i) {
      x[static_cast<std::size_t>(i) % x.size()] = 0.001 * i;
      m.predict(x.data(), out.data());
      m.margin(x.data(), out.data());
    }
    const auto allocations = scope.allocations();  // before INFO, which allocates
    INFO(name);
    CHECK(allocations == 0);
  }
}

TEST_CASE("compile-time MLP, multiclass and int8 models predict without allocating",
          "[alloc][kernels]") {
  using rill::activation;
  using net_t = rill::mlp<float, 32, rill::dense<64, activation::relu>,
                          rill::dense<64, activation::tanh>, rill::dense<3, activation::softmax>>;
  auto net = std::make_unique<net_t>();  // weights on the heap: set-up, before the scope
  for (std::size_t o = 0; o < 64; ++o)
    for (std::size_t i = 0; i < 32; ++i) net->weight(0, o, i) = 0.01f * float((o * 7 + i) % 13) - 0.06f;
  auto qnet = std::make_unique<rill::quantized_mlp<net_t>>(*net);
  rill::multiclass_linear_model<32, 4> mc;
  for (std::size_t k = 0; k < 4; ++k)
    for (std::size_t i = 0; i < 32; ++i) mc.weights[k][i] = 0.1f * float(int(k * 5 + i) % 7 - 3);
  const auto qmc = rill::quantize(mc);
  rill::linear_model<32> lin;
  for (std::size_t i = 0; i < 32; ++i) lin.weights[i] = 0.05f * float(int(i % 5) - 2);
  const auto qlin = rill::quantize(lin);

  rill::feature_row<float, 32> x{};
  double acc = 0;
  auto step = [&](std::uint64_t r) {
    for (std::size_t i = 0; i < 32; ++i) x[i] = float((r * 31 + i * 17) % 101) / 50.0f - 1.0f;
    const auto p = net->predict_all(x);
    const auto q = qnet->predict_all(x);
    acc += p[0] + q[1] + mc.predict_proba(x)[2] + float(mc.predict_class(x)) +
           qmc.predict_proba(x)[0] + qlin.predict(x) + lin.predict(x);
  };
  for (std::uint64_t r = 0; r < 100; ++r) step(r);
  rill::test::allocation_scope scope;
  for (std::uint64_t r = 0; r < 100'000; ++r) step(r);
  REQUIRE(scope.allocations() == 0);
  CHECK(std::isfinite(acc));
}
