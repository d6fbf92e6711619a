// Contextual bandits over K actions and a D-dim context: LinUCB, linear Thompson
// sampling and an epsilon-greedy baseline, each a ridge regression per action updated
// by Sherman–Morrison, plus the two stages that wire one into a graph.
#pragma once

#include <array>
#include <cmath>
#include <cstddef>
#include <cstdint>
#include <stdexcept>
#include <string>

#include "rill/config.hpp"
#include "rill/core/event.hpp"
#include "rill/core/type_list.hpp"
#include "rill/learn/pending.hpp"
#include "rill/serve/common.hpp"

RILL_NAMESPACE_BEGIN

/// xoshiro256** (Blackman & Vigna), seeded through splitmix64 so any 64-bit seed,
/// 0 included, gives a well-mixed state. 32 bytes, a few ns per draw, never allocates.
class xoshiro256ss {
 public:
  constexpr explicit xoshiro256ss(std::uint64_t seed) noexcept {
    for (auto& w : s_) {
      seed += 0x9e3779b97f4a7c15ULL;
      w = splitmix64(seed);
    }
  }
  constexpr std::uint64_t operator()() noexcept {
    const std::uint64_t r = rotl(s_[1] * 5, 7) * 9;
    const std::uint64_t t = s_[1] << 17;
    s_[2] ^= s_[0];
    s_[3] ^= s_[1];
    s_[1] ^= s_[2];
    s_[0] ^= s_[3];
    s_[2] ^= t;
    s_[3] = rotl(s_[3], 45);
    return r;
  }
  /// Uniform in [0, 1) with 53 random bits.
  double uniform() noexcept { return double((*this)() >> 11) * 0x1.0p-53; }
  /// Uniform integer in [0, n) (Lemire's multiply-shift; bias below 2^-32 for n < 2^32).
  std::uint64_t below(std::uint64_t n) noexcept { return ((*this)() >> 32) * n >> 32; }
  /// Standard normal by Box–Muller; the second value of each pair is kept for the next call.
  double gaussian() noexcept {
    if (has_spare_) {
      has_spare_ = false;
      return spare_;
    }
    const double u1 = 1.0 - uniform();  // (0, 1]: log is finite
    const double u2 = uniform();
    const double r = std::sqrt(-2.0 * std::log(u1));
    constexpr double two_pi = 6.283185307179586476925286766559;
    spare_ = r * std::sin(two_pi * u2);
    has_spare_ = true;
    return r * std::cos(two_pi * u2);
  }

 private:
  static constexpr std::uint64_t rotl(std::uint64_t x, int k) noexcept {
    return (x << k) | (x >> (64 - k));
  }
  std::uint64_t s_[4]{};
  double spare_ = 0;
  bool has_spare_ = false;
};

namespace detail {

/// Ridge regression of one action: A = λI + Σ x xᵀ, b = Σ r x, θ = A⁻¹ b. A⁻¹ is kept
/// directly and updated by Sherman–Morrison, A⁻¹ ← A⁻¹ − (A⁻¹x)(A⁻¹x)ᵀ / (1 + xᵀA⁻¹x),
/// O(D²) per update, so no solve or inversion is ever needed.
template <std::size_t D>
struct ridge_arm {
  std::array<double, D * D> ainv{};
  std::array<double, D> b{};
  std::array<double, D> theta{};
  std::uint64_t updates = 0;

  void init(double lambda) noexcept {
    ainv.fill(0.0);
    for (std::size_t i = 0; i < D; ++i) ainv[i * D + i] = 1.0 / lambda;
    b.fill(0.0);
    theta.fill(0.0);
    updates = 0;
  }

  double mean(const double* x) const noexcept {
    double m = 0;
    for (std::size_t i = 0; i < D; ++i) m += theta[i] * x[i];
    return m;
  }

  /// xᵀ A⁻¹ x, the variance factor of this action's estimate at x (≥ 0).
  double spread(const double* x) const noexcept {
    double s = 0;
    for (std::size_t i = 0; i < D; ++i) {
      double row = 0;
      for (std::size_t j = 0; j < D; ++j) row += ainv[i * D + j] * x[j];
      s += x[i] * row;
    }
    return s > 0 ? s : 0;
  }

