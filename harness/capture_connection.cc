// The connection form of a captured flow (see capture_scenarios.h).
#include <algorithm>
#include <cstdint>
#include <vector>

#include "harness/capture_ops.h"
#include "harness/capture_scenarios.h"
#include "harness/timed_ops.h"

namespace synfin::harness {
namespace {

namespace ops = capture_ops;

constexpr int kClient = 0, kServer = 1;
constexpr Duration kDefaultRtt = Duration::millis(20);
// Link delays stay within what a scenario header allows (10 s) and above zero,
// so that a crafted capture with equal timestamps still has a wire to cross.
constexpr Duration kMinDelay = Duration::micros(100);
constexpr Duration kMaxDelay = Duration::seconds(10);
// RFC 1122 4.2.3.2: an ACK is not delayed more than 0.5 s.
constexpr Duration kMaxAckDelay = Duration::millis(500);
// A scripted delay longer than this would outlast every retransmission.
constexpr Duration kMaxFaultDelay = Duration::seconds(30);
constexpr Duration kTick = Duration::micros(1);

class ConnectionBuilder {
 public:
  ConnectionBuilder(const Flow& flow, const FlowAnalysis& a)
      : flow_(flow), a_(a), op_of_(flow.segments.size(), kNone), faulted_(flow.segments.size() * 2) {}

  Scenario build() {
    Scenario s;
    s.header.mode = Mode::kConnection;
    s.header.family = flow_.tuple.local_addr.family;
    const std::optional<uint16_t> m0 = a_.stream[kClient].mss, m1 = a_.stream[kServer].mss;
    std::optional<uint16_t> path_mss = m0 && m1 ? std::min(*m0, *m1) : m0 ? m0 : m1;
    s.header.config.mss = ops::config_mss(path_mss, s.header.config.mss);
    rtt_ = a_.rtt.value_or(kDefaultRtt);
    delay_ = std::clamp(Duration{rtt_.us / 2}, kMinDelay, kMaxDelay);
    for (LinkSettings& l : s.header.links) l.delay = delay_;
    if (flow_.segments.empty()) return s;
    const Instant start = flow_.segments.front().at;
    open(start);
    for (size_t i = 0; i < flow_.segments.size(); ++i) calls_for(i);
    for (size_t i = 0; i < flow_.segments.size(); ++i) faults_for(i);
    // Whatever arrived after the last call is read.
    const Instant end = std::max(last_, flow_.segments.back().at) + delay_ + kTick;
    ops_.add(end, ops::socket_call(OpKind::kRecv, kClient, 0, ops::kReadAll));
    if (listening_) ops_.add(end, ops::socket_call(OpKind::kRecv, kServer, 1, ops::kReadAll));
    s.ops = std::move(ops_).finish();
    return s;
  }

 private:
  static constexpr size_t kNone = SIZE_MAX;

  // When the application behind `side` acted on what the capture saw at `t`: a
  // leg (capture point to that host) earlier.
  Instant app_time(int side, Instant t) const {
    return ops::before(t, side == kClient ? a_.client_leg : a_.server_leg);
  }

  // Listen (unless the server refused with a RST), connect when the client's SYN
  // went out, accept once synfin's handshake (three one-way delays) is through.
  void open(Instant start) {
    const uint16_t port = flow_.tuple.remote_port;
    const FlowSegment* first_server = nullptr;
    Instant connect_at = start, handshake_done = start;
    for (size_t i = 0; i < flow_.segments.size(); ++i) {
      const FlowSegment& fs = flow_.segments[i];
      if (!fs.from_client && !first_server) first_server = &fs;
      if (fs.from_client && a_.segments[i].first_syn) connect_at = app_time(kClient, fs.at);
    }
    listening_ = !(first_server && first_server->packet.tcp.flags.rst() &&
                   !a_.stream[kServer].syn_seen);
    if (listening_) ops_.add(std::min(start, connect_at), ops::listen(kServer, port));
    connect_op_ = ops_.add(connect_at, ops::connect(kClient, port));
    for (size_t i = 0; i < flow_.segments.size(); ++i) {
      const FlowSegment& fs = flow_.segments[i];
      if (fs.from_client && app_time(kClient, fs.at) >= connect_at && fs.packet.tcp.flags.ack() &&
          !fs.packet.tcp.flags.syn()) {
        handshake_done = fs.at + a_.server_leg;  // when the ACK reached the server
        break;
      }
    }
    accept_at_ = std::max(handshake_done, connect_at + delay_ * 3) + kTick;
    if (listening_) ops_.add(accept_at_, ops::accept(kServer));
  }

