#include "kernel_memory.h"

#include <atomic>
#include <cinttypes>
#include <cstdio>
#include <cstdlib>

namespace {
std::atomic<int64_t> gRings{0};
std::atomic<int64_t> gRegions{0};
std::atomic<int64_t> gBytes{0};

void Report() {
  KernelMemoryTally held = KernelMemory::Now();
  // A process.exit() skips the environment's cleanup: what is still held then is released by
  // the kernel with the process, and the line says so rather than calling it a leak.
  std::fprintf(stderr,
               "uring-shim: at exit: %" PRId64 " rings open, %" PRId64 " bytes in %" PRId64
               " regions registered with the kernel%s\n",
               held.rings, held.bytes, held.regions,
               held.rings == 0 ? "" : " (the environment was not torn down; the kernel frees them with the process)");
}
}  // namespace

void KernelMemory::HoldRing() {
  ++rings_;
  ++gRings;
}

void KernelMemory::HoldRegion(size_t bytes) {
  ++regions_;
  bytes_ += static_cast<int64_t>(bytes);
  ++gRegions;
  gBytes += static_cast<int64_t>(bytes);
}

void KernelMemory::Release() {
  gRings -= rings_;
  gRegions -= regions_;
  gBytes -= bytes_;
  rings_ = regions_ = bytes_ = 0;
}

KernelMemoryTally KernelMemory::Now() { return {gRings.load(), gRegions.load(), gBytes.load()}; }

void KernelMemory::ReportAtExit() {
  static std::atomic<bool> installed{false};
  const char* debug = std::getenv("URING_SHIM_DEBUG");
  if (debug == nullptr || *debug == '\0' || installed.exchange(true)) return;
  std::atexit(Report);
}
