// Gradient-boosted and random-forest tree ensembles (XGBoost, LightGBM), scored
// bit-exactly on one row or a batch.
//
// A model is described by a `tree_ensemble_spec` (plain per-node arrays, what the
// loaders in rill/io/model_loader.hpp produce) and flattened once into a
// `tree_ensemble`: all allocation happens in its constructor, scoring never
// allocates, never locks and never throws.
//
// Two layouts are built:
//  * general: every tree's nodes in one array, children adjacent (right = left + 1),
//    handles categorical splits, LightGBM zero-as-missing and any depth;
//  * complete (XGBoost-style float32 forests whose splits are all plain numeric,
//    at most `max_complete_depth` deep, at most `max_key_features` features): each
//    tree padded to a complete binary tree of the forest's depth, its last two levels
//    and their leaves blocked in cache lines (see tree_ensemble::top_slots). A row is
//    first turned into order-preserving integer keys (two per feature, one per NaN
//    direction), so a level is one unsigned compare and an add with carry, with no
//    branch; eight trees are walked in lock-step.
#pragma once

#include <algorithm>
#include <cmath>
#include <cstddef>
#include <cstdint>
#include <cstring>
#include <limits>
#include <span>
#include <stdexcept>
#include <string>
#include <utility>
#include <vector>

#if defined(__AVX2__)
#include <immintrin.h>
#endif

#include "rill/config.hpp"
#include "rill/core/event.hpp"
#include "rill/detail/aligned_allocator.hpp"
#include "rill/detail/exp.hpp"

RILL_NAMESPACE_BEGIN

/// How an ensemble's raw margins become its outputs.
enum class tree_output {
  identity,     ///< regression, binary:logitraw: the margin
  logistic,     ///< 1 / (1 + exp(-scale * margin)) per output
  exponential,  ///< exp(margin): count:poisson, reg:gamma, reg:tweedie, LightGBM poisson...
  softmax,      ///< class probabilities (multi:softprob, LightGBM multiclass)
  argmax,       ///< the index of the largest margin, as a float (multi:softmax)
  hinge,        ///< 1 if margin > 0 else 0 (binary:hinge)
};

/// How one split node decides.
enum class split_kind : std::uint8_t {
  numeric,       ///< left iff x < threshold; NaN follows default_left
  numeric_zero,  ///< LightGBM missing type Zero: NaN and |x| <= 1e-35 follow default_left
  categorical,   ///< the node's category set decides (see `category_left`)
};

/// One tree as plain arrays indexed by node id (root 0). A node is a leaf iff
/// `left[i] < 0`. Built by loaders; validated by `tree_ensemble`'s constructor.
struct tree_spec {
  std::vector<std::int32_t> left, right;
  std::vector<std::uint32_t> feature;
  std::vector<float> threshold;            ///< numeric splits: go left iff x < threshold
  std::vector<double> leaf_value;          ///< leaves: the value added to the margin
  std::vector<std::uint8_t> default_left;  ///< where NaN goes (numeric / numeric_zero)
  std::vector<split_kind> kind;            ///< empty = all numeric
  std::vector<std::vector<std::uint32_t>> categories;  ///< per categorical node: its set
  std::uint32_t group = 0;                             ///< output (class) this tree adds to
};

/// Everything a loader extracts from a model file.
struct tree_ensemble_spec {
  std::string source;     ///< file name, for error messages
  std::string format;     ///< "xgboost" or "lightgbm"
  std::string objective;  ///< as written in the file
  tree_output output = tree_output::identity;
  float sigmoid_scale = 1.0f;  ///< LightGBM `sigmoid:` parameter
  std::size_t num_features = 0;
  std::size_t num_groups = 1;
  std::vector<float> base_margin;  ///< per group; empty = zeros
  /// XGBoost adds leaves in float32, LightGBM in double: pick the trainer's rule.
  bool double_accumulation = false;
  /// Categorical semantics: XGBoost sends listed categories right and invalid ones
  /// (negative, >= 2^24) left; LightGBM sends listed categories left and NaN or
  /// negative ones right.
  bool category_left = false;
  double average_divisor = 1.0;  ///< LightGBM average_output (random forest): trees per class
  std::vector<tree_spec> trees;
};

