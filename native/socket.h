// Socket calls that are cheap and synchronous in Node too (socket, bind, listen, addresses,
// options): direct syscalls, no ring round trip. Each returns 0 (or an fd) or a negative errno.
#pragma once
#include <napi.h>
#include <sys/socket.h>

// Parses (family 4|6, host, port) into `out`; false when `host` is not an address of that family.
bool ParseSockaddr(int family, const std::string& host, int port, sockaddr_storage* out, socklen_t* len);

void RegisterSocketFunctions(Napi::Env env, Napi::Object exports);
