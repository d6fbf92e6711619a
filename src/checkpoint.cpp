#include "rill/io/checkpoint.hpp"

#include <fcntl.h>
#include <sys/stat.h>
#include <unistd.h>

#include <algorithm>
#include <bit>
#include <cerrno>
#include <cstring>
#include <system_error>

#include <fmt/format.h>

RILL_NAMESPACE_BEGIN

namespace {

constexpr char magic[8] = {'R', 'I', 'L', 'L', 'C', 'K', 'P', 'T'};
constexpr std::size_t header_size = 16;  // magic, version, record count
constexpr std::size_t trailer_size = 4;  // CRC-32C
constexpr std::size_t min_record_size = 2 + 1 + 1 + 8;  // a 1-byte name, type, count

constexpr std::array<std::uint32_t, 256> crc_table = [] {
  std::array<std::uint32_t, 256> t{};
  for (std::uint32_t i = 0; i < 256; ++i) {
    std::uint32_t c = i;
    for (int k = 0; k < 8; ++k) c = (c & 1u) ? (c >> 1) ^ 0x82F63B78u : c >> 1;
    t[i] = c;
  }
  return t;
}();

std::size_t element_size(checkpoint_type t) noexcept {
  switch (t) {
    case checkpoint_type::f32: return 4;
    case checkpoint_type::f64:
    case checkpoint_type::u64:
    case checkpoint_type::i64: return 8;
    case checkpoint_type::bytes: return 1;
  }
  return 0;  // unknown type
}

void put_le(std::vector<std::byte>& out, std::uint64_t v, std::size_t bytes) {
  for (std::size_t i = 0; i < bytes; ++i) out.push_back(static_cast<std::byte>(v >> (8 * i)));
}

std::uint64_t get_le(const std::byte* p, std::size_t bytes) noexcept {
  std::uint64_t v = 0;
  for (std::size_t i = 0; i < bytes; ++i) v |= static_cast<std::uint64_t>(p[i]) << (8 * i);
  return v;
}

// Copies `count` elements of `size` bytes between native and little-endian order
// (the same operation both ways).
void copy_le(void* dst, const void* src, std::size_t count, std::size_t size) noexcept {
  if (count == 0) return;
  std::memcpy(dst, src, count * size);
  if constexpr (std::endian::native == std::endian::big) {
    auto* b = static_cast<unsigned char*>(dst);
    for (std::size_t i = 0; i < count; ++i) std::reverse(b + i * size, b + (i + 1) * size);
  }
}

std::string error_text(int err) { return std::generic_category().message(err); }

}  // namespace

std::uint32_t crc32c(std::span<const std::byte> data, std::uint32_t crc) noexcept {
  crc = ~crc;
  for (const std::byte b : data) crc = crc_table[(crc ^ static_cast<std::uint32_t>(b)) & 0xFFu] ^ (crc >> 8);
  return ~crc;
}

std::string_view to_string(checkpoint_type t) noexcept {
  switch (t) {
    case checkpoint_type::f32: return "f32";
    case checkpoint_type::f64: return "f64";
    case checkpoint_type::u64: return "u64";
    case checkpoint_type::i64: return "i64";
    case checkpoint_type::bytes: return "bytes";
  }
  return "unknown";
}

checkpoint_error::checkpoint_error(std::string source, std::string field, const std::string& reason)
    : std::runtime_error(field.empty() ? fmt::format("checkpoint {}: {}", source, reason)
                                       : fmt::format("checkpoint {}: field '{}' {}", source, field,
                                                     reason)),
      source_(std::move(source)),
      field_(std::move(field)) {}

// ---------------------------------------------------------------------------------
// Writing

