#include "mdn/checkpoint_writer.hpp"

#include <fmt/format.h>

namespace tapegrad::mdn {

CheckpointWriter::CheckpointWriter(FitCheckpoint state, std::filesystem::path path,
                                   std::int64_t members, bool writes)
    : state_(std::move(state)), path_(std::move(path)), members_(static_cast<std::size_t>(members)),
      saved_epochs_(members_.size(), 0), writes_(writes) {}

// Both take a copy: mdn::train hands over its model's and optimiser's own tensors, which go on
// changing as that network trains on. Kept as they are, a network's entry written later, when
// another network saves, would pair its parameters of a later epoch with the epoch count and
// history of the one it saved (and not resume to the same model).
void CheckpointWriter::keep(std::int64_t member, const nn::StateDict& train_state) {
  nn::StateDict copy = nn::clone_state(train_state);
  const std::lock_guard<std::mutex> lock(mutex_);
  members_[static_cast<std::size_t>(member)] = std::move(copy);
}

void CheckpointWriter::save(std::int64_t member, const nn::StateDict& train_state) {
  nn::StateDict copy = nn::clone_state(train_state);
  const std::lock_guard<std::mutex> lock(mutex_);
  const auto m = static_cast<std::size_t>(member);
  members_[m] = std::move(copy);
  saved_epochs_[m] = train_state.find("epochs_done").item<std::int64_t>();
  state_.train = nn::StateDict();
  for (std::size_t i = 0; i < members_.size(); ++i)
    if (!members_[i].empty())
      state_.train.insert_all(member_prefix(static_cast<std::int64_t>(i)), members_[i]);
  if (writes_)
    save_fit_checkpoint(path_, state_);
}

std::int64_t CheckpointWriter::saved_epoch(std::int64_t m) {
  const std::lock_guard<std::mutex> lock(mutex_);
  return saved_epochs_[static_cast<std::size_t>(m)];
}

std::string CheckpointWriter::member_prefix(std::int64_t m) {
  return fmt::format("member{}", m);
}

nn::StateDict CheckpointWriter::member_state(const nn::StateDict& train, std::int64_t m) {
  const std::string prefix = member_prefix(m) + ".";
  nn::StateDict out;
  for (const auto& [name, tensor] : train)
    if (name.rfind(prefix, 0) == 0)
      out.insert(name.substr(prefix.size()), tensor);
  return out;
}

} // namespace tapegrad::mdn
