#include "ring.h"

#include <sys/epoll.h>
#include <sys/eventfd.h>
#include <unistd.h>

#include <algorithm>
#include <cerrno>
#include <cstdlib>
#include <cstring>

#include "syscall_fallback.h"

namespace {
constexpr uint64_t kInternal = 1ULL << 63;  // user_data of our own cancel SQEs
constexpr unsigned kSqEntries = 256;
constexpr unsigned kCqEntries = 4096;
constexpr size_t kSlotSize = 16 * 1024;
constexpr uint32_t kSlotCount = 128;
constexpr int kTeardownWaitMs = 10000;
constexpr unsigned kNopInjectResult = 1U << 0;  // IORING_NOP_INJECT_RESULT (6.7), not in liburing 2.3
// A receive takes at most one buffer: 64 KiB, what libuv reads at a time (Node's allocator gives
// each stream read 64 KiB). It is visible: 'data' chunks are as large as Node's, and each read
// decides the window the kernel advertises next -- with 16 KiB buffers a reader that had taken
// 100 KiB advertised 57,344 bytes where Node's advertised 91,136, and a peer's bytes sent just
// before its reset died in its queue where Node's reader got them (property test, seed 1006).
constexpr uint32_t kRecvBufSize = 64 * 1024;
constexpr uint32_t kRecvBufCount = 128;
constexpr int kEnterRounds = 4;  // GETEVENTS enters per wake-up before the rest waits a turn
constexpr unsigned kLocalWorkShare = 20;  // deferred items one GETEVENTS enter runs (IO_LOCAL_TW_DEFAULT_MAX)

// Preferred first. SQPOLL is never used: its kernel thread keeps the creator's credentials
// (CVE-2024-22017) and costs a CPU in small containers (libuv#4089).
// TASKRUN_FLAG makes the kernel say (IORING_SQ_TASKRUN) when deferred work waits for a
// GETEVENTS enter, so a wake-up whose completions are already in the CQ needs no enter at all.
constexpr unsigned kFlagChoices[] = {
    IORING_SETUP_SINGLE_ISSUER | IORING_SETUP_DEFER_TASKRUN | IORING_SETUP_TASKRUN_FLAG,  // 6.1
    IORING_SETUP_SINGLE_ISSUER | IORING_SETUP_DEFER_TASKRUN,
    IORING_SETUP_COOP_TASKRUN | IORING_SETUP_TASKRUN_FLAG,    // 5.19
    0,
};

std::string ErrnoName(int err) {
  const char* name = strerrorname_np(err);
  return name != nullptr ? name : std::to_string(err);
}
}  // namespace

Ring* Ring::Create(Napi::Env env, Napi::Function onCompletions, std::string* error) {
  Ring* ring = new Ring();
  int rc = ring->Setup(env, onCompletions);
  if (rc == 0) return ring;
  *error = std::string(ring->ringReady_ ? "setup: " : "io_uring_setup: ") + ErrnoName(-rc);
  ring->Teardown();
  delete ring;
  return nullptr;
}

