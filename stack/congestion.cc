#include "stack/congestion.h"

namespace synfin {

namespace {
// Growth stops here: far beyond any window the 32-bit sequence space allows
// in flight (2^30, RFC 7323 2.3), so cwnd never wraps.
constexpr uint32_t kMaxCwnd = 1u << 30;
}  // namespace

void NewReno::start(uint32_t smss, uint32_t iw) {
  smss_ = std::max<uint32_t>(smss, 1);
  iw_ = std::max(iw, smss_);
  cwnd_ = iw_;
  ssthresh_ = UINT32_MAX;
  dupacks_ = 0;
  bytes_acked_ = 0;
  in_recovery_ = false;
  recover_set_ = false;
}

CcAction NewReno::on_ack(SeqNum ack, uint32_t acked, uint32_t flight) {
  dupacks_ = 0;
  if (in_recovery_) {
    if (seq_geq(ack, recover_)) {
      // RFC 6582 3.2 (3), full acknowledgment: "Set cwnd to either (1) min
      // (ssthresh, max(FlightSize, SMSS) + SMSS) or (2) ssthresh ... Exit the
      // fast recovery procedure." (1): no burst when little is left in flight.
      cwnd_ = std::min(ssthresh_, std::max(flight, smss_) + smss_);
      in_recovery_ = false;
      bytes_acked_ = 0;
      return CcAction::kNone;
    }
    // (4) partial acknowledgment: "retransmit the first unacknowledged segment.
    // Deflate cwnd by the amount of new data acknowledged ... If the partial ACK
    // acknowledges at least one SMSS of new data, then add back SMSS bytes".
    cwnd_ = cwnd_ > acked ? cwnd_ - acked : 0;
    if (acked >= smss_) cwnd_ += smss_;
    cwnd_ = std::max(cwnd_, smss_);
    return CcAction::kRetransmitFirst;
  }
  if (cwnd_ < ssthresh_) {
    // RFC 5681 3.1 slow start: "cwnd += min (N, SMSS)".
    cwnd_ = std::min(kMaxCwnd, cwnd_ + std::min(acked, smss_));
  } else {
    // Congestion avoidance: one SMSS per cwnd of acknowledged data.
    bytes_acked_ += acked;
    if (bytes_acked_ >= cwnd_) {
      bytes_acked_ -= cwnd_;
      cwnd_ = std::min(kMaxCwnd, cwnd_ + smss_);
    }
  }
  return CcAction::kNone;
}

CcAction NewReno::on_duplicate_ack(SeqNum ack, uint32_t flight, SeqNum snd_max,
                                   bool sack_shows_loss) {
  if (in_recovery_) {
    // RFC 5681 3.2 (4): "For each additional duplicate ACK received (after the
    // third), cwnd MUST be incremented by SMSS" (a segment has left the network).
    cwnd_ = std::min(kMaxCwnd, cwnd_ + smss_);
    return CcAction::kNone;
  }
  // Recovery starts at the third duplicate, or earlier when SACK information
  // shows the loss (RFC 6675 5: "(2) If DupAcks < DupThresh but IsLost (HighACK
  // + 1) returns true ... go to step (4)").
  ++dupacks_;
  const bool enter = dupacks_ == kDupAckThreshold || (sack_shows_loss && dupacks_ < kDupAckThreshold);
  if (!enter) return CcAction::kNone;
  // RFC 6582 3.2 (2): enter only if "the Cumulative Acknowledgment field covers
  // more than recover": duplicates of data sent before an earlier reduction
  // (a timeout, or a recovery already done) must not halve the window again.
  if (recover_set_ && seq_lt(ack, recover_)) return CcAction::kNone;
  recover_ = snd_max;
  recover_set_ = true;
  // RFC 5681 (4) "ssthresh = max (FlightSize / 2, 2*SMSS)", then (3): "set cwnd
  // to ssthresh plus 3*SMSS. This artificially 'inflates' the congestion window
  // by the number of segments (three) that have left the network".
  ssthresh_ = halved(flight);
  cwnd_ = ssthresh_ + kDupAckThreshold * smss_;
  in_recovery_ = true;
  return CcAction::kRetransmitFirst;
}

void NewReno::on_timeout(uint32_t flight, SeqNum snd_max) {
  // RFC 5681 3.1: "When a TCP sender detects segment loss using the
  // retransmission timer ... the value of ssthresh MUST be set to no more than
  // the value given in equation (4)" and "cwnd MUST be set to no more than the
  // loss window, LW, which equals 1 full-sized segment". RFC 6582 4: after a
  // timeout, recover is the highest sequence number sent.
  ssthresh_ = halved(flight);
  cwnd_ = smss_;
  in_recovery_ = false;
  dupacks_ = 0;
  bytes_acked_ = 0;
  recover_ = snd_max;
  recover_set_ = true;
}

void NewReno::on_idle_restart() {
  // RFC 5681 4.1: "if the TCP has not sent data in an interval exceeding the
  // retransmission timeout ... cwnd is reduced to the value of the restart
  // window (RW) before transmission begins", RW = min(IW, cwnd).
  cwnd_ = std::min(cwnd_, iw_);
  bytes_acked_ = 0;
}

}  // namespace synfin
