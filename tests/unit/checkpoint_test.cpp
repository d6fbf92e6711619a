// Checkpoints: the byte layout, rejection of every corruption, and exact continuation
// of restored models and learners.
#include "rill/io/checkpoint.hpp"

#include <unistd.h>

#include <bit>
#include <cstring>
#include <filesystem>
#include <fstream>
#include <iterator>
#include <limits>
#include <random>
#include <string>
#include <vector>

#include "catch.hpp"
#include "rill/learn/linear_learner.hpp"
#include "rill/learn/sklearn_sgd.hpp"
#include "rill/model/linear.hpp"

namespace {

using bytes_t = std::vector<std::byte>;

// Bit-at-a-time CRC-32C, the definition the table version must agree with.
std::uint32_t naive_crc32c(const bytes_t& data) {
  std::uint32_t crc = 0xFFFFFFFFu;
  for (const std::byte b : data) {
    crc ^= static_cast<std::uint32_t>(b);
    for (int k = 0; k < 8; ++k) crc = (crc >> 1) ^ (0x82F63B78u & (0u - (crc & 1u)));
  }
  return ~crc;
}

bytes_t as_bytes(std::string_view s) {
  bytes_t b(s.size());
  if (!s.empty()) std::memcpy(b.data(), s.data(), s.size());
  return b;
}

void put(bytes_t& out, std::uint64_t v, int n) {
  for (int i = 0; i < n; ++i) out.push_back(std::byte(v >> (8 * i)));
}

// A hand-built file image: header, `body` (records), then a correct CRC-32C.
bytes_t forge(std::uint32_t version, std::uint32_t records, const bytes_t& body) {
  bytes_t out = as_bytes("RILLCKPT");
  put(out, version, 4);
  put(out, records, 4);
  out.insert(out.end(), body.begin(), body.end());
  put(out, naive_crc32c(out), 4);
  return out;
}

void record(bytes_t& out, std::string_view name, std::uint8_t type, std::uint64_t count,
            const bytes_t& payload) {
  put(out, name.size(), 2);
  const bytes_t n = as_bytes(name);
  out.insert(out.end(), n.begin(), n.end());
  out.push_back(std::byte(type));
  put(out, count, 8);
  out.insert(out.end(), payload.begin(), payload.end());
}

std::string parse_error(const bytes_t& b) {
  try {
    (void)rill::checkpoint_reader::parse(b, "mem");
  } catch (const std::runtime_error& e) {
    return e.what();
  }
  return "(accepted)";
}

rill::checkpoint_writer small_checkpoint() {
  rill::checkpoint_writer w;
  const float weights[3] = {1.5f, -2.0f, 0.25f};
  w.add("weights", std::span<const float>(weights));
  w.add("t", std::uint64_t{42});
  w.add("offset", std::int64_t{-7});
  w.add("rate", 0.125);
  w.add_string("tag", "ok");
  return w;
}

struct temp_dir {
  std::filesystem::path path = std::filesystem::temp_directory_path() /
                               ("rill_checkpoint_test_" + std::to_string(::getpid()));
  temp_dir() { std::filesystem::create_directories(path); }
  ~temp_dir() { std::filesystem::remove_all(path); }
};

}  // namespace

TEST_CASE("crc32c: the standard check value and a bitwise recomputation", "[checkpoint]") {
  const bytes_t check = as_bytes("123456789");
  CHECK(rill::crc32c(check) == 0xE3069283u);
  CHECK(naive_crc32c(check) == 0xE3069283u);
  CHECK(rill::crc32c({}) == 0u);
  std::mt19937_64 rng(7);
  bytes_t data(1000);
  for (auto& b : data) b = std::byte(rng());
  CHECK(rill::crc32c(data) == naive_crc32c(data));
  // Continuing over a split gives the CRC of the whole.
  const std::span<const std::byte> all(data);
  CHECK(rill::crc32c(all.subspan(333), rill::crc32c(all.first(333))) == naive_crc32c(data));
}