int Ring::Setup(Napi::Env env, Napi::Function onCompletions) {
  env_ = env;
  unsigned sqEntries = kSqEntries;
  unsigned cqEntries = kCqEntries;
  // Tests shrink the ring so that a few ops fill the SQ, exhaust the CQ budget and make
  // multishot completions overflow the CQ (test/faults/cq-overflow.test.mjs).
  if (const char* entries = std::getenv("URING_SHIM_TEST_RING_ENTRIES")) {
    unsigned long n = std::strtoul(entries, nullptr, 10);
    if (n >= 1 && n <= kSqEntries) {
      sqEntries = static_cast<unsigned>(n);
      cqEntries = 2 * sqEntries;
    }
  }
  int rc = -EINVAL;
  for (unsigned flags : kFlagChoices) {
    io_uring_params params{};
    // Kernels that charge ring memory to RLIMIT_MEMLOCK (without CAP_IPC_LOCK) refuse a 4096-entry
    // CQ under a 64 KiB limit (Docker's default, older distributions'); the kernel's default CQ
    // size still fits, and the backlog keeps within whatever size we get.
    for (unsigned cqSize : {cqEntries, 2 * sqEntries}) {
      params = io_uring_params{};
      params.flags = flags | IORING_SETUP_CQSIZE | IORING_SETUP_SUBMIT_ALL;
      params.cq_entries = cqSize;
      rc = io_uring_queue_init_params(sqEntries, &ring_, &params);
      if (rc != -ENOMEM) break;
    }
    if (rc == 0) {
      setupFlags_ = flags;
      cqBudget_ = params.cq_entries;
      break;
    }
    // Only "this flag is unknown here" is worth another try; EPERM/ENOSYS/ENOMEM are final.
    if (rc != -EINVAL) return rc;
  }
  if (rc != 0) return rc;
  ringReady_ = true;
  kernelMemory_.HoldRing();
  KernelMemory::ReportAtExit();

  if (io_uring_probe* probe = io_uring_get_probe_ring(&ring_)) {
    probe_.assign(probe->last_op + 1, 0);
    for (int i = 0; i < probe->ops_len; ++i) {
      if (probe->ops[i].flags & IO_URING_OP_SUPPORTED) probe_[probe->ops[i].op] = 1;
    }
    io_uring_free_probe(probe);
  }

  // Fault injection for tests: the kernel itself answers EOPNOTSUPP for the named kinds (a NOP
  // that injects the result), so the whole refusal path runs as it would on a real refusal.
  if (const char* names = std::getenv("URING_SHIM_TEST_REFUSE")) {
    for (const char* p = names; *p != '\0';) {
      size_t length = std::strcspn(p, ",");
      OpCode code = OpCodeNamed(p, length);
      if (code != OpCode::kCount) injectRefusal_[static_cast<size_t>(code)] = true;
      p += length + (p[length] == ',');
    }
  }

  eventFd_ = eventfd(0, EFD_NONBLOCK | EFD_CLOEXEC);
  if (eventFd_ < 0) return -errno;
  if ((rc = io_uring_register_eventfd(&ring_, eventFd_)) < 0) return rc;
  if ((rc = arena_.Allocate(kSlotSize, kSlotCount)) < 0) return rc;
  arena_.Register(&ring_);
  if (arena_.registered()) kernelMemory_.HoldRegion(arena_.size());

  // After the triples: JS's cursor (the index of the next entry to settle), and the delivery
  // epoch (moved on once the task queue has run after a completion's code).
  Napi::ArrayBuffer completions = Napi::ArrayBuffer::New(env, kCompletionSlots * sizeof(int32_t));
  Napi::ArrayBuffer stats = Napi::ArrayBuffer::New(env, kBatch * kStatsFields * sizeof(double));
  Napi::Object resource = Napi::Object::New(env);
  // A Worker terminated while it loads the shim: JS values can no longer be created (the throw
  // is swallowed, see CMakeLists.txt), so give up before any handle is started.
  if (completions.IsEmpty() || stats.IsEmpty() || resource.IsEmpty()) return -ECANCELED;
  completions_ = static_cast<int32_t*>(completions.Data());
  statsFields_ = static_cast<double*>(stats.Data());
  completionsRef_ = Napi::Persistent(completions);
  statsRef_ = Napi::Persistent(stats);
  onCompletions_ = Napi::Persistent(onCompletions);
  resource_ = Napi::Persistent(resource);
  asyncContext_ = std::make_unique<Napi::AsyncContext>(env, "URING_SHIM_COMPLETIONS", resource);

  // Under DEFER_TASKRUN libuv watches the doorbell, with the eventfd inside it: one wake-up
  // per poll phase, whichever rang (see WatchSocket).
  int watched = eventFd_;
  if (setupFlags_ & IORING_SETUP_DEFER_TASKRUN) {
    doorbellFd_ = epoll_create1(EPOLL_CLOEXEC);
    if (doorbellFd_ < 0) return -errno;
    epoll_event event{};
    event.events = EPOLLIN;
    event.data.fd = eventFd_;
    if (epoll_ctl(doorbellFd_, EPOLL_CTL_ADD, eventFd_, &event) < 0) return -errno;
    watched = doorbellFd_;
  }

  napi_get_uv_event_loop(env, &loop_);
  uv_prepare_init(loop_, &prepare_);
  uv_poll_init(loop_, &poll_, watched);
  prepare_.data = poll_.data = this;
  handlesOpen_ = 2;
  uv_prepare_start(&prepare_, OnPrepare);
  uv_poll_start(&poll_, UV_READABLE, OnPoll);
  // The prepare handle never holds the loop open; the poll handle does, while ops are pending.
  uv_unref(reinterpret_cast<uv_handle_t*>(&prepare_));
  uv_unref(reinterpret_cast<uv_handle_t*>(&poll_));
  napi_add_async_cleanup_hook(env, OnAsyncCleanup, this, &cleanupHook_);
  return 0;
}

Ring::~Ring() = default;

Op& Ring::OpAt(uint32_t id) {
  uint32_t chunk = id / kChunk;
  while (ops_.size() <= chunk) ops_.emplace_back(new Op[kChunk]);
  return ops_[chunk][id % kChunk];
}

// Puts op `id` -- and the op linked behind it, if any -- into the SQ. A linked pair goes in
// whole or not at all: a chain cut by a submit boundary would let the second op run on its own.
bool Ring::TakeSqes(uint32_t id) {
  Op& op = OpAt(id);
  unsigned needed = op.linked == kNoLink ? 1 : 2;
  bool multishot = IsMultishot(op.code);
  // Keep single-shot completions from overflowing the CQ.
  if (!multishot && inflight_ - multishotInflight_ + needed > cqBudget_) return false;
  if (io_uring_sq_space_left(&ring_) < needed) {
    Enter(false);  // the SQ is full: flush it now rather than wait for the loop turn
    if (io_uring_sq_space_left(&ring_) < needed) return false;
  }
  io_uring_sqe* sqe = io_uring_get_sqe(&ring_);
  if (injectRefusal_[static_cast<size_t>(op.code)] && op.linked == kNoLink) PrepareRefusal(sqe, id);
  else PrepareSqe(sqe, op, id);
  if (op.linked != kNoLink) {
    sqe->flags |= IOSQE_IO_HARDLINK;
    PrepareSqe(io_uring_get_sqe(&ring_), OpAt(op.linked), op.linked);
  }
  inflight_ += needed;
  if (multishot) ++multishotInflight_;
  unsubmitted_ += needed;
  if (op.code == OpCode::kConnect && doorbellFd_ >= 0) connecting_.push_back(op.fd);
  return true;
}

