// The JS-callable surface: one function per operation, each filling the op record for the id
// JS chose and queueing it. Arguments arrive already validated by src/ (Node's own rules);
// nothing here throws across the Node-API boundary.
#include <fcntl.h>
#include <napi.h>
#include <sys/stat.h>

#include <cmath>
#include <cstring>
#include <string>

#include "args.h"
#include "ring.h"
#include "socket.h"
#include "syscall_fallback.h"

namespace {

Ring* RingOf(const Napi::CallbackInfo& info) { return info.Env().GetInstanceData<Ring>(); }

// Node positions: -1 (or null mapped to -1 by JS) means "the file's current position".
uint64_t Position(const Napi::Value& v) {
  double d = v.As<Napi::Number>().DoubleValue();
  return d < 0 ? static_cast<uint64_t>(-1) : static_cast<uint64_t>(d);
}

// Paths arrive as strings (encoded as UTF-8, as Node's BufferValue does) or as Buffers (bytes
// taken as they are). The copy lives in the op record until the completion.
void AssignPath(std::string& out, const Napi::Value& v) {
  if (v.IsBuffer()) {
    auto buf = v.As<Napi::Buffer<char>>();
    out.assign(buf.Data(), buf.Length());
    return;
  }
  napi_env env = v.Env();
  size_t len = 0;
  if (out.capacity() < 256) out.reserve(256);
  out.resize(out.capacity());
  napi_get_value_string_utf8(env, v, out.data(), out.size() + 1, &len);
  if (len == out.size()) {  // possibly truncated: ask for the exact length
    napi_get_value_string_utf8(env, v, nullptr, 0, &len);
    out.resize(len);
    napi_get_value_string_utf8(env, v, out.data(), len + 1, &len);
  }
  out.resize(len);
}

// Address of a caller's ArrayBufferView (pinned by JS for the op's lifetime) or, when `v` is a
// number, of that byte offset in the ring's arena.
void* Target(Ring* ring, const Napi::Value& v, const Napi::Value& offset, bool* fixed) {
  if (v.IsNumber()) {
    *fixed = ring->arena().registered();
    return ring->arena().data() + U32(v);
  }
  *fixed = false;
  napi_env env = v.Env();
  void* data = nullptr;
  if (v.IsTypedArray()) {
    napi_get_typedarray_info(env, v, nullptr, nullptr, &data, nullptr, nullptr);
  } else {
    napi_get_dataview_info(env, v, nullptr, &data, nullptr, nullptr);
  }
  return static_cast<uint8_t*>(data) + static_cast<size_t>(offset.As<Napi::Number>().DoubleValue());
}

// A fresh use of record `id`: its kind, no link, and a new generation (see UserData).
Op& Reuse(Ring* ring, uint32_t id, OpCode code) {
  Op& op = ring->OpAt(id);
  op.code = code;
  op.linked = kNoLink;
  op.weak = false;
  op.generation = (op.generation + 1) & 0x7fffffff;  // bit 63 of user_data stays ours
  return op;
}

Op& Begin(Ring* ring, const Napi::CallbackInfo& info, OpCode code) { return Reuse(ring, U32(info[0]), code); }

Napi::Value Openat(const Napi::CallbackInfo& info) {
  Ring* ring = RingOf(info);
  Op& op = Begin(ring, info, OpCode::kOpenat);
  AssignPath(op.path, info[1]);
  op.flags = I32(info[2]);
  op.mode = U32(info[3]);
  op.trackFd = Flag(info[4]);
  ring->Submit(U32(info[0]));
  return Napi::Value();
}

Napi::Value Close(const Napi::CallbackInfo& info) {
  Ring* ring = RingOf(info);
  Op& op = Begin(ring, info, OpCode::kClose);
  op.fd = I32(info[1]);
  ring->Submit(U32(info[0]));
  return Napi::Value();
}

// read/write(id, fd, target, targetOffset, length, position)
Napi::Value Transfer(const Napi::CallbackInfo& info, OpCode code) {
  Ring* ring = RingOf(info);
  Op& op = Begin(ring, info, code);
  op.fd = I32(info[1]);
  op.addr = Target(ring, info[2], info[3], &op.fixed);
  op.len = U32(info[4]);
  op.offset = Position(info[5]);
  ring->Submit(U32(info[0]));
  return Napi::Value();
}
Napi::Value Read(const Napi::CallbackInfo& info) { return Transfer(info, OpCode::kRead); }

// readThenClose(readId, closeId, fd, target, targetOffset, length, position): a read into
// shim-owned memory with the descriptor's close hard-linked behind it, in one submission.
Napi::Value ReadThenClose(const Napi::CallbackInfo& info) {
  Ring* ring = RingOf(info);
  uint32_t readId = U32(info[0]);
  uint32_t closeId = U32(info[1]);
  Op& read = Reuse(ring, readId, OpCode::kRead);
  read.fd = I32(info[2]);
  read.addr = Target(ring, info[3], info[4], &read.fixed);
  read.len = U32(info[5]);
  read.offset = Position(info[6]);
  Op& close = Reuse(ring, closeId, OpCode::kClose);
  close.fd = read.fd;
  ring->SubmitLinked(readId, closeId);
  return Napi::Value();
}
// regularSizeNow(fd): the size of `fd` if it is a regular file, else -1 (also on error). A
// statx of the open descriptor here, on the loop thread, not through the ring: io_uring always
// hands STATX to an io-wq worker, and for readFile of a small file that hand-off costs more
// than everything else together. It cannot wait on I/O: the inode is in memory (the file is
// open), only type and size are asked, and AT_STATX_DONT_SYNC keeps network filesystems from
// asking their server (NFS and FUSE answer from the attributes they revalidated at open).
Napi::Value RegularSizeNow(const Napi::CallbackInfo& info) {
  struct statx st;
  int rc = statx(I32(info[0]), "", AT_EMPTY_PATH | AT_STATX_DONT_SYNC, STATX_TYPE | STATX_SIZE, &st);
  bool known = rc == 0 && (st.stx_mask & (STATX_TYPE | STATX_SIZE)) == (STATX_TYPE | STATX_SIZE);
  bool regular = known && S_ISREG(st.stx_mode);
  if (regular) RingOf(info)->MarkRegular(I32(info[0]));
  return Napi::Number::New(info.Env(), regular ? static_cast<double>(st.stx_size) : -1);
}

Napi::Value Write(const Napi::CallbackInfo& info) { return Transfer(info, OpCode::kWrite); }

// readv/writev(id, fd, views[], position)
Napi::Value Vectored(const Napi::CallbackInfo& info, OpCode code) {
  Ring* ring = RingOf(info);
  Op& op = Begin(ring, info, code);
  op.fd = I32(info[1]);
  auto views = info[2].As<Napi::Array>();
  uint32_t count = views.Length();
  op.iovecs.resize(count);
  Napi::Value zero = Napi::Number::New(info.Env(), 0);
  for (uint32_t i = 0; i < count; ++i) {
    Napi::Value view = views.Get(i);
    bool fixed;
    op.iovecs[i].iov_base = Target(ring, view, zero, &fixed);
    op.iovecs[i].iov_len = view.IsTypedArray() ? view.As<Napi::TypedArray>().ByteLength()
                                               : view.As<Napi::DataView>().ByteLength();
  }
  op.offset = Position(info[3]);
  ring->Submit(U32(info[0]));
  return Napi::Value();
}
Napi::Value Readv(const Napi::CallbackInfo& info) { return Vectored(info, OpCode::kReadv); }
Napi::Value Writev(const Napi::CallbackInfo& info) { return Vectored(info, OpCode::kWritev); }

// statx(id, fd, path, flags, bigint): path '' with AT_EMPTY_PATH is fstat(fd).
Napi::Value Statx(const Napi::CallbackInfo& info) {
  Ring* ring = RingOf(info);
  Op& op = Begin(ring, info, OpCode::kStatx);
  op.fd = I32(info[1]);
  AssignPath(op.path, info[2]);
  op.flags = I32(info[3]);
  op.bigint = info[4].As<Napi::Boolean>().Value();
  ring->Submit(U32(info[0]));
  return Napi::Value();
}

// fsync(id, fd, flags): flags IORING_FSYNC_DATASYNC for fdatasync.
Napi::Value Fsync(const Napi::CallbackInfo& info) {
  Ring* ring = RingOf(info);
  Op& op = Begin(ring, info, OpCode::kFsync);
  op.fd = I32(info[1]);
  op.flags = I32(info[2]);
  ring->Submit(U32(info[0]));
  return Napi::Value();
}

Napi::Value Ftruncate(const Napi::CallbackInfo& info) {
  Ring* ring = RingOf(info);
  Op& op = Begin(ring, info, OpCode::kFtruncate);
  op.fd = I32(info[1]);
  op.offset = static_cast<uint64_t>(info[2].As<Napi::Number>().DoubleValue());
  ring->Submit(U32(info[0]));
  return Napi::Value();
}

// Two-path operations: (id, pathA, pathB).
Napi::Value TwoPaths(const Napi::CallbackInfo& info, OpCode code) {
  Ring* ring = RingOf(info);
  Op& op = Begin(ring, info, code);
  AssignPath(op.path, info[1]);
  AssignPath(op.path2, info[2]);
  ring->Submit(U32(info[0]));
  return Napi::Value();
}
Napi::Value Renameat(const Napi::CallbackInfo& info) { return TwoPaths(info, OpCode::kRenameat); }
Napi::Value Linkat(const Napi::CallbackInfo& info) { return TwoPaths(info, OpCode::kLinkat); }
Napi::Value Symlinkat(const Napi::CallbackInfo& info) { return TwoPaths(info, OpCode::kSymlinkat); }

// One path and a number: unlinkat(id, path, flags), mkdirat(id, path, mode).
Napi::Value PathAndNumber(const Napi::CallbackInfo& info, OpCode code) {
  Ring* ring = RingOf(info);
  Op& op = Begin(ring, info, code);
  AssignPath(op.path, info[1]);
  op.flags = I32(info[2]);
  op.mode = U32(info[2]);
  ring->Submit(U32(info[0]));
  return Napi::Value();
}
Napi::Value Unlinkat(const Napi::CallbackInfo& info) { return PathAndNumber(info, OpCode::kUnlinkat); }
Napi::Value Mkdirat(const Napi::CallbackInfo& info) { return PathAndNumber(info, OpCode::kMkdirat); }

// ---- sockets --------------------------------------------------------------------------------

// connect(id, fd, family, host, port) -> 0, or -EINVAL for an address that does not parse.
Napi::Value Connect(const Napi::CallbackInfo& info) {
  Ring* ring = RingOf(info);
  Op& op = Begin(ring, info, OpCode::kConnect);
  op.fd = I32(info[1]);
  if (!ParseSockaddr(I32(info[2]), info[3].As<Napi::String>().Utf8Value(), I32(info[4]), &op.sockaddr, &op.sockaddrLen)) {
    return Napi::Number::New(info.Env(), -EINVAL);
  }
  ring->Submit(U32(info[0]));
  return Napi::Number::New(info.Env(), 0);
}

// accept(id, fd, weak): multishot; each completion is a new non-blocking, close-on-exec fd.
// recv(id, fd, weak): multishot into the provided-buffer ring -> 0 or a negative errno.
Napi::Value Multishot(const Napi::CallbackInfo& info, OpCode code) {
  Ring* ring = RingOf(info);
  if (code == OpCode::kRecv) {
    int rc = ring->EnsureBufRing();
    if (rc < 0) return Napi::Number::New(info.Env(), rc);
  }
  Op& op = Begin(ring, info, code);
  op.fd = I32(info[1]);
  op.flags = BufRing::kGroup;
  op.weak = Flag(info[2]);
  ring->Submit(U32(info[0]));
  return Napi::Number::New(info.Env(), 0);
}
Napi::Value Accept(const Napi::CallbackInfo& info) { return Multishot(info, OpCode::kAccept); }
Napi::Value Recv(const Napi::CallbackInfo& info) { return Multishot(info, OpCode::kRecv); }

// A send whose op.iovecs are filled in.
Napi::Value SubmitSend(Ring* ring, Op& op, const Napi::CallbackInfo& info) {
  std::memset(&op.msg, 0, sizeof(op.msg));
  op.msg.msg_iov = op.iovecs.data();
  op.msg.msg_iovlen = op.iovecs.size();
  ring->Submit(U32(info[0]));
  return Napi::Value();
}

// sendmsg(id, fd, views[]): the views are pinned by JS until the completion.
Napi::Value Sendmsg(const Napi::CallbackInfo& info) {
  Ring* ring = RingOf(info);
  Op& op = Begin(ring, info, OpCode::kSendmsg);
  op.fd = I32(info[1]);
  uint32_t count = 0;
  napi_get_array_length(info.Env(), info[2], &count);
  op.iovecs.resize(count);
  ViewsToIovecs(info.Env(), info[2], count, op.iovecs.data());
  return SubmitSend(ring, op, info);
}

// send(id, fd, view): sendmsg of one view (most answers), without an array to read through
// Node-API -- napi_get_element was 1.4% of an echo server's CPU.
Napi::Value Send(const Napi::CallbackInfo& info) {
  Ring* ring = RingOf(info);
  Op& op = Begin(ring, info, OpCode::kSendmsg);
  op.fd = I32(info[1]);
  op.iovecs.resize(1);
  ViewToIovec(info.Env(), info[2], &op.iovecs[0]);
  return SubmitSend(ring, op, info);
}

Napi::Value SetWeak(const Napi::CallbackInfo& info) {
  RingOf(info)->SetWeak(U32(info[0]), Flag(info[1]));
  return Napi::Value();
}

// recvBuffers() -> the provided-buffer ring's memory (buffer id i at i * bufSize), or a
// negative errno where the kernel has no provided-buffer rings.
Napi::Value RecvBuffers(const Napi::CallbackInfo& info) {
  Ring* ring = RingOf(info);
  int rc = ring->EnsureBufRing();
  if (rc < 0) return Napi::Number::New(info.Env(), rc);
  const BufRing& bufs = ring->bufRing();
  Napi::Object out = Napi::Object::New(info.Env());
  out.Set("memory", Napi::Buffer<uint8_t>::New(info.Env(), bufs.data(), bufs.size()));
  out.Set("bufSize", bufs.bufSize());
  return out;
}

// pend(id): id's completion (result 0) comes from the loop's next pending phase.
Napi::Value Pend(const Napi::CallbackInfo& info) {
  RingOf(info)->Pend(U32(info[0]));
  return Napi::Value();
}

// deferToPoll(id): id's completion (result 0) comes from the loop's next poll phase.
Napi::Value DeferToPoll(const Napi::CallbackInfo& info) {
  RingOf(info)->DeferToPoll(U32(info[0]));
  return Napi::Value();
}

// atClosing(id): id's completion (result 0) comes from this loop turn's closing phase.
Napi::Value AtClosing(const Napi::CallbackInfo& info) {
  RingOf(info)->AtClosing(U32(info[0]));
  return Napi::Value();
}

// reportUncaught(error): Node's handling of an uncaught exception, now, from inside the batch's
// callback scope -- as V8 reports one thrown through no TryCatch at the moment it is thrown.
// A nextTick that threw out of the task queue JS runs leaves its async context on the stack;
// the 'uncaughtException' handling clears that stack, which must happen before the scope
// closes (closing checks the stack). Without a handler the process ends here, as Node's would.
Napi::Value ReportUncaught(const Napi::CallbackInfo& info) {
  napi_fatal_exception(info.Env(), info[0]);
  return Napi::Value();
}

Napi::Value Cancel(const Napi::CallbackInfo& info) {
  RingOf(info)->Cancel(U32(info[0]));
  return Napi::Value();
}

Napi::Value Counters(const Napi::CallbackInfo& info) {
  Ring* ring = RingOf(info);
  Napi::Env env = info.Env();
  Napi::Object out = Napi::Object::New(env);
  out.Set("enters", ring->counters().enters);
  out.Set("completions", ring->counters().completions);
  out.Set("largestBatch", ring->counters().largestBatch);
  out.Set("inFlight", static_cast<double>(ring->inFlight()));
  out.Set("servedByThreadpool", ring->counters().servedByThreadpool);
  out.Set("cqOverflows", ring->counters().cqOverflows);
  out.Set("cqDropped", static_cast<double>(ring->cqDropped()));
  out.Set("watchedFiles", static_cast<double>(ring->watchedFiles()));
  Napi::Array refused = Napi::Array::New(env);
  for (size_t code = 0, i = 0; code < static_cast<size_t>(OpCode::kCount); ++code) {
    if (ring->Refused(static_cast<OpCode>(code))) refused.Set(static_cast<uint32_t>(i++), OpCodeName(static_cast<OpCode>(code)));
  }
  out.Set("refusedByKernel", refused);
  return out;
}

// kernelMemory() -> what the whole process holds in the kernel through io_uring (every
// environment's ring): { rings, regions, bytes }. Works without a ring of its own.
Napi::Value KernelMemoryNow(const Napi::CallbackInfo& info) {
  KernelMemoryTally held = KernelMemory::Now();
  Napi::Object out = Napi::Object::New(info.Env());
  out.Set("rings", static_cast<double>(held.rings));
  out.Set("regions", static_cast<double>(held.regions));
  out.Set("bytes", static_cast<double>(held.bytes));
  return out;
}

// The ring's lifetime belongs to its async cleanup hook, which may finish after this data is
// finalized: the ring must stay until every op the kernel holds has completed.
void LeaveToCleanupHook(Napi::Env, Ring*) {}

// init(onCompletions) -> the ring's shared arrays and facts, or { error } when the kernel
// refuses io_uring here. Called once per environment.
Napi::Value Init(const Napi::CallbackInfo& info) {
  Napi::Env env = info.Env();
  if (Ring* existing = env.GetInstanceData<Ring>()) return existing->Exports(env);
  std::string error;
  Ring* ring = Ring::Create(env, info[0].As<Napi::Function>(), &error);
  if (ring == nullptr) {
    Napi::Object out = Napi::Object::New(env);
    out.Set("error", error);
    return out;
  }
  env.SetInstanceData<Ring, LeaveToCleanupHook>(ring);
  return ring->Exports(env);
}

Napi::Object Register(Napi::Env env, Napi::Object exports) {
  const std::pair<const char*, Napi::Function::Callback> functions[] = {
      {"init", Init},         {"openat", Openat},   {"close", Close},
      {"read", Read},         {"readThenClose", ReadThenClose}, {"regularSizeNow", RegularSizeNow}, {"write", Write},     {"readv", Readv},
      {"writev", Writev},     {"statx", Statx},     {"fsync", Fsync},
      {"ftruncate", Ftruncate}, {"renameat", Renameat}, {"unlinkat", Unlinkat},
      {"mkdirat", Mkdirat},   {"linkat", Linkat},   {"symlinkat", Symlinkat},
      {"cancel", Cancel},     {"counters", Counters},
      {"connect", Connect},   {"accept", Accept},   {"recv", Recv},
      {"send", Send},         {"sendmsg", Sendmsg}, {"setWeak", SetWeak},
      {"recvBuffers", RecvBuffers}, {"kernelMemory", KernelMemoryNow}, {"pend", Pend}, {"deferToPoll", DeferToPoll},
      {"atClosing", AtClosing},
      {"reportUncaught", ReportUncaught},
  };
  for (const auto& [name, fn] : functions) exports.Set(name, Napi::Function::New(env, fn, name));
  RegisterSocketFunctions(env, exports);
  return exports;
}

}  // namespace

NODE_API_MODULE(uring_shim, Register)
