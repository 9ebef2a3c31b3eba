#include "harness/capture_flows.h"

#include <tuple>
#include <utility>

namespace synfin::harness {
namespace {

bool pure_syn(const Segment& s) { return s.flags.syn() && !s.flags.ack(); }

// The 4-tuple seen from the packet's sender.
FourTuple sender_view(const IpPacket& p) {
  return FourTuple{p.src, p.dst, p.tcp.src_port, p.tcp.dst_port};
}

FourTuple reversed(const FourTuple& t) {
  return FourTuple{t.remote_addr, t.local_addr, t.remote_port, t.local_port};
}

// One key for both directions: the endpoint that sorts first is "local".
FourTuple canonical(const FourTuple& t) {
  const auto a = std::tie(t.local_addr, t.local_port);
  const auto b = std::tie(t.remote_addr, t.remote_port);
  return b < a ? reversed(t) : t;
}

}  // namespace

const char* to_string(RoleEvidence e) {
  switch (e) {
    case RoleEvidence::kSyn: return "SYN";
    case RoleEvidence::kSynAck: return "SYN-ACK";
    case RoleEvidence::kFirstPacket: return "first packet";
  }
  return "?";
}

bool FlowSplitter::add(Instant at, uint64_t record, IpPacket packet) {
  const FourTuple view = sender_view(packet);
  const FourTuple key = canonical(view);
  const Segment& seg = packet.tcp;
  auto it = current_.find(key);
  const bool new_incarnation = it != current_.end() && pure_syn(seg) && flows_[it->second].ended &&
                               !(flows_[it->second].has_syn && flows_[it->second].syn_seq == seg.seq.raw);
  if (it == current_.end() || new_incarnation) {
    flows_.push_back(Pending{key, {}, false, false, 0});
    it = current_.insert_or_assign(key, flows_.size() - 1).first;
  }
  Pending& f = flows_[it->second];
  for (auto s = f.segments.rbegin(); s != f.segments.rend() && s->at == at; ++s) {
    if (s->packet == packet) return false;
  }
  if (pure_syn(seg) && !f.has_syn) {
    f.has_syn = true;
    f.syn_seq = seg.seq.raw;
  }
  if (seg.flags.fin() || seg.flags.rst()) f.ended = true;
  f.segments.push_back(FlowSegment{at, record, view == key, std::move(packet)});
  return true;
}

std::vector<Flow> FlowSplitter::finish() && {
  std::vector<Flow> out;
  out.reserve(flows_.size());
  for (Pending& p : flows_) {
    // Which end (true: the key's local end) is the client, and why.
    bool local_is_client = p.segments.front().from_client;
    RoleEvidence roles = RoleEvidence::kFirstPacket;
    for (const FlowSegment& s : p.segments) {
      if (pure_syn(s.packet.tcp)) {
        local_is_client = s.from_client;
        roles = RoleEvidence::kSyn;
        break;
      }
      if (roles == RoleEvidence::kFirstPacket && s.packet.tcp.flags.syn()) {
        local_is_client = !s.from_client;  // a SYN+ACK goes to the client
        roles = RoleEvidence::kSynAck;
      }
    }
    Flow f;
    f.tuple = local_is_client ? p.key : reversed(p.key);
    f.roles = roles;
    f.segments = std::move(p.segments);
    for (FlowSegment& s : f.segments) s.from_client = s.from_client == local_is_client;
    out.push_back(std::move(f));
  }
  return out;
}

}  // namespace synfin::harness
