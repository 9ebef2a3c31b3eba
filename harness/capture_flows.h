// Splits the TCP segments of a capture into flows: one flow per 4-tuple and
// incarnation, with its client and server told apart.
//
//  - Incarnations: a SYN without ACK on a 4-tuple whose flow has already seen a
//    FIN or RST, and whose sequence number is not that flow's own SYN's (a
//    retransmission), starts a new flow (port reuse), as Wireshark's stream index
//    does.
//  - Duplicates: a packet identical to one of the same flow captured at the same
//    instant was captured twice (several interfaces, a mirror port), not sent
//    twice; it is left out.
//  - Roles: the sender of a SYN without ACK is the client; without one, the
//    receiver of a SYN+ACK; a capture that starts mid-flow (neither) makes the
//    sender of the flow's first packet the client.
#pragma once

#include <cstdint>
#include <vector>

#include "absl/container/flat_hash_map.h"
#include "stack/ip.h"
#include "stack/time.h"

namespace synfin::harness {

struct FlowSegment {
  Instant at;
  uint64_t record = 0;  // the capture record it came from
  bool from_client = false;
  IpPacket packet;
};

// How a flow's roles were decided.
enum class RoleEvidence : uint8_t { kSyn, kSynAck, kFirstPacket };
const char* to_string(RoleEvidence e);

struct Flow {
  // The client's view: local = client, remote = server.
  FourTuple tuple;
  RoleEvidence roles = RoleEvidence::kFirstPacket;
  // Segments in capture order.
  std::vector<FlowSegment> segments;
};

class FlowSplitter {
 public:
  // False when the packet was left out as a capture duplicate.
  bool add(Instant at, uint64_t record, IpPacket packet);
  // The flows in the order of their first segment.
  std::vector<Flow> finish() &&;

 private:
  struct Pending {
    FourTuple key;  // canonical: the lesser endpoint as local
    std::vector<FlowSegment> segments;  // from_client: from the key's local end, for now
    bool ended = false;                 // a FIN or RST was seen
    bool has_syn = false;
    uint32_t syn_seq = 0;
  };
  std::vector<Pending> flows_;
  absl::flat_hash_map<FourTuple, size_t> current_;  // canonical key -> index in flows_
};

}  // namespace synfin::harness