TEST_CASE("checkpoint: the file image is the documented layout, byte for byte", "[checkpoint]") {
  rill::checkpoint_writer w;
  const float v[2] = {1.0f, -0.5f};
  w.add("w", std::span<const float>(v));
  w.add("n", std::uint64_t{0x0102030405060708ULL});
  bytes_t body;
  record(body, "w", 1, 2, {std::byte{0x00}, std::byte{0x00}, std::byte{0x80}, std::byte{0x3F},
                           std::byte{0x00}, std::byte{0x00}, std::byte{0x00}, std::byte{0xBF}});
  record(body, "n", 3, 1, {std::byte{8}, std::byte{7}, std::byte{6}, std::byte{5}, std::byte{4},
                           std::byte{3}, std::byte{2}, std::byte{1}});
  CHECK(w.bytes() == forge(1, 2, body));
}

TEST_CASE("checkpoint: every element type round-trips exactly", "[checkpoint]") {
  rill::checkpoint_writer w;
  const std::vector<float> f = {0.0f, -0.0f, 1e-45f, 3.4e38f, -1.0f / 3.0f};
  const std::array<double, 3> d = {std::numeric_limits<double>::denorm_min(), -1e308, 0.1};
  const std::vector<std::uint64_t> u = {0, ~0ULL, 1ULL << 63};
  const std::vector<std::int64_t> i = {std::numeric_limits<std::int64_t>::min(), -1, 5};
  const std::vector<std::byte> raw = {std::byte{0}, std::byte{255}, std::byte{10}};
  const rill::feature_row<float, 4> row{{1, 2, 3, 4}};
  w.add("f", f);
  w.add("d", d);
  w.add("u", u);
  w.add("i", i);
  w.add("raw", raw);
  w.add("row", row);
  w.add("empty", std::vector<double>{});
  w.add("scalar", 2.5f);
  w.add_string("text", "hello");
  CHECK(w.size() == 9);

  const auto r = rill::checkpoint_reader::parse(w.bytes(), "mem");
  CHECK(r.size() == 9);
  CHECK(r.get_vector<float>("f") == f);
  for (std::size_t k = 0; k < f.size(); ++k)  // signed zero and denormals survive
    CHECK(std::bit_cast<std::uint32_t>(r.get_vector<float>("f")[k]) ==
          std::bit_cast<std::uint32_t>(f[k]));
  std::array<double, 3> d2{};
  r.read("d", std::span<double>(d2));
  CHECK(d2 == d);
  CHECK(r.get_vector<std::uint64_t>("u") == u);
  CHECK(r.get_vector<std::int64_t>("i") == i);
  CHECK(r.get_vector<std::byte>("raw") == raw);
  CHECK(r.get_vector<float>("row") == std::vector<float>{1, 2, 3, 4});
  CHECK(r.get_vector<double>("empty").empty());
  CHECK(r.get<float>("scalar") == 2.5f);
  CHECK(r.get_string("text") == "hello");
  const auto fields = r.fields();  // file order, with types and counts
  REQUIRE(fields.size() == 9);
  CHECK(fields[0].name == "f");
  CHECK(fields[0].type == rill::checkpoint_type::f32);
  CHECK(fields[0].count == 5);
  CHECK(fields[4].type == rill::checkpoint_type::bytes);
  CHECK(fields[8].name == "text");
}

TEST_CASE("checkpoint: the writer refuses bad names", "[checkpoint]") {
  rill::checkpoint_writer w;
  w.add("a", 1.0);
  CHECK_THROWS_AS(w.add("a", 2.0), std::invalid_argument);
  CHECK_THROWS_AS(w.add("", 2.0), std::invalid_argument);
  CHECK_THROWS_AS(w.add(std::string(70000, 'x'), 2.0), std::invalid_argument);
  CHECK(w.size() == 1);
}

