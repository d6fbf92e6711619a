// A/B splitting and shadow (champion/challenger) routing across K model arms, with
// per-arm prequential metrics fed by labels on the learn path.
#pragma once

#include <array>
#include <cmath>
#include <cstddef>
#include <cstdint>
#include <stdexcept>
#include <string>
#include <tuple>
#include <type_traits>
#include <utility>

#include "rill/config.hpp"
#include "rill/core/event.hpp"
#include "rill/learn/pending.hpp"
#include "rill/metrics/prequential.hpp"
#include "rill/serve/common.hpp"

RILL_NAMESPACE_BEGIN

/// What a router remembers per routed event, until its label arrives: which arm
/// answered, and every arm's prediction (one arm under A/B, all under shadow). The
/// learn-path stage `score_routes` scores each recorded prediction against the label
/// into that arm's `prequential_metrics`, so arms can be compared on the same kind of
/// traffic and a challenger promoted on evidence.
///
/// Shared state: one book, referenced by the router (predict path) and by
/// `score_routes` (learn path). Built on `pending_buffer<K, T>` (the K predictions sit
/// in its row; arm and answer mask in its `version`), so it inherits its policies:
/// fixed capacity (rounded up to a power of two; the oldest unlabelled entry is
/// evicted when full), expiry after `horizon_ns` of event time, counters.
/// Memory allocated at construction; O(1) expected per record/score, never allocates.
/// One thread (the graph's).
template <std::size_t K, class T = float>
class route_book {
  static_assert(K >= 1 && K <= 32, "rill::route_book: between 1 and 32 arms.");

 public:
  static constexpr std::size_t arms = K;
  using value_type = T;
  using buffer_type = pending_buffer<K, T>;
  static constexpr std::int64_t no_horizon = buffer_type::no_horizon;

  explicit route_book(std::size_t capacity, std::int64_t horizon_ns = no_horizon)
      : pending_(capacity, horizon_ns) {}

  /// Predict path: remembers the predictions of the arms in `answered` (bit a set:
  /// preds[a] is arm a's) for event `id`; arm `served` is the one whose answer was
  /// emitted.
  void record(std::uint64_t id, std::int64_t time_ns, std::size_t served, std::uint32_t answered,
              const feature_row<T, K>& preds) noexcept {
    pending_.remember(typename buffer_type::entry{
        id, time_ns, preds, T{}, static_cast<std::uint64_t>(served) | (std::uint64_t{answered} << 8)});
  }

  /// Learn path: scores the label against every prediction recorded for its id.
  /// Returns false (counted by the buffer as unmatched) if none is pending.
  bool score(const label<T>& l) noexcept {
    pending_.expire_before(l.time_ns);
    const auto hit = pending_.take(l.id);
    if (!hit) return false;
    const std::uint32_t answered = static_cast<std::uint32_t>(hit->version >> 8);
    for (std::size_t a = 0; a < K; ++a)
      if (answered >> a & 1u) metrics_[a].update(double(hit->x[a]), double(l.target));
    const std::size_t served = static_cast<std::size_t>(hit->version & 0xff);
    served_metrics_.update(double(hit->x[served]), double(l.target));
    return true;
  }

  /// Prequential metrics of arm `a`'s predictions on labelled events.
  const prequential_metrics& metrics(std::size_t a) const noexcept { return metrics_[a]; }
  /// Prequential metrics of the answers actually emitted, whichever arm gave them.
  const prequential_metrics& served_metrics() const noexcept { return served_metrics_; }
  /// Remembered / matched / expired / evicted / unmatched counts.
  const pending_counters& counters() const noexcept { return pending_.counters(); }
  std::size_t pending() const noexcept { return pending_.size(); }
  /// Clears arm metrics (e.g. after promoting a challenger); pending entries stay.
  void reset_metrics() noexcept {
    metrics_ = {};
    served_metrics_ = {};
  }

 private:
  buffer_type pending_;
  std::array<prequential_metrics, K> metrics_{};
  prequential_metrics served_metrics_{};
};

/// Default routing key: the event id.
struct route_by_id {
  template <class E>
  constexpr std::uint64_t operator()(const E& e) const noexcept {
    return e.id;
  }
};

