// The ceiling for N1 on this machine (`run.mjs --floor`): an echo server in C on the ring
// features the shim's sockets use -- multishot accept, multishot receive into a provided-buffer
// ring, a send straight from the received buffer, SINGLE_ISSUER + DEFER_TASKRUN, one
// submit-and-wait per batch of completions -- and no other user-space work. What it spends per
// message is the kernel's share of any io_uring echo server; what Node or the shim spends
// beyond it is user space. Prints "<port> <pid>" as server.mjs does.
#include <errno.h>
#include <liburing.h>
#include <netinet/in.h>
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <sys/mman.h>
#include <sys/socket.h>
#include <unistd.h>

enum { ACCEPT = 1, RECV = 2, SEND = 3 };
enum { BUFFERS = 4096, BUFFER_SIZE = 64 * 1024 };  // a receive takes at most one buffer

static struct io_uring ring;
static struct io_uring_buf_ring* provided;
static uint8_t* memory;
static uint32_t received[BUFFERS];  // bytes of each buffer's receive, to resume a short send

static void die(const char* what, int err) {
  fprintf(stderr, "%s: %d\n", what, err);
  exit(1);
}

static struct io_uring_sqe* next_sqe(void) {
  struct io_uring_sqe* sqe = io_uring_get_sqe(&ring);
  if (sqe == NULL) {
    io_uring_submit(&ring);
    sqe = io_uring_get_sqe(&ring);
  }
  return sqe;
}

// user_data: the kind, the socket, and for a send the buffer and how far into it the send starts.
static uint64_t tag(int kind, int fd, unsigned bid, unsigned offset) {
  return (uint64_t)kind | (uint64_t)fd << 4 | (uint64_t)bid << 24 | (uint64_t)offset << 40;
}

static void arm_receive(int fd) {
  struct io_uring_sqe* sqe = next_sqe();
  io_uring_prep_recv_multishot(sqe, fd, NULL, 0, 0);
  sqe->flags |= IOSQE_BUFFER_SELECT;
  sqe->buf_group = 0;
  io_uring_sqe_set_data64(sqe, tag(RECV, fd, 0, 0));
}

static void send_from(int fd, unsigned bid, unsigned offset) {
  struct io_uring_sqe* sqe = next_sqe();
  io_uring_prep_send(sqe, fd, memory + (size_t)bid * BUFFER_SIZE + offset, received[bid] - offset, MSG_NOSIGNAL);
  io_uring_sqe_set_data64(sqe, tag(SEND, fd, bid, offset));
}

static void give_back(unsigned bid) {
  io_uring_buf_ring_add(provided, memory + (size_t)bid * BUFFER_SIZE, BUFFER_SIZE, bid, io_uring_buf_ring_mask(BUFFERS), 0);
  io_uring_buf_ring_advance(provided, 1);
}

static void complete(const struct io_uring_cqe* cqe) {
  uint64_t data = cqe->user_data;
  int kind = data & 15, fd = (data >> 4) & 0xfffff;
  unsigned bid = (data >> 24) & 0xffff, offset = data >> 40;
  int more = cqe->flags & IORING_CQE_F_MORE;
  if (kind == ACCEPT) {
    if (cqe->res >= 0) arm_receive(cqe->res);
    if (!more) die("accept", cqe->res);
  } else if (kind == RECV) {
    if (cqe->res > 0) {
      bid = cqe->flags >> IORING_CQE_BUFFER_SHIFT;
      received[bid] = cqe->res;
      send_from(fd, bid, 0);
      if (!more) arm_receive(fd);
    } else if (cqe->res == -ENOBUFS) {
      if (!more) arm_receive(fd);
    } else if (!more) {
      close(fd);  // end of stream or an error: the load generator is done
    }
  } else if (cqe->res > 0 && offset + cqe->res < received[bid]) {
    send_from(fd, bid, offset + cqe->res);  // a short send: the rest before the buffer goes back
  } else {
    give_back(bid);
  }
}

int main(void) {
  struct io_uring_params params = { .flags = IORING_SETUP_SINGLE_ISSUER | IORING_SETUP_DEFER_TASKRUN | IORING_SETUP_CQSIZE, .cq_entries = 16384 };
  int err = io_uring_queue_init_params(1024, &ring, &params);
  if (err < 0) die("io_uring_queue_init_params", err);
  provided = mmap(NULL, sizeof(struct io_uring_buf) * BUFFERS, PROT_READ | PROT_WRITE, MAP_PRIVATE | MAP_ANONYMOUS, -1, 0);
  memory = mmap(NULL, (size_t)BUFFERS * BUFFER_SIZE, PROT_READ | PROT_WRITE, MAP_PRIVATE | MAP_ANONYMOUS, -1, 0);
  if (provided == MAP_FAILED || memory == MAP_FAILED) die("mmap", errno);
  struct io_uring_buf_reg reg = { .ring_addr = (uint64_t)(uintptr_t)provided, .ring_entries = BUFFERS, .bgid = 0 };
  err = io_uring_register_buf_ring(&ring, &reg, 0);
  if (err < 0) die("io_uring_register_buf_ring", err);
  io_uring_buf_ring_init(provided);
  for (unsigned i = 0; i < BUFFERS; i++) give_back(i);

  int listener = socket(AF_INET, SOCK_STREAM, 0);
  struct sockaddr_in addr = { .sin_family = AF_INET, .sin_addr.s_addr = htonl(INADDR_LOOPBACK) };
  socklen_t length = sizeof addr;
  if (bind(listener, (struct sockaddr*)&addr, sizeof addr) < 0 || listen(listener, 511) < 0 ||
      getsockname(listener, (struct sockaddr*)&addr, &length) < 0) die("listen", errno);
  printf("%d %d\n", ntohs(addr.sin_port), getpid());
  fflush(stdout);
  struct io_uring_sqe* sqe = next_sqe();
  io_uring_prep_multishot_accept(sqe, listener, NULL, NULL, 0);
  io_uring_sqe_set_data64(sqe, tag(ACCEPT, listener, 0, 0));
  for (;;) {
    err = io_uring_submit_and_wait(&ring, 1);
    if (err < 0 && err != -EINTR) die("io_uring_submit_and_wait", err);
    struct io_uring_cqe* cqe;
    unsigned head, seen = 0;
    io_uring_for_each_cqe(&ring, head, cqe) {
      complete(cqe);
      seen++;
    }
    io_uring_cq_advance(&ring, seen);
  }
}