namespace detail {
/// The instruction sets a translation unit lets the tree kernels use (AVX2 for a row's
/// keys, BMI2 for the node step, AVX-512F for the batch), as a type. Every scoring
/// member takes it as a defaulted template argument, so files built with different
/// flags instantiate differently named kernels and never share one: the linker keeps
/// one copy of a same-named inline function for the whole program, and an AVX2 copy
/// kept for a file built for plain x86-64 would fault on a CPU without AVX2.
template <bool Avx2, bool Bmi2, bool Avx512f>
struct tree_isa {};
using default_tree_isa = tree_isa<
#if defined(__AVX2__)
    true,
#else
    false,
#endif
#if defined(__BMI2__)
    true,
#else
    false,
#endif
#if defined(__AVX512F__)
    true
#else
    false
#endif
    >;
}  // namespace detail

/// A flattened tree ensemble.
///
/// Construction validates the spec (child indices in range, no cycles or shared
/// nodes, features below `num_features`, no NaN threshold on a numeric split,
/// groups below `num_groups`) and throws std::runtime_error naming the source, tree,
/// node and reason; it allocates all storage. Every scoring member is `const`,
/// `noexcept`, allocation-free and safe to call from many threads at once.
class tree_ensemble {
 public:
  /// Deepest forest laid out as complete trees (2^depth leaves per tree).
  static constexpr std::size_t max_complete_depth = 12;

  tree_ensemble() = default;
  explicit tree_ensemble(const tree_ensemble_spec& spec) { build(spec); }

  std::size_t num_features() const noexcept { return num_features_; }
  std::size_t num_groups() const noexcept { return num_groups_; }
  std::size_t num_trees() const noexcept { return tree_root_.size(); }
  /// Values `predict` writes: num_groups, except 1 for argmax.
  std::size_t num_outputs() const noexcept {
    return output_ == tree_output::argmax ? 1 : num_groups_;
  }
  tree_output output() const noexcept { return output_; }
  const std::string& format() const noexcept { return format_; }
  const std::string& objective() const noexcept { return objective_; }
  /// True if the one-row and batch paths use the complete lock-step layout.
  bool uses_complete_layout() const noexcept { return complete_depth_ >= 0; }
  /// Depth of the deepest tree (a lone leaf has depth 0).
  std::size_t max_depth() const noexcept { return max_depth_; }

  /// Raw margins of one row (`row` holds num_features() floats, NaN = missing) into
  /// `margin[0..num_groups)`. O(features + trees × depth): the row's keys first.
  template <class Isa = detail::default_tree_isa>
  void predict_margin(const float* row, float* margin) const noexcept {
    if (double_acc_) {
      double acc[max_stack_groups];
      double* a = num_groups_ <= max_stack_groups ? acc : nullptr;
      if (a) {
        margin_double(row, a);
        for (std::size_t g = 0; g < num_groups_; ++g) margin[g] = float(a[g]);
        return;
      }
    }
    margin_float<Isa>(row, margin);
  }

  /// Transformed outputs of one row into `out[0..num_outputs())`. O(features + trees × depth).
  /// `out` must have room for num_groups() values (used as scratch for argmax).
  template <class Isa = detail::default_tree_isa>
  void predict(const float* row, float* out) const noexcept {
    if (double_acc_ && num_groups_ <= max_stack_groups) {
      double acc[max_stack_groups];
      margin_double(row, acc);
      transform_double(acc, out);
      return;
    }
    margin_float<Isa>(row, out);
    transform_float(out);
  }

