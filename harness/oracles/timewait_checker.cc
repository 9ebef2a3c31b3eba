// The TIME-WAIT checker (RFC 9293 3.3.2, 3.6.1, 3.10.7.4; RFC 1122 4.2.2.13).
//
// Ids:
//   timewait.illegal-entry    TIME-WAIT entered other than from FIN-WAIT-2 (rcv FIN),
//                             CLOSING (rcv ACK of FIN) or FIN-WAIT-1 (rcv FIN + ACK of FIN)
//   timewait.passive-closer   a connection that was in CLOSE-WAIT or LAST-ACK entered TIME-WAIT
//   timewait.wrong-duration   the 2*MSL timeout ended TIME-WAIT earlier or later than 2*MSL
//                             after entry or after the last retransmitted FIN
//   timewait.not-restarted    a retransmitted FIN did not restart the 2*MSL timer
//   timewait.fin-not-reacked  a retransmitted FIN was not acknowledged in the same step
//   timewait.data-sent        payload sent in TIME-WAIT
//   timewait.tuple-reused     a connection got the 4-tuple of one still in TIME-WAIT,
//                             except a listener's new incarnation under the reuse policy
//                             (RFC 1122 4.2.2.13) opened by a SYN beyond the old RCV.NXT,
//                             with an ISS beyond the old SND.MAX, after whose
//                             establishment the old one ends at once (kNewIncarnation)
//                             and not otherwise
//   timewait.freed-early      a TCB released while in TIME-WAIT
//   timewait.freed-late       TIME-WAIT outlived its expiry, or the TCB was not freed at
//                             the instant TIME-WAIT ended
#include <cstdint>
#include <optional>

#include "absl/container/btree_map.h"
#include "absl/strings/str_cat.h"
#include "harness/oracles/checkers.h"
#include "harness/oracles/conn_table.h"
#include "harness/oracles/serial.h"

namespace synfin::harness {
namespace {

enum Id : uint32_t {
  kIllegalEntry = 1u << 0,
  kPassiveCloser = 1u << 1,
  kWrongDuration = 1u << 2,
  kNotRestarted = 1u << 3,
  kFinNotReacked = 1u << 4,
  kDataSent = 1u << 5,
  kTupleReused = 1u << 6,
  kFreedEarly = 1u << 7,
  kFreedLate = 1u << 8,
};

struct Conn {
  FourTuple tuple;
  bool ever_passive_close = false;  // was in CLOSE-WAIT or LAST-ACK
  bool in_tw = false;
  Instant tw_entered;
  Instant tw_end;                   // when the 2*MSL timeout must end TIME-WAIT
  bool tw_registered = false;       // its tuple is in tw_tuples_
  FourTuple tw_tuple;
  bool overstay_reported = false;
  // A retransmitted FIN arrived in this step.
  bool fin_pending = false;
  uint32_t fin_rcv_nxt = 0;
  bool fin_acked = false;
  bool fin_restarted = false;
  // Left TIME-WAIT for CLOSED, TCB not yet released.
  bool awaiting_release = false;
  Instant closed_at;
  // A new incarnation opened on the 4-tuple of `incarnation_of`, still in
  // TIME-WAIT (RFC 1122 4.2.2.13): its SYN must lie beyond the old RCV.NXT and its
  // ISS beyond every number the old one used.
  ConnId incarnation_of = kNoConn;
  bool check_new_syn = false;
  bool check_new_iss = false;
  bool have_old = false;
  uint32_t old_rcv_nxt = 0;
  uint32_t old_snd_max = 0;
  // The old incarnation: once the new one is established, TIME-WAIT ends at once.
  bool must_end = false;
  Instant must_end_at;
  bool have_seq = false;
  uint32_t rcv_nxt = 0;
  uint32_t snd_max = 0;
  uint32_t reported = 0;
};

constexpr Instant kNever{INT64_MAX};

class TimeWaitChecker final : public Oracle {
 public:
  explicit TimeWaitChecker(const OracleContext& ctx) : Oracle(ctx) {}
  uint32_t handled_events() const override { return events_overridden_by<TimeWaitChecker>(); }

