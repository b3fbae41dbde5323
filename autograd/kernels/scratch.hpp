#pragma once
// Per-thread scratch memory for the kernels (packed GEMM panels, partial sums): a buffer per slot
// that grows to the largest size asked for and is then reused, so that steady-state training
// steps do not allocate.
#include <cstddef>
#include <cstdlib>
#include <new>

namespace tapegrad::kernels {

enum class ScratchSlot { PackA, PackB, Partials, Count };

template <class T> T* scratch(ScratchSlot slot, std::size_t count) {
  struct Buffer {
    void* data = nullptr;
    std::size_t bytes = 0;
    Buffer() = default;
    Buffer(const Buffer&) = delete;
    Buffer& operator=(const Buffer&) = delete;
    ~Buffer() { std::free(data); }
  };
  thread_local Buffer buffers[static_cast<int>(ScratchSlot::Count)];
  Buffer& buffer = buffers[static_cast<int>(slot)];
  const std::size_t bytes = (count * sizeof(T) + 63) / 64 * 64;
  if (buffer.bytes < bytes) {
    std::free(buffer.data);
    buffer.data = std::aligned_alloc(64, bytes);
    if (buffer.data == nullptr)
      throw std::bad_alloc();
    buffer.bytes = bytes;
  }
  return static_cast<T*>(buffer.data);
}

} // namespace tapegrad::kernels
