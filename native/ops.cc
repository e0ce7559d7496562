#include "ops.h"

#include <fcntl.h>
#include <liburing.h>
#include <sys/sysmacros.h>

#include <cstring>

namespace {
// IORING_OP_FTRUNCATE (Linux 6.9) postdates liburing 2.3's headers; the SQE layout is the
// kernel's: fd, off = length.
constexpr uint8_t kIoringOpFtruncate = 55;
constexpr unsigned kStatxMask = STATX_BASIC_STATS | STATX_BTIME;
}  // namespace

void PrepareSqe(io_uring_sqe* sqe, const Op& op, uint32_t id) {
  switch (op.code) {
    case OpCode::kOpenat:
      io_uring_prep_openat(sqe, AT_FDCWD, op.path.c_str(), op.flags, op.mode);
      break;
    case OpCode::kClose:
      io_uring_prep_close(sqe, op.fd);
      break;
    case OpCode::kRead:
      if (op.fixed) io_uring_prep_read_fixed(sqe, op.fd, op.addr, op.len, op.offset, 0);
      else io_uring_prep_read(sqe, op.fd, op.addr, op.len, op.offset);
      break;
    case OpCode::kWrite:
      if (op.fixed) io_uring_prep_write_fixed(sqe, op.fd, op.addr, op.len, op.offset, 0);
      else io_uring_prep_write(sqe, op.fd, op.addr, op.len, op.offset);
      break;
    case OpCode::kReadv:
      io_uring_prep_readv(sqe, op.fd, op.iovecs.data(), op.iovecs.size(), op.offset);
      break;
    case OpCode::kWritev:
      io_uring_prep_writev(sqe, op.fd, op.iovecs.data(), op.iovecs.size(), op.offset);
      break;
    case OpCode::kStatx: {
      // An empty path with AT_EMPTY_PATH is fstat of `fd`, as libuv's uv__fs_statx does it.
      int dirfd = op.path.empty() ? op.fd : AT_FDCWD;
      io_uring_prep_statx(sqe, dirfd, op.path.c_str(), op.flags, kStatxMask,
                          const_cast<struct statx*>(&op.statxBuf));
      break;
    }
    case OpCode::kFsync:
      io_uring_prep_fsync(sqe, op.fd, op.flags);
      break;
    case OpCode::kFtruncate:
      io_uring_prep_rw(kIoringOpFtruncate, sqe, op.fd, nullptr, 0, op.offset);
      break;
    case OpCode::kRenameat:
      io_uring_prep_renameat(sqe, AT_FDCWD, op.path.c_str(), AT_FDCWD, op.path2.c_str(), 0);
      break;
    case OpCode::kUnlinkat:
      io_uring_prep_unlinkat(sqe, AT_FDCWD, op.path.c_str(), op.flags);
      break;
    case OpCode::kMkdirat:
      io_uring_prep_mkdirat(sqe, AT_FDCWD, op.path.c_str(), op.mode);
      break;
    case OpCode::kLinkat:
      io_uring_prep_linkat(sqe, AT_FDCWD, op.path.c_str(), AT_FDCWD, op.path2.c_str(), 0);
      break;
    case OpCode::kSymlinkat:
      io_uring_prep_symlinkat(sqe, op.path.c_str(), AT_FDCWD, op.path2.c_str());
      break;
    case OpCode::kConnect:
      io_uring_prep_connect(sqe, op.fd, reinterpret_cast<const sockaddr*>(&op.sockaddr), op.sockaddrLen);
      break;
    case OpCode::kAccept:
      io_uring_prep_multishot_accept(sqe, op.fd, nullptr, nullptr, SOCK_NONBLOCK | SOCK_CLOEXEC);
      break;
    case OpCode::kRecv:
      io_uring_prep_recv_multishot(sqe, op.fd, nullptr, 0, 0);
      sqe->flags |= IOSQE_BUFFER_SELECT;
      sqe->buf_group = op.flags;
      break;
    case OpCode::kSendmsg:
      // One buffer (an answer, most often): SEND skips copying in and checking a msghdr.
      if (op.msg.msg_iovlen == 1) io_uring_prep_send(sqe, op.fd, op.iovecs[0].iov_base, op.iovecs[0].iov_len, MSG_NOSIGNAL);
      else io_uring_prep_sendmsg(sqe, op.fd, &op.msg, MSG_NOSIGNAL);
      break;
    case OpCode::kCount:
      break;
  }
  io_uring_sqe_set_data64(sqe, UserData(op, id));
}

bool IsMultishot(OpCode code) { return code == OpCode::kAccept || code == OpCode::kRecv; }

bool IsTransfer(OpCode code) {
  return code == OpCode::kRead || code == OpCode::kWrite || code == OpCode::kReadv || code == OpCode::kWritev;
}

void StoreStats(const struct statx& st, bool bigint, double* fields) {
  const int64_t values[kStatsFields] = {
      static_cast<int64_t>(makedev(st.stx_dev_major, st.stx_dev_minor)),
      st.stx_mode,
      st.stx_nlink,
      st.stx_uid,
      st.stx_gid,
      static_cast<int64_t>(makedev(st.stx_rdev_major, st.stx_rdev_minor)),
      st.stx_blksize,
      static_cast<int64_t>(st.stx_ino),
      static_cast<int64_t>(st.stx_size),
      static_cast<int64_t>(st.stx_blocks),
      st.stx_atime.tv_sec, st.stx_atime.tv_nsec,
      st.stx_mtime.tv_sec, st.stx_mtime.tv_nsec,
      st.stx_ctime.tv_sec, st.stx_ctime.tv_nsec,
      st.stx_btime.tv_sec, st.stx_btime.tv_nsec,
  };
  if (bigint) {
    std::memcpy(fields, values, sizeof(values));
  } else {
    for (int i = 0; i < kStatsFields; ++i) fields[i] = static_cast<double>(values[i]);
    fields[7] = static_cast<double>(st.stx_ino);  // unsigned, as Node converts it
  }
}
