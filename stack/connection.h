// One TCP connection: the TCB of RFC 9293 3.3.1 and the event processing of 3.10.
//
// Sans-I/O: every entry point takes the current virtual time and appends the
// segments it sends to an outbox the caller owns; timers are deadlines stored in
// the TCB, read back through next_deadline(). Nothing here reads a clock, draws a
// random number (the ISN comes from the injected generator) or does I/O, so the
// same calls always produce the same segments.
#pragma once

#include <array>
#include <cstdint>
#include <optional>
#include <span>
#include <vector>

#include "absl/status/status.h"
#include "absl/status/statusor.h"
#include "stack/byte_ring.h"
#include "stack/config.h"
#include "stack/congestion.h"
#include "stack/sack_scoreboard.h"
#include "stack/ip.h"
#include "stack/isn.h"
#include "stack/observer.h"
#include "stack/recv_buffer.h"
#include "stack/segment.h"
#include "stack/seq.h"
#include "stack/state.h"
#include "stack/timestamps.h"
#include "stack/time.h"
#include "stack/timer_set.h"

namespace synfin {

using Outbox = std::vector<Segment>;

// How a connection ended, as the application sees it.
enum class CloseReason : uint8_t { kNone, kNormal, kRefused, kReset, kTimedOut, kAborted };
const char* to_string(CloseReason r);

class Connection {
 public:
  struct Env {
    const Config* config = nullptr;
    IsnGenerator* isn = nullptr;
    Observer* observer = nullptr;  // may be null
  };

  // A new TCB in CLOSED. `tuple.remote_*` may be zero for a listener.
  Connection(const Env& env, ConnId id, const FourTuple& tuple);

  Connection(const Connection&) = delete;
  Connection& operator=(const Connection&) = delete;

  // ---- User calls (RFC 9293 3.10.1 - 3.10.6) ----
  // OPEN, passive: CLOSED -> LISTEN.
  absl::Status open_passive(Instant now);
  // A child TCB a listener spawns for an arriving SYN: starts in LISTEN with the
  // listener's role, without a user call of its own.
  void become_listening_child(Instant now);
  // OPEN, active (CLOSED -> SYN-SENT), or SEND on a LISTEN TCB whose remote socket
  // is now specified (LISTEN -> SYN-SENT). `remote` completes the 4-tuple.
  absl::Status open_active(Instant now, const IpAddr& remote_addr, uint16_t remote_port,
                           Outbox& out);
  // SEND: queues what fits in the send buffer and returns how many bytes it took.
  absl::StatusOr<size_t> send(Instant now, std::span<const uint8_t> data, Outbox& out);
  // RECEIVE: copies up to out.size() in-order bytes; may send a window update.
  size_t receive(Instant now, std::span<uint8_t> buf, Outbox& out);
  // CLOSE: "I have no more to send" (the receiving side stays open).
  absl::Status close(Instant now, Outbox& out);
  // ABORT: RST to the peer when synchronized, then CLOSED.
  void abort(Instant now, Outbox& out);

  // ---- Events ----
  void on_segment(Instant now, const Segment& seg, Outbox& out);
  // Fires every timer due at `now`.
  void on_timer(Instant now, Outbox& out);
  // The earliest armed timer, if any; without `idle_probes`, keep-alive aside
  // (a connection whose only timer is that one is idle).
  std::optional<Instant> next_deadline(bool idle_probes = true) const {
    return timers_.earliest(idle_probes);
  }

  // ---- Status (RFC 9293 3.10.6) ----
  ConnId id() const { return id_; }
  State state() const { return state_; }
  const FourTuple& tuple() const { return tuple_; }
  bool passive() const { return passive_; }
  CloseReason close_reason() const { return close_reason_; }
  bool peer_fin_received() const { return kRemoteFinStates.contains(state_) || eof_; }
  size_t readable() const { return recv_.readable(); }
  // Octets received ahead of a gap (or on a SYN, before ESTABLISHED), not yet
  // readable.
  size_t held() const { return recv_.held().held_bytes(); }
  size_t send_queued() const { return send_buf_.size(); }
  size_t send_space() const { return send_buf_.free_space(); }
  std::optional<Instant> timer(TimerKind k) const { return timers_.get(k); }
  TcbSnapshot snapshot() const;
  // Bytes of heap this TCB holds (for memory accounting).
  size_t allocated_bytes() const { return send_buf_.allocated() + recv_.allocated(); }
  SeqNum rcv_nxt() const { return rcv_nxt_; }
  // RFC 1122 4.2.2.13 (1): a new incarnation's ISS must lie beyond every number
  // the previous one used; a listener's child chooses its ISS above this floor.
  void set_iss_floor(SeqNum floor) { iss_floor_ = floor; }
  // RFC 1122 4.2.2.13: a new SYN takes over this 4-tuple while in TIME-WAIT.
  void end_time_wait_for_new_incarnation(Instant now);
  // Per-socket options (TCP_NODELAY, SO_KEEPALIVE); Config gives the defaults.
  void set_nodelay(bool on) { nodelay_ = on; }
  void set_keepalive(Instant now, bool on);
  bool nodelay() const { return nodelay_; }
  bool keepalive() const { return keepalive_; }
  // Discard data that arrives from now on (the app closed its socket).
  void discard_input() {
    discard_input_ = true;
    recv_.discard_readable();
  }

