// The state checker: every transition the stack reports must be an edge of RFC
// 9293's state diagram (Figure 5) or of the event processing text of 3.10, taken
// for the event it names; transitions must chain; and what a connection puts on
// the wire must fit the state it is in.
//
// The legal edges are this file's own table (kEdges), written from the RFC text,
// never the stack's. Ids:
//   state.illegal-transition       (from, to, cause) is not an RFC edge, or not under this Config
//   state.transition-discontinuity from != the state the previous transition left
//   state.syn-from-state           SYN sent outside SYN-SENT / SYN-RECEIVED
//   state.data-from-state          payload sent in a state that may not send data
//   state.timewait-sent-non-ack    TIME-WAIT sent something other than a pure ACK or RST
//   state.fin-without-closing-state FIN sent outside FIN-WAIT-1 / CLOSING / LAST-ACK
//   state.data-after-fin           data beyond our FIN, or the FIN moved
#include <cstdint>

#include "absl/strings/str_cat.h"
#include "harness/oracles/checkers.h"
#include "harness/oracles/conn_table.h"
#include "harness/oracles/serial.h"

namespace synfin::harness {
namespace {

// Conditions under which an edge is legal.
enum Cond : uint8_t {
  kAlways = 0,
  kPassive = 1 << 0,       // the connection entered SYN-RECEIVED from LISTEN
  kActive = 1 << 1,        // ... from SYN-SENT
  kNo5961Syn = 1 << 2,     // Config.rfc5961_syn off: RFC 793's "in-window SYN resets"
  kNo1337 = 1 << 3,        // Config.rfc1337 off: a RST may end TIME-WAIT
  kReuse = 1 << 4,         // Config.time_wait_syn == kReuseIfSeqGreater
};

struct LegalEdge {
  State from;
  State to;
  Cause cause;
  uint8_t cond;
};

using S = State;
using C = Cause;

// RFC 9293 Figure 5 plus the text of 3.10 (and RFC 1122 4.2.2.13 / 4.2.3.5,
// RFC 793's in-window SYN rule, RFC 1337).
constexpr LegalEdge kEdges[] = {
    // 3.10.1 OPEN.
    {S::kClosed, S::kListen, C::kUserListen, kAlways},
    {S::kClosed, S::kSynSent, C::kUserConnect, kAlways},
    // 3.10.2 SEND in LISTEN: "change the connection from passive to active ... Enter
    // SYN-SENT state."
    {S::kListen, S::kSynSent, C::kUserSend, kAlways},
    // 3.10.7.2 LISTEN, third: SYN -> SYN-RECEIVED.
    {S::kListen, S::kSynReceived, C::kRecvSyn, kAlways},
    // 3.10.4 CLOSE in LISTEN: "Delete TCB, enter CLOSED state"; 3.10.5 ABORT.
    {S::kListen, S::kClosed, C::kUserClose, kAlways},
    {S::kListen, S::kClosed, C::kUserAbort, kAlways},
    // 3.10.7.3 SYN-SENT: simultaneous open; SYN,ACK; RST with an acceptable ACK.
    {S::kSynSent, S::kSynReceived, C::kRecvSyn, kAlways},
    {S::kSynSent, S::kEstablished, C::kRecvSynAck, kAlways},
    {S::kSynSent, S::kClosed, C::kRecvRst, kAlways},
    // 3.10.4 CLOSE in SYN-SENT: "Delete the TCB"; 3.10.5 ABORT; RFC 1122 4.2.3.5 R2.
    {S::kSynSent, S::kClosed, C::kUserClose, kAlways},
    {S::kSynSent, S::kClosed, C::kUserAbort, kAlways},
    {S::kSynSent, S::kClosed, C::kRetransmitGiveUp, kAlways},
    // 3.10.7.4 fifth, SYN-RECEIVED: "If SND.UNA < SEG.ACK =< SND.NXT, then enter
    // ESTABLISHED state".
    {S::kSynReceived, S::kEstablished, C::kRecvAck, kAlways},
    // 3.10.4 CLOSE in SYN-RECEIVED: "... form a FIN segment and send it, and enter
    // FIN-WAIT-1 state".
    {S::kSynReceived, S::kFinWait1, C::kUserClose, kAlways},
    // 3.10.7.4 eighth: "SYN-RECEIVED STATE, ESTABLISHED STATE: Enter the CLOSE-WAIT state."
    {S::kSynReceived, S::kCloseWait, C::kRecvFin, kAlways},
    // 3.10.7.4 second (RST) and fourth (SYN), SYN-RECEIVED from a passive OPEN:
    // "return this connection to LISTEN state"; from an active OPEN: "connection
    // refused", CLOSED; an in-window SYN resets it only under RFC 793 rules.
    {S::kSynReceived, S::kListen, C::kRecvRst, kPassive},
    {S::kSynReceived, S::kListen, C::kRecvSynInWindow, kPassive},
    {S::kSynReceived, S::kClosed, C::kRecvRst, kActive},
    {S::kSynReceived, S::kClosed, C::kRecvSynInWindow, kActive | kNo5961Syn},
    {S::kSynReceived, S::kClosed, C::kUserAbort, kAlways},
    {S::kSynReceived, S::kClosed, C::kRetransmitGiveUp, kAlways},
    // ESTABLISHED.
    {S::kEstablished, S::kFinWait1, C::kUserClose, kAlways},
    {S::kEstablished, S::kCloseWait, C::kRecvFin, kAlways},
    {S::kEstablished, S::kClosed, C::kRecvRst, kAlways},
    {S::kEstablished, S::kClosed, C::kRecvSynInWindow, kNo5961Syn},
    {S::kEstablished, S::kClosed, C::kUserAbort, kAlways},
    {S::kEstablished, S::kClosed, C::kRetransmitGiveUp, kAlways},
    // FIN-WAIT-1: fifth "if the FIN segment is now acknowledged, then enter
    // FIN-WAIT-2"; eighth "If our FIN has been ACKed (perhaps in this segment), then
    // enter TIME-WAIT ... otherwise, enter the CLOSING state".
    {S::kFinWait1, S::kFinWait2, C::kRecvAck, kAlways},
    {S::kFinWait1, S::kClosing, C::kRecvFin, kAlways},
    {S::kFinWait1, S::kTimeWait, C::kRecvFinAck, kAlways},
    {S::kFinWait1, S::kClosed, C::kRecvRst, kAlways},
    {S::kFinWait1, S::kClosed, C::kRecvSynInWindow, kNo5961Syn},
    {S::kFinWait1, S::kClosed, C::kUserAbort, kAlways},
    {S::kFinWait1, S::kClosed, C::kRetransmitGiveUp, kAlways},
    // FIN-WAIT-2: eighth "Enter the TIME-WAIT state". Nothing is outstanding here,
    // so there is nothing to give up on.
    {S::kFinWait2, S::kTimeWait, C::kRecvFin, kAlways},
    {S::kFinWait2, S::kClosed, C::kRecvRst, kAlways},
    {S::kFinWait2, S::kClosed, C::kRecvSynInWindow, kNo5961Syn},
    {S::kFinWait2, S::kClosed, C::kUserAbort, kAlways},
    // CLOSE-WAIT: 3.10.4 "send a FIN segment, enter LAST-ACK state" (strictly CLOSING
    // in the 3.10.4 text, LAST-ACK in Figure 5 and everywhere else).
    {S::kCloseWait, S::kLastAck, C::kUserClose, kAlways},
    {S::kCloseWait, S::kClosed, C::kRecvRst, kAlways},
    {S::kCloseWait, S::kClosed, C::kRecvSynInWindow, kNo5961Syn},
    {S::kCloseWait, S::kClosed, C::kUserAbort, kAlways},
    {S::kCloseWait, S::kClosed, C::kRetransmitGiveUp, kAlways},
    // CLOSING: fifth "if the ACK acknowledges our FIN, then enter the TIME-WAIT state".
    {S::kClosing, S::kTimeWait, C::kRecvAck, kAlways},
    {S::kClosing, S::kClosed, C::kRecvRst, kAlways},
    {S::kClosing, S::kClosed, C::kRecvSynInWindow, kNo5961Syn},
    {S::kClosing, S::kClosed, C::kUserAbort, kAlways},
    {S::kClosing, S::kClosed, C::kRetransmitGiveUp, kAlways},
    // LAST-ACK: fifth "If our FIN is now acknowledged, delete the TCB, enter the
    // CLOSED state".
    {S::kLastAck, S::kClosed, C::kRecvAck, kAlways},
    {S::kLastAck, S::kClosed, C::kRecvRst, kAlways},
    {S::kLastAck, S::kClosed, C::kRecvSynInWindow, kNo5961Syn},
    {S::kLastAck, S::kClosed, C::kUserAbort, kAlways},
    {S::kLastAck, S::kClosed, C::kRetransmitGiveUp, kAlways},
    // TIME-WAIT: 3.10.8 timeout; RFC 1122 4.2.2.13 new incarnation; a RST only when
    // RFC 1337 protection is off; RFC 793's in-window SYN; 3.10.5 ABORT.
    {S::kTimeWait, S::kClosed, C::kTimeWaitExpired, kAlways},
    // RFC 1122 4.2.3.6: keep-alive probes unanswered end an idle connection.
    {S::kEstablished, S::kClosed, C::kKeepaliveTimeout, kAlways},
    {S::kCloseWait, S::kClosed, C::kKeepaliveTimeout, kAlways},
    {S::kTimeWait, S::kClosed, C::kNewIncarnation, kReuse},
    {S::kTimeWait, S::kClosed, C::kRecvRst, kNo1337},
    {S::kTimeWait, S::kClosed, C::kRecvSynInWindow, kNo5961Syn},
    {S::kTimeWait, S::kClosed, C::kUserAbort, kAlways},
};

constexpr bool in(State s, StateSet set) { return set.contains(s); }

enum Id : uint32_t {
  kIllegal = 1u << 0,
  kDiscontinuity = 1u << 1,
  kSynFromState = 1u << 2,
  kDataFromState = 1u << 3,
  kTimeWaitNonAck = 1u << 4,
  kFinWithoutClosing = 1u << 5,
  kDataAfterFin = 1u << 6,
};

struct Conn {
  State state = State::kClosed;
  bool known = true;        // created; false for a connection we never saw created
  bool passive_synrcvd = false;  // SYN-RECEIVED was entered from LISTEN
  bool have_fin = false;
  uint32_t fin_pos = 0;          // sequence number of our FIN
  bool have_data = false;
  uint32_t data_end = 0;         // just past the furthest data byte sent
  uint32_t reported = 0;
};

class StateChecker final : public Oracle {
 public:
  explicit StateChecker(const OracleContext& ctx) : Oracle(ctx) {}
  uint32_t handled_events() const override { return events_overridden_by<StateChecker>(); }