// Under DEFER_TASKRUN a socket's readiness becomes deferred work for the next GETEVENTS enter,
// and the kernel signals the eventfd for it -- but on this machine's 6.18 it signals from an
// RCU callback, not at once: a loop asleep in epoll_wait woke 4-16 ms after the bytes came (an
// idle server answered each request ~14 ms late; on a CPU shared with its peers it slept
// through most of them, 11-17x slower than Node). The doorbell is an epoll instance watching
// the ring's sockets, edge-triggered and never modified, watched by libuv: a socket's
// wake-up reaches the loop at once, as libuv's own epoll would. A socket is watched before the
// ring arms its receives and sends, so their wait-queue entries, added later at the head, run
// first: the deferred work is queued before the doorbell rings. A connecting socket is watched
// only after the enter that submits its connect, as libuv adds it to its epoll at the next
// poll: a connect to a listener of this process completes inside that enter, and its answer
// must come after the listener's readiness, which Node's accept handles first.
void Ring::WatchSocket(int fd) {
  ForgetFile(fd);  // a number the shim never saw closed, now a socket's
  if (doorbellFd_ < 0) return;
  epoll_event event{};
  event.events = EPOLLIN | EPOLLOUT | EPOLLRDHUP | EPOLLET;
  event.data.fd = fd;
  epoll_ctl(doorbellFd_, EPOLL_CTL_ADD, fd, &event);
}

// Before the descriptor is closed or handed to a Node handle, as libuv drops a closed
// descriptor from its epoll (a socket that ring ops still hold outlives its descriptor, and
// would keep ringing).
void Ring::UntrackSocket(int fd) {
  ownedFds_.erase(fd);
  ForgetFile(fd);
  if (doorbellFd_ < 0) return;
  connecting_.erase(std::remove(connecting_.begin(), connecting_.end(), fd), connecting_.end());
  epoll_ctl(doorbellFd_, EPOLL_CTL_DEL, fd, nullptr);
}

// A read or write at a descriptor's current position is what may wait on a pipe, a FIFO or a
// terminal -- and its wake-up then comes as late as a socket's did (WatchSocket): a FIFO reader
// got each line 5 ms after it was written (median over 200 lines 5 ms apart; plain Node 0 ms),
// four lines to a read. So the doorbell watches those descriptors as it watches sockets, from
// before the op reaches the kernel, until the shim closes them. epoll refuses descriptors that
// never wait (EPERM: regular files, directories); that answer is kept, so a stream of reads
// tries once. A descriptor closed behind the shim's back (Node's closeSync) keeps its entry: a
// later file under its number is not watched (its reads wake late) or stays watched after its
// file is gone (epoll drops a closed file by itself) -- never a lost wake-up.
void Ring::WatchFile(int fd) {
  if (doorbellFd_ < 0 || fd < 0 || fileWatch_.count(fd) != 0) return;
  epoll_event event{};
  event.events = EPOLLIN | EPOLLOUT | EPOLLRDHUP | EPOLLET;
  event.data.fd = fd;
  if (epoll_ctl(doorbellFd_, EPOLL_CTL_ADD, fd, &event) == 0) fileWatch_.emplace(fd, FileWatch::kWatched);
  else if (errno == EEXIST) fileWatch_.emplace(fd, FileWatch::kSocket);
  else if (errno == EPERM) fileWatch_.emplace(fd, FileWatch::kNeverWaits);
}

void Ring::MarkRegular(int fd) {
  seekable_.insert(fd);
  if (doorbellFd_ >= 0) fileWatch_.emplace(fd, FileWatch::kNeverWaits);
}

// One lseek(2) per descriptor: only the positive answer is kept, so a number the shim never saw
// closed (Node's closeSync) can at worst let a positioned op on a later pipe under that number
// run at the pipe's position -- never refuse one on a file.
bool Ring::Seekable(int fd) {
  if (seekable_.count(fd) != 0) return true;
  if (lseek(fd, 0, SEEK_CUR) < 0) return errno != ESPIPE;  // other errors: the op reports its own
  seekable_.insert(fd);
  return true;
}

// What was learnt of a descriptor's file, dropped as the shim closes it (while its number still
// names the file) or as the number turns out to be a socket's.
void Ring::ForgetFile(int fd) {
  seekable_.erase(fd);
  auto it = fileWatch_.find(fd);
  if (it == fileWatch_.end()) return;
  if (it->second == FileWatch::kWatched) epoll_ctl(doorbellFd_, EPOLL_CTL_DEL, fd, nullptr);
  fileWatch_.erase(it);
}

uint32_t Ring::watchedFiles() const {
  return static_cast<uint32_t>(std::count_if(fileWatch_.begin(), fileWatch_.end(),
                                             [](const auto& entry) { return entry.second == FileWatch::kWatched; }));
}

// Descriptors of FileHandles (and of the shim's own whole-file operations) that the ring opened:
// a terminated environment's are closed at teardown, as Node closes its FileHandles. Raw fds
// from the callback API are the program's, and left alone, as Node leaves them.
void Ring::TrackDescriptor(uint32_t id, int res) {
  const Op& op = OpAt(id);
  if (res >= 0 && op.code == OpCode::kOpenat && op.trackFd) ownedFds_.insert(res);
}

