#include "stack/rfc9293.h"

namespace synfin {

Segment make_reset(uint16_t src_port, uint16_t dst_port, SeqNum seq) {
  Segment r;
  r.src_port = src_port;
  r.dst_port = dst_port;
  r.seq = seq;
  r.flags = kRst;
  return r;
}

std::optional<Segment> reset_for(const Segment& seg) {
  if (seg.flags.rst()) return std::nullopt;
  if (seg.flags.ack()) return make_reset(seg.dst_port, seg.src_port, seg.ack);
  Segment r = make_reset(seg.dst_port, seg.src_port, SeqNum(0));
  r.ack = seg.seq + seg.seg_len();
  r.flags = kRst | kAck;
  return r;
}

}  // namespace synfin
