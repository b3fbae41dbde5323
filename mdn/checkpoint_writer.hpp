#pragma once
// The checkpoint file of an ensemble's fit (mdn/checkpoint.hpp), written as its networks train:
// each network hands in its state after its epochs (from its own thread), and the file is
// rewritten with every network's latest, "member<m>.<entry>".
#include "mdn/checkpoint.hpp"

#include <cstdint>
#include <filesystem>
#include <mutex>
#include <string>
#include <vector>

namespace tapegrad::mdn {

class CheckpointWriter {
public:
  // `writes`: false on every process but the first of a run of several (they keep the states
  // and the epochs saved, for messages, but leave the file to process 0).
  CheckpointWriter(FitCheckpoint state, std::filesystem::path path, std::int64_t members,
                   bool writes);

  // Network m's latest state, kept for the next file written (a finished network's).
  void keep(std::int64_t member, const nn::StateDict& train_state);
  // Network m's latest state, and the file rewritten with every network's.
  void save(std::int64_t member, const nn::StateDict& train_state);
  // The last epoch network m saved (0: none yet).
  std::int64_t saved_epoch(std::int64_t m);

  static std::string member_prefix(std::int64_t m);
  // Network m's part of a checkpoint's training state (empty when it had saved none).
  static nn::StateDict member_state(const nn::StateDict& train, std::int64_t m);

private:
  FitCheckpoint state_;
  std::filesystem::path path_;
  std::vector<nn::StateDict> members_;
  std::mutex mutex_;
  std::vector<std::int64_t> saved_epochs_;
  bool writes_ = true;
};

} // namespace tapegrad::mdn
