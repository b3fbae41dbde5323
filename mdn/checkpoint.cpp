#include "mdn/checkpoint.hpp"

#include "mdn/model_file.hpp"
#include "nn/serialize.hpp"

#include <bit>

namespace tapegrad::mdn {

namespace {

Tensor integer(std::int64_t v) {
  return from_vector(std::vector<std::int64_t>{v}, {1}, kInt64);
}

} // namespace

const std::string& FitCheckpoint::setting(const std::string& name) const {
  for (const auto& [key, value] : settings)
    if (key == name)
      return value;
  fail("{}: the checkpoint holds no value of '{}'; expected one written by mdn fit", path, name);
}

std::uint64_t data_fingerprint(const Tensor& x, const Tensor& y) {
  std::uint64_t hash = 0xcbf29ce484222325ULL;
  for (const Tensor* t : {&x, &y})
    for (double v : t->to_vector<double>()) {
      auto bits = std::bit_cast<std::uint64_t>(v);
      for (int i = 0; i < 8; ++i, bits >>= 8) {
        hash ^= bits & 0xff;
        hash *= 0x100000001b3ULL;
      }
    }
  return hash;
}

void save_fit_checkpoint(const std::filesystem::path& path, const FitCheckpoint& checkpoint) {
  nn::StateDict state;
  state.insert("checkpoint.version", integer(kCheckpointVersion));
  for (const auto& [name, value] : checkpoint.settings)
    state.insert("fit." + name, text_tensor(value));
  state.insert("data.file", text_tensor(checkpoint.data_file));
  state.insert("data.rows", integer(checkpoint.rows));
  state.insert("data.fingerprint", integer(std::bit_cast<std::int64_t>(checkpoint.fingerprint)));
  state.insert_all("train", checkpoint.train);
  nn::save_state(state, path);
}

namespace {

FitCheckpoint checkpoint_from_state(const nn::StateDict& state, const std::string& source) {
  const auto integer_of = [&](const std::string& name) {
    const Tensor t = state.find(name);
    if (!t.defined() || t.dtype() != kInt64 || t.numel() != 1)
      fail("{}: not an `mdn fit` checkpoint (no int64 entry '{}'); expected a file written by "
           "mdn fit --checkpoint-every or by an interrupted mdn fit",
           source, name);
    return t.item<std::int64_t>();
  };
  const std::int64_t version = integer_of("checkpoint.version");
  if (version != kCheckpointVersion)
    fail("{}: checkpoint version {}; this build reads version {}", source, version,
         kCheckpointVersion);
  FitCheckpoint checkpoint;
  checkpoint.path = source;
  checkpoint.rows = integer_of("data.rows");
  checkpoint.fingerprint = std::bit_cast<std::uint64_t>(integer_of("data.fingerprint"));
  for (const auto& [name, tensor] : state) {
    if (name.rfind("fit.", 0) == 0)
      checkpoint.settings.emplace_back(name.substr(4), tensor_text(tensor, source, name));
    else if (name == "data.file")
      checkpoint.data_file = tensor_text(tensor, source, name);
    else if (name.rfind("train.", 0) == 0)
      checkpoint.train.insert(name.substr(6), tensor);
    else if (name != "checkpoint.version" && name != "data.rows" && name != "data.fingerprint")
      fail("{}: unexpected entry '{}'; expected only checkpoint.*, fit.*, data.* and train.* "
           "entries",
           source, name);
  }
  return checkpoint;
}

} // namespace

FitCheckpoint load_fit_checkpoint(const std::filesystem::path& path) {
  return checkpoint_from_state(nn::load_state(path), path.string());
}

FitCheckpoint fit_checkpoint_from_bytes(std::span<const unsigned char> bytes,
                                        const std::string& source) {
  return checkpoint_from_state(nn::state_from_bytes(bytes, source), source);
}

} // namespace tapegrad::mdn
