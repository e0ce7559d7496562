// The ring of one JS environment and its bridge to that environment's libuv loop.
//
// Submissions are queued while JS runs and flushed once per loop turn from a uv_prepare_t
// (or earlier when the SQ fills). Completions are signalled through an eventfd registered with
// the ring and, for sockets, pipes and terminals under DEFER_TASKRUN, through the doorbell (see
// WatchSocket, WatchFile), which a uv_poll_t watches. Completions reach JS in batches through
// one call to the `onCompletions` function given at init.
#pragma once
#include <liburing.h>
#include <napi.h>
#include <uv.h>

#include <array>
#include <atomic>
#include <cstdint>
#include <deque>
#include <memory>
#include <string>
#include <unordered_map>
#include <unordered_set>
#include <vector>

#include "buf_ring.h"
#include "buffer_arena.h"
#include "kernel_memory.h"
#include "ops.h"

class Ring {
 public:
  struct Counters {
    double enters = 0;
    double completions = 0;
    double largestBatch = 0;
    double servedByThreadpool = 0;  // ops the kernel's io_uring refused, run as system calls
    double cqOverflows = 0;         // times completions were found waiting in the kernel's overflow list
  };

  // Returns nullptr and sets `error` (e.g. "io_uring_setup: EPERM") when the kernel refuses.
  static Ring* Create(Napi::Env env, Napi::Function onCompletions, std::string* error);

  Op& OpAt(uint32_t id);
  // Queues op `id` (its record already filled). Never refuses: past the SQ or the CQ budget
  // the op waits in order in the backlog.
  void Submit(uint32_t id);
  // Queues op `first` with op `then` hard-linked behind it; both enter the SQ together.
  void SubmitLinked(uint32_t first, uint32_t then);
  // Asks the kernel to cancel op `id`; its own completion still arrives (with -ECANCELED if
  // the cancel won), and only then is its memory released.
  void Cancel(uint32_t id);

  // Submits every queued SQE now. Before a descriptor is closed synchronously: an SQE names
  // its file by number, resolved only at submission, and the number may be reused at once.
  void SubmitNow();
  // Bytes `id` (a receive) has taken from the kernel that JS has not been handed yet.
  int64_t UndeliveredBytes(uint32_t id);
  // Socket descriptors the shim owns in this environment: the ones still open when the
  // environment goes away (a terminated Worker) are closed by the teardown, as Node closes
  // its handles.
  void TrackSocket(int fd) { ownedFds_.insert(fd); }
  // No longer the ring's (closed, or handed to a Node handle): out of the doorbell too.
  void UntrackSocket(int fd);
  // A listening or accepted socket now rings the doorbell (see Ring::WatchSocket); a connecting
  // one from the enter that submits its connect.
  void WatchSocket(int fd);
  // `fd`, read or written at its current position, may be a pipe, FIFO or terminal: the doorbell
  // watches it too (see Ring::WatchFile). A regular file never waits: MarkRegular saves the try.
  void WatchFile(int fd);
  void MarkRegular(int fd);
  // Whether `fd` takes reads and writes at a position (lseek works): io_uring ignores the
  // position on a pipe, a socket or a terminal, where pread(2) and pwrite(2) fail with ESPIPE.
  bool Seekable(int fd);
  // Descriptors of files the doorbell watches now.
  uint32_t watchedFiles() const;
  // An unref'd socket's multishot op in flight does not keep the loop alive.
  void SetWeak(uint32_t id, bool weak);
  // Delivers `id` (result 0) from the loop's next pending phase, where libuv runs a stream's
  // deferred work; it never reaches the kernel.
  void Pend(uint32_t id);
  // Delivers `id` (result 0) from the loop's next poll phase, with the completions found there:
  // where libuv's next read of a stream happens. It never reaches the kernel.
  void DeferToPoll(uint32_t id);
  // Delivers `id` (result 0) from this loop turn's closing phase, where libuv runs a closed
  // handle's callback; it never reaches the kernel.
  void AtClosing(uint32_t id);
  // The provided-buffer ring for receives, set up on first use; 0 or a negative errno.
  int EnsureBufRing();
  const BufRing& bufRing() const { return bufRing_; }

  const BufferArena& arena() const { return arena_; }
  const Counters& counters() const { return counters_; }
  uint32_t inFlight() const { return inflight_ + backlog_.size(); }
  // Completions the kernel could not keep at all when the CQ was full (it keeps the rest in
  // its overflow list until we make room): must stay 0.
  uint32_t cqDropped() const { return ringReady_ ? *ring_.cq.koverflow : 0; }
  unsigned setupFlags() const { return setupFlags_; }
  // Op kinds this kernel's io_uring refused where the system call worked: from then on they go
  // straight to the threadpool.
  bool Refused(OpCode code) const { return refused_[static_cast<size_t>(code)]; }
  Napi::Object Exports(Napi::Env env);

 private:
  Ring() = default;
  ~Ring();
  int Setup(Napi::Env env, Napi::Function onCompletions);

  static void OnPrepare(uv_prepare_t* handle);
  static void OnPoll(uv_poll_t* handle, int status, int events);
  static void OnAsyncCleanup(napi_async_cleanup_hook_handle handle, void* arg);
  static void OnHandleClosed(uv_handle_t* handle);