  // The TCB's own consistency, checkable after any event (RFC 9293 3.3.1's
  // variables and the timers that go with them): SND.UNA =< SND.NXT =< the
  // highest number sent, in serial order; the send buffer spans exactly the
  // unacknowledged and unsent octets; the retransmission timer is armed iff
  // something is outstanding; the TIME-WAIT timer iff in TIME-WAIT; the receive
  // window fits the free buffer space and every held octet lies inside it.
  absl::Status check_invariants() const;

 private:
  // Segment arrival, by state (RFC 9293 3.10.7.2 - 3.10.7.4).
  void on_segment_listen(Instant now, const Segment& seg, Outbox& out);
  void on_segment_syn_sent(Instant now, const Segment& seg, Outbox& out);
  void on_segment_synchronized(Instant now, const Segment& seg, Outbox& out);

  // The named steps of 3.10.7.4 "Otherwise". Each returns false when the segment
  // has been fully dealt with and processing stops.
  bool check_sequence(Instant now, const Segment& seg, bool& text_allowed, Outbox& out);
  bool check_rst(Instant now, const Segment& seg, Outbox& out);
  bool check_syn(Instant now, const Segment& seg, Outbox& out);
  bool check_timestamps(Instant now, const Segment& seg, Outbox& out);
  bool check_ack(Instant now, const Segment& seg, Outbox& out);
  void process_text(Instant now, const Segment& seg, bool text_allowed, bool& fin_in_order,
                    bool& need_ack);
  // Stores the octets of [seq, seq + data.size()) and a FIN right after them
  // (if `fin`) as held; the caller has trimmed both to the window.
  void hold_text(SeqNum seq, std::span<const uint8_t> data, bool fin);
  // Moves what is held contiguously from RCV.NXT into the readable stream;
  // returns true if RCV.NXT now stands at a held FIN.
  bool deliver_held(bool& need_ack);
  // LISTEN or SYN-SENT: the text (and FIN) on the peer's SYN, queued until
  // ESTABLISHED (RFC 9293 3.10.7.2 and 3.10.7.3).
  void queue_syn_text(const Segment& seg);
  absl::Status check_send_invariants() const;
  absl::Status check_timer_invariants() const;
  absl::Status check_receive_invariants() const;
  void process_fin(Instant now, bool& need_ack);

  // The ACK processing shared by the synchronized states (ESTABLISHED's rules).
  void apply_ack(Instant now, const Segment& seg, Outbox& out);
  // RFC 5681 2: SEG.ACK equals SND.UNA with data outstanding, and the segment
  // carries no data, no SYN or FIN, and leaves the window as it was.
  bool is_duplicate_ack(const Segment& seg) const;
  // Congestion control: started once our SYN is acknowledged; the octets it
  // lets be outstanding (unlimited when Config turns it off).
  void start_congestion_control();
  uint32_t congestion_window() const;
  // Fast retransmit and NewReno's partial ACKs: the segment at SND.UNA again,
  // SND.NXT left where it is.
  void retransmit_first(Instant now, Outbox& out);
  // Sends again up to `max_len` octets (and the FIN if it follows them) from
  // `seq`, SND.NXT left where it is; returns the sequence space it covered.
  uint32_t resend(Instant now, SeqNum seq, uint32_t max_len, Outbox& out);
  // RFC 6675 with the peer's SACK blocks: during recovery, retransmit the holes
  // below the highest SACKed octet, not yet retransmitted, while the estimated
  // pipe leaves room in ssthresh (the window RFC 6675 5 recovers with).
  void retransmit_holes(Instant now, Outbox& out);
  void rescue_retransmit(Instant now, uint32_t pipe, Outbox& out);
  bool sack_recovery() const { return sack_ok_ && !scoreboard_.empty(); }
  void update_send_window(const Segment& seg);
  void enter_time_wait(Instant now, Cause cause);
  // RST received or retries exhausted: report, then CLOSED (or back to LISTEN).
  void drop_connection(Instant now, Cause cause, CloseReason reason, UserEvent event);

