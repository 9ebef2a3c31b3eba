#include "harness/injector.h"

#include "harness/pattern.h"

namespace synfin::harness {
namespace {

const TcbSnapshot* pick(const InjectionTarget& t, const std::optional<TcbSnapshot>& fallback) {
  if (t.tcb) return &*t.tcb;
  if (fallback) return &*fallback;
  return nullptr;
}

SeqNum resolve_seq(SeqBase base, int64_t off, const TcbSnapshot* tcb, uint32_t peer_isn) {
  const uint32_t o = static_cast<uint32_t>(off);
  switch (base) {
    case SeqBase::kAbsolute: return SeqNum(o);
    case SeqBase::kPeerIsn: return SeqNum(peer_isn + o);
    case SeqBase::kRcvNxt: return SeqNum((tcb ? tcb->rcv_nxt.raw : peer_isn + 1) + o);
    case SeqBase::kRcvWndEdge:
      return SeqNum((tcb ? tcb->rcv_nxt.raw + tcb->rcv_wnd : peer_isn + 1) + o);
  }
  return SeqNum(o);
}

SeqNum resolve_ack(AckBase base, int64_t off, const TcbSnapshot* tcb) {
  const uint32_t o = static_cast<uint32_t>(off);
  switch (base) {
    case AckBase::kAbsolute: return SeqNum(o);
    case AckBase::kHostIss: return SeqNum((tcb ? tcb->iss.raw : 0) + o);
    case AckBase::kSndUna: return SeqNum((tcb ? tcb->snd_una.raw : 0) + o);
    case AckBase::kSndNxt: return SeqNum((tcb ? tcb->snd_nxt.raw : 0) + o);
    case AckBase::kSndMax: return SeqNum((tcb ? tcb->snd_max.raw : 0) + o);
  }
  return SeqNum(o);
}

}  // namespace

SeqNum peer_stream_start(const InjectionTarget& target, uint32_t peer_isn,
                         const std::optional<TcbSnapshot>& fallback) {
  // Once the host has seen the peer's SYN its IRS is the truth; before that, the
  // script's own ISN.
  const TcbSnapshot* tcb = pick(target, fallback);
  if (tcb && tcb->state != State::kListen && tcb->state != State::kSynSent &&
      tcb->state != State::kClosed) {
    return tcb->irs + SeqLen(1);
  }
  return SeqNum(peer_isn + 1);
}

IpPacket build_injected_packet(const InjectedSegment& spec, const InjectionTarget& target,
                               uint32_t peer_isn, const std::optional<TcbSnapshot>& fallback) {
  const TcbSnapshot* tcb = pick(target, fallback);
  IpPacket p;
  p.src = target.tuple.remote_addr;
  p.dst = target.tuple.local_addr;
  Segment& s = p.tcp;
  s.src_port = target.tuple.remote_port;
  s.dst_port = target.tuple.local_port;
  switch (spec.spoof) {
    case Spoof::kNone: break;
    case Spoof::kOtherSrcPort: s.src_port = static_cast<uint16_t>(s.src_port + 1); break;
    case Spoof::kOtherDstPort: s.dst_port = static_cast<uint16_t>(s.dst_port + 1); break;
    case Spoof::kOtherSrcAddr: p.src = spoof_address(p.dst.family); break;
  }
  s.seq = resolve_seq(spec.seq_base, spec.seq, tcb, peer_isn);
  s.ack = resolve_ack(spec.ack_base, spec.ack, tcb);
  s.flags = spec.flags;
  s.window = spec.window;
  s.urgent_pointer = spec.urgent_pointer;
  s.options = spec.options;
  if (spec.payload_len > 0) {
    // Payload follows the stream pattern at its offset in the peer's stream, so a
    // correctly placed injected byte is indistinguishable from a real one.
    const SeqNum start = peer_stream_start(target, peer_isn, fallback);
    const SeqNum first = s.seq + SeqLen(s.flags.syn() ? 1 : 0);
    const uint64_t offset = distance(start, first).raw;
    s.payload.resize(spec.payload_len);
    fill_stream(offset, s.payload);
  }
  return p;
}

}  // namespace synfin::harness
