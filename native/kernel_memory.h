// What this process holds in the kernel through io_uring, across every JS environment: rings
// open, and memory registered with them (the fixed-buffer arena, provided-buffer rings). The
// kernel pins or maps it on our behalf, so AddressSanitizer's leak check cannot see it; these
// counts are how a ring that outlives its environment shows up. One token per registration,
// released when the ring that holds it is closed.
#pragma once
#include <cstddef>
#include <cstdint>

struct KernelMemoryTally {
  int64_t rings;
  int64_t regions;
  int64_t bytes;
};

class KernelMemory {
 public:
  KernelMemory() = default;
  KernelMemory(const KernelMemory&) = delete;
  KernelMemory& operator=(const KernelMemory&) = delete;
  ~KernelMemory() { Release(); }

  void HoldRing();
  void HoldRegion(size_t bytes);
  // The kernel let go (the ring was closed): idempotent.
  void Release();

  static KernelMemoryTally Now();
  // With URING_SHIM_DEBUG set, one line on stderr at process exit with what is still held.
  // Installed with the first ring: a process that runs on Node's fallback prints only the line
  // that says why.
  static void ReportAtExit();

 private:
  int64_t rings_ = 0;
  int64_t regions_ = 0;
  int64_t bytes_ = 0;
};
