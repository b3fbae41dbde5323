#pragma once
// Rewrites a state file's header size and checksum, then each tensor record's checksum, as far as
// the records can be followed (the layout is in nn/serialize.hpp). The fuzz targets of the files
// built on that format (model files, checkpoints) load each input twice, as it is and repaired, so
// that mutations get past the checksums to the entries' contents; the regression tests repair
// the inputs the fuzzers found in the same way.
#include <algorithm>
#include <cstdint>
#include <cstring>
#include <vector>

namespace tapegrad::fuzz {

inline std::uint64_t fnv1a(const std::uint8_t* data, std::size_t size) {
  std::uint64_t hash = 0xcbf29ce484222325ULL;
  for (std::size_t i = 0; i < size; ++i) {
    hash ^= data[i];
    hash *= 0x100000001b3ULL;
  }
  return hash;
}

template <class T> T get_at(const std::vector<std::uint8_t>& bytes, std::size_t at) {
  T value;
  std::memcpy(&value, bytes.data() + at, sizeof(T));
  return value;
}

template <class T> void put_at(std::vector<std::uint8_t>& bytes, std::size_t at, T value) {
  std::memcpy(bytes.data() + at, &value, sizeof(T));
}

inline void repair_state_checksums(std::vector<std::uint8_t>& bytes) {
  constexpr std::size_t kHeader = 32, kMaxRank = 8;
  if (bytes.size() < kHeader || std::memcmp(bytes.data(), "TAPEGRAD", 8) != 0)
    return;
  put_at<std::uint64_t>(bytes, 16, bytes.size());
  put_at<std::uint64_t>(bytes, 24, fnv1a(bytes.data(), 24));
  const auto count = get_at<std::uint32_t>(bytes, 12);
  std::size_t pos = kHeader;
  const auto left = [&] { return bytes.size() - pos; };
  for (std::uint32_t k = 0; k < count; ++k) {
    const std::size_t start = pos;
    if (left() < 4)
      return;
    const auto name_size = get_at<std::uint32_t>(bytes, pos);
    pos += 4;
    if (left() < std::size_t{name_size} + 2)
      return;
    pos += name_size;
    const std::uint8_t code = bytes[pos], rank = bytes[pos + 1];
    pos += 2;
    if (code > 2 || rank > kMaxRank || left() < std::size_t{rank} * 8)
      return;
    std::uint64_t data_bytes = code == 0 ? 4 : 8;
    for (int axis = 0; axis < rank; ++axis, pos += 8) {
      const auto axis_size = get_at<std::int64_t>(bytes, pos);
      if (axis_size < 0 || static_cast<std::uint64_t>(axis_size) > bytes.size())
        return;
      data_bytes *= static_cast<std::uint64_t>(axis_size);
      if (data_bytes > bytes.size())
        return;
    }
    if (left() < data_bytes + 8)
      return;
    pos += data_bytes;
    put_at<std::uint64_t>(bytes, pos, fnv1a(bytes.data() + start, pos - start));
    pos += 8;
  }
}

// Calls load(bytes) with the input as it is, then repaired if that changed it.
template <class Load>
void load_as_is_and_repaired(const std::uint8_t* data, std::size_t size, Load&& load) {
  std::vector<std::uint8_t> bytes(data, data + size);
  load(bytes);
  repair_state_checksums(bytes);
  if (!std::equal(bytes.begin(), bytes.end(), data))
    load(bytes);
}

} // namespace tapegrad::fuzz