TEST_CASE("checkpoint: save_atomic writes, replaces and leaves no temporary", "[checkpoint]") {
  temp_dir dir;
  const auto path = dir.path / "state.ckpt";
  CHECK_THROWS_WITH(rill::checkpoint_reader::load(path),
                    Catch::Contains("checkpoint " + path.string() + ": cannot open"));
  small_checkpoint().save_atomic(path);
  auto r = rill::checkpoint_reader::load(path);
  CHECK(r.get<std::uint64_t>("t") == 42);
  CHECK(r.source() == path.string());

  rill::checkpoint_writer w2;
  w2.add("t", std::uint64_t{43});
  w2.save_atomic(path);
  r = rill::checkpoint_reader::load(path);
  CHECK(r.size() == 1);
  CHECK(r.get<std::uint64_t>("t") == 43);
  CHECK(std::distance(std::filesystem::directory_iterator(dir.path),
                      std::filesystem::directory_iterator()) == 1);

  // A stray temporary from a killed writer is ignored by load and removable.
  { std::ofstream(dir.path / "state.ckpt.tmp.99999") << "partial"; }
  { std::ofstream(dir.path / "other.ckpt.tmp.1") << "not ours"; }
  CHECK(rill::checkpoint_reader::load(path).get<std::uint64_t>("t") == 43);
  CHECK(rill::remove_checkpoint_temps(path) == 1);
  CHECK(std::filesystem::exists(dir.path / "other.ckpt.tmp.1"));
  CHECK(std::filesystem::exists(path));

  // A directory that does not exist is a clear error.
  CHECK_THROWS_WITH(w2.save_atomic(dir.path / "no" / "x.ckpt"),
                    Catch::Contains("creating the temporary file failed"));
}

TEST_CASE("checkpoint: every single-bit flip is rejected", "[checkpoint]") {
  const bytes_t good = small_checkpoint().bytes();
  REQUIRE(parse_error(good) == "(accepted)");
  std::size_t checksum = 0, magic = 0, version = 0;
  for (std::size_t byte = 0; byte < good.size(); ++byte) {
    for (int bit = 0; bit < 8; ++bit) {
      bytes_t bad = good;
      bad[byte] ^= std::byte(1u << bit);
      const std::string e = parse_error(bad);
      INFO("byte " << byte << " bit " << bit << ": " << e);
      REQUIRE(e.rfind("checkpoint mem: ", 0) == 0);
      checksum += e.find("checksum mismatch (file corrupt or truncated)") != std::string::npos;
      magic += e.find("not a rill checkpoint") != std::string::npos;
      version += e.find("format version") != std::string::npos;
    }
  }
  CHECK(magic == 64);          // bits of the magic
  CHECK(version == 32);        // bits of the version field
  CHECK(checksum == good.size() * 8 - 96);
}

TEST_CASE("checkpoint: every truncation is rejected", "[checkpoint]") {
  const bytes_t good = small_checkpoint().bytes();
  for (std::size_t n = 0; n < good.size(); ++n) {
    const bytes_t cut(good.begin(), good.begin() + static_cast<std::ptrdiff_t>(n));
    const std::string e = parse_error(cut);
    INFO("length " << n << ": " << e);
    CHECK(e.rfind("checkpoint mem: ", 0) == 0);
    if (n < 8) CHECK(e == "checkpoint mem: not a rill checkpoint");
    if (n >= 20) CHECK(e == "checkpoint mem: checksum mismatch (file corrupt or truncated)");
  }
  // Appending is also caught (the last four bytes are no longer the checksum).
  bytes_t longer = good;
  longer.push_back(std::byte{0});
  CHECK(parse_error(longer) == "checkpoint mem: checksum mismatch (file corrupt or truncated)");
}