  // The calls segment i shows its sender's application made. The server's wait
  // for the accept; reads happen one link delay after the data went out.
  void calls_for(size_t i) {
    const FlowSegment& fs = flow_.segments[i];
    const SegmentInfo& info = a_.segments[i];
    const int side = fs.from_client ? kClient : kServer, other = 1 - side;
    if (info.first_syn) op_of_[i] = connect_op_;
    if (side == kServer && !listening_) return;
    const int socket = side == kClient ? 0 : 1;
    const Instant at = side == kServer ? std::max(app_time(side, fs.at), accept_at_)
                                       : app_time(side, fs.at);
    last_ = std::max(last_, at);
    if (info.new_bytes > 0) {
      op_of_[i] = ops_.add(at, ops::socket_call(OpKind::kSend, side, socket, info.new_bytes));
      if (other == kClient || listening_) {
        const Instant read_at = std::max(at + delay_ + kTick, other == kServer ? accept_at_ : at);
        ops_.add(read_at, ops::socket_call(OpKind::kRecv, other, other == kClient ? 0 : 1,
                                           ops::kReadAll));
      }
    }
    if (info.first_fin) {
      const size_t h = ops_.add(at, ops::socket_call(OpKind::kShutdown, side, socket));
      if (op_of_[i] == kNone) op_of_[i] = h;
    }
    if (info.first_rst) ops_.add(at, ops::socket_call(OpKind::kAbort, side, socket));
  }

  // The faults segment i shows, scripted before the call that sent the packet
  // they hit: at most one per (call, direction), at most kMaxCaptureFaults.
  void faults_for(size_t i) {
    const FlowSegment& fs = flow_.segments[i];
    const SegmentInfo& info = a_.segments[i];
    const int side = fs.from_client ? kClient : kServer;
    switch (info.kind) {
      case SegmentKind::kRetransmission:
        add_fault(info.origin, side, FaultKind::kDrop, 0);
        break;
      case SegmentKind::kHoleFill:
        if (info.reordered) add_fault(info.origin, side, FaultKind::kReorder, 1);
        else add_fault(info.origin, side, FaultKind::kDrop, 0);
        break;
      case SegmentKind::kControl:
      case SegmentKind::kNew:
        break;
    }
    if (info.ack_latency && *info.ack_latency > rtt_ + kMaxAckDelay) {
      const Duration extra = std::min(*info.ack_latency - rtt_, kMaxFaultDelay);
      add_fault(info.acked_origin, side, FaultKind::kDelay, static_cast<uint64_t>(extra.us));
    }
  }

  void add_fault(size_t origin, int sender, FaultKind kind, uint64_t param) {
    if (faults_ >= kMaxCaptureFaults || op_of_[origin] == kNone) return;
    if (faulted_[origin * 2 + sender]) return;
    faulted_[origin * 2 + sender] = true;
    ++faults_;
    ops_.place_before(op_of_[origin], ops::fault(sender, kind, param));
  }

  const Flow& flow_;
  const FlowAnalysis& a_;
  Duration rtt_, delay_;
  bool listening_ = false;
  size_t connect_op_ = 0;
  Instant accept_at_, last_;
  std::vector<size_t> op_of_;   // per segment: the call that sent it, or kNone
  std::vector<bool> faulted_;   // per (segment, direction): a fault is scripted
  int faults_ = 0;
  TimedOps ops_;
};

}  // namespace

Scenario connection_scenario(const Flow& flow, const FlowAnalysis& analysis) {
  return ConnectionBuilder(flow, analysis).build();
}

}  // namespace synfin::harness