  /// The single output of a regression or binary model (the first output otherwise;
  /// the class index for argmax). Needs num_groups() <= 64.
  template <class Isa = detail::default_tree_isa>
  float predict_one(const float* row) const noexcept {
    float buf[max_stack_groups];
    buf[0] = 0.0f;
    if (num_groups_ > max_stack_groups) return std::numeric_limits<float>::quiet_NaN();
    predict<Isa>(row, buf);
    return buf[0];
  }
  template <class Isa = detail::default_tree_isa>
  float margin_one(const float* row) const noexcept {
    float buf[max_stack_groups];
    buf[0] = 0.0f;
    if (num_groups_ > max_stack_groups) return std::numeric_limits<float>::quiet_NaN();
    predict_margin<Isa>(row, buf);
    return buf[0];
  }

  /// Margins of `n` rows (row r at rows + r*stride) into out[r*num_groups + g].
  /// Bit-identical to predict_margin row by row. Walks the trees in blocks that fit
  /// in L2 over chunks of rows: 8 rows in lock-step, or 16-row AVX-512 vectors when
  /// compiled with AVX-512 (single-output models).
  /// O(n × trees × depth); never allocates (`out` is the accumulator).
  template <class Isa = detail::default_tree_isa>
  void predict_margin_batch(const float* rows, std::size_t n, std::size_t stride,
                            float* out) const noexcept;

  /// Transformed outputs of `n` rows into out[r*num_groups + g] (argmax: the class
  /// index in out[r*num_groups]).
  template <class Isa = detail::default_tree_isa>
  void predict_batch(const float* rows, std::size_t n, std::size_t stride,
                     float* out) const noexcept {
    if (double_acc_) {
      for (std::size_t r = 0; r < n; ++r) predict<Isa>(rows + r * stride, out + r * num_groups_);
      return;
    }
    predict_margin_batch<Isa>(rows, n, stride, out);
    for (std::size_t r = 0; r < n; ++r) transform_float(out + r * num_groups_);
  }

  /// The node id (as numbered in the model file) of the leaf `row` reaches in tree
  /// `t`. O(depth).
  std::uint32_t leaf_index(const float* row, std::size_t t) const noexcept {
    const std::uint32_t i = walk_general(row, tree_root_[t]);
    return nodes_[i].source_id;
  }

  /// The output transform applied to float margins in place (num_groups values).
  void transform_float(float* m) const noexcept {
    switch (output_) {
      case tree_output::identity:
        break;
      case tree_output::logistic:
        // Exactly XGBoost's float32 formula with the C library's expf (without its
        // error path at the range limits: the same values, detail/exp.hpp).
        for (std::size_t g = 0; g < num_groups_; ++g)
          m[g] = detail::logistic(m[g] * sigmoid_scale_);
        break;
      case tree_output::exponential:
        for (std::size_t g = 0; g < num_groups_; ++g) m[g] = std::exp(m[g]);
        break;
      case tree_output::hinge:
        for (std::size_t g = 0; g < num_groups_; ++g) m[g] = m[g] > 0.0f ? 1.0f : 0.0f;
        break;
      case tree_output::softmax: {
        // XGBoost's Softmax: float max, float expf, double sum, float divide.
        float wmax = m[0];
        for (std::size_t g = 1; g < num_groups_; ++g) wmax = std::fmax(m[g], wmax);
        double wsum = 0.0;
        for (std::size_t g = 0; g < num_groups_; ++g) {
          m[g] = std::exp(m[g] - wmax);
          wsum += m[g];
        }
        for (std::size_t g = 0; g < num_groups_; ++g) m[g] /= static_cast<float>(wsum);
        break;
      }
      case tree_output::argmax: {
        std::size_t best = 0;
        for (std::size_t g = 1; g < num_groups_; ++g)
          if (m[g] > m[best]) best = g;
        m[0] = static_cast<float>(best);
        break;
      }
    }
  }