// From the moment a close is asked for, the descriptor is the close's to release.
void Ring::ForgetDescriptor(const Op& close) {
  if (close.code != OpCode::kClose) return;
  ownedFds_.erase(close.fd);
  ForgetFile(close.fd);
}

void Ring::Submit(uint32_t id) {
  Op& op = OpAt(id);
  if (AtCurrentPosition(op)) {
    WatchFile(op.fd);
  } else if (IsTransfer(op.code) && op.linked == kNoLink && !Seekable(op.fd)) {
    // As pread(2)/pwrite(2) answer, from the next poll as a threadpool result would come.
    ready_.emplace_back(id, -ESPIPE);
    WakeLoop();
    UpdateLoopRef();
    return;
  }
  ForgetDescriptor(op);
  if (op.linked != kNoLink) ForgetDescriptor(OpAt(op.linked));
  if (op.weak) ++weakInflight_;
  if (Refused(op.code)) RunOnThreadpool(id, false);
  // A multishot op does not queue behind the backlog: what holds the backlog up is the CQ budget,
  // which multishot ops are outside of, and what they do (accept, receive) is often what the
  // ops ahead are waiting for -- connects to this very process, sends to its own sockets.
  else if ((!backlog_.empty() && !IsMultishot(op.code)) || !TakeSqes(id)) Enqueue(id);
  UpdateLoopRef();
}

void Ring::SubmitNow() {
  FillFromBacklog();
  if (unsubmitted_ > 0) Enter(false);
}

void Ring::SetWeak(uint32_t id, bool weak) {
  Op& op = OpAt(id);
  if (op.weak == weak) return;
  op.weak = weak;
  if (weak) ++weakInflight_;
  else --weakInflight_;
  UpdateLoopRef();
}

int Ring::EnsureBufRing() {
  if (bufRingError_ == 1) {
    bufRingError_ = bufRing_.Setup(&ring_, kRecvBufSize, kRecvBufCount);
    if (bufRingError_ == 0) kernelMemory_.HoldRegion(bufRing_.size());
  }
  return bufRingError_;
}

void Ring::PrepareRefusal(io_uring_sqe* sqe, uint32_t id) {
  io_uring_prep_nop(sqe);
  sqe->rw_flags = kNopInjectResult;
  sqe->len = static_cast<uint32_t>(-EOPNOTSUPP);
  io_uring_sqe_set_data64(sqe, UserData(OpAt(id), id));
}

void Ring::RunOnThreadpool(uint32_t id, bool refusedByRing) {
  Op& op = OpAt(id);
  auto* job = new PoolJob{{}, this, id, &op, op.linked == kNoLink ? nullptr : &OpAt(op.linked), refusedByRing};
  job->req.data = job;
  ++poolJobs_;
  ++poolUnfinished_;
  uv_queue_work(loop_, &job->req, OnPoolWork, OnPoolDone);
}

// On a threadpool thread: touches only the op records (which never move) and the memory JS
// pinned for them, exactly as the kernel would have.
void Ring::OnPoolWork(uv_work_t* req) {
  auto* job = static_cast<PoolJob*>(req->data);
  job->result = RunAsSyscall(*job->op);
  if (job->linked != nullptr) job->linkedResult = RunAsSyscall(*job->linked);
  --job->ring->poolUnfinished_;
}

void Ring::OnPoolDone(uv_work_t* req, int status) {
  auto* job = static_cast<PoolJob*>(req->data);
  Ring* self = job->ring;
  if (status == UV_ECANCELED) --self->poolUnfinished_;
  --self->poolJobs_;
  if (!self->tornDown_ && status == 0) {
    // Remember the kind only when the system call did what the ring would not.
    if (job->refusedByRing && !RefusedByRing(job->result)) self->refused_[static_cast<size_t>(job->op->code)] = true;
    ++self->counters_.servedByThreadpool;
    self->TrackDescriptor(job->id, job->result);
    self->ready_.emplace_back(job->id, job->result);
    if (job->linked != nullptr) self->ready_.emplace_back(job->op->linked, job->linkedResult);
    self->Drain();
  }
  delete job;
  if (self->tornDown_) self->DeleteWhenIdle();
}

void Ring::SubmitLinked(uint32_t first, uint32_t then) {
  OpAt(first).linked = then;
  Submit(first);
}

void Ring::Cancel(uint32_t id) {
  auto queued = std::find(backlog_.begin(), backlog_.end(), id);
  if (queued != backlog_.end()) {
    // Never reached the kernel: complete it here, as the kernel would have. An op linked
    // behind it still runs (it is a close that must happen), now on its own.
    Op& op = OpAt(id);
    if (op.linked != kNoLink) {
      *queued = op.linked;
    } else {
      if (IsMultishot(op.code)) --backlogMultishot_;
      backlog_.erase(queued);
    }
    op.linked = kNoLink;
    ready_.emplace_back(id, -ECANCELED);
    return;
  }
  io_uring_sqe* sqe = io_uring_get_sqe(&ring_);
  if (sqe == nullptr) {
    Enter(false);
    sqe = io_uring_get_sqe(&ring_);
    if (sqe == nullptr) return;  // the op completes on its own; cancelling is best effort
  }
  io_uring_prep_cancel64(sqe, UserData(OpAt(id), id), 0);
  io_uring_sqe_set_data64(sqe, kInternal);
  ++inflight_;
  ++unsubmitted_;
  UpdateLoopRef();
}