  void learn(const double* x, double r) noexcept {
    std::array<double, D> u{};
    double denom = 1.0;
    for (std::size_t i = 0; i < D; ++i) {
      for (std::size_t j = 0; j < D; ++j) u[i] += ainv[i * D + j] * x[j];
      denom += x[i] * u[i];
    }
    const double inv = 1.0 / denom;
    // Update both triangles from the same u so A⁻¹ stays exactly symmetric.
    for (std::size_t i = 0; i < D; ++i)
      for (std::size_t j = 0; j < D; ++j) ainv[i * D + j] -= u[i] * u[j] * inv;
    for (std::size_t i = 0; i < D; ++i) b[i] += r * x[i];
    for (std::size_t i = 0; i < D; ++i) {
      double t = 0;
      for (std::size_t j = 0; j < D; ++j) t += ainv[i * D + j] * b[j];
      theta[i] = t;
    }
    ++updates;
  }
};

/// K ridge arms and the shared plumbing of the three policies.
template <std::size_t K, std::size_t D>
class linear_bandit_base {
  static_assert(K >= 1, "rill bandit: at least one action (K >= 1).");
  static_assert(D >= 1, "rill bandit: a context of at least one value (D >= 1).");

 public:
  static constexpr std::size_t actions = K;
  static constexpr std::size_t width = D;

  /// Records the reward of `action` taken in `context`. O(D²); ignored (counted) if
  /// the action is out of range or the reward or context is not finite.
  template <class T>
  void learn(std::size_t action, const feature_row<T, D>& context, double reward) noexcept {
    double x[D];
    bool finite = std::isfinite(reward);
    for (std::size_t i = 0; i < D; ++i) {
      x[i] = static_cast<double>(context[i]);
      finite = finite && std::isfinite(x[i]);
    }
    if (action >= K || !finite) {
      ++rejected_;
      return;
    }
    arms_[action].learn(x, reward);
    ++learned_;
  }

  /// θ of `action`: its ridge estimate of the reward weights.
  const std::array<double, D>& theta(std::size_t action) const noexcept {
    return arms_[action].theta;
  }
  /// A⁻¹ of `action` (row-major D×D).
  const std::array<double, D * D>& a_inverse(std::size_t action) const noexcept {
    return arms_[action].ainv;
  }
  std::uint64_t learned() const noexcept { return learned_; }
  /// Rewards ignored: out-of-range action or non-finite reward/context.
  std::uint64_t rejected() const noexcept { return rejected_; }
  std::uint64_t chosen(std::size_t action) const noexcept { return chosen_[action]; }

 protected:
  explicit linear_bandit_base(double lambda, const char* who) {
    if (!(lambda > 0) || !std::isfinite(lambda))
      throw std::invalid_argument(std::string(who) + ": lambda must be finite and > 0");
    for (auto& a : arms_) a.init(lambda);
  }

  template <class T>
  static void to_double(const feature_row<T, D>& c, double* x) noexcept {
    for (std::size_t i = 0; i < D; ++i) x[i] = static_cast<double>(c[i]);
  }

  std::size_t pick(std::size_t a) noexcept {
    ++chosen_[a];
    return a;
  }

  std::array<ridge_arm<D>, K> arms_{};
  std::array<std::uint64_t, K> chosen_{};
  std::uint64_t learned_ = 0, rejected_ = 0;
};

}  // namespace detail

/// LinUCB (Li et al., 2010, disjoint model): chooses argmax_a θ_aᵀx + α·sqrt(xᵀA_a⁻¹x),
/// optimism in proportion to how little action a is known near x. Deterministic;
/// ties go to the lowest action. choose: O(K·D²); learn: O(D²). State inline:
/// K·(D² + 2D) doubles; never allocates. One thread.
template <std::size_t K, std::size_t D>
class linucb : public detail::linear_bandit_base<K, D> {
  using base = detail::linear_bandit_base<K, D>;

 public:
  /// Throws std::invalid_argument if alpha < 0 or lambda <= 0 (or either not finite).
  explicit linucb(double alpha = 1.0, double lambda = 1.0)
      : base(lambda, "rill::linucb"), alpha_(alpha) {
    if (!(alpha >= 0) || !std::isfinite(alpha))
      throw std::invalid_argument("rill::linucb: alpha must be finite and >= 0");
  }

  template <class T>
  std::size_t choose(const feature_row<T, D>& context) noexcept {
    double x[D];
    base::to_double(context, x);
    std::size_t best = 0;
    double best_score = -INFINITY;
    for (std::size_t a = 0; a < K; ++a) {
      const double s = this->arms_[a].mean(x) + alpha_ * std::sqrt(this->arms_[a].spread(x));
      if (s > best_score) {
        best_score = s;
        best = a;
      }
    }
    return base::pick(best);
  }

