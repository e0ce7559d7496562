// Does IORING_OP_SEND_ZC pay for large writes here? Sends the same bytes over one loopback TCP
// connection in 64 KiB (or argv[1]) writes with IORING_OP_SEND and with IORING_OP_SEND_ZC, one
// write in flight as a ring socket has, alternating rounds; a reader thread drains the other end.
// Prints GB/s per mode per round. The answer decides whether the net send path uses SEND_ZC.
//   cc -O2 -o /tmp/send-zc bench/net/send-zc.c -luring -lpthread && /tmp/send-zc [bytes]
#include <arpa/inet.h>
#include <liburing.h>
#include <netinet/in.h>
#include <pthread.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/socket.h>
#include <time.h>
#include <unistd.h>

static double now(void) {
  struct timespec ts;
  clock_gettime(CLOCK_MONOTONIC, &ts);
  return ts.tv_sec + ts.tv_nsec / 1e9;
}

static void* drain(void* arg) {
  int fd = *(int*)arg;
  static char buf[1 << 20];
  while (recv(fd, buf, sizeof buf, 0) > 0) {
  }
  return NULL;
}

// Sends `total` bytes in `chunk`-sized writes; with zc, waits for each send's notification
// (the buffer is reusable only then) before the next, as a ring socket's one send in flight.
static double run(struct io_uring* ring, int fd, char* data, size_t chunk, size_t total, int zc) {
  double start = now();
  for (size_t sent = 0; sent < total;) {
    struct io_uring_sqe* sqe = io_uring_get_sqe(ring);
    if (zc) io_uring_prep_send_zc(sqe, fd, data, chunk, MSG_WAITALL, 0);
    else io_uring_prep_send(sqe, fd, data, chunk, MSG_WAITALL);
    io_uring_submit(ring);
    int pending = 1;
    while (pending > 0) {
      struct io_uring_cqe* cqe;
      if (io_uring_wait_cqe(ring, &cqe) != 0) exit(1);
      if (cqe->flags & IORING_CQE_F_NOTIF) {
        pending--;
      } else {
        if (cqe->res < 0) {
          fprintf(stderr, "send: %s\n", strerror(-cqe->res));
          exit(1);
        }
        sent += (size_t)cqe->res;
        if (!(cqe->flags & IORING_CQE_F_MORE)) pending--;
      }
      io_uring_cqe_seen(ring, cqe);
    }
  }
  return total / (now() - start) / 1e9;
}

int main(int argc, char** argv) {
  size_t chunk = argc > 1 ? (size_t)atol(argv[1]) : 65536;
  size_t total = (size_t)256 << 20;
  int listener = socket(AF_INET, SOCK_STREAM, 0);
  struct sockaddr_in addr = {.sin_family = AF_INET};
  addr.sin_addr.s_addr = htonl(INADDR_LOOPBACK);
  socklen_t length = sizeof addr;
  bind(listener, (struct sockaddr*)&addr, sizeof addr);
  listen(listener, 1);
  getsockname(listener, (struct sockaddr*)&addr, &length);
  int client = socket(AF_INET, SOCK_STREAM, 0);
  if (connect(client, (struct sockaddr*)&addr, sizeof addr) != 0) return 1;
  int server = accept(listener, NULL, NULL);
  pthread_t reader;
  pthread_create(&reader, NULL, drain, &server);
  struct io_uring ring;
  if (io_uring_queue_init(8, &ring, 0) != 0) return 1;
  char* data = aligned_alloc(4096, chunk);
  memset(data, 'x', chunk);
  printf("chunk %zu bytes, 256 MiB per round\n", chunk);
  for (int round = 0; round < 4; round++) {
    double plain = run(&ring, client, data, chunk, total, 0);
    double zc = run(&ring, client, data, chunk, total, 1);
    printf("round %d: SEND %.2f GB/s, SEND_ZC %.2f GB/s, ratio %.2f\n", round + 1, plain, zc, zc / plain);
  }
  close(client);
  pthread_join(reader, NULL);
  return 0;
}
