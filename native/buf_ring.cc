#include "buf_ring.h"

#include <liburing.h>
#include <sys/mman.h>

#include <cerrno>

BufRing::~BufRing() {
  // Unregistered by io_uring_queue_exit; the memory is released only after that (the owner
  // destroys this object after closing the ring).
  if (ring_ != nullptr) munmap(ring_, ringBytes_);
  if (bufs_ != nullptr) munmap(bufs_, size());
}

int BufRing::Setup(io_uring* ring, uint32_t bufSize, uint32_t count) {
  ringBytes_ = sizeof(io_uring_buf) * count;
  void* entries = mmap(nullptr, ringBytes_, PROT_READ | PROT_WRITE, MAP_PRIVATE | MAP_ANONYMOUS, -1, 0);
  if (entries == MAP_FAILED) return -errno;
  void* bufs = mmap(nullptr, static_cast<size_t>(bufSize) * count, PROT_READ | PROT_WRITE,
                    MAP_PRIVATE | MAP_ANONYMOUS, -1, 0);
  if (bufs == MAP_FAILED) {
    int err = -errno;
    munmap(entries, ringBytes_);
    return err;
  }
  io_uring_buf_reg reg{};
  reg.ring_addr = reinterpret_cast<uint64_t>(entries);
  reg.ring_entries = count;
  reg.bgid = kGroup;
  int rc = io_uring_register_buf_ring(ring, &reg, 0);
  if (rc < 0) {
    munmap(entries, ringBytes_);
    munmap(bufs, static_cast<size_t>(bufSize) * count);
    return rc;
  }
  ring_ = static_cast<io_uring_buf_ring*>(entries);
  bufs_ = static_cast<uint8_t*>(bufs);
  bufSize_ = bufSize;
  count_ = count;
  io_uring_buf_ring_init(ring_);
  for (uint32_t i = 0; i < count; ++i) {
    io_uring_buf_ring_add(ring_, bufs_ + static_cast<size_t>(i) * bufSize, bufSize, i,
                          io_uring_buf_ring_mask(count), i);
  }
  io_uring_buf_ring_advance(ring_, count);
  return 0;
}

void BufRing::Flush() {
  if (pending_.empty() || ring_ == nullptr) return;
  int i = 0;
  for (uint16_t bid : pending_) {
    io_uring_buf_ring_add(ring_, bufs_ + static_cast<size_t>(bid) * bufSize_, bufSize_, bid,
                          io_uring_buf_ring_mask(count_), i++);
  }
  io_uring_buf_ring_advance(ring_, i);
  pending_.clear();
}