void Ring::Enqueue(uint32_t id) {
  backlog_.push_back(id);
  if (IsMultishot(OpAt(id).code)) ++backlogMultishot_;
}

void Ring::FillFromBacklog() {
  while (!backlog_.empty() && TakeSqes(backlog_.front())) {
    if (IsMultishot(OpAt(backlog_.front()).code)) --backlogMultishot_;
    backlog_.pop_front();
  }
  // The head waits for CQ budget (or SQ room): multishot ops further back need no budget.
  for (auto it = backlog_.begin(); it != backlog_.end() && backlogMultishot_ > 0;) {
    if (!IsMultishot(OpAt(*it).code)) {
      ++it;
    } else if (TakeSqes(*it)) {
      it = backlog_.erase(it);
      --backlogMultishot_;
    } else {
      break;  // the SQ is full
    }
  }
}

unsigned Ring::Enter(bool getEvents) {
  unsigned before = io_uring_cq_ready(&ring_);
  int rc = getEvents ? io_uring_submit_and_get_events(&ring_) : SubmitOnly();
  ++counters_.enters;
  if (rc >= 0) unsubmitted_ = 0;
  for (int fd : connecting_) WatchSocket(fd);
  connecting_.clear();
  // Since 6.13 a GETEVENTS enter runs a bounded share of the deferred work (20 items,
  // IO_LOCAL_TW_DEFAULT_MAX) and keeps the rest, with no eventfd signal to come: the kernel
  // signals only when its list stops being empty. 6.18 sets IORING_SQ_TASKRUN again when it
  // leaves work (60 receives made ready: enters posted 20, 20, 20 completions, the flag set
  // after the first two, clear after the third), and the poll goes on while the flag says so.
  // An enter that posted a whole share is taken as possibly having left work even unflagged,
  // for kernels whose flag misses the rest; one that posted less ran less than its share.
  // (Taking every enter that posted anything as such cost a second enter per wake-up: per
  // answer of an idle server, per chunk of a write stream.)
  unsigned posted = io_uring_cq_ready(&ring_) - before;
  if (getEvents) workMayRemain_ = posted >= kLocalWorkShare;
  return posted;
}

// A submit that runs no deferred work. liburing's io_uring_submit adds GETEVENTS whenever the
// kernel flags deferred work (IORING_SQ_TASKRUN), which runs other sockets' receives in the
// middle of a JS call -- a close flushing its cancels (CloseSync) read a peer socket of this
// process, where libuv's close reads nothing.
int Ring::SubmitOnly() {
  io_uring_sq& sq = ring_.sq;
  unsigned tail = sq.sqe_tail;
  if (sq.sqe_head != tail) {
    sq.sqe_head = tail;
    io_uring_smp_store_release(sq.ktail, tail);
  }
  unsigned toSubmit = tail - IO_URING_READ_ONCE(*sq.khead);
  return toSubmit == 0 ? 0 : io_uring_enter(ring_.ring_fd, toSubmit, 0, 0, nullptr);
}

// Copies ready completions into the shared arrays and hands them to JS, a batch at a time.
void Ring::Drain() {
  for (;;) {
    // Completions that found the CQ full wait in the kernel's overflow list, and no new
    // wake-up announces them: move them into the CQ as it empties, until none are left.
    bool overflowed = IO_URING_READ_ONCE(*ring_.sq.kflags) & IORING_SQ_CQ_OVERFLOW;
    if (overflowed) {
      io_uring_get_events(&ring_);
      ++counters_.enters;
      ++counters_.cqOverflows;
    }
    uint32_t n = 0;
    while (n < kBatch && !ready_.empty()) {
      auto [id, res] = ready_.front();
      ready_.pop_front();
      Op& op = OpAt(id);
      if (op.weak) {
        op.weak = false;
        --weakInflight_;
      }
      if (op.code == OpCode::kStatx && res >= 0) StoreStats(op.statxBuf, op.bigint, statsFields_ + n * kStatsFields);
      completions_[3 * n] = static_cast<int32_t>(id);
      completions_[3 * n + 1] = res;
      completions_[3 * n + 2] = 0;
      ++n;
    }
    unsigned head;
    unsigned seen = 0;
    io_uring_cqe* cqe;
    io_uring_for_each_cqe(&ring_, head, cqe) {
      if (n == kBatch) break;
      ++seen;
      bool more = cqe->flags & IORING_CQE_F_MORE;
      if (!more) --inflight_;
      if (cqe->user_data & kInternal) continue;
      uint32_t id = IdOf(cqe->user_data);
      Op& op = OpAt(id);
      if (!more && IsMultishot(op.code)) --multishotInflight_;
      // A hard-linked head's partner has already run on the result: only a lone op is retried.
      if (RefusedByRing(cqe->res) && op.linked == kNoLink && HasSyscallFallback(op.code)) {
        RunOnThreadpool(id, true);
        continue;
      }
      if (!more && op.weak) {
        op.weak = false;
        --weakInflight_;
      }
      if (op.code == OpCode::kAccept && cqe->res >= 0) {
        TrackSocket(cqe->res);
        WatchSocket(cqe->res);
      }
      TrackDescriptor(id, cqe->res);
      if (op.code == OpCode::kStatx && cqe->res >= 0) {
        StoreStats(op.statxBuf, op.bigint, statsFields_ + n * kStatsFields);
      }
      // The buffer goes back to the kernel after this batch: JS copies it out first.
      if (cqe->flags & IORING_CQE_F_BUFFER) bufRing_.Return(static_cast<uint16_t>(cqe->flags >> IORING_CQE_BUFFER_SHIFT));
      completions_[3 * n] = static_cast<int32_t>(id);
      completions_[3 * n + 1] = cqe->res;
      completions_[3 * n + 2] = static_cast<int32_t>(cqe->flags);
      ++n;
    }
    io_uring_cq_advance(&ring_, seen);
    counters_.completions += n;
    if (n == 0) break;
    counters_.largestBatch = std::max(counters_.largestBatch, static_cast<double>(n));
    // Room freed in the CQ budget: admit waiting ops before JS adds more behind them.
    FillFromBacklog();
    bool delivered = DeliverToJs(n);
    bufRing_.Flush();
    if (!delivered) break;
    if (n < kBatch && !overflowed) break;  // everything ready has been delivered
  }
  UpdateLoopRef();
}

