// tree_ensemble: construction (validation and flattening) and the scoring kernels.
// Included by rill/model/tree_ensemble.hpp; not meant to be included on its own.
#pragma once

#include "rill/model/tree_ensemble.hpp"

// GCC's SLP vectoriser packs the lock-step indices into one vector register and
// pays an extract per load, which doubles the kernel's cost: keep them scalar.
#if defined(__AVX512F__)
#include <immintrin.h>
#endif

#if defined(__GNUC__) && !defined(__clang__)
#define RILL_TREE_SCALAR_KERNEL __attribute__((optimize("no-tree-slp-vectorize")))
#else
#define RILL_TREE_SCALAR_KERNEL
#endif

RILL_NAMESPACE_BEGIN

namespace detail {
[[noreturn]] inline void tree_fail(const std::string& source, std::size_t tree, std::size_t node,
                                   const std::string& reason) {
  std::string m = source.empty() ? std::string("tree model") : source;
  m.append(": trees[").append(std::to_string(tree)).append("]");
  if (node != std::size_t(-1)) m.append(" node ").append(std::to_string(node));
  m.append(": ").append(reason);
  throw std::runtime_error(m);
}
}  // namespace detail

inline void tree_ensemble::build(const tree_ensemble_spec& spec) {
  const std::string src = spec.source.empty() ? "tree model" : spec.source;
  auto fail = [&](const std::string& reason) { throw std::runtime_error(src + ": " + reason); };
  if (spec.num_features == 0) fail("num_features is 0");
  if (spec.num_features > (std::size_t(1) << 31)) fail("num_features is too large");
  if (spec.num_groups == 0 || spec.num_groups > 1u << 20) fail("bad number of output groups");
  if (!spec.base_margin.empty() && spec.base_margin.size() != spec.num_groups)
    fail("base_margin has " + std::to_string(spec.base_margin.size()) + " values for " +
         std::to_string(spec.num_groups) + " output groups");
  if (spec.output == tree_output::softmax || spec.output == tree_output::argmax) {
    if (spec.num_groups < 2) fail("a multi-class objective needs at least 2 classes");
  }
  if (!(spec.average_divisor > 0.0)) fail("average divisor must be positive");

  num_features_ = spec.num_features;
  num_groups_ = spec.num_groups;
  output_ = spec.output;
  sigmoid_scale_ = spec.sigmoid_scale;
  double_acc_ = spec.double_accumulation;
  category_left_ = spec.category_left;
  average_divisor_ = spec.average_divisor;
  single_group_ = spec.num_groups == 1;
  format_ = spec.format;
  objective_ = spec.objective;
  base_margin_ = spec.base_margin;
  base_margin_.resize(num_groups_, 0.0f);

  // Pass 1: validate every tree and size the flat arrays.
  std::size_t total = 0;
  bool any_special = false;
  max_depth_ = 0;
  std::vector<std::uint32_t> depth_of;
  std::vector<std::pair<std::uint32_t, std::uint32_t>> stack;
  for (std::size_t t = 0; t < spec.trees.size(); ++t) {
    const tree_spec& tr = spec.trees[t];
    const std::size_t n = tr.left.size();
    auto tfail = [&](std::size_t at, const std::string& reason) {
      detail::tree_fail(src, t, at, reason);
    };
    if (n == 0) tfail(-1, "has no nodes");
    if (n > (std::size_t(1) << 28)) tfail(-1, "has too many nodes");
    auto check_len = [&](std::size_t got, const char* name) {
      if (got != n)
        tfail(-1, std::string(name) + " has " + std::to_string(got) + " entries, expected " +
                      std::to_string(n));
    };
    check_len(tr.right.size(), "right_children");
    check_len(tr.feature.size(), "split_indices");
    check_len(tr.threshold.size(), "split_conditions");
    check_len(tr.leaf_value.size(), "leaf values");
    check_len(tr.default_left.size(), "default_left");
    if (!tr.kind.empty()) check_len(tr.kind.size(), "split_type");
    if (!tr.categories.empty()) check_len(tr.categories.size(), "categories");
    if (tr.group >= num_groups_)
      tfail(-1, "output group " + std::to_string(tr.group) + " is not below the " +
                    std::to_string(num_groups_) + " groups");
    std::vector<std::uint8_t> seen(n, 0);
    std::size_t reached = 0;
    stack.assign(1, {0u, 0u});
    while (!stack.empty()) {
      const auto [i, d] = stack.back();
      stack.pop_back();
      if (seen[i]) tfail(i, "is reached twice (a cycle or a shared child)");
      seen[i] = 1;
      ++reached;
      max_depth_ = std::max<std::size_t>(max_depth_, d);
      const std::int32_t l = tr.left[i];
      if (l < 0) {
        if (std::isnan(tr.leaf_value[i])) tfail(i, "leaf value is NaN");
        continue;
      }
      const std::int32_t r = tr.right[i];
      if (std::size_t(l) >= n)
        tfail(i,
              "left child " + std::to_string(l) + " out of range [0, " + std::to_string(n) + ")");
      if (r < 0 || std::size_t(r) >= n)
        tfail(i,
              "right child " + std::to_string(r) + " out of range [0, " + std::to_string(n) + ")");
      if (l == r) tfail(i, "left and right child are the same node");
      if (tr.feature[i] >= num_features_)
        tfail(i, "split feature " + std::to_string(tr.feature[i]) +
                     " is beyond the declared feature count " + std::to_string(num_features_));
      const split_kind k = tr.kind.empty() ? split_kind::numeric : tr.kind[i];
      if (k == split_kind::categorical) {
        if (tr.categories.empty()) tfail(i, "categorical split without a category set");
        for (std::uint32_t c : tr.categories[i])
          if (c >= (1u << 24)) tfail(i, "category " + std::to_string(c) + " exceeds 2^24");
        any_special = true;
      } else {
        if (std::isnan(tr.threshold[i])) tfail(i, "numeric split has a NaN threshold");
        if (k == split_kind::numeric_zero)
          any_special = true;
        else if (k != split_kind::numeric)
          tfail(i, "unknown split type");
      }
      stack.push_back({std::uint32_t(r), d + 1});
      stack.push_back({std::uint32_t(l), d + 1});
    }
    total += reached;
  }
  if (total >= (std::size_t(1) << 31)) fail("too many nodes in total");

  // Pass 2: flatten breadth-first so each node's children sit side by side.
  nodes_.clear();
  nodes_.reserve(total);
  tree_root_.assign(spec.trees.size(), 0);
  tree_group_.assign(spec.trees.size(), 0);
  if (double_acc_) leaf_double_.assign(total, 0.0);
  cat_sets_.clear();
  cat_words_.clear();
  std::vector<std::uint32_t> queue;
  for (std::size_t t = 0; t < spec.trees.size(); ++t) {
    const tree_spec& tr = spec.trees[t];
    tree_root_[t] = std::uint32_t(nodes_.size());
    tree_group_[t] = tr.group;
    // queue[k] is the source id of flat node (root + k).
    queue.assign(1, 0u);
    nodes_.push_back({});
    for (std::size_t k = 0; k < queue.size(); ++k) {
      const std::uint32_t src_id = queue[k];
      const std::uint32_t self = tree_root_[t] + std::uint32_t(k);
      node nd{};
      nd.source_id = src_id;
      const std::int32_t l = tr.left[src_id];
      if (l < 0) {
        nd.value = static_cast<float>(tr.leaf_value[src_id]);
        nd.left = self;
        nd.flags = flag_leaf;
        if (double_acc_) leaf_double_[self] = tr.leaf_value[src_id];
      } else {
        nd.feature = tr.feature[src_id];
        nd.value = tr.threshold[src_id];
        nd.left = std::uint32_t(nodes_.size());
        nd.flags = tr.default_left[src_id] ? flag_default_left : 0u;
        const split_kind kd = tr.kind.empty() ? split_kind::numeric : tr.kind[src_id];
        if (kd == split_kind::numeric_zero) nd.flags |= flag_special | flag_zero;
        if (kd == split_kind::categorical) {
          const auto& cats = tr.categories[src_id];
          std::uint32_t hi = 0;
          for (std::uint32_t c : cats) hi = std::max(hi, c + 1);
          const cat_set s{std::uint32_t(cat_words_.size()), (hi + 31) / 32};
          cat_words_.resize(cat_words_.size() + s.words, 0u);
          for (std::uint32_t c : cats) cat_words_[s.offset + (c >> 5)] |= 1u << (c & 31);
          if (cat_sets_.size() >= (1u << 24)) detail::tree_fail(src, t, src_id, "too many sets");
          nd.flags |=
              flag_special | flag_categorical | (std::uint32_t(cat_sets_.size()) << flag_shift);
          cat_sets_.push_back(s);
        }
        queue.push_back(std::uint32_t(l));
        queue.push_back(std::uint32_t(tr.right[src_id]));
        nodes_.push_back({});
        nodes_.push_back({});
      }
      nodes_[self] = nd;
    }
  }

  // Complete layout for plain numeric float32 forests of bounded depth and width,
  // first in heap order: tree t owns 2^D node slots from t * 2^D (1-based: children of
  // m are 2m and 2m+1; slot 0 unused) and 2^D leaves from t * 2^D. The tree count is
  // padded to a multiple of `lockstep` with never-added dummy trees. Forests shallower
  // than 2 are padded to depth 2, the blocked layout's least.
  complete_depth_ = -1;
  cnodes_.clear();
  cleaves_.clear();
  cslot_.clear();
  ckey_.clear();
  const std::size_t T = spec.trees.size();
  const int D = std::max(int(max_depth_), 2);
  // The bound is on the blocked words (8 bytes each, 256 MiB); the heap-order arrays
  // add 12 bytes per 2^D slots.
  if (!any_special && !double_acc_ && max_depth_ <= max_complete_depth && T > 0 &&
      num_features_ <= max_key_features &&
      (T + lockstep) * tree_slots(D) <= (std::size_t(1) << 25)) {
    const std::size_t I = (std::size_t(1) << D) - 1, L = std::size_t(1) << D;
    const std::size_t padded = (T + lockstep - 1) / lockstep * lockstep;
    std::vector<cnode> heap(padded * L, cnode{0u, 0u});
    cleaves_.assign(padded * L, 0.0f);
    struct item {
      std::uint32_t flat, pos;
      int level;
    };
    std::vector<item> work;
    for (std::size_t t = 0; t < T; ++t) {
      work.assign(1, item{tree_root_[t], 0u, 0});
      while (!work.empty()) {
        const item it = work.back();
        work.pop_back();
        const node& nd = nodes_[it.flat];
        if (it.level == D) {
          cleaves_[t * L + (it.pos - I)] = nd.value;  // nd is a leaf here
          continue;
        }
        if (nd.flags & flag_leaf) {
          // Pad below a shallow leaf: both subtrees carry the same value, so the
          // padding nodes' (zero) key and slot never change the result.
          work.push_back({it.flat, 2 * it.pos + 1, it.level + 1});
          work.push_back({it.flat, 2 * it.pos + 2, it.level + 1});
          continue;
        }
        const bool dl = nd.flags & flag_default_left;
        heap[t * L + it.pos + 1] = {
            order_key(nd.value) - 1u,
            (nd.feature + (dl ? 0u : std::uint32_t(num_features_))) * lockstep};
        work.push_back({nd.left, 2 * it.pos + 1, it.level + 1});
        work.push_back({nd.left + 1, 2 * it.pos + 2, it.level + 1});
      }
    }
    cslot_.resize(heap.size());
    ckey_.resize(heap.size());
    for (std::size_t i = 0; i < heap.size(); ++i) {
      cslot_[i] = heap[i].slot;
      ckey_[i] = heap[i].key_m1;
    }
    // Then blocked (see top_slots): the top D - 2 levels as they are, and below each
    // node r of level D - 2 (heap r in [2^(D-2), 2^(D-1))) a block holding r at word
    // 1, its children 2r, 2r + 1 at words 2, 3 and the leaves 4r .. 4r + 3 at 4 .. 7.
    const std::size_t U = std::size_t(1) << (D - 2), S = tree_slots(D), top = top_slots(D);
    cnodes_.assign(padded * S, cnode{0u, 0u});
    for (std::size_t t = 0; t < padded; ++t) {
      const cnode* h = heap.data() + t * L;
      cnode* c = cnodes_.data() + t * S;
      for (std::size_t p = 1; p < U; ++p) c[p] = h[p];
      for (std::size_t q = 0; q < U; ++q) {
        cnode* blk = c + top + 8 * q;
        const std::size_t r = U + q;
        blk[1] = h[r];
        blk[2] = h[2 * r];
        blk[3] = h[2 * r + 1];
        for (std::size_t j = 0; j < 4; ++j)
          std::memcpy(&blk[4 + j].key_m1, &cleaves_[t * L + (4 * r + j - L)], sizeof(float));
      }
    }
    complete_depth_ = D;
  }
}

