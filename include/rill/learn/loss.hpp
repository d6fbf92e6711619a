// Losses for online linear learners, as functions of the margin m = w·x + b.
//
// Every loss takes the target as it arrives on the learn path: a value for
// regression, 0/1 for binary classification (mapped to y = ±1 inside the
// classification losses). `gradient` is ∂loss/∂m; `loss` the loss itself. The
// formulas and their branch points follow scikit-learn's SGD losses, which River's
// share; where the two differ (the squared loss's factor) the difference is a
// parameter. All O(1), noexcept, no state.
#pragma once

#include <algorithm>
#include <cmath>

#include "rill/config.hpp"
#include "rill/detail/exp.hpp"

RILL_NAMESPACE_BEGIN

namespace detail {
template <class T>
constexpr T plus_minus_one(T y01) noexcept {
  return y01 > T(0.5) ? T(1) : T(-1);
}
}  // namespace detail

/// Squared error: loss ½(m − y)², gradient `factor`·(m − y). scikit-learn's
/// `squared_error` has factor 1; River's `Squared` has factor 2.
struct squared_loss {
  double factor = 1.0;
  static constexpr bool classification = false;
  template <class T>
  T loss(T m, T y) const noexcept {
    return T(0.5) * (m - y) * (m - y);
  }
  template <class T>
  T gradient(T m, T y) const noexcept {
    return static_cast<T>(factor) * (m - y);
  }
};

/// Logistic loss for y ∈ {0, 1}: log(1 + exp(−y'm)) with y' = ±1. The gradient
/// −y'/(1 + exp(y'm)) uses the same ±18 cut-offs as scikit-learn and River, so the
/// compatibility modes agree to the last bit where the arithmetic allows.
struct logistic_loss {
  static constexpr bool classification = true;
  template <class T>
  T loss(T m, T y01) const noexcept {
    const T z = m * detail::plus_minus_one(y01);
    if (z > T(18)) return detail::exp_quiet(-z);
    if (z < T(-18)) return -z;
    return std::log1p(std::exp(-z));
  }
  template <class T>
  T gradient(T m, T y01) const noexcept {
    const T y = detail::plus_minus_one(y01);
    const T z = m * y;
    if (z > T(18)) return detail::exp_quiet(-z) * -y;
    if (z < T(-18)) return -y;
    return -y / (std::exp(z) + T(1));
  }
};

/// Hinge loss for y ∈ {0, 1}: max(0, threshold − y'm). The gradient is −y' when
/// y'm ≤ threshold, else 0. threshold 1 is the SVM hinge; threshold 0 the perceptron.
struct hinge_loss {
  double threshold = 1.0;
  static constexpr bool classification = true;
  template <class T>
  T loss(T m, T y01) const noexcept {
    const T z = m * detail::plus_minus_one(y01);
    return z <= static_cast<T>(threshold) ? static_cast<T>(threshold) - z : T(0);
  }
  template <class T>
  T gradient(T m, T y01) const noexcept {
    const T y = detail::plus_minus_one(y01);
    return m * y <= static_cast<T>(threshold) ? -y : T(0);
  }
};

/// Squared hinge for y ∈ {0, 1}: max(0, threshold − y'm)².
struct squared_hinge_loss {
  double threshold = 1.0;
  static constexpr bool classification = true;
  template <class T>
  T loss(T m, T y01) const noexcept {
    const T z = static_cast<T>(threshold) - m * detail::plus_minus_one(y01);
    return z > 0 ? z * z : T(0);
  }
  template <class T>
  T gradient(T m, T y01) const noexcept {
    const T y = detail::plus_minus_one(y01);
    const T z = static_cast<T>(threshold) - m * y;
    return z > 0 ? T(-2) * y * z : T(0);
  }
};

/// Modified Huber for y ∈ {0, 1} (Zhang 2004): quadratic near the margin, linear
/// beyond −1, as scikit-learn's `modified_huber`.
struct modified_huber_loss {
  static constexpr bool classification = true;
  template <class T>
  T loss(T m, T y01) const noexcept {
    const T z = m * detail::plus_minus_one(y01);
    if (z >= T(1)) return T(0);
    if (z >= T(-1)) return (T(1) - z) * (T(1) - z);
    return T(-4) * z;
  }
  template <class T>
  T gradient(T m, T y01) const noexcept {
    const T y = detail::plus_minus_one(y01);
    const T z = m * y;
    if (z >= T(1)) return T(0);
    if (z >= T(-1)) return T(2) * (T(1) - z) * -y;
    return T(-4) * y;
  }
};

