#include "socket.h"

#include "args.h"
#include "ring.h"

#include <algorithm>
#include <arpa/inet.h>
#include <net/if.h>
#include <netinet/in.h>
#include <netinet/tcp.h>
#include <poll.h>
#include <limits.h>
#include <sys/ioctl.h>
#include <sys/uio.h>
#include <sys/un.h>
#include <unistd.h>

#include <cerrno>
#include <cstddef>
#include <cstring>

namespace {

Napi::Value Result(const Napi::CallbackInfo& info, int rc) {
  return Napi::Number::New(info.Env(), rc < 0 ? -errno : rc);
}

Ring* RingOf(const Napi::CallbackInfo& info) { return info.Env().GetInstanceData<Ring>(); }

int Domain(int family) { return family == 6 ? AF_INET6 : family == kUnixFamily ? AF_UNIX : AF_INET; }

// socket(family 4|6|0 (Unix)) -> fd
Napi::Value Socket(const Napi::CallbackInfo& info) {
  int domain = Domain(I32(info[0]));
  int fd = socket(domain, SOCK_STREAM | SOCK_NONBLOCK | SOCK_CLOEXEC, 0);
  if (fd >= 0) RingOf(info)->TrackSocket(fd);
  return Result(info, fd);
}

// bind(fd, family, host or path, port, ipv6Only): SO_REUSEADDR as libuv sets it for every TCP
// bind.
Napi::Value Bind(const Napi::CallbackInfo& info) {
  int fd = I32(info[0]);
  int family = I32(info[1]);
  sockaddr_storage addr;
  socklen_t len;
  if (!ParseSockaddr(family, info[2].As<Napi::String>().Utf8Value(), I32(info[3]), &addr, &len)) {
    return Napi::Number::New(info.Env(), -EINVAL);
  }
  if (family == kUnixFamily) return Result(info, bind(fd, reinterpret_cast<sockaddr*>(&addr), len));
  int on = 1;
  setsockopt(fd, SOL_SOCKET, SO_REUSEADDR, &on, sizeof(on));
  if (family == 6) {
    int only = Flag(info[4]) ? 1 : 0;
    setsockopt(fd, IPPROTO_IPV6, IPV6_V6ONLY, &only, sizeof(only));
  }
  return Result(info, bind(fd, reinterpret_cast<sockaddr*>(&addr), len));
}

Napi::Value Listen(const Napi::CallbackInfo& info) {
  int fd = I32(info[0]);
  int rc = listen(fd, I32(info[1]));
  if (rc == 0) RingOf(info)->WatchSocket(fd);
  return Result(info, rc);
}

// sockname(fd, peer, out): fills out.address/family/port as Node's AddressToJS does. Raw
// Node-API, statuses unchecked: setting a property fails in a Worker being terminated, where
// node-addon-api would abort the process (see args.h).
Napi::Value Sockname(const Napi::CallbackInfo& info) {
  int fd = I32(info[0]);
  sockaddr_storage addr;
  socklen_t len = sizeof(addr);
  int rc = Flag(info[1]) ? getpeername(fd, reinterpret_cast<sockaddr*>(&addr), &len)
                         : getsockname(fd, reinterpret_cast<sockaddr*>(&addr), &len);
  if (rc < 0) return Napi::Number::New(info.Env(), -errno);
  napi_env env = info.Env();
  napi_value out = info[2];
  auto fill = [&](const char* address, const char* family, uint16_t port) {
    napi_value value;
    napi_create_string_utf8(env, address, NAPI_AUTO_LENGTH, &value);
    napi_set_named_property(env, out, "address", value);
    napi_create_string_utf8(env, family, NAPI_AUTO_LENGTH, &value);
    napi_set_named_property(env, out, "family", value);
    napi_create_uint32(env, port, &value);
    napi_set_named_property(env, out, "port", value);
  };
  char text[INET6_ADDRSTRLEN + IF_NAMESIZE + 2];
  if (addr.ss_family == AF_INET6) {
    auto* a6 = reinterpret_cast<sockaddr_in6*>(&addr);
    inet_ntop(AF_INET6, &a6->sin6_addr, text, sizeof(text));
    if (a6->sin6_scope_id != 0) {
      size_t used = strlen(text);
      text[used] = '%';
      if (if_indextoname(a6->sin6_scope_id, text + used + 1) == nullptr) {
        snprintf(text + used + 1, sizeof(text) - used - 1, "%u", a6->sin6_scope_id);
      }
    }
    fill(text, "IPv6", ntohs(a6->sin6_port));
  } else if (addr.ss_family == AF_INET) {
    auto* a4 = reinterpret_cast<sockaddr_in*>(&addr);
    inet_ntop(AF_INET, &a4->sin_addr, text, sizeof(text));
    fill(text, "IPv4", ntohs(a4->sin_port));
  }
  return Napi::Number::New(info.Env(), 0);
}

Napi::Value SetNoDelay(const Napi::CallbackInfo& info) {
  int on = Flag(info[1]) ? 1 : 0;
  return Result(info, setsockopt(I32(info[0]), IPPROTO_TCP, TCP_NODELAY, &on, sizeof(on)));
}

// setKeepAlive(fd, enable, delaySeconds): the probe settings libuv uses.
Napi::Value SetKeepAlive(const Napi::CallbackInfo& info) {
  int fd = I32(info[0]);
  int on = Flag(info[1]) ? 1 : 0;
  if (setsockopt(fd, SOL_SOCKET, SO_KEEPALIVE, &on, sizeof(on)) < 0) return Result(info, -1);
  if (!on) return Napi::Number::New(info.Env(), 0);
  int idle = I32(info[2]);
  if (idle < 1) idle = 1;
  int interval = 1;
  int count = 10;
  if (setsockopt(fd, IPPROTO_TCP, TCP_KEEPIDLE, &idle, sizeof(idle)) < 0 ||
      setsockopt(fd, IPPROTO_TCP, TCP_KEEPINTVL, &interval, sizeof(interval)) < 0 ||
      setsockopt(fd, IPPROTO_TCP, TCP_KEEPCNT, &count, sizeof(count)) < 0) {
    return Result(info, -1);
  }
  return Napi::Number::New(info.Env(), 0);
}

// setLinger0(fd): the next close sends RST, as uv_tcp_close_reset does.
Napi::Value SetLinger0(const Napi::CallbackInfo& info) {
  linger l{1, 0};
  return Result(info, setsockopt(I32(info[0]), SOL_SOCKET, SO_LINGER, &l, sizeof(l)));
}

// unreadBytes(fd, recvId) -> bytes received that JS has not seen: waiting in the socket's
// receive queue, or taken by its receive and not delivered yet; or a negative errno.
Napi::Value UnreadBytes(const Napi::CallbackInfo& info) {
  int n = 0;
  if (ioctl(I32(info[0]), FIONREAD, &n) < 0) return Result(info, -1);
  return Napi::Number::New(info.Env(), static_cast<double>(n + RingOf(info)->UndeliveredBytes(static_cast<uint32_t>(I32(info[1])))));
}

// hungUp(fd) -> whether the socket is shut down both ways (or reset) now: the POLLHUP with
// which libuv's wake-up reports a stream's end of stream after a short read.
Napi::Value HungUp(const Napi::CallbackInfo& info) {
  pollfd entry{I32(info[0]), POLLIN, 0};
  bool hungUp = poll(&entry, 1, 0) == 1 && (entry.revents & POLLHUP);
  return Napi::Boolean::New(info.Env(), hungUp);
}

// trySend(fd, views[]) -> bytes sent now (0 when the socket buffer is full) or a negative
// errno: libuv's try-write, which lets a write that fits complete synchronously.
Napi::Value TrySend(const Napi::CallbackInfo& info) {
  iovec iov[IOV_MAX];
  uint32_t count = 0;
  napi_get_array_length(info.Env(), info[1], &count);
  count = std::min<uint32_t>(count, IOV_MAX);
  ViewsToIovecs(info.Env(), info[1], count, iov);
  msghdr msg{};
  msg.msg_iov = iov;
  msg.msg_iovlen = count;
  ssize_t n = sendmsg(I32(info[0]), &msg, MSG_DONTWAIT | MSG_NOSIGNAL);
  if (n < 0 && (errno == EAGAIN || errno == EWOULDBLOCK)) n = 0;
  return Napi::Number::New(info.Env(), n < 0 ? -errno : static_cast<double>(n));
}

// shutdownSync(fd, how): on a listening socket SHUT_RD stops listening at once, even while an
// accept still holds the socket open in the kernel.
Napi::Value ShutdownSync(const Napi::CallbackInfo& info) {
  return Result(info, shutdown(I32(info[0]), I32(info[1])));
}

// closeSync(fd, reset, held): as uv_close closes. Queued SQEs naming this descriptor (the sends
// of writes already reported done, the cancels of its ops) reach the kernel first, while the
// number still means this socket. Here close(2) only drops the descriptor when ring ops still
// hold the socket (`held`): it is released -- and sends its reset or FIN -- once their cancels
// complete, in deferred work that a later GETEVENTS enter runs after the receives queued before
// them, and after bytes this process sends meanwhile on other sockets. So what libuv's close(2)
// sends is sent now:
// - `reset` (SO_LINGER 0 is set): connect(AF_UNSPEC), the disconnect a linger-0 close makes
//   (tcp_disconnect); the close that follows sends nothing more. (Else a peer socket of this
//   process reads and ACKs first, and a segment Nagle held for that ACK gets through before the
//   reset, where under Node it dies with the socket: test/net socket.test.mjs.)
// - otherwise, a held TCP socket: shutdown(SHUT_RDWR), the FIN, leaving the socket as a closed
//   one behaves -- bytes that still arrive get a reset. (Else an aborted http client's end
//   reached its proxy after the response it was proxying: test-http-writable-true-after-close.)
Napi::Value CloseSync(const Napi::CallbackInfo& info) {
  Ring* ring = RingOf(info);
  int fd = I32(info[0]);
  ring->SubmitNow();
  ring->UntrackSocket(fd);
  if (Flag(info[1])) {
    sockaddr unspec{};
    unspec.sa_family = AF_UNSPEC;
    connect(fd, &unspec, sizeof(unspec));
  } else if (Flag(info[2])) {
    shutdown(fd, SHUT_RDWR);
  }
  return Result(info, close(fd));
}

// submitNow(): queued SQEs reach the kernel now -- the sends of writes already reported done,
// before process.exit() ends the process (no environment cleanup runs then).
Napi::Value SubmitNow(const Napi::CallbackInfo& info) {
  RingOf(info)->SubmitNow();
  return Napi::Value();
}

// release(fd): the descriptor now belongs to a Node handle; the teardown must not close it.
Napi::Value Release(const Napi::CallbackInfo& info) {
  RingOf(info)->UntrackSocket(I32(info[0]));
  return Napi::Value();
}

}  // namespace

