#pragma once
// Per-thread scratch memory for the kernels (packed GEMM panels, partial sums): a buffer per slot
// that grows to the largest size asked for and is then reused, so that steady-state training
// steps do not allocate.
#include <cstddef>
#include <cstdlib>
#include <new>

#include <sys/mman.h>

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
  // From 2 MiB on (the packed B block), huge pages: the micro-kernel walks B's panels.
  constexpr std::size_t huge = std::size_t{2} << 20;
  const std::size_t align = count * sizeof(T) >= huge ? huge : 64;
  const std::size_t bytes = (count * sizeof(T) + align - 1) / align * align;
  if (buffer.bytes < bytes) {
    std::free(buffer.data);
    buffer.data = std::aligned_alloc(align, bytes);
    if (buffer.data == nullptr)
      throw std::bad_alloc();
#ifdef MADV_HUGEPAGE
    if (align == huge)
      (void)madvise(buffer.data, bytes, MADV_HUGEPAGE);
#endif
    buffer.bytes = bytes;
  }
  return static_cast<T*>(buffer.data);
}

} // namespace tapegrad::kernels