namespace detail {

template <class... Arms>
struct arms_check {
  using first = std::tuple_element_t<0, std::tuple<Arms...>>;
  using in = typename first::input_type;
  using out = model_output_t<first, in>;
  static_assert((check_model_stage<Arms, in>() && ...));
  static_assert((std::is_same_v<model_output_t<Arms, in>, out> && ...),
                "rill router: every arm must take the same event type and emit the same output "
                "type (the router emits one arm's output in place of another's).");
  static constexpr bool ok = true;
};

/// Calls f(arm) for the arm at runtime index `a` (an unrolled compare chain).
template <class Tuple, class F, std::size_t... I>
RILL_ALWAYS_INLINE void visit_arm(Tuple& arms, std::size_t a, F& f,
                                  std::index_sequence<I...>) noexcept {
  (void)((a == I ? (f(std::get<I>(arms)), true) : false) || ...);
}

}  // namespace detail

/// A/B split: each event goes to exactly one of K arms, chosen by
/// `splitmix64(key(event))` against fixed shares, so a key (user, account,
/// instrument) always meets the same arm and the split is uniform whatever the ids
/// look like. Shares are any non-negative weights (normalised; {90, 10} is a 90/10
/// split); an arm with share 0 never serves.
///
/// As a stage it takes the arms' event and emits the chosen arm's output(s). With a
/// `route_book` it records the answer so `score_routes` can score each arm; pass
/// `nullptr` to route without metrics. Counters: `routed(a)`.
///
/// Cost: one splitmix64, K−1 compares on 53-bit bounds, the arm's call (+ one
/// pending-buffer insert with a book). Never allocates. One thread.
template <class Book, class Key, class... Arms>
class ab_router {
  static constexpr std::size_t K = sizeof...(Arms);
  static_assert(K >= 1 && detail::arms_check<Arms...>::ok);
  static_assert(Book::arms == K,
                "rill::ab_router: the route_book must have as many arms as the router.");

 public:
  using shared_state = Book;
  using input_type = typename detail::arms_check<Arms...>::in;
  using output_type = typename detail::arms_check<Arms...>::out;
  using value_type = typename output_type::value_type;
  static constexpr std::size_t arms = K;
  static_assert(std::is_same_v<typename Book::value_type, value_type>,
                "rill::ab_router: the route_book's value type must be the arms' value type.");

  /// Throws std::invalid_argument if a share is negative or not finite, or all are 0.
  ab_router(Book* book, const std::array<double, K>& shares, Key key, Arms... models)
      : book_(book), key_(std::move(key)), arms_(std::move(models)...) {
    double total = 0;
    for (std::size_t a = 0; a < K; ++a) {
      if (!(shares[a] >= 0) || !std::isfinite(shares[a]))
        throw std::invalid_argument("rill::ab_router: shares[" + std::to_string(a) +
                                    "] must be finite and >= 0");
      total += shares[a];
    }
    if (!(total > 0)) throw std::invalid_argument("rill::ab_router: shares sum to 0");
    double cum = 0;
    for (std::size_t a = 0; a + 1 < K; ++a) {
      cum += shares[a];
      // Bound of arm a in [0, 2^53]: hash values below it (and above the previous) go to a.
      bounds_[a] = static_cast<std::uint64_t>(std::ldexp(std::min(cum / total, 1.0), 53));
    }
  }

  /// The arm that serves key `k` (a pure function of k and the shares).
  std::size_t arm_of_key(std::uint64_t k) const noexcept {
    const std::uint64_t h = splitmix64(k) >> 11;  // 53 uniform bits
    std::size_t a = 0;
    for (std::size_t b = 0; b + 1 < K; ++b) a += h >= bounds_[b];
    return a;
  }
  std::size_t arm_of(const input_type& in) const noexcept { return arm_of_key(key_(in)); }

  template <class Emit>
  RILL_ALWAYS_INLINE void operator()(const input_type& in, Emit&& emit) noexcept {
    const std::size_t a = arm_of(in);
    ++routed_[a];
    feature_row<value_type, K> preds{};
    bool answered = false;
    auto call = [&](auto& arm) noexcept {
      arm(in, [&](const output_type& out) noexcept {
        preds[a] = out.value;
        answered = true;
        emit(out);
      });
    };
    detail::visit_arm(arms_, a, call, std::index_sequence_for<Arms...>{});
    if (book_ != nullptr && answered) book_->record(in.id, in.time_ns, a, std::uint32_t{1} << a, preds);
  }

  /// Events sent to arm `a`.
  std::uint64_t routed(std::size_t a) const noexcept { return routed_[a]; }
  template <std::size_t I>
  auto& arm() noexcept {
    return std::get<I>(arms_);
  }

 private:
  Book* book_;
  [[no_unique_address]] Key key_;
  std::tuple<Arms...> arms_;
  std::array<std::uint64_t, K == 1 ? 1 : K - 1> bounds_{};
  std::array<std::uint64_t, K> routed_{};
};