TEST_CASE("checkpoint: header errors name the reason", "[checkpoint]") {
  CHECK(parse_error(forge(7, 0, {})) ==
        "checkpoint mem: format version 7 is newer than this build reads (1)");
  CHECK(parse_error(forge(0, 0, {})) == "checkpoint mem: format version 0 is not valid");
  CHECK(parse_error(as_bytes("{\"format\": \"rill.model\"}")) ==
        "checkpoint mem: not a rill checkpoint");
  CHECK(parse_error(forge(1, 0, {})) == "(accepted)");  // an empty checkpoint is valid
}

TEST_CASE("checkpoint: records with a valid checksum are still bounds-checked", "[checkpoint]") {
  const bytes_t eight(8, std::byte{0});
  bytes_t body;
  record(body, "x", 2, 1, eight);
  CHECK(parse_error(forge(1, 1, body)) == "(accepted)");
  // more records announced than present
  bytes_t short_body;
  record(short_body, "x", 5, 12, bytes_t(12, std::byte{'b'}));
  short_body.push_back(std::byte{0});
  CHECK(parse_error(forge(1, 2, short_body)) ==
        "checkpoint mem: record 1 at byte 40: truncated name length");
  // a record count that cannot fit
  CHECK(parse_error(forge(1, 0xFFFFFFFFu, body)) ==
        "checkpoint mem: 4294967295 records cannot fit in 20 bytes");
  // stray bytes after the last record
  bytes_t stray = body;
  stray.push_back(std::byte{1});
  CHECK(parse_error(forge(1, 1, stray)) == "checkpoint mem: 1 stray bytes after the last record");
  // a name longer than what is left
  bytes_t long_name;
  put(long_name, 500, 2);
  long_name.insert(long_name.end(), 11, std::byte{'a'});
  CHECK(parse_error(forge(1, 1, long_name)).find("name of 500 bytes runs past the last record") !=
        std::string::npos);
  // empty name, unknown type, a count whose byte size overflows, duplicates
  bytes_t empty_name;
  record(empty_name, "", 2, 1, eight);
  CHECK(parse_error(forge(1, 1, empty_name)).find("empty field name") != std::string::npos);
  bytes_t bad_type;
  record(bad_type, "x", 9, 1, eight);
  CHECK(parse_error(forge(1, 1, bad_type)) == "checkpoint mem: field 'x' has unknown element type 9");
  bytes_t huge;
  record(huge, "x", 2, 1ULL << 61, eight);  // 2^61 · 8 wraps to 0 in 64 bits
  CHECK(parse_error(forge(1, 1, huge)) ==
        "checkpoint mem: field 'x' has 2305843009213693952 f64 values, which need more than "
        "the 8 bytes left");
  bytes_t twice;
  record(twice, "x", 2, 1, eight);
  record(twice, "x", 2, 1, eight);
  CHECK(parse_error(forge(1, 2, twice)) == "checkpoint mem: field 'x' appears twice");
  bytes_t no_count;
  put(no_count, 9, 2);
  no_count.insert(no_count.end(), 9, std::byte{'y'});
  no_count.push_back(std::byte{2});
  CHECK(parse_error(forge(1, 1, no_count)) ==
        "checkpoint mem: field 'yyyyyyyyy' is truncated before its type and count");
}

TEST_CASE("checkpoint: reads check name, type and count", "[checkpoint]") {
  const auto r = rill::checkpoint_reader::parse(small_checkpoint().bytes(), "/x/y.ckpt");
  std::vector<float> w16(16);
  CHECK_THROWS_WITH(r.read("weights", std::span<float>(w16)),
                    "checkpoint /x/y.ckpt: field 'weights' has 3 values, 16 expected");
  std::vector<double> d3(3);
  CHECK_THROWS_WITH(r.read("weights", std::span<double>(d3)),
                    "checkpoint /x/y.ckpt: field 'weights' holds f32 values, f64 expected");
  CHECK_THROWS_WITH(r.get<std::uint64_t>("nope"),
                    "checkpoint /x/y.ckpt: field 'nope' is missing (the checkpoint has "
                    "weights, t, offset, rate, tag)");
  CHECK_THROWS_AS(r.get<std::uint64_t>("nope"), rill::checkpoint_error);
  try {
    (void)r.get<std::int64_t>("t");
    FAIL("a u64 field read as i64");
  } catch (const rill::checkpoint_error& e) {
    CHECK(e.source() == "/x/y.ckpt");
    CHECK(e.field() == "t");
  }
  CHECK_FALSE(r.contains("nope"));
  CHECK(r.contains("tag"));
}

