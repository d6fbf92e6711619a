// Checkpoints: named arrays in a versioned, checksummed binary file, replaced
// atomically on disk; save and restore of linear models and learner state
// (compiled part: src/checkpoint.cpp). Layout: docs/formats.md.
#pragma once

#include <array>
#include <cstddef>
#include <cstdint>
#include <filesystem>
#include <functional>
#include <ranges>
#include <set>
#include <span>
#include <stdexcept>
#include <string>
#include <string_view>
#include <type_traits>
#include <utility>
#include <vector>

#include "rill/config.hpp"
#include "rill/core/event.hpp"

RILL_NAMESPACE_BEGIN

/// CRC-32C (Castagnoli, reflected polynomial 0x82F63B78), software table. Pass the
/// previous result as `crc` to continue over more data. O(n), noexcept, thread-safe.
std::uint32_t crc32c(std::span<const std::byte> data, std::uint32_t crc = 0) noexcept;

/// The checkpoint format this build writes and the newest it reads.
inline constexpr std::uint32_t checkpoint_format_version = 1;

/// Element type of one checkpoint field (the byte stored in the file).
enum class checkpoint_type : std::uint8_t { f32 = 1, f64 = 2, u64 = 3, i64 = 4, bytes = 5 };

/// "f32", "f64", "u64", "i64", "bytes" (or "unknown").
std::string_view to_string(checkpoint_type t) noexcept;

/// A checkpoint that cannot be written, read or restored. `what()` reads
/// "checkpoint SOURCE: [field 'NAME' ]reason"; `field()` is empty when the error is
/// about the whole file.
class checkpoint_error : public std::runtime_error {
 public:
  checkpoint_error(std::string source, std::string field, const std::string& reason);
  const std::string& source() const noexcept { return source_; }
  const std::string& field() const noexcept { return field_; }

 private:
  std::string source_, field_;
};

namespace detail {
template <class T>
consteval checkpoint_type checkpoint_code() noexcept {
  if constexpr (std::is_same_v<T, float>) {
    return checkpoint_type::f32;
  } else if constexpr (std::is_same_v<T, double>) {
    return checkpoint_type::f64;
  } else if constexpr (std::is_same_v<T, std::byte> || std::is_same_v<T, unsigned char> ||
                       std::is_same_v<T, char>) {
    return checkpoint_type::bytes;
  } else if constexpr (std::is_integral_v<T> && !std::is_same_v<T, bool> && sizeof(T) == 8) {
    // uint64_t, size_t and unsigned long long are all one 8-byte layout.
    return std::is_unsigned_v<T> ? checkpoint_type::u64 : checkpoint_type::i64;
  } else {
    return checkpoint_type{0};
  }
}
}  // namespace detail

/// A C++ type stored as-is in a checkpoint: float, double, 64-bit integers, bytes.
template <class T>
concept checkpoint_element = detail::checkpoint_code<std::remove_cv_t<T>>() != checkpoint_type{0};

/// Collects named fields and writes them as one checkpoint file.
///
/// `add` serialises at once (allocates: the writer keeps the file image in memory);
/// names are unique, 1 to 65535 bytes. Not thread-safe; not for the hot path.
class checkpoint_writer {
 public:
  /// Adds `values` (a span, vector, std::array, feature_row...) under `name`; throws
  /// std::invalid_argument if the name is empty, too long or already used.
  template <std::ranges::contiguous_range R>
    requires checkpoint_element<std::ranges::range_value_t<R>>
  void add(std::string_view name, const R& values) {
    using V = std::remove_cv_t<std::ranges::range_value_t<R>>;
    add_raw(name, detail::checkpoint_code<V>(), std::ranges::data(values),
            static_cast<std::size_t>(std::ranges::size(values)));
  }
  /// Adds one value (a field of count 1).
  template <checkpoint_element T>
  void add(std::string_view name, const T& value) {
    add_raw(name, detail::checkpoint_code<std::remove_cv_t<T>>(), &value, 1);
  }
  /// Adds a string as a `bytes` field.
  void add_string(std::string_view name, std::string_view text) {
    add_raw(name, checkpoint_type::bytes, text.data(), text.size());
  }

  std::size_t size() const noexcept { return count_; }  ///< fields added so far

  /// The complete file image: header, records, CRC-32C.
  std::vector<std::byte> bytes() const;

  /// Writes the checkpoint so that a crash at any moment leaves either the old file
  /// or the new one at `path`, never a mix: writes `path.tmp.<pid>`, fsync()s it,
  /// rename()s it over `path`, then fsync()s the directory. A crash can leave the
  /// temporary file behind; `load` never reads it (see remove_checkpoint_temps).
  /// One writer per path at a time (two in one process share the temporary name).
  /// Throws checkpoint_error naming the path and the failing call.
  void save_atomic(const std::filesystem::path& path) const;

 private:
  void add_raw(std::string_view name, checkpoint_type type, const void* data, std::size_t count);

  std::vector<std::byte> records_;
  std::set<std::string, std::less<>> names_;
  std::uint32_t count_ = 0;
};