// Walks K trees for one row (tree_stride = tree_slots, key_stride 0) or one tree for
// K rows (tree_stride 0, key_stride 1: the rows' keys are interleaved) in lock-step:
// independent load chains keep the core busy while each waits on its node and key
// loads. Over the blocked layout (see top_slots): D - 2 heap levels, `m = 2m + carry`
// (cmp + adc); then into the block below (word 1 of block m - 2^(D-2)) and two levels
// there; m ends on the leaf's word.
template <int Depth, class Isa>
RILL_ALWAYS_INLINE RILL_TREE_SCALAR_KERNEL void tree_ensemble::walk_lockstep(
    const cnode* base, std::size_t tree_stride, const std::uint32_t* keys, std::size_t key_stride,
    std::size_t* m) noexcept {
  constexpr std::size_t K = lockstep;
  static_assert(Depth >= 2, "the blocked layout is at least two levels deep");
#if defined(__x86_64__) && (defined(__GNUC__) || defined(__clang__))
  // One register for the base (the compiler otherwise keeps base and offset apart
  // and adds them at every step).
  asm("" : "+r"(base));
#endif
  // Local indices, the depth loop unrolled: they stay in registers (indexing the
  // caller's array inside a rolled loop made GCC store every index at every level).
  std::size_t mm[K];
  for (std::size_t k = 0; k < K; ++k) mm[k] = 1;
#pragma GCC unroll 16
  for (int d = 0; d < Depth - 2; ++d) {
#pragma GCC unroll 16
    for (std::size_t k = 0; k < K; ++k)
      descend<step::heap, Isa>(base + k * tree_stride, keys + k * key_stride, mm[k]);
  }
  // Unsigned wrap-around is intended: the constant is negative from depth 3 on.
  constexpr std::size_t enter = top_slots(Depth) + 1 - 8 * (std::size_t(1) << (Depth - 2));
#pragma GCC unroll 16
  for (std::size_t k = 0; k < K; ++k) {
    mm[k] = 8 * mm[k] + enter;
    descend<step::block_root, Isa>(base + k * tree_stride, keys + k * key_stride, mm[k]);
  }
#pragma GCC unroll 16
  for (std::size_t k = 0; k < K; ++k)
    descend<step::block, Isa>(base + k * tree_stride, keys + k * key_stride, mm[k]);
  for (std::size_t k = 0; k < K; ++k) m[k] = mm[k];
}

