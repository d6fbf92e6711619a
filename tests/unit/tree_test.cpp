// Tree ensembles: XGBoost bit-exactness against XGBoost's own predictions, LightGBM
// fixtures, the scoring paths against each other, and malformed model files.
#include <charconv>
#include <cmath>
#include <cstdint>
#include <cstring>
#include <filesystem>
#include <fstream>
#include <limits>
#include <random>
#include <sstream>
#include <string>
#include <vector>

#include "catch.hpp"
#include "rill/core/pipeline.hpp"
#include "rill/io/model_loader.hpp"
#include "rill/model/tree_ensemble.hpp"

namespace {

const std::string tree_data = RILL_TEST_DATA_DIR;

// A numeric CSV parsed straight to float32 (no detour through double), so the
// shortest round-trip decimals the generators wrote come back bit for bit.
struct float_table {
  std::vector<std::string> columns;
  std::vector<float> values;
  std::size_t rows() const { return columns.empty() ? 0 : values.size() / columns.size(); }
  const float* row(std::size_t r) const { return values.data() + r * columns.size(); }
  float at(std::size_t r, std::size_t c) const { return values[r * columns.size() + c]; }
};

float_table read_floats(const std::string& path, bool header = true) {
  std::ifstream in(path);
  INFO(path);
  REQUIRE(in.good());
  float_table t;
  std::string line;
  bool first = header;
  while (std::getline(in, line)) {
    if (!line.empty() && line.back() == '\r') line.pop_back();
    std::vector<std::string> fields;
    std::stringstream ss(line);
    std::string f;
    while (std::getline(ss, f, ',')) fields.push_back(f);
    if (!line.empty() && line.back() == ',') fields.emplace_back();
    if (first) {
      t.columns = fields;
      first = false;
      continue;
    }
    if (t.columns.empty()) t.columns.resize(fields.size());
    REQUIRE(fields.size() == t.columns.size());
    for (const auto& s : fields) {
      float v = std::numeric_limits<float>::quiet_NaN();
      if (!s.empty() && s != "nan" && s != "NaN") {
        const auto [p, ec] = std::from_chars(s.data(), s.data() + s.size(), v);
        REQUIRE((ec == std::errc{} && p == s.data() + s.size()));
      }
      t.values.push_back(v);
    }
  }
  return t;
}

std::uint32_t bits(float f) {
  std::uint32_t u;
  std::memcpy(&u, &f, 4);
  return u;
}

// Scores every row of `x` and compares margins and outputs bit for bit with
// `pred` (columns: margin..., transformed...). Returns the number of rows checked.
void check_bit_exact(const rill::tree_ensemble& m, const float_table& x, const float_table& pred,
                     std::size_t n_margin, std::size_t n_out) {
  REQUIRE(x.columns.size() == m.num_features());
  REQUIRE(pred.rows() == x.rows());
  REQUIRE(pred.columns.size() == n_margin + n_out);
  REQUIRE(m.num_groups() == n_margin);
  REQUIRE(m.num_outputs() == n_out);
  std::vector<float> margin(m.num_groups()), out(m.num_groups());
  std::size_t bad_margin = 0, bad_out = 0;
  for (std::size_t r = 0; r < x.rows(); ++r) {
    m.predict_margin(x.row(r), margin.data());
    m.predict(x.row(r), out.data());
    for (std::size_t g = 0; g < n_margin; ++g)
      if (bits(margin[g]) != bits(pred.at(r, g))) {
        if (bad_margin++ < 3)
          WARN("row " << r << " margin[" << g << "] " << margin[g] << " expected "
                      << pred.at(r, g));
      }
    for (std::size_t g = 0; g < n_out; ++g)
      if (bits(out[g]) != bits(pred.at(r, n_margin + g))) {
        if (bad_out++ < 3)
          WARN("row " << r << " out[" << g << "] " << out[g] << " expected "
                      << pred.at(r, n_margin + g));
      }
  }
  CHECK(bad_margin == 0);
  CHECK(bad_out == 0);

  // The batch path (tree blocking, SIMD across rows) gives the same bits.
  std::vector<float> batch(x.rows() * m.num_groups());
  m.predict_margin_batch(x.values.data(), x.rows(), x.columns.size(), batch.data());
  std::size_t bad_batch = 0;
  for (std::size_t r = 0; r < x.rows(); ++r)
    for (std::size_t g = 0; g < n_margin; ++g)
      bad_batch += bits(batch[r * m.num_groups() + g]) != bits(pred.at(r, g));
  CHECK(bad_batch == 0);
  m.predict_batch(x.values.data(), x.rows(), x.columns.size(), batch.data());
  bad_batch = 0;
  for (std::size_t r = 0; r < x.rows(); ++r)
    for (std::size_t g = 0; g < n_out; ++g)
      bad_batch += bits(batch[r * m.num_groups() + g]) != bits(pred.at(r, n_margin + g));
  CHECK(bad_batch == 0);
}

}  // namespace