void checkpoint_writer::add_raw(std::string_view name, checkpoint_type type, const void* data,
                                std::size_t count) {
  if (name.empty()) throw std::invalid_argument("checkpoint_writer::add: name is empty");
  if (name.size() > 0xFFFF)
    throw std::invalid_argument(fmt::format(
        "checkpoint_writer::add: name '{}...' is {} bytes, at most 65535", name.substr(0, 32),
        name.size()));
  if (names_.find(name) != names_.end())
    throw std::invalid_argument(
        fmt::format("checkpoint_writer::add: field '{}' is already in this checkpoint", name));
  if (count_ == 0xFFFFFFFFu)
    throw std::invalid_argument("checkpoint_writer::add: more than 2^32 - 1 fields");
  const std::size_t size = element_size(type);
  names_.emplace(name);
  put_le(records_, name.size(), 2);
  const auto* n = reinterpret_cast<const std::byte*>(name.data());
  records_.insert(records_.end(), n, n + name.size());
  records_.push_back(static_cast<std::byte>(type));
  put_le(records_, count, 8);
  const std::size_t at = records_.size();
  records_.resize(at + count * size);
  copy_le(records_.data() + at, data, count, size);
  ++count_;
}

std::vector<std::byte> checkpoint_writer::bytes() const {
  std::vector<std::byte> out;
  out.reserve(header_size + records_.size() + trailer_size);
  for (const char c : magic) out.push_back(static_cast<std::byte>(c));
  put_le(out, checkpoint_format_version, 4);
  put_le(out, count_, 4);
  out.insert(out.end(), records_.begin(), records_.end());
  put_le(out, crc32c(out), 4);
  return out;
}

void checkpoint_writer::save_atomic(const std::filesystem::path& path) const {
  const std::vector<std::byte> image = bytes();
  const std::string target = path.string();
  const std::string temp = target + ".tmp." + std::to_string(::getpid());
  auto fail = [&](const char* what, int err, bool remove_temp) {
    if (remove_temp) ::unlink(temp.c_str());
    throw checkpoint_error(target, "", fmt::format("{} failed: {}", what, error_text(err)));
  };

  const int fd = ::open(temp.c_str(), O_WRONLY | O_CREAT | O_TRUNC | O_CLOEXEC, 0644);
  if (fd < 0) fail("creating the temporary file", errno, false);
  const auto* p = reinterpret_cast<const char*>(image.data());
  std::size_t left = image.size();
  while (left > 0) {
    const ssize_t n = ::write(fd, p, left);
    if (n < 0) {
      if (errno == EINTR) continue;
      const int err = errno;
      ::close(fd);
      fail("write", err, true);
    }
    p += n;
    left -= static_cast<std::size_t>(n);
  }
  // The data must be on disk before the rename makes it the checkpoint: otherwise a
  // power loss could leave the new name pointing at an empty or partial file.
  if (::fsync(fd) != 0) {
    const int err = errno;
    ::close(fd);
    fail("fsync", err, true);
  }
  if (::close(fd) != 0) fail("close", errno, true);
  if (::rename(temp.c_str(), target.c_str()) != 0) fail("rename", errno, true);
  // The rename itself lives in the directory; sync it so the new name survives too.
  std::filesystem::path dir = path.parent_path();
  if (dir.empty()) dir = ".";
  const int dfd = ::open(dir.c_str(), O_RDONLY | O_DIRECTORY | O_CLOEXEC);
  if (dfd < 0) fail("opening the directory", errno, false);
  if (::fsync(dfd) != 0 && errno != EINVAL) {  // EINVAL: the file system cannot sync directories
    const int err = errno;
    ::close(dfd);
    fail("fsync of the directory", err, false);
  }
  ::close(dfd);
}

std::size_t remove_checkpoint_temps(const std::filesystem::path& path) {
  std::filesystem::path dir = path.parent_path();
  if (dir.empty()) dir = ".";
  const std::string stem = path.filename().string() + ".tmp.";
  std::size_t removed = 0;
  std::error_code ec;
  for (std::filesystem::directory_iterator it(dir, ec), end; !ec && it != end; it.increment(ec)) {
    const std::string name = it->path().filename().string();
    if (name.size() > stem.size() && name.compare(0, stem.size(), stem) == 0) {
      std::error_code rm;
      if (std::filesystem::remove(it->path(), rm)) ++removed;
    }
  }
  return removed;
}

// ---------------------------------------------------------------------------------
// Reading

