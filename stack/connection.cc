#include "stack/connection.h"

#include <algorithm>

#include "stack/codec.h"
#include "stack/rfc9293.h"
#include "stack/window_scale.h"

namespace synfin {

const char* to_string(CloseReason r) {
  switch (r) {
    case CloseReason::kNone: return "none";
    case CloseReason::kNormal: return "normal";
    case CloseReason::kRefused: return "refused";
    case CloseReason::kReset: return "reset";
    case CloseReason::kTimedOut: return "timed-out";
    case CloseReason::kAborted: return "aborted";
  }
  return "invalid";
}

Connection::Connection(const Env& env, ConnId id, const FourTuple& tuple)
    : env_(env),
      cfg_(*env.config),
      id_(id),
      tuple_(tuple),
      send_buf_(env.config->send_buffer),
      recv_(env.config->recv_buffer, env.config->reassembly_max_ranges),
      rto_(env.config->rto_initial),
      nodelay_(!env.config->nagle),
      keepalive_(env.config->keepalive) {}

// ---------------------------------------------------------------------------
// Bookkeeping shared by every path.

TcbSnapshot Connection::snapshot() const {
  TcbSnapshot s;
  s.state = state_;
  s.iss = iss_;
  s.irs = irs_;
  s.snd_una = snd_una_;
  s.snd_nxt = snd_nxt_;
  s.snd_max = snd_max_;
  s.snd_wnd = snd_wnd_;
  s.snd_wl1 = snd_wl1_;
  s.snd_wl2 = snd_wl2_;
  s.rcv_nxt = rcv_nxt_;
  s.rcv_wnd = have_irs_ ? rcv_wnd() : 0;
  s.send_queued = static_cast<uint32_t>(send_buf_.size());
  s.recv_queued = static_cast<uint32_t>(recv_.readable());
  s.fin_queued = fin_queued_;
  s.rto = rto_;
  s.retries = retries_;
  return s;
}

void Connection::transition(State to, Cause cause, Instant now) {
  const State from = state_;
  state_ = to;
  if (env_.observer) env_.observer->on_transition(id_, from, to, cause, now);
}

void Connection::user_event(UserEvent e, Instant now) {
  if (env_.observer) env_.observer->on_user_event(id_, e, now);
}

void Connection::step_end(Instant now) {
  update_keepalive_timer(now);
  if (!env_.observer) return;
  env_.observer->on_step_end(id_, snapshot(), now);
  if (cfg_.check_invariants) {
    if (absl::Status st = check_invariants(); !st.ok()) {
      env_.observer->on_invariant_violation(id_, st, now);
    }
  }
}

void Connection::set_timer(TimerKind k, Instant deadline, Instant now) {
  timers_.set(k, deadline);
  if (env_.observer) env_.observer->on_timer(id_, k, TimerAction::kSet, deadline, now);
}

void Connection::cancel_timer(TimerKind k, Instant now) {
  const std::optional<Instant> t = timers_.get(k);
  if (!t) return;
  const Instant was = *t;
  timers_.clear(k);
  if (env_.observer) env_.observer->on_timer(id_, k, TimerAction::kCancel, was, now);
}

uint16_t Connection::effective_mss() const {
  uint16_t peer = peer_mss_;
  if (peer == 0) {
    peer = tuple_.local_addr.family == IpFamily::kV4 ? cfg_.default_peer_mss_v4
                                                     : cfg_.default_peer_mss_v6;
  }
  return std::max<uint16_t>(1, std::min(peer, cfg_.mss));
}

uint32_t Connection::send_mss() const {
  // RFC 9293 3.7.1: the data a segment carries is the MSS less the TCP options
  // it also carries: the TSopt once negotiated, SACK blocks while octets are held.
  TcpOptions o;
  if (ts_ok_) o.timestamps = Timestamps{};
  o.sack = sack_blocks();
  const uint32_t opts = static_cast<uint32_t>(encoded_options_size(o));
  return effective_mss() > opts ? effective_mss() - opts : 1;
}

void Connection::note_sack(SeqNum seq) {
  // Most recent first; an older entry for the same octet moves up.
  uint8_t n = 0;
  std::array<SeqNum, 4> kept{};
  kept[n++] = seq;
  for (uint8_t i = 0; i < sack_recent_n_ && n < kept.size(); ++i) {
    if (sack_recent_[i] != seq) kept[n++] = sack_recent_[i];
  }
  sack_recent_ = kept;
  sack_recent_n_ = n;
}

absl::InlinedVector<SackBlock, 4> Connection::sack_blocks() const {
  absl::InlinedVector<SackBlock, 4> blocks;
  if (!sack_ok_ || recv_.held().empty()) return blocks;
  // 40 octets of options hold 4 blocks, 3 beside the TSopt (RFC 2018 3).
  const size_t max_blocks = ts_ok_ ? 3 : 4;
  // RFC 2018 4: "The first SACK block ... MUST specify the contiguous block of
  // data containing the segment which triggered this ACK, unless that segment
  // advanced the Acknowledgment Number" and "The SACK option SHOULD be filled out
  // by repeating the most recently reported SACK blocks ... that are not subsets
  // of a SACK block already included". A remembered octet no longer held (it was
  // delivered, or its range given up) stands for nothing.
  for (uint8_t i = 0; i < sack_recent_n_ && blocks.size() < max_blocks; ++i) {
    if (seq_lt(sack_recent_[i], rcv_nxt_)) continue;
    const uint32_t at = distance(rcv_nxt_, sack_recent_[i]).raw;
    for (const Reassembly::Range& r : recv_.held().ranges()) {
      if (at < r.begin || at >= r.end) continue;
      const SackBlock b{rcv_nxt_ + SeqLen(r.begin), rcv_nxt_ + SeqLen(r.end)};
      if (std::find(blocks.begin(), blocks.end(), b) == blocks.end()) blocks.push_back(b);
      break;
    }
  }
  return blocks;
}

// ---------------------------------------------------------------------------
// User calls.

absl::Status Connection::open_passive(Instant now) {
  if (state_ != State::kClosed) {
    return absl::FailedPreconditionError("error: connection already exists");
  }
  passive_ = true;
  transition(State::kListen, Cause::kUserListen, now);
  step_end(now);
  return absl::OkStatus();
}

void Connection::become_listening_child(Instant now) {
  // The child stands for the listener's LISTEN TCB of RFC 9293, which a SYN turns
  // into SYN-RECEIVED while the application's listener keeps listening.
  state_ = State::kListen;
  passive_ = true;
}

absl::Status Connection::open_active(Instant now, const IpAddr& remote_addr,
                                     uint16_t remote_port, Outbox& out) {
  Cause cause;
  if (state_ == State::kClosed) {
    cause = Cause::kUserConnect;
  } else if (state_ == State::kListen) {
    // RFC 9293 3.10.2: SEND in LISTEN with the foreign socket now specified
    // "change[s] the connection from passive to active, select an ISS. Send a
    // SYN segment, set SND.UNA to ISS, SND.NXT to ISS+1. Enter SYN-SENT state."
    cause = Cause::kUserSend;
  } else {
    return absl::FailedPreconditionError("error: connection already exists");
  }
  passive_ = false;
  tuple_.remote_addr = remote_addr;
  tuple_.remote_port = remote_port;
  iss_ = env_.isn->isn(tuple_, now);
  ts_offset_ = env_.isn->ts_offset(tuple_);
  snd_una_ = snd_nxt_ = snd_max_ = iss_;
  buf_seq_ = iss_ + SeqLen(1);
  transition(State::kSynSent, cause, now);
  output(now, out);
  step_end(now);
  return absl::OkStatus();
}

absl::StatusOr<size_t> Connection::send(Instant now, std::span<const uint8_t> data, Outbox& out) {
  switch (state_) {
    case State::kClosed:
      return absl::FailedPreconditionError("error: connection does not exist");
    case State::kListen:
      return absl::FailedPreconditionError("error: foreign socket unspecified");
    case State::kFinWait1:
    case State::kFinWait2:
    case State::kClosing:
    case State::kLastAck:
    case State::kTimeWait:
      user_event(UserEvent::kSendFailed, now);
      return absl::FailedPreconditionError("error: connection closing");
    case State::kSynSent:
    case State::kSynReceived:
    case State::kEstablished:
    case State::kCloseWait:
      break;
  }
  // RFC 9293 3.10.2: in SYN-SENT and SYN-RECEIVED the data is queued "for
  // transmission after entering ESTABLISHED state"; output() holds it back until
  // our SYN is acknowledged.
  const size_t taken = send_buf_.push(data);
  if (taken > 0 && env_.observer) env_.observer->on_send_accepted(id_, data.first(taken), now);
  output(now, out);
  step_end(now);
  return taken;
}

size_t Connection::receive(Instant now, std::span<uint8_t> buf, Outbox& out) {
  const size_t n = recv_.read(buf);
  if (n == 0) return 0;
  if (env_.observer) env_.observer->on_deliver(id_, buf.first(n), now);
  // Receiver-side silly window avoidance (RFC 9293 3.8.6.2.2): announce the freed
  // space only once the right edge can move by min(buffer/2, MSS).
  const bool can_receive = state_ == State::kEstablished || state_ == State::kFinWait1 ||
                           state_ == State::kFinWait2;
  if (can_receive) {
    const SeqNum new_edge = rcv_nxt_ + SeqLen(window_offer());
    const uint32_t threshold =
        std::min<uint32_t>(static_cast<uint32_t>(recv_.limit() / 2), effective_mss());
    if (seq_gt(new_edge, rcv_adv_) && distance(rcv_adv_, new_edge).raw >= threshold) {
      send_ack(now, out);
    }
  }
  step_end(now);
  return n;
}

absl::Status Connection::close(Instant now, Outbox& out) {
  switch (state_) {
    case State::kClosed:
      return absl::FailedPreconditionError("error: connection does not exist");
    case State::kListen:
      // "Any outstanding RECEIVEs are returned with 'error: closing' responses.
      // Delete TCB, enter CLOSED state, and return."
      transition(State::kClosed, Cause::kUserClose, now);
      close_reason_ = CloseReason::kNormal;
      break;
    case State::kSynSent:
      // "Delete the TCB and return 'error: closing' responses to any queued SENDs."
      for (int k = 0; k < kNumTimerKinds; ++k) cancel_timer(static_cast<TimerKind>(k), now);
      send_buf_.clear();
      transition(State::kClosed, Cause::kUserClose, now);
      close_reason_ = CloseReason::kNormal;
      break;
    case State::kSynReceived:
    case State::kEstablished:
      // "Queue this until all preceding SENDs have been segmentized, then form a FIN
      // segment and send it. In any case, enter FIN-WAIT-1 state." In SYN-RECEIVED
      // the FIN simply follows our SYN and any queued data in sequence space.
      fin_queued_ = true;
      transition(State::kFinWait1, Cause::kUserClose, now);
      output(now, out);
      break;
    case State::kCloseWait:
      // "Queue this request until all preceding SENDs have been segmentized; then
      // send a FIN segment, enter LAST-ACK state." The FIN is queued now and leaves
      // when the data before it has.
      fin_queued_ = true;
      transition(State::kLastAck, Cause::kUserClose, now);
      output(now, out);
      break;
    case State::kFinWait1:
    case State::kFinWait2:
    case State::kClosing:
    case State::kLastAck:
    case State::kTimeWait:
      user_event(UserEvent::kSendFailed, now);
      return absl::FailedPreconditionError("error: connection closing");
  }
  step_end(now);
  return absl::OkStatus();
}

void Connection::abort(Instant now, Outbox& out) {
  switch (state_) {
    case State::kClosed:
      return;
    case State::kSynReceived:
    case State::kEstablished:
    case State::kFinWait1:
    case State::kFinWait2:
    case State::kCloseWait:
      // RFC 9293 3.10.5: "Send a reset segment: <SEQ=SND.NXT><CTL=RST>".
      emit(now, make_reset(tuple_.local_port, tuple_.remote_port, snd_nxt_), out);
      break;
    case State::kListen:
    case State::kSynSent:
    case State::kClosing:
    case State::kLastAck:
    case State::kTimeWait:
      break;
  }
  for (int k = 0; k < kNumTimerKinds; ++k) cancel_timer(static_cast<TimerKind>(k), now);
  send_buf_.clear();
  recv_.clear();
  held_fin_.reset();
  close_reason_ = CloseReason::kAborted;
  transition(State::kClosed, Cause::kUserAbort, now);
  step_end(now);
}

void Connection::end_time_wait_for_new_incarnation(Instant now) {
  if (state_ != State::kTimeWait) return;
  cancel_timer(TimerKind::kTimeWait, now);
  transition(State::kClosed, Cause::kNewIncarnation, now);
  step_end(now);
}

// ---------------------------------------------------------------------------
// Segment arrival (RFC 9293 3.10.7).

void Connection::on_segment(Instant now, const Segment& seg, Outbox& out) {
  if (env_.observer) env_.observer->on_segment_in(id_, tuple_, seg, snapshot(), now);
  // RFC 1122 4.2.3.6: any segment from the peer shows it is still there.
  last_heard_ = now;
  keepalive_probes_sent_ = 0;
  switch (state_) {
    case State::kClosed:
      // 3.10.7.1: a TCB in CLOSED is as good as none.
      if (auto rst = reset_for(seg)) emit(now, std::move(*rst), out);
      break;
    case State::kListen:
      on_segment_listen(now, seg, out);
      break;
    case State::kSynSent:
      on_segment_syn_sent(now, seg, out);
      break;
    case State::kSynReceived:
    case State::kEstablished:
    case State::kFinWait1:
    case State::kFinWait2:
    case State::kCloseWait:
    case State::kClosing:
    case State::kLastAck:
    case State::kTimeWait:
      on_segment_synchronized(now, seg, out);
      break;
  }
  step_end(now);
}

// 3.10.7.2 LISTEN.
void Connection::on_segment_listen(Instant now, const Segment& seg, Outbox& out) {
  // "First, check for a RST: An incoming RST segment could not be valid since it
  // could not have been sent in response to anything sent by this incarnation of
  // the connection. An incoming RST should be ignored."
  if (seg.flags.rst()) return;
  // "Second, check for an ACK: Any acknowledgment is bad if it arrives on a
  // connection still in the LISTEN state. An acceptable reset segment should be
  // formed for any arriving ACK-bearing segment. The RST should be formatted as
  // follows: <SEQ=SEG.ACK><CTL=RST>"
  if (seg.flags.ack()) {
    emit(now, make_reset(tuple_.local_port, tuple_.remote_port, seg.ack), out);
    return;
  }
  // "Third, check for a SYN": SYN+FIN has no legitimate use; see Config.
  if (!seg.flags.syn() || (seg.flags.fin() && cfg_.drop_syn_fin)) return;
  // "set RCV.NXT to SEG.SEQ+1, IRS is set to SEG.SEQ, and any other control or
  // text should be queued for processing later. ISS should be selected and a SYN
  // segment sent of the form: <SEQ=ISS><ACK=RCV.NXT><CTL=SYN,ACK>. SND.NXT is set
  // to ISS+1 and SND.UNA to ISS. The connection state should be changed to
  // SYN-RECEIVED."
  irs_ = seg.seq;
  rcv_nxt_ = seg.seq + SeqLen(1);
  have_irs_ = true;
  negotiate_window_scale(seg);
  negotiate_timestamps(now, seg);
  ts_offset_ = env_.isn->ts_offset(tuple_);
  // The window the SYN-ACK will offer, unscaled as in every SYN (RFC 7323 2.2).
  rcv_adv_ = rcv_nxt_ + SeqLen(window_field(static_cast<uint32_t>(recv_.free_space()), 0));
  queue_syn_text(seg);
  if (seg.options.mss && *seg.options.mss != 0) peer_mss_ = *seg.options.mss;
  iss_ = env_.isn->isn(tuple_, now);
  // A new incarnation from TIME-WAIT starts a full window beyond the old one's
  // numbers, so its old duplicates cannot land in the new sequence space.
  if (iss_floor_ && !seq_gt(iss_, *iss_floor_)) iss_ = *iss_floor_ + SeqLen(65536);
  snd_una_ = snd_nxt_ = snd_max_ = iss_;
  buf_seq_ = iss_ + SeqLen(1);
  transition(State::kSynReceived, Cause::kRecvSyn, now);
  output(now, out);
}

// 3.10.7.3 SYN-SENT.
void Connection::on_segment_syn_sent(Instant now, const Segment& seg, Outbox& out) {
  // "First, check the ACK bit: If the ACK bit is set, If SEG.ACK =< ISS or SEG.ACK >
  // SND.NXT, send a reset (unless the RST bit is set, if so drop the segment and
  // return) <SEQ=SEG.ACK><CTL=RST> and discard the segment."
  bool ack_acceptable = false;
  if (seg.flags.ack()) {
    if (seq_leq(seg.ack, iss_) || seq_gt(seg.ack, snd_max_)) {
      if (!seg.flags.rst()) emit(now, make_reset(tuple_.local_port, tuple_.remote_port, seg.ack), out);
      return;
    }
    // "If SND.UNA < SEG.ACK =< SND.NXT, then the ACK is acceptable."
    ack_acceptable = seq_lt(snd_una_, seg.ack);
  }
  // "Second, check the RST bit: If the ACK was acceptable, then signal to the user
  // 'error: connection reset', drop the segment, enter CLOSED state, delete TCB,
  // and return. Otherwise (no ACK), drop the segment and return."
  if (seg.flags.rst()) {
    if (ack_acceptable) {
      drop_connection(now, Cause::kRecvRst, CloseReason::kRefused, UserEvent::kRefused);
    }
    return;
  }
  // "Fourth, check the SYN bit" (reached only if the ACK is OK or there is none).
  if (!seg.flags.syn() || (seg.flags.fin() && cfg_.drop_syn_fin)) return;
  // "RCV.NXT is set to SEG.SEQ+1, IRS is set to SEG.SEQ. SND.UNA should be advanced
  // to equal SEG.ACK (if there is an ACK)."
  irs_ = seg.seq;
  rcv_nxt_ = seg.seq + SeqLen(1);
  have_irs_ = true;
  // The edge our SYN offered (its window is never scaled, RFC 7323 2.2).
  rcv_adv_ = rcv_nxt_ + SeqLen(window_field(static_cast<uint32_t>(recv_.free_space()), 0));
  if (seg.options.mss && *seg.options.mss != 0) peer_mss_ = *seg.options.mss;
  negotiate_window_scale(seg);
  negotiate_timestamps(now, seg);
  // "The window field in a SYN (i.e., a <SYN> or <SYN,ACK>) segment itself is
  // never scaled" (RFC 7323 2.2).
  snd_wnd_ = seg.window;
  max_snd_wnd_ = std::max(max_snd_wnd_, snd_wnd_);
  snd_wl1_ = seg.seq;
  snd_wl2_ = seg.ack;
  if (ack_acceptable) {
    if (!rtt_sample_from_echo(now, seg) && timed_seq_ && seq_geq(seg.ack, *timed_seq_)) {
      rtt_sample(now - timed_at_);
    }
    timed_seq_.reset();
    snd_una_ = seg.ack;
    retries_ = 0;
    cancel_timer(TimerKind::kRetransmit, now);
  }
  if (syn_acked()) {
    // "If SND.UNA > ISS (our SYN has been ACKed), change the connection state to
    // ESTABLISHED, form an ACK segment <SEQ=SND.NXT><ACK=RCV.NXT><CTL=ACK> and send
    // it. Data or controls that were queued for transmission MAY be included. If
    // there are other controls or text in the segment, then continue processing at
    // the sixth step below where the URG bit is checked."
    transition(State::kEstablished, Cause::kRecvSynAck, now);
    user_event(UserEvent::kConnected, now);
    reset_rto_after_syn_timeout();
    bool need_ack = true;
    bool fin_in_order = false;
    process_text(now, seg, /*text_allowed=*/true, fin_in_order, need_ack);
    if (fin_in_order) process_fin(now, need_ack);
    const size_t before = out.size();
    output(now, out);
    if (out.size() == before) send_ack(now, out);
    return;
  }
  // "Otherwise, enter SYN-RECEIVED, form a SYN,ACK segment <SEQ=ISS><ACK=RCV.NXT>
  // <CTL=SYN,ACK> and send it. Set the variables: SND.WND <- SEG.WND ... If there
  // are other controls or text in the segment, queue them for processing after
  // the ESTABLISHED state has been reached, return." (simultaneous open)
  queue_syn_text(seg);
  transition(State::kSynReceived, Cause::kRecvSyn, now);
  timed_seq_.reset();  // Karn: our SYN goes out again
  snd_nxt_ = iss_;
  output(now, out);
}

// 3.10.7.4 Other states.
void Connection::on_segment_synchronized(Instant now, const Segment& seg, Outbox& out) {
  bool text_allowed = true;
  if (!check_sequence(now, seg, text_allowed, out)) return;  // first
  if (!check_rst(now, seg, out)) return;                     // second
  // Third, security: synfin does not implement RFC 9293's security compartments.
  if (!check_syn(now, seg, out)) return;  // fourth
  // RFC 7323 5.3 PAWS, where FreeBSD has it: after the RST and SYN checks,
  // before the ACK and the text.
  if (!check_timestamps(now, seg, out)) return;
  if (!check_ack(now, seg, out)) return;  // fifth
  // Sixth, the URG bit: synfin delivers urgent data inline and does not signal
  // it (RFC 6093 recommends applications not use it).
  bool need_ack = false;
  bool fin_in_order = false;
  const SeqNum rcv_before = rcv_nxt_;
  process_text(now, seg, text_allowed, fin_in_order, need_ack);  // seventh
  if (fin_in_order) process_fin(now, need_ack);                 // eighth
  // An ACK of our FIN that arrived with a FIN we could not take yet still ends
  // FIN-WAIT-1 (check_ack held the move back in case the FIN took us further).
  if (state_ == State::kFinWait1 && fin_acked()) {
    transition(State::kFinWait2, Cause::kRecvAck, now);
  }
  const size_t before = out.size();
  output(now, out);
  if (need_ack && out.size() == before) {
    acknowledge(now, may_delay_ack(seg, distance(rcv_before, rcv_nxt_).raw, fin_in_order), out);
  }
}

bool Connection::may_delay_ack(const Segment& seg, uint32_t delivered, bool fin_in_order) const {
  // RFC 5681 4.2: "an ACK SHOULD be generated for at least every second
  // full-sized segment"; "A TCP receiver SHOULD send an immediate duplicate ACK
  // when an out-of-order segment arrives" and "an immediate ACK when the incoming
  // segment fills in all or part of a gap". So only a segment whose own text,
  // all of it new, moved RCV.NXT with nothing held past a gap may wait; a FIN
  // never does.
  return cfg_.delayed_ack && !fin_in_order && !seg.flags.syn() && !seg.flags.fin() &&
         !seg.payload.empty() && delivered == seg.payload.size() && recv_.held().empty() &&
         (State::kEstablished | State::kFinWait1 | State::kFinWait2).contains(state_);
}

void Connection::acknowledge(Instant now, bool delayable, Outbox& out) {
  // RFC 1122 4.2.3.2: "in a stream of full-sized segments there SHOULD be an ACK
  // for at least every second segment", and the delay "MUST be less than 0.5
  // seconds" (Config::delayed_ack_timeout). Anything we send clears the count.
  if (delayable && ++segments_unacked_ < 2) {
    if (!timer(TimerKind::kDelayedAck)) {
      set_timer(TimerKind::kDelayedAck, now + cfg_.delayed_ack_timeout, now);
    }
    return;
  }
  send_ack(now, out);
}

bool Connection::check_sequence(Instant now, const Segment& seg, bool& text_allowed,
                                Outbox& out) {
  // TIME-WAIT: "The only thing that can arrive in this state is a retransmission
  // of the remote FIN. Acknowledge it, and restart the 2 MSL timeout." Such a FIN
  // lies just left of the window, so the acceptability test below would only
  // acknowledge it; it is recognised first so the timer restarts (RFC 9293
  // 3.10.7.4 fifth check, TIME-WAIT, and 3.6.1).
  if (state_ == State::kTimeWait && seg.flags.fin() && !seg.flags.rst() && !seg.flags.syn() &&
      seg.seq_end() == rcv_nxt_) {
    set_timer(TimerKind::kTimeWait, now + cfg_.msl * 2, now);
    send_ack(now, out);
    return false;
  }
  // SYN-RECEIVED: a duplicate of the SYN we answered means our SYN-ACK may have
  // been lost; send it again (as FreeBSD's syncache does) rather than the bare
  // ACK the acceptability test would produce.
  if (state_ == State::kSynReceived && seg.flags.syn() && !seg.flags.ack() &&
      !seg.flags.rst() && seg.seq == irs_) {
    timed_seq_.reset();  // Karn
    snd_nxt_ = iss_;
    output(now, out);
    return false;
  }
  const uint32_t wnd = rcv_wnd();
  if (segment_acceptable(seg.seq, seg.seg_len(), rcv_nxt_, SeqLen(wnd))) return true;
  // "If the RCV.WND is zero, no segments will be acceptable, but special allowance
  // should be made to accept valid ACKs, URGs, and RSTs." The text is not taken.
  if (wnd == 0 && seg.seq == rcv_nxt_) {
    text_allowed = false;
    return true;
  }
  // "If an incoming segment is not acceptable, an acknowledgment should be sent in
  // reply (unless the RST bit is set, if so drop the segment and return):
  // <SEQ=SND.NXT><ACK=RCV.NXT><CTL=ACK>"
  if (!seg.flags.rst()) send_invalid_reply_ack(now, seg, out);
  return false;
}

bool Connection::check_rst(Instant now, const Segment& seg, Outbox& out) {
  if (!seg.flags.rst()) return true;
  // RFC 1337: ignore RST in TIME-WAIT, so a stray RST cannot cut the 2*MSL wait
  // short (hazard H1, "TIME-WAIT assassination").
  if (state_ == State::kTimeWait && cfg_.rfc1337) return false;
  // RFC 5961 3.2: "If the RST bit is set and the sequence number does not exactly
  // match the next expected sequence value, yet is within the current receive
  // window, TCP endpoints MUST send an acknowledgment (challenge ACK)".
  if (cfg_.rfc5961_rst && seg.seq != rcv_nxt_) {
    send_invalid_reply_ack(now, seg, out);
    return false;
  }
  switch (state_) {
    case State::kSynReceived:
      // "If this connection was initiated with a passive OPEN (i.e., came from the
      // LISTEN state), then return this connection to LISTEN state and return. ...
      // If this connection was initiated with an active OPEN (i.e., came from
      // SYN-SENT state), then the connection was refused; signal the user
      // 'connection refused'."
      if (passive_) {
        for (int k = 0; k < kNumTimerKinds; ++k) cancel_timer(static_cast<TimerKind>(k), now);
        send_buf_.clear();
        recv_.clear();
        held_fin_.reset();
        transition(State::kListen, Cause::kRecvRst, now);
      } else {
        drop_connection(now, Cause::kRecvRst, CloseReason::kRefused, UserEvent::kRefused);
      }
      break;
    case State::kEstablished:
    case State::kFinWait1:
    case State::kFinWait2:
    case State::kCloseWait:
      // "any outstanding RECEIVEs and SEND should receive 'reset' responses. All
      // segment queues should be flushed. Users should also receive an unsolicited
      // general 'connection reset' signal. Enter the CLOSED state, delete the TCB."
      drop_connection(now, Cause::kRecvRst, CloseReason::kReset, UserEvent::kReset);
      break;
    case State::kClosing:
    case State::kLastAck:
    case State::kTimeWait:
      // "If the RST bit is set, then enter the CLOSED state, delete the TCB, and
      // return." The user, who has already closed, gets no 'reset' signal.
      for (int k = 0; k < kNumTimerKinds; ++k) cancel_timer(static_cast<TimerKind>(k), now);
      send_buf_.clear();
      recv_.clear();
      held_fin_.reset();
      // In TIME-WAIT both directions had already closed in order.
      if (state_ != State::kTimeWait) close_reason_ = CloseReason::kReset;
      transition(State::kClosed, Cause::kRecvRst, now);
      break;
    case State::kClosed:
    case State::kListen:
    case State::kSynSent:
      break;  // not synchronized: handled elsewhere
  }
  return false;
}

bool Connection::check_syn(Instant now, const Segment& seg, Outbox& out) {
  if (!seg.flags.syn()) return true;
  // "SYN-RECEIVED STATE: If the connection was initiated with a passive OPEN, then
  // return this connection to the LISTEN state and return."
  if (state_ == State::kSynReceived && passive_) {
    for (int k = 0; k < kNumTimerKinds; ++k) cancel_timer(static_cast<TimerKind>(k), now);
    send_buf_.clear();
    recv_.clear();
    held_fin_.reset();
    transition(State::kListen, Cause::kRecvSynInWindow, now);
    return false;
  }
  // RFC 5961 4.2: "If the SYN bit is set, irrespective of the sequence number, TCP
  // endpoints MUST send a 'challenge ACK' to the remote peer ... After sending the
  // acknowledgment, TCP implementations MUST drop the unacceptable segment".
  if (cfg_.rfc5961_syn) {
    send_invalid_reply_ack(now, seg, out);
    return false;
  }
  // RFC 793 behaviour: "If the SYN is in the window it is an error, send a reset,
  // ... enter the CLOSED state, delete the TCB, and return." The reset takes the
  // form that answers the SYN (3.10.7.1), so a peer that restarted accepts it.
  if (auto rst = reset_for(seg)) emit(now, std::move(*rst), out);
  drop_connection(now, Cause::kRecvSynInWindow, CloseReason::kReset, UserEvent::kReset);
  return false;
}

bool Connection::check_timestamps(Instant now, const Segment& seg, Outbox& out) {
  if (!ts_ok_ || seg.flags.rst()) return true;  // a RST is judged without TSopt (5.3)
  // RFC 7323 3.2: "If a non-<RST> segment is received without a TSopt, a TCP
  // SHOULD silently drop the segment." (Config::timestamps_required; otherwise
  // it is processed without the PAWS test, as Linux does.)
  if (!seg.options.timestamps) return !cfg_.timestamps_required;
  const TsVal val{seg.options.timestamps->val};
  const bool recent_valid = now - ts_recent_at_ < kTsRecentLifetime;
  // RFC 7323 5.3 R1: "If there is a Timestamps option in the arriving segment,
  // SEG.TSval < TS.Recent, TS.Recent is valid (see later discussion), and if the
  // RST bit is not set, then treat the arriving segment as not acceptable: Send
  // an acknowledgment in reply as specified in [RFC793], page 69 and drop the
  // segment."
  if (recent_valid && ts_lt(val, ts_recent_)) {
    send_invalid_reply_ack(now, seg, out);
    return false;
  }
  // R3 / 4.3 (2): "If SEG.TSval >= TS.Recent and SEG.SEQ <= Last.ACK.sent, then
  // SEG.TSval is copied to TS.Recent". An invalid TS.Recent (idle beyond 24
  // days, 5.5) is replaced by whatever comes.
  if (seq_leq(seg.seq, last_ack_sent_)) {
    ts_recent_ = val;
    ts_recent_at_ = now;
  }
  return true;
}

bool Connection::check_ack(Instant now, const Segment& seg, Outbox& out) {
  // "if the ACK bit is off, drop the segment and return"
  if (!seg.flags.ack()) return false;

  if (!syn_acked()) {
    // SYN-RECEIVED (or FIN-WAIT-1 entered from it): "If SND.UNA < SEG.ACK =<
    // SND.NXT, then enter ESTABLISHED state and continue processing with the
    // variables below set to: SND.WND <- SEG.WND, SND.WL1 <- SEG.SEQ, SND.WL2 <-
    // SEG.ACK. If the segment acknowledgment is not acceptable, form a reset
    // segment <SEQ=SEG.ACK><CTL=RST> and send it."
    if (!(seq_lt(snd_una_, seg.ack) && seq_leq(seg.ack, snd_max_))) {
      emit(now, make_reset(tuple_.local_port, tuple_.remote_port, seg.ack), out);
      return false;
    }
    snd_wnd_ = uint32_t{seg.window} << snd_wscale_;
    max_snd_wnd_ = std::max(max_snd_wnd_, snd_wnd_);
    snd_wl1_ = seg.seq;
    snd_wl2_ = seg.ack;
    if (state_ == State::kSynReceived) {
      transition(State::kEstablished, Cause::kRecvAck, now);
      user_event(UserEvent::kConnected, now);
    }
    reset_rto_after_syn_timeout();
  }

  // ESTABLISHED: "If the ACK acks something not yet sent (SEG.ACK > SND.NXT), then
  // send an ACK, drop the segment, and return." (SND.NXT here is the highest
  // number sent: after a timeout SND.NXT falls back but the ACK may still be good.)
  if (seq_gt(seg.ack, snd_max_)) {
    send_invalid_reply_ack(now, seg, out);
    return false;
  }
  // RFC 5961 5.2: "the ACK value is considered acceptable only if it is in the
  // range of ((SND.UNA - MAX.SND.WND) =< SEG.ACK =< SND.NXT). All incoming segments
  // whose ACK value doesn't satisfy the above condition MUST be discarded and an
  // ACK sent back."
  if (cfg_.rfc5961_ack && seq_lt(seg.ack, snd_una_ - SeqLen(max_snd_wnd_))) {
    send_invalid_reply_ack(now, seg, out);
    return false;
  }
  apply_ack(now, seg, out);

  switch (state_) {
    case State::kFinWait1:
      // "if the FIN segment is now acknowledged, then enter FIN-WAIT-2". When this
      // segment also carries the peer's FIN the move waits for the eighth step,
      // which takes FIN-WAIT-1 straight to TIME-WAIT.
      if (fin_acked() && !seg.flags.fin()) transition(State::kFinWait2, Cause::kRecvAck, now);
      return true;
    case State::kClosing:
      // "if the ACK acknowledges our FIN, then enter the TIME-WAIT state; otherwise,
      // ignore the segment." Ignoring its text and FIN, that is: the ACK may still
      // have opened the window for data queued ahead of our FIN.
      if (fin_acked()) {
        enter_time_wait(now, Cause::kRecvAck);
      } else {
        output(now, out);
      }
      return false;
    case State::kLastAck:
      // "The only thing that can arrive in this state is an acknowledgment of our
      // FIN. If our FIN is now acknowledged, delete the TCB, enter the CLOSED state,
      // and return." Until then, data queued before the FIN goes out as the
      // window allows.
      if (fin_acked()) {
        for (int k = 0; k < kNumTimerKinds; ++k) cancel_timer(static_cast<TimerKind>(k), now);
        close_reason_ = CloseReason::kNormal;
        transition(State::kClosed, Cause::kRecvAck, now);
      } else {
        output(now, out);
      }
      return false;
    case State::kSynReceived:
    case State::kEstablished:
    case State::kFinWait2:
    case State::kCloseWait:
    case State::kTimeWait:
    case State::kClosed:
    case State::kListen:
    case State::kSynSent:
      return true;
  }
  return true;
}

bool Connection::is_duplicate_ack(const Segment& seg) const {
  // RFC 5681 2, DUPLICATE ACKNOWLEDGMENT: "(a) the receiver of the ACK has
  // outstanding data, (b) the incoming acknowledgment carries no data, (c) the
  // SYN and FIN bits are both off, (d) the acknowledgment number is equal to the
  // greatest acknowledgment received on the given connection (TCP.UNA from [RFC
  // 793]) and (e) the advertised window in the incoming acknowledgment equals
  // the advertised window in the last incoming acknowledgment."
  return snd_una_ != snd_max_ && seg.payload.empty() && !seg.flags.syn() && !seg.flags.fin() &&
         seg.ack == snd_una_ && (uint32_t{seg.window} << snd_wscale_) == snd_wnd_;
}

void Connection::start_congestion_control() {
  if (cc_started_) return;
  cc_started_ = true;
  // SMSS excludes the options (RFC 5681 2); the MSS both sides allow.
  const uint32_t smss = effective_mss();
  cc_.start(smss, initial_window(smss, cfg_.initial_window_segments));
}

uint32_t Connection::congestion_window() const {
  return cfg_.congestion_control && cc_started_ ? cc_.cwnd() : UINT32_MAX;
}

void Connection::retransmit_first(Instant now, Outbox& out) {
  // With SACK information, only up to the first SACKed octet.
  uint32_t max_len = send_mss();
  if (sack_recovery()) {
    if (auto hole = scoreboard_.next_hole(snd_una_); hole && hole->seq == snd_una_) {
      max_len = std::min(max_len, hole->len);
    }
  }
  const uint32_t covered = resend(now, snd_una_, max_len, out);
  high_rxt_ = snd_una_ + SeqLen(covered);
}

uint32_t Connection::resend(Instant now, SeqNum seq, uint32_t max_len, Outbox& out) {
  const SeqNum end = seq_lt(data_end(), snd_max_) ? data_end() : snd_max_;
  const uint32_t len = seq_lt(seq, end) ? std::min(distance(seq, end).raw, max_len) : 0;
  const bool fin = fin_sent() && seq + SeqLen(len) == fin_seq();
  if (len == 0 && !fin) return 0;
  const SeqNum nxt = snd_nxt_;
  send_data_segment(now, seq, len, fin, out);
  snd_nxt_ = seq_max(nxt, snd_nxt_);
  timed_seq_.reset();  // Karn: an ACK of it cannot time either transmission
  return len + (fin ? 1 : 0);
}

void Connection::retransmit_holes(Instant now, Outbox& out) {
  for (;;) {
    const SeqNum from = seq_gt(high_rxt_, snd_una_) ? high_rxt_ : snd_una_;
    const std::optional<SackScoreboard::Hole> hole = scoreboard_.next_hole(from);
    // RFC 6675 4 SetPipe, in short: what is outstanding, less what the peer
    // SACKed and the holes not yet retransmitted (taken as lost, DupThresh
    // having been reached).
    const uint32_t outstanding = distance(snd_una_, snd_max_).raw;
    const uint32_t pipe = outstanding - scoreboard_.sacked_bytes() - scoreboard_.hole_bytes_from(from);
    if (!hole) {
      rescue_retransmit(now, pipe, out);
      return;
    }
    const uint32_t len = std::min(hole->len, send_mss());
    if (pipe + len > cc_.ssthresh()) return;
    const uint32_t covered = resend(now, hole->seq, len, out);
    if (covered == 0) return;
    high_rxt_ = hole->seq + SeqLen(covered);
  }
}

void Connection::rescue_retransmit(Instant now, uint32_t pipe, Outbox& out) {
  // RFC 6675 NextSeg (4): with no hole left and no new data to send, "if HighACK
  // > RescueRxt (or RescueRxt is undefined), then one segment of upto SMSS octets
  // that MUST include the highest outstanding unSACKed sequence number SHOULD be
  // returned, and RescueRxt set to RecoveryPoint. HighRxt MUST NOT be updated."
  // It keeps the ACK clock going when the tail of a flight is lost, which no
  // SACK block can ever report, instead of leaving it to the timeout.
  if (!cc_.in_recovery()) return;
  if (rescue_rxt_ && !seq_gt(snd_una_, *rescue_rxt_)) return;
  const SeqNum tail = scoreboard_.high_sacked();
  if (!seq_lt(tail, snd_max_)) return;  // the last octet sent is SACKed: no tail lost
  // Rule (2) comes first: unsent data the peer's window admits goes instead.
  if (seq_lt(snd_max_, data_end()) && seq_lt(snd_max_, snd_una_ + SeqLen(snd_wnd_))) return;
  const uint32_t tail_len = distance(tail, snd_max_).raw;
  const uint32_t len = std::min(tail_len, send_mss());
  if (pipe + len > cc_.ssthresh()) return;
  rescue_rxt_ = recovery_point_;
  resend(now, snd_max_ - SeqLen(len), len, out);
}

void Connection::apply_ack(Instant now, const Segment& seg, Outbox& out) {
  const SeqNum old_una = snd_una_;
  const bool counts = cfg_.congestion_control && cc_started_;
  if (counts && sack_ok_) {
    scoreboard_.update(seq_lt(snd_una_, seg.ack) ? seg.ack : snd_una_, snd_max_, seg.options.sack);
  }
  if (counts && is_duplicate_ack(seg)) {
    const bool sack_shows_loss =
        sack_ok_ && scoreboard_.is_lost(snd_una_, cc_.smss(), NewReno::kDupAckThreshold);
    if (cc_.on_duplicate_ack(seg.ack, distance(snd_una_, snd_max_).raw, snd_max_, sack_shows_loss) ==
        CcAction::kRetransmitFirst) {
      recovery_point_ = snd_max_;
      rescue_rxt_.reset();
      // RFC 5681 3.2 (2): "The lost segment starting at SND.UNA MUST be
      // retransmitted"; with SACK, RFC 6675 5 goes on to the other holes.
      retransmit_first(now, out);
      if (sack_recovery()) retransmit_holes(now, out);
    } else if (cc_.in_recovery() && sack_recovery()) {
      retransmit_holes(now, out);  // new SACK information may show more holes
    }
  }
  if (seq_lt(snd_una_, seg.ack)) {
    // "If SND.UNA < SEG.ACK =< SND.NXT, then set SND.UNA <- SEG.ACK. Any segments on
    // the retransmission queue that are thereby entirely acknowledged are removed."
    if (seq_gt(seg.ack, buf_seq_)) {
      const size_t acked = std::min<size_t>(distance(buf_seq_, seg.ack).raw, send_buf_.size());
      send_buf_.pop(acked);
      buf_seq_ += SeqLen(static_cast<uint32_t>(acked));
    }
    snd_una_ = seg.ack;
    if (seq_lt(snd_nxt_, snd_una_)) snd_nxt_ = snd_una_;
    // RFC 7323 4.1: the echoed timestamp times the segment this ACK answers,
    // retransmitted or not. Without it, RFC 6298 times one segment at a time,
    // unless it was retransmitted (Karn's rule).
    if (rtt_sample_from_echo(now, seg)) {
      timed_seq_.reset();
    } else if (timed_seq_ && seq_geq(seg.ack, *timed_seq_)) {
      rtt_sample(now - timed_at_);
      timed_seq_.reset();
    }
    retries_ = 0;
    if (counts &&
        cc_.on_ack(seg.ack, distance(old_una, seg.ack).raw, distance(seg.ack, snd_max_).raw) ==
            CcAction::kRetransmitFirst) {
      // RFC 6582's partial ACK: the next hole. With SACK, the holes not yet
      // retransmitted (a retransmission is not sent twice before a timeout).
      if (sack_recovery()) {
        retransmit_holes(now, out);
      } else {
        retransmit_first(now, out);
      }
    }
    // (5.2) "When all outstanding data has been acknowledged, turn off the
    // retransmission timer." (5.3) "When an ACK is received that acknowledges new
    // data, restart the retransmission timer".
    if (snd_una_ == snd_max_) {
      cancel_timer(TimerKind::kRetransmit, now);
    } else {
      restart_retransmit_timer(now);
    }
  }
  // "If SND.UNA =< SEG.ACK =< SND.NXT, the send window should be updated. If
  // (SND.WL1 < SEG.SEQ or (SND.WL1 = SEG.SEQ and SND.WL2 =< SEG.ACK)), set SND.WND
  // <- SEG.WND, set SND.WL1 <- SEG.SEQ, and set SND.WL2 <- SEG.ACK."
  if (seq_leq(old_una, seg.ack) && seq_leq(seg.ack, snd_max_)) update_send_window(seg);
}

void Connection::update_send_window(const Segment& seg) {
  if (seq_lt(snd_wl1_, seg.seq) || (snd_wl1_ == seg.seq && seq_leq(snd_wl2_, seg.ack))) {
    // RFC 7323 2.3: "SND.WND = SEG.WND << Snd.Wind.Shift" (no SYN gets here).
    snd_wnd_ = uint32_t{seg.window} << snd_wscale_;
    max_snd_wnd_ = std::max(max_snd_wnd_, snd_wnd_);
    snd_wl1_ = seg.seq;
    snd_wl2_ = seg.ack;
  }
}

void Connection::process_text(Instant now, const Segment& seg, bool text_allowed,
                              bool& fin_in_order, bool& need_ack) {
  // The first data octet follows the SYN, if the segment carries one.
  SeqNum seq = seg.seq + SeqLen(seg.flags.syn() ? 1 : 0);
  std::span<const uint8_t> data(seg.payload);
  bool fin = seg.flags.fin();
  const bool takes_text = (State::kEstablished | State::kFinWait1 | State::kFinWait2).contains(state_);
  if (!text_allowed) {
    if (!data.empty() || fin) need_ack = true;
    if (takes_text) fin_in_order = deliver_held(need_ack);
    return;
  }
  // "If a segment's contents straddle the boundary between old and new, only the
  // new parts are processed." Old octets (and an old FIN) are trimmed off the front.
  if (seq_lt(seq, rcv_nxt_)) {
    const uint32_t old = distance(seq, rcv_nxt_).raw;
    if (old > data.size()) {
      // Even the FIN position lies before RCV.NXT: nothing new at all.
      return;
    }
    data = data.subspan(old);
    seq = rcv_nxt_;
  }
  switch (state_) {
    case State::kEstablished:
    case State::kFinWait1:
    case State::kFinWait2:
      break;
    case State::kCloseWait:
    case State::kClosing:
    case State::kLastAck:
    case State::kTimeWait:
      // "This should not occur since a FIN has been received from the remote side.
      // Ignore the segment text." Text beyond RCV.NXT still draws an ACK of RCV.NXT,
      // as out-of-order text does in the other states.
      if (seq != rcv_nxt_ && (!data.empty() || fin)) need_ack = true;
      return;
    case State::kSynReceived:
    case State::kClosed:
    case State::kListen:
    case State::kSynSent:
      return;
  }
  // Every segment with text or a FIN is acknowledged at once: in order, it moves
  // RCV.NXT; out of order, the duplicate ACK tells the peer what is missing
  // (RFC 5681 4.2: "A TCP receiver SHOULD send an immediate duplicate ACK when an
  // out-of-order segment arrives"). A bare ACK carries nothing to hold and is not
  // answered: two ends answering each other's ACKs would never stop.
  if (!data.empty() || fin) need_ack = true;
  // Trim what lies beyond the right edge of the window; a FIN beyond it goes too.
  const uint32_t offset = distance(rcv_nxt_, seq).raw;
  const uint32_t wnd = rcv_wnd();
  const uint32_t room = offset < wnd ? wnd - offset : 0;
  if (data.size() > room) {
    data = data.first(room);
    fin = false;
  } else if (fin && data.size() == room) {
    fin = false;
  }
  // "Once in the ESTABLISHED state, it is possible to deliver segment data to user
  // RECEIVE buffers. ... Once the TCP endpoint takes responsibility for the data,
  // it advances RCV.NXT over the data accepted". Segments beyond RCV.NXT "may be
  // held for later processing": they are, and join the stream when the gap
  // before them fills; the ACK then covers everything contiguous.
  hold_text(seq, data, fin);
  if (seq != rcv_nxt_ && !data.empty()) note_sack(seq);
  fin_in_order = deliver_held(need_ack);
}

void Connection::hold_text(SeqNum seq, std::span<const uint8_t> data, bool fin) {
  const uint32_t offset = distance(rcv_nxt_, seq).raw;
  const uint32_t end = offset + static_cast<uint32_t>(data.size());
  // A peer sends its FIN at one place only. Should two segments disagree (a
  // forged or broken peer), the later word wins: text past a held FIN withdraws
  // it, and a FIN drops whatever is held past it. Either way the stream stays a
  // prefix of what was sent before the FIN that is finally processed.
  if (held_fin_ && !data.empty() && distance(rcv_nxt_, *held_fin_).raw < end) held_fin_.reset();
  if (!data.empty()) recv_.insert(offset, data);
  // With no ranges allowed (Config::reassembly_max_ranges = 0) nothing past a
  // gap is held, the FIN included; one right after in-order text is not past a
  // gap.
  if (fin && (offset == 0 || cfg_.reassembly_max_ranges > 0)) {
    held_fin_ = seq + SeqLen(static_cast<uint32_t>(data.size()));
    recv_.truncate_held(end);
  }
}

bool Connection::deliver_held(bool& need_ack) {
  const uint32_t n = recv_.ready();
  if (n > 0) {
    recv_.commit(n);
    if (discard_input_) recv_.discard_readable();
    rcv_nxt_ += SeqLen(n);
    need_ack = true;
  }
  if (held_fin_ && *held_fin_ == rcv_nxt_) {
    held_fin_.reset();
    return true;
  }
  return false;
}

void Connection::queue_syn_text(const Segment& seg) {
  // RFC 9293 3.10.7.2 (LISTEN): "any other control or text should be queued for
  // processing later"; 3.10.7.3 (SYN-SENT, simultaneous open): "queue them for
  // processing after the ESTABLISHED state has been reached". The text waits at
  // the front of the receive window, trimmed to it, unacknowledged until then;
  // a FIN after it (SYN+FIN, when Config lets one through) waits with it. (Text
  // that fills the whole window puts the peer's next sequence number on the
  // window's right edge, where a bare ACK is not acceptable; its retransmission
  // from the front is, and completes the handshake.)
  std::span<const uint8_t> data(seg.payload);
  const uint32_t wnd = rcv_wnd();
  bool fin = seg.flags.fin();
  if (data.size() >= wnd) {
    data = data.first(wnd);
    fin = false;
  }
  hold_text(rcv_nxt_, data, fin);
}

void Connection::process_fin(Instant now, bool& need_ack) {
  // "If the FIN bit is set, signal the user 'connection closing' and return any
  // pending RECEIVEs with same message, advance RCV.NXT over the FIN, and send an
  // acknowledgment for the FIN."
  rcv_nxt_ += SeqLen(1);
  need_ack = true;
  if (!eof_) {
    eof_ = true;
    user_event(UserEvent::kEndOfStream, now);
  }
  switch (state_) {
    case State::kSynReceived:
    case State::kEstablished:
      transition(State::kCloseWait, Cause::kRecvFin, now);
      break;
    case State::kFinWait1:
      // "If our FIN has been ACKed (perhaps in this segment), then enter TIME-WAIT,
      // start the time-wait timer, turn off the other timers; otherwise, enter the
      // CLOSING state."
      if (fin_acked()) {
        enter_time_wait(now, Cause::kRecvFinAck);
      } else {
        transition(State::kClosing, Cause::kRecvFin, now);
      }
      break;
    case State::kFinWait2:
      // "Enter the TIME-WAIT state. Start the time-wait timer, turn off the other
      // timers."
      enter_time_wait(now, Cause::kRecvFin);
      break;
    case State::kTimeWait:
      // "Remain in the TIME-WAIT state. Restart the 2 MSL time-wait timeout."
      set_timer(TimerKind::kTimeWait, now + cfg_.msl * 2, now);
      break;
    case State::kCloseWait:
    case State::kClosing:
    case State::kLastAck:
    case State::kClosed:
    case State::kListen:
    case State::kSynSent:
      break;  // "Remain in the ... state."
  }
}

void Connection::enter_time_wait(Instant now, Cause cause) {
  cancel_timer(TimerKind::kRetransmit, now);
  cancel_timer(TimerKind::kPersist, now);
  cancel_timer(TimerKind::kDelayedAck, now);
  cancel_timer(TimerKind::kKeepalive, now);
  close_reason_ = CloseReason::kNormal;
  transition(State::kTimeWait, cause, now);
  set_timer(TimerKind::kTimeWait, now + cfg_.msl * 2, now);
}

void Connection::drop_connection(Instant now, Cause cause, CloseReason reason, UserEvent event) {
  for (int k = 0; k < kNumTimerKinds; ++k) cancel_timer(static_cast<TimerKind>(k), now);
  send_buf_.clear();
  recv_.clear();
  held_fin_.reset();
  close_reason_ = reason;
  user_event(event, now);
  transition(State::kClosed, cause, now);
}

// ---------------------------------------------------------------------------
// Output.

uint32_t Connection::window_room() const {
  // The window is the free space past the readable octets; octets held past a
  // gap sit inside it at their offsets, so they do not shrink it.
  const uint32_t room = discard_input_ ? static_cast<uint32_t>(recv_.limit())
                                       : static_cast<uint32_t>(recv_.free_space());
  // Until our SYN is acknowledged it may be sent again, and a SYN's window is
  // never scaled (RFC 7323 2.2): offering more than its 16 bits can say in the
  // meantime would make the retransmitted SYN move the right edge left.
  return syn_acked() ? room : std::min<uint32_t>(room, 0xFFFF);
}

uint32_t Connection::window_offer() const {
  return uint32_t{window_field(window_room(), rcv_wscale_)} << rcv_wscale_;
}

uint16_t Connection::advertise_window(bool syn) {
  // RFC 7323 2.2: the window in a SYN is never scaled.
  const uint8_t shift = syn ? 0 : rcv_wscale_;
  const uint16_t field = window_field(window_room(), shift);
  if (!have_irs_) return field;
  // RFC 9293 3.8.6: the right edge never moves left. The edge offered is never
  // left of one offered before, except by the rounding of a scaled window (RFC
  // 7323 2.4); rcv_adv_ keeps the furthest, and segments up to it stay
  // acceptable ("honor, as in a window, any segment that would have been in
  // window for any ACK sent").
  rcv_adv_ = seq_max(rcv_adv_, rcv_nxt_ + SeqLen(uint32_t{field} << shift));
  return field;
}

void Connection::negotiate_timestamps(Instant now, const Segment& peer_syn) {
  // RFC 7323 3.2: "A TCP MAY send the TSopt in an initial <SYN> segment ... It
  // MAY send a TSopt in other segments only if it received a TSopt in the initial
  // <SYN> or <SYN,ACK> segment for the connection." 4.3: TS.Recent starts from
  // the SYN's TSval.
  ts_ok_ = cfg_.timestamps && peer_syn.options.timestamps.has_value();
  // RFC 2018 2: SACK-permitted travels in the SYNs only, the same way.
  sack_ok_ = cfg_.sack && peer_syn.options.sack_permitted;
  if (ts_ok_) {
    ts_recent_ = TsVal{peer_syn.options.timestamps->val};
    ts_recent_at_ = now;
  }
}

bool Connection::rtt_sample_from_echo(Instant now, const Segment& seg) {
  // RFC 7323 4.1: "RTTM ... the sender ... subtracting the TSecr from the current
  // time." A TSecr of 0 is what a SYN carries and is not a timestamp we sent.
  if (!ts_ok_ || !seg.options.timestamps || seg.options.timestamps->ecr == 0) return false;
  const TsVal echoed{seg.options.timestamps->ecr};
  const TsVal clock = ts_clock(now, ts_offset_);
  if (ts_lt(clock, echoed)) return false;  // from our future: not ours
  rtt_sample(Duration::millis(clock.raw - echoed.raw));
  return true;
}

uint8_t Connection::offered_window_shift() const {
  return window_shift_for(std::max(cfg_.recv_buffer, cfg_.window_scale_buffer));
}

void Connection::negotiate_window_scale(const Segment& peer_syn) {
  // RFC 7323 2.2: "both sides MUST send Window Scale options in their <SYN>
  // segments to enable window scaling in either direction". Our SYN offers it
  // whenever Config allows; a SYN-ACK only answers an offer.
  wscale_ok_ = cfg_.window_scale && peer_syn.options.window_scale.has_value();
  snd_wscale_ = wscale_ok_ ? clamp_window_shift(*peer_syn.options.window_scale) : 0;
  rcv_wscale_ = wscale_ok_ ? offered_window_shift() : 0;
}

void Connection::emit(Instant now, Segment&& seg, Outbox& out) {
  seg.src_port = tuple_.local_port;
  seg.dst_port = tuple_.remote_port;
  if (!seg.flags.rst()) seg.window = advertise_window(seg.flags.syn());
  // RFC 7323 3.2: offered in our SYN (TSecr 0), in a SYN-ACK only in answer to a
  // SYN that had it, then "sent in every non-<RST> segment"; TSecr echoes
  // TS.Recent.
  const bool ts = seg.flags.syn() ? (have_irs_ ? ts_ok_ : cfg_.timestamps) : ts_ok_;
  if (ts && !seg.flags.rst()) {
    seg.options.timestamps =
        Timestamps{ts_clock(now, ts_offset_).raw, seg.flags.ack() ? ts_recent_.raw : 0u};
  }
  if (seg.flags.ack()) last_ack_sent_ = seg.ack;
  if (seg.flags.ack() && !seg.flags.rst()) {
    // This segment acknowledges everything received: no ACK is held any more.
    segments_unacked_ = 0;
    if (timer(TimerKind::kDelayedAck)) cancel_timer(TimerKind::kDelayedAck, now);
  }
  if (seg.flags.ack() && !seg.flags.syn() && !seg.flags.rst()) seg.options.sack = sack_blocks();
  if (env_.observer) env_.observer->on_segment_out(id_, tuple_, seg, snapshot(), now);
  out.push_back(std::move(seg));
}

void Connection::send_ack(Instant now, Outbox& out) {
  Segment s;
  s.seq = snd_nxt_;
  s.ack = rcv_nxt_;
  s.flags = kAck;
  emit(now, std::move(s), out);
}

void Connection::send_invalid_reply_ack(Instant now, const Segment& seg, Outbox& out) {
  // The ACKs that answer invalid segments (out of window, acknowledging unsent
  // data, RFC 5961 challenges) are rate-limited per connection, as RFC 5961 7
  // recommends for challenge ACKs and Linux does for all of them
  // (tcp_invalid_ratelimit): two desynchronized ends would otherwise answer each
  // other's ACKs forever (an "ACK storm"). Segments carrying data or a FIN are
  // answered every time: they come from a sender that is retransmitting and needs
  // to hear RCV.NXT, not from an ACK loop.
  const bool loop_candidate = seg.flags.syn() || (seg.payload.empty() && !seg.flags.fin());
  if (loop_candidate && cfg_.invalid_ack_interval.us > 0 && last_invalid_ack_ &&
      now - *last_invalid_ack_ < cfg_.invalid_ack_interval) {
    return;
  }
  if (loop_candidate) last_invalid_ack_ = now;
  send_ack(now, out);
}

void Connection::send_syn(Instant now, bool with_ack, Outbox& out) {
  Segment s;
  s.seq = iss_;
  s.flags = with_ack ? (kSyn | kAck) : kSyn;
  if (with_ack) s.ack = rcv_nxt_;
  s.options.mss = cfg_.mss;
  // RFC 7323 2.2: offered in a SYN; "A TCP MAY send a Window Scale option in a
  // <SYN,ACK> segment only if it received a Window Scale option in the initial
  // <SYN> segment."
  if (have_irs_ ? wscale_ok_ : cfg_.window_scale) {
    s.options.window_scale = offered_window_shift();
  }
  // RFC 2018 2: likewise SACK-permitted, which only SYNs carry.
  s.options.sack_permitted = have_irs_ ? sack_ok_ : cfg_.sack;
  const bool first_transmission = snd_max_ == iss_;
  snd_nxt_ = iss_ + SeqLen(1);
  snd_max_ = seq_max(snd_max_, snd_nxt_);
  if (first_transmission) {
    timed_seq_ = snd_nxt_;
    timed_at_ = now;
  }
  emit(now, std::move(s), out);
}

void Connection::send_data_segment(Instant now, SeqNum seq, size_t len, bool fin, Outbox& out) {
  Segment s;
  s.seq = seq;
  s.ack = rcv_nxt_;
  s.flags = kAck;
  if (len > 0) {
    s.payload.resize(len);
    send_buf_.peek(distance(buf_seq_, seq).raw, s.payload);
    // PSH when this segment empties the send queue (RFC 9293 3.9.1.2 lets the
    // sender set it at the end of what the user handed over).
    if (seq + SeqLen(static_cast<uint32_t>(len)) == data_end()) s.flags = s.flags | kPsh;
  }
  if (fin) s.flags = s.flags | kFin;
  const bool new_data = seq == snd_max_;
  last_data_sent_ = now;
  snd_nxt_ = seq + SeqLen(static_cast<uint32_t>(len) + (fin ? 1 : 0));
  snd_max_ = seq_max(snd_max_, snd_nxt_);
  if (new_data && !timed_seq_) {
    timed_seq_ = snd_nxt_;
    timed_at_ = now;
  }
  emit(now, std::move(s), out);
}

// Sends whatever the state, the queue and the peer's window allow.
void Connection::output(Instant now, Outbox& out) {
  switch (state_) {
    case State::kClosed:
    case State::kListen:
    case State::kTimeWait:
      return;
    case State::kSynSent:
    case State::kSynReceived:
    case State::kEstablished:
    case State::kFinWait1:
    case State::kFinWait2:
    case State::kCloseWait:
    case State::kClosing:
    case State::kLastAck:
      break;
  }
  if (snd_nxt_ == iss_) send_syn(now, /*with_ack=*/have_irs_, out);
  // RFC 9293 3.10.4, CLOSE in SYN-RECEIVED: "If no SENDs have been issued and there
  // is no pending data to send, then form a FIN segment and send it". The FIN
  // follows our SYN in sequence space, so it may go before the SYN is acknowledged.
  if (!syn_acked() && state_ == State::kFinWait1 && fin_queued_ && send_buf_.empty() &&
      snd_nxt_ == iss_ + SeqLen(1)) {
    send_data_segment(now, snd_nxt_, 0, /*fin=*/true, out);
  }
  // Data and FIN wait until our SYN is acknowledged (RFC 9293 3.10.2: queued "for
  // transmission after entering ESTABLISHED state").
  if (syn_acked()) {
    start_congestion_control();
    const uint32_t mss = send_mss();
    if (cfg_.congestion_control && snd_una_ == snd_max_ && seq_lt(snd_nxt_, data_end()) &&
        now - last_data_sent_ > rto_) {
      cc_.on_idle_restart();
    }
    for (;;) {
      // RFC 5681 3.1: at most min(cwnd, rwnd) octets outstanding.
      const SeqNum wnd_edge = snd_una_ + SeqLen(std::min(snd_wnd_, congestion_window()));
      const uint32_t usable = seq_lt(snd_nxt_, wnd_edge) ? distance(snd_nxt_, wnd_edge).raw : 0;
      const uint32_t pending = seq_lt(snd_nxt_, data_end()) ? distance(snd_nxt_, data_end()).raw : 0;
      const bool fin_pending = fin_queued_ && seq_leq(snd_nxt_, fin_seq());
      if (pending > 0) {
        const uint32_t len = std::min({pending, usable, mss});
        if (len == 0) break;
        // RFC 1122 4.2.3.4 Nagle: "If there is unacknowledged data (i.e., SND.NXT >
        // SND.UNA), then the sending TCP buffers all user data ... until the
        // outstanding data has been acknowledged or until the TCP can send a
        // full-sized segment." Once the app has closed, nothing more will join
        // the tail, so it goes (with the FIN).
        if (!nodelay_ && len < mss && len == pending && snd_una_ != snd_max_ && !fin_queued_) break;
        // RFC 1122 4.2.3.4 sender SWS avoidance: a segment cut short by the
        // window (the peer's or cwnd) goes only if it is at least half the
        // largest window the peer offered; else it waits for the ACKs of what is
        // outstanding to open a full segment. With nothing outstanding no ACK is
        // coming, so it goes (RFC 1122's override, without a timer).
        if (len < mss && len < pending && len < max_snd_wnd_ / 2 && snd_una_ != snd_max_) break;
        // The FIN rides on the last data segment when the window has room for it.
        const bool fin = fin_pending && len == pending && usable > len;
        send_data_segment(now, snd_nxt_, len, fin, out);
        continue;
      }
      if (fin_pending && usable > 0) send_data_segment(now, snd_nxt_, 0, /*fin=*/true, out);
      break;
    }
  }
  if (snd_una_ != snd_max_) {
    if (!timer(TimerKind::kRetransmit)) restart_retransmit_timer(now);
    cancel_timer(TimerKind::kPersist, now);
  } else if (syn_acked() && snd_wnd_ == 0 &&
             (seq_lt(snd_nxt_, data_end()) || (fin_queued_ && seq_leq(snd_nxt_, fin_seq())))) {
    // RFC 9293 3.8.6.1: with a zero window and something to send, probe the peer
    // so a lost window update cannot stall the connection forever.
    if (!timer(TimerKind::kPersist)) {
      persist_backoff_ = rto_;
      set_timer(TimerKind::kPersist, now + persist_backoff_, now);
    }
  }
}

// ---------------------------------------------------------------------------
// Timers.

void Connection::restart_retransmit_timer(Instant now) {
  set_timer(TimerKind::kRetransmit, now + rto_, now);
}

void Connection::rtt_sample(Duration r) {
  // RFC 6298 (2.2) first measurement: SRTT <- R, RTTVAR <- R/2.
  // (2.3) later: RTTVAR <- 3/4 RTTVAR + 1/4 |SRTT - R'|, SRTT <- 7/8 SRTT + 1/8 R'.
  // RTO <- SRTT + max(G, K*RTTVAR) with K = 4 and G the 1 us clock granularity,
  // then (2.4)/(2.5) bounded by the configured minimum and maximum.
  if (!srtt_) {
    srtt_ = r;
    rttvar_ = Duration{r.us / 2};
  } else {
    const int64_t err = srtt_->us > r.us ? srtt_->us - r.us : r.us - srtt_->us;
    rttvar_ = Duration{(3 * rttvar_.us + err) / 4};
    srtt_ = Duration{(7 * srtt_->us + r.us) / 8};
  }
  Duration rto = *srtt_ + Duration{std::max<int64_t>(1, 4 * rttvar_.us)};
  rto_ = std::clamp(rto, cfg_.rto_min, cfg_.rto_max);
}

void Connection::reset_rto_after_syn_timeout() {
  // RFC 6298 (5.7): "If the timer expires awaiting the ACK of a SYN segment and the
  // TCP implementation is using an RTO less than 3 seconds, the RTO MUST be
  // re-initialized to 3 seconds when data transmission begins".
  if (syn_timed_out_ && rto_ < Duration::seconds(3)) {
    rto_ = std::min(Duration::seconds(3), std::max(cfg_.rto_max, cfg_.rto_min));
  }
  syn_timed_out_ = false;
}

void Connection::on_timer(Instant now, Outbox& out) {
  for (int k = 0; k < kNumTimerKinds; ++k) {
    const auto kind = static_cast<TimerKind>(k);
    const std::optional<Instant> t = timers_.get(kind);
    if (!t || *t > now) continue;
    const Instant deadline = *t;
    timers_.clear(kind);
    if (env_.observer) env_.observer->on_timer(id_, kind, TimerAction::kFire, deadline, now);
    switch (kind) {
      case TimerKind::kRetransmit:
        on_retransmit_timeout(now, out);
        break;
      case TimerKind::kPersist:
        on_persist_timeout(now, out);
        break;
      case TimerKind::kDelayedAck:
        send_ack(now, out);
        break;
      case TimerKind::kKeepalive:
        on_keepalive_timeout(now, out);
        break;
      case TimerKind::kTimeWait:
        // RFC 9293 3.10.8: "If the time-wait timeout expires on a connection,
        // delete the TCB, enter the CLOSED state, and return."
        for (int j = 0; j < kNumTimerKinds; ++j) cancel_timer(static_cast<TimerKind>(j), now);
        transition(State::kClosed, Cause::kTimeWaitExpired, now);
        break;
    }
    if (state_ == State::kClosed || state_ == State::kListen) break;
  }
  step_end(now);
}

void Connection::on_retransmit_timeout(Instant now, Outbox& out) {
  const bool opening = !syn_acked();
  const int limit = opening ? cfg_.syn_retries : cfg_.data_retries;
  if (retries_ >= limit) {
    // RFC 1122 4.2.3.5: past R2 the connection is closed and the user told.
    drop_connection(now, Cause::kRetransmitGiveUp, CloseReason::kTimedOut, UserEvent::kTimedOut);
    return;
  }
  ++retries_;
  if (opening) syn_timed_out_ = true;
  if (!opening && cc_started_) cc_.on_timeout(distance(snd_una_, snd_max_).raw, snd_max_);
  // RFC 2018 8: after a timeout the sender "MUST ignore prior SACK information"
  // (the receiver may have discarded what it reported).
  scoreboard_.clear(snd_una_);
  // RFC 6298 (5.5): "The host MUST set RTO <- RTO * 2 ("back off the timer")."
  rto_ = std::min(rto_ * 2, cfg_.rto_max);
  timed_seq_.reset();  // Karn: no RTT sample from a retransmitted segment
  // (5.4) "Retransmit the earliest segment that has not been acknowledged".
  // SND.NXT falls back to SND.UNA; what follows goes out again as ACKs arrive.
  snd_nxt_ = snd_una_;
  if (opening) {
    send_syn(now, /*with_ack=*/have_irs_, out);
  } else {
    const uint32_t pending = seq_lt(snd_nxt_, data_end()) ? distance(snd_nxt_, data_end()).raw : 0;
    // RFC 6298 (5.4) resends the earliest unacknowledged segment: data already
    // sent, or what the peer's window allows, never new data beyond its edge
    // (RFC 1122 4.2.2.16 permits resending old data past a shrunk window).
    const uint32_t sent = distance(snd_una_, snd_max_).raw;
    const uint32_t allowed = std::max(sent, snd_wnd_);
    const uint32_t len = std::min<uint32_t>({pending, send_mss(), allowed});
    const bool fin = fin_queued_ && len == pending && seq_leq(snd_nxt_, fin_seq());
    if (len > 0 || fin) send_data_segment(now, snd_nxt_, len, fin, out);
  }
  // (5.6) "Start the retransmission timer, such that it expires after RTO seconds".
  if (snd_una_ != snd_max_) restart_retransmit_timer(now);
}

void Connection::on_persist_timeout(Instant now, Outbox& out) {
  const bool blocked = snd_wnd_ == 0 && snd_una_ == snd_max_ &&
                       (seq_lt(snd_nxt_, data_end()) || (fin_queued_ && seq_leq(snd_nxt_, fin_seq())));
  if (!blocked) {
    // The window opened (or everything was acknowledged) since the timer was set:
    // send what it now allows.
    output(now, out);
    return;
  }
  // Zero-window probe: a segment one below SND.UNA carries nothing new, so the
  // peer must answer it with an ACK that states its current window (the form
  // Linux uses; RFC 9293 3.8.6.1 lets the probe carry no data).
  Segment probe;
  probe.seq = snd_una_ - SeqLen(1);
  probe.ack = rcv_nxt_;
  probe.flags = kAck;
  emit(now, std::move(probe), out);
  // RFC 1122 4.2.2.17: probes back off exponentially and go on as long as the
  // peer answers; the interval never exceeds the RTO maximum.
  persist_backoff_ = std::min(persist_backoff_ * 2, cfg_.rto_max);
  set_timer(TimerKind::kPersist, now + persist_backoff_, now);
}

// ---------------------------------------------------------------------------
// Keep-alive (RFC 1122 4.2.3.6).

void Connection::set_keepalive(Instant now, bool on) {
  keepalive_ = on;
  update_keepalive_timer(now);
}

bool Connection::keepalive_wanted() const {
  // "Keep-alive packets MUST only be sent when no data or acknowledgement
  // packets have been received for the connection within an interval": with
  // something outstanding the retransmission timer watches the peer instead.
  return keepalive_ && (state_ == State::kEstablished || state_ == State::kCloseWait) &&
         snd_una_ == snd_max_;
}

void Connection::update_keepalive_timer(Instant now) {
  const bool armed = timer(TimerKind::kKeepalive).has_value();
  if (!keepalive_wanted()) {
    if (armed) cancel_timer(TimerKind::kKeepalive, now);
    return;
  }
  // Armed lazily: a segment from the peer does not move the timer, the timer
  // looks at when the peer was last heard from when it fires.
  if (!armed) set_timer(TimerKind::kKeepalive, std::max(now, last_heard_ + cfg_.keepalive_idle), now);
}

void Connection::on_keepalive_timeout(Instant now, Outbox& out) {
  if (!keepalive_wanted()) return;
  if (keepalive_probes_sent_ == 0 && now < last_heard_ + cfg_.keepalive_idle) {
    // The peer spoke since the timer was set: idle counts from then.
    set_timer(TimerKind::kKeepalive, last_heard_ + cfg_.keepalive_idle, now);
    return;
  }
  if (keepalive_probes_sent_ >= cfg_.keepalive_probes) {
    // The probes went unanswered: the peer is gone.
    drop_connection(now, Cause::kKeepaliveTimeout, CloseReason::kTimedOut, UserEvent::kTimedOut);
    return;
  }
  // "SEG.SEQ = SND.NXT-1": an old sequence number the peer must answer with an
  // ACK of RCV.NXT; no garbage octet (RFC 1122 allows zero).
  Segment probe;
  probe.seq = snd_nxt_ - SeqLen(1);
  probe.ack = rcv_nxt_;
  probe.flags = kAck;
  ++keepalive_probes_sent_;
  emit(now, std::move(probe), out);
  set_timer(TimerKind::kKeepalive, now + cfg_.keepalive_interval, now);
}

}  // namespace synfin