  // Output.
  void output(Instant now, Outbox& out);
  void send_ack(Instant now, Outbox& out);
  void send_invalid_reply_ack(Instant now, const Segment& seg, Outbox& out);
  void send_syn(Instant now, bool with_ack, Outbox& out);
  void send_data_segment(Instant now, SeqNum seq, size_t len, bool fin, Outbox& out);
  void emit(Instant now, Segment&& seg, Outbox& out);
  uint16_t advertise_window(bool syn);
  // The octets the next segment would offer past RCV.NXT: the free buffer space,
  // as far as the Window field (scaled or not) can describe it.
  uint32_t window_offer() const;
  // The buffer space a window may offer now.
  uint32_t window_room() const;
  // RFC 7323 2.2: the peer's SYN decides, with our Config, whether windows are
  // scaled on this connection; called when it arrives (LISTEN or SYN-SENT).
  void negotiate_window_scale(const Segment& peer_syn);
  // RFC 7323 3.2: likewise for Timestamps; TS.Recent starts from the SYN's TSval.
  void negotiate_timestamps(Instant now, const Segment& peer_syn);
  // RFC 7323 4.1: an RTT sample from the TSecr of an ACK of new data, if it
  // carries one; returns whether it did.
  bool rtt_sample_from_echo(Instant now, const Segment& seg);
  // RFC 7323 2.2: the shift our SYN offers (Config::window_scale_buffer).
  uint8_t offered_window_shift() const;
  // The payload octets one segment may carry: the MSS less our options.
  uint32_t send_mss() const;
  // RFC 2018 4: the SACK blocks our next ACK reports, most recent first.
  absl::InlinedVector<SackBlock, 4> sack_blocks() const;
  // The segment starting at `seq` arrived past a gap: its block goes first.
  void note_sack(SeqNum seq);

  // RFC 1122 4.2.3.2: whether this segment's ACK may wait for a second one.
  bool may_delay_ack(const Segment& seg, uint32_t delivered, bool fin_in_order) const;
  // Acknowledges now, or arms the delayed-ACK timer (every second segment at once).
  void acknowledge(Instant now, bool delayable, Outbox& out);
  // RFC 1122 4.2.3.6: the keep-alive timer runs while the option is on, the
  // connection ESTABLISHED or CLOSE-WAIT, and nothing is outstanding.
  bool keepalive_wanted() const;
  void update_keepalive_timer(Instant now);
  void on_keepalive_timeout(Instant now, Outbox& out);

  // Timers.
  void on_retransmit_timeout(Instant now, Outbox& out);
  void on_persist_timeout(Instant now, Outbox& out);
  void set_timer(TimerKind k, Instant deadline, Instant now);
  void cancel_timer(TimerKind k, Instant now);
  void restart_retransmit_timer(Instant now);
  void rtt_sample(Duration rtt);
  void reset_rto_after_syn_timeout();

  void transition(State to, Cause cause, Instant now);
  void user_event(UserEvent e, Instant now);
  void step_end(Instant now);

  // Sequence-space landmarks.
  // The first data byte follows the SYN; data_end() is just past the last byte queued.
  SeqNum data_end() const { return buf_seq_ + SeqLen(static_cast<uint32_t>(send_buf_.size())); }
  // Our FIN's sequence number, once the app has closed.
  SeqNum fin_seq() const { return data_end(); }
  bool syn_acked() const { return seq_gt(snd_una_, iss_); }
  bool fin_sent() const { return fin_queued_ && seq_gt(snd_max_, fin_seq()); }
  bool fin_acked() const { return fin_queued_ && snd_una_ == fin_seq() + SeqLen(1); }
  uint32_t rcv_wnd() const { return distance(rcv_nxt_, rcv_adv_).raw; }
  uint16_t effective_mss() const;

  Env env_;
  const Config& cfg_;
  ConnId id_;
  FourTuple tuple_;

