// The plain system call behind each ring operation, for the ops this kernel's io_uring refuses
// (EINVAL / EOPNOTSUPP for an opcode or a file) where the system call itself works: the same
// call libuv makes on Node's threadpool, so the result and the errno are Node's.
#pragma once
#include "ops.h"

// Runs `op` as a blocking system call (on a threadpool thread) and returns the result or
// -errno, exactly as a CQE would carry it.
int RunAsSyscall(Op& op);

// An op whose CQE says the kernel's io_uring refused it, not that the call itself failed.
inline bool RefusedByRing(int res) { return res == -22 /* EINVAL */ || res == -95 /* EOPNOTSUPP */; }

// The file operations, which have a system call to fall back on. Socket operations do not
// (their refusals are the kernel's answers, given to JS as they are).
inline bool HasSyscallFallback(OpCode code) { return code <= OpCode::kSymlinkat; }

// OpCode by its operation name ("read", "statx", ...), kCount if unknown; and back.
OpCode OpCodeNamed(const char* name, size_t length);
const char* OpCodeName(OpCode code);
