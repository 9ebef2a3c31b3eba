#include "harness/capture_analysis.h"

#include <algorithm>
#include <iterator>
#include <utility>
#include <vector>

#include "absl/container/btree_map.h"

namespace synfin::harness {
namespace {

// Without a measured round trip, the one a LAN-to-Internet flow typically has.
constexpr Duration kDefaultRtt = Duration::millis(10);
constexpr int kMaxWindowShift = 14;  // RFC 7323 2.3

// A sequence number as a position relative to `isn`. Flows in a capture move far
// less than 2^31 from their ISN, so the signed distance is the position; a
// number before the ISN (a stray RST, data sent before an inferred ISN) is
// negative.
int64_t position(uint32_t number, uint32_t isn) {
  return static_cast<int32_t>(number - isn);
}

// Covered [start, end) ranges, merged.
class RangeSet {
 public:
  void add(int64_t start, int64_t end) {
    if (start >= end) return;
    auto it = ranges_.upper_bound(start);
    if (it != ranges_.begin() && std::prev(it)->second >= start) {
      --it;
      start = it->first;
    }
    while (it != ranges_.end() && it->first <= end) {
      end = std::max(end, it->second);
      it = ranges_.erase(it);
    }
    ranges_[start] = end;
  }
  // The first position in [start, end) not covered, or `end`.
  int64_t first_gap(int64_t start, int64_t end) const {
    auto it = ranges_.upper_bound(start);
    if (it == ranges_.begin()) return start;
    --it;
    return it->second > start ? std::min(it->second, end) : start;
  }

 private:
  absl::btree_map<int64_t, int64_t> ranges_;
};

// Per side while walking the flow.
struct Walk {
  int64_t front = 0;  // just past the highest position seen
  RangeSet seen;
  // Where each stretch of positions first appeared: start -> segment index.
  absl::btree_map<int64_t, size_t> introduced;
  std::optional<int64_t> acked;  // highest position this side acknowledged
  bool fin = false, rst = false, syn = false;

