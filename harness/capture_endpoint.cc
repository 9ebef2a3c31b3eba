// The endpoint form of a captured flow (see capture_scenarios.h).
#include <algorithm>

#include "harness/capture_ops.h"
#include "harness/capture_scenarios.h"
#include "harness/timed_ops.h"

namespace synfin::harness {
namespace {

namespace ops = capture_ops;

constexpr int kClient = 0, kServer = 1;

class EndpointBuilder {
 public:
  EndpointBuilder(const Flow& flow, const FlowAnalysis& a)
      : flow_(flow), a_(a), host_(a.stream[kClient].any_segment || !a.stream[kServer].any_segment
                                      ? kServer
                                      : kClient),
        peer_(1 - host_),
        // The peer's segments reach the host at once, so the host's calls move
        // to the host's own clock: a segment the capture saw from the host left
        // it two legs (capture point to host) earlier, relative to the peer's.
        host_lead_(host_ == kServer ? a.server_leg * 2 : a.client_leg * 2) {}

  Scenario build() {
    Scenario s;
    s.header.mode = Mode::kEndpoint;
    s.header.family = flow_.tuple.local_addr.family;
    s.header.peer_isn = a_.stream[peer_].isn;
    s.header.config.mss = ops::config_mss(a_.stream[host_].mss, s.header.config.mss);
    mss_ = s.header.config.mss;
    if (flow_.segments.empty()) return s;
    const Instant start = flow_.segments.front().at;
    floor_ = start;
    open(start);
    for (size_t i = 0; i < flow_.segments.size(); ++i) {
      const FlowSegment& fs = flow_.segments[i];
      if ((fs.from_client ? kClient : kServer) == peer_) {
        from_peer(fs, a_.segments[i]);
      } else {
        from_host(host_time(fs.at), a_.segments[i]);
      }
    }
    s.ops = std::move(ops_).finish();
    return s;
  }

 private:
  // The application's opening call, and a handshake made up for a capture that
  // lacks the peer's SYN.
  void open(Instant at) {
    const uint16_t port = flow_.tuple.remote_port;
    if (host_ == kServer) {
      // A server whose first word is a RST refused the connection: no listener.
      const FlowSegment* first = first_from(kServer);
      const bool refused = first && first->packet.tcp.flags.rst() && !a_.stream[kServer].syn_seen;
      if (refused) return;
      ops_.add(at, ops::listen(0, port));
      socket_ = 1;  // the listener is 0, the accepted connection 1
      if (!a_.stream[kClient].syn_seen) {
        InjectedSegment syn = made_up(kSyn, 0);
        syn.options.mss = a_.stream[kClient].mss;
        inject(at, syn);
        InjectedSegment ack = made_up(kAck, 1);
        inject(at, ack);
        accept(at);
      }
    } else {
      ops_.add(at, ops::connect(0, port));
      socket_ = 0;
      if (!a_.stream[kServer].syn_seen) {
        InjectedSegment synack = made_up(kSyn | kAck, 0);
        synack.options.mss = a_.stream[kServer].mss;
        inject(at, synack);
      }
    }
  }

  const FlowSegment* first_from(int side) const {
    for (const FlowSegment& fs : flow_.segments) {
      if ((fs.from_client ? kClient : kServer) == side) return &fs;
    }
    return nullptr;
  }

  InjectedSegment made_up(Flags flags, int64_t seq) const {
    InjectedSegment seg;
    seg.flags = flags;
    seg.seq = seq;
    if (flags.ack()) {
      seg.ack_base = AckBase::kSndMax;
      seg.ack = 0;
    }
    return seg;
  }

  void inject(Instant at, const InjectedSegment& seg) {
    Op op;
    op.kind = OpKind::kInject;
    op.segment = seg;
    ops_.add(at, op);
  }

  void accept(Instant at) {
    if (accepted_ || host_ != kServer) return;
    accepted_ = true;
    floor_ = at;
    ops_.add(at, ops::accept(0));
  }

