#include "syscall_fallback.h"

#include <fcntl.h>
#include <sys/stat.h>
#include <unistd.h>

#include <cerrno>
#include <cstring>

namespace {
constexpr unsigned kStatxMask = STATX_BASIC_STATS | STATX_BTIME;
constexpr uint64_t kCurrentPosition = static_cast<uint64_t>(-1);

const char* const kNames[] = {
    "openat", "close", "read", "write", "readv", "writev", "statx", "fsync", "ftruncate",
    "renameat", "unlinkat", "mkdirat", "linkat", "symlinkat",
};
static_assert(sizeof(kNames) / sizeof(kNames[0]) == static_cast<size_t>(OpCode::kSymlinkat) + 1);

long Call(Op& op) {
  const bool current = op.offset == kCurrentPosition;
  const off_t offset = static_cast<off_t>(op.offset);
  const int iovcnt = static_cast<int>(op.iovecs.size());
  switch (op.code) {
    case OpCode::kOpenat: return openat(AT_FDCWD, op.path.c_str(), op.flags, op.mode);
    case OpCode::kClose: return close(op.fd);
    case OpCode::kRead: return current ? read(op.fd, op.addr, op.len) : pread(op.fd, op.addr, op.len, offset);
    case OpCode::kWrite: return current ? write(op.fd, op.addr, op.len) : pwrite(op.fd, op.addr, op.len, offset);
    case OpCode::kReadv: return current ? readv(op.fd, op.iovecs.data(), iovcnt) : preadv(op.fd, op.iovecs.data(), iovcnt, offset);
    case OpCode::kWritev: return current ? writev(op.fd, op.iovecs.data(), iovcnt) : pwritev(op.fd, op.iovecs.data(), iovcnt, offset);
    case OpCode::kStatx: {
      int dirfd = op.path.empty() ? op.fd : AT_FDCWD;
      return statx(dirfd, op.path.c_str(), op.flags, kStatxMask, &op.statxBuf);
    }
    case OpCode::kFsync: return (op.flags & 1 /* IORING_FSYNC_DATASYNC */) ? fdatasync(op.fd) : fsync(op.fd);
    case OpCode::kFtruncate: return ftruncate(op.fd, offset);
    case OpCode::kRenameat: return renameat(AT_FDCWD, op.path.c_str(), AT_FDCWD, op.path2.c_str());
    case OpCode::kUnlinkat: return unlinkat(AT_FDCWD, op.path.c_str(), op.flags);
    case OpCode::kMkdirat: return mkdirat(AT_FDCWD, op.path.c_str(), op.mode);
    case OpCode::kLinkat: return linkat(AT_FDCWD, op.path.c_str(), AT_FDCWD, op.path2.c_str(), 0);
    case OpCode::kSymlinkat: return symlinkat(op.path.c_str(), AT_FDCWD, op.path2.c_str());
    default: break;  // socket operations: no system call fallback (HasSyscallFallback)
  }
  errno = EINVAL;
  return -1;
}
}  // namespace

int RunAsSyscall(Op& op) {
  long rc;
  // As libuv: retried on EINTR, except close and read (a retried close may close a reused fd).
  const bool retry = op.code != OpCode::kClose && op.code != OpCode::kRead;
  do {
    rc = Call(op);
  } while (rc < 0 && errno == EINTR && retry);
  return rc < 0 ? -errno : static_cast<int>(rc);
}

OpCode OpCodeNamed(const char* name, size_t length) {
  for (size_t i = 0; i <= static_cast<size_t>(OpCode::kSymlinkat); ++i) {
    if (std::strlen(kNames[i]) == length && std::strncmp(kNames[i], name, length) == 0) return static_cast<OpCode>(i);
  }
  return OpCode::kCount;
}

const char* OpCodeName(OpCode code) { return HasSyscallFallback(code) ? kNames[static_cast<size_t>(code)] : "socket"; }
