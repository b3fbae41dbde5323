#include "nn/serialize.hpp"

#include <bit>
#include <cctype>
#include <cerrno>
#include <cstring>
#include <fcntl.h>
#include <fstream>
#include <iterator>
#include <string>
#include <unistd.h>
#include <vector>

namespace tapegrad::nn {

// Tensors are written as they lie in memory; the format is little-endian.
static_assert(std::endian::native == std::endian::little,
              "nn/serialize.cpp writes tensors as little-endian bytes");

namespace {

constexpr char kMagic[8] = {'T', 'A', 'P', 'E', 'G', 'R', 'A', 'D'};
constexpr std::size_t kHeaderBytes = 32;

std::uint64_t fnv1a(const unsigned char* data, std::size_t size) {
  std::uint64_t hash = 0xcbf29ce484222325ULL;
  for (std::size_t i = 0; i < size; ++i) {
    hash ^= data[i];
    hash *= 0x100000001b3ULL;
  }
  return hash;
}

std::uint8_t dtype_code(DType dtype) {
  switch (dtype) {
  case DType::Float32:
    return 0;
  case DType::Float64:
    return 1;
  case DType::Int64:
    return 2;
  }
  fail("save: unknown dtype {}", static_cast<int>(dtype));
}

class Writer {
public:
  template <class T> void put(T value) {
    unsigned char raw[sizeof(T)];
    std::memcpy(raw, &value, sizeof(T));
    bytes.insert(bytes.end(), raw, raw + sizeof(T));
  }
  void put_bytes(const void* data, std::size_t size) {
    const auto* raw = static_cast<const unsigned char*>(data);
    bytes.insert(bytes.end(), raw, raw + size);
  }
  // The checksum of bytes [from, end), appended.
  void put_checksum(std::size_t from) { put(fnv1a(bytes.data() + from, bytes.size() - from)); }
  std::vector<unsigned char> bytes;
};

// Reads the file front to back; every read checks that the bytes are there, and says which part
// of the file it was reading when they are not.
class Reader {
public:
  Reader(std::span<const unsigned char> bytes, std::string path, bool truncated,
         std::uint64_t declared_size)
      : bytes_(bytes), path_(std::move(path)), truncated_(truncated),
        declared_size_(declared_size) {}