 private:
  static constexpr std::size_t max_stack_groups = 64;

  enum : std::uint32_t {
    flag_leaf = 1u,
    flag_default_left = 2u,
    flag_special = 4u,  // categorical or zero-missing: take the slow decision
    flag_categorical = 8u,
    flag_zero = 16u,
    flag_shift = 8u,  // upper bits: category set index
  };

  struct node {
    float value;  // threshold, or the leaf value
    std::uint32_t feature;
    std::uint32_t left;  // right child = left + 1; a leaf points at itself
    std::uint32_t flags;
    std::uint32_t source_id;
  };
  struct cat_set {
    std::uint32_t offset, words;
  };
  // Complete layout node. The threshold is stored as an order-preserving unsigned
  // key minus one, and `slot` picks which of a row's two key arrays to compare with:
  // feature f for default-left nodes (a NaN there is keyed 0, so it goes left) and
  // num_features + f otherwise (NaN keyed 0xffffffff: right). One unsigned compare
  // `key(x) > key(threshold) - 1` then decides `!(x < threshold)` and the missing-value
  // rule together, and with 1-based heap numbering the child is `2m + right`, which
  // compiles to cmp + adc (in the top levels; the last two step inside a block, see
  // top_slots).
  struct cnode {
    std::uint32_t key_m1;  // low half of the node word: compared as a 32-bit register
    std::uint32_t slot;    // high half: one shift gives it zero-extended, ready to index
  };
  static constexpr std::size_t max_key_features = 256;
  static constexpr std::uint32_t lockstep = 8;  // trees (one row) or rows (batch) walked together

  // Blocked complete layout of a forest of depth D >= 2 (shallower forests are padded
  // to 2). Per tree, `tree_slots(D)` node words: first the top D - 2 levels in heap
  // order (words 1 .. 2^(D-2) - 1 of `top_slots(D)`), then 2^(D-2) bottom blocks of 8
  // words, one cache line each: [unused, the block's root, its two children, the four
  // leaves below them (a leaf's float in the low half of its word)]. A walk thus
  // touches the top lines, which the forest's trees share in L1, and one bottom line,
  // instead of one line per lower level and another for the leaf.
  static constexpr std::size_t top_slots(int d) noexcept {
    return std::max<std::size_t>(std::size_t(1) << (d - 2), 8);
  }
  static constexpr std::size_t tree_slots(int d) noexcept {
    return top_slots(d) + 8 * (std::size_t(1) << (d - 2));
  }
  static float leaf_at(const cnode* c) noexcept {
    float v;
    std::memcpy(&v, c, sizeof v);
    return v;
  }

