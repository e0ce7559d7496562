// Load generator for the net benchmarks: one epoll thread, so that the server under test, not
// the client, is what saturates its core (a Node client tops out near the server's own rate).
//   load echo <port> <conns> <size> <seconds>   ping-pong messages; prints {"rate":msg/s,"ops":n}
//   load http <port> <conns> <seconds>          keep-alive GETs; prints {"rate":req/s,"ops":n,"p99":ms}
//   load sink                                   accepts and discards; prints its port
// Built by bench/net/load.mjs with the system cc; Node's load.mjs is the fallback without one.
#define _GNU_SOURCE
#include <arpa/inet.h>
#include <errno.h>
#include <netinet/in.h>
#include <netinet/tcp.h>
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/epoll.h>
#include <sys/socket.h>
#include <time.h>
#include <unistd.h>

enum { MAX_CONNS = 1024, MAX_SAMPLES = 1 << 22 };

static double now(void) {
  struct timespec ts;
  clock_gettime(CLOCK_MONOTONIC, &ts);
  return ts.tv_sec + ts.tv_nsec / 1e9;
}

static void die(const char* what) {
  perror(what);
  exit(1);
}

static int connect_to(int port) {
  int fd = socket(AF_INET, SOCK_STREAM | SOCK_CLOEXEC, 0);
  if (fd < 0) die("socket");
  struct sockaddr_in addr = {.sin_family = AF_INET, .sin_port = htons(port)};
  addr.sin_addr.s_addr = htonl(INADDR_LOOPBACK);
  if (connect(fd, (struct sockaddr*)&addr, sizeof addr) != 0) die("connect");
  int one = 1;
  setsockopt(fd, IPPROTO_TCP, TCP_NODELAY, &one, sizeof one);
  return fd;
}

static void send_all(int fd, const char* data, size_t length) {
  while (length > 0) {
    ssize_t n = send(fd, data, length, MSG_NOSIGNAL);
    if (n < 0) {
      if (errno == EINTR) continue;
      die("send");
    }
    data += n;
    length -= (size_t)n;
  }
}

struct conn {
  int fd;
  size_t got;        // bytes of the current reply received
  double sent_at;
  char tail[4];      // http: the last bytes seen, to find "\r\n\r\n" across reads
  size_t body_left;  // http: body bytes still to come (0 while reading headers)
  int in_body;
};

static int cmp_double(const void* a, const void* b) {
  double x = *(const double*)a, y = *(const double*)b;
  return (x > y) - (x < y);
}