  void need(std::size_t count, std::string_view what) const {
    if (count <= bytes_.size() - pos_)
      return;
    if (truncated_)
      fail("{}: file truncated: it has {} of the {} bytes its header announces, and ends inside "
           "{}",
           path_, bytes_.size(), declared_size_, what);
    fail("{}: corrupt file: {} runs past the end of the file", path_, what);
  }
  template <class T> T get(std::string_view what) {
    need(sizeof(T), what);
    T value;
    std::memcpy(&value, bytes_.data() + pos_, sizeof(T));
    pos_ += sizeof(T);
    return value;
  }
  const unsigned char* take(std::size_t count, std::string_view what) {
    need(count, what);
    const unsigned char* at = bytes_.data() + pos_;
    pos_ += count;
    return at;
  }
  std::size_t pos() const { return pos_; }
  std::uint64_t checksum_since(std::size_t from) const {
    return fnv1a(bytes_.data() + from, pos_ - from);
  }

private:
  std::size_t pos_ = kHeaderBytes;
  std::span<const unsigned char> bytes_;
  std::string path_;
  bool truncated_;
  std::uint64_t declared_size_;
};

std::vector<unsigned char> read_file(const std::filesystem::path& path) {
  std::ifstream in(path, std::ios::binary);
  if (!in)
    fail("{}: cannot open the file for reading ({})", path.string(), std::strerror(errno));
  std::vector<unsigned char> bytes((std::istreambuf_iterator<char>(in)),
                                   std::istreambuf_iterator<char>());
  if (in.bad())
    fail("{}: reading the file failed", path.string());
  return bytes;
}

// Writes all bytes to `path` through a temporary file, fsync'ed, then renamed over it.
void write_file_atomically(const std::filesystem::path& path,
                           const std::vector<unsigned char>& bytes) {
  const std::filesystem::path temporary = path.string() + ".tmp." + std::to_string(::getpid());
  const int fd = ::open(temporary.c_str(), O_WRONLY | O_CREAT | O_TRUNC | O_CLOEXEC, 0644);
  if (fd < 0)
    fail("{}: cannot create the temporary file {} ({})", path.string(), temporary.string(),
         std::strerror(errno));
  std::size_t written = 0;
  while (written < bytes.size()) {
    const ssize_t n = ::write(fd, bytes.data() + written, bytes.size() - written);
    if (n < 0 && errno == EINTR)
      continue;
    if (n <= 0) {
      const int error = errno;
      ::close(fd);
      std::filesystem::remove(temporary);
      fail("{}: writing {} failed after {} of {} bytes ({})", path.string(), temporary.string(),
           written, bytes.size(), std::strerror(error));
    }
    written += static_cast<std::size_t>(n);
  }
  // On disk before the rename, so that the name never points at data still in flight.
  if (::fsync(fd) != 0 || ::close(fd) != 0) {
    const int error = errno;
    std::filesystem::remove(temporary);
    fail("{}: flushing {} failed ({})", path.string(), temporary.string(), std::strerror(error));
  }
  std::error_code error;
  std::filesystem::rename(temporary, path, error);
  if (error) {
    std::filesystem::remove(temporary);
    fail("{}: renaming {} onto it failed ({})", path.string(), temporary.string(), error.message());
  }
}

std::string hex(std::uint64_t value) {
  return fmt::format("{:#018x}", value);
}

} // namespace

std::vector<unsigned char> state_bytes(const StateDict& state) {
  Writer out;
  out.put_bytes(kMagic, sizeof kMagic);
  out.put<std::uint32_t>(kFormatVersion);
  out.put<std::uint32_t>(static_cast<std::uint32_t>(state.size()));
  out.put<std::uint64_t>(0); // the file size, filled in below
  out.put<std::uint64_t>(0); // the header checksum, likewise
  for (const auto& [name, tensor] : state) {
    const std::size_t start = out.bytes.size();
    out.put<std::uint32_t>(static_cast<std::uint32_t>(name.size()));
    out.put_bytes(name.data(), name.size());
    out.put<std::uint8_t>(dtype_code(tensor.dtype()));
    out.put<std::uint8_t>(static_cast<std::uint8_t>(tensor.dim()));
    for (std::int64_t size : tensor.shape())
      out.put<std::int64_t>(size);
    out.put_bytes(tensor.impl()->data(),
                  static_cast<std::size_t>(tensor.numel()) * dtype_size(tensor.dtype()));
    out.put_checksum(start);
  }
  const std::uint64_t file_size = out.bytes.size();
  std::memcpy(out.bytes.data() + 16, &file_size, sizeof file_size);
  const std::uint64_t header_checksum = fnv1a(out.bytes.data(), 24);
  std::memcpy(out.bytes.data() + 24, &header_checksum, sizeof header_checksum);
  return std::move(out.bytes);
}

void save_state(const StateDict& state, const std::filesystem::path& path) {
  write_file_atomically(path, state_bytes(state));
}

StateDict load_state(const std::filesystem::path& path) {
  return state_from_bytes(read_file(path), path.string());
}

StateDict state_from_bytes(std::span<const unsigned char> bytes, const std::string& path) {
  // The magic first: a file that is not ours gets that answer, not a confusing one.
  // (An empty file has no data() to compare: memcmp must not be given a null pointer.)
  const std::size_t magic_bytes = std::min(bytes.size(), sizeof kMagic);
  if (magic_bytes > 0 && std::memcmp(bytes.data(), kMagic, magic_bytes) != 0) {
    std::string start;
    for (std::size_t i = 0; i < magic_bytes; ++i)
      start += std::isprint(bytes[i]) ? static_cast<char>(bytes[i]) : '.';
    fail("{}: not a tapegrad state file: it starts with '{}', expected the magic bytes "
         "'TAPEGRAD'",
         path, start);
  }
  if (bytes.size() < kHeaderBytes)
    fail("{}: file truncated: it has {} bytes, fewer than the {} of the header", path, bytes.size(),
         kHeaderBytes);

  std::uint32_t version, count;
  std::uint64_t declared_size, header_checksum;
  std::memcpy(&version, bytes.data() + 8, 4);
  std::memcpy(&count, bytes.data() + 12, 4);
  std::memcpy(&declared_size, bytes.data() + 16, 8);
  std::memcpy(&header_checksum, bytes.data() + 24, 8);
  // The version before the checksum: a newer format may checksum differently.
  if (version > kFormatVersion)
    fail("{}: format version {} is newer than this build of tapegrad reads (version {}); load it "
         "with a newer tapegrad",
         path, version, kFormatVersion);
  if (version == 0)
    fail("{}: format version 0 is not a valid version (expected 1 to {})", path, kFormatVersion);
  if (fnv1a(bytes.data(), 24) != header_checksum)
    fail("{}: checksum mismatch in the header: stored {}, computed {}; the file is corrupt", path,
         hex(header_checksum), hex(fnv1a(bytes.data(), 24)));
  if (bytes.size() > declared_size)
    fail("{}: corrupt file: it has {} bytes, {} more than its header announces", path, bytes.size(),
         bytes.size() - declared_size);

  Reader in(bytes, path, bytes.size() < declared_size, declared_size);
  StateDict state;
  for (std::uint32_t k = 0; k < count; ++k) {
    const std::size_t start = in.pos();
    const std::string label = fmt::format("tensor #{}", k);
    const auto name_size = in.get<std::uint32_t>(label);
    const unsigned char* name_bytes = in.take(name_size, "the name of " + label);
    const std::string name(reinterpret_cast<const char*>(name_bytes), name_size);
    const std::string what = fmt::format("tensor '{}'", name);
    const auto code = in.get<std::uint8_t>(what);
    const auto rank = in.get<std::uint8_t>(what);
    if (code > 2)
      fail("{}: {} has an unknown dtype code {} (expected 0, 1 or 2); the file is corrupt", path,
           what, code);
    if (rank > Shape::kMaxRank)
      fail("{}: {} has rank {}, above the maximum of {}; the file is corrupt", path, what, rank,
           Shape::kMaxRank);
    const DType dtype = code == 0 ? kFloat32 : code == 1 ? kFloat64 : kInt64;
    Shape shape;
    std::uint64_t data_bytes = dtype_size(dtype);
    for (int axis = 0; axis < rank; ++axis) {
      const auto size = in.get<std::int64_t>("the shape of " + what);
      // The data must be in the bytes at hand (whatever the header claims), so no size, and no
      // product of sizes, may exceed them; the product is checked before it could wrap around.
      if (size < 0 || static_cast<std::uint64_t>(size) > bytes.size())
        fail("{}: {} has an impossible size {} on axis {}; the file is corrupt", path, what, size,
             axis);
      shape.push_back(size);
      if (__builtin_mul_overflow(data_bytes, static_cast<std::uint64_t>(size), &data_bytes) ||
          data_bytes > bytes.size())
        fail("{}: {} (shape so far {}) needs more bytes than the whole file; the file is corrupt",
             path, what, shape);
    }
    const std::string data_what = fmt::format("the data of {} (shape {}, {})", what, shape, dtype);
    const unsigned char* data = in.take(static_cast<std::size_t>(data_bytes), data_what);
    const std::uint64_t computed = in.checksum_since(start);
    const auto stored = in.get<std::uint64_t>("the checksum of " + what);
    if (stored != computed)
      fail("{}: checksum mismatch in {}: stored {}, computed {}; the file is corrupt", path, what,
           hex(stored), hex(computed));
    if (state.contains(name))
      fail("{}: {} appears twice; the file is corrupt", path, what);
    Tensor tensor = empty(shape, dtype);
    std::memcpy(tensor.impl()->data(), data, static_cast<std::size_t>(data_bytes));
    state.insert(name, tensor);
  }
  if (bytes.size() < declared_size)
    fail("{}: file truncated: it has {} of the {} bytes its header announces", path, bytes.size(),
         declared_size);
  if (in.pos() != bytes.size())
    fail("{}: corrupt file: {} bytes follow the last of its {} tensors", path,
         bytes.size() - in.pos(), count);
  return state;
}

void save(const Stateful& object, const std::filesystem::path& path) {
  save_state(object.state_dict(), path);
}

void load(Stateful& object, const std::filesystem::path& path) {
  object.load_state_dict(load_state(path), path.string());
}

void save_checkpoint(const std::filesystem::path& path,
                     std::initializer_list<ConstCheckpointPart> parts) {
  StateDict state;
  for (const auto& [prefix, object] : parts)
    state.insert_all(prefix, object.state_dict());
  save_state(state, path);
}

void load_checkpoint(const std::filesystem::path& path,
                     std::initializer_list<CheckpointPart> parts) {
  const StateDict state = load_state(path);
  std::vector<StateDict> shares(parts.size());
  for (const auto& [name, tensor] : state) {
    std::size_t k = 0;
    for (const auto& [prefix, object] : parts) {
      if (name.size() > prefix.size() && name.starts_with(prefix) && name[prefix.size()] == '.')
        break;
      ++k;
    }
    if (k == parts.size())
      fail("{}: tensor '{}' (shape {}) belongs to none of the checkpoint's expected parts",
           path.string(), name, tensor.shape());
    const std::string_view prefix = parts.begin()[k].first;
    shares[k].insert(name.substr(prefix.size() + 1), tensor);
  }
  // Every part is checked before any is loaded, so that a rejected checkpoint changes nothing.
  std::vector<std::string> sources;
  std::size_t k = 0;
  for (const auto& [prefix, object] : parts) {
    sources.push_back(fmt::format("{} (part '{}')", path.string(), prefix));
    check_state(object.state_dict(), shares[k], sources.back(), fmt::format("'{}'", prefix));
    ++k;
  }
  k = 0;
  for (const auto& [prefix, object] : parts) {
    object.load_state_dict(shares[k], sources[k]);
    ++k;
  }
}

} // namespace tapegrad::nn