bool ParseSockaddr(int family, const std::string& host, int port, sockaddr_storage* out, socklen_t* len) {
  std::memset(out, 0, sizeof(*out));
  if (family == kUnixFamily) {
    // A filesystem path that fits with its terminating NUL (abstract names stay Node's).
    auto* un = reinterpret_cast<sockaddr_un*>(out);
    un->sun_family = AF_UNIX;
    if (host.empty() || host.size() >= sizeof(un->sun_path) || host.find('\0') != std::string::npos) return false;
    std::memcpy(un->sun_path, host.data(), host.size());
    *len = static_cast<socklen_t>(offsetof(sockaddr_un, sun_path) + host.size() + 1);
    return true;
  }
  if (family == 6) {
    auto* a6 = reinterpret_cast<sockaddr_in6*>(out);
    a6->sin6_family = AF_INET6;
    a6->sin6_port = htons(static_cast<uint16_t>(port));
    std::string addr = host;
    size_t percent = addr.find('%');
    if (percent != std::string::npos) {
      std::string zone = addr.substr(percent + 1);
      addr.resize(percent);
      unsigned index = if_nametoindex(zone.c_str());
      a6->sin6_scope_id = index != 0 ? index : static_cast<unsigned>(atoi(zone.c_str()));
    }
    *len = sizeof(sockaddr_in6);
    return inet_pton(AF_INET6, addr.c_str(), &a6->sin6_addr) == 1;
  }
  auto* a4 = reinterpret_cast<sockaddr_in*>(out);
  a4->sin_family = AF_INET;
  a4->sin_port = htons(static_cast<uint16_t>(port));
  *len = sizeof(sockaddr_in);
  return inet_pton(AF_INET, host.c_str(), &a4->sin_addr) == 1;
}