  void on_created(int h, ConnId id, ConnId parent, const FourTuple& t, Instant now) override {
    tick(now);
    Conn& c = conns_.fresh(h, id);
    c.tuple = t;
    auto tw = tw_tuples_.empty() ? tw_tuples_.end() : tw_tuples_.find({h, t});
    if (tw == tw_tuples_.end() || tw->second == id) return;
    // RFC 1122 4.2.2.13: a SYN for a 4-tuple in TIME-WAIT may open a new
    // incarnation, when the policy allows it; only a listener answers a SYN.
    const ConnId old_id = tw->second;
    const Conn* old = find(h, old_id);
    if (config().time_wait_syn != TimeWaitSynPolicy::kReuseIfSeqGreater || parent == kNoConn ||
        !old) {
      check_tuple(h, id, c, t, now);
      return;
    }
    c.incarnation_of = old_id;
    c.check_new_syn = c.check_new_iss = true;
    c.have_old = old->have_seq;
    c.old_rcv_nxt = old->rcv_nxt;
    c.old_snd_max = old->snd_max;
  }

  void on_transition(int h, ConnId id, State from, State to, Cause cause, Instant now) override {
    tick(now);
    Conn& c = conns_(h, id);
    if (to == State::kCloseWait || to == State::kLastAck) c.ever_passive_close = true;
    if (c.incarnation_of != kNoConn && from == State::kSynReceived &&
        kSynchronizedStates.contains(to)) {
      // The new incarnation is established: the old one's TIME-WAIT ends now.
      Conn* o = conns_.find(h, c.incarnation_of);
      if (o && o->in_tw) {
        o->must_end = true;
        o->must_end_at = now;
        recompute();
      }
      c.incarnation_of = kNoConn;
    }
    if (from == State::kTimeWait && to != State::kTimeWait) leave(h, id, c, to, cause, now);
    if (to == State::kTimeWait && from != State::kTimeWait) enter(h, id, c, from, cause, now);
  }

  void on_segment_in(int h, ConnId id, const FourTuple& t, const Segment& seg,
                     const TcbSnapshot& before, Instant now) override {
    tick(now);
    if (id == kNoConn) return;
    Conn* found = conns_.find(h, id);
    if (!found) return;
    Conn& c = *found;
    observe_tuple(h, id, c, t, now);
    note_seq(c, before);
    if (c.check_new_syn) {
      c.check_new_syn = false;
      const bool syn_only = seg.flags.syn() && !seg.flags.ack() && !seg.flags.rst();
      if (!syn_only || (c.have_old && !serial::after(seg.seq.raw, c.old_rcv_nxt))) {
        report(c, kTupleReused, "timewait.tuple-reused", h, id, now,
               absl::StrCat("connection ", id, " opened on ", t.to_string(), " while connection ",
                            c.incarnation_of, " is in TIME-WAIT with it, for a ",
                            flags_to_string(seg.flags), " segment with sequence number ",
                            seg.seq.raw, " (the old RCV.NXT is ", c.old_rcv_nxt,
                            "): RFC 1122 4.2.2.13 only lets a SYN whose sequence number is "
                            "larger than any the old incarnation used reopen the 4-tuple."));
      }
    }
    // RFC 9293 3.10.7.4: "The only thing that can arrive in this state is a
    // retransmission of the remote FIN. Acknowledge it, and restart the 2 MSL timeout."
    // A RST or SYN is handled as what it is, not as a FIN.
    const bool fin_again = before.state == State::kTimeWait && seg.flags.fin() &&
                           !seg.flags.rst() && !seg.flags.syn() &&
                           seg.seq.raw + seg_space(seg) == before.rcv_nxt.raw;
    if (fin_again) {
      c.fin_pending = true;
      c.fin_rcv_nxt = before.rcv_nxt.raw;
      c.fin_acked = false;
      c.fin_restarted = false;
      if (c.in_tw) {
        c.tw_end = now + two_msl();
        recompute();
      }
    }
  }

