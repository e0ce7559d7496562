// The provided-buffer ring that multishot receives pick their buffers from. One per ring,
// set up on the first receive. A completed receive names the buffer it filled; JS copies the
// bytes out during the batch it is delivered in, and the buffer goes back to the kernel right
// after that batch -- so every buffer is lent to the kernel again within one loop turn.
#pragma once
#include <cstddef>
#include <cstdint>
#include <vector>

struct io_uring;
struct io_uring_buf_ring;

class BufRing {
 public:
  static constexpr uint16_t kGroup = 0;

  BufRing() = default;
  BufRing(const BufRing&) = delete;
  BufRing& operator=(const BufRing&) = delete;
  ~BufRing();

  // Returns 0 or a negative errno (e.g. -EINVAL where the kernel has no provided-buffer rings).
  int Setup(io_uring* ring, uint32_t bufSize, uint32_t count);
  bool ready() const { return ring_ != nullptr; }
  uint8_t* data() const { return bufs_; }
  size_t size() const { return static_cast<size_t>(bufSize_) * count_; }
  uint32_t bufSize() const { return bufSize_; }

  // A buffer JS is done with (after the batch that carried it).
  void Return(uint16_t bid) { pending_.push_back(bid); }
  // Hands the returned buffers back to the kernel in one step.
  void Flush();

 private:
  io_uring_buf_ring* ring_ = nullptr;
  size_t ringBytes_ = 0;
  uint8_t* bufs_ = nullptr;
  uint32_t bufSize_ = 0;
  uint32_t count_ = 0;
  std::vector<uint16_t> pending_;
};
