// One record per operation id. JS picks the id; the record holds everything the kernel reads
// or writes for that operation (paths, iovecs, the statx result) until its completion arrives,
// so nothing the kernel touches lives in JS-managed or stack memory except the caller-pinned
// Buffers that JS keeps alive itself.
#pragma once
#include <linux/stat.h>
#include <sys/socket.h>
#include <sys/uio.h>

#include <cstdint>
#include <string>
#include <vector>

struct io_uring_sqe;

// Order and values are shared with src/native.ts (OpCode).
enum class OpCode : uint8_t {
  kOpenat = 0,
  kClose,
  kRead,
  kWrite,
  kReadv,
  kWritev,
  kStatx,
  kFsync,
  kFtruncate,
  kRenameat,
  kUnlinkat,
  kMkdirat,
  kLinkat,
  kSymlinkat,
  kConnect,
  kAccept,     // multishot: one completion per connection, F_MORE until it ends
  kRecv,       // multishot, buffers from the provided-buffer ring
  kSendmsg,
  kCount,
};

// Node's Stats field order (kFsStatsFieldsNumber in src/node_file.h).
constexpr int kStatsFields = 18;

constexpr uint32_t kNoLink = UINT32_MAX;

struct Op {
  OpCode code = OpCode::kOpenat;
  // The op submitted right behind this one, hard-linked: the kernel starts it only once this
  // one has completed, whatever its result (read-then-close of a descriptor nobody else sees).
  uint32_t linked = kNoLink;
  bool bigint = false;     // statx: fill the shared stats area as int64 rather than double
  bool fixed = false;      // read/write: addr lies in the registered arena
  bool trackFd = false;    // openat: the descriptor belongs to a FileHandle (see Ring::TrackDescriptor)
  int fd = -1;
  int flags = 0;
  uint32_t mode = 0;
  uint32_t len = 0;
  uint64_t offset = 0;     // (uint64_t)-1: the file's current position
  void* addr = nullptr;
  std::string path;        // capacity is kept across reuses: no allocation once warm
  std::string path2;
  std::vector<iovec> iovecs;
  struct statx statxBuf;
  uint32_t generation = 0;  // bumped at each reuse of the id: see UserData
  bool weak = false;       // an unref'd socket's op: does not keep the loop alive
  sockaddr_storage sockaddr;
  socklen_t sockaddrLen = 0;
  msghdr msg;
};

// Whether a completion ends its op (multishot ops post many completions with F_MORE).
bool IsMultishot(OpCode code);
// A read or write (vectored or not) of a file descriptor.
bool IsTransfer(OpCode code);
// A transfer at the descriptor's current position: the kind that may wait on a pipe.
inline bool AtCurrentPosition(const Op& op) { return IsTransfer(op.code) && op.offset == static_cast<uint64_t>(-1); }

// An SQE's user_data: the id, and the generation of the record's use. A cancel aimed at one
// use of an id can then never hit a later use of the same id (JS reuses ids at once).
inline uint64_t UserData(const Op& op, uint32_t id) { return (static_cast<uint64_t>(op.generation) << 32) | id; }
inline uint32_t IdOf(uint64_t userData) { return static_cast<uint32_t>(userData); }

// Fills an SQE from the record.
void PrepareSqe(io_uring_sqe* sqe, const Op& op, uint32_t id);
// Writes a completed statx into `fields` in Node's layout.
void StoreStats(const struct statx& st, bool bigint, double* fields);
