// Op constructors shared by the capture converters. Each sets only the fields its
// kind uses, so the scenarios stay representable as text.
#pragma once

#include <algorithm>
#include <cstdint>
#include <optional>

#include "harness/scenario.h"

namespace synfin::harness::capture_ops {

inline Op listen(int host, uint16_t port) {
  Op op;
  op.kind = OpKind::kListen;
  op.host = static_cast<uint8_t>(host);
  op.port = port;
  return op;
}

inline Op connect(int host, uint16_t port) {
  Op op = listen(host, port);
  op.kind = OpKind::kConnect;
  return op;
}

inline Op accept(int host) {
  Op op;
  op.kind = OpKind::kAccept;
  op.host = static_cast<uint8_t>(host);
  return op;
}

// kSend, kRecv (amount: bytes), kShutdown, kClose, kAbort (amount 0).
inline Op socket_call(OpKind kind, int host, int socket, uint64_t amount = 0) {
  Op op;
  op.kind = kind;
  op.host = static_cast<uint8_t>(host);
  op.socket = static_cast<uint8_t>(socket);
  op.amount = amount;
  return op;
}

inline Op fault(int sender, FaultKind kind, uint64_t param) {
  Op op;
  op.kind = OpKind::kFault;
  op.host = static_cast<uint8_t>(sender);
  op.fault = kind;
  op.amount = param;
  return op;
}

// `d` before `t` (stack/time.h defines only Instant + Duration).
inline Instant before(Instant t, Duration d) { return t + Duration{-d.us}; }

// What a read asks for: more than any receive buffer holds, so one read takes
// everything that has arrived.
inline constexpr uint64_t kReadAll = 65536;

// The MSS a host is configured with, from the one the capture shows: at most
// what a 64 KiB IPv4 packet carries (65495), and at least 64 (a smaller MSS only
// multiplies the segments a run has to simulate).
inline uint16_t config_mss(std::optional<uint16_t> captured, uint16_t fallback) {
  return static_cast<uint16_t>(std::clamp<int>(captured.value_or(fallback), 64, 65495));
}

}  // namespace synfin::harness::capture_ops