  double alpha() const noexcept { return alpha_; }

 private:
  double alpha_;
};

/// Linear Thompson sampling (Agrawal & Goyal, 2013, one model per action): samples
/// θ̃_a ~ N(θ_a, v²A_a⁻¹) for each action and chooses argmax_a θ̃_aᵀx.
///
/// Only θ̃_aᵀx enters the choice, and for a Gaussian θ̃_a it is exactly distributed
/// N(θ_aᵀx, v²·xᵀA_a⁻¹x); `choose` draws that scalar (one normal per action, O(D²))
/// instead of a D-dim sample through a Cholesky factor (O(D³)): the same policy,
/// cheaper. `sample_parameters` draws the full θ̃ through the Cholesky factor of A⁻¹
/// for callers who need it. Seeded xoshiro256**: the same seed and inputs give the
/// same choices. choose: O(K·D²); learn: O(D²); never allocates. One thread.
template <std::size_t K, std::size_t D>
class linear_thompson : public detail::linear_bandit_base<K, D> {
  using base = detail::linear_bandit_base<K, D>;

 public:
  /// Throws std::invalid_argument if v < 0 or lambda <= 0 (or either not finite).
  explicit linear_thompson(double v = 0.5, std::uint64_t seed = 1, double lambda = 1.0)
      : base(lambda, "rill::linear_thompson"), v_(v), rng_(seed) {
    if (!(v >= 0) || !std::isfinite(v))
      throw std::invalid_argument("rill::linear_thompson: v must be finite and >= 0");
  }

  template <class T>
  std::size_t choose(const feature_row<T, D>& context) noexcept {
    double x[D];
    base::to_double(context, x);
    std::size_t best = 0;
    double best_score = -INFINITY;
    for (std::size_t a = 0; a < K; ++a) {
      const double s = this->arms_[a].mean(x) +
                       v_ * std::sqrt(this->arms_[a].spread(x)) * rng_.gaussian();
      if (s > best_score) {
        best_score = s;
        best = a;
      }
    }
    return base::pick(best);
  }

  /// Draws θ̃ ~ N(θ_a, v²A_a⁻¹) into `out` as θ_a + v·L·z, L the lower Cholesky factor
  /// of A_a⁻¹ and z standard normal. O(D³); never allocates. (Pivots that rounding
  /// makes non-positive are treated as 0: that direction is then not sampled.)
  void sample_parameters(std::size_t action, std::array<double, D>& out) noexcept {
    const auto& ainv = this->arms_[action].ainv;
    std::array<double, D * D> l{};
    for (std::size_t j = 0; j < D; ++j) {
      double d = ainv[j * D + j];
      for (std::size_t k = 0; k < j; ++k) d -= l[j * D + k] * l[j * D + k];
      const double ljj = d > 0 ? std::sqrt(d) : 0.0;
      l[j * D + j] = ljj;
      for (std::size_t i = j + 1; i < D; ++i) {
        double s = ainv[i * D + j];
        for (std::size_t k = 0; k < j; ++k) s -= l[i * D + k] * l[j * D + k];
        l[i * D + j] = ljj > 0 ? s / ljj : 0.0;
      }
    }
    std::array<double, D> z;
    for (auto& zi : z) zi = rng_.gaussian();
    for (std::size_t i = 0; i < D; ++i) {
      double s = 0;
      for (std::size_t k = 0; k <= i; ++k) s += l[i * D + k] * z[k];
      out[i] = this->arms_[action].theta[i] + v_ * s;
    }
  }

  double v() const noexcept { return v_; }

 private:
  double v_;
  xoshiro256ss rng_;
};

/// Epsilon-greedy baseline: with probability ε a uniformly random action, otherwise
/// argmax_a θ_aᵀx (ties to the lowest). The same ridge models as LinUCB, no notion of
/// uncertainty: the reference the other two must beat. Seeded xoshiro256**.
/// choose: O(K·D); learn: O(D²); never allocates. One thread.
template <std::size_t K, std::size_t D>
class epsilon_greedy : public detail::linear_bandit_base<K, D> {
  using base = detail::linear_bandit_base<K, D>;

