#include "autograd/storage.hpp"

#include "autograd/error.hpp"

#include <cstdlib>

namespace tapegrad {

namespace {
std::size_t round_up(std::size_t bytes) {
  // aligned_alloc wants a multiple of the alignment; an empty tensor still gets a valid pointer.
  const std::size_t a = Storage::kAlignment;
  return bytes == 0 ? a : (bytes + a - 1) / a * a;
}
} // namespace

Storage::Storage(std::size_t bytes)
    : data_(std::aligned_alloc(kAlignment, round_up(bytes))), bytes_(bytes) {
  if (data_ == nullptr)
    fail("out of memory allocating {} bytes of tensor storage", bytes);
}

Storage::~Storage() {
  std::free(data_);
}

std::shared_ptr<Storage> allocate_storage(std::size_t bytes) {
  return std::make_shared<Storage>(bytes);
}

} // namespace tapegrad