  void on_created(int h, ConnId id, ConnId parent, const FourTuple&, Instant) override {
    Conn& c = conns_.fresh(h, id);
    c.state = parent != kNoConn ? State::kListen : State::kClosed;
  }

  void on_transition(int h, ConnId id, State from, State to, Cause cause, Instant now) override {
    const bool inserted = !conns_.contains(h, id);
    Conn& c = conns_(h, id);
    if (inserted) {
      c.known = false;
      c.state = from;
      report(c, kDiscontinuity, "state.transition-discontinuity", h, id, now,
             absl::StrCat("the stack reported ", to_string(from), " -> ", to_string(to), " (",
                          to_string(cause), ") for connection ", id,
                          ", which was never reported created."));
    } else if (c.state != from) {
      report(c, kDiscontinuity, "state.transition-discontinuity", h, id, now,
             absl::StrCat("the connection was in ", to_string(c.state),
                          " after its previous transition, but the stack reported a transition "
                          "from ",
                          to_string(from), " to ", to_string(to), " (", to_string(cause),
                          "): transitions must chain."));
    }
    std::string why;
    if (!legal(from, to, cause, c, why)) {
      report(c, kIllegal, "state.illegal-transition", h, id, now,
             absl::StrCat(to_string(from), " -> ", to_string(to), " on ", to_string(cause),
                          " is not an edge of RFC 9293's state diagram or section 3.10",
                          why.empty() ? "" : " under this run's rules: ", why, "."));
    }
    if (to == State::kSynReceived) c.passive_synrcvd = from == State::kListen;
    c.state = to;
  }

