// Feature assembly: one stage that runs several derived-feature stages on the
// same event and concatenates their rows (optionally after the raw row) into
// the fixed-width row a model takes. The width is a compile-time constant.
#pragma once

#include <concepts>
#include <cstddef>
#include <cstdint>
#include <tuple>
#include <type_traits>
#include <utility>

#include "rill/config.hpp"
#include "rill/core/event.hpp"
#include "rill/core/stage.hpp"

RILL_NAMESPACE_BEGIN
namespace detail {

// A trivially copyable list of parts (std::tuple is not, in libstdc++).
template <class... P>
struct part_list {};
template <class P, class... R>
struct part_list<P, R...> {
  P head;
  [[no_unique_address]] part_list<R...> tail;
};

template <class... P>
constexpr part_list<P...> make_part_list(P... p) {
  if constexpr (sizeof...(P) == 0) {
    return {};
  } else {
    return [](auto head, auto... rest) {
      return part_list<decltype(head), decltype(rest)...>{std::move(head),
                                                          make_part_list(std::move(rest)...)};
    }(std::move(p)...);
  }
}

/// A part that can write its row straight into the assembled row (rolling, ewm):
/// `emit_into(in, dst)` is its call with the row written at dst, false if it produced
/// nothing; dst must not overlap `in` (a part may write a column before it has read
/// all of the input row), which the assembled row, a member of the stage, never does.
/// Other parts emit an event that is copied in.
template <class P>
concept writes_row_in_place =
    requires(P &p, const typename P::input_type &in, typename P::output_type::value_type *dst) {
      { p.emit_into(in, dst) } noexcept -> std::same_as<bool>;
    };

}  // namespace detail

/// Runs every part on each event and emits one `event<output_width, T>`: the
/// raw row first when `KeepRaw`, then each part's row in order. Every part must
/// take the same `event<D, T>` and emit an event with the same value type, at
/// most once per input. If a part emits nothing (a NaN policy skipped the row),
/// the stage emits nothing and counts it in `incomplete()`.
///
/// The row is kept in the stage and filled in place: parts that can (rolling, ewm)
/// write their columns straight into it, others emit an event that is copied
/// in. `emit` gets a reference to that row, valid until the next call.
///
/// Complexity: the parts' plus the copies of parts that cannot write in place; no
/// allocation; trivially copyable when the parts are; one thread.
template <bool KeepRaw, class... Parts>
class assemble_stage {
  static_assert(sizeof...(Parts) > 0, "rill::assemble needs at least one derived-feature stage");
  using first = std::tuple_element_t<0, std::tuple<Parts...>>;

 public:
  using input_type = typename first::input_type;
  static_assert(is_event_v<input_type>, "rill::assemble takes stages whose input is a rill::event");
  static_assert((std::is_same_v<typename Parts::input_type, input_type> && ...),
                "rill::assemble: every part must take the same event type as "
                "the first part");
  using value_type = typename input_type::value_type;
  static_assert((std::is_same_v<typename Parts::output_type::value_type, value_type> && ...),
                "rill::assemble: every part must emit events of the same value type as "
                "its input");
  static constexpr std::size_t raw_width = KeepRaw ? input_type::width : 0;
  static constexpr std::size_t output_width = raw_width + (Parts::output_type::width + ...);
  using output_type = event<output_width, value_type>;

  constexpr explicit assemble_stage(Parts... parts)
      : parts_{detail::make_part_list(std::move(parts)...)} {}

  template <class Emit>
  RILL_STAGE_INLINE void operator()(const input_type &in, Emit &&emit) noexcept {
    // A member, not a local: a local event would be zeroed on every call before the
    // parts overwrite every column of it.
    out_.id = in.id;
    out_.time_ns = in.time_ns;
    if constexpr (KeepRaw) {
      for (std::size_t i = 0; i < raw_width; ++i) out_.x[i] = in.x[i];
    }
    std::size_t produced = 0;
    run<raw_width>(parts_, in, out_, produced);
    if (RILL_UNLIKELY(produced != sizeof...(Parts))) {
      ++incomplete_;
      return;
    }
    emit(out_);
  }

  /// Events dropped because a part emitted nothing for them.
  std::uint64_t incomplete() const noexcept { return incomplete_; }
  /// The I-th part, to read its counters or statistics.
  template <std::size_t I>
  auto &part() noexcept {
    return get<I>(parts_);
  }

 private:
  template <std::size_t I, class L>
  static auto &get(L &l) noexcept {
    if constexpr (I == 0) {
      return l.head;
    } else {
      return get<I - 1>(l.tail);
    }
  }

  template <std::size_t Offset, class L>
  static RILL_STAGE_INLINE void run(L &l, const input_type &in, output_type &out,
                                    std::size_t &produced) noexcept {
    if constexpr (!std::is_same_v<L, detail::part_list<>>) {
      using part = std::remove_cvref_t<decltype(l.head)>;
      using part_out = typename part::output_type;
      if constexpr (detail::writes_row_in_place<part>) {
        produced += l.head.emit_into(in, out.x.data() + Offset) ? 1 : 0;
      } else {
        l.head(in, [&](const part_out &o) noexcept {
          for (std::size_t i = 0; i < part_out::width; ++i) out.x[Offset + i] = o.x[i];
          ++produced;
        });
      }
      run<Offset + part_out::width>(l.tail, in, out, produced);
    }
  }

  detail::part_list<Parts...> parts_;
  output_type out_{};
  std::uint64_t incomplete_ = 0;
};

/// The raw row followed by every part's row.
template <class... Parts>
constexpr assemble_stage<true, Parts...> assemble(Parts... parts) {
  return assemble_stage<true, Parts...>(std::move(parts)...);
}
/// Only the parts' rows, without the raw row.
template <class... Parts>
constexpr assemble_stage<false, Parts...> assemble_derived(Parts... parts) {
  return assemble_stage<false, Parts...>(std::move(parts)...);
}

RILL_NAMESPACE_END