  void on_segment_out(int h, ConnId id, const FourTuple& t, const Segment& seg,
                      const TcbSnapshot& tcb, Instant now) override {
    tick(now);
    if (id == kNoConn) return;
    Conn* found = conns_.find(h, id);
    if (!found) return;
    Conn& c = *found;
    observe_tuple(h, id, c, t, now);
    note_seq(c, tcb);
    if (c.check_new_iss && seg.flags.syn()) {
      c.check_new_iss = false;
      if (c.have_old && !serial::after(seg.seq.raw, c.old_snd_max - 1)) {
        report(c, kTupleReused, "timewait.tuple-reused", h, id, now,
               absl::StrCat("the new incarnation of ", t.to_string(), " chose ISS ", seg.seq.raw,
                            " but the old one, still in TIME-WAIT, had sent up to ",
                            c.old_snd_max,
                            ": RFC 1122 4.2.2.13 (1) requires an ISS larger than the largest "
                            "sequence number the previous incarnation used."));
      }
    }
    if (c.fin_pending && seg.flags.ack() && !seg.flags.syn() && !seg.flags.fin() &&
        !seg.flags.rst() && seg.payload.empty() && seg.ack.raw == c.fin_rcv_nxt) {
      c.fin_acked = true;
    }
    if (!seg.payload.empty() && (c.in_tw || tcb.state == State::kTimeWait)) {
      report(c, kDataSent, "timewait.data-sent", h, id, now,
             absl::StrCat("in TIME-WAIT the connection sent ", seg.payload.size(),
                          " data bytes at sequence ", seg.seq.raw, " (ISS+",
                          seg.seq.raw - tcb.iss.raw,
                          "): both FINs have been exchanged and acknowledged, no data may "
                          "follow."));
    }
  }

  void on_timer(int h, ConnId id, TimerKind kind, TimerAction action, Instant deadline,
                Instant now) override {
    tick(now);
    if (kind != TimerKind::kTimeWait || action != TimerAction::kSet) return;
    Conn* found = conns_.find(h, id);
    if (!found) return;
    Conn& c = *found;
    if (c.fin_pending && deadline == now + two_msl()) c.fin_restarted = true;
  }

  void on_step_end(int h, ConnId id, const TcbSnapshot& tcb, Instant now) override {
    tick(now);
    Conn* found = conns_.find(h, id);
    if (!found) return;
    Conn& c = *found;
    note_seq(c, tcb);
    if (!c.fin_pending) return;
    c.fin_pending = false;
    if (!c.fin_acked) {
      report(c, kFinNotReacked, "timewait.fin-not-reacked", h, id, now,
             absl::StrCat("a retransmission of the peer's FIN (ending at RCV.NXT ", c.fin_rcv_nxt,
                          ", IRS+", c.fin_rcv_nxt - tcb.irs.raw,
                          ") arrived in TIME-WAIT but no ACK with ack ", c.fin_rcv_nxt,
                          " was sent for it: RFC 9293 3.10.7.4 says acknowledge it."));
    }
    if (!c.fin_restarted) {
      report(c, kNotRestarted, "timewait.not-restarted", h, id, now,
             absl::StrCat("a retransmission of the peer's FIN arrived in TIME-WAIT at ",
                          format_instant(now), " but the time-wait timer was not set to ",
                          format_instant(now + two_msl()),
                          " (now + 2*MSL): RFC 9293 3.10.7.4 says restart the 2 MSL timeout."));
    }
  }

  void on_released(int h, ConnId id, Instant now) override {
    tick(now);
    Conn* found = conns_.find(h, id);
    if (!found) return;
    Conn& c = *found;
    if (c.in_tw) {
      report(c, kFreedEarly, "timewait.freed-early", h, id, now,
             absl::StrCat("the TCB was released at ", format_instant(now),
                          " while still in TIME-WAIT (entered at ", format_instant(c.tw_entered),
                          ", due to end at ", format_instant(c.tw_end),
                          "): the 4-tuple must stay reserved for 2*MSL."));
    } else if (c.awaiting_release && now != c.closed_at) {
      report(c, kFreedLate, "timewait.freed-late", h, id, now,
             absl::StrCat("TIME-WAIT ended at ", format_instant(c.closed_at),
                          " but the TCB was only released at ", format_instant(now), "."));
    }
    if (c.tw_registered) unregister(h, c);
    conns_.erase(h, id);
    recompute();
  }

  void on_deliver(int, ConnId, std::span<const uint8_t>, Instant now) override { tick(now); }
  void on_send_accepted(int, ConnId, std::span<const uint8_t>, Instant now) override { tick(now); }
  void on_user_event(int, ConnId, UserEvent, Instant now) override { tick(now); }
  void on_wire_send(int, std::span<const uint8_t>, Instant now) override { tick(now); }
  void on_wire_deliver(int, std::span<const uint8_t>, Instant now) override { tick(now); }
  // Not on_fault / on_link_drop: a link stamps those with the frame's scheduled
  // time, which may lie ahead of the simulator's clock.
  void on_decode_error(int, const absl::Status&, Instant now) override { tick(now); }
  void on_app_call(int, const AppCall&, Instant now) override { tick(now); }
  void on_inject(int, const IpPacket&, Instant now) override { tick(now); }
  void on_run_end(Instant now) override { tick(now); }