// Hands a batch to JS: one call, unless JS stops early (after a socket completion, so that
// Node's tick queue runs before the next one, as after every libuv callback) -- then again
// from where it stopped. JS keeps a cursor in the shared array, so an exception thrown by a
// handler (or by a tick it scheduled) is reported as Node reports any callback's, and the
// rest of the batch is still delivered. Raw Node-API so that a failure is a status, never a
// C++ throw: while a Worker is being terminated JS cannot run, and that is not an error.
bool Ring::DeliverToJs(uint32_t count) {
  int32_t* cursor = completions_ + kCursorSlot;
  uint32_t start = 0;
  delivering_ = count;
  while (start < count) {
    napi_handle_scope scope;
    if (napi_open_handle_scope(env_, &scope) != napi_ok) return false;
    napi_value argv[2];
    napi_value result = nullptr;
    napi_create_uint32(env_, count, &argv[0]);
    napi_create_uint32(env_, start, &argv[1]);
    *cursor = static_cast<int32_t>(start);
    napi_status status = napi_make_callback(env_, static_cast<napi_async_context>(*asyncContext_),
                                            resource_.Value(), onCompletions_.Value(), 2, argv, &result);
    bool terminating = false;
    if (status != napi_ok) {
      napi_value error = nullptr;
      napi_valuetype type = napi_undefined;
      if (napi_get_and_clear_last_exception(env_, &error) == napi_ok && error != nullptr) napi_typeof(env_, error, &type);
      if (type == napi_undefined) terminating = true;
      else napi_fatal_exception(env_, error);
    }
    napi_close_handle_scope(env_, scope);
    ++completions_[kEpochSlot];  // the scope has closed: its task queue has run
    if (terminating) {
      delivering_ = 0;
      return false;
    }
    uint32_t next = static_cast<uint32_t>(*cursor);
    start = next > start ? next : count;
  }
  delivering_ = 0;
  return true;
}

// In the rest of the batch JS is being handed, and in the CQ.
int64_t Ring::UndeliveredBytes(uint32_t id) {
  int64_t bytes = 0;
  for (uint32_t i = static_cast<uint32_t>(completions_[kCursorSlot]); i < delivering_; ++i) {
    if (static_cast<uint32_t>(completions_[3 * i]) == id && completions_[3 * i + 1] > 0) bytes += completions_[3 * i + 1];
  }
  unsigned head;
  io_uring_cqe* cqe;
  io_uring_for_each_cqe(&ring_, head, cqe) {
    if (!(cqe->user_data & kInternal) && IdOf(cqe->user_data) == id && cqe->res > 0) bytes += cqe->res;
  }
  return bytes;
}

// libuv runs a stream's deferred work -- the shutdown(2) of an end() with nothing left to
// write, and its callback -- from the loop's pending queue: at the start of the next turn,
// before the poll, or right after the poll when it was queued from within it (up to 8 rounds).
// Pended ids are delivered at those two points: from the prepare hook (nothing observable runs
// between libuv's pending and prepare phases) and after the poll's completions.
void Ring::Pend(uint32_t id) {
  pending_.push_back(id);
  UpdateLoopRef();
}

// Queued with the completions that the next Drain hands to JS, as libuv's next read of a stream
// runs among the poll's events.
void Ring::DeferToPoll(uint32_t id) {
  ready_.emplace_back(id, 0);
  WakeLoop();  // the next poll must find it, not block
  UpdateLoopRef();
}

void Ring::AtClosing(uint32_t id) {
  auto* call = new ClosingCall{{}, this, id};
  uv_idle_init(loop_, &call->handle);
  call->handle.data = call;
  uv_close(reinterpret_cast<uv_handle_t*>(&call->handle), OnClosingCall);
  ++closingCalls_;
}

void Ring::OnClosingCall(uv_handle_t* handle) {
  std::unique_ptr<ClosingCall> call(static_cast<ClosingCall*>(handle->data));
  Ring* self = call->ring;
  --self->closingCalls_;
  if (self->tornDown_) {
    self->DeleteWhenIdle();
    return;
  }
  self->completions_[0] = static_cast<int32_t>(call->id);
  self->completions_[1] = 0;
  self->completions_[2] = 0;
  self->DeliverToJs(1);
}