// Leaves are added one tree at a time in model order, in float32, as XGBoost does.
template <int Depth, class Isa>
RILL_TREE_SCALAR_KERNEL void tree_ensemble::complete_margin(const float* row,
                                                            float* out) const noexcept {
  constexpr std::size_t K = lockstep, S = tree_slots(Depth);
  alignas(64) std::uint32_t keys[2 * max_key_features * K];
  row_keys<Isa>(row, keys, 0);
  const std::size_t T = tree_root_.size(), groups = (T + K - 1) / K;
  float acc = base_margin_[0];
  for (std::size_t g = 0; g < groups; ++g) {
    const cnode* gn = cnodes_.data() + g * K * S;
    std::size_t m[K];
    walk_lockstep<Depth, Isa>(gn, S, keys, 0, m);
    const std::size_t active = std::min(K, T - g * K);
    if (single_group_) {
      if (active == K) {
        for (std::size_t k = 0; k < K; ++k) acc += leaf_at(gn + k * S + m[k]);
      } else {
        for (std::size_t k = 0; k < active; ++k) acc += leaf_at(gn + k * S + m[k]);
      }
    } else {
      for (std::size_t k = 0; k < active; ++k)
        out[tree_group_[g * K + k]] += leaf_at(gn + k * S + m[k]);
    }
  }
  if (single_group_) out[0] = acc;
}

