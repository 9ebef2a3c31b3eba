#include "fuzz/transition_aim.h"

#include <iterator>

namespace synfin::fuzz {
namespace {

using harness::AckBase;
using harness::Op;
using harness::OpKind;
using harness::SeqBase;

Op app(OpKind kind, uint8_t host, harness::Rng& r) {
  Op op;
  op.kind = kind;
  op.host = host;
  // Socket 0 is a host's first (the listener or the active opener), 1 the first
  // accepted; later ones now and then.
  static constexpr uint8_t kSockets[] = {0, 0, 1, 1, 2};
  op.socket = kSockets[r.below(std::size(kSockets))];
  static constexpr uint64_t kAmounts[] = {1, 1000, 5000};
  op.amount = kAmounts[r.below(std::size(kAmounts))];
  return op;
}

// A segment to `host`'s connection, numbered from its live TCB.
Op segment(uint16_t flags, SeqBase seq_base, int64_t seq, AckBase ack_base, int64_t ack,
           uint8_t host) {
  Op op;
  op.kind = OpKind::kInject;
  op.host = host;
  op.segment.flags = Flags(flags);
  op.segment.seq_base = seq_base;
  op.segment.seq = seq;
  op.segment.ack_base = ack_base;
  op.segment.ack = ack;
  return op;
}

Op wait_for(uint64_t us) {
  Op op;
  op.kind = OpKind::kWait;
  op.amount = us;
  return op;
}

constexpr uint64_t kSecond = 1000000;

Op shutdown(uint8_t host, harness::Rng& r) {
  Op op;
  op.kind = OpKind::kShutdown;
  op.host = host;
  // A host's connection socket: the client's first (0) or the server's first
  // accepted (1), in the scenarios the corpora grow from; now and then another.
  op.socket = r.below(4) ? host : static_cast<uint8_t>(r.below(3));
  return op;
}

Op await_state(uint8_t host, State state, uint64_t limit) {
  Op op;
  op.kind = OpKind::kAwait;
  op.host = host;
  op.state = state;
  op.amount = limit;
  return op;
}

// The closing sequence that brings host h's connection from ESTABLISHED into
// `from`, with SHUTDOWN (not CLOSE: the app keeps its handle, so an ABORT can
// follow). Empty for states the closing sequences do not lead to.
std::vector<Op> closing_path(State from, uint8_t h, harness::Rng& r) {
  const uint8_t p = h ^ 1;
  switch (from) {
    case State::kFinWait1:
    case State::kFinWait2:
      return {shutdown(h, r)};
    case State::kClosing:  // RFC 9293 Figure 13: both at once
      return {shutdown(h, r), shutdown(p, r)};
    case State::kTimeWait:
      return {shutdown(h, r), await_state(h, State::kFinWait2, kSecond), shutdown(p, r)};
    case State::kCloseWait:
      return {shutdown(p, r)};
    case State::kLastAck:
      return {shutdown(p, r), await_state(h, State::kCloseWait, kSecond), shutdown(h, r)};
    case State::kClosed:
    case State::kListen:
    case State::kSynSent:
    case State::kSynReceived:
    case State::kEstablished:
      return {};
  }
  return {};
}

}  // namespace

TransitionAim aim_at(const harness::TransitionKey& edge, harness::Rng& r, harness::Mode mode) {
  if (mode != harness::Mode::kConnection) return aim_at(edge, 0, r, false);
  const uint8_t h = static_cast<uint8_t>(r.below(2));
  return aim_at(edge, h, r, r.below(2) == 0);
}

TransitionAim aim_at(const harness::TransitionKey& edge, uint8_t h, harness::Rng& r,
                     bool with_closing_path) {
  TransitionAim aim;
  if (with_closing_path) aim.ops = closing_path(edge.from, h, r);
  const bool give_up = edge.cause == Cause::kRetransmitGiveUp;
  if (edge.from != State::kClosed) {
    // CLOSING is entered when the peer's FIN arrives, and by then the peer's ACK
    // of our FIN is already on the wire; the cut must come before it, in
    // FIN-WAIT-1.
    const State state = give_up && edge.from == State::kClosing ? State::kFinWait1 : edge.from;
    static constexpr uint64_t kLimits[] = {1 * kSecond, 10 * kSecond, 120 * kSecond};
    aim.ops.push_back(await_state(h, state, kLimits[r.below(std::size(kLimits))]));
  }
  const bool syn_sent = edge.from == State::kSynSent;
  switch (edge.cause) {
    case Cause::kUserListen: aim.ops.push_back(app(OpKind::kListen, h, r)); break;
    case Cause::kUserConnect: aim.ops.push_back(app(OpKind::kConnect, h, r)); break;
    case Cause::kUserSend: aim.ops.push_back(app(OpKind::kSend, h, r)); break;
    case Cause::kUserClose: aim.ops.push_back(app(OpKind::kClose, h, r)); break;
    case Cause::kUserAbort: aim.ops.push_back(app(OpKind::kAbort, h, r)); break;
    case Cause::kRecvSyn:
      // A listener takes any SYN; SYN-SENT meets the peer's own (simultaneous open).
      aim.ops.push_back(segment(Flags::kSyn, SeqBase::kPeerIsn, 0, AckBase::kHostIss, 0, h));
      break;
    case Cause::kRecvSynAck:
      aim.ops.push_back(
          segment(Flags::kSyn | Flags::kAck, SeqBase::kPeerIsn, 0, AckBase::kSndNxt, 0, h));
      break;
    case Cause::kRecvAck:  // acknowledges everything sent: our SYN or our FIN
      aim.ops.push_back(segment(Flags::kAck, SeqBase::kRcvNxt, 0, AckBase::kSndNxt, 0, h));
      break;
    case Cause::kRecvFin:  // leaves our FIN unacknowledged (FIN-WAIT-1 -> CLOSING)
      aim.ops.push_back(
          segment(Flags::kFin | Flags::kAck, SeqBase::kRcvNxt, 0, AckBase::kSndUna, 0, h));
      break;
    case Cause::kRecvFinAck:
      aim.ops.push_back(
          segment(Flags::kFin | Flags::kAck, SeqBase::kRcvNxt, 0, AckBase::kSndNxt, 0, h));
      break;
    case Cause::kRecvRst:
      // RFC 9293 3.10.7.3: in SYN-SENT only a RST that acknowledges our SYN counts;
      // elsewhere one at exactly RCV.NXT passes RFC 5961's check too.
      aim.ops.push_back(syn_sent ? segment(Flags::kRst | Flags::kAck, SeqBase::kPeerIsn, 0,
                                           AckBase::kSndNxt, 0, h)
                                 : segment(Flags::kRst, SeqBase::kRcvNxt, 0, AckBase::kSndNxt, 0, h));
      break;
    case Cause::kRecvSynInWindow:
      aim.ops.push_back(segment(Flags::kSyn, SeqBase::kRcvNxt, r.below(2) ? 0 : 1,
                                AckBase::kHostIss, 0, h));
      aim.rfc5961_syn_off = true;
      break;
    case Cause::kNewIncarnation:
      // RFC 1122 4.2.2.13: a SYN above the old incarnation's RCV.NXT, then the
      // ACK that establishes the new one (the old TIME-WAIT ends only then), sent
      // at once: the real peer, which never sent that SYN, resets the SYN-ACK.
      aim.ops.push_back(segment(Flags::kSyn, SeqBase::kRcvNxt, r.below(2) ? 1 : 100000,
                                AckBase::kHostIss, 0, h));
      aim.ops.push_back(segment(Flags::kAck, SeqBase::kRcvNxt, 0, AckBase::kSndNxt, 0, h));
      aim.time_wait_reuse = true;
      break;
    case Cause::kTimeWaitExpired: aim.ops.push_back(wait_for(300 * kSecond)); break;
    case Cause::kRetransmitGiveUp:
    case Cause::kKeepaliveTimeout: {
      // Nothing reaches the host for long enough to exhaust its retries or its
      // probes; what it sends still goes (a FIN already on its way arrives).
      Op cut;
      cut.kind = OpKind::kPartition;
      cut.host = h == 0 ? 2 : 1;  // bit d cuts the link from host d: here the peer's
      cut.amount = 900 * kSecond;
      aim.ops.push_back(cut);
      aim.ops.push_back(wait_for(900 * kSecond));
      aim.keepalive_short = edge.cause == Cause::kKeepaliveTimeout;
      break;
    }
  }
  return aim;
}

void apply_aim_header(const TransitionAim& aim, harness::ScenarioHeader& h) {
  if (aim.rfc5961_syn_off) h.config.rfc5961_syn = false;
  if (aim.time_wait_reuse) h.config.time_wait_syn = TimeWaitSynPolicy::kReuseIfSeqGreater;
  if (aim.keepalive_short) {
    h.config.keepalive = true;
    h.config.keepalive_idle = Duration::seconds(2);
    h.config.keepalive_interval = Duration::seconds(1);
    h.config.keepalive_probes = 2;
  }
}

}  // namespace synfin::fuzz