  void on_segment_out(int h, ConnId id, const FourTuple&, const Segment& seg,
                      const TcbSnapshot& tcb, Instant now) override {
    if (id == kNoConn) return;  // host-level replies have no state
    Conn* found = conns_.find(h, id);
    if (!found) return;
    Conn& c = *found;
    const State st = tcb.state;
    const bool syn = seg.flags.syn(), fin = seg.flags.fin(), rst = seg.flags.rst();
    const uint32_t len = static_cast<uint32_t>(seg.payload.size());

    if (syn) {
      const bool ok = in(st, State::kSynSent | State::kSynReceived) ||
                      (st == State::kFinWait1 && tcb.snd_una.raw == tcb.iss.raw);
      if (!ok) {
        report(c, kSynFromState, "state.syn-from-state", h, id, now,
               absl::StrCat("a segment with SYN (", flags_to_string(seg.flags), " seq ",
                            seg.seq.raw, ") left the connection in ", to_string(st),
                            " with SND.UNA ", tcb.snd_una.raw, " and ISS ", tcb.iss.raw,
                            ": a SYN is only sent in SYN-SENT or SYN-RECEIVED (or FIN-WAIT-1 "
                            "entered from SYN-RECEIVED while our SYN is unacknowledged)."));
      }
    }
    if (len > 0) {
      constexpr StateSet kMaySend = State::kEstablished | State::kFinWait1 | State::kCloseWait |
                                    State::kClosing | State::kLastAck;
      if (!in(st, kMaySend)) {
        report(c, kDataFromState, "state.data-from-state", h, id, now,
               absl::StrCat("a segment carrying ", len, " data bytes (seq ", seg.seq.raw,
                            ", ISS+", seg.seq.raw - tcb.iss.raw, ") left the connection in ",
                            to_string(st),
                            ": data is only sent in ESTABLISHED, FIN-WAIT-1, CLOSE-WAIT, "
                            "CLOSING and LAST-ACK."));
      }
    }
    if (st == State::kTimeWait) {
      const bool pure_ack = seg.flags.ack() && !syn && !fin && !rst && len == 0;
      const bool reset = rst && !syn && !fin && len == 0;
      if (!pure_ack && !reset) {
        report(c, kTimeWaitNonAck, "state.timewait-sent-non-ack", h, id, now,
               absl::StrCat("in TIME-WAIT the connection sent ", flags_to_string(seg.flags),
                            " seq ", seg.seq.raw, " with ", len,
                            " data bytes: TIME-WAIT only acknowledges (a retransmitted FIN, "
                            "an unacceptable segment) or resets."));
      }
    }
    if (fin && !in(st, State::kFinWait1 | State::kClosing | State::kLastAck)) {
      report(c, kFinWithoutClosing, "state.fin-without-closing-state", h, id, now,
             absl::StrCat("a FIN (", flags_to_string(seg.flags), " seq ", seg.seq.raw,
                          ") left the connection in ", to_string(st),
                          ": our FIN is only sent after CLOSE, in FIN-WAIT-1, CLOSING or "
                          "LAST-ACK."));
    }

    // Our FIN's place in the sequence space is fixed once sent: no data beyond it,
    // and it never moves.
    const uint32_t start = seg.seq.raw + (syn ? 1u : 0u);
    const uint32_t end = start + len;
    if (fin) {
      if (c.have_fin && end != c.fin_pos) {
        report(c, kDataAfterFin, "state.data-after-fin", h, id, now,
               absl::StrCat("our FIN was first sent at sequence ", c.fin_pos, " (ISS+",
                            c.fin_pos - tcb.iss.raw, ") but now at ", end, " (ISS+",
                            end - tcb.iss.raw, "): the FIN ends the stream and cannot move."));
      } else if (!c.have_fin && c.have_data && serial::after(c.data_end, end)) {
        report(c, kDataAfterFin, "state.data-after-fin", h, id, now,
               absl::StrCat("our FIN went out at sequence ", end, " (ISS+", end - tcb.iss.raw,
                            ") but data up to ", c.data_end, " (ISS+", c.data_end - tcb.iss.raw,
                            ") had already been sent beyond it."));
      }
      if (!c.have_fin) {
        c.have_fin = true;
        c.fin_pos = end;
      }
    }
    if (len > 0) {
      if (c.have_fin && serial::after(end, c.fin_pos)) {
        report(c, kDataAfterFin, "state.data-after-fin", h, id, now,
               absl::StrCat("a segment carries data up to sequence ", end, " (ISS+",
                            end - tcb.iss.raw, ") but our FIN was already sent at ", c.fin_pos,
                            " (ISS+", c.fin_pos - tcb.iss.raw,
                            "): no data may follow the FIN."));
      }
      if (!c.have_data || serial::after(end, c.data_end)) {
        c.have_data = true;
        c.data_end = end;
      }
    }
  }