template <class Isa>
void tree_ensemble::margin_float(const float* row, float* m) const noexcept {
  for (std::size_t g = 0; g < num_groups_; ++g) m[g] = base_margin_[g];
  switch (complete_depth_) {
#define RILL_TREE_DEPTH_CASE(D) \
  case D:                       \
    return complete_margin<D, Isa>(row, m);
    RILL_TREE_DEPTH_CASE(2) RILL_TREE_DEPTH_CASE(3) RILL_TREE_DEPTH_CASE(4)
        RILL_TREE_DEPTH_CASE(5) RILL_TREE_DEPTH_CASE(6) RILL_TREE_DEPTH_CASE(7)
            RILL_TREE_DEPTH_CASE(8) RILL_TREE_DEPTH_CASE(9) RILL_TREE_DEPTH_CASE(10)
                RILL_TREE_DEPTH_CASE(11) RILL_TREE_DEPTH_CASE(12)
#undef RILL_TREE_DEPTH_CASE
                    default : break;
  }
  for (std::size_t t = 0; t < tree_root_.size(); ++t)
    m[tree_group_[t]] += nodes_[walk_general(row, tree_root_[t])].value;
}

// One level for one tree and one row, as cmp + adc on x86-64, c = (key > key_m1):
// in heap order m = 2m + c; inside a bottom block, where the word at 8q + h has its
// children at 8q + 2h + {0, 1}, m = m + h + c with h = m & 7, which is 1 at the
// block's root (step::block_root) and 2 or 3 below it (step::block).
template <tree_ensemble::step Step, class Isa>
RILL_ALWAYS_INLINE void tree_ensemble::descend(const cnode* tree, const std::uint32_t* keys,
                                               std::size_t& m) noexcept {
#if defined(__x86_64__) && (defined(__GNUC__) || defined(__clang__))
  // The node as one 8-byte load (key_m1 low, slot high): two loads a step instead of
  // three, which is what bounds the batch walk. The slot is one shift away (shrx with
  // BMI2, leaving the word intact), key_m1 is the word's low half. CF = key > key_m1
  // (unsigned), then the add with carry; compilers would emit setb/movzx/lea.
  static_assert(sizeof(cnode) == 8 && offsetof(cnode, slot) == 4,
                "descend reads a node as one little-endian word: key_m1 low, slot high");
  std::uint64_t c;
  std::memcpy(&c, tree + m, sizeof c);
#if defined(__BMI2__)
  // shrx leaves the word intact; GCC emits mov + shr for `c >> 32`.
  std::uint64_t slot;
  asm("shrxq %[n], %[c], %[s]" : [s] "=r"(slot) : [c] "r"(c), [n] "r"(std::uint64_t(32)));
#else
  const std::uint64_t slot = c >> 32;
#endif
  const std::uint32_t key = keys[slot];
  if constexpr (Step == step::heap) {
    asm("cmpl %[key], %k[c]\n\tadcq %[m], %[m]" : [m] "+r"(m) : [c] "r"(c), [key] "r"(key) : "cc");
  } else if constexpr (Step == step::block_root) {
    asm("cmpl %[key], %k[c]\n\tadcq $1, %[m]" : [m] "+r"(m) : [c] "r"(c), [key] "r"(key) : "cc");
  } else {
    const std::size_t h = m & 7;
    asm("cmpl %[key], %k[c]\n\tadcq %[h], %[m]"
        : [m] "+r"(m)
        : [c] "r"(c), [key] "r"(key), [h] "r"(h)
        : "cc");
  }
#else
  const cnode& c = tree[m];
  const std::uint32_t key = keys[c.slot];
  const std::size_t add = Step == step::heap ? m : Step == step::block_root ? 1 : (m & 7);
  m = m + add + std::size_t(key > c.key_m1);
#endif
}

