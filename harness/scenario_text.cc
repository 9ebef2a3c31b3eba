// What the text parser and printer share: the header field table, and the
// definition of which scenarios the text can carry exactly.
#include "harness/scenario_text.h"

#include "absl/strings/str_cat.h"

namespace synfin::harness {
namespace text_internal {

std::vector<HeaderField> header_fields(ScenarioHeader& h) {
  Config& c = h.config;
  std::vector<HeaderField> f = {
      {"mode", &h.mode},
      {"ip", &h.family},
      {"seed", &h.seed},
      {"draw_mix_from_seed", &h.draw_mix_from_seed},
      {"peer_isn", &h.peer_isn},
      {"msl", &c.msl},
      {"rto_initial", &c.rto_initial},
      {"rto_min", &c.rto_min},
      {"rto_max", &c.rto_max},
      {"syn_retries", &c.syn_retries},
      {"data_retries", &c.data_retries},
      {"recv_buffer", &c.recv_buffer},
      {"send_buffer", &c.send_buffer},
      {"mss", &c.mss},
      {"default_peer_mss_v4", &c.default_peer_mss_v4},
      {"default_peer_mss_v6", &c.default_peer_mss_v6},
      {"rfc5961_rst", &c.rfc5961_rst},
      {"rfc5961_syn", &c.rfc5961_syn},
      {"rfc5961_ack", &c.rfc5961_ack},
      {"rfc1337", &c.rfc1337},
      {"drop_syn_fin", &c.drop_syn_fin},
      {"time_wait_syn", &c.time_wait_syn},
      {"default_backlog", &c.default_backlog},
      {"window_scale", &c.window_scale},
      {"window_scale_buffer", &c.window_scale_buffer},
      {"timestamps", &c.timestamps},
      {"timestamps_required", &c.timestamps_required},
      {"sack", &c.sack},
      {"congestion_control", &c.congestion_control},
      {"initial_window_segments", &c.initial_window_segments},
      {"delayed_ack", &c.delayed_ack},
      {"delayed_ack_timeout", &c.delayed_ack_timeout},
      {"nagle", &c.nagle},
      {"keepalive", &c.keepalive},
      {"keepalive_idle", &c.keepalive_idle},
      {"keepalive_interval", &c.keepalive_interval},
      {"keepalive_probes", &c.keepalive_probes},
  };
  // Static, so the names outlive the table.
  static constexpr std::string_view kLinkNames[2][10] = {
      {"link.c2s.delay", "link.c2s.jitter", "link.c2s.mtu", "link.c2s.bandwidth_kbps",
       "link.c2s.queue_packets", "link.c2s.drop", "link.c2s.duplicate", "link.c2s.reorder",
       "link.c2s.corrupt", "link.c2s.truncate"},
      {"link.s2c.delay", "link.s2c.jitter", "link.s2c.mtu", "link.s2c.bandwidth_kbps",
       "link.s2c.queue_packets", "link.s2c.drop", "link.s2c.duplicate", "link.s2c.reorder",
       "link.s2c.corrupt", "link.s2c.truncate"},
  };
  for (int d = 0; d < 2; ++d) {
    LinkSettings& l = h.links[d];
    const auto& n = kLinkNames[d];
    f.push_back({n[0], &l.delay});
    f.push_back({n[1], &l.jitter});
    f.push_back({n[2], &l.mtu});
    f.push_back({n[3], &l.bandwidth_kbps});
    f.push_back({n[4], &l.queue_packets});
    f.push_back({n[5], Probability{&l.mix.drop}});
    f.push_back({n[6], Probability{&l.mix.duplicate}});
    f.push_back({n[7], Probability{&l.mix.reorder}});
    f.push_back({n[8], Probability{&l.mix.corrupt}});
    f.push_back({n[9], Probability{&l.mix.truncate}});
  }
  return f;
}

uint16_t probability_units(uint64_t mantissa, int decimals) {
  uint64_t scale = 1;
  for (int i = 0; i < decimals; ++i) scale *= 10;
  // round(mantissa / scale * 65536) in integers: mantissa <= scale <= 10^12, so
  // 2 * mantissa * 65536 stays below 2^58.
  const uint64_t units = (2 * mantissa * 65536 + scale) / (2 * scale);
  return static_cast<uint16_t>(units > 65535 ? 65535 : units);
}

}  // namespace text_internal

namespace {

absl::Status op_error(size_t i, const Op& op, const char* what) {
  return absl::InvalidArgumentError(
      absl::StrCat("op ", i, " (", to_string(op.kind), "): ", what));
}

// Which Op fields each kind carries in text; the rest must equal Op{}'s.
struct UsedFields {
  bool socket = false, port = false, amount = false, fault = false, segment = false,
       expected = false, state = false;
};

UsedFields used_fields(OpKind k) {
  UsedFields u;
  switch (k) {
    case OpKind::kWait: u.amount = true; break;
    case OpKind::kListen:
    case OpKind::kConnect: u.port = true; break;
    case OpKind::kAccept: break;
    case OpKind::kSend:
    case OpKind::kRecv: u.socket = u.amount = true; break;
    case OpKind::kShutdown:
    case OpKind::kClose:
    case OpKind::kAbort: u.socket = true; break;
    case OpKind::kInject: u.segment = true; break;
    case OpKind::kExpect: u.expected = true; break;
    case OpKind::kFault: u.fault = u.amount = true; break;
    case OpKind::kPartition: u.amount = true; break;
    case OpKind::kAwait: u.state = u.amount = true; break;
  }
  return u;
}

}  // namespace

absl::Status check_text_representable(const Scenario& s) {
  const ScenarioHeader& h = s.header;
  if (h.mode != Mode::kEndpoint && h.mode != Mode::kConnection) {
    return absl::InvalidArgumentError("header: mode out of range");
  }
  if (h.family != IpFamily::kV4 && h.family != IpFamily::kV6) {
    return absl::InvalidArgumentError("header: ip family out of range");
  }
  if (h.config.time_wait_syn != TimeWaitSynPolicy::kStrict &&
      h.config.time_wait_syn != TimeWaitSynPolicy::kReuseIfSeqGreater) {
    return absl::InvalidArgumentError("header: time_wait_syn out of range");
  }
  const bool endpoint = h.mode == Mode::kEndpoint;
  const Op defaults;
  for (size_t i = 0; i < s.ops.size(); ++i) {
    const Op& op = s.ops[i];
    if (static_cast<int>(op.kind) >= kNumOpKinds) {
      return absl::InvalidArgumentError(absl::StrCat("op ", i, ": kind out of range"));
    }
    const UsedFields u = used_fields(op.kind);
    if (!u.socket && op.socket != defaults.socket) return op_error(i, op, "socket is not used");
    if (!u.port && op.port != defaults.port) return op_error(i, op, "port is not used");
    if (!u.amount && op.amount != defaults.amount) return op_error(i, op, "amount is not used");
    if (!u.fault && op.fault != defaults.fault) return op_error(i, op, "fault is not used");
    if (!u.state && op.state != defaults.state) return op_error(i, op, "state is not used");
    if (static_cast<int>(op.state) >= kNumStates) return op_error(i, op, "state out of range");
    if (!u.segment && !(op.segment == defaults.segment)) {
      return op_error(i, op, "segment is not used");
    }
    if (!u.expected && !(op.expected == defaults.expected)) {
      return op_error(i, op, "expected is not used");
    }
    // Hosts.
    if (op.kind == OpKind::kWait) {
      if (op.host != 0) return op_error(i, op, "host is not used");
    } else if (op.kind == OpKind::kPartition) {
      if (op.host < 1 || op.host > 3) return op_error(i, op, "direction mask must be 1, 2 or 3");
    } else if (endpoint ? op.host != 0 : op.host > 1) {
      return op_error(i, op, endpoint ? "endpoint mode has host 0 only" : "host must be 0 or 1");
    }
    // Mode restrictions.
    if (endpoint && (op.kind == OpKind::kFault || op.kind == OpKind::kPartition)) {
      return op_error(i, op, "link faults need connection mode");
    }
    if (!endpoint && op.kind == OpKind::kExpect) {
      return op_error(i, op, "expectations need endpoint mode");
    }
    if (op.kind == OpKind::kFault && static_cast<int>(op.fault) >= kNumFaultKinds) {
      return op_error(i, op, "fault kind out of range");
    }
    if (op.kind == OpKind::kInject) {
      const InjectedSegment& g = op.segment;
      if (static_cast<int>(g.seq_base) >= kNumSeqBases) return op_error(i, op, "seq base out of range");
      if (static_cast<int>(g.ack_base) >= kNumAckBases) return op_error(i, op, "ack base out of range");
      if (static_cast<int>(g.spoof) >= kNumSpoofs) return op_error(i, op, "spoof out of range");
    }
    if (op.kind == OpKind::kExpect) {
      const ExpectedSegment& e = op.expected;
      if (!e.check_ack && e.ack != 0) return op_error(i, op, "ack is set but not checked");
      if (!e.check_window && e.window != 0) return op_error(i, op, "window is set but not checked");
      if (!e.check_options && !e.options.empty()) {
        return op_error(i, op, "options are set but not checked");
      }
    }
  }
  return absl::OkStatus();
}

}  // namespace synfin::harness