TEST_CASE("XGBoost reference models score bit-exactly", "[trees][xgboost]") {
  for (const std::string name : {"xgb_reg_small", "xgb_bin_small"}) {
    INFO(name);
    const std::string base = tree_data + "/models/" + name;
    const auto m = rill::load_xgboost_json(base + ".json");
    CHECK(m.num_trees() == 100);
    CHECK(m.num_features() == 32);
    CHECK(m.max_depth() == 6);
    CHECK(m.uses_complete_layout());
    const auto x = read_floats(base + ".test.csv");
    const auto pred = read_floats(base + ".pred.csv");
    REQUIRE(x.rows() == 1000);
    check_bit_exact(m, x, pred, 1, 1);

    // Leaf ids as XGBoost's pred_leaf reports them, first 20 rows.
    const auto leaves = read_floats(base + ".leaf_first20.csv", false);
    REQUIRE(leaves.rows() == 20);
    REQUIRE(leaves.columns.size() == m.num_trees());
    std::size_t bad = 0;
    for (std::size_t r = 0; r < 20; ++r)
      for (std::size_t t = 0; t < m.num_trees(); ++t)
        bad += m.leaf_index(x.row(r), t) != std::uint32_t(leaves.at(r, t));
    CHECK(bad == 0);
  }
}

TEST_CASE("Generated XGBoost cases score bit-exactly", "[trees][xgboost]") {
  // Written by tests/tools/gen_xgb_cases.py with XGBoost 1.7: deeper and lossguide
  // trees, other base scores, logistic/logitraw/hinge, multi-class, random forests,
  // poisson/gamma/tweedie, categorical splits (partition and one-hot).
  const std::string dir = tree_data + "/models_more/";
  std::ifstream index(dir + "cases.txt");
  REQUIRE(index.good());
  std::string name;
  std::size_t n_margin = 0, n_out = 0, cases = 0;
  bool saw_general = false, saw_complete = false;
  while (index >> name >> n_margin >> n_out) {
    INFO(name);
    ++cases;
    const auto m = rill::load_tree_model(dir + name + ".json");
    (m.uses_complete_layout() ? saw_complete : saw_general) = true;
    const auto x = read_floats(dir + name + ".test.csv");
    const auto pred = read_floats(dir + name + ".pred.csv");
    check_bit_exact(m, x, pred, n_margin, n_out);
    const auto leaves = read_floats(dir + name + ".leaf.csv", false);
    REQUIRE(leaves.columns.size() == m.num_trees());
    std::size_t bad = 0;
    for (std::size_t r = 0; r < leaves.rows(); ++r)
      for (std::size_t t = 0; t < m.num_trees(); ++t)
        bad += m.leaf_index(x.row(r), t) != std::uint32_t(leaves.at(r, t));
    CHECK(bad == 0);
  }
  CHECK(cases >= 16);
  CHECK(saw_general);  // categorical models take the general path
  CHECK(saw_complete);
}

namespace {

// A three-node XGBoost 1.7 model: x2 < 0.5 (missing: left) -> -0.25, else 0.75.
const std::string tiny_xgb = R"({"learner":{"attributes":{},"feature_names":[],"feature_types":[],
"gradient_booster":{"model":{"gbtree_model_param":{"num_parallel_tree":"1","num_trees":"1",
"size_leaf_vector":"0"},"tree_info":[0],"trees":[{"base_weights":[0,0,0],"categories":[],
"categories_nodes":[],"categories_segments":[],"categories_sizes":[],"default_left":[1,0,0],
"id":0,"left_children":[1,-1,-1],"loss_changes":[0,0,0],"parents":[2147483647,0,0],
"right_children":[2,-1,-1],"split_conditions":[0.5,-0.25,0.75],"split_indices":[2,0,0],
"split_type":[0,0,0],"sum_hessian":[1,1,1],"tree_param":{"num_deleted":"0","num_feature":"3",
"num_nodes":"3","size_leaf_vector":"0"}}]},"name":"gbtree"},"learner_model_param":{
"base_score":"5E-1","boost_from_average":"1","num_class":"0","num_feature":"3","num_target":"1"},
"objective":{"name":"binary:logistic","reg_loss_param":{"scale_pos_weight":"1"}}},
"version":[1,7,4]})";

