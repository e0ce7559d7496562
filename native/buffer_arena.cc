#include "buffer_arena.h"

#include <liburing.h>
#include <sys/mman.h>

#include <cerrno>

BufferArena::~BufferArena() {
  if (data_ != nullptr) munmap(data_, size_);
}

int BufferArena::Allocate(size_t slotSize, uint32_t slotCount) {
  size_t size = slotSize * slotCount;
  void* p = mmap(nullptr, size, PROT_READ | PROT_WRITE, MAP_PRIVATE | MAP_ANONYMOUS, -1, 0);
  if (p == MAP_FAILED) return -errno;
  data_ = static_cast<uint8_t*>(p);
  size_ = size;
  slotSize_ = slotSize;
  slotCount_ = slotCount;
  return 0;
}

void BufferArena::Register(io_uring* ring) {
  iovec whole{data_, size_};
  int rc = io_uring_register_buffers(ring, &whole, 1);
  registered_ = rc == 0;
  registrationError_ = rc < 0 ? rc : 0;
}