  // Order-preserving map float -> uint32 with -0 == +0: key(x) < key(t) iff x < t for
  // all non-NaN x and t; non-NaN keys lie in [0x007fffff, 0xff800000].
  static RILL_ALWAYS_INLINE std::uint32_t order_key(float x) noexcept {
    x += 0.0f;  // -0 becomes +0 (x < t does not tell them apart)
    std::int32_t b;
    std::memcpy(&b, &x, sizeof b);
    return std::uint32_t(b ^ ((b >> 31) & 0x7fffffff)) ^ 0x80000000u;
  }
  // A row's keys, interleaved with `lockstep` - 1 other rows' (lane `lane`): the key
  // for slot s is keys[s * lockstep + lane], and nodes store s * lockstep, so the batch
  // path reaches row k's key with a constant displacement.
  template <class Isa>
  RILL_ALWAYS_INLINE void row_keys(const float* row, std::uint32_t* keys,
                                   std::size_t lane) const noexcept {
    const std::size_t F = num_features_;
    std::size_t f = 0;
#if defined(__AVX2__)
    // Eight features a register (the scalar loop compiles to a compare and a branch
    // per feature; this is 6-8 % of a 100-tree prediction): the same keys, then
    // strided stores. tests/fma compares it with the portable loop bit for bit.
    const __m256i magnitude = _mm256_set1_epi32(0x7fffffff);
    const __m256i top = _mm256_set1_epi32(std::int32_t(0x80000000u));
    for (; f + 8 <= F; f += 8) {
      const __m256 x = _mm256_add_ps(_mm256_loadu_ps(row + f), _mm256_setzero_ps());
      const __m256i b = _mm256_castps_si256(x);
      const __m256i k = _mm256_xor_si256(
          _mm256_xor_si256(b, _mm256_and_si256(_mm256_srai_epi32(b, 31), magnitude)), top);
      const __m256i nan = _mm256_castps_si256(_mm256_cmp_ps(x, x, _CMP_UNORD_Q));
      alignas(32) std::uint32_t lo[8], hi[8];
      _mm256_store_si256(reinterpret_cast<__m256i*>(lo), _mm256_andnot_si256(nan, k));
      _mm256_store_si256(reinterpret_cast<__m256i*>(hi), _mm256_or_si256(nan, k));
      for (std::size_t i = 0; i < 8; ++i) {
        keys[(f + i) * lockstep + lane] = lo[i];
        keys[(F + f + i) * lockstep + lane] = hi[i];
      }
    }
#endif
    for (; f < F; ++f) {
      const float x = row[f];
      const std::uint32_t k = order_key(x);
      const bool nan = x != x;
      keys[f * lockstep + lane] = nan ? 0u : k;
      keys[(F + f) * lockstep + lane] = nan ? 0xffffffffu : k;
    }
  }

  // The child a numeric node sends x to: 0 left, 1 right. Branch-free.
  static RILL_ALWAYS_INLINE std::uint32_t go_right(float x, float threshold,
                                                   std::uint32_t dl) noexcept {
    const std::uint32_t nan = x != x;
    return static_cast<std::uint32_t>(!(x < threshold)) & ~(nan & dl);
  }

  std::uint32_t special_right(const node& n, float x) const noexcept {
    const bool dl = n.flags & flag_default_left;
    if (n.flags & flag_zero) {
      if (x != x || (x >= -1e-35f && x <= 1e-35f)) return !dl;
      return !(x < n.value);
    }
    const cat_set s = cat_sets_[n.flags >> flag_shift];
    const std::uint32_t* bits = cat_words_.data() + s.offset;
    if (category_left_) {
      // LightGBM truncates to int: NaN, x <= -1 and x >= 2^31 go right (as its
      // x86 build does); (-1, 0] is category 0; listed categories go left.
      if (!(x > -1.0f) || !(x < 2147483648.0f)) return 1;
      const auto c = static_cast<std::uint32_t>(static_cast<std::int32_t>(x));
      const bool in = (c >> 5) < s.words && ((bits[c >> 5] >> (c & 31)) & 1u);
      return !in;
    }
    // XGBoost: NaN is missing; invalid categories go left; listed ones go right.
    if (x != x) return !dl;
    if (x < 0.0f || x >= 16777216.0f) return 0;
    const auto c = static_cast<std::uint32_t>(static_cast<std::int32_t>(x));
    const bool in = (c >> 5) < s.words && ((bits[c >> 5] >> (c & 31)) & 1u);
    return in;
  }

  std::uint32_t walk_general(const float* row, std::uint32_t i) const noexcept {
    for (;;) {
      const node& n = nodes_[i];
      if (n.flags & flag_leaf) return i;
      const float x = row[n.feature];
      const std::uint32_t r = RILL_LIKELY(!(n.flags & flag_special))
                                  ? go_right(x, n.value, (n.flags >> 1) & 1u)
                                  : special_right(n, x);
      i = n.left + r;
    }
  }

