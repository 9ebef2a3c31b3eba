// Connection::check_invariants(): what must hold of a TCB between any two events.
// Each failure names the variables involved, so a fuzzer's crash report or a
// failing test reads as the broken rule.
#include "absl/strings/str_cat.h"
#include "stack/connection.h"
#include "stack/window_scale.h"

namespace synfin {
namespace {

absl::Status broken(std::string what) { return absl::InternalError(std::move(what)); }

}  // namespace

absl::Status Connection::check_invariants() const {
  if (absl::Status st = check_timer_invariants(); !st.ok()) return st;
  // CLOSED and LISTEN hold no sequence space of their own (a listener's child
  // returned to LISTEN keeps stale numbers that mean nothing).
  if (state_ == State::kClosed || state_ == State::kListen) return absl::OkStatus();
  if (absl::Status st = check_send_invariants(); !st.ok()) return st;
  return check_receive_invariants();
}

absl::Status Connection::check_timer_invariants() const {
  const bool rexmt = timer(TimerKind::kRetransmit).has_value();
  const bool persist = timer(TimerKind::kPersist).has_value();
  const bool time_wait = timer(TimerKind::kTimeWait).has_value();
  // RFC 9293 3.10.8 / 3.6.1: the 2*MSL timer runs exactly while in TIME-WAIT.
  if (time_wait != (state_ == State::kTimeWait)) {
    return broken(absl::StrCat("the TIME-WAIT timer is ", time_wait ? "armed" : "not armed",
                               " in ", to_string(state_)));
  }
  if (state_ == State::kClosed || state_ == State::kListen) {
    if (rexmt || persist || timer(TimerKind::kDelayedAck)) {
      return broken(absl::StrCat("a ", rexmt ? "retransmission" : persist ? "persist" : "delayed-ACK", " timer is armed in ",
                                 to_string(state_)));
    }
    return absl::OkStatus();
  }
  // RFC 6298 (5.1)/(5.2): the retransmission timer runs iff sequence space is
  // outstanding (a SYN, data or a FIN sent and not acknowledged).
  const bool outstanding = snd_una_ != snd_max_;
  if (rexmt != outstanding) {
    return broken(absl::StrCat("the retransmission timer is ", rexmt ? "armed" : "not armed",
                               " with SND.UNA ", snd_una_.raw, " and the highest sent ",
                               snd_max_.raw, " in ", to_string(state_)));
  }
  // A held ACK waits only while something received is unacknowledged, and the
  // keep-alive timer runs only while RFC 1122 4.2.3.6 wants probes.
  if (timer(TimerKind::kDelayedAck) && last_ack_sent_ == rcv_nxt_) {
    return broken(absl::StrCat("the delayed-ACK timer is armed with everything up to RCV.NXT ",
                               rcv_nxt_.raw, " acknowledged"));
  }
  if (timer(TimerKind::kKeepalive).has_value() != keepalive_wanted()) {
    return broken(absl::StrCat("the keep-alive timer is ", timer(TimerKind::kKeepalive) ? "armed" : "not armed",
                               " with keep-alive ", keepalive_ ? "on" : "off", " in ", to_string(state_)));
  }
  // The persist timer probes a zero window when nothing is in flight; with
  // something in flight the retransmission timer does that job.
  if (persist && outstanding) {
    return broken(absl::StrCat("the persist timer is armed while ", distance(snd_una_, snd_max_).raw,
                               " sequence numbers are outstanding"));
  }
  return absl::OkStatus();
}

absl::Status Connection::check_send_invariants() const {
  // SND.UNA =< SND.NXT =< SND.MAX, ISS =< SND.UNA, all in serial order.
  if (!seq_leq(iss_, snd_una_) || !seq_leq(snd_una_, snd_nxt_) || !seq_leq(snd_nxt_, snd_max_)) {
    return broken(absl::StrCat("send sequence space out of order: ISS ", iss_.raw, ", SND.UNA ",
                               snd_una_.raw, ", SND.NXT ", snd_nxt_.raw, ", highest sent ",
                               snd_max_.raw));
  }
  // The send buffer holds exactly the octets from SND.UNA on, which the SYN (not
  // yet acknowledged) precedes and the FIN (once acknowledged) follows: its first
  // octet is SND.UNA + 1 before our SYN is acknowledged, SND.UNA - 1 after our FIN
  // is, SND.UNA otherwise.
  const SeqNum want_buf_seq = !syn_acked() ? snd_una_ + SeqLen(1)
                              : fin_acked() ? snd_una_ - SeqLen(1)
                                            : snd_una_;
  if (buf_seq_ != want_buf_seq) {
    return broken(absl::StrCat("the send buffer starts at ", buf_seq_.raw, " but SND.UNA is ",
                               snd_una_.raw, " (ISS ", iss_.raw, ", FIN ",
                               fin_acked() ? "acknowledged" : "not acknowledged",
                               "): it should start at ", want_buf_seq.raw));
  }
  // Nothing was sent past the queued octets and the FIN (if the app closed).
  const SeqNum limit = data_end() + SeqLen(fin_queued_ ? 1 : 0);
  if (!seq_leq(snd_max_, limit)) {
    return broken(absl::StrCat("the highest number sent, ", snd_max_.raw, ", lies past the ",
                               send_buf_.size(), " queued octets", fin_queued_ ? " and the FIN" : "",
                               " (up to ", limit.raw, ")"));
  }
  if (absl::Status st = scoreboard_.check_invariants(snd_max_); !st.ok()) return st;
  // RFC 5681 3.1: "cwnd MUST be set to no more than the loss window" after a
  // timeout, and never less: one full-sized segment can always be in flight.
  if (cfg_.congestion_control && cc_started_ && cc_.cwnd() < cc_.smss()) {
    return broken(absl::StrCat("congestion window ", cc_.cwnd(), " is below one SMSS (", cc_.smss(), ")"));
  }
  if (state_ == State::kTimeWait && snd_una_ != snd_max_) {
    return broken(absl::StrCat("in TIME-WAIT ", distance(snd_una_, snd_max_).raw,
                               " sequence numbers are still unacknowledged"));
  }
  return absl::OkStatus();
}

absl::Status Connection::check_receive_invariants() const {
  if (!have_irs_) {
    if (!recv_.held().empty() || held_fin_ || recv_.readable() > 0) {
      return broken("octets or a FIN received before the peer's SYN");
    }
    return absl::OkStatus();
  }
  // RFC 9293 3.8.6: the window offered fits the buffer space, and every octet
  // held past a gap lies inside it.
  const uint32_t wnd = rcv_wnd();
  if (wnd > max_window(rcv_wscale_)) {
    return broken(absl::StrCat("receive window ", wnd, " exceeds what the header can carry with shift ",
                               rcv_wscale_));
  }
  if (absl::Status st = recv_.check_invariants(wnd); !st.ok()) return st;
  if (discard_input_ && recv_.readable() > 0) {
    return broken("octets queued for an application that no longer reads");
  }
  // Once synchronized, whatever is contiguous from RCV.NXT has been delivered:
  // only octets (and a FIN) past a gap wait. Text on a SYN waits at the front
  // until then.
  const bool delivering =
      (State::kEstablished | State::kFinWait1 | State::kFinWait2).contains(state_) && syn_acked();
  if (delivering && recv_.ready() > 0) {
    return broken(absl::StrCat(recv_.ready(), " octets at RCV.NXT are held instead of delivered"));
  }
  if (held_fin_) {
    const uint32_t at = distance(rcv_nxt_, *held_fin_).raw;
    if ((delivering && at == 0) || at >= wnd || at < recv_.held().end()) {
      return broken(absl::StrCat("the peer's FIN is held at RCV.NXT+", at, " with RCV.WND ", wnd,
                                 " and octets held up to RCV.NXT+", recv_.held().end(), " in ",
                                 to_string(state_)));
    }
  }
  // After the peer's FIN nothing more belongs to the stream.
  if (kRemoteFinStates.contains(state_) && (!recv_.held().empty() || held_fin_)) {
    return broken(absl::StrCat("octets or a FIN held in ", to_string(state_),
                               ", after the peer's FIN was processed"));
  }
  return absl::OkStatus();
}

}  // namespace synfin
