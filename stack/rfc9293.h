// Pure predicates and segment builders straight from RFC 9293, free of any TCB,
// so each can be tested table by table against the RFC text.
#pragma once

#include <optional>

#include "stack/segment.h"
#include "stack/seq.h"

namespace synfin {

// RFC 9293 3.10.7.4, first check, the four cases of the acceptability test:
//   Segment Length  Receive Window  Test
//   0               0               SEG.SEQ = RCV.NXT
//   0               >0              RCV.NXT =< SEG.SEQ < RCV.NXT+RCV.WND
//   >0              0               not acceptable
//   >0              >0              RCV.NXT =< SEG.SEQ < RCV.NXT+RCV.WND
//                                or RCV.NXT =< SEG.SEQ+SEG.LEN-1 < RCV.NXT+RCV.WND
constexpr bool segment_acceptable(SeqNum seg_seq, SeqLen seg_len, SeqNum rcv_nxt,
                                  SeqLen rcv_wnd) {
  if (seg_len.raw == 0) {
    return rcv_wnd.raw == 0 ? seg_seq == rcv_nxt : in_window(seg_seq, rcv_nxt, rcv_wnd);
  }
  if (rcv_wnd.raw == 0) return false;
  return in_window(seg_seq, rcv_nxt, rcv_wnd) ||
         in_window(seg_seq + seg_len - SeqLen(1), rcv_nxt, rcv_wnd);
}

// RFC 9293 3.10.7.1 (and 3.5.2 "Reset Generation", group 1): the reply to a segment
// that reaches no connection. An incoming RST is discarded (nullopt). Otherwise:
//   ACK bit on:  <SEQ=SEG.ACK><CTL=RST>
//   ACK bit off: <SEQ=0><ACK=SEG.SEQ+SEG.LEN><CTL=RST,ACK>
// The reply's ports are the segment's, swapped.
std::optional<Segment> reset_for(const Segment& seg);

// <SEQ=seq><CTL=RST>, ports as given: the reset a TCB sends for a bad ACK
// (RFC 9293 3.10.7.3 and 3.10.7.4 fifth check) or on ABORT (3.10.5).
Segment make_reset(uint16_t src_port, uint16_t dst_port, SeqNum seq);

}  // namespace synfin