std::string replaced(std::string s, const std::string& from, const std::string& to) {
  const auto p = s.find(from);
  REQUIRE(p != std::string::npos);
  return s.replace(p, from.size(), to);
}

std::string slurp(const std::string& path) {
  std::ifstream in(path, std::ios::binary);
  REQUIRE(in.good());
  std::stringstream ss;
  ss << in.rdbuf();
  return ss.str();
}

// The loader must throw (never crash) with a message holding every `needle`.
template <class Load>
void expect_error(Load&& load, const std::string& text, std::vector<std::string> needles) {
  INFO("needles[0]: " << needles[0]);
  std::string what;
  try {
    load(text);
  } catch (const std::exception& e) {
    what = e.what();
  }
  INFO("message: " << what);
  REQUIRE(!what.empty());
  for (const auto& n : needles) CHECK(what.find(n) != std::string::npos);
}

void xgb_error(const std::string& text, std::vector<std::string> needles) {
  expect_error([](const std::string& t) { rill::parse_xgboost_json(t, "m.json"); }, text,
               std::move(needles));
}
void lgb_error(const std::string& text, std::vector<std::string> needles) {
  expect_error([](const std::string& t) { rill::parse_lightgbm_text(t, "model.txt"); }, text,
               std::move(needles));
}

}  // namespace

TEST_CASE("a tiny XGBoost model: decisions at the threshold and for missing values",
          "[trees][xgboost]") {
  const auto m = rill::parse_xgboost_json(tiny_xgb, "tiny");
  const float nan = std::numeric_limits<float>::quiet_NaN();
  const float below[3] = {9, 9, std::nextafter(0.5f, 0.0f)}, at[3] = {9, 9, 0.5f},
              missing[3] = {9, 9, nan};
  CHECK(m.margin_one(below) == -0.25f);
  CHECK(m.margin_one(at) == 0.75f);  // x < threshold is strict
  CHECK(m.margin_one(missing) == -0.25f);
  CHECK(m.predict_one(at) == 1.0f / (1.0f + std::exp(-0.75f)));
  CHECK(m.leaf_index(at, 0) == 2);

  // The same model with XGBoost 2.x's bracketed base_score scores identically.
  const auto m2 = rill::parse_xgboost_json(replaced(tiny_xgb, "\"5E-1\"", "\"[5E-1]\""), "t2");
  CHECK(bits(m2.margin_one(at)) == bits(m.margin_one(at)));
  // base_score 0.3 for binary:logistic: the base margin is -logf(1/0.3f - 1) in float.
  const auto m3 = rill::parse_xgboost_json(replaced(tiny_xgb, "\"5E-1\"", "\"[3E-1]\""), "t3");
  CHECK(bits(m3.margin_one(at)) == bits(-std::log(1.0f / 0.3f - 1.0f) + 0.75f));
}

TEST_CASE("XGBoost 2.x-style bracketed base_score on a reference model", "[trees][xgboost]") {
  const std::string base = tree_data + "/models/xgb_bin_small";
  const std::string text = slurp(base + ".json");
  const auto m = rill::parse_xgboost_json(
      replaced(text, "\"base_score\":\"5E-1\"", "\"base_score\":\"[5E-1]\""));
  const auto x = read_floats(base + ".test.csv");
  const auto pred = read_floats(base + ".pred.csv");
  check_bit_exact(m, x, pred, 1, 1);
}

