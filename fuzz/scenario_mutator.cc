#include "fuzz/scenario_mutator.h"

#include <algorithm>

#include "fuzz/transition_aim.h"
#include "harness/rng.h"
#include "harness/scenario_binary.h"

namespace synfin::fuzz {
namespace {

using harness::Op;
using harness::OpKind;
using harness::Rng;

// Waits that matter to TCP: a link delay, an RTO, several RTOs, 2*MSL.
constexpr uint64_t kWaits[] = {0,         1000,      10000,     50000,      200000,
                               1000000,   1000001,   3000000,   7000000,    30000000,
                               60000000,  60000001,  120000000, 300000000};
// Flag combinations seen on real wires, and a few that are not.
constexpr uint16_t kFlagSets[] = {
    Flags::kSyn,
    Flags::kSyn | Flags::kAck,
    Flags::kAck,
    Flags::kAck | Flags::kPsh,
    Flags::kFin | Flags::kAck,
    Flags::kFin | Flags::kAck | Flags::kPsh,
    Flags::kRst,
    Flags::kRst | Flags::kAck,
    Flags::kSyn | Flags::kFin,
    Flags::kSyn | Flags::kRst,
    Flags::kFin,
    Flags::kAck | Flags::kUrg,
};

Op make_inject(Rng& r) {
  Op op;
  op.kind = OpKind::kInject;
  harness::InjectedSegment& s = op.segment;
  s.flags = Flags(kFlagSets[r.below(std::size(kFlagSets))]);
  // Mostly relative to the live window, with offsets at and around its edges.
  const uint64_t base = r.below(10);
  s.seq_base = base < 6 ? harness::SeqBase::kRcvNxt
               : base < 8 ? harness::SeqBase::kPeerIsn
               : base < 9 ? harness::SeqBase::kRcvWndEdge
                          : harness::SeqBase::kAbsolute;
  static constexpr int64_t kOffsets[] = {0, 0, 0, 1, -1, 2, -2, 100, -100, 65535, -65536, 1 << 30};
  s.seq = s.seq_base == harness::SeqBase::kAbsolute ? static_cast<int64_t>(r.next() & 0xffffffff)
                                                    : kOffsets[r.below(std::size(kOffsets))];
  const uint64_t ab = r.below(10);
  s.ack_base = ab < 5 ? harness::AckBase::kSndNxt
               : ab < 7 ? harness::AckBase::kSndUna
               : ab < 8 ? harness::AckBase::kSndMax
               : ab < 9 ? harness::AckBase::kHostIss
                        : harness::AckBase::kAbsolute;
  s.ack = s.ack_base == harness::AckBase::kAbsolute ? static_cast<int64_t>(r.next() & 0xffffffff)
                                                    : kOffsets[r.below(std::size(kOffsets))];
  static constexpr uint16_t kWindows[] = {65535, 65535, 0, 1, 100, 1460, 4096};
  s.window = kWindows[r.below(std::size(kWindows))];
  static constexpr uint16_t kLens[] = {0, 0, 0, 1, 10, 100, 536, 1460};
  s.payload_len = kLens[r.below(std::size(kLens))];
  if (s.flags.syn() && r.below(2)) s.options.mss = r.below(2) ? 1460 : static_cast<uint16_t>(r.below(2000));
  if (r.below(16) == 0) s.spoof = static_cast<harness::Spoof>(1 + r.below(harness::kNumSpoofs - 1));
  return op;
}

Op make_app(Rng& r, harness::Mode mode) {
  static constexpr OpKind kApp[] = {OpKind::kListen, OpKind::kConnect, OpKind::kAccept,
                                    OpKind::kSend,   OpKind::kSend,    OpKind::kRecv,
                                    OpKind::kRecv,   OpKind::kShutdown, OpKind::kClose,
                                    OpKind::kAbort};
  Op op;
  op.kind = kApp[r.below(std::size(kApp))];
  op.host = mode == harness::Mode::kConnection ? static_cast<uint8_t>(r.below(2)) : 0;
  op.socket = static_cast<uint8_t>(r.below(3));
  static constexpr uint64_t kAmounts[] = {1, 100, 1000, 1460, 5000, 65535, 200000};
  op.amount = kAmounts[r.below(std::size(kAmounts))];
  return op;
}

Op make_fault(Rng& r) {
  Op op;
  if (r.below(8) == 0) {
    op.kind = OpKind::kPartition;
    op.host = static_cast<uint8_t>(1 + r.below(3));
    op.amount = kWaits[r.below(std::size(kWaits))];
    return op;
  }
  op.kind = OpKind::kFault;
  op.host = static_cast<uint8_t>(r.below(2));
  op.fault = static_cast<harness::FaultKind>(r.below(harness::kNumFaultKinds));
  op.amount = r.below(2) ? r.below(64) : kWaits[r.below(std::size(kWaits))];
  return op;
}

// Waits for a state: most RFC 9293 transitions start from a state that lasts one
// round trip or less (CLOSING, LAST-ACK, SYN-RECEIVED), which a fixed wait hits
// only by luck; an await puts the op after it right inside that state.
Op make_await(Rng& r, harness::Mode mode) {
  Op op;
  op.kind = OpKind::kAwait;
  op.host = mode == harness::Mode::kConnection ? static_cast<uint8_t>(r.below(2)) : 0;
  // Mostly the states that last a round trip or less, whose transitions a
  // fixed wait rarely hits; now and then any state.
  static constexpr State kBrief[] = {State::kSynReceived, State::kFinWait1, State::kFinWait2,
                                     State::kCloseWait,   State::kClosing,  State::kLastAck,
                                     State::kTimeWait};
  op.state = r.below(4) ? kBrief[r.below(std::size(kBrief))] : static_cast<State>(r.below(kNumStates));
  static constexpr uint64_t kLimits[] = {200000, 1000000, 5000000, 60000000, 300000000};
  op.amount = kLimits[r.below(std::size(kLimits))];
  return op;
}

harness::Scenario decode_one(const std::vector<uint8_t>& bytes, harness::OpSpan span) {
  std::vector<uint8_t> mini = {harness::kBinaryVersion, 0};
  mini.insert(mini.end(), bytes.begin() + static_cast<long>(span.begin),
              bytes.begin() + static_cast<long>(span.end));
  return harness::decode_scenario(mini);
}

// Changes one field of an op to a nearby or a boundary value.
void tweak(Op& op, Rng& r) {
  auto nudge = [&r](int64_t v) -> int64_t {
    switch (r.below(5)) {
      case 0: return v + 1;
      case 1: return v - 1;
      case 2: return v * 2;
      case 3: return 0;
      default: return v + static_cast<int64_t>(r.below(2001)) - 1000;
    }
  };
  switch (op.kind) {
    case OpKind::kWait:
      op.amount = r.below(2) ? kWaits[r.below(std::size(kWaits))]
                             : static_cast<uint64_t>(std::max<int64_t>(0, nudge(static_cast<int64_t>(op.amount))));
      break;
    case OpKind::kInject:
      switch (r.below(6)) {
        case 0: op.segment.seq = nudge(op.segment.seq); break;
        case 1: op.segment.ack = nudge(op.segment.ack); break;
        case 2: op.segment.flags = Flags(static_cast<uint16_t>(op.segment.flags.bits ^ (1u << r.below(8)))); break;
        case 3: op.segment.window = static_cast<uint16_t>(nudge(op.segment.window)); break;
        case 4: op.segment.payload_len = static_cast<uint16_t>(std::clamp<int64_t>(nudge(op.segment.payload_len), 0, 4096)); break;
        default: op.segment.seq_base = static_cast<harness::SeqBase>(r.below(harness::kNumSeqBases)); break;
      }
      break;
    case OpKind::kFault:
      op.fault = static_cast<harness::FaultKind>(r.below(harness::kNumFaultKinds));
      break;
    case OpKind::kAwait:
      if (r.below(2)) {
        op.state = static_cast<State>(r.below(kNumStates));
      } else {
        op.amount = static_cast<uint64_t>(std::max<int64_t>(0, nudge(static_cast<int64_t>(op.amount))));
      }
      op.host ^= static_cast<uint8_t>(r.below(2));
      break;
    case OpKind::kListen:
    case OpKind::kConnect:
    case OpKind::kAccept:
    case OpKind::kSend:
    case OpKind::kRecv:
    case OpKind::kShutdown:
    case OpKind::kClose:
    case OpKind::kAbort:
    case OpKind::kExpect:
    case OpKind::kPartition:
      op.socket = static_cast<uint8_t>(r.below(4));
      op.amount = static_cast<uint64_t>(std::max<int64_t>(0, nudge(static_cast<int64_t>(op.amount))));
      op.host ^= static_cast<uint8_t>(r.below(2));
      break;
  }
}

std::vector<uint8_t> reassemble(const std::vector<uint8_t>& header_src, size_t header_end,
                                const std::vector<std::vector<uint8_t>>& ops) {
  std::vector<uint8_t> out(header_src.begin(), header_src.begin() + static_cast<long>(header_end));
  for (const auto& o : ops) out.insert(out.end(), o.begin(), o.end());
  return out;
}

}  // namespace

Op random_op(uint64_t r1, uint64_t r2, harness::Mode mode) {
  Rng r(r1 ^ (r2 * 0x9E3779B97F4A7C15ULL));
  const uint64_t pick = r.below(10);
  if (pick < 3) {
    Op w;
    w.kind = OpKind::kWait;
    w.amount = kWaits[r.below(std::size(kWaits))];
    return w;
  }
  if (pick == 9) {
    if (mode == harness::Mode::kEndpoint || r.below(2)) return make_await(r, mode);
  }
  if (mode == harness::Mode::kEndpoint) return pick < 7 ? make_inject(r) : make_app(r, mode);
  if (pick < 7) return make_app(r, mode);
  if (pick < 9) return make_fault(r);
  Op inj = make_inject(r);
  inj.host = static_cast<uint8_t>(r.below(2));
  return inj;
}

std::vector<uint8_t> mutate_scenario(const std::vector<uint8_t>& in, size_t max_size,
                                     unsigned seed, harness::Mode mode, ByteMutator bytes,
                                     const TransitionsSeen* seen) {
  Rng r(seed * 0x9E3779B97F4A7C15ULL + in.size());
  std::vector<uint8_t> base = in;
  if (base.empty() || base[0] != harness::kBinaryVersion) base = {harness::kBinaryVersion, 0};
  const size_t header_end = harness::binary_header_end(base);
  std::vector<std::vector<uint8_t>> ops;
  for (const harness::OpSpan& s : harness::split_ops(base)) {
    ops.emplace_back(base.begin() + static_cast<long>(s.begin), base.begin() + static_cast<long>(s.end));
  }
  auto encoded = [](const Op& op) {
    std::vector<uint8_t> v;
    harness::encode_op(op, v);
    return v;
  };
  // The input with its header changed by `change` and the ops as they now are
  // (the input unchanged when that no longer fits).
  auto with_header = [&](auto change) {
    harness::Scenario s = harness::decode_scenario(base);
    change(s.header);
    s.ops.clear();
    std::vector<uint8_t> out = harness::encode_scenario(s);
    for (const auto& o : ops) out.insert(out.end(), o.begin(), o.end());
    if (out.size() > max_size) {
      return in.size() <= max_size ? in : std::vector<uint8_t>(in.begin(), in.begin() + static_cast<long>(max_size));
    }
    return out;
  };
  const uint64_t action = ops.empty() ? (r.below(2) ? 0 : 11) : r.below(12);
  switch (action) {
    case 11: {  // aim at an RFC 9293 edge, mostly one this process has not reached
      const auto all = harness::rfc_transitions();
      const std::vector<size_t> missing = seen ? seen->missing() : std::vector<size_t>{};
      const size_t edge = !missing.empty() && r.below(4) ? missing[r.below(missing.size())]
                                                         : r.below(all.size());
      const TransitionAim aim = aim_at(all[edge], r, mode);
      // After the scenario's own lifecycle half the time, anywhere the other half.
      const size_t at = r.below(2) ? ops.size() : r.below(ops.size() + 1);
      std::vector<std::vector<uint8_t>> aimed;
      for (const Op& op : aim.ops) aimed.push_back(encoded(op));
      ops.insert(ops.begin() + static_cast<long>(at), aimed.begin(), aimed.end());
      if (aim.rfc5961_syn_off || aim.time_wait_reuse || aim.keepalive_short) {
        return with_header([&aim](harness::ScenarioHeader& h) { apply_aim_header(aim, h); });
      }
      break;
    }
    case 10: {  // aim: an await and, right behind it, a segment or an app call
      const size_t at = r.below(ops.size() + 1);
      Op aimed = r.below(2) ? make_inject(r) : make_app(r, mode);
      if (mode == harness::Mode::kConnection) aimed.host = static_cast<uint8_t>(r.below(2));
      if (aimed.kind == OpKind::kInject && r.below(2)) {
        // What a state is most often tested with: a SYN or a RST at (or just
        // past) RCV.NXT, the segments RFC 9293 3.10.7.4's checks single out.
        harness::InjectedSegment& g = aimed.segment;
        g.flags = Flags(r.below(2) ? Flags::kSyn : (r.below(2) ? Flags::kRst : Flags::kRst | Flags::kAck));
        g.seq_base = harness::SeqBase::kRcvNxt;
        static constexpr int64_t kNear[] = {0, 0, 1, 100};
        g.seq = kNear[r.below(std::size(kNear))];
        g.payload_len = 0;
      }
      Op wait_for = make_await(r, mode);
      if (r.below(4)) wait_for.host = aimed.host;
      ops.insert(ops.begin() + static_cast<long>(at), {encoded(wait_for), encoded(aimed)});
      if (aimed.kind == OpKind::kInject && aimed.segment.flags.syn() && r.below(4)) {
        // A SYN aimed at a synchronized state means most with the header that
        // gives it a meaning: RFC 793's reset (RFC 5961 off) or a new
        // incarnation out of TIME-WAIT.
        TransitionAim knobs;
        (r.below(2) ? knobs.time_wait_reuse : knobs.rfc5961_syn_off) = true;
        return with_header([&knobs](harness::ScenarioHeader& h) { apply_aim_header(knobs, h); });
      }
      break;
    }
    case 0:
    case 1:
    case 2: {  // insert a fresh op
      const size_t at = ops.empty() ? 0 : r.below(ops.size() + 1);
      ops.insert(ops.begin() + static_cast<long>(at), encoded(random_op(r.next(), r.next(), mode)));
      break;
    }
    case 3:  // delete
      ops.erase(ops.begin() + static_cast<long>(r.below(ops.size())));
      break;
    case 4:  // swap two
      std::swap(ops[r.below(ops.size())], ops[r.below(ops.size())]);
      break;
    case 5: {  // duplicate
      const size_t i = r.below(ops.size());
      ops.insert(ops.begin() + static_cast<long>(r.below(ops.size() + 1)), ops[i]);
      break;
    }
    case 6:
    case 7: {  // tweak one field of one op
      const size_t i = r.below(ops.size());
      harness::Scenario one = decode_one(ops[i], {0, ops[i].size(), 0});
      if (!one.ops.empty()) {
        tweak(one.ops[0], r);
        ops[i] = encoded(one.ops[0]);
      }
      break;
    }
    case 8: {  // byte-level mutation of one op's payload
      const size_t i = r.below(ops.size());
      std::vector<uint8_t>& o = ops[i];
      if (o.size() > 2 && bytes) {
        std::vector<uint8_t> payload(o.begin() + 2, o.end());
        payload.resize(payload.size() + 8);
        const size_t n = bytes(payload.data(), payload.size() - 8, payload.size());
        payload.resize(n);
        harness::Scenario one = harness::decode_scenario([&] {
          std::vector<uint8_t> mini = {harness::kBinaryVersion, 0, o[0], static_cast<uint8_t>(std::min<size_t>(n, 127))};
          mini.insert(mini.end(), payload.begin(), payload.begin() + static_cast<long>(std::min<size_t>(n, 127)));
          return mini;
        }());
        if (!one.ops.empty()) o = encoded(one.ops[0]);
      }
      break;
    }
    default: {  // header: flip the mode-independent knobs through a decoded copy
      return with_header([&r](harness::ScenarioHeader& h) {
        switch (r.below(15)) {
          // RFC 5961 off reaches RFC 793's edges (an in-window SYN resets).
          case 12: h.config.rfc5961_syn = !h.config.rfc5961_syn; break;
          case 13: h.config.rfc5961_ack = !h.config.rfc5961_ack; break;
          case 9: h.config.delayed_ack = !h.config.delayed_ack; break;
          case 10: h.config.nagle = !h.config.nagle; break;
          case 11:
            // Keep-alives on a scale a scenario's waits reach.
            h.config.keepalive = !h.config.keepalive;
            h.config.keepalive_idle = Duration::seconds(1 + static_cast<int64_t>(r.below(20)));
            h.config.keepalive_interval = Duration::millis(100 + static_cast<int64_t>(r.below(5000)));
            h.config.keepalive_probes = static_cast<int>(r.below(5));
            break;
          case 8: h.config.congestion_control = !h.config.congestion_control; break;
          case 0: h.seed = r.next() & 0xffff; break;
          case 5: h.config.window_scale = !h.config.window_scale; break;
          case 6: h.config.timestamps = !h.config.timestamps; break;
          case 7: h.config.sack = !h.config.sack; break;
          case 1: h.draw_mix_from_seed = !h.draw_mix_from_seed; break;
          case 2: h.config.rfc5961_rst = !h.config.rfc5961_rst; break;
          case 3: h.config.rfc1337 = !h.config.rfc1337; break;
          case 4: h.config.time_wait_syn = h.config.time_wait_syn == TimeWaitSynPolicy::kStrict
                                                      ? TimeWaitSynPolicy::kReuseIfSeqGreater
                                                      : TimeWaitSynPolicy::kStrict; break;
          default: h.config.recv_buffer = r.below(2) ? 1000 : 65535; break;
        }
      });
    }
  }
  std::vector<uint8_t> out = reassemble(base, header_end, ops);
  if (out.size() > max_size) {
    // Too long: drop ops from the end until it fits.
    while (!ops.empty() && reassemble(base, header_end, ops).size() > max_size) ops.pop_back();
    out = reassemble(base, header_end, ops);
    if (out.size() > max_size) out.resize(max_size);
  }
  return out;
}

std::vector<uint8_t> cross_over_scenarios(const std::vector<uint8_t>& a,
                                          const std::vector<uint8_t>& b, size_t max_size,
                                          unsigned seed) {
  Rng r(seed);
  if (a.empty() || a[0] != harness::kBinaryVersion) return std::vector<uint8_t>(b.begin(), b.begin() + static_cast<long>(std::min(b.size(), max_size)));
  const auto sa = harness::split_ops(a);
  const auto sb = harness::split_ops(b);
  const size_t cut_a = sa.empty() ? harness::binary_header_end(a) : sa[r.below(sa.size() + 1) == sa.size() ? sa.size() - 1 : r.below(sa.size())].begin;
  std::vector<uint8_t> out(a.begin(), a.begin() + static_cast<long>(cut_a));
  if (!sb.empty()) {
    const size_t from = sb[r.below(sb.size())].begin;
    out.insert(out.end(), b.begin() + static_cast<long>(from), b.end());
  }
  if (out.size() > max_size) out.resize(max_size);
  return out;
}

}  // namespace synfin::fuzz
