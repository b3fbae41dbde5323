// libFuzzer target: the model-file loader (mdn::load, mdn/model_file.hpp), and
// under it nn::load_state (nn/serialize.hpp). Any input must either load or throw tapegrad::Error;
// a crash, a sanitizer report, another exception, or an allocation far beyond the file's size is
// a bug.
//
// Each input is loaded twice: as it is, which exercises the checks of the file format (magic,
// version, sizes, checksums), and with its sizes and checksums repaired, so that mutations get
// past the checksums to the entries' contents (names, dtypes, shapes, the model's options).
#include "fuzz_file.hpp"

#include <autograd/autograd.hpp>
#include <mdn/model_file.hpp>

#include <cstring>
#include <vector>

namespace {

std::uint64_t fnv1a(const std::uint8_t* data, std::size_t size) {
  std::uint64_t hash = 0xcbf29ce484222325ULL;
  for (std::size_t i = 0; i < size; ++i) {
    hash ^= data[i];
    hash *= 0x100000001b3ULL;
  }
  return hash;
}

template <class T> T get(const std::vector<std::uint8_t>& bytes, std::size_t at) {
  T value;
  std::memcpy(&value, bytes.data() + at, sizeof(T));
  return value;
}

template <class T> void put(std::vector<std::uint8_t>& bytes, std::size_t at, T value) {
  std::memcpy(bytes.data() + at, &value, sizeof(T));
}

// Rewrites the header's file size and checksum, then each tensor record's checksum, as far as the
// records can be followed (see nn/serialize.hpp for the layout).
void repair(std::vector<std::uint8_t>& bytes) {
  constexpr std::size_t kHeader = 32;
  if (bytes.size() < kHeader || std::memcmp(bytes.data(), "TAPEGRAD", 8) != 0)
    return;
  put<std::uint64_t>(bytes, 16, bytes.size());
  put<std::uint64_t>(bytes, 24, fnv1a(bytes.data(), 24));
  const auto count = get<std::uint32_t>(bytes, 12);
  std::size_t pos = kHeader;
  const auto left = [&] { return bytes.size() - pos; };
  for (std::uint32_t k = 0; k < count; ++k) {
    const std::size_t start = pos;
    if (left() < 4)
      return;
    const auto name_size = get<std::uint32_t>(bytes, pos);
    pos += 4;
    if (left() < std::size_t{name_size} + 2)
      return;
    pos += name_size;
    const std::uint8_t code = bytes[pos], rank = bytes[pos + 1];
    pos += 2;
    if (code > 2 || rank > tapegrad::Shape::kMaxRank || left() < std::size_t{rank} * 8)
      return;
    std::uint64_t data_bytes = code == 0 ? 4 : 8;
    for (int axis = 0; axis < rank; ++axis, pos += 8) {
      const auto axis_size = get<std::int64_t>(bytes, pos);
      if (axis_size < 0 || static_cast<std::uint64_t>(axis_size) > bytes.size())
        return;
      data_bytes *= static_cast<std::uint64_t>(axis_size);
      if (data_bytes > bytes.size())
        return;
    }
    if (left() < data_bytes + 8)
      return;
    pos += data_bytes;
    put<std::uint64_t>(bytes, pos, fnv1a(bytes.data() + start, pos - start));
    pos += 8;
  }
}

void load(const std::vector<std::uint8_t>& bytes) {
  using namespace tapegrad;
  const std::string& path = fuzz::scratch_file("model_fuzz");
  fuzz::write_bytes(path, bytes.data(), bytes.size());
  try {
    const mdn::FittedModel model = mdn::load(path);
    // A model that loads must also run: one row of zeros in, one mixture out.
    const mdn::MDNOptions& o = model.options();
    const mdn::Mixture mixture = model.mixture(zeros({1, o.in_features}));
    TAPEGRAD_FUZZ_CHECK(mixture.batch_size() == 1);
    TAPEGRAD_FUZZ_CHECK(mixture.num_components() == o.components);
    TAPEGRAD_FUZZ_CHECK(mixture.dim() == o.out_dim);
  } catch (const Error&) {
    // Not a model file, or a damaged one, reported as such: what the loader is for.
  }
}

} // namespace

extern "C" int LLVMFuzzerTestOneInput(const std::uint8_t* data, std::size_t size) {
  std::vector<std::uint8_t> bytes(data, data + size);
  load(bytes);
  repair(bytes);
  if (!std::equal(bytes.begin(), bytes.end(), data))
    load(bytes);
  return 0;
}