namespace detail {

std::string checkpoint_field_name(std::string_view prefix, std::string_view name) {
  std::string s;
  s.reserve(prefix.size() + 1 + name.size());
  if (!prefix.empty()) s.append(prefix).append(".");
  s.append(name);
  return s;
}

void throw_state_range(const checkpoint_reader& r, const std::string& name) {
  throw checkpoint_error(r.source(), name, "holds a value out of range for its member");
}

void throw_link_mismatch(const checkpoint_reader& r, const std::string& name, std::uint64_t saved,
                         std::uint64_t expected) {
  throw checkpoint_error(r.source(), name,
                         fmt::format("was saved by a model with link function {}, this model's "
                                     "is {} (0 identity, 1 logistic)",
                                     saved, expected));
}

}  // namespace detail

checkpoint_reader checkpoint_reader::load(const std::filesystem::path& path) {
  const std::string name = path.string();
  const int fd = ::open(name.c_str(), O_RDONLY | O_CLOEXEC);
  if (fd < 0) throw checkpoint_error(name, "", "cannot open: " + error_text(errno));
  std::vector<std::byte> data;
  struct stat st {};
  if (::fstat(fd, &st) == 0 && st.st_size > 0) data.reserve(static_cast<std::size_t>(st.st_size));
  std::byte buffer[1 << 16];
  for (;;) {
    const ssize_t n = ::read(fd, buffer, sizeof buffer);
    if (n < 0) {
      if (errno == EINTR) continue;
      const int err = errno;
      ::close(fd);
      throw checkpoint_error(name, "", "read failed: " + error_text(err));
    }
    if (n == 0) break;
    data.insert(data.end(), buffer, buffer + n);
  }
  ::close(fd);
  return parse(data, name);
}

checkpoint_reader checkpoint_reader::parse(std::span<const std::byte> data, std::string source_name) {
  checkpoint_reader r;
  r.source_ = std::move(source_name);
  auto fail = [&](std::string field, const std::string& reason) {
    throw checkpoint_error(r.source_, std::move(field), reason);
  };
  const std::size_t n = data.size();
  if (n < sizeof magic || std::memcmp(data.data(), magic, sizeof magic) != 0)
    fail("", "not a rill checkpoint");
  // The version comes before the checksum so that a newer file gets the message
  // that helps (its checksum may be computed differently).
  if (n >= 12) {
    const auto version = static_cast<std::uint32_t>(get_le(data.data() + 8, 4));
    if (version > checkpoint_format_version)
      fail("", fmt::format("format version {} is newer than this build reads ({})", version,
                           checkpoint_format_version));
    if (version == 0) fail("", "format version 0 is not valid");
  }
  if (n < header_size + trailer_size)
    fail("", fmt::format("truncated: {} bytes, the header and checksum alone take {}", n,
                         header_size + trailer_size));
  const auto stored = static_cast<std::uint32_t>(get_le(data.data() + n - trailer_size, 4));
  if (crc32c(data.first(n - trailer_size)) != stored)
    fail("", "checksum mismatch (file corrupt or truncated)");

  // The checksum passed, so what follows only fails on files written wrongly (or
  // forged with a fresh checksum, as the fuzzer does): every length is still checked.
  r.data_.assign(data.begin(), data.end());
  const std::byte* base = r.data_.data();
  const std::size_t end = n - trailer_size;
  const auto records = static_cast<std::uint32_t>(get_le(base + 12, 4));
  if (records > (end - header_size) / min_record_size)
    fail("", fmt::format("{} records cannot fit in {} bytes", records, end - header_size));
  r.entries_.reserve(records);
  std::size_t pos = header_size;
  for (std::uint32_t i = 0; i < records; ++i) {
    const std::size_t start = pos;
    if (end - pos < 2) fail("", fmt::format("record {} at byte {}: truncated name length", i, start));
    const auto name_size = static_cast<std::uint16_t>(get_le(base + pos, 2));
    pos += 2;
    if (name_size == 0) fail("", fmt::format("record {} at byte {}: empty field name", i, start));
    if (end - pos < name_size)
      fail("", fmt::format("record {} at byte {}: name of {} bytes runs past the last record", i,
                           start, name_size));
    const std::string name(reinterpret_cast<const char*>(base + pos), name_size);
    const std::size_t name_offset = pos;
    pos += name_size;
    if (end - pos < 9) fail(name, "is truncated before its type and count");
    const auto type = static_cast<checkpoint_type>(base[pos]);
    const std::size_t size = element_size(type);
    if (size == 0) fail(name, fmt::format("has unknown element type {}", static_cast<int>(type)));
    const std::uint64_t count = get_le(base + pos + 1, 8);
    pos += 9;
    if (count > (end - pos) / size)
      fail(name, fmt::format("has {} {} values, which need more than the {} bytes left", count,
                             to_string(type), end - pos));
    r.entries_.push_back({name_offset, name_size, type, count, pos});
    pos += static_cast<std::size_t>(count) * size;
  }
  if (pos != end) fail("", fmt::format("{} stray bytes after the last record", end - pos));

  r.order_.resize(r.entries_.size());
  for (std::uint32_t i = 0; i < r.order_.size(); ++i) r.order_[i] = i;
  std::sort(r.order_.begin(), r.order_.end(), [&](std::uint32_t a, std::uint32_t b) {
    return r.name_of(r.entries_[a]) < r.name_of(r.entries_[b]);
  });
  for (std::size_t i = 1; i < r.order_.size(); ++i)
    if (r.name_of(r.entries_[r.order_[i]]) == r.name_of(r.entries_[r.order_[i - 1]]))
      fail(std::string(r.name_of(r.entries_[r.order_[i]])), "appears twice");
  return r;
}

