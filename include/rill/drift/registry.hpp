// Configuration-time factory: a detector chosen by name with River's parameter
// names given as KEY=VALUE strings, for command lines and config files. The hot
// path stays static: `any_detector` is a std::variant, so one update is a switch
// on the index and an inlined call, never a virtual call.
#pragma once

#include <cerrno>
#include <cmath>
#include <cstdlib>
#include <functional>
#include <limits>
#include <span>
#include <stdexcept>
#include <string>
#include <string_view>
#include <utility>
#include <variant>
#include <vector>

#include "rill/config.hpp"
#include "rill/drift/adwin.hpp"
#include "rill/drift/ddm.hpp"
#include "rill/drift/detector.hpp"
#include "rill/drift/eddm.hpp"
#include "rill/drift/hddm_a.hpp"
#include "rill/drift/hddm_w.hpp"
#include "rill/drift/kswin.hpp"
#include "rill/drift/page_hinkley.hpp"

RILL_NAMESPACE_BEGIN

/// One of rill's drift detectors, chosen at run time.
///
/// `update` visits the variant: a jump on the index, then the detector's own
/// inlined update; it never allocates. Not thread-safe (one thread per detector).
class any_detector {
 public:
  using variant_type = std::variant<adwin, ddm, eddm, hddm_a, hddm_w, kswin, page_hinkley>;

  template <class D>
  requires drift_detector<D>
  explicit any_detector(D d) : v_(std::move(d)) {}

  drift_signal update(double x) noexcept {
    return std::visit([x](auto& d) noexcept { return d.update(x); }, v_);
  }
  bool drift_detected() const noexcept {
    return std::visit([](const auto& d) noexcept { return d.drift_detected(); }, v_);
  }
  /// Values not taken in because they were NaN or ±Inf (see input_screen).
  std::uint64_t non_finite() const noexcept {
    return std::visit([](const auto& d) noexcept { return d.non_finite(); }, v_);
  }
  bool warning_detected() const noexcept {
    return std::visit([](const auto& d) noexcept { return d.warning_detected(); }, v_);
  }
  void reset() noexcept {
    std::visit([](auto& d) noexcept { d.reset(); }, v_);
  }
  double statistic() const noexcept {
    return std::visit([](const auto& d) noexcept { return double(d.statistic()); }, v_);
  }
  variant_type& get() noexcept { return v_; }
  const variant_type& get() const noexcept { return v_; }

 private:
  variant_type v_;
};

static_assert(drift_detector_with_statistic<any_detector>);

/// Names accepted by `make_detector`, in the CLI's order.
inline constexpr std::string_view detector_names[] = {"adwin",  "ddm",   "eddm",        "hddm_a",
                                                      "hddm_w", "kswin", "page_hinkley"};

namespace detail {

inline std::string param_where(std::string_view det, std::string_view key) {
  return std::string(det) + " parameter '" + std::string(key) + "'";
}

inline double parse_double(std::string_view det, std::string_view key, const std::string& v) {
  errno = 0;
  char* end = nullptr;
  const double d = std::strtod(v.c_str(), &end);
  if (v.empty() || end != v.c_str() + v.size() || errno == ERANGE || std::isnan(d))
    throw std::invalid_argument(param_where(det, key) + ": expected a number, got '" + v + "'");
  return d;
}

inline long long parse_int(std::string_view det, std::string_view key, const std::string& v) {
  errno = 0;
  char* end = nullptr;
  const long long i = std::strtoll(v.c_str(), &end, 10);
  if (v.empty() || end != v.c_str() + v.size() || errno == ERANGE)
    throw std::invalid_argument(param_where(det, key) + ": expected an integer, got '" + v + "'");
  return i;
}

inline int parse_int32(std::string_view det, std::string_view key, const std::string& v) {
  const long long i = parse_int(det, key, v);
  if (i < std::numeric_limits<int>::min() || i > std::numeric_limits<int>::max())
    throw std::invalid_argument(param_where(det, key) + ": out of range: " + v);
  return static_cast<int>(i);
}

inline bool parse_bool(std::string_view det, std::string_view key, const std::string& v) {
  if (v == "true" || v == "True" || v == "1") return true;
  if (v == "false" || v == "False" || v == "0") return false;
  throw std::invalid_argument(param_where(det, key) + ": expected true or false, got '" + v + "'");
}

inline ph_mode parse_mode(std::string_view det, std::string_view key, const std::string& v) {
  if (v == "up") return ph_mode::up;
  if (v == "down") return ph_mode::down;
  if (v == "both") return ph_mode::both;
  throw std::invalid_argument(param_where(det, key) + ": expected up, down or both, got '" + v +
                              "'");
}

inline std::vector<double> parse_list(std::string_view det, std::string_view key,
                                      const std::string& v) {
  std::vector<double> out;
  std::size_t start = 0;
  while (start <= v.size() && !v.empty()) {
    const std::size_t comma = v.find(',', start);
    const std::size_t stop = comma == std::string::npos ? v.size() : comma;
    out.push_back(parse_double(det, key, v.substr(start, stop - start)));
    if (comma == std::string::npos) break;
    start = comma + 1;
  }
  return out;
}

struct param_setter {
  std::string_view key;
  std::function<void(const std::string&)> set;
};

// Applies KEY=VALUE strings through a table of known keys; unknown keys and
// repeated keys are errors that list what is accepted.
inline void apply_params(std::string_view det, std::span<const std::string> kvs,
                         std::span<const param_setter> table) {
  std::vector<std::string> seen;
  for (const std::string& kv : kvs) {
    const std::size_t eq = kv.find('=');
    if (eq == std::string::npos || eq == 0)
      throw std::invalid_argument(std::string(det) + ": parameter '" + kv +
                                  "' is not of the form KEY=VALUE");
    const std::string key = kv.substr(0, eq), value = kv.substr(eq + 1);
    const param_setter* hit = nullptr;
    for (const auto& s : table)
      if (s.key == key) hit = &s;
    if (!hit) {
      std::string known;
      for (const auto& s : table) known += (known.empty() ? "" : ", ") + std::string(s.key);
      throw std::invalid_argument(std::string(det) + ": unknown parameter '" + key +
                                  "' (known: " + known + ")");
    }
    for (const auto& k : seen)
      if (k == key) throw std::invalid_argument(param_where(det, key) + " given twice");
    seen.push_back(key);
    hit->set(value);
  }
}

}  // namespace detail