 public:
  /// Throws std::invalid_argument if epsilon is outside [0, 1] or lambda <= 0.
  explicit epsilon_greedy(double epsilon = 0.1, std::uint64_t seed = 1, double lambda = 1.0)
      : base(lambda, "rill::epsilon_greedy"), epsilon_(epsilon), rng_(seed) {
    if (!(epsilon >= 0 && epsilon <= 1))
      throw std::invalid_argument("rill::epsilon_greedy: epsilon must be in [0, 1]");
  }

  template <class T>
  std::size_t choose(const feature_row<T, D>& context) noexcept {
    if (rng_.uniform() < epsilon_) return base::pick(static_cast<std::size_t>(rng_.below(K)));
    double x[D];
    base::to_double(context, x);
    std::size_t best = 0;
    double best_score = -INFINITY;
    for (std::size_t a = 0; a < K; ++a) {
      const double s = this->arms_[a].mean(x);
      if (s > best_score) {
        best_score = s;
        best = a;
      }
    }
    return base::pick(best);
  }

  double epsilon() const noexcept { return epsilon_; }

 private:
  double epsilon_;
  xoshiro256ss rng_;
};

// ------------------------------------------------------------------ graph wiring

/// What `choose_action` emits: the action chosen for event `id`.
struct bandit_choice {
  std::uint64_t id = 0;
  std::int64_t time_ns = 0;
  std::uint32_t action = 0;
};

/// What `learn_reward` emits once a reward has been learnt.
template <class T = float>
struct bandit_outcome {
  std::uint64_t id = 0;
  std::int64_t event_time_ns = 0;  ///< when the action was chosen
  std::int64_t label_time_ns = 0;  ///< when its reward arrived
  std::uint32_t action = 0;
  T reward{};
};

/// Predict-path stage: chooses an action for each event's context (its feature row)
/// and remembers (id, context, action) in a `pending_buffer<D, T>` owned elsewhere,
/// where the delayed reward will find it. Emits a `bandit_choice`. Cost: the
/// bandit's choose plus one pending-buffer insert; never allocates.
///
/// How a delayed reward reaches the bandit: the application reports it as a
/// `rill::label<T>{id, time_ns, reward}` on the graph's feedback path; `learn_reward`
/// there takes the pending (context, action) for that id and calls
/// `bandit.learn(action, context, reward)`. Rewards that never come expire or are
/// evicted by the buffer (counted); a reward for an unknown id is counted unmatched.
template <class Bandit, class Pending>
class choose_action {
 public:
  using shared_state = type_list<Bandit, Pending>;
  using value_type = typename Pending::entry::value_type;
  using input_type = event<Bandit::width, value_type>;
  using output_type = bandit_choice;
  static_assert(Pending::entry::width == Bandit::width,
                "rill::choose_action: the pending buffer's width must be the bandit's context "
                "width D.");

  choose_action(Bandit& bandit, Pending& pending) noexcept : bandit_(&bandit), pending_(&pending) {}

  template <class Emit>
  RILL_ALWAYS_INLINE void operator()(const input_type& in, Emit&& emit) noexcept {
    const auto a = static_cast<std::uint32_t>(bandit_->choose(in.x));
    // The action rides in the entry's version field; its value is unused.
    pending_->remember(typename Pending::entry{in.id, in.time_ns, in.x, value_type{}, a});
    emit(bandit_choice{in.id, in.time_ns, a});
  }

 private:
  Bandit* bandit_;
  Pending* pending_;
};

/// Learn-path stage: a `label<T>` whose target is the reward for an earlier choice
/// (matched by id) updates the bandit and emits a `bandit_outcome`; a label for an
/// unknown or expired id emits nothing (counted by the buffer). O(D²); never allocates.
template <class Bandit, class Pending>
class learn_reward {
 public:
  using shared_state = type_list<Bandit, Pending>;
  using value_type = typename Pending::entry::value_type;
  using input_type = label<value_type>;
  using output_type = bandit_outcome<value_type>;

  learn_reward(Bandit& bandit, Pending& pending) noexcept : bandit_(&bandit), pending_(&pending) {}

  template <class Emit>
  RILL_ALWAYS_INLINE void operator()(const input_type& in, Emit&& emit) noexcept {
    pending_->expire_before(in.time_ns);
    if (auto hit = pending_->take(in.id)) {
      const auto a = static_cast<std::uint32_t>(hit->version);
      bandit_->learn(a, hit->x, static_cast<double>(in.target));
      emit(output_type{in.id, hit->time_ns, in.time_ns, a, in.target});
    }
  }

 private:
  Bandit* bandit_;
  Pending* pending_;
};

RILL_NAMESPACE_END