TEST_CASE("malformed XGBoost files fail with the field and the reason", "[trees][xgboost]") {
  xgb_error(tiny_xgb.substr(0, tiny_xgb.size() / 2), {"m.json", "unexpected end of input"});
  xgb_error("", {"m.json", "unexpected end of input"});
  xgb_error(tiny_xgb + "x", {"unexpected text after"});
  xgb_error(replaced(tiny_xgb, "\"num_nodes\":\"3\"", "\"num_nodes\":[]"),
            {"tree_param/num_nodes", "expected an integer"});
  xgb_error(replaced(tiny_xgb, "\"left_children\":[1,-1,-1]", "\"left_children\":[99,-1,-1]"),
            {"trees[0] node 0", "left child 99 out of range"});
  xgb_error(replaced(tiny_xgb, "\"left_children\":[1,-1,-1]", "\"left_children\":[1,0,-1]"),
            {"trees[0] node 1", "right child -1 out of range"});
  xgb_error(
      replaced(replaced(tiny_xgb, "\"left_children\":[1,-1,-1]", "\"left_children\":[1,0,-1]"),
               "\"right_children\":[2,-1,-1]", "\"right_children\":[2,2,-1]"),
      {"trees[0] node", "reached twice (a cycle or a shared child)"});
  xgb_error(replaced(tiny_xgb, "\"right_children\":[2,-1,-1]", "\"right_children\":[1,-1,-1]"),
            {"trees[0] node 0", "same node"});
  xgb_error(replaced(tiny_xgb, "\"split_indices\":[2,0,0]", "\"split_indices\":[40,0,0]"),
            {"trees/0/split_indices/0", "feature index 40", "declared feature count 3"});
  xgb_error(replaced(tiny_xgb, "\"split_conditions\":[0.5,", "\"split_conditions\":[NaN,"),
            {"trees[0] node 0", "NaN threshold"});
  xgb_error(replaced(tiny_xgb, "\"split_conditions\":[0.5,", "\"split_conditions\":[\"a\","),
            {"split_conditions/0", "expected a number"});
  xgb_error(replaced(tiny_xgb, "\"right_children\":[2,-1,-1]", "\"right_children\":[2,-1]"),
            {"right_children", "has 2 entries", "num_nodes is 3"});
  xgb_error(replaced(tiny_xgb, "\"tree_info\":[0]", "\"tree_info\":[0,0]"),
            {"tree_info", "2 entries for 1 trees"});
  xgb_error(replaced(tiny_xgb, "\"name\":\"gbtree\"", "\"name\":\"dart\""),
            {"gradient_booster/name", "'dart' is not supported"});
  xgb_error(replaced(tiny_xgb, "\"name\":\"gbtree\"", "\"name\":\"gblinear\""),
            {"gradient_booster/name", "'gblinear' is not supported"});
  xgb_error(replaced(tiny_xgb, "binary:logistic", "survival:aft"),
            {"objective/name", "'survival:aft' is not supported"});
  xgb_error(replaced(tiny_xgb, "\"5E-1\"", "\"1.5\""), {"base_score", "(0, 1)"});
  xgb_error(replaced(tiny_xgb, "\"5E-1\"", "\"[1,2]\""), {"base_score", "multi-target"});
  xgb_error(replaced(tiny_xgb, "\"num_feature\":\"3\",\"num_target\"", "\"num_target\""),
            {"learner_model_param", "missing member 'num_feature'"});
  xgb_error(replaced(tiny_xgb, "[0.5,-0.25", "[01,-0.25"), {"JSON syntax error"});
  xgb_error(std::string(5000, '[') + std::string(5000, ']'), {"nesting deeper than"});
  expect_error([](const std::string& t) { rill::parse_tree_model(t, "x.bin"); }, "hello",
               {"x.bin", "unrecognised model format"});
  CHECK_THROWS_WITH(rill::load_tree_model(tree_data + "/no_such_model.json"),
                    Catch::Contains("cannot open"));
}