// One round takes the queue as it stands, as uv__run_pending does: what its callbacks pend
// waits for the next round.
void Ring::RunPending() {
  // The two queues trade places, keeping their capacity: no allocation per round.
  std::vector<uint32_t>& round = pendingRound_;
  round.clear();
  round.swap(pending_);
  for (size_t at = 0; at < round.size();) {
    uint32_t n = 0;
    for (; n < kBatch && at < round.size(); ++n, ++at) {
      completions_[3 * n] = static_cast<int32_t>(round[at]);
      completions_[3 * n + 1] = 0;
      completions_[3 * n + 2] = 0;
    }
    if (!DeliverToJs(n)) break;
  }
  UpdateLoopRef();
}

void Ring::UpdateLoopRef() {
  bool wanted = inflight_ > weakInflight_ || !backlog_.empty() || !ready_.empty() || !pending_.empty();
  if (wanted == loopRef_ || handlesOpen_ == 0) return;
  loopRef_ = wanted;
  auto* handle = reinterpret_cast<uv_handle_t*>(&poll_);
  if (wanted) uv_ref(handle);
  else uv_unref(handle);
}

// Submits what JS queued during this loop turn, in one enter, just before libuv polls.
// Completions are delivered only from the poll phase, as Node delivers its own fs results: a
// chain of dependent operations advances one step per loop turn, with timers and immediates
// running between steps exactly where they run under Node.
//
// Deferred work is run here too (the enter's GETEVENTS), so that its completions are posted --
// and the eventfd signalled -- before libuv polls: work our own actions queued (a socket woken
// by our own shutdown(2), close or send over loopback) is delivered at the next poll, where
// libuv finds such a socket ready. (The kernel's own signal for it comes late: WatchSocket.)
void Ring::OnPrepare(uv_prepare_t* handle) {
  Ring* self = static_cast<Ring*>(handle->data);
  if (!self->pending_.empty()) {
    self->RunPending();
    // Pended by that round: libuv runs them right after this poll, which must not block.
    if (!self->pending_.empty()) self->WakeLoop();
  }
  self->FillFromBacklog();
  if (self->unsubmitted_ > 0 || self->DeferredWork()) self->Enter(true);
}

void Ring::WakeLoop() {
  uint64_t one = 1;
  (void)!write(eventFd_, &one, sizeof(one));
}

bool Ring::DeferredWork() const {
  return (setupFlags_ & IORING_SETUP_TASKRUN_FLAG) && (IO_URING_READ_ONCE(*ring_.sq.kflags) & IORING_SQ_TASKRUN);
}

void Ring::OnPoll(uv_poll_t* handle, int status, int) {
  if (status < 0) return;
  Ring* self = static_cast<Ring*>(handle->data);
  if (self->doorbellFd_ >= 0) {
    // Emptied of what the sockets rang, or libuv's level-triggered watch of it would return
    // at once from every poll.
    epoll_event events[64];
    while (epoll_wait(self->doorbellFd_, events, 64, 0) == 64) {
    }
  }
  // The eventfd only says "look". Under DEFER_TASKRUN, deferred completions are posted by a
  // GETEVENTS enter, and the kernel signals only when its deferred list becomes non-empty: a
  // wake-up whose work is left unrun is the last one. Posting CQEs signals the eventfd too,
  // so with TASKRUN_FLAG (which says whether deferred work waits) the eventfd is read after
  // our own enter -- swallowing the signal that enter caused -- and work that arrived in
  // between is run before draining.
  bool flagged = self->setupFlags_ & IORING_SETUP_TASKRUN_FLAG;
  auto workWaits = [&] { return !flagged || self->workMayRemain_ || self->DeferredWork() || self->unsubmitted_ > 0; };
  unsigned posted = workWaits() ? self->Enter(true) : 0;
  uint64_t value;
  while (read(self->eventFd_, &value, sizeof(value)) < 0 && errno == EINTR) {
  }
  // ...for a few rounds while work is left. Work still left after them, while enters still
  // yield completions, is this wake-up's to finish: the next poll must not block on a signal
  // that will not come. (Under load the flag can stay set with nothing that completes (6.18):
  // looping on the flag alone spun here for good.)
  auto workLeft = [&] { return self->workMayRemain_ || self->DeferredWork(); };
  for (int round = 0; round < kEnterRounds && flagged && workLeft(); ++round) posted = self->Enter(true);
  if (flagged && posted > 0 && workLeft()) self->WakeLoop();
  self->Drain();
  for (int round = 0; round < 8 && !self->pending_.empty(); ++round) self->RunPending();
}