  State state_ = State::kClosed;
  bool passive_ = false;  // opened from LISTEN (returns there on RST in SYN-RECEIVED)
  CloseReason close_reason_ = CloseReason::kNone;
  bool eof_ = false;  // peer FIN reached the app's stream
  bool discard_input_ = false;

  // Send sequence space (RFC 9293 3.3.1, Figure 3). snd_max_ is the highest
  // sequence number sent; SND.NXT falls back to SND.UNA on a timeout.
  SeqNum iss_, snd_una_, snd_nxt_, snd_max_;
  uint32_t snd_wnd_ = 0;
  uint32_t max_snd_wnd_ = 0;  // RFC 5961 5.2 MAX.SND.WND
  SeqNum snd_wl1_, snd_wl2_;
  bool fin_queued_ = false;
  uint16_t peer_mss_ = 0;
  // RFC 7323: both SYNs carried Window Scale. snd_wscale_ scales the windows the
  // peer sends (Snd.Wind.Shift), rcv_wscale_ ours (Rcv.Wind.Shift); 0 without.
  bool wscale_ok_ = false;
  uint8_t snd_wscale_ = 0;
  uint8_t rcv_wscale_ = 0;
  // RFC 7323 3-5: both SYNs carried Timestamps. TS.Recent is the peer's TSval to
  // echo, Last.ACK.sent the last acknowledgment number we sent.
  bool ts_ok_ = false;
  uint32_t ts_offset_ = 0;
  TsVal ts_recent_;
  Instant ts_recent_at_;
  SeqNum last_ack_sent_;
  // RFC 2018: both SYNs carried SACK-permitted. sack_recent_ holds the first
  // octet of the latest segments that arrived past a gap, newest first: each
  // stands for the held range around it.
  bool sack_ok_ = false;
  std::array<SeqNum, 4> sack_recent_{};
  uint8_t sack_recent_n_ = 0;

  // Receive sequence space (Figure 4). rcv_adv_ is the furthest right edge we
  // advertised: RCV.WND = rcv_adv_ - RCV.NXT, and the edge never moves left
  // (3.8.6; with scaling, RFC 7323 2.4's "actual maximum window sequence number").
  SeqNum irs_, rcv_nxt_, rcv_adv_;
  bool have_irs_ = false;  // the peer's SYN has been received
  std::optional<SeqNum> iss_floor_;
  bool syn_timed_out_ = false;  // RFC 6298 (5.7)
  std::optional<Instant> last_invalid_ack_;  // rate limit of ACKs to invalid segments

  ByteRing send_buf_;  // unacknowledged and unsent data (SYN and FIN take no bytes)
  SeqNum buf_seq_;     // the sequence number of send_buf_'s first byte
  RecvBuffer recv_;    // in-order bytes not yet read, and those held past a gap
  // The peer's FIN, received ahead of RCV.NXT (out of order, or on a SYN before
  // ESTABLISHED): processed when RCV.NXT reaches it.
  std::optional<SeqNum> held_fin_;

  // RFC 5681 congestion control, started when our SYN is acknowledged.
  NewReno cc_;
  bool cc_started_ = false;
  // RFC 6675: what the peer SACKed, and HighRxt, just past the highest octet
  // retransmitted in the current recovery.
  SackScoreboard scoreboard_;
  SeqNum high_rxt_;
  // RFC 6675 RecoveryPoint (SND.MAX when this recovery began) and RescueRxt
  // (where the one rescue retransmission of a recovery stands; none yet).
  SeqNum recovery_point_;
  std::optional<SeqNum> rescue_rxt_;
  Instant last_data_sent_;  // RFC 5681 4.1: the restart window after idle

  // RFC 6298 state. One segment at a time is timed; Karn's rule clears it on
  // retransmission.
  Duration rto_;
  std::optional<Duration> srtt_;
  Duration rttvar_;
  std::optional<SeqNum> timed_seq_;  // an ACK beyond this completes the sample
  Instant timed_at_;
  int retries_ = 0;          // consecutive retransmission timeouts
  Duration persist_backoff_;

  TimerSet timers_;

  // Delayed ACK and Nagle (RFC 1122 4.2.3.2, 4.2.3.4).
  uint8_t segments_unacked_ = 0;  // in-order data segments whose ACK is held
  bool nodelay_;
  // Keep-alive (RFC 1122 4.2.3.6): when the peer was last heard from, and
  // probes sent since.
  bool keepalive_;
  Instant last_heard_;
  int keepalive_probes_sent_ = 0;

  std::vector<uint8_t> scratch_;  // reused for segment payloads
};

}  // namespace synfin