/// Type and element count of one field.
struct checkpoint_field {
  std::string name;
  checkpoint_type type;
  std::uint64_t count;
};

/// A checkpoint in memory, validated and indexed (default-constructed: empty).
///
/// `load`/`parse` check, in order: the magic, the format version, the CRC-32C of
/// everything before it, then every record against the bytes that remain (no read
/// past the end, no duplicate names, nothing after the last record). Every failure is
/// a checkpoint_error naming the source and, where there is one, the field. Loading
/// allocates (a copy of the file and an index); reads are O(log fields + count).
/// Const member functions are safe to call from many threads.
class checkpoint_reader {
 public:
  /// Reads and validates the file at `path` (only `path`: temporary files are ignored).
  static checkpoint_reader load(const std::filesystem::path& path);
  /// Validates a checkpoint image in memory (copied); `source_name` names it in errors.
  static checkpoint_reader parse(std::span<const std::byte> data, std::string source_name);

  const std::string& source() const noexcept { return source_; }
  std::size_t size() const noexcept { return entries_.size(); }  ///< number of fields
  bool contains(std::string_view name) const noexcept { return find(name) != nullptr; }
  /// Type and count of `name`; throws checkpoint_error if there is no such field.
  checkpoint_field field(std::string_view name) const;
  /// All fields, in file order.
  std::vector<checkpoint_field> fields() const;

  /// Throws unless `name` holds exactly `count` values of type T.
  template <checkpoint_element T>
  void expect(std::string_view name, std::size_t count) const {
    expect_raw(name, detail::checkpoint_code<std::remove_cv_t<T>>(), count);
  }
  /// Copies field `name` into `out`; throws unless it holds out.size() values of type T.
  template <checkpoint_element T>
  void read(std::string_view name, std::span<T> out) const {
    read_raw(name, detail::checkpoint_code<std::remove_cv_t<T>>(), out.data(), out.size());
  }
  /// The single value of field `name` (a field of count 1 and type T).
  template <checkpoint_element T>
  T get(std::string_view name) const {
    T v{};
    read(name, std::span<T>(&v, 1));
    return v;
  }
  /// Every value of field `name`, however many there are (allocates).
  template <checkpoint_element T>
  std::vector<T> get_vector(std::string_view name) const {
    std::vector<T> v(static_cast<std::size_t>(field(name).count));
    read(name, std::span<T>(v));
    return v;
  }
  /// A `bytes` field as text.
  std::string get_string(std::string_view name) const {
    std::string s(static_cast<std::size_t>(field(name).count), '\0');
    read(name, std::span<char>(s));
    return s;
  }

 private:
  struct entry {
    std::size_t name_offset;
    std::uint16_t name_size;
    checkpoint_type type;
    std::uint64_t count;
    std::size_t payload_offset;
  };
  std::string_view name_of(const entry& e) const noexcept;
  const entry* find(std::string_view name) const noexcept;
  const entry& require(std::string_view name) const;
  void expect_raw(std::string_view name, checkpoint_type type, std::size_t count) const;
  void read_raw(std::string_view name, checkpoint_type type, void* out, std::size_t count) const;

  std::string source_;
  std::vector<std::byte> data_;
  std::vector<entry> entries_;     // in file order
  std::vector<std::uint32_t> order_;  // entries_ indices sorted by name
};

/// Removes temporary files (`<path>.tmp.<anything>`) that interrupted `save_atomic`
/// calls left beside `path`; returns how many. Call it only when no other process is
/// saving to `path` (it would delete that writer's file in flight).
std::size_t remove_checkpoint_temps(const std::filesystem::path& path);

// ---------------------------------------------------------------------------------
// Models and learner state

