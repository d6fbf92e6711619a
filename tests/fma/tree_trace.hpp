// Tree ensembles scored by a build for x86-64-v3 (AVX2 + BMI2: the eight-feature key
// conversion and the shrx node step in tree_kernels.hpp) and by a build without, as
// raw bits: main.cpp compares them. The default test build compiles only the portable
// kernels, so without this the instruction-set paths would be checked by the
// benchmarks alone. Internal linkage on purpose, as trace.hpp.
#pragma once

#include <bit>
#include <cmath>
#include <cstdint>
#include <limits>
#include <vector>

#include "lcg.hpp"
#include "rill/model/tree_ensemble.hpp"

namespace {

/// Synthetic forests (shallow leaves padded by the complete layout, default-left and
/// default-right splits, thresholds on a coarse grid so rows hit them exactly) over
/// rows with NaN, ±0 and ±inf; every margin one row at a time and in a batch, as bits.
/// The last shape needs more than the batch path's L2 block of trees.
inline std::vector<std::uint32_t> tree_trace() {
  struct shape {
    std::size_t trees, depth, features, groups;
  };
  std::vector<std::uint32_t> out;
  lcg rng{11};
  const auto grid = [&rng] { return static_cast<float>(int(rng.next() % 41) - 20) * 0.25f; };
  for (const shape s : {shape{100, 6, 32, 1}, shape{40, 3, 5, 1}, shape{30, 5, 13, 3},
                        shape{9, 12, 64, 1}, shape{600, 8, 20, 1}}) {
    rill::tree_ensemble_spec spec;
    spec.num_features = s.features;
    spec.num_groups = s.groups;
    spec.base_margin.assign(s.groups, 0.5f);
    for (std::size_t t = 0; t < s.trees; ++t) {
      rill::tree_spec tr;
      tr.group = static_cast<std::uint32_t>(t % s.groups);
      // Node ids in creation order; children created when their parent splits.
      std::vector<std::size_t> depth_of{0};
      for (std::size_t i = 0; i < depth_of.size(); ++i) {
        const std::size_t d = depth_of[i];
        const bool leaf = d == s.depth || (d >= 2 && rng.next() % 8 == 0);
        tr.left.push_back(leaf ? -1 : static_cast<std::int32_t>(depth_of.size()));
        tr.right.push_back(leaf ? -1 : static_cast<std::int32_t>(depth_of.size() + 1));
        tr.feature.push_back(leaf ? 0 : rng.next() % static_cast<std::uint32_t>(s.features));
        tr.threshold.push_back(leaf ? 0.0f : grid());
        tr.leaf_value.push_back(leaf ? static_cast<double>(rng.next() % 2001) / 1000.0 - 1.0 : 0.0);
        tr.default_left.push_back(static_cast<std::uint8_t>(rng.next() % 2));
        if (!leaf) depth_of.insert(depth_of.end(), {d + 1, d + 1});
      }
      spec.trees.push_back(std::move(tr));
    }
    const rill::tree_ensemble model(spec);
    // Every shape must take the complete layout, or both builds would fall back to the
    // general walk and the comparison would check nothing.
    if (!model.uses_complete_layout()) return {};
    constexpr std::size_t rows = 300;
    std::vector<float> x(rows * s.features);
    for (float& v : x) {
      const std::uint32_t k = rng.next() % 64;
      v = k == 0   ? std::numeric_limits<float>::quiet_NaN()
          : k == 1 ? -0.0f
          : k == 2 ? std::numeric_limits<float>::infinity()
          : k == 3 ? -std::numeric_limits<float>::infinity()
                   : grid() + (k % 3 == 0 ? 0.1f : 0.0f);
    }
    std::vector<float> one(s.groups), batch(rows * s.groups);
    for (std::size_t r = 0; r < rows; ++r) {
      model.predict_margin(&x[r * s.features], one.data());
      for (float m : one) out.push_back(std::bit_cast<std::uint32_t>(m));
    }
    model.predict_margin_batch(x.data(), rows, s.features, batch.data());
    for (float m : batch) out.push_back(std::bit_cast<std::uint32_t>(m));
  }
  return out;
}

}  // namespace