#if defined(__AVX512F__)
// AVX-512 batch (single-output models): 16 rows per vector, up to 4 vectors in flight.
// A level's nodes come from in-register table lookups while the level has at most 32
// nodes (vpermd / vpermt2d), from gathers below that; the rows' keys are gathered.
// Each lane adds its leaves in model order, so the bits equal the one-row path.
template <int Depth, class Isa>
void tree_ensemble::complete_batch_avx512(const float* rows, std::size_t n, std::size_t stride,
                                          float* out) const noexcept {
  constexpr std::size_t L = std::size_t(1) << Depth, W = 16, B = 4;
  constexpr std::size_t tree_bytes = L * (2 * sizeof(std::uint32_t) + sizeof(float));
  constexpr std::size_t block_trees = std::max<std::size_t>(1, (256 * 1024) / tree_bytes);
  constexpr std::size_t key_budget = 8192;
  alignas(64) std::uint32_t keys[key_budget];
  const std::size_t F2 = 2 * num_features_, vec_keys = F2 * W;  // keys per 16 rows
  const std::size_t chunk_rows = std::min<std::size_t>(B * W, key_budget / vec_keys * W);
  const std::size_t T = tree_root_.size();
  const __m512i lane = _mm512_setr_epi32(0, 1, 2, 3, 4, 5, 6, 7, 8, 9, 10, 11, 12, 13, 14, 15);
  const __m512i one = _mm512_set1_epi32(1);
  for (std::size_t r0 = 0; r0 < n; r0 += chunk_rows) {
    const std::size_t r1 = std::min(n, r0 + chunk_rows);
    const std::size_t nv = (r1 - r0 + W - 1) / W;
    for (std::size_t i = 0; i < nv * W; ++i) {
      const float* row = rows + std::min(r0 + i, r1 - 1) * stride;
      std::uint32_t* kv = keys + i / W * vec_keys;
      for (std::size_t f = 0; f < num_features_; ++f) {
        const float x = row[f];
        const std::uint32_t k = order_key(x);
        const bool nan = x != x;
        kv[f * W + i % W] = nan ? 0u : k;
        kv[(num_features_ + f) * W + i % W] = nan ? 0xffffffffu : k;
      }
    }
    __mmask16 live[B];
    for (std::size_t v = 0; v < nv; ++v)
      live[v] = __mmask16(r1 - r0 - v * W >= W ? 0xffff : (1u << (r1 - r0 - v * W)) - 1);
    for (std::size_t t0 = 0; t0 < T; t0 += block_trees) {
      const std::size_t t1 = std::min(T, t0 + block_trees);
      for (std::size_t t = t0; t < t1; ++t) {
        const std::uint32_t* ts = cslot_.data() + t * L;
        const std::uint32_t* tk = ckey_.data() + t * L;
        __m512i m[B];
        for (std::size_t v = 0; v < B; ++v) m[v] = one;
        for (int d = 0; d < Depth; ++d) {
          const std::size_t first = std::size_t(1) << d;
          __m512i s_lo = _mm512_setzero_si512(), s_hi = s_lo, k_lo = s_lo, k_hi = s_lo;
          if (first <= 16) {
            const __mmask16 mask = __mmask16((1u << first) - 1);
            s_lo = _mm512_maskz_loadu_epi32(mask, ts + first);
            k_lo = _mm512_maskz_loadu_epi32(mask, tk + first);
            s_hi = k_hi = s_lo;
          } else if (first == 32) {
            s_lo = _mm512_loadu_si512(ts + 32);
            s_hi = _mm512_loadu_si512(ts + 48);
            k_lo = _mm512_loadu_si512(tk + 32);
            k_hi = _mm512_loadu_si512(tk + 48);
          }
          const __m512i base = _mm512_set1_epi32(int(first));
          for (std::size_t v = 0; v < nv; ++v) {
            __m512i slot, thr;
            if (first <= 16) {
              const __m512i idx = _mm512_sub_epi32(m[v], base);
              slot = _mm512_maskz_permutexvar_epi32(0xffff, idx, s_lo);
              thr = _mm512_maskz_permutexvar_epi32(0xffff, idx, k_lo);
            } else if (first == 32) {
              const __m512i idx = _mm512_sub_epi32(m[v], base);
              slot = _mm512_permutex2var_epi32(s_lo, idx, s_hi);
              thr = _mm512_permutex2var_epi32(k_lo, idx, k_hi);
            } else {
              slot = _mm512_mask_i32gather_epi32(_mm512_setzero_si512(), 0xffff, m[v], ts, 4);
              thr = _mm512_mask_i32gather_epi32(_mm512_setzero_si512(), 0xffff, m[v], tk, 4);
            }
            // Nodes store slot * 8; the 16-row layout puts slot s at s * 16 + lane.
            const __m512i ki = _mm512_add_epi32(_mm512_add_epi32(slot, slot), lane);
            const __m512i key = _mm512_mask_i32gather_epi32(_mm512_setzero_si512(), 0xffff, ki,
                                                            keys + v * vec_keys, 4);
            const __mmask16 right = _mm512_cmpgt_epu32_mask(key, thr);
            const __m512i twice = _mm512_add_epi32(m[v], m[v]);
            m[v] = _mm512_mask_add_epi32(twice, right, twice, one);
          }
          (void)s_hi, (void)k_hi;
        }
        const float* tl = cleaves_.data() + t * L;
        for (std::size_t v = 0; v < nv; ++v) {
          const __m512i li = _mm512_sub_epi32(m[v], _mm512_set1_epi32(int(L)));
          __m512 leaf;
          if constexpr (L <= 16) {
            leaf = _mm512_maskz_permutexvar_ps(0xffff, li,
                                               _mm512_maskz_loadu_ps(__mmask16((1u << L) - 1), tl));
          } else if constexpr (L == 32) {
            leaf = _mm512_permutex2var_ps(_mm512_loadu_ps(tl), li, _mm512_loadu_ps(tl + 16));
          } else {
            leaf = _mm512_mask_i32gather_ps(_mm512_setzero_ps(), 0xffff, li, tl, 4);
          }
          float* o = out + r0 + v * W;
          _mm512_mask_storeu_ps(o, live[v], _mm512_add_ps(_mm512_maskz_loadu_ps(live[v], o), leaf));
        }
      }
    }
  }
}
#endif

