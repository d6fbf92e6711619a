// libFuzzer target for the checkpoint reader (clang -fsanitize=fuzzer), or linked with
// standalone_main.cpp to replay fuzz/corpus/checkpoint and fuzz/regressions/checkpoint.
// Each input is parsed twice: as it is (the checksum path) and with its last four
// bytes replaced by the correct CRC-32C, so mutations reach the record parser that a
// checksum would otherwise guard. Malformed input must be a std::runtime_error.
#include <cstddef>
#include <cstdint>
#include <span>
#include <stdexcept>
#include <vector>

#include "rill/io/checkpoint.hpp"
#include "rill/learn/linear_learner.hpp"
#include "rill/model/linear.hpp"

namespace {

using model_t = rill::linear_model<4, float>;
using learner_t = rill::linear_learner<rill::logistic_loss, rill::adam_optimizer>::learner<model_t>;

void exercise(std::span<const std::byte> bytes) {
  try {
    const auto r = rill::checkpoint_reader::parse(bytes, "fuzz.ckpt");
    // Everything a valid checkpoint holds must read back.
    double sink = 0;
    for (const auto& f : r.fields()) {
      switch (f.type) {
        case rill::checkpoint_type::f32:
          for (const float v : r.get_vector<float>(f.name)) sink += v;
          break;
        case rill::checkpoint_type::f64:
          for (const double v : r.get_vector<double>(f.name)) sink += v;
          break;
        case rill::checkpoint_type::u64:
          for (const auto v : r.get_vector<std::uint64_t>(f.name)) sink += double(v);
          break;
        case rill::checkpoint_type::i64:
          for (const auto v : r.get_vector<std::int64_t>(f.name)) sink += double(v);
          break;
        case rill::checkpoint_type::bytes:
          sink += double(r.get_string(f.name).size());
          break;
      }
      if (!r.contains(f.name) || r.field(f.name).count != f.count) __builtin_trap();
    }
    volatile double keep = sink;
    (void)keep;
    // Restoring a model and a learner from arbitrary fields: errors, never a crash.
    model_t m{};
    learner_t l(rill::linear_learner<rill::logistic_loss, rill::adam_optimizer>{});
    try {
      load_state(r, m, "model");
    } catch (const std::runtime_error&) {
    }
    load_state(r, l, "learner");
  } catch (const std::runtime_error&) {
    // a clear error is the correct outcome for malformed input
  }
}

}  // namespace

extern "C" int LLVMFuzzerTestOneInput(const std::uint8_t* data, std::size_t size) {
  const std::span<const std::byte> in(reinterpret_cast<const std::byte*>(data), size);
  exercise(in);
  if (size >= 4) {
    std::vector<std::byte> fixed(in.begin(), in.end());
    const std::uint32_t crc = rill::crc32c(std::span<const std::byte>(fixed).first(size - 4));
    for (std::size_t i = 0; i < 4; ++i) fixed[size - 4 + i] = static_cast<std::byte>(crc >> (8 * i));
    exercise(fixed);
  }
  return 0;
}
