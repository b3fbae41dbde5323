#pragma once
// The bytes behind a tensor: one 64-byte aligned buffer, shared by every handle and view of it
// (reshape, detach), given back when the last one goes.
//
// Buffers come from a caching allocator: sizes are rounded up to a size class (eight classes per
// power of two, so at most 12.5% is wasted), and a freed buffer waits in its class's free list
// for the next request of that class instead of going back to the system. After the first
// training step, every tensor of a step finds the buffer its twin of the previous step left when
// the tape was cleared, so a step does not call malloc for tensor data.
//
// The free lists are per thread, with no locks. A buffer freed on another thread than the one
// that allocated it simply joins that other thread's lists; at thread exit a thread's lists are
// returned to the system, and buffers freed after that (by static destructors) are freed at once.
#include <cstddef>
#include <cstdint>
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

// Raw blocks from the same per-thread caches, for the small objects every op creates (a tensor's
// header and its shared_ptr control blocks), so that recording an op does not call malloc either.
void* cached_allocate(std::size_t bytes);
void cached_deallocate(void* block, std::size_t bytes) noexcept;

// A standard allocator over the caches, for std::allocate_shared.
template <class T> struct CachedAllocator {
  using value_type = T;
  CachedAllocator() = default;
  template <class U> CachedAllocator(const CachedAllocator<U>&) noexcept {}
  T* allocate(std::size_t n) { return static_cast<T*>(cached_allocate(n * sizeof(T))); }
  void deallocate(T* p, std::size_t n) noexcept { cached_deallocate(p, n * sizeof(T)); }
  template <class U> bool operator==(const CachedAllocator<U>&) const noexcept { return true; }
};

// The caching allocator's counters for the calling thread (tensor data and tensor headers):
// `system_allocations` counts requests that had to go to the system (a miss), `reused` those
// served from a free list.
struct StorageStats {
  std::uint64_t system_allocations = 0;
  std::uint64_t reused = 0;
  std::size_t cached_bytes = 0; // held in free lists, ready for reuse
};
StorageStats storage_stats();

// Asks the kernel to back [block, block + bytes), 2 MiB aligned, with transparent huge pages
// (a hint; nothing happens where THP is off). Used for large tensor buffers and GEMM scratch.
void advise_huge_pages(void* block, std::size_t bytes) noexcept;

// Returns the calling thread's cached buffers to the system.
void release_cached_storage();

} // namespace tapegrad
