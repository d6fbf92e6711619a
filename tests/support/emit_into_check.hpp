// emit_into against push() then row(), for window stages: shared by the unit tests
// (portable build) and tests/fma (x86-64-v3), since the stages take a different path
// for each instruction set. Internal linkage on purpose: each build has its own copy.
#pragma once

#include <algorithm>
#include <array>
#include <cmath>
#include <cstdint>
#include <cstring>
#include <limits>
#include <random>
#include <string>
#include <type_traits>

#include "rill/window/assemble.hpp"
#include "rill/window/ewm.hpp"
#include "rill/window/rolling.hpp"

namespace {

// Rows of `make(policy)`'s stage that emit_into wrote differently from the row push()
// then row() give, bit for bit (NaN for NaN), under each NaN policy; plus any
// difference in what was taken or counted. A window writes a row of whole registers
// from what its push just computed, other rows and every row at a block's last slot
// after the push: either way the row must be the same.
template <class Make>
std::size_t emit_into_mismatches(Make make, std::uint64_t seed) {
  std::size_t bad = 0;
  for (auto policy :
       {rill::nan_policy::propagate, rill::nan_policy::skip, rill::nan_policy::replace}) {
    auto twin = make(policy), fused = make(policy);
    using S = decltype(twin);
    using T = typename S::output_type::value_type;
    constexpr std::size_t D = S::input_type::width, out_w = S::output_width;
    std::mt19937_64 rng(seed++);
    std::normal_distribution<double> g(3, 2);
    for (std::uint64_t t = 0; t < 1000; ++t) {
      typename S::input_type in{t, static_cast<std::int64_t>(t), {}};
      for (auto &v : in.x) v = static_cast<T>(g(rng));
      if (t % 37 == 11) in.x[t % D] = std::numeric_limits<T>::quiet_NaN();
      if (t % 53 == 20) in.x[(t + 1) % D] = -std::numeric_limits<T>::infinity();
      if (t % 101 == 50) in.x[t % D] = T(1e6);  // a spike, through the block rebuilds
      bool pushed;
      if constexpr (requires { twin.push(in.x, in.time_ns); })
        pushed = twin.push(in.x, in.time_ns);  // ewm: a half-life reads the time
      else
        pushed = twin.push(in.x);
      std::array<T, out_w + 16> got;  // 16 more: nothing may be written past the row
      got.fill(T(-12345));
      const bool wrote = fused.emit_into(in, got.data());
      bad += pushed != wrote;
      const auto untouched_from = [&](std::size_t i) {
        return static_cast<std::size_t>(std::count(got.begin() + i, got.end(), T(-12345)));
      };
      bad += untouched_from(out_w) != 16;
      if (!wrote) {  // nothing written
        bad += untouched_from(0) != out_w + 16;
        continue;
      }
      const auto want = twin.row();
      for (std::size_t i = 0; i < out_w; ++i)
        bad += std::isnan(want[i]) ? !std::isnan(got[i])
                                   : std::memcmp(&got[i], &want[i], sizeof(T)) != 0;
    }
    bad += fused.counters().nonfinite != twin.counters().nonfinite;
    bad += fused.counters().skipped_rows != twin.counters().skipped_rows;
  }
  return bad;
}

// An assembled row (raw features, then a float rolling window and an EWMA whose parts
// write in place) against the parts' push() then row(), bit for bit.
inline std::size_t assembled_mismatches() {
  using rill::stat;
  constexpr std::size_t D = 16;
  constexpr stat five = stat::mean | stat::stddev | stat::min | stat::max;
  using roll_t = rill::rolling<D, 64, five, float, float>;
  using ewm_t = rill::ewm<D, stat::mean, float, float>;
  auto stage = rill::assemble(roll_t(1), ewm_t::fading(0.1));
  roll_t roll(1);
  auto ew = ewm_t::fading(0.1);
  std::mt19937_64 rng(99);
  std::normal_distribution<float> g(3, 2);
  std::size_t bad = 0, emitted = 0;
  for (std::uint64_t t = 0; t < 700; ++t) {
    rill::event<D> in{t, static_cast<std::int64_t>(t), {}};
    for (auto &v : in.x) v = g(rng);
    stage(in, [&](const auto &out) noexcept {
      ++emitted;
      roll.push(in.x);
      ew.push(in.x);
      const auto r = roll.row();
      const auto e = ew.row();
      for (std::size_t i = 0; i < D; ++i) bad += out.x[i] != in.x[i];
      bad += std::memcmp(out.x.data() + D, r.data(), sizeof(float) * r.size()) != 0;
      bad += std::memcmp(out.x.data() + D + r.size(), e.data(), sizeof(float) * e.size()) != 0;
    });
  }
  return bad + (emitted != 700);
}

// detail::column_writer narrowing double registers to a float row, as columns and as
// roots (in float for a whole register in float's normal range or 0, else in double)
// and as paired columns, against the same conversion one value at a time; paired, the
// x86-64-v3 build narrows two registers into one store, so the halves must land in
// order. Widths with and without
// a partial register, values in and out of float's range.
inline std::size_t column_writer_mismatches() {
  using batch = xsimd::batch<double>;
  constexpr std::size_t W = batch::size;
  using lim = std::numeric_limits<float>;
  auto fits = [](double x) {
    return x == 0 || (x >= double(lim::min()) && x <= double(lim::max()));
  };
  std::size_t bad = 0;
  std::mt19937_64 rng(7);
  auto check = [&](auto width) {
    constexpr std::size_t D = decltype(width)::value, Dp = (D + W - 1) / W * W;
    for (int round = 0; round < 200; ++round) {
      alignas(64) double v[Dp];
      for (std::size_t i = 0; i < Dp; ++i) {
        const int kind = static_cast<int>(rng() % 8);
        v[i] = kind == 0   ? 0.0
               : kind == 1 ? 1e300 * double(rng() % 7 + 1)   // beyond float
               : kind == 2 ? 1e-300 * double(rng() % 7 + 1)  // below float's normal range
                           : std::ldexp(double(rng() % 100000 + 1), int(rng() % 60) - 30);
      }
      if (round % 2) std::fill(v, v + Dp, 2.5 + round);  // all in range: the paired roots
      float cols[3 * D + 1];
      std::fill(cols, cols + 3 * D + 1, -1.0f);
      rill::detail::column_writer<float, D, batch> write(cols);
      write([&](std::size_t b) { return batch::load_aligned(v + b); });
      write.sqrt_of([&](std::size_t b) { return batch::load_aligned(v + b); });
      write.paired([&](std::size_t b) { return batch::load_aligned(v + b); });
      for (std::size_t i = 0; i < D; ++i) {
        const float f = static_cast<float>(v[i]);
        const std::size_t first = i / W * W;  // the register holding lane i
        bool whole_fits = first + W <= D;
        for (std::size_t k = first; k < first + W; ++k) whole_fits = whole_fits && fits(v[k]);
        const float root = whole_fits ? std::sqrt(f) : static_cast<float>(std::sqrt(v[i]));
        bad += std::memcmp(&cols[i], &f, sizeof f) != 0;
        bad += std::memcmp(&cols[D + i], &root, sizeof root) != 0;
        bad += std::memcmp(&cols[2 * D + i], &f, sizeof f) != 0;
      }
      bad += cols[3 * D] != -1.0f;  // nothing past the columns
    }
  };
  check(std::integral_constant<std::size_t, 16>{});
  check(std::integral_constant<std::size_t, 13>{});
  check(std::integral_constant<std::size_t, 8>{});
  check(std::integral_constant<std::size_t, 3>{});
  return bad;
}

// Every shape checked, and the mismatches of each that had any ("" when none): whole
// registers of a float and a double accumulator (written during the push), widths
// with a partial register and a converting window (written after it), windows of 1,
// short and long capacity, statistics with and without extremes (count alone, whose
// every full push writes in the push), ddof above the capacity, ewm, and assemble.
inline std::string emit_into_mismatches() {
  using rill::nan_policy;
  using rill::stat;
  constexpr stat all = stat::count | stat::sum | stat::mean | stat::variance | stat::stddev |
                       stat::min | stat::max | stat::zscore;
  constexpr stat five = stat::mean | stat::stddev | stat::min | stat::max;
  constexpr stat moments = stat::count | stat::sum | stat::variance | stat::zscore;
  constexpr stat extremes = stat::max | stat::min;
  constexpr stat ew_all = stat::mean | stat::variance | stat::stddev | stat::zscore;
  std::string failures;
  auto check = [&](const char *name, std::size_t bad) {
    if (bad != 0) failures += std::string(name) + ": " + std::to_string(bad) + " ";
  };
  std::uint64_t seed = 1;
  check("rolling<16, 64, mean|std|min|max, float, float>",
        emit_into_mismatches(
            [](nan_policy p) { return rill::rolling<16, 64, five, float, float>(1, p); }, seed++));
  check("rolling<16, 5, all, float, float>",
        emit_into_mismatches(
            [](nan_policy p) { return rill::rolling<16, 5, all, float, float>(0, p, 9.0f); },
            seed++));
  check("rolling<8, 1, all, float, float>",
        emit_into_mismatches(
            [](nan_policy p) { return rill::rolling<8, 1, all, float, float>(1, p); }, seed++));
  check(
      "rolling<24, 7, count|sum|variance|zscore, float, float>",
      emit_into_mismatches(
          [](nan_policy p) { return rill::rolling<24, 7, moments, float, float>(1, p); }, seed++));
  check(
      "rolling<16, 6, min|max, float, float>",
      emit_into_mismatches(
          [](nan_policy p) { return rill::rolling<16, 6, extremes, float, float>(1, p); }, seed++));
  check("rolling<8, 64, all, double, double>",
        emit_into_mismatches([](nan_policy p) { return rill::rolling<8, 64, all, double>(1, p); },
                             seed++));
  check("rolling<4, 3, sum|min, double, double>",
        emit_into_mismatches(
            [](nan_policy p) { return rill::rolling<4, 3, stat::sum | stat::min, double>(2, p); },
            seed++));
  check("rolling<13, 4, all, float, float>",
        emit_into_mismatches(
            [](nan_policy p) { return rill::rolling<13, 4, all, float, float>(1, p); }, seed++));
  check("rolling<8, 4, count, float, float>",
        emit_into_mismatches(
            [](nan_policy p) { return rill::rolling<8, 4, stat::count, float, float>(1, p); },
            seed++));
  check("rolling<8, 3, all, float, float>, ddof 5",
        emit_into_mismatches(
            [](nan_policy p) { return rill::rolling<8, 3, all, float, float>(5, p); }, seed++));
  check(
      "rolling<16, 64, all, float, double>",
      emit_into_mismatches([](nan_policy p) { return rill::rolling<16, 64, all>(1, p); }, seed++));
  check("ewm<16, mean, float, float>",
        emit_into_mismatches(
            [](nan_policy p) { return rill::ewm<16, stat::mean, float, float>::fading(0.1, p); },
            seed++));
  check("ewm<8, mean|variance|stddev|zscore, double>",
        emit_into_mismatches(
            [](nan_policy p) { return rill::ewm<8, ew_all, double>::fading(0.3, p); }, seed++));
  check("ewm<16, mean|variance|stddev|zscore, float, float> half-life",
        emit_into_mismatches(
            [](nan_policy p) { return rill::ewm<16, ew_all, float, float>::half_life(5, p); },
            seed++));
  check(
      "assemble(rolling<16, 64, mean|std|min|max, float, float>, ewm<16, mean, float, "
      "float>)",
      assembled_mismatches());
  check("column_writer<float, D, batch<double>>", column_writer_mismatches());
  return failures;
}

}  // namespace