std::string_view checkpoint_reader::name_of(const entry& e) const noexcept {
  return {reinterpret_cast<const char*>(data_.data() + e.name_offset), e.name_size};
}

const checkpoint_reader::entry* checkpoint_reader::find(std::string_view name) const noexcept {
  const auto it = std::lower_bound(order_.begin(), order_.end(), name,
                                   [&](std::uint32_t i, std::string_view key) {
                                     return name_of(entries_[i]) < key;
                                   });
  if (it == order_.end() || name_of(entries_[*it]) != name) return nullptr;
  return &entries_[*it];
}

const checkpoint_reader::entry& checkpoint_reader::require(std::string_view name) const {
  if (const entry* e = find(name)) return *e;
  std::string known;
  std::size_t listed = 0;
  for (const entry& e : entries_) {
    if (listed == 8) {
      known += ", ...";
      break;
    }
    known.append(listed++ ? ", " : "").append(name_of(e));
  }
  throw checkpoint_error(source_, std::string(name),
                         entries_.empty() ? std::string("is missing (the checkpoint is empty)")
                                          : "is missing (the checkpoint has " + known + ")");
}

checkpoint_field checkpoint_reader::field(std::string_view name) const {
  const entry& e = require(name);
  return {std::string(name_of(e)), e.type, e.count};
}

std::vector<checkpoint_field> checkpoint_reader::fields() const {
  std::vector<checkpoint_field> out;
  out.reserve(entries_.size());
  for (const entry& e : entries_) out.push_back({std::string(name_of(e)), e.type, e.count});
  return out;
}

void checkpoint_reader::expect_raw(std::string_view name, checkpoint_type type,
                                   std::size_t count) const {
  const entry& e = require(name);
  if (e.type != type)
    throw checkpoint_error(source_, std::string(name),
                           fmt::format("holds {} values, {} expected", to_string(e.type),
                                       to_string(type)));
  if (e.count != count)
    throw checkpoint_error(source_, std::string(name),
                           fmt::format("has {} values, {} expected", e.count, count));
}

void checkpoint_reader::read_raw(std::string_view name, checkpoint_type type, void* out,
                                 std::size_t count) const {
  expect_raw(name, type, count);
  const entry& e = *find(name);
  copy_le(out, data_.data() + e.payload_offset, count, element_size(type));
}

RILL_NAMESPACE_END