/// Builds the detector `name` (one of `detector_names`) from River-named
/// parameters "KEY=VALUE" (booleans true/false, Page-Hinkley's mode up|down|both,
/// KSWIN's seed an integer and window a comma-separated list). Parameters not
/// given take River's defaults. Throws std::invalid_argument naming the
/// detector, the parameter and the reason for an unknown name, an unknown or
/// repeated key, a malformed value or a value the detector rejects.
/// Configuration time only: allocates.
inline any_detector make_detector(std::string_view name, std::span<const std::string> kvs) {
  using detail::param_setter;
  const auto dbl = [name](std::string_view k, double& out) {
    return param_setter{
        k, [name, k, &out](const std::string& v) { out = detail::parse_double(name, k, v); }};
  };
  const auto i32 = [name](std::string_view k, int& out) {
    return param_setter{
        k, [name, k, &out](const std::string& v) { out = detail::parse_int32(name, k, v); }};
  };
  const auto boolean = [name](std::string_view k, bool& out) {
    return param_setter{
        k, [name, k, &out](const std::string& v) { out = detail::parse_bool(name, k, v); }};
  };
  if (name == "adwin") {
    adwin_params p;
    const param_setter t[] = {
        dbl("delta", p.delta), i32("clock", p.clock), i32("max_buckets", p.max_buckets),
        i32("min_window_length", p.min_window_length), i32("grace_period", p.grace_period)};
    detail::apply_params(name, kvs, t);
    return any_detector(adwin(p));
  }
  if (name == "ddm") {
    ddm_params p;
    const param_setter t[] = {i32("warm_start", p.warm_start),
                              dbl("warning_threshold", p.warning_threshold),
                              dbl("drift_threshold", p.drift_threshold)};
    detail::apply_params(name, kvs, t);
    return any_detector(ddm(p));
  }
  if (name == "eddm") {
    eddm_params p;
    const param_setter t[] = {i32("warm_start", p.warm_start), dbl("alpha", p.alpha),
                              dbl("beta", p.beta)};
    detail::apply_params(name, kvs, t);
    return any_detector(eddm(p));
  }
  if (name == "hddm_a") {
    hddm_a_params p;
    const param_setter t[] = {dbl("drift_confidence", p.drift_confidence),
                              dbl("warning_confidence", p.warning_confidence),
                              boolean("two_sided_test", p.two_sided_test)};
    detail::apply_params(name, kvs, t);
    return any_detector(hddm_a(p));
  }
  if (name == "hddm_w") {
    hddm_w_params p;
    const param_setter t[] = {dbl("drift_confidence", p.drift_confidence),
                              dbl("warning_confidence", p.warning_confidence),
                              dbl("lambda_val", p.lambda_val),
                              boolean("two_sided_test", p.two_sided_test)};
    detail::apply_params(name, kvs, t);
    return any_detector(hddm_w(p));
  }
  if (name == "kswin") {
    kswin_params p;
    const param_setter t[] = {
        dbl("alpha", p.alpha), i32("window_size", p.window_size), i32("stat_size", p.stat_size),
        param_setter{
            "seed",
            [name, &p](const std::string& v) { p.seed = detail::parse_int(name, "seed", v); }},
        param_setter{"window", [name, &p](const std::string& v) {
                       p.window = detail::parse_list(name, "window", v);
                     }}};
    detail::apply_params(name, kvs, t);
    return any_detector(kswin(p));
  }
  if (name == "page_hinkley") {
    page_hinkley_params p;
    const param_setter t[] = {i32("min_instances", p.min_instances), dbl("delta", p.delta),
                              dbl("threshold", p.threshold), dbl("alpha", p.alpha),
                              param_setter{"mode", [name, &p](const std::string& v) {
                                             p.mode = detail::parse_mode(name, "mode", v);
                                           }}};
    detail::apply_params(name, kvs, t);
    return any_detector(page_hinkley(p));
  }
  std::string known;
  for (auto n : detector_names) known += (known.empty() ? "" : ", ") + std::string(n);
  throw std::invalid_argument("unknown drift detector '" + std::string(name) +
                              "' (known: " + known + ")");
}

RILL_NAMESPACE_END
