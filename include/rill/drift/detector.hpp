// What every drift detector shares: the signal an update returns, the concept a
// detector satisfies, and the small running statistics the River detectors are
// built from (reproduced operation for operation so indices match River's).
#pragma once

#include <cmath>
#include <concepts>
#include <cstdint>
#include <cstdio>
#include <stdexcept>
#include <string>

#include "rill/config.hpp"
#include "rill/detail/rounded.hpp"

RILL_NAMESPACE_BEGIN

/// What one `update` found. `drift` wins over `warning` when a detector reports both.
enum class drift_signal : std::uint8_t { none = 0, warning = 1, drift = 2 };

/// A drift detector: fed one number per call, it reports whether the stream
/// drifted (and, for detectors that define one, whether it is in a warning
/// zone). A detector that flagged drift resets itself at the start of its
/// next `update`, before taking that value in (River's protocol), so the
/// flags read after `update(x)` always describe x.
template <class D>
concept drift_detector = requires(D& d, const D& cd, double x) {
  { d.update(x) }
  noexcept->std::same_as<drift_signal>;
  { cd.drift_detected() }
  noexcept->std::same_as<bool>;
  { cd.warning_detected() }
  noexcept->std::same_as<bool>;
  { d.reset() }
  noexcept;
};

/// A detector that also exposes the number its decision is based on (ADWIN's
/// window mean, KSWIN's p-value, Page-Hinkley's cumulative sum, ...).
template <class D>
concept drift_detector_with_statistic = drift_detector<D> && requires(const D& cd) {
  { cd.statistic() }
  noexcept->std::convertible_to<double>;
};

/// Every detector's input screen: a NaN or ±Inf is not taken in — `update` returns
/// drift_signal::none and the flags keep describing the last value taken in — and is
/// counted in `non_finite()`, which survives `reset()`. (River's detectors take a NaN
/// into their sums, after which ADWIN, for one, never fires again.)
class input_screen {
 public:
  /// Values not taken in because they were NaN or ±Inf.
  std::uint64_t non_finite() const noexcept { return non_finite_; }

 protected:
  /// True (and counted) when `x` must not be taken in.
  bool rejects(double x) noexcept {
    if (std::isfinite(x)) [[likely]] return false;
    ++non_finite_;
    return true;
  }

 private:
  std::uint64_t non_finite_ = 0;
};

namespace detail {

/// River's `stats.Mean` with unit weights: n += 1; mean += (1/n)·(x - mean).
/// The same operations, order and roundings, so results are bit-identical.
struct river_mean {
  double n = 0.0;
  double mean = 0.0;
  void update(double x) noexcept {
    n += 1.0;
    mean += rounded((1.0 / n) * (x - mean));
  }
};

/// River's `stats.Var` (ddof = 1) on top of `river_mean`: S += (x - m_old)(x - m_new).
struct river_var {
  river_mean m;
  double s = 0.0;
  void update(double x) noexcept {
    const double old = m.mean;
    m.update(x);
    s += rounded((x - old) * (x - m.mean));
  }
  double get() const noexcept { return m.n > 1.0 ? s / (m.n - 1.0) : 0.0; }
};

/// River's `stats.EWMean`: while the mean is exactly 0 the next value replaces it
/// (so a stream of zeros keeps "restarting" it); otherwise m = f·x + (1 - f)·m.
struct river_ewmean {
  double fading = 0.5;
  double mean = 0.0;
  void update(double x) noexcept {
    mean = mean == 0.0 ? x : rounded(fading * x) + rounded((1.0 - fading) * mean);
  }
};

/// Throws std::invalid_argument "rill::<who>: <what>" for a bad parameter.
[[noreturn]] inline void param_error(const char* who, const std::string& what) {
  throw std::invalid_argument(std::string("rill::") + who + ": " + what);
}

/// A parameter value as it would be typed (shortest of %.12g).
inline std::string num(double v) {
  char buf[32];
  std::snprintf(buf, sizeof buf, "%.12g", v);
  return buf;
}

}  // namespace detail

RILL_NAMESPACE_END