  size_t introducer(int64_t pos) const {
    auto it = introduced.upper_bound(pos);
    return it == introduced.begin() ? 0 : std::prev(it)->second;
  }
};

// A side without a captured SYN: one before the lowest number it sent or the
// other side acknowledged.
uint32_t inferred_isn(const Flow& flow, bool client) {
  std::optional<uint32_t> ref, lowest;
  auto consider = [&](uint32_t n) {
    if (!ref) ref = lowest = n;
    if (static_cast<int32_t>(n - *ref) < static_cast<int32_t>(*lowest - *ref)) lowest = n;
  };
  for (const FlowSegment& s : flow.segments) {
    const Segment& t = s.packet.tcp;
    if (s.from_client == client) consider(t.seq.raw);
    else if (t.flags.ack()) consider(t.ack.raw);
  }
  return lowest ? *lowest - 1 : 0;
}

void read_streams(const Flow& flow, FlowAnalysis& a) {
  for (int side = 0; side < 2; ++side) {
    const bool client = side == 0;
    StreamInfo& st = a.stream[side];
    for (const FlowSegment& s : flow.segments) {
      if (s.from_client != client) continue;
      st.any_segment = true;
      if (!s.packet.tcp.flags.syn() || st.syn_seen) continue;
      st.syn_seen = true;
      st.isn = s.packet.tcp.seq.raw;
      st.mss = s.packet.tcp.options.mss;
      st.wscale = s.packet.tcp.options.window_scale;
    }
    if (!st.syn_seen) st.isn = inferred_isn(flow, client);
  }
  if (a.stream[0].wscale && a.stream[1].wscale) {
    for (StreamInfo& st : a.stream) st.window_shift = std::min<int>(*st.wscale, kMaxWindowShift);
  }
}

// The first SYN, SYN-ACK and the client's ACK after them, as captured.
struct Handshake {
  std::optional<Instant> syn, synack, ack;
};

Handshake find_handshake(const Flow& flow) {
  Handshake h;
  for (const FlowSegment& s : flow.segments) {
    const Flags f = s.packet.tcp.flags;
    if (s.from_client && f.syn() && !f.ack() && !h.syn) h.syn = s.at;
    if (!s.from_client && f.syn() && f.ack() && !h.synack) h.synack = s.at;
    if (h.syn && h.synack && s.from_client && !f.syn() && f.ack() && s.at > *h.syn) {
      h.ack = s.at;
      break;
    }
  }
  return h;
}

std::optional<Duration> handshake_rtt(const Flow& flow) {
  const Handshake h = find_handshake(flow);
  if (h.syn && h.ack) return *h.ack - *h.syn;
  if (h.syn && h.synack && *h.synack > *h.syn) return *h.synack - *h.syn;
  return std::nullopt;
}

// Each side's leg is half its quickest answer: the shortest time from a segment
// the capture saw to that side's first acknowledgment of it (its SYN-ACK answers
// the SYN too). The quickest answer carries the least delayed-ACK and
// application time, so it is the best look at the path alone; a handshake whose
// SYN-ACK the server's application held back says less.
void read_legs(FlowAnalysis& a) {
  std::optional<Duration> quickest[2];
  for (const SegmentInfo& s : a.segments) {
    if (!s.ack_latency || *s.ack_latency < Duration{0}) continue;
    std::optional<Duration>& q = quickest[s.from_client ? 0 : 1];
    if (!q || *s.ack_latency < *q) q = s.ack_latency;
  }
  if (!quickest[0] || !quickest[1]) return;
  a.client_leg = Duration{quickest[0]->us / 2};
  a.server_leg = Duration{quickest[1]->us / 2};
  a.rtt = a.client_leg * 2 + a.server_leg * 2;
}

}  // namespace

FlowAnalysis analyze_flow(const Flow& flow) {
  FlowAnalysis a;
  read_streams(flow, a);
  a.rtt = handshake_rtt(flow);
  const Duration rtt = a.rtt.value_or(kDefaultRtt);
  Walk walk[2];
  for (int side = 0; side < 2; ++side) walk[side].front = a.stream[side].syn_seen ? 0 : 1;

  a.segments.reserve(flow.segments.size());
  // Per segment: when its bytes were last sent (a retransmission or a late fill
  // of them moves it), so an acknowledgment's latency counts from the copy that
  // got through.
  std::vector<Instant> last_sent;
  last_sent.reserve(flow.segments.size());
  for (size_t i = 0; i < flow.segments.size(); ++i) {
    const FlowSegment& fs = flow.segments[i];
    const Segment& seg = fs.packet.tcp;
    const int me = fs.from_client ? 0 : 1, other = 1 - me;
    Walk& w = walk[me];
    SegmentInfo info;
    info.from_client = fs.from_client;
    const int64_t s = position(seg.seq.raw, a.stream[me].isn);
    const int64_t e = s + seg.seg_len().raw;
    info.seq = s;
    info.first_syn = seg.flags.syn() && !std::exchange(w.syn, true);
    info.first_fin = seg.flags.fin() && !std::exchange(w.fin, true);
    if (info.first_fin) {
      a.stream[me].fin = e - 1;
      a.stream[me].fin_segment = i;
    }
    info.first_rst = seg.flags.rst() && !std::exchange(w.rst, true);
    const uint64_t window = seg.flags.syn() ? uint64_t{seg.window}
                                            : uint64_t{seg.window} << a.stream[me].window_shift;
    info.window_bytes = static_cast<uint32_t>(std::min<uint64_t>(window, UINT32_MAX));

    if (e == s) {
      info.kind = SegmentKind::kControl;
    } else if (e > w.front) {
      info.kind = SegmentKind::kNew;
      // Data positions start at 1 (0 is the SYN). Bytes of a hole count: the
      // sender's application wrote them even if the capture missed them.
      const int64_t payload_end = s + (seg.flags.syn() ? 1 : 0) +
                                  static_cast<int64_t>(seg.payload.size());
      const int64_t from = std::max<int64_t>(w.front, 1);
      info.new_bytes = payload_end > from ? static_cast<uint64_t>(payload_end - from) : 0;
      w.introduced[w.front] = i;
      info.origin = i;
      w.front = e;
    } else if (w.seen.first_gap(s, e) == e) {
      info.kind = SegmentKind::kRetransmission;
      info.origin = w.introducer(s);
    } else {
      info.kind = SegmentKind::kHoleFill;
      info.origin = w.introducer(w.seen.first_gap(s, e));
      // A retransmission needs at least a round trip (the loss has to be
      // signalled back), so a fill sooner than that was only reordered.
      info.reordered = fs.at - flow.segments[info.origin].at < rtt;
    }
    w.seen.add(s, e);
    last_sent.push_back(fs.at);
    if (info.kind == SegmentKind::kRetransmission || info.kind == SegmentKind::kHoleFill) {
      last_sent[info.origin] = fs.at;
    }

    if (seg.flags.ack()) {
      const Walk& ow = walk[other];
      const int64_t acked = position(seg.ack.raw, a.stream[other].isn);
      info.ack = acked;
      info.acks_all = acked >= ow.front;
      if ((!w.acked || acked > *w.acked) && acked <= ow.front && acked > 0) {
        info.acked_origin = ow.introducer(acked - 1);
        info.ack_latency = fs.at - last_sent[info.acked_origin];
      }
      if (!w.acked || acked > *w.acked) w.acked = acked;
    }
    a.segments.push_back(info);
  }
  read_legs(a);
  return a;
}

}  // namespace synfin::harness