  void on_released(int h, ConnId id, Instant) override { conns_.erase(h, id); }

 private:
  bool legal(State from, State to, Cause cause, const Conn& c, std::string& why) const {
    for (const LegalEdge& e : kEdges) {
      if (e.from != from || e.to != to || e.cause != cause) continue;
      if ((e.cond & kPassive) && !c.passive_synrcvd) {
        why = "the connection reached SYN-RECEIVED from SYN-SENT (an active OPEN); only a "
              "passive OPEN returns to LISTEN";
        continue;
      }
      if ((e.cond & kActive) && c.passive_synrcvd) {
        why = "the connection reached SYN-RECEIVED from LISTEN (a passive OPEN), which must "
              "return to LISTEN, not CLOSED";
        continue;
      }
      if ((e.cond & kNo5961Syn) && config().rfc5961_syn) {
        why = "RFC 5961 SYN handling is on, so an in-window SYN draws a challenge ACK and "
              "never resets the connection";
        continue;
      }
      if ((e.cond & kNo1337) && config().rfc1337) {
        why = "RFC 1337 protection is on, so a RST in TIME-WAIT is ignored";
        continue;
      }
      if ((e.cond & kReuse) && config().time_wait_syn != TimeWaitSynPolicy::kReuseIfSeqGreater) {
        why = "the TIME-WAIT policy is strict, so a new SYN never ends TIME-WAIT early";
        continue;
      }
      return true;
    }
    return false;
  }

  void report(Conn& c, uint32_t bit, const char* id, int h, ConnId conn, Instant at,
              std::string text) {
    if (c.reported & bit) return;
    c.reported |= bit;
    fail(id, h, conn, at, std::move(text));
  }

  ConnTable<Conn> conns_;
};

}  // namespace

std::unique_ptr<Oracle> make_state_checker(const OracleContext& ctx) {
  return std::make_unique<StateChecker>(ctx);
}

Oracle* make_state_checker_in(CheckerArena& arena, const OracleContext& ctx) {
  return arena.make<StateChecker>(ctx);
}

}  // namespace synfin::harness