// One Node-API call: the typed array's info carries its data pointer, offset applied.
void ViewToIovec(napi_env env, napi_value view, iovec* out) {
  size_t length = 0;
  void* data = nullptr;
  napi_get_typedarray_info(env, view, nullptr, &length, &data, nullptr, nullptr);
  out->iov_base = data;
  out->iov_len = length;
}

// And one more per view, to read it out of the array.
void ViewsToIovecs(napi_env env, napi_value views, uint32_t count, iovec* out) {
  for (uint32_t i = 0; i < count; ++i) {
    napi_value view;
    napi_get_element(env, views, i, &view);
    ViewToIovec(env, view, &out[i]);
  }
}

void RegisterSocketFunctions(Napi::Env env, Napi::Object exports) {
  const std::pair<const char*, Napi::Function::Callback> functions[] = {
      {"socket", Socket},         {"bind", Bind},         {"listen", Listen},
      {"sockname", Sockname},     {"setNoDelay", SetNoDelay}, {"setKeepAlive", SetKeepAlive},
      {"closeSync", CloseSync},   {"setLinger0", SetLinger0},
      {"shutdownSync", ShutdownSync}, {"release", Release},
      {"trySend", TrySend},       {"unreadBytes", UnreadBytes}, {"submitNow", SubmitNow},
      {"hungUp", HungUp},
  };
  for (const auto& [name, fn] : functions) exports.Set(name, Napi::Function::New(env, fn, name));
}