  void finish(bool, Instant now) override {
    tick(now);
    // Whatever the clock says, a TCB that left TIME-WAIT must be gone by now.
    conns_.for_each([&](int h, ConnId id, Conn& c) {
      if (c.awaiting_release) {
        report(c, kFreedLate, "timewait.freed-late", h, id, now,
               absl::StrCat("TIME-WAIT ended at ", format_instant(c.closed_at),
                            " but the TCB was still not released when the run ended at ",
                            format_instant(now), "."));
      }
    });
  }

 private:
  static uint32_t seg_space(const Segment& s) {
    return static_cast<uint32_t>(s.payload.size()) + (s.flags.syn() ? 1u : 0u) +
           (s.flags.fin() ? 1u : 0u);
  }
  Duration two_msl() const { return config().msl * 2; }

  static void note_seq(Conn& c, const TcbSnapshot& t) {
    if (t.state == State::kClosed || t.state == State::kListen) return;
    c.have_seq = true;
    c.rcv_nxt = t.rcv_nxt.raw;
    c.snd_max = t.snd_max.raw;
  }

  void enter(int h, ConnId id, Conn& c, State from, Cause cause, Instant now) {
    const bool legal = (from == State::kFinWait2 && cause == Cause::kRecvFin) ||
                       (from == State::kClosing && cause == Cause::kRecvAck) ||
                       (from == State::kFinWait1 && cause == Cause::kRecvFinAck);
    if (!legal) {
      report(c, kIllegalEntry, "timewait.illegal-entry", h, id, now,
             absl::StrCat("the connection entered TIME-WAIT from ", to_string(from), " on ",
                          to_string(cause),
                          ": TIME-WAIT is only entered from FIN-WAIT-2 on the peer's FIN, from "
                          "CLOSING on the ACK of our FIN, or from FIN-WAIT-1 on a FIN that "
                          "also acknowledges ours."));
    }
    if (c.ever_passive_close) {
      report(c, kPassiveCloser, "timewait.passive-closer", h, id, now,
             absl::StrCat("the connection entered TIME-WAIT (from ", to_string(from),
                          ") after having been in CLOSE-WAIT or LAST-ACK: the passive closer "
                          "never waits in TIME-WAIT, only the side that closed first does."));
    }
    c.in_tw = true;
    c.tw_entered = now;
    c.tw_end = now + two_msl();
    c.overstay_reported = false;
    c.awaiting_release = false;
    // The tuple is reserved from now on.
    if (c.tw_registered) unregister(h, c);
    c.tw_tuple = c.tuple;
    c.tw_registered = true;
    tw_tuples_[{h, c.tw_tuple}] = id;
    recompute();
  }

  void leave(int h, ConnId id, Conn& c, State to, Cause cause, Instant now) {
    if (c.in_tw && cause == Cause::kTimeWaitExpired && now != c.tw_end) {
      report(c, kWrongDuration, "timewait.wrong-duration", h, id, now,
             absl::StrCat("the 2*MSL timeout ended TIME-WAIT at ", format_instant(now),
                          " but it was due at ", format_instant(c.tw_end), " (",
                          now < c.tw_end ? "early by " : "late by ",
                          format_duration(now < c.tw_end ? c.tw_end - now : now - c.tw_end),
                          "; entered at ", format_instant(c.tw_entered),
                          ", 2*MSL = ", format_duration(two_msl()),
                          ", restarted by each retransmitted FIN)."));
    }
    c.in_tw = false;
    if (c.tw_registered) unregister(h, c);
    if (to == State::kClosed) {
      c.awaiting_release = true;
      c.closed_at = now;
    }
    if (cause == Cause::kNewIncarnation &&
        (config().time_wait_syn != TimeWaitSynPolicy::kReuseIfSeqGreater || !c.must_end ||
         c.must_end_at != now)) {
      report(c, kTupleReused, "timewait.tuple-reused", h, id, now,
             absl::StrCat("TIME-WAIT of ", c.tuple.to_string(), " was ended at ",
                          format_instant(now), " for a new incarnation, but ",
                          config().time_wait_syn != TimeWaitSynPolicy::kReuseIfSeqGreater
                              ? "the TIME-WAIT policy is strict"
                              : c.must_end ? absl::StrCat("the new incarnation was established at ",
                                                          format_instant(c.must_end_at))
                                           : std::string("no new incarnation was established"),
                          ": the old incarnation only gives way when the new one is "
                          "established."));
    }
    c.must_end = false;
    recompute();
  }

