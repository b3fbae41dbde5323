#include "autograd/storage.hpp"

#include "autograd/error.hpp"

#include <array>
#include <bit>
#include <cstdlib>
#include <vector>

#include <sys/mman.h>

namespace tapegrad {

void advise_huge_pages(void* block, std::size_t bytes) noexcept {
#ifdef MADV_HUGEPAGE
  (void)madvise(block, bytes, MADV_HUGEPAGE); // only advice: without THP nothing changes
#else
  (void)block;
  (void)bytes;
#endif
}

namespace {

// Size classes: 64 bytes, then eight per power of two. For 2^(p-1) < bytes <= 2^p the class
// size is bytes rounded up to a multiple of 2^(p-3).
constexpr int kClasses = 1 + 4 * 58;

struct SizeClass {
  int index;
  std::size_t bytes;
};

SizeClass size_class(std::size_t bytes) {
  if (bytes <= Storage::kAlignment)
    return {0, Storage::kAlignment};
  const int p = std::bit_width(bytes - 1); // 2^(p-1) < bytes <= 2^p, p >= 7
  const std::size_t step = std::size_t{1} << (p - 3);
  const std::size_t rounded = (bytes + step - 1) / step * step; // 5 to 8 steps
  return {1 + (p - 7) * 4 + static_cast<int>(rounded / step - 5), rounded};
}

struct Cache {
  std::array<std::vector<void*>, kClasses> free_lists;
  StorageStats stats;
  ~Cache();
  void release() {
    for (auto& list : free_lists) {
      for (void* block : list)
        std::free(block);
      list.clear();
    }
    stats.cached_bytes = 0;
  }
};

// Set when the thread's cache is destroyed (thread exit): later frees go straight to the system.
thread_local bool cache_gone = false;
thread_local Cache cache;

Cache::~Cache() {
  release();
  cache_gone = true;
}

// Large buffers (a big model's activations and gradients) are swept by every op that touches
// them, and the GEMM's packing reads them a few rows at a time: on 4 KiB pages that is a TLB miss
// per row. From kHugeBytes on, buffers are aligned to 2 MiB and offered to the kernel as
// transparent huge pages (where THP is in "madvise" mode, as on Debian); the caching keeps the
// cost of that first fault out of the training steps.
constexpr std::size_t kHugePage = std::size_t{2} << 20;
constexpr std::size_t kHugeBytes = std::size_t{4} << 20;

void* system_allocate(std::size_t bytes) {
  if (bytes >= kHugeBytes) {
    const std::size_t rounded = (bytes + kHugePage - 1) / kHugePage * kHugePage;
    void* block = std::aligned_alloc(kHugePage, rounded);
    if (block != nullptr)
      advise_huge_pages(block, rounded);
    return block;
  }
  // aligned_alloc wants a multiple of the alignment; small classes are finer than that.
  const std::size_t a = Storage::kAlignment;
  return std::aligned_alloc(a, (bytes + a - 1) / a * a);
}

void* allocate(std::size_t bytes) {
  const SizeClass c = size_class(bytes);
  if (!cache_gone) {
    auto& list = cache.free_lists[static_cast<std::size_t>(c.index)];
    if (!list.empty()) {
      void* block = list.back();
      list.pop_back();
      ++cache.stats.reused;
      cache.stats.cached_bytes -= c.bytes;
      return block;
    }
    ++cache.stats.system_allocations;
  }
  void* block = system_allocate(c.bytes);
  if (block == nullptr)
    fail("out of memory allocating {} bytes of tensor storage", bytes);
  return block;
}

void deallocate(void* block, std::size_t bytes) noexcept {
  if (cache_gone) {
    std::free(block);
    return;
  }
  const SizeClass c = size_class(bytes);
  try {
    cache.free_lists[static_cast<std::size_t>(c.index)].push_back(block);
  } catch (...) { // no memory for the list to grow: give the block back instead
    std::free(block);
    return;
  }
  cache.stats.cached_bytes += c.bytes;
}

} // namespace

Storage::Storage(std::size_t bytes) : data_(allocate(bytes)), bytes_(bytes) {}

Storage::~Storage() {
  deallocate(data_, bytes_);
}

std::shared_ptr<Storage> allocate_storage(std::size_t bytes) {
  return std::allocate_shared<Storage>(CachedAllocator<Storage>{}, bytes);
}

void* cached_allocate(std::size_t bytes) {
  return allocate(bytes);
}

void cached_deallocate(void* block, std::size_t bytes) noexcept {
  deallocate(block, bytes);
}

StorageStats storage_stats() {
  return cache_gone ? StorageStats{} : cache.stats;
}

void release_cached_storage() {
  if (!cache_gone)
    cache.release();
}

} // namespace tapegrad
