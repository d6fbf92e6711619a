// Every drift detector's numbers after each update of a stream, as raw bits: the
// trace main.cpp compares between a copy of the detectors built without fused
// multiply-adds (plain_side.cpp) and one built with them (fused_side.cpp).
// Internal linkage on purpose: each translation unit keeps its own copy, compiled
// with its own flags, and each side's rill lives in its own ABI namespace.
#pragma once

#include <bit>
#include <cstdint>
#include <vector>

#include "rill/drift/adwin.hpp"
#include "rill/drift/ddm.hpp"
#include "rill/drift/eddm.hpp"
#include "rill/drift/hddm_a.hpp"
#include "rill/drift/hddm_w.hpp"
#include "rill/drift/kswin.hpp"
#include "rill/drift/page_hinkley.hpp"

namespace {

/// For errors (0/1) and values in [0, 1]: each detector's statistic (and ADWIN's
/// variance) as bits, and its signal, after every update.
inline std::vector<std::uint64_t> drift_trace(const std::vector<double>& errors,
                                              const std::vector<double>& values) {
  std::vector<std::uint64_t> out;
  const auto bits = [](double v) { return std::bit_cast<std::uint64_t>(v); };
  const auto run = [&](auto detector, const std::vector<double>& xs) {
    for (double x : xs) {
      out.push_back(static_cast<std::uint64_t>(detector.update(x)));
      out.push_back(bits(static_cast<double>(detector.statistic())));
      if constexpr (requires { detector.variance(); }) out.push_back(bits(detector.variance()));
    }
  };
  run(rill::adwin(), errors);
  run(rill::adwin(), values);
  run(rill::ddm(), errors);
  run(rill::eddm(), errors);
  run(rill::hddm_a(), errors);
  run(rill::hddm_a({0.001, 0.005, true}), values);
  run(rill::hddm_w(), errors);
  run(rill::hddm_w({0.001, 0.005, 0.05, true}), values);
  run(rill::page_hinkley(), values);
  rill::kswin_params k;
  k.seed = 42;
  run(rill::kswin(k), values);
  return out;
}

/// a·b + c as this translation unit's flags compile it: fused or not.
[[gnu::noinline]] inline double probe_multiply_add(double a, double b, double c) {
  return a * b + c;
}

}  // namespace