TEST_CASE("checkpoint: linear models save, restore and refuse a changed shape", "[checkpoint]") {
  rill::linear_model<8, float> small{};
  for (std::size_t i = 0; i < 8; ++i) small.weights[i] = 0.5f * float(i) - 1.0f;
  small.bias = -3.25f;
  small.version = 77;
  rill::checkpoint_writer w;
  save_state(w, small, "model");
  w.add("extra.field", 1.0);  // fields nobody asks for are ignored
  const auto r = rill::checkpoint_reader::parse(w.bytes(), "/x/y.ckpt");

  rill::linear_model<8, float> back{};
  load_state(r, back, "model");
  CHECK(back.weights == small.weights);
  CHECK(back.bias == small.bias);
  CHECK(back.version == 77);

  rill::linear_model<16, float> wide{};
  wide.bias = 9.0f;
  CHECK_THROWS_WITH(load_state(r, wide, "model"),
                    "checkpoint /x/y.ckpt: field 'model.weights' has 8 values, 16 expected");
  CHECK(wide.bias == 9.0f);  // nothing was written
  rill::linear_model<8, double> dbl{};
  CHECK_THROWS_WITH(load_state(r, dbl, "model"),
                    "checkpoint /x/y.ckpt: field 'model.weights' holds f32 values, f64 expected");
  rill::linear_model<8, float, rill::link_function::identity> regression{};
  CHECK_THROWS_WITH(load_state(r, regression, "model"),
                    Catch::Contains("field 'model.link' was saved by a model with link function"));
  CHECK_THROWS_WITH(load_state(r, back, "other"),
                    Catch::StartsWith("checkpoint /x/y.ckpt: field 'other.link' is missing"));
  // An empty prefix means bare names.
  rill::checkpoint_writer bare;
  save_state(bare, small, "");
  CHECK(rill::checkpoint_reader::parse(bare.bytes(), "m").contains("weights"));
}

// ---------------------------------------------------------------------------------
// Exact continuation of restored learners