// Batch: trees in blocks that fit in L2, rows in chunks whose keys fit in L1; within
// a chunk each tree is walked for 8 rows in lock-step (their keys interleaved, so one
// pointer serves all eight), keeping the tree's upper levels in L1. Each row still
// receives its leaves in model order: the bits equal the one-row path.
template <int Depth, class Isa>
RILL_TREE_SCALAR_KERNEL void tree_ensemble::complete_batch(const float* rows, std::size_t n,
                                                           std::size_t stride,
                                                           float* out) const noexcept {
#if defined(__AVX512F__)
  if (num_groups_ == 1) return complete_batch_avx512<Depth, Isa>(rows, n, stride, out);
#endif
  constexpr std::size_t S = tree_slots(Depth), R = lockstep;
  constexpr std::size_t tree_bytes = S * sizeof(cnode);
  constexpr std::size_t block_budget = 256 * 1024;
  constexpr std::size_t block_trees = std::max<std::size_t>(1, block_budget / tree_bytes);
  const std::size_t T = tree_root_.size();
  if (T <= block_trees) {
    // The whole forest stays in L2: the one-row kernel (8 trees in lock-step) walks
    // each row faster than 8 rows in lock-step through one tree (up to 1.4x measured
    // on 100 trees of depth 6, docs/decisions.md), and gives the same bits.
    for (std::size_t r = 0; r < n; ++r)
      complete_margin<Depth, Isa>(rows + r * stride, out + r * num_groups_);
    return;
  }
  constexpr std::size_t key_budget = 8192;  // keys per chunk: 32 KiB of stack
  alignas(64) std::uint32_t keys[key_budget];
  const std::size_t F2 = 2 * num_features_, block_keys = F2 * R;  // keys per 8 rows
  const std::size_t chunk_rows = std::min<std::size_t>(64, key_budget / block_keys * R);
  const std::size_t G = num_groups_;
  for (std::size_t r0 = 0; r0 < n; r0 += chunk_rows) {
    const std::size_t r1 = std::min(n, r0 + chunk_rows);
    // Lanes past the last row repeat it, so the walk below needs no tail case.
    for (std::size_t r = r0; r < (r1 - r0 + R - 1) / R * R + r0; ++r) {
      const std::size_t i = r - r0;
      row_keys<Isa>(rows + std::min(r, r1 - 1) * stride, keys + i / R * block_keys, i % R);
    }
    for (std::size_t t0 = 0; t0 < T; t0 += block_trees) {
      const std::size_t t1 = std::min(T, t0 + block_trees);
      for (std::size_t t = t0; t < t1; ++t) {
        const cnode* tn = cnodes_.data() + t * S;
        const std::uint32_t g = tree_group_[t];
        for (std::size_t r = r0; r < r1; r += R) {
          const std::uint32_t* kk = keys + (r - r0) / R * block_keys;
          std::size_t m[R];
          walk_lockstep<Depth, Isa>(tn, 0, kk, 1, m);
          const std::size_t active = std::min(R, r1 - r);
          if (active == R) {
            for (std::size_t k = 0; k < R; ++k) out[(r + k) * G + g] += leaf_at(tn + m[k]);
          } else {
            for (std::size_t k = 0; k < active; ++k) out[(r + k) * G + g] += leaf_at(tn + m[k]);
          }
        }
      }
    }
  }
}