  template <class Isa>
  void margin_float(const float* row, float* m) const noexcept;
  void margin_double(const float* row, double* m) const noexcept {
    for (std::size_t g = 0; g < num_groups_; ++g) m[g] = base_margin_[g];
    for (std::size_t t = 0; t < tree_root_.size(); ++t)
      m[tree_group_[t]] += leaf_double_[walk_general(row, tree_root_[t])];
    if (average_divisor_ != 1.0)
      for (std::size_t g = 0; g < num_groups_; ++g) m[g] /= average_divisor_;
  }
  void transform_double(const double* m, float* out) const noexcept {
    // LightGBM computes its transforms in double.
    switch (output_) {
      case tree_output::identity:
        for (std::size_t g = 0; g < num_groups_; ++g) out[g] = float(m[g]);
        break;
      case tree_output::logistic:
        for (std::size_t g = 0; g < num_groups_; ++g)
          out[g] = float(detail::logistic(double(sigmoid_scale_) * m[g]));
        break;
      case tree_output::exponential:
        for (std::size_t g = 0; g < num_groups_; ++g) out[g] = float(std::exp(m[g]));
        break;
      case tree_output::hinge:
        for (std::size_t g = 0; g < num_groups_; ++g) out[g] = m[g] > 0.0 ? 1.0f : 0.0f;
        break;
      case tree_output::softmax: {
        double wmax = m[0], wsum = 0.0;
        for (std::size_t g = 1; g < num_groups_; ++g) wmax = std::max(wmax, m[g]);
        for (std::size_t g = 0; g < num_groups_; ++g) wsum += std::exp(m[g] - wmax);
        for (std::size_t g = 0; g < num_groups_; ++g) out[g] = float(std::exp(m[g] - wmax) / wsum);
        break;
      }
      case tree_output::argmax: {
        std::size_t best = 0;
        for (std::size_t g = 1; g < num_groups_; ++g)
          if (m[g] > m[best]) best = g;
        out[0] = float(best);
        break;
      }
    }
  }

  enum class step { heap, block_root, block };
  template <step Step, class Isa>
  static void descend(const cnode* tree, const std::uint32_t* keys, std::size_t& m) noexcept;
  template <int Depth, class Isa>
  static void walk_lockstep(const cnode* base, std::size_t tree_stride, const std::uint32_t* keys,
                            std::size_t key_stride, std::size_t* m) noexcept;
  template <int Depth, class Isa>
  void complete_margin(const float* row, float* m) const noexcept;
  template <int Depth, class Isa>
  void complete_batch_avx512(const float* rows, std::size_t n, std::size_t stride,
                             float* out) const noexcept;
  template <int Depth, class Isa>
  void complete_batch(const float* rows, std::size_t n, std::size_t stride,
                      float* out) const noexcept;

  void build(const tree_ensemble_spec& spec);

  std::size_t num_features_ = 0, num_groups_ = 1, max_depth_ = 0;
  tree_output output_ = tree_output::identity;
  float sigmoid_scale_ = 1.0f;
  bool double_acc_ = false, category_left_ = false, single_group_ = true;
  double average_divisor_ = 1.0;
  std::string format_, objective_;
  std::vector<float> base_margin_;
  std::vector<node> nodes_;
  std::vector<std::uint32_t> tree_root_, tree_group_;
  std::vector<double> leaf_double_;
  std::vector<cat_set> cat_sets_;
  std::vector<std::uint32_t> cat_words_;
  // Complete layout, d = complete_depth_: per tree tree_slots(d) node words, blocked
  // as described at top_slots (the scalar one-row and batch kernels).
  int complete_depth_ = -1;
  std::vector<cnode, detail::aligned_allocator<cnode>> cnodes_;
  // The same trees in plain heap order (2^d node slots, 1-based, and 2^d leaves per
  // tree), the nodes' two fields as separate arrays: the AVX-512 batch path's
  // in-register table lookups and gathers.
  std::vector<float> cleaves_;
  std::vector<std::uint32_t> cslot_, ckey_;
};

RILL_NAMESPACE_END

#include "rill/model/tree_kernels.hpp"