/// Huber loss for regression: quadratic within `epsilon` of the target, linear
/// beyond; gradient clipped to ±epsilon.
struct huber_loss {
  double epsilon = 0.1;
  static constexpr bool classification = false;
  template <class T>
  T loss(T m, T y) const noexcept {
    const T r = m - y, a = std::abs(r), c = static_cast<T>(epsilon);
    return a <= c ? T(0.5) * r * r : c * a - T(0.5) * c * c;
  }
  template <class T>
  T gradient(T m, T y) const noexcept {
    const T r = m - y, c = static_cast<T>(epsilon);
    if (std::abs(r) <= c) return r;
    return r > 0 ? c : -c;
  }
};

/// Epsilon-insensitive loss for regression: max(0, |y − m| − epsilon) (SVR's loss).
struct epsilon_insensitive_loss {
  double epsilon = 0.1;
  static constexpr bool classification = false;
  template <class T>
  T loss(T m, T y) const noexcept {
    return std::max(T(0), std::abs(y - m) - static_cast<T>(epsilon));
  }
  template <class T>
  T gradient(T m, T y) const noexcept {
    const T c = static_cast<T>(epsilon);
    if (y - m > c) return T(-1);
    if (m - y > c) return T(1);
    return T(0);
  }
};

/// Squared epsilon-insensitive loss for regression: max(0, |y − m| − epsilon)².
struct squared_epsilon_insensitive_loss {
  double epsilon = 0.1;
  static constexpr bool classification = false;
  template <class T>
  T loss(T m, T y) const noexcept {
    const T e = std::max(T(0), std::abs(y - m) - static_cast<T>(epsilon));
    return e * e;
  }
  template <class T>
  T gradient(T m, T y) const noexcept {
    const T z = y - m, c = static_cast<T>(epsilon);
    if (z > c) return T(-2) * (z - c);
    if (z < -c) return T(2) * (-z - c);
    return T(0);
  }
};

/// A loss chosen at run time (for tools and configuration files): one
/// well-predicted branch per call.
struct any_loss {
  enum class kind { squared, logistic, hinge, squared_hinge, modified_huber, huber,
                    epsilon_insensitive, squared_epsilon_insensitive };
  kind which = kind::squared;
  double param = 1.0;  ///< factor (squared), threshold (hinges) or epsilon (huber, insensitive)

  bool classification() const noexcept {
    return which == kind::logistic || which == kind::hinge || which == kind::squared_hinge ||
           which == kind::modified_huber;
  }
  template <class F>
  decltype(auto) visit(F&& f) const noexcept {
    switch (which) {
      case kind::logistic: return f(logistic_loss{});
      case kind::hinge: return f(hinge_loss{param});
      case kind::squared_hinge: return f(squared_hinge_loss{param});
      case kind::modified_huber: return f(modified_huber_loss{});
      case kind::huber: return f(huber_loss{param});
      case kind::epsilon_insensitive: return f(epsilon_insensitive_loss{param});
      case kind::squared_epsilon_insensitive: return f(squared_epsilon_insensitive_loss{param});
      case kind::squared: break;
    }
    return f(squared_loss{param});
  }
  template <class T>
  T loss(T m, T y) const noexcept {
    return visit([&](const auto& l) { return l.loss(m, y); });
  }
  template <class T>
  T gradient(T m, T y) const noexcept {
    return visit([&](const auto& l) { return l.gradient(m, y); });
  }
};

/// Whether a loss treats targets as 0/1 classes (a compile-time constant for the
/// loss types, a run-time answer for any_loss).
template <class Loss>
constexpr bool is_classification_loss(const Loss& loss) noexcept {
  if constexpr (requires { loss.classification(); }) {
    return loss.classification();
  } else {
    return Loss::classification;
  }
}

RILL_NAMESPACE_END
