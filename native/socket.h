// Socket calls that are cheap and synchronous in Node too (socket, bind, listen, addresses,
// options): direct syscalls, no ring round trip. Each returns 0 (or an fd) or a negative errno.
#pragma once
#include <napi.h>
#include <sys/socket.h>
#include <sys/uio.h>

// The family number JS gives for Unix domain sockets (4 and 6 are IPv4 and IPv6).
constexpr int kUnixFamily = 0;

// Parses (family 4|6, host, port) or (kUnixFamily, path) into `out`; false when `host` is not an
// address of that family (a Unix path must fit sun_path with its terminating NUL).
bool ParseSockaddr(int family, const std::string& host, int port, sockaddr_storage* out, socklen_t* len);

// Points `out` at the bytes of a Uint8Array.
void ViewToIovec(napi_env env, napi_value view, iovec* out);
// Points `out` at the bytes of the first `count` Uint8Arrays in `views` (a JS array).
void ViewsToIovecs(napi_env env, napi_value views, uint32_t count, iovec* out);

void RegisterSocketFunctions(Napi::Env env, Napi::Object exports);
