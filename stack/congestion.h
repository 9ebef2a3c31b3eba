// Congestion control behind a narrow interface. The Connection reports what
// happened to its send sequence space (new data acknowledged, a duplicate ACK,
// a retransmission timeout, a restart after idle) and asks two things: how many
// octets may be in flight (cwnd) and whether to retransmit the first
// unacknowledged segment now. The algorithm sees numbers only: no segments, no
// timers, no I/O, so each RFC rule is a unit test of a few lines.
#pragma once

#include <algorithm>
#include <cstdint>

#include "stack/seq.h"

namespace synfin {

// What the Connection must do after reporting an ACK.
enum class CcAction : uint8_t {
  kNone,
  kRetransmitFirst,  // resend the segment at SND.UNA (fast retransmit, partial ACK)
};

class CongestionControl {
 public:
  virtual ~CongestionControl() = default;
  // The connection is synchronized: `smss` is the sender MSS, `initial_window`
  // octets may be sent before the first ACK.
  virtual void start(uint32_t smss, uint32_t initial_window) = 0;
  // SEG.ACK moved SND.UNA forward by `acked` octets; `flight` is what is still
  // outstanding after it (SND.MAX - SEG.ACK), `ack` the new SND.UNA.
  virtual CcAction on_ack(SeqNum ack, uint32_t acked, uint32_t flight) = 0;
  // A duplicate ACK in RFC 5681 2's sense, `flight` octets outstanding, the
  // highest sequence number sent being `snd_max`. `sack_shows_loss`: the
  // peer's SACK blocks already mark SND.UNA lost (RFC 6675 IsLost), which
  // starts recovery before the third duplicate (RFC 6675 5 (2)).
  virtual CcAction on_duplicate_ack(SeqNum ack, uint32_t flight, SeqNum snd_max,
                                    bool sack_shows_loss = false) = 0;
  // The retransmission timer expired with `flight` octets outstanding.
  virtual void on_timeout(uint32_t flight, SeqNum snd_max) = 0;
  // Sending resumes after an idle period longer than the RTO (RFC 5681 4.1).
  virtual void on_idle_restart() = 0;
  // Octets the sender may have outstanding: the congestion window.
  virtual uint32_t cwnd() const = 0;
  virtual uint32_t ssthresh() const = 0;
  virtual bool in_recovery() const = 0;
};

// RFC 5681's initial window: "If SMSS > 2190 bytes: IW = 2 * SMSS ...; If (SMSS
// > 1095 bytes) and (SMSS <= 2190 bytes): IW = 3 * SMSS ...; If SMSS <= 1095
// bytes: IW = 4 * SMSS". `segments` > 0 overrides it (RFC 6928's IW10).
constexpr uint32_t initial_window(uint32_t smss, uint32_t segments = 0) {
  if (segments > 0) return segments * smss;
  if (smss > 2190) return 2 * smss;
  if (smss > 1095) return 3 * smss;
  return 4 * smss;
}

// NewReno: RFC 5681 slow start, congestion avoidance, fast retransmit and fast
// recovery, with RFC 6582's partial-ACK handling and its `recover` guard
// against a second reduction for losses of one window.
class NewReno final : public CongestionControl {
 public:
  void start(uint32_t smss, uint32_t initial_window) override;
  CcAction on_ack(SeqNum ack, uint32_t acked, uint32_t flight) override;
  CcAction on_duplicate_ack(SeqNum ack, uint32_t flight, SeqNum snd_max,
                            bool sack_shows_loss = false) override;
  void on_timeout(uint32_t flight, SeqNum snd_max) override;
  void on_idle_restart() override;
  uint32_t cwnd() const override { return cwnd_; }
  uint32_t ssthresh() const override { return ssthresh_; }
  bool in_recovery() const override { return in_recovery_; }
  uint32_t duplicate_acks() const { return dupacks_; }
  uint32_t smss() const { return smss_; }

  // RFC 5681 3.2: "The fast retransmit algorithm uses the arrival of 3 duplicate
  // ACKs ... as an indication that a segment has been lost."
  static constexpr uint32_t kDupAckThreshold = 3;

 private:
  // RFC 5681 (4): "ssthresh = max (FlightSize / 2, 2*SMSS)".
  uint32_t halved(uint32_t flight) const { return std::max(flight / 2, 2 * smss_); }

  uint32_t smss_ = 536;
  uint32_t iw_ = 4 * 536;
  uint32_t cwnd_ = 4 * 536;
  // RFC 5681 3.1: "The initial value of ssthresh SHOULD be set arbitrarily high".
  uint32_t ssthresh_ = UINT32_MAX;
  uint32_t dupacks_ = 0;
  // Congestion avoidance counts acknowledged octets until a whole cwnd has been
  // acknowledged, then grows cwnd by one SMSS (RFC 5681 3.1, the byte-counting
  // form RFC 3465 recommends).
  uint32_t bytes_acked_ = 0;
  bool in_recovery_ = false;
  bool recover_set_ = false;
  SeqNum recover_;  // RFC 6582: the highest sequence number sent when recovery began
};

}  // namespace synfin