TEST_CASE("LightGBM fixtures match an independent transcription of its rules",
          "[trees][lightgbm]") {
  // tests/tools/lgb_reference.py scores the hand-written fixtures in double with
  // LightGBM's decision rules and writes NAME.pred.csv (margins, then outputs).
  const std::string dir = tree_data + "/lightgbm/";
  const auto x = read_floats(dir + "rows.csv");
  const std::pair<const char*, std::size_t> cases[] = {
      {"binary", 1}, {"multiclass", 3}, {"regression_rf", 1}};
  for (const auto& [name, groups] : cases) {
    INFO(name);
    const auto m = rill::load_tree_model(dir + name + ".txt");
    CHECK(m.format() == "lightgbm");
    CHECK(m.num_features() == 3);
    check_bit_exact(m, x, read_floats(dir + name + ".pred.csv"), groups, groups);
  }
  // By hand, binary row 0 = (0.3, 0.9, 1): tree 0 goes 0.3 <= 0.5 then 0.9 <=
  // 1.0000000000000002 to leaf 0 (0.11); tree 1 is a lone leaf (0.05); tree 2's
  // category 1 is in {1, 3, 33}: left, -0.5. Margin -0.34, sigmoid scale 0.8.
  const auto b = rill::load_lightgbm_text(dir + "binary.txt");
  const double margin = 0.11 + 0.05 + -0.5;
  CHECK(b.margin_one(x.row(0)) == float(margin));
  CHECK(b.predict_one(x.row(0)) == float(1.0 / (1.0 + std::exp(-0.8 * margin))));
  // Leaf ids count internal nodes first (3 here). Row 1 = (0.5, 1, 3): 0.5 <= 0.5 and
  // 1 <= 1.0000000000000002, leaf 0. Row 2 = (0.50000006, ...): right, then 33 is not
  // zero for the Zero-missing split at -0.25: right, leaf 3.
  CHECK(b.leaf_index(x.row(1), 0) == 3 + 0);
  CHECK(b.leaf_index(x.row(2), 0) == 3 + 3);
}

TEST_CASE("malformed LightGBM files fail with the key and the reason", "[trees][lightgbm]") {
  const std::string text = slurp(tree_data + "/lightgbm/binary.txt");
  lgb_error(text.substr(0, text.find("Tree=2") + 40), {"model.txt", "truncated"});
  lgb_error("tree\nnum_class=1\n", {"missing key 'num_tree_per_iteration'"});
  lgb_error("hello", {"model.txt:1", "first line must be 'tree'"});
  lgb_error(replaced(text, "left_child=1 -1 -3", "left_child=7 -1 -3"),
            {"left_child 7 out of range", "Tree=0"});
  lgb_error(replaced(text, "left_child=1 -1 -3", "left_child=1 -9 -3"),
            {"left_child leaf 8 out of range"});
  lgb_error(replaced(text, "right_child=2 -2 -4", "right_child=2 0 -4"), {"reached twice"});
  lgb_error(replaced(text, "split_feature=0 1 2", "split_feature=0 5 2"),
            {"split_feature 5 is beyond max_feature_idx 2"});
  lgb_error(replaced(text, "threshold=0.5 1.0000000000000002", "threshold=abc 1.0000000000000002"),
            {"threshold in Tree=0", "expected a number, got 'abc'"});
  lgb_error(replaced(text, "threshold=0.5 1.0000000000000002", "threshold=nan 1.0000000000000002"),
            {"NaN threshold", "Tree=0"});
  lgb_error(replaced(text, "leaf_value=0.11 -0.23 0.37 -0.41", "leaf_value=0.11 -0.23 0.37"),
            {"leaf_value in Tree=0", "3 values, expected 4"});
  lgb_error(replaced(text, "objective=binary sigmoid:0.8", "objective=custom"),
            {"objective 'custom' is not supported"});
  lgb_error(replaced(text, "is_linear=0", "is_linear=1"), {"linear trees"});
  lgb_error(replaced(text, "cat_threshold=10 2", "cat_threshold=10"),
            {"cat_boundaries inconsistent"});
}

TEST_CASE("score_trees is a pipeline stage checked against the row width", "[trees]") {
  const auto m = rill::parse_xgboost_json(tiny_xgb, "tiny");
  CHECK_THROWS_WITH(rill::score_trees<4>(m), Catch::Contains("3 features, not 4"));
  rill::score_trees<3> stage(m, /*margin=*/true, 7);
  rill::event<3> e;
  e.id = 42;
  e.x.values = {0.f, 0.f, 0.6f};
  std::vector<rill::prediction<float>> got;
  stage(e, [&](const rill::prediction<float>& p) noexcept { got.push_back(p); });
  REQUIRE(got.size() == 1);
  CHECK(got[0].id == 42);
  CHECK(got[0].value == 0.75f);
  CHECK(got[0].version == 7);
  auto p = rill::pipeline{rill::score_trees<3>(m)};
  float seen = 0;
  p.push(e, [&](const rill::prediction<float>& out) noexcept { seen = out.value; });
  CHECK(seen == 1.0f / (1.0f + std::exp(-0.75f)));
}