  void from_peer(const FlowSegment& fs, const SegmentInfo& info) {
    const Segment& t = fs.packet.tcp;
    InjectedSegment seg;
    seg.flags = t.flags;
    seg.seq = static_cast<uint32_t>(t.seq.raw - a_.stream[peer_].isn);
    if (t.flags.ack()) set_ack(seg, fs.at, info);
    seg.window = static_cast<uint16_t>(std::min<uint32_t>(info.window_bytes, 65535));
    seg.urgent_pointer = t.urgent_pointer;
    seg.options = t.options;
    seg.options.window_scale.reset();
    seg.options.sack.clear();
    // Offloaded captures hold segments past the MSS (and past 64 KiB): split
    // them as the sender's NIC did. SYN stays on the first piece; FIN, PSH and
    // RST go on the last.
    const uint32_t total = static_cast<uint32_t>(t.payload.size());
    uint32_t done = 0;
    do {
      InjectedSegment piece = seg;
      piece.payload_len = static_cast<uint16_t>(std::min<uint32_t>(total - done, mss_));
      const bool first = done == 0, last = done + piece.payload_len == total;
      if (!first) {
        piece.flags.bits &= static_cast<uint16_t>(~Flags::kSyn);
        piece.seq = static_cast<uint32_t>(seg.seq + done + (t.flags.syn() ? 1 : 0));
        piece.options = TcpOptions{};
        piece.options.timestamps = seg.options.timestamps;
      }
      if (!last) piece.flags.bits &= static_cast<uint16_t>(~(Flags::kFin | Flags::kPsh | Flags::kRst));
      inject(fs.at, piece);
      done += piece.payload_len;
    } while (done < total);
    // The server's application takes the connection once the handshake is done.
    if (host_ == kServer && t.flags.ack() && !t.flags.syn() && !t.flags.rst()) accept(fs.at);
    if (total > 0 && has_socket()) {
      ops_.add(fs.at, ops::socket_call(OpKind::kRecv, 0, socket_, ops::kReadAll));
    }
  }

  // The peer's acknowledgment, against what synfin will have sent by `at`.
  void set_ack(InjectedSegment& seg, Instant at, const SegmentInfo& info) const {
    const StreamInfo& host = a_.stream[host_];
    const bool covers_fin = host.fin && info.ack > *host.fin;
    // The host's calls run a little ahead of the capture's order (host_time), so
    // synfin may already have sent a FIN this ACK does not cover.
    const bool fin_out = host.fin && host_time(flow_.segments[host.fin_segment].at) <= at;
    if (covers_fin || (info.acks_all && !fin_out)) {
      seg.ack_base = AckBase::kSndMax;
      seg.ack = 0;
    } else if (info.acks_all) {
      seg.ack_base = AckBase::kSndMax;
      seg.ack = -1;
    } else {
      seg.ack = static_cast<uint32_t>(info.ack);
    }
  }

  void from_host(Instant at, const SegmentInfo& info) {
    if (!has_socket()) return;
    if (info.new_bytes > 0 || info.first_fin || info.first_rst) accept(at);
    if (info.new_bytes > 0) ops_.add(at, ops::socket_call(OpKind::kSend, 0, socket_, info.new_bytes));
    if (info.first_fin) ops_.add(at, ops::socket_call(OpKind::kShutdown, 0, socket_));
    if (info.first_rst) ops_.add(at, ops::socket_call(OpKind::kAbort, 0, socket_));
  }

  bool has_socket() const { return socket_ >= 0; }

  // When the host made the call the capture shows at `t`: never before the
  // calls already laid out for the connection (the accept).
  Instant host_time(Instant t) const { return std::max(ops::before(t, host_lead_), floor_); }

  const Flow& flow_;
  const FlowAnalysis& a_;
  const int host_, peer_;  // which capture side synfin plays, and the scripted one
  const Duration host_lead_;
  Instant floor_;
  uint16_t mss_ = 1460;
  int socket_ = -1;  // the host's connection in its socket table; -1: none
  bool accepted_ = false;
  TimedOps ops_;
};

}  // namespace

Scenario endpoint_scenario(const Flow& flow, const FlowAnalysis& analysis) {
  return EndpointBuilder(flow, analysis).build();
}

}  // namespace synfin::harness