template <class Isa>
void tree_ensemble::predict_margin_batch(const float* rows, std::size_t n,
                                                std::size_t stride, float* out) const noexcept {
  if (double_acc_) {
    for (std::size_t r = 0; r < n; ++r)
      predict_margin<Isa>(rows + r * stride, out + r * num_groups_);
    return;
  }
  for (std::size_t r = 0; r < n; ++r)
    for (std::size_t g = 0; g < num_groups_; ++g) out[r * num_groups_ + g] = base_margin_[g];
  switch (complete_depth_) {
#define RILL_TREE_DEPTH_CASE(D) \
  case D:                       \
    return complete_batch<D, Isa>(rows, n, stride, out);
    RILL_TREE_DEPTH_CASE(2) RILL_TREE_DEPTH_CASE(3) RILL_TREE_DEPTH_CASE(4)
        RILL_TREE_DEPTH_CASE(5) RILL_TREE_DEPTH_CASE(6) RILL_TREE_DEPTH_CASE(7)
            RILL_TREE_DEPTH_CASE(8) RILL_TREE_DEPTH_CASE(9) RILL_TREE_DEPTH_CASE(10)
                RILL_TREE_DEPTH_CASE(11) RILL_TREE_DEPTH_CASE(12)
#undef RILL_TREE_DEPTH_CASE
                    default : break;
  }
  for (std::size_t r = 0; r < n; ++r) {
    const float* row = rows + r * stride;
    float* m = out + r * num_groups_;
    for (std::size_t t = 0; t < tree_root_.size(); ++t)
      m[tree_group_[t]] += nodes_[walk_general(row, tree_root_[t])].value;
  }
}