// Random complete-ish forests (some leaves shallow, NaN defaults both ways) small
// enough for the one-row kernel in batch and big enough for the blocked batch walk:
// every path must give the bits of a plain float walk in model order.
namespace {
rill::tree_spec random_tree(std::mt19937& rng, int depth, std::size_t features,
                            std::uint32_t group) {
  rill::tree_spec t;
  t.group = group;
  std::normal_distribution<float> thr(0.0f, 1.0f);
  std::uniform_int_distribution<std::uint32_t> feat(0, std::uint32_t(features - 1));
  std::uniform_real_distribution<double> leaf(-1.0, 1.0);
  std::bernoulli_distribution coin(0.5), early(0.1);
  // Breadth-first: node i's children are appended when it is split.
  struct todo {
    int level;
  };
  std::vector<todo> nodes{{0}};
  for (std::size_t i = 0; i < nodes.size(); ++i) {
    const bool split = nodes[i].level < depth && !(nodes[i].level > 1 && early(rng));
    t.left.push_back(split ? std::int32_t(nodes.size()) : -1);
    t.right.push_back(split ? std::int32_t(nodes.size() + 1) : -1);
    t.feature.push_back(split ? feat(rng) : 0);
    t.threshold.push_back(split ? thr(rng) : 0.0f);
    t.leaf_value.push_back(split ? 0.0 : leaf(rng));
    t.default_left.push_back(coin(rng));
    if (split) {
      nodes.push_back({nodes[i].level + 1});
      nodes.push_back({nodes[i].level + 1});
    }
  }
  return t;
}

float walk(const rill::tree_spec& t, const float* row) {
  std::int32_t i = 0;
  while (t.left[i] >= 0) {
    const float x = row[t.feature[i]];
    const bool left = std::isnan(x) ? t.default_left[i] != 0 : x < t.threshold[i];
    i = left ? t.left[i] : t.right[i];
  }
  return float(t.leaf_value[i]);
}
}  // namespace

TEST_CASE("batch scoring equals one-row scoring and a plain walk, forests in and beyond L2",
          "[trees]") {
  const std::size_t F = 24, rows = 300;
  std::mt19937 rng(5);
  std::normal_distribution<float> value(0.0f, 1.2f);
  std::bernoulli_distribution missing(0.05);
  std::vector<float> x(rows * F);
  for (float& v : x) v = missing(rng) ? NAN : value(rng);
  struct shape {
    std::size_t trees;
    int depth;
    std::size_t groups;
  };
  // 256 KiB of blocked trees per block of the batch walk: depth 8 holds 56 trees,
  // depth 10 holds 14. Depths 0 and 1 are padded to the blocked layout's least, 2;
  // up to depth 4 the top levels are padded to a cache line.
  for (const shape s :
       {shape{30, 6, 1}, shape{200, 8, 1}, shape{40, 10, 1}, shape{90, 8, 3}, shape{7, 3, 2},
        shape{5, 0, 1}, shape{9, 1, 2}, shape{11, 2, 1}, shape{20, 4, 1}, shape{20, 5, 1},
        shape{12, 12, 1}}) {
    INFO(s.trees << " trees of depth " << s.depth << ", " << s.groups << " groups");
    rill::tree_ensemble_spec spec;
    spec.num_features = F;
    spec.num_groups = s.groups;
    spec.base_margin.assign(s.groups, 0.25f);
    for (std::size_t t = 0; t < s.trees; ++t)
      spec.trees.push_back(random_tree(rng, s.depth, F, std::uint32_t(t % s.groups)));
    const rill::tree_ensemble m(spec);
    REQUIRE(m.uses_complete_layout());
    std::vector<float> batch(rows * s.groups), one(s.groups), plain(s.groups);
    m.predict_margin_batch(x.data(), rows, F, batch.data());
    std::size_t bad = 0;
    for (std::size_t r = 0; r < rows; ++r) {
      const float* row = &x[r * F];
      m.predict_margin(row, one.data());
      for (std::size_t g = 0; g < s.groups; ++g) plain[g] = 0.25f;
      for (const auto& t : spec.trees) plain[t.group] += walk(t, row);
      for (std::size_t g = 0; g < s.groups; ++g) {
        const float b = batch[r * s.groups + g];
        bad += std::memcmp(&b, &one[g], 4) != 0 || std::memcmp(&b, &plain[g], 4) != 0;
      }
    }
    CHECK(bad == 0);
  }
}
