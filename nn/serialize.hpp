#pragma once
// Save and load states (a model's parameters, an optimiser's moments, a schedule's epoch) in a
// small versioned binary format of our own, little-endian throughout:
//
//   header  "TAPEGRAD" (8 bytes), u32 format version, u32 tensor count, u64 file size,
//           u64 checksum of the 24 bytes before it
//   tensor  u32 name length, the name (UTF-8), u8 dtype (0 float32, 1 float64, 2 int64), u8 rank,
//           i64 size per axis, the elements in row-major order, u64 checksum of the record so far
//
// Checksums are FNV-1a 64. Loading checks everything and names the file and the tensor when
// something is wrong: a file that is truncated (shorter than its header says), is not ours (wrong
// magic), is newer than this build (format version), has a checksum mismatch, lacks a tensor the
// object expects, holds one it does not, or holds one of another shape or dtype. A rejected load
// leaves the object as it was.
//
// Saving writes `<path>.tmp.<pid>`, flushes it to disk and renames it over `path`: a crash leaves
// either the old file or the new one, never half of one.
//
//   nn::save(model, "model.tgs");  nn::load(model, "model.tgs");
//   nn::save_checkpoint("run.ckpt", {{"model", model}, {"optimizer", adam}, {"data", loader}});
#include "nn/state.hpp"

#include <cstdint>
#include <filesystem>
#include <initializer_list>
#include <span>
#include <string>
#include <string_view>
#include <utility>
#include <vector>

namespace tapegrad::nn {

inline constexpr std::uint32_t kFormatVersion = 1;

// The file layer: any state, written and read back exactly (names, dtypes, shapes, bits).
void save_state(const StateDict& state, const std::filesystem::path& path);
StateDict load_state(const std::filesystem::path& path);
// The same format in memory: the bytes a file would hold, and a state read from such bytes with
// every check of load_state (`source` names them in messages, as the path does).
std::vector<unsigned char> state_bytes(const StateDict& state);
StateDict state_from_bytes(std::span<const unsigned char> bytes, const std::string& source);

// One object per file.
void save(const Stateful& object, const std::filesystem::path& path);
void load(Stateful& object, const std::filesystem::path& path);

// Several objects in one file, each under its own prefix ("model.0.weight", "optimizer.step").
using CheckpointPart = std::pair<std::string_view, Stateful&>;
using ConstCheckpointPart = std::pair<std::string_view, const Stateful&>;
void save_checkpoint(const std::filesystem::path& path,
                     std::initializer_list<ConstCheckpointPart> parts);
void load_checkpoint(const std::filesystem::path& path,
                     std::initializer_list<CheckpointPart> parts);

} // namespace tapegrad::nn
