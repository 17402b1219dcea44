#pragma once
// 64-byte aligned host memory, with large blocks kept for reuse.
//
// A training step frees and allocates the same activation sizes every step.
// Fresh large blocks come from the OS (glibc mmaps them) and cost a page fault
// and a kernel zeroing pass per 4 KiB page: about a tenth of a LoRA step on
// MiniLM. So blocks of at least `HostBlockCache::min_bytes` go back to a cache
// when freed and serve the next request of their size class (sizes rounded up
// by at most 1/8). The cache holds at most ADAPTREC_HOST_CACHE_MIB MiB
// (default 1024; 0 turns it off); release_cached_host_memory() empties it.
#include <cstddef>
#include <cstdlib>
#include <memory>
#include <mutex>
#include <new>
#include <string>
#include <unordered_map>
#include <vector>

namespace adaptrec {

namespace detail {

class HostBlockCache {
 public:
  static constexpr std::size_t min_bytes = std::size_t(256) << 10;

  // Never destroyed: tensors with static storage may be freed after it would be.
  static HostBlockCache& instance() {
    static HostBlockCache* cache = new HostBlockCache(limit_from_environment());
    return *cache;
  }

  // The size actually allocated for a request of `bytes`.
  static std::size_t rounded(std::size_t bytes) {
    if (bytes < min_bytes) return (bytes + 63) / 64 * 64;
    std::size_t octave = min_bytes;
    while (octave * 2 <= bytes) octave *= 2;
    const std::size_t step = octave / 8;
    return (bytes + step - 1) / step * step;
  }

  void* acquire(std::size_t rounded_bytes) {
    if (rounded_bytes >= min_bytes) {
      std::lock_guard<std::mutex> lock(mutex_);
      auto it = free_.find(rounded_bytes);
      if (it != free_.end() && !it->second.empty()) {
        void* p = it->second.back();
        it->second.pop_back();
        cached_bytes_ -= rounded_bytes;
        return p;
      }
    }
    void* p = std::aligned_alloc(64, rounded_bytes);
    if (!p) {
      release_all();  // cached blocks of other sizes may be what is missing
      p = std::aligned_alloc(64, rounded_bytes);
      if (!p) throw std::bad_alloc();
    }
    return p;
  }

  void release(void* p, std::size_t rounded_bytes) noexcept {
    if (rounded_bytes >= min_bytes) {
      std::lock_guard<std::mutex> lock(mutex_);
      if (cached_bytes_ + rounded_bytes <= limit_bytes_) {
        try {
          free_[rounded_bytes].push_back(p);
          cached_bytes_ += rounded_bytes;
          return;
        } catch (...) {  // no memory for the bookkeeping: free the block instead
        }
      }
    }
    std::free(p);
  }

  void release_all() noexcept {
    std::lock_guard<std::mutex> lock(mutex_);
    for (auto& [bytes, blocks] : free_)
      for (void* p : blocks) std::free(p);
    free_.clear();
    cached_bytes_ = 0;
  }

  std::size_t cached_bytes() {
    std::lock_guard<std::mutex> lock(mutex_);
    return cached_bytes_;
  }

 private:
  explicit HostBlockCache(std::size_t limit) : limit_bytes_(limit) {}

  static std::size_t limit_from_environment() {
    const char* env = std::getenv("ADAPTREC_HOST_CACHE_MIB");
    if (!env || !*env) return std::size_t(1024) << 20;
    char* end = nullptr;
    const unsigned long long mib = std::strtoull(env, &end, 10);
    return end && *end == '\0' ? static_cast<std::size_t>(mib) << 20 : std::size_t(1024) << 20;
  }

  std::mutex mutex_;
  std::unordered_map<std::size_t, std::vector<void*>> free_;
  std::size_t cached_bytes_ = 0;
  std::size_t limit_bytes_;
};

// Returns a block to the cache (or the OS); remembers its rounded size.
struct HostFree {
  std::size_t bytes = 0;
  void operator()(void* p) const noexcept { HostBlockCache::instance().release(p, bytes); }
};

template <class T>
using HostBuffer = std::unique_ptr<T[], HostFree>;

template <class T>
HostBuffer<T> allocate_host(std::ptrdiff_t n) {
  if (n <= 0) return HostBuffer<T>(nullptr, HostFree{});
  const std::size_t bytes = HostBlockCache::rounded(static_cast<std::size_t>(n) * sizeof(T));
  return HostBuffer<T>(static_cast<T*>(HostBlockCache::instance().acquire(bytes)),
                       HostFree{bytes});
}

}  // namespace detail

// Gives the cached blocks back to the operating system, e.g. after training
// and before serving.
inline void release_cached_host_memory() { detail::HostBlockCache::instance().release_all(); }

// Bytes held in the cache now (not in use by any tensor).
inline std::size_t cached_host_memory_bytes() { return detail::HostBlockCache::instance().cached_bytes(); }

}  // namespace adaptrec
