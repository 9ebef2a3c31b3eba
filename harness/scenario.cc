#include "harness/scenario.h"

#include <algorithm>

namespace synfin::harness {

const char* to_string(OpKind k) {
  switch (k) {
    case OpKind::kWait: return "wait";
    case OpKind::kListen: return "listen";
    case OpKind::kConnect: return "connect";
    case OpKind::kAccept: return "accept";
    case OpKind::kSend: return "send";
    case OpKind::kRecv: return "recv";
    case OpKind::kShutdown: return "shutdown";
    case OpKind::kClose: return "close";
    case OpKind::kAbort: return "abort";
    case OpKind::kInject: return "inject";
    case OpKind::kExpect: return "expect";
    case OpKind::kFault: return "fault";
    case OpKind::kPartition: return "partition";
    case OpKind::kAwait: return "await";
  }
  return "invalid";
}

const char* to_string(FaultKind k) {
  switch (k) {
    case FaultKind::kDrop: return "drop";
    case FaultKind::kDuplicate: return "duplicate";
    case FaultKind::kDelay: return "delay";
    case FaultKind::kReorder: return "reorder";
    case FaultKind::kCorrupt: return "corrupt";
    case FaultKind::kTruncate: return "truncate";
  }
  return "invalid";
}

const char* to_string(SeqBase b) {
  switch (b) {
    case SeqBase::kAbsolute: return "abs";
    case SeqBase::kPeerIsn: return "isn";
    case SeqBase::kRcvNxt: return "rcv.nxt";
    case SeqBase::kRcvWndEdge: return "rcv.wnd";
  }
  return "invalid";
}

const char* to_string(AckBase b) {
  switch (b) {
    case AckBase::kAbsolute: return "abs";
    case AckBase::kHostIss: return "iss";
    case AckBase::kSndUna: return "snd.una";
    case AckBase::kSndNxt: return "snd.nxt";
    case AckBase::kSndMax: return "snd.max";
  }
  return "invalid";
}

const char* to_string(Spoof s) {
  switch (s) {
    case Spoof::kNone: return "none";
    case Spoof::kOtherSrcPort: return "src-port";
    case Spoof::kOtherDstPort: return "dst-port";
    case Spoof::kOtherSrcAddr: return "src-addr";
  }
  return "invalid";
}

ScenarioHeader sanitized(const ScenarioHeader& in) {
  ScenarioHeader h = in;
  Config& c = h.config;
  const Duration lo = Duration::millis(1), hi = Duration::seconds(3600);
  c.msl = std::clamp(c.msl, lo, hi);
  c.rto_min = std::clamp(c.rto_min, lo, hi);
  c.rto_max = std::clamp(c.rto_max, c.rto_min, hi);
  c.rto_initial = std::clamp(c.rto_initial, c.rto_min, c.rto_max);
  c.syn_retries = std::clamp(c.syn_retries, 0, 50);
  c.data_retries = std::clamp(c.data_retries, 0, 50);
  c.recv_buffer = std::clamp<uint32_t>(c.recv_buffer, 1, 1u << 20);
  c.send_buffer = std::clamp<uint32_t>(c.send_buffer, 1, 4u << 20);
  c.mss = std::max<uint16_t>(c.mss, 1);
  c.default_peer_mss_v4 = std::max<uint16_t>(c.default_peer_mss_v4, 1);
  c.default_peer_mss_v6 = std::max<uint16_t>(c.default_peer_mss_v6, 1);
  c.default_backlog = std::clamp(c.default_backlog, 1, 1024);
  c.initial_window_segments = std::min<uint32_t>(c.initial_window_segments, 1000);
  // RFC 1122 4.2.3.2: an ACK's delay "MUST be less than 0.5 seconds".
  c.delayed_ack_timeout = std::clamp(c.delayed_ack_timeout, lo, Duration::millis(499));
  // Keep-alive timings no shorter than 100 ms: shorter ones only multiply
  // events (a probe per millisecond of a scenario's waits) without new behaviour.
  c.keepalive_idle = std::clamp(c.keepalive_idle, Duration::millis(100), Duration::seconds(4 * 3600));
  c.keepalive_interval = std::clamp(c.keepalive_interval, Duration::millis(100), hi);
  c.keepalive_probes = std::clamp(c.keepalive_probes, 0, 50);
  for (LinkSettings& l : h.links) {
    l.delay = std::clamp(l.delay, Duration{0}, Duration::seconds(10));
    l.jitter = std::clamp(l.jitter, Duration{0}, Duration::seconds(10));
  }
  return h;
}

IpAddr host_address(IpFamily family, int host) {
  if (family == IpFamily::kV4) return IpAddr::v4(10, 0, 0, static_cast<uint8_t>(host + 1));
  std::array<uint8_t, 16> b{};
  b[0] = 0xfd;
  b[15] = static_cast<uint8_t>(host + 1);
  return IpAddr::v6(b);
}

IpAddr spoof_address(IpFamily family) { return host_address(family, 8); }

}  // namespace synfin::harness