namespace {

constexpr std::size_t D = 8;

// A deterministic stream of (x, y); copying it copies its position.
template <class T>
struct stream {
  std::mt19937_64 rng{12345};
  bool classification = false;
  std::pair<rill::feature_row<T, D>, T> next() {
    std::uniform_real_distribution<double> u(-1.0, 1.0);
    rill::feature_row<T, D> x{};
    double m = 0.3;
    for (std::size_t i = 0; i < D; ++i) {
      x[i] = static_cast<T>(u(rng));
      m += (double(i) - 3.5) * 0.4 * double(x[i]);
    }
    m += 0.3 * u(rng);
    return {x, static_cast<T>(classification ? (m > 0 ? 1.0 : 0.0) : m)};
  }
};

template <class T>
std::uint64_t bits(T v) {
  if constexpr (sizeof(T) == 4) {
    return std::bit_cast<std::uint32_t>(v);
  } else {
    return std::bit_cast<std::uint64_t>(v);
  }
}

// Runs `steps` learning steps on (model, learner); returns every prediction made
// before each step, as bit patterns. batch > 1: accumulate `batch` rows per apply.
template <class Model, class Learner, class T>
std::vector<std::uint64_t> run(Model& m, Learner& l, stream<T>& s, int steps, int batch) {
  std::vector<std::uint64_t> out;
  for (int i = 0; i < steps; ++i) {
    const auto row = s.next();
    const auto& x = row.first;
    const T y = row.second;
    out.push_back(bits(m.predict(x)));
    if constexpr (requires { l.accumulate(m, x, y); }) {
      if (batch > 1) {
        l.accumulate(m, x, y);
        if (l.pending_rows() == std::size_t(batch)) l.apply(m);
        continue;
      }
    }
    l.update(m, x, y);
  }
  return out;
}

template <class Model>
std::vector<std::uint64_t> model_bits(const Model& m) {
  std::vector<std::uint64_t> b;
  for (const auto w : m.weights) b.push_back(bits(w));
  b.push_back(bits(m.bias));
  b.push_back(m.version);
  return b;
}

// Learns `before` rows, checkpoints, then checks that a fresh model + learner restored
// from the checkpoint makes the same 1000 predictions and ends with the same weights
// as the uninterrupted original. `learner_matters`: restoring the model alone must
// diverge (the learner's own state is what is being tested).
template <class Model, class Learner, class Settings>
void check_continuation(const Settings& settings, bool classification, int batch,
                        bool learner_matters, bool via_file = false) {
  using T = typename Model::value_type;
  Model a{};
  Learner la(settings);
  stream<T> s;
  s.classification = classification;
  (void)run(a, la, s, 301, batch);  // 301: a mini-batch is part-way when saved
  if constexpr (requires { la.pending_rows(); })
    if (batch > 1) REQUIRE(la.pending_rows() == 5);

  rill::checkpoint_writer w;
  save_state(w, a, "model");
  save_state(w, la, "learner");
  rill::checkpoint_reader r;
  if (via_file) {
    temp_dir dir;
    w.save_atomic(dir.path / "l.ckpt");
    r = rill::checkpoint_reader::load(dir.path / "l.ckpt");
  } else {
    r = rill::checkpoint_reader::parse(w.bytes(), "mem");
  }
  const stream<T> at_save = s;

  const auto original = run(a, la, s, 1000, batch);

  Model b{};
  Learner lb(settings);
  load_state(r, b, "model");
  load_state(r, lb, "learner");
  stream<T> s_restored = at_save;
  const auto restored = run(b, lb, s_restored, 1000, batch);
  CHECK(restored == original);
  CHECK(model_bits(b) == model_bits(a));

  if (learner_matters) {
    Model c{};
    Learner lc(settings);
    load_state(r, c, "model");
    stream<T> s_control = at_save;
    CHECK(run(c, lc, s_control, 1000, batch) != original);
  }
}

template <class T, class Loss, class Opt, class Sched = rill::constant_rate>
using learner_of = typename rill::linear_learner<Loss, Opt, Sched>::template learner<
    rill::linear_model<D, T,
                       Loss::classification ? rill::link_function::logistic
                                            : rill::link_function::identity>>;

template <class T, class Loss>
using model_of = rill::linear_model<D, T,
                                    Loss::classification ? rill::link_function::logistic
                                                         : rill::link_function::identity>;

}  // namespace