// One request/response (or message) per connection in flight, as the Node load generator.
static void run(int http, int port, int conns, size_t size, double seconds) {
  static struct conn c[MAX_CONNS];
  static char buf[1 << 20];
  static const char request[] = "GET / HTTP/1.1\r\nHost: 127.0.0.1\r\n\r\n";
  const size_t request_length = sizeof request - 1;
  char* message = malloc(size ? size : 1);
  memset(message, 'x', size);
  double* samples = http ? malloc(sizeof(double) * MAX_SAMPLES) : NULL;
  size_t nsamples = 0;
  long done = 0;
  int ep = epoll_create1(EPOLL_CLOEXEC);
  if (conns > MAX_CONNS) conns = MAX_CONNS;
  for (int i = 0; i < conns; i++) {
    c[i] = (struct conn){.fd = connect_to(port)};
    struct epoll_event ev = {.events = EPOLLIN, .data.u32 = (uint32_t)i};
    epoll_ctl(ep, EPOLL_CTL_ADD, c[i].fd, &ev);
  }
  double start = now(), end = start + seconds;
  for (int i = 0; i < conns; i++) {
    c[i].sent_at = start;
    if (http) send_all(c[i].fd, request, request_length);
    else send_all(c[i].fd, message, size);
  }
  int open = conns;
  struct epoll_event events[64];
  while (open > 0) {
    int n = epoll_wait(ep, events, 64, 1000);
    if (n < 0 && errno != EINTR) die("epoll_wait");
    double t = now();
    for (int e = 0; e < n; e++) {
      struct conn* k = &c[events[e].data.u32];
      ssize_t got = recv(k->fd, buf, sizeof buf, 0);
      if (got <= 0) {
        if (got < 0 && errno == EAGAIN) continue;
        fprintf(stderr, "connection closed by the server\n");
        exit(1);
      }
      int complete = 0;
      if (!http) {
        k->got += (size_t)got;
        if (k->got >= size) {
          k->got -= size;
          complete = 1;
        }
      } else {
        // Responses are headers then a content-length body; the server says 11 bytes.
        for (ssize_t i = 0; i < got; i++) {
          if (k->in_body) {
            if (--k->body_left == 0) {
              k->in_body = 0;
              complete = 1;
            }
            continue;
          }
          memmove(k->tail, k->tail + 1, 3);
          k->tail[3] = buf[i];
          if (memcmp(k->tail, "\r\n\r\n", 4) == 0) {
            k->in_body = 1;
            k->body_left = 11;
            memset(k->tail, 0, 4);
          }
        }
      }
      if (!complete) continue;
      done++;
      if (http && nsamples < MAX_SAMPLES) samples[nsamples++] = (t - k->sent_at) * 1e3;
      if (t < end) {
        k->sent_at = t;
        if (http) send_all(k->fd, request, request_length);
        else send_all(k->fd, message, size);
      } else {
        epoll_ctl(ep, EPOLL_CTL_DEL, k->fd, NULL);
        close(k->fd);
        open--;
      }
    }
  }
  double elapsed = now() - start;
  if (http) {
    qsort(samples, nsamples, sizeof(double), cmp_double);
    printf("{\"rate\":%.1f,\"ops\":%ld,\"p99\":%.3f}\n", done / elapsed, done, nsamples ? samples[(size_t)(nsamples * 0.99)] : 0.0);
  } else {
    printf("{\"rate\":%.1f,\"ops\":%ld}\n", done / elapsed, done);
  }
}

static void sink(void) {
  int listener = socket(AF_INET, SOCK_STREAM | SOCK_CLOEXEC, 0);
  struct sockaddr_in addr = {.sin_family = AF_INET};
  addr.sin_addr.s_addr = htonl(INADDR_LOOPBACK);
  socklen_t length = sizeof addr;
  if (bind(listener, (struct sockaddr*)&addr, sizeof addr) != 0 || listen(listener, 128) != 0) die("listen");
  getsockname(listener, (struct sockaddr*)&addr, &length);
  printf("%d\n", ntohs(addr.sin_port));
  fflush(stdout);
  int ep = epoll_create1(EPOLL_CLOEXEC);
  struct epoll_event ev = {.events = EPOLLIN, .data.fd = listener};
  epoll_ctl(ep, EPOLL_CTL_ADD, listener, &ev);
  static char buf[1 << 20];
  struct epoll_event events[64];
  for (;;) {
    int n = epoll_wait(ep, events, 64, -1);
    for (int e = 0; e < n; e++) {
      int fd = events[e].data.fd;
      if (fd == listener) {
        int client = accept4(listener, NULL, NULL, SOCK_CLOEXEC);
        if (client < 0) continue;
        struct epoll_event cev = {.events = EPOLLIN, .data.fd = client};
        epoll_ctl(ep, EPOLL_CTL_ADD, client, &cev);
      } else if (recv(fd, buf, sizeof buf, 0) <= 0) {
        epoll_ctl(ep, EPOLL_CTL_DEL, fd, NULL);
        close(fd);
      }
    }
  }
}

int main(int argc, char** argv) {
  if (argc >= 2 && strcmp(argv[1], "sink") == 0) sink();
  if (argc == 6 && strcmp(argv[1], "echo") == 0) {
    run(0, atoi(argv[2]), atoi(argv[3]), (size_t)atol(argv[4]), atof(argv[5]));
    return 0;
  }
  if (argc == 5 && strcmp(argv[1], "http") == 0) {
    run(1, atoi(argv[2]), atoi(argv[3]), 0, atof(argv[4]));
    return 0;
  }
  fprintf(stderr, "usage: load echo <port> <conns> <size> <seconds> | http <port> <conns> <seconds> | sink\n");
  return 2;
}