/// Scores each event with a tree ensemble owned elsewhere.
///
/// Input `event<D, float>`, output `prediction<float>` carrying the model's single
/// output (regression value, probability of class 1; for multi-class models the
/// predicted class index). The ensemble's feature count must equal `D` (checked at
/// construction: std::invalid_argument). One output per input, O(trees × depth),
/// never allocates; reads the ensemble only, so many stages may share one. `Isa`: see
/// detail::tree_isa (leave the default).
template <std::size_t D, class Isa = detail::default_tree_isa>
class score_trees {
 public:
  using input_type = event<D, float>;
  using output_type = prediction<float>;

  explicit score_trees(const tree_ensemble& model, bool margin = false, std::uint64_t version = 0)
      : model_(&model), margin_(margin), version_(version) {
    if (model.num_features() != D)
      throw std::invalid_argument("score_trees<" + std::to_string(D) + ">: the model has " +
                                  std::to_string(model.num_features()) + " features, not " +
                                  std::to_string(D));
    if (model.num_groups() > 64)
      throw std::invalid_argument("score_trees: more than 64 output groups");
  }

  template <class Emit>
  RILL_ALWAYS_INLINE void operator()(const input_type& in, Emit&& emit) noexcept {
    float buf[64];
    if (margin_) {
      model_->template predict_margin<Isa>(in.x.data(), buf);
    } else if (model_->output() == tree_output::softmax) {
      // One value per event: the most probable class.
      model_->template predict_margin<Isa>(in.x.data(), buf);
      std::size_t best = 0;
      for (std::size_t g = 1; g < model_->num_groups(); ++g)
        if (buf[g] > buf[best]) best = g;
      buf[0] = float(best);
    } else {
      model_->template predict<Isa>(in.x.data(), buf);
    }
    emit(output_type{in.id, in.time_ns, buf[0], version_});
  }

  const tree_ensemble& model() const noexcept { return *model_; }

 private:
  const tree_ensemble* model_;
  bool margin_;
  std::uint64_t version_;
};

RILL_NAMESPACE_END