namespace detail {

std::string checkpoint_field_name(std::string_view prefix, std::string_view name);

// State members are arithmetic values, feature rows and std::arrays of either; each
// is stored as one flat field of its widened element type.
template <class X>
struct state_layout {
  static_assert(std::is_arithmetic_v<X>,
                "rill checkpoints store state members that are numbers, feature rows or "
                "std::arrays of them");
  using leaf = X;
  static constexpr std::size_t count = 1;
  template <class Y, class F>
  static void for_each(Y& x, F&& f) {
    f(x);
  }
};
template <class T, std::size_t D>
struct state_layout<feature_row<T, D>> {
  using leaf = T;
  static constexpr std::size_t count = D;
  template <class Y, class F>
  static void for_each(Y& x, F&& f) {
    for (auto& v : x.values) f(v);
  }
};
template <class X, std::size_t N>
struct state_layout<std::array<X, N>> {
  using leaf = typename state_layout<X>::leaf;
  static constexpr std::size_t count = N * state_layout<X>::count;
  template <class Y, class F>
  static void for_each(Y& x, F&& f) {
    for (auto& e : x) state_layout<X>::for_each(e, f);
  }
};

// How a leaf type is stored: floating point as itself, bool as a byte, other
// integers widened to 64 bits (range-checked when read back).
template <class L>
using stored_t = std::conditional_t<
    std::is_floating_point_v<L>, L,
    std::conditional_t<std::is_same_v<L, bool>, unsigned char,
                       std::conditional_t<std::is_signed_v<L>, std::int64_t, std::uint64_t>>>;

template <class X>
void save_member(checkpoint_writer& w, const std::string& name, const X& x) {
  using layout = state_layout<std::remove_cv_t<X>>;
  using S = stored_t<typename layout::leaf>;
  std::vector<S> flat;
  flat.reserve(layout::count);
  layout::for_each(x, [&](const auto& v) { flat.push_back(static_cast<S>(v)); });
  w.add(name, flat);
}

// Out of line so that this header still compiles with -fno-exceptions.
[[noreturn]] void throw_state_range(const checkpoint_reader& r, const std::string& name);
[[noreturn]] void throw_link_mismatch(const checkpoint_reader& r, const std::string& name,
                                      std::uint64_t saved, std::uint64_t expected);

// Reads a member into a temporary and range-checks it; stores it only if `apply`.
template <class X>
void load_member(const checkpoint_reader& r, const std::string& name, X& x, bool apply) {
  using layout = state_layout<X>;
  using L = typename layout::leaf;
  using S = stored_t<L>;
  std::vector<S> flat(layout::count);
  r.read(name, std::span<S>(flat));
  if constexpr (!std::is_same_v<S, L>) {
    for (const S v : flat) {
      if constexpr (std::is_same_v<L, bool>) {
        if (v > 1) throw_state_range(r, name);
      } else if (!std::in_range<L>(v)) {
        throw_state_range(r, name);
      }
    }
  }
  if (!apply) return;
  std::size_t i = 0;
  layout::for_each(x, [&](auto& v) { v = static_cast<L>(flat[i++]); });
}

struct state_probe {
  template <class X>
  void operator()(std::string_view, X&) const noexcept {}
};

}  // namespace detail

/// A learner whose private state can be saved: it has `visit_state(v)` calling
/// `v("name", member)` for every member that changes while it learns.
template <class L>
concept checkpointable_state = requires(L& l) { l.visit_state(detail::state_probe{}); };

/// The shape of `rill::linear_model<D, T, Link>` (kept as a concept so this header
/// does not pull in the SIMD kernels).
template <class M>
concept checkpointable_linear_model = requires(M& m) {
  M::width;
  M::link;
  m.weights;
  m.bias;
  m.version;
} && !checkpointable_state<M>;

/// Saves a linear model's weights, bias, version and link as fields
/// `<prefix>.weights`, `.bias`, `.version`, `.link` (no dot when prefix is empty).
/// Allocates; O(D).
template <checkpointable_linear_model M>
void save_state(checkpoint_writer& w, const M& model, std::string_view prefix) {
  detail::save_member(w, detail::checkpoint_field_name(prefix, "weights"), model.weights);
  detail::save_member(w, detail::checkpoint_field_name(prefix, "bias"), model.bias);
  detail::save_member(w, detail::checkpoint_field_name(prefix, "version"), model.version);
  w.add(detail::checkpoint_field_name(prefix, "link"), static_cast<std::uint64_t>(M::link));
}

/// Restores a model saved by `save_state`. Every field is checked (type, count,
/// link) before anything is written, so on a checkpoint_error — e.g. "field
/// 'model.weights' has 8 values, 16 expected" — `model` is unchanged.
template <checkpointable_linear_model M>
void load_state(const checkpoint_reader& r, M& model, std::string_view prefix) {
  const std::string link_name = detail::checkpoint_field_name(prefix, "link");
  const auto link = r.get<std::uint64_t>(link_name);
  if (link != static_cast<std::uint64_t>(M::link))
    detail::throw_link_mismatch(r, link_name, link, static_cast<std::uint64_t>(M::link));
  for (const bool apply : {false, true}) {
    detail::load_member(r, detail::checkpoint_field_name(prefix, "weights"), model.weights, apply);
    detail::load_member(r, detail::checkpoint_field_name(prefix, "bias"), model.bias, apply);
    detail::load_member(r, detail::checkpoint_field_name(prefix, "version"), model.version, apply);
  }
}

/// Saves a learner's state (optimiser slots, counters, pending mini-batch; not its
/// settings) as fields `<prefix>.<member>`. Allocates; O(state size).
template <checkpointable_state L>
void save_state(checkpoint_writer& w, const L& state, std::string_view prefix) {
  // visit_state is one non-const member serving save and load; this visitor only
  // reads, so calling it through const_cast on a const object is well defined.
  const_cast<L&>(state).visit_state([&](std::string_view name, const auto& member) {
    detail::save_member(w, detail::checkpoint_field_name(prefix, name), member);
  });
}

/// Restores learner state saved by `save_state` into a learner built with the same
/// settings (settings are not stored: the caller rebuilds them); it then continues
/// exactly where the saved one stopped. All fields are checked before any is written.
template <checkpointable_state L>
void load_state(const checkpoint_reader& r, L& state, std::string_view prefix) {
  for (const bool apply : {false, true})
    state.visit_state([&](std::string_view name, auto& member) {
      detail::load_member(r, detail::checkpoint_field_name(prefix, name), member, apply);
    });
}

RILL_NAMESPACE_END
