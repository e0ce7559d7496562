// seccomp-deny-uring: run a command with io_uring_setup, io_uring_enter and io_uring_register
// failing with EPERM, as Docker's and containerd's default seccomp profiles make them fail.
//
//   cc -O2 -o seccomp-deny-uring seccomp-deny-uring.c && ./seccomp-deny-uring node app.js
//
// A raw classic-BPF filter (no libseccomp): the filter is inherited across fork and exec, so
// every process the command starts is refused too. PR_SET_NO_NEW_PRIVS lets an unprivileged
// user install it.
#include <errno.h>
#include <linux/audit.h>
#include <linux/filter.h>
#include <linux/seccomp.h>
#include <stddef.h>
#include <stdio.h>
#include <string.h>
#include <sys/prctl.h>
#include <unistd.h>

#if defined(__x86_64__)
#define NATIVE_ARCH AUDIT_ARCH_X86_64
#elif defined(__aarch64__)
#define NATIVE_ARCH AUDIT_ARCH_AARCH64
#else
#error "seccomp-deny-uring: only x86_64 and aarch64 are supported"
#endif

// The same numbers on both architectures (the unified syscall table since Linux 5.1).
enum { NR_IO_URING_SETUP = 425, NR_IO_URING_ENTER = 426, NR_IO_URING_REGISTER = 427 };

int main(int argc, char** argv) {
  if (argc < 2) {
    fprintf(stderr, "usage: %s command [args...]\n", argv[0]);
    return 2;
  }
  struct sock_filter filter[] = {
    // A syscall from another ABI (x32, ia32 on x86_64; aarch32 on aarch64) has other numbers:
    // refuse it outright rather than let it past a check written for native numbers.
    BPF_STMT(BPF_LD | BPF_W | BPF_ABS, offsetof(struct seccomp_data, arch)),
    BPF_JUMP(BPF_JMP | BPF_JEQ | BPF_K, NATIVE_ARCH, 1, 0),
    BPF_STMT(BPF_RET | BPF_K, SECCOMP_RET_KILL_PROCESS),
    BPF_STMT(BPF_LD | BPF_W | BPF_ABS, offsetof(struct seccomp_data, nr)),
    BPF_JUMP(BPF_JMP | BPF_JEQ | BPF_K, NR_IO_URING_SETUP, 3, 0),
    BPF_JUMP(BPF_JMP | BPF_JEQ | BPF_K, NR_IO_URING_ENTER, 2, 0),
    BPF_JUMP(BPF_JMP | BPF_JEQ | BPF_K, NR_IO_URING_REGISTER, 1, 0),
    BPF_STMT(BPF_RET | BPF_K, SECCOMP_RET_ALLOW),
    BPF_STMT(BPF_RET | BPF_K, SECCOMP_RET_ERRNO | (EPERM & SECCOMP_RET_DATA)),
  };
  struct sock_fprog prog = { .len = sizeof filter / sizeof filter[0], .filter = filter };
  if (prctl(PR_SET_NO_NEW_PRIVS, 1, 0, 0, 0) != 0) {
    perror("seccomp-deny-uring: PR_SET_NO_NEW_PRIVS");
    return 126;
  }
  if (prctl(PR_SET_SECCOMP, SECCOMP_MODE_FILTER, &prog) != 0) {
    perror("seccomp-deny-uring: PR_SET_SECCOMP");
    return 126;
  }
  execvp(argv[1], argv + 1);
  fprintf(stderr, "seccomp-deny-uring: %s: %s\n", argv[1], strerror(errno));
  return 127;
}