  bool TakeSqes(uint32_t id);
  void TrackDescriptor(uint32_t id, int res);
  void ForgetDescriptor(const Op& close);
  void Enqueue(uint32_t id);
  void FillFromBacklog();
  unsigned Enter(bool getEvents);  // -> the completions that came with it
  int SubmitOnly();
  void RunPending();
  bool DeferredWork() const;  // TASKRUN_FLAG: deferred completions wait for an enter
  void WakeLoop();            // the next poll returns at once (the eventfd made readable)
  void Drain();
  bool DeliverToJs(uint32_t count);
  uint32_t delivering_ = 0;  // the size of the batch being handed to JS, 0 between batches
  void UpdateLoopRef();
  void Teardown();
  void DeleteWhenIdle();
  void CloseSignalFds();

  // Per-op fallback: an op the ring refused runs as its system call on libuv's threadpool and
  // its result joins the next batch like any completion (syscall_fallback.h).
  struct PoolJob {
    uv_work_t req;
    Ring* ring;
    uint32_t id;
    Op* op;
    Op* linked;           // run right after `op`, whatever its result (a hard-linked close)
    bool refusedByRing;   // false: sent here directly because the kind is already known refused
    int result = 0;
    int linkedResult = 0;
  };
  void RunOnThreadpool(uint32_t id, bool refusedByRing);
  static void OnPoolWork(uv_work_t* req);
  static void OnPoolDone(uv_work_t* req, int status);
  void PrepareRefusal(io_uring_sqe* sqe, uint32_t id);

  // A handle closed only to be called back from the loop's closing phase (AtClosing).
  struct ClosingCall {
    uv_idle_t handle;
    Ring* ring;
    uint32_t id;
  };
  static void OnClosingCall(uv_handle_t* handle);
  uint32_t closingCalls_ = 0;  // their callbacks not yet run: the ring outlives them

  napi_env env_ = nullptr;
  io_uring ring_{};
  bool ringReady_ = false;
  unsigned setupFlags_ = 0;
  uint32_t cqBudget_ = 0;
  int eventFd_ = -1;
  bool workMayRemain_ = false;  // the last GETEVENTS enter may have left deferred work (see Enter)
  uv_loop_t* loop_ = nullptr;
  uv_prepare_t prepare_{};
  uv_poll_t poll_{};
  int doorbellFd_ = -1;  // an epoll instance over the eventfd and the watched sockets and files
  std::vector<int> connecting_;  // sockets whose connect is in the SQ, to watch after the enter
  // What the doorbell knows of descriptors file ops used at their current position, by number,
  // until the shim closes them: watched, already watched as a ring socket, or never waiting.
  enum class FileWatch : uint8_t { kWatched, kSocket, kNeverWaits };
  std::unordered_map<int, FileWatch> fileWatch_;
  // Descriptors found seekable, by number, until the shim closes them (see Seekable).
  std::unordered_set<int> seekable_;
  void ForgetFile(int fd);
  int handlesOpen_ = 0;
  bool loopRef_ = false;
  napi_async_cleanup_hook_handle cleanupHook_ = nullptr;

  // Ops are stored in fixed-size chunks so that a record never moves while the kernel holds
  // pointers into it (paths, iovecs, statx buffers).
  static constexpr uint32_t kChunk = 1024;
  std::vector<std::unique_ptr<Op[]>> ops_;
  std::deque<uint32_t> backlog_;
  uint32_t backlogMultishot_ = 0;  // multishot ops among them
  // Completions that did not come through the CQ: ops cancelled before they were submitted,
  // ops served by the threadpool. Delivered first in the next batch, in order.
  std::deque<std::pair<uint32_t, int32_t>> ready_;
  static constexpr size_t kOpKinds = static_cast<size_t>(OpCode::kCount);
  std::array<bool, kOpKinds> refused_{};
  std::array<bool, kOpKinds> injectRefusal_{};  // URING_SHIM_TEST_REFUSE: the kernel's answer, on request
  uint32_t poolJobs_ = 0;                       // queued, their after-work callback not yet run
  std::atomic<uint32_t> poolUnfinished_{0};     // queued, their system call not yet returned
  bool tornDown_ = false;
  uint32_t inflight_ = 0;   // in the SQ or the kernel, not yet completed
  // Multishot ops among them: each may post any number of completions, so they are outside the
  // CQ budget (else past cqBudget_ open sockets the next one's receive would wait for good);
  // what they post beyond the CQ waits in the kernel's overflow list (Drain).
  uint32_t multishotInflight_ = 0;
  uint32_t unsubmitted_ = 0;
  uint32_t weakInflight_ = 0;
  // Descriptors this environment owns: sockets, and files the ring opened for FileHandles, not
  // yet asked to close. Teardown closes them, as Node closes the handles of an environment
  // that goes away (a terminated Worker).
  std::unordered_set<int> ownedFds_;

  BufferArena arena_;
  BufRing bufRing_;
  KernelMemory kernelMemory_;
  int bufRingError_ = 1;  // 1: not set up yet
  std::vector<uint8_t> probe_;

  // Shared with JS: [id, res, flags] triples and, for statx completions, Node-layout stats fields.
  static constexpr uint32_t kBatch = 1024;
  static constexpr uint32_t kCursorSlot = kBatch * 3;
  static constexpr uint32_t kEpochSlot = kBatch * 3 + 1;
  static constexpr uint32_t kCompletionSlots = kBatch * 3 + 2;
  int32_t* completions_ = nullptr;
  double* statsFields_ = nullptr;
  Napi::Reference<Napi::ArrayBuffer> completionsRef_;
  Napi::Reference<Napi::ArrayBuffer> statsRef_;
  Napi::FunctionReference onCompletions_;
  std::vector<uint32_t> pending_;  // ids for the next pending phase (Pend)
  std::vector<uint32_t> pendingRound_;  // the round RunPending is delivering
  std::unique_ptr<Napi::AsyncContext> asyncContext_;
  Napi::ObjectReference resource_;

  Counters counters_;
};
