// Reading the arguments JS passes to the addon's functions. src/ validates them first (Node's
// own rules), so these only read, never coerce: a coercion may call into JS, which fails in a
// Worker being terminated -- and node-addon-api answers such a failure by aborting the process.
#pragma once
#include <napi.h>

#include <cstdint>

inline uint32_t U32(const Napi::Value& v) { return v.As<Napi::Number>().Uint32Value(); }
inline int32_t I32(const Napi::Value& v) { return v.As<Napi::Number>().Int32Value(); }
// A JS boolean; anything else (an omitted argument) reads as false.
inline bool Flag(const Napi::Value& v) {
  bool value = false;
  napi_get_value_bool(v.Env(), v, &value);
  return value;
}