/// `ab_split(&book, {0.9, 0.1}, champion, challenger)`: an A/B router keyed by event id.
template <class Book, class... Arms>
auto ab_split(Book* book, const std::array<double, sizeof...(Arms)>& shares, Arms... arms) {
  return ab_router<Book, route_by_id, Arms...>(book, shares, route_by_id{}, std::move(arms)...);
}
/// The same, keyed by `key(event)` (a noexcept functor returning std::uint64_t).
template <class Book, class Key, class... Arms>
auto ab_split_by(Book* book, const std::array<double, sizeof...(Arms)>& shares, Key key,
                 Arms... arms) {
  return ab_router<Book, Key, Arms...>(book, shares, std::move(key), std::move(arms)...);
}

/// Shadow routing: every event goes to the champion (arm 0), whose output is
/// emitted, and to each challenger (arms 1..K−1), whose prediction is recorded but
/// never emitted. With a `route_book`, `score_routes` scores every arm on the same
/// labels, the fair comparison for a promotion decision.
///
/// Cost: all K arms run on every event (the challengers' cost is the price of the
/// comparison), plus one pending-buffer insert with a book. Counters: `shadowed()`
/// challenger predictions recorded; `last(a)` the latest prediction of arm a.
/// Never allocates. One thread.
template <class Book, class Champion, class... Challengers>
class shadow_router {
  static constexpr std::size_t K = 1 + sizeof...(Challengers);
  static_assert(detail::arms_check<Champion, Challengers...>::ok);
  static_assert(Book::arms == K,
                "rill::shadow_router: the route_book must have one arm per model "
                "(champion + challengers).");

 public:
  using shared_state = Book;
  using input_type = typename detail::arms_check<Champion, Challengers...>::in;
  using output_type = typename detail::arms_check<Champion, Challengers...>::out;
  using value_type = typename output_type::value_type;
  static constexpr std::size_t arms = K;
  static_assert(std::is_same_v<typename Book::value_type, value_type>,
                "rill::shadow_router: the route_book's value type must be the arms' value type.");

  shadow_router(Book* book, Champion champion, Challengers... challengers)
      : book_(book), champion_(std::move(champion)), challengers_(std::move(challengers)...) {}

  template <class Emit>
  RILL_ALWAYS_INLINE void operator()(const input_type& in, Emit&& emit) noexcept {
    std::uint32_t answered = 0;
    champion_(in, [&](const output_type& out) noexcept {
      last_[0] = out.value;
      answered |= 1u;
      emit(out);
    });
    run_challengers(in, answered, std::index_sequence_for<Challengers...>{});
    // Only events the champion answered are booked: the book's served arm is 0, and an
    // event it did not answer would otherwise be scored with its previous value.
    if (book_ != nullptr && (answered & 1u) != 0) book_->record(in.id, in.time_ns, 0, answered, last_);
  }

  /// Challenger predictions recorded (never emitted).
  std::uint64_t shadowed() const noexcept { return shadowed_; }
  /// The latest prediction of arm `a` (0 = champion).
  value_type last(std::size_t a) const noexcept { return last_[a]; }
  Champion& champion() noexcept { return champion_; }
  template <std::size_t I>
  auto& challenger() noexcept {
    return std::get<I>(challengers_);
  }

 private:
  template <std::size_t... I>
  RILL_ALWAYS_INLINE void run_challengers(const input_type& in, std::uint32_t& answered,
                                          std::index_sequence<I...>) noexcept {
    (std::get<I>(challengers_)(in,
                               [&](const output_type& out) noexcept {
                                 last_[I + 1] = out.value;  // recorded, not emitted
                                 answered |= 1u << (I + 1);
                                 ++shadowed_;
                               }),
     ...);
  }

  Book* book_;
  Champion champion_;
  std::tuple<Challengers...> challengers_;
  feature_row<value_type, K> last_{};
  std::uint64_t shadowed_ = 0;
};

template <class Book, class Champion, class... Challengers>
shadow_router(Book*, Champion, Challengers...) -> shadow_router<Book, Champion, Challengers...>;

/// Learn-path stage: scores each `label` into the route book's per-arm metrics and
/// passes it on unchanged (so a join and learner can follow). O(1) expected; never
/// allocates.
template <class Book>
class score_routes {
 public:
  using shared_state = Book;
  using value_type = typename Book::value_type;
  using input_type = label<value_type>;
  using output_type = label<value_type>;

  explicit score_routes(Book& book) noexcept : book_(&book) {}

  template <class Emit>
  RILL_ALWAYS_INLINE void operator()(const input_type& in, Emit&& emit) noexcept {
    book_->score(in);
    emit(in);
  }

 private:
  Book* book_;
};

RILL_NAMESPACE_END
