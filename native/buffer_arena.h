// Ring-owned memory that borrowed Buffers are copied into (writes) and out of (reads).
// mmap'd rather than malloc'd: if the kernel ever finished a fixed-buffer transfer after the
// arena was released, it would write to pinned pages that no longer back our address space
// instead of into reused heap.
#pragma once
#include <cstddef>
#include <cstdint>

struct io_uring;

class BufferArena {
 public:
  BufferArena() = default;
  BufferArena(const BufferArena&) = delete;
  BufferArena& operator=(const BufferArena&) = delete;
  ~BufferArena();

  // Returns 0 or a negative errno.
  int Allocate(size_t slotSize, uint32_t slotCount);
  // Registers the whole arena as fixed buffer 0. On failure (RLIMIT_MEMLOCK) the arena still
  // serves as plain memory; registrationError() says why.
  void Register(io_uring* ring);

  uint8_t* data() const { return data_; }
  size_t size() const { return size_; }
  size_t slotSize() const { return slotSize_; }
  uint32_t slotCount() const { return slotCount_; }
  bool registered() const { return registered_; }
  int registrationError() const { return registrationError_; }
  bool Contains(const void* p, size_t len) const {
    auto* b = static_cast<const uint8_t*>(p);
    return b >= data_ && b + len <= data_ + size_;
  }

 private:
  uint8_t* data_ = nullptr;
  size_t size_ = 0;
  size_t slotSize_ = 0;
  uint32_t slotCount_ = 0;
  bool registered_ = false;
  int registrationError_ = 0;
};