TEMPLATE_TEST_CASE("checkpoint: a restored learner continues bit-identically", "[checkpoint]",
                   float, double) {
  using T = TestType;
  SECTION("SGD, squared loss, l2") {
    rill::linear_learner<rill::squared_loss> s;
    s.schedule.eta0 = 0.02;
    s.l2 = 0.01;
    // Plain SGD at a constant rate keeps no state that changes its steps.
    check_continuation<model_of<T, rill::squared_loss>,
                       learner_of<T, rill::squared_loss, rill::sgd_optimizer>>(s, false, 1, false);
  }
  SECTION("Adam, logistic loss, through a file") {
    rill::linear_learner<rill::logistic_loss, rill::adam_optimizer> s;
    s.schedule.eta0 = 0.05;
    check_continuation<model_of<T, rill::logistic_loss>,
                       learner_of<T, rill::logistic_loss, rill::adam_optimizer>>(s, true, 1, true,
                                                                                 true);
  }
  SECTION("FTRL-Proximal") {
    rill::linear_learner<rill::logistic_loss, rill::ftrl_optimizer> s;
    s.optimizer.l1 = 0.01;
    check_continuation<model_of<T, rill::logistic_loss>,
                       learner_of<T, rill::logistic_loss, rill::ftrl_optimizer>>(s, true, 1, true);
  }
  SECTION("SGD with l1 (cumulative truncated gradient) and a decaying rate") {
    rill::linear_learner<rill::squared_loss, rill::sgd_optimizer, rill::inverse_scaling_rate> s;
    s.schedule.eta0 = 0.05;
    s.l1 = 0.002;
    check_continuation<model_of<T, rill::squared_loss>,
                       learner_of<T, rill::squared_loss, rill::sgd_optimizer,
                                  rill::inverse_scaling_rate>>(s, false, 1, true);
  }
  SECTION("Adam mini-batches with rows pending at the checkpoint") {
    rill::linear_learner<rill::squared_loss, rill::adam_optimizer> s;
    s.schedule.eta0 = 0.05;
    check_continuation<model_of<T, rill::squared_loss>,
                       learner_of<T, rill::squared_loss, rill::adam_optimizer>>(s, false, 8, true);
  }
  SECTION("a run-time optimiser (RMSProp) with a raised rate scale") {
    rill::linear_learner<rill::logistic_loss, rill::any_optimizer> s;
    s.optimizer.which = rill::any_optimizer::kind::rmsprop;
    s.schedule.eta0 = 0.02;
    using model_t = model_of<T, rill::logistic_loss>;
    using learner_t = learner_of<T, rill::logistic_loss, rill::any_optimizer>;
    check_continuation<model_t, learner_t>(s, true, 1, true);
    // The rate scale (raised by drift policies) is state too.
    learner_t l(s);
    l.set_rate_scale(3.0);
    rill::checkpoint_writer w;
    save_state(w, l, "l");
    learner_t l2(s);
    load_state(rill::checkpoint_reader::parse(w.bytes(), "m"), l2, "l");
    CHECK(l2.rate_scale() == 3.0);
  }
  SECTION("scikit-learn SGD, optimal schedule, elastic net") {
    using sk = rill::sklearn_sgd<rill::hinge_loss, D, T>;
    typename sk::settings st;
    st.penalty = rill::penalty::elastic_net;
    st.schedule.which = rill::any_schedule::kind::optimal;
    check_continuation<model_of<T, rill::hinge_loss>, sk>(st, true, 1, true);
  }
}

TEST_CASE("checkpoint: learner state is checked before any of it is written", "[checkpoint]") {
  using model_t = rill::linear_model<D, float>;
  using learner_t = rill::linear_learner<rill::logistic_loss, rill::adam_optimizer>::learner<model_t>;
  const rill::linear_learner<rill::logistic_loss, rill::adam_optimizer> s;
  model_t m{};
  learner_t l(s);
  stream<float> st;
  st.classification = true;
  (void)run(m, l, st, 10, 1);
  rill::checkpoint_writer w;
  save_state(w, l, "learner");
  const auto good = rill::checkpoint_reader::parse(w.bytes(), "mem");
  CHECK(good.field("learner.slots").count == 2 * D);  // Adam: m and v per weight
  CHECK(good.field("learner.received_l1").type == rill::checkpoint_type::f64);

  // A checkpoint of a narrower learner: t would load, slots would not.
  using narrow_t = rill::linear_learner<rill::logistic_loss, rill::adam_optimizer>::learner<
      rill::linear_model<4, float>>;
  narrow_t narrow(s);
  rill::checkpoint_writer wn;
  save_state(wn, narrow, "learner");
  learner_t target(s);
  (void)run(m, target, st, 5, 1);
  CHECK_THROWS_WITH(load_state(rill::checkpoint_reader::parse(wn.bytes(), "mem"), target, "learner"),
                    "checkpoint mem: field 'learner.slots' has 8 values, 16 expected");
  CHECK(target.updates() == 5);  // t was not overwritten with narrow's 0
}