  void unregister(int h, Conn& c) {
    auto it = tw_tuples_.find({h, c.tw_tuple});
    if (it != tw_tuples_.end()) tw_tuples_.erase(it);
    c.tw_registered = false;
  }

  // A connection now known to use `t`: the tuple must not belong to another
  // connection of this host that is in TIME-WAIT.
  void observe_tuple(int h, ConnId id, Conn& c, const FourTuple& t, Instant now) {
    if (t == c.tuple) return;
    c.tuple = t;
    check_tuple(h, id, c, t, now);
  }
  void check_tuple(int h, ConnId id, Conn& c, const FourTuple& t, Instant now) {
    if (tw_tuples_.empty()) return;
    auto it = tw_tuples_.find({h, t});
    if (it == tw_tuples_.end() || it->second == id || it->second == c.incarnation_of) return;
    const Conn* old = find(h, it->second);
    report(c, kTupleReused, "timewait.tuple-reused", h, id, now,
           absl::StrCat("connection ", id, " uses ", t.to_string(), " while connection ",
                        it->second, " with the same 4-tuple is still in TIME-WAIT",
                        old ? absl::StrCat(" until ", format_instant(old->tw_end)) : "",
                        ": the 4-tuple may not be reused before 2*MSL has passed."));
  }

  const Conn* find(int h, ConnId id) const { return conns_.find(h, id); }

  // The earliest instant past which some connection would be overdue.
  void recompute() {
    next_ = kNever;
    conns_.for_each([&](int, ConnId, const Conn& c) {
      if (c.in_tw && !c.overstay_reported && c.tw_end < next_) next_ = c.tw_end;
      if (c.awaiting_release && !(c.reported & kFreedLate) && c.closed_at < next_) {
        next_ = c.closed_at;
      }
      if (c.in_tw && c.must_end && !(c.reported & kTupleReused) && c.must_end_at < next_) {
        next_ = c.must_end_at;
      }
    });
  }

  // Any event strictly after a connection's TIME-WAIT expiry (or its end) shows
  // the run went on while it overstayed: the simulator fires every timer due at an
  // instant before any later event.
  void tick(Instant now) {
    if (now <= next_) return;
    conns_.for_each([&](int h, ConnId id, Conn& c) {
      if (c.in_tw && !c.overstay_reported && now > c.tw_end) {
        c.overstay_reported = true;
        report(c, kFreedLate, "timewait.freed-late", h, id, now,
               absl::StrCat("the connection is still in TIME-WAIT at ", format_instant(now),
                            ", after its 2*MSL expiry at ", format_instant(c.tw_end),
                            " (entered at ", format_instant(c.tw_entered), ")."));
      }
      if (c.in_tw && c.must_end && now > c.must_end_at) {
        report(c, kTupleReused, "timewait.tuple-reused", h, id, now,
               absl::StrCat("a new incarnation of ", c.tuple.to_string(),
                            " was established at ", format_instant(c.must_end_at),
                            " but the old one is still in TIME-WAIT at ", format_instant(now),
                            ": two incarnations of one 4-tuple cannot coexist."));
      }
      if (c.awaiting_release && now > c.closed_at) {
        report(c, kFreedLate, "timewait.freed-late", h, id, now,
               absl::StrCat("TIME-WAIT ended at ", format_instant(c.closed_at),
                            " but the TCB was still not released at ", format_instant(now),
                            "."));
      }
    });
    recompute();
  }

  void report(Conn& c, uint32_t bit, const char* id, int h, ConnId conn, Instant at,
              std::string text) {
    if (c.reported & bit) return;
    c.reported |= bit;
    fail(id, h, conn, at, std::move(text));
  }

  ConnTable<Conn> conns_;
  absl::btree_map<std::pair<int, FourTuple>, ConnId> tw_tuples_;
  Instant next_ = kNever;
};

}  // namespace

std::unique_ptr<Oracle> make_timewait_checker(const OracleContext& ctx) {
  return std::make_unique<TimeWaitChecker>(ctx);
}

Oracle* make_timewait_checker_in(CheckerArena& arena, const OracleContext& ctx) {
  return arena.make<TimeWaitChecker>(ctx);
}

}  // namespace synfin::harness
