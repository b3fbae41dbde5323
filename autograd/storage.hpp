#pragma once
// The bytes behind a tensor: one 64-byte aligned buffer, shared by every handle and view of it
// (reshape, detach), freed when the last one goes.
#include <cstddef>
#include <memory>

namespace tapegrad {

class Storage {
public:
  static constexpr std::size_t kAlignment = 64;

  explicit Storage(std::size_t bytes);
  ~Storage();
  Storage(const Storage&) = delete;
  Storage& operator=(const Storage&) = delete;

  void* data() const { return data_; }
  std::size_t bytes() const { return bytes_; }

private:
  void* data_;
  std::size_t bytes_;
};

std::shared_ptr<Storage> allocate_storage(std::size_t bytes);

} // namespace tapegrad