Napi::Object Ring::Exports(Napi::Env env) {
  Napi::Object out = Napi::Object::New(env);
  out.Set("completions", Napi::Int32Array::New(env, kCompletionSlots, completionsRef_.Value(), 0));
  out.Set("statsFields", Napi::Float64Array::New(env, kBatch * kStatsFields, statsRef_.Value(), 0));
  out.Set("statsFieldsBigInt",
          Napi::BigInt64Array::New(env, kBatch * kStatsFields, statsRef_.Value(), 0));
  out.Set("arena", Napi::Buffer<uint8_t>::New(env, arena_.data(), arena_.size()));
  out.Set("slotSize", Napi::Number::New(env, arena_.slotSize()));
  out.Set("slotCount", Napi::Number::New(env, arena_.slotCount()));
  out.Set("arenaRegistered", Napi::Boolean::New(env, arena_.registered()));
  out.Set("arenaError", Napi::String::New(env, arena_.registered() ? "" : ErrnoName(-arena_.registrationError())));
  std::string flags;
  if (setupFlags_ & IORING_SETUP_SINGLE_ISSUER) flags += "SINGLE_ISSUER ";
  if (setupFlags_ & IORING_SETUP_DEFER_TASKRUN) flags += "DEFER_TASKRUN ";
  if (setupFlags_ & IORING_SETUP_COOP_TASKRUN) flags += "COOP_TASKRUN ";
  if (setupFlags_ & IORING_SETUP_TASKRUN_FLAG) flags += "TASKRUN_FLAG ";
  out.Set("setupFlags", Napi::String::New(env, flags));
  Napi::Array supported = Napi::Array::New(env);
  uint32_t i = 0;
  for (size_t op = 0; op < probe_.size(); ++op) {
    if (probe_[op]) supported.Set(i++, Napi::Number::New(env, op));
  }
  out.Set("opcodes", supported);
  return out;
}

void Ring::OnAsyncCleanup(napi_async_cleanup_hook_handle handle, void* arg) {
  Ring* self = static_cast<Ring*>(arg);
  self->cleanupHook_ = handle;
  self->Teardown();
}

// Environment teardown (Worker exit or terminate, process end): no JS runs any more. Memory
// the kernel may still write to -- the arena, pinned Buffers, op records -- stays valid until
// every submitted op has completed; only then is the ring closed and the memory released.
void Ring::Teardown() {
  onCompletions_.Reset();
  completionsRef_.Reset();
  statsRef_.Reset();
  resource_.Reset();
  asyncContext_.reset();
  // Closes JS asked for that never reached the kernel still happen: their descriptors are no
  // longer tracked, and nothing else would release them.
  for (uint32_t id : backlog_) {
    const Op& op = OpAt(id);
    if (op.code == OpCode::kClose) close(op.fd);
    if (op.linked != kNoLink) close(OpAt(op.linked).fd);
  }
  backlog_.clear();
  backlogMultishot_ = 0;
  ready_.clear();
  tornDown_ = true;
  if (ringReady_) {
    if (inflight_ > 0 || poolUnfinished_ > 0) {
      io_uring_sqe* sqe = io_uring_get_sqe(&ring_);
      if (sqe == nullptr) {
        // The SQ is full of this turn's submissions: send them first, or nothing would cancel
        // an op that never completes by itself (a read parked on a pipe) and we would wait
        // out the whole grace period.
        io_uring_submit(&ring_);
        sqe = io_uring_get_sqe(&ring_);
      }
      if (sqe != nullptr) {
        io_uring_prep_cancel64(sqe, 0, IORING_ASYNC_CANCEL_ANY);
        io_uring_sqe_set_data64(sqe, kInternal);
        ++inflight_;
      }
      io_uring_submit(&ring_);
      uint64_t start = uv_hrtime();
      while ((inflight_ > 0 || poolUnfinished_ > 0) && uv_hrtime() - start < kTeardownWaitMs * 1000000ULL) {
        __kernel_timespec wait{0, 100 * 1000000};
        io_uring_cqe* cqe;
        if (io_uring_wait_cqe_timeout(&ring_, &cqe, &wait) == 0) {
          unsigned head;
          unsigned seen = 0;
          unsigned ended = 0;
          io_uring_for_each_cqe(&ring_, head, cqe) {
            ++seen;
            if (!(cqe->flags & IORING_CQE_F_MORE)) ++ended;
            if (cqe->user_data & kInternal) continue;
            uint32_t id = IdOf(cqe->user_data);
            // A connection accepted while tearing down has no JS owner any more.
            if (cqe->res >= 0 && OpAt(id).code == OpCode::kAccept) close(cqe->res);
            TrackDescriptor(id, cqe->res);
          }
          io_uring_cq_advance(&ring_, seen);
          inflight_ -= std::min(inflight_, ended);
        }
      }
    }
    io_uring_queue_exit(&ring_);
    kernelMemory_.Release();
    ringReady_ = false;
  }
  for (int fd : ownedFds_) close(fd);
  ownedFds_.clear();
  if (handlesOpen_ > 0) {
    uv_close(reinterpret_cast<uv_handle_t*>(&prepare_), OnHandleClosed);
    uv_close(reinterpret_cast<uv_handle_t*>(&poll_), OnHandleClosed);
  } else {
    CloseSignalFds();
  }
}

void Ring::OnHandleClosed(uv_handle_t* handle) {
  Ring* self = static_cast<Ring*>(handle->data);
  --self->handlesOpen_;
  self->DeleteWhenIdle();
}

// The ring goes once its handles are closed and every threadpool job's after-work callback has
// run (the environment keeps its loop turning until this cleanup hook is removed).
void Ring::DeleteWhenIdle() {
  if (handlesOpen_ > 0 || poolJobs_ > 0 || closingCalls_ > 0) return;
  CloseSignalFds();
  if (cleanupHook_ != nullptr) napi_remove_async_cleanup_hook(cleanupHook_);
  delete this;
}

void Ring::CloseSignalFds() {
  for (int* fd : {&eventFd_, &doorbellFd_}) {
    if (*fd >= 0) close(*fd);
    *fd = -1;
  }
}
