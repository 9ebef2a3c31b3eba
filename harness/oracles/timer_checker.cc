// The timer checker: timers fire when they were set to, retransmissions keep RFC
// 6298's pace and RFC 1122 4.2.3.5's retry limits, and timer steps send only what
// their timer is for. Judged from the wire and the timer events, with the
// checker's own clock arithmetic.
//
// Ids:
//   timer.fired-off-deadline  a timer fired that was not armed, at another deadline than
//                             the one last set, or at another time than its deadline
//   timer.rexmit-too-early    a timeout retransmission less than Config.rto_min after the
//                             sequence number's first transmission or the previous timeout
//   timer.rto-not-doubled     consecutive timeouts (nothing received in between) not spaced
//                             min(2 * previous gap, rto_max) (RFC 6298 5.5)
//   timer.retries-exceeded    more consecutive timeout retransmissions than syn_retries
//                             (SYN, SYN-ACK) or data_retries (data, FIN)
//   timer.giveup-silent       a give-up without telling the user "timed out" first
//   timer.giveup-early        a give-up before the configured number of retransmissions
//   timer.spurious-segment    a time-wait timeout that sent something, a persist
//                             timeout that sent anything but one zero-window probe or,
//                             the window having opened, new data and the FIN, a
//                             delayed-ACK timeout that sent anything but one bare ACK,
//                             or a keep-alive timeout anything but one probe
//   timer.ack-delay-too-long  a delayed-ACK timer that ran 500 ms or more (RFC 1122
//                             4.2.3.2: "the delay MUST be less than 0.5 seconds")
//   timer.keepalive-early     a keep-alive probe sooner than keepalive_idle after the
//                             peer was last heard from, or than keepalive_interval
//                             after the previous probe (RFC 1122 4.2.3.6)
//   timer.keepalive-giveup-early  a keep-alive give-up after fewer than
//                             keepalive_probes unanswered probes
#include <cstdint>
#include <utility>
#include <vector>

#include "absl/strings/str_cat.h"
#include "harness/oracles/checkers.h"
#include "harness/oracles/conn_table.h"
#include "harness/oracles/serial.h"

namespace synfin::harness {
namespace {

enum Id : uint32_t {
  kFiredOffDeadline = 1u << 0,
  kRexmitTooEarly = 1u << 1,
  kRtoNotDoubled = 1u << 2,
  kRetriesExceeded = 1u << 3,
  kGiveupSilent = 1u << 4,
  kGiveupEarly = 1u << 5,
  kSpurious = 1u << 6,
  kAckDelayTooLong = 1u << 7,
  kKeepaliveEarly = 1u << 8,
  kKeepaliveGiveupEarly = 1u << 9,
};

constexpr int kRexmit = static_cast<int>(TimerKind::kRetransmit);
constexpr int kPersist = static_cast<int>(TimerKind::kPersist);
constexpr int kTimeWait = static_cast<int>(TimerKind::kTimeWait);
constexpr int kDelayedAck = static_cast<int>(TimerKind::kDelayedAck);
constexpr int kKeepalive = static_cast<int>(TimerKind::kKeepalive);

const char* kind_name(int k) {
  switch (k) {
    case kRexmit: return "retransmission";
    case kPersist: return "persist";
    case kTimeWait: return "time-wait";
    case kDelayedAck: return "delayed-ACK";
    case kKeepalive: return "keep-alive";
    default: return "unknown";
  }
}

// RFC 1122 4.2.3.2's bound on an ACK's delay.
constexpr Duration kMaxAckDelay = Duration::millis(500);

struct Conn {
  bool armed[kNumTimerKinds] = {};
  Instant deadline[kNumTimerKinds];

  // The current step (ends with on_step_end).
  bool timer_step = false;  // some timer fired in this step
  int last_fire = -1;       // the kind of the last timer fired in this step
  int persist_segments = 0;
  bool persist_ack_probe = false;  // a bare-ACK probe went out in this step
  bool timed_out_event = false;  // UserEvent::kTimedOut in this step
  int step_segments = 0;         // segments sent in this step

  // Delayed ACK: when the armed timer was first set.
  Instant ack_delay_set;
  // Keep-alive: when the peer was last heard from, the last probe, and probes
  // since the peer was last heard from.
  Instant last_in;
  Instant last_probe;
  int probes = 0;

  // Sequence space, from our own segments and the snapshots.
  bool have_iss = false;
  uint32_t iss = 0;
  uint32_t snd_una = 0;
  bool have_sent = false;
  uint32_t sent_end = 0;  // just past the highest sequence number sent
  // First transmissions still unacknowledged: (end, time), ordered by sequence,
  // merged when sent at the same instant. A vector, not a deque: a deque
  // allocates as it is built, and a record is built for every connection.
  std::vector<std::pair<uint32_t, Instant>> first_sent;

  // Timeout retransmissions.
  bool have_last_rexmit = false;
  Instant last_rexmit;
  int retries = 0;  // consecutive timeout retransmissions since SND.UNA last advanced
  // The current chain of timeouts with nothing received in between.
  int chain = 0;
  Instant chain_t[2];  // the last two retransmission times of the chain

  uint32_t reported = 0;
};

class TimerChecker final : public Oracle {
 public:
  explicit TimerChecker(const OracleContext& ctx) : Oracle(ctx) {}
  uint32_t handled_events() const override { return events_overridden_by<TimerChecker>(); }

  void on_created(int h, ConnId id, ConnId, const FourTuple&, Instant) override {
    conns_.fresh(h, id);
  }

  void on_timer(int h, ConnId id, TimerKind kind, TimerAction action, Instant deadline,
                Instant now) override {
    Conn* c = find(h, id);
    if (!c) return;
    const int k = static_cast<int>(kind);
    switch (action) {
      case TimerAction::kSet:
        if (k == kDelayedAck && !c->armed[k]) c->ack_delay_set = now;
        c->armed[k] = true;
        c->deadline[k] = deadline;
        // A retransmission timer (re)started outside a timer step breaks the chain
        // of pure back-offs.
        if (k == kRexmit && !c->timer_step) c->chain = 0;
        break;
      case TimerAction::kCancel:
        c->armed[k] = false;
        break;
      case TimerAction::kFire: {
        if (!(c->reported & kFiredOffDeadline)) {
          std::string why;
          if (!c->armed[k]) {
            why = "it was not armed (never set, or cancelled or fired since)";
          } else if (deadline != c->deadline[k]) {
            why = absl::StrCat("it was last set for ", format_instant(c->deadline[k]));
          } else if (now != deadline) {
            why = absl::StrCat("it fired at ", format_instant(now));
          }
          if (!why.empty()) {
            report(*c, kFiredOffDeadline, "timer.fired-off-deadline", h, id, now,
                   absl::StrCat("the ", kind_name(k), " timer fired with deadline ",
                                format_instant(deadline), " but ", why,
                                ": a timer fires exactly at the deadline it was last set to."));
          }
        }
        if (k == kDelayedAck && now - c->ack_delay_set >= kMaxAckDelay) {
          report(*c, kAckDelayTooLong, "timer.ack-delay-too-long", h, id, now,
                 absl::StrCat("an ACK was held from ", format_instant(c->ack_delay_set), " to ",
                              format_instant(now), ": RFC 1122 4.2.3.2, the delay \"MUST be less than "
                              "0.5 seconds\"."));
        }
        c->armed[k] = false;
        c->timer_step = true;
        c->last_fire = k;
        break;
      }
    }
  }

  void on_user_event(int h, ConnId id, UserEvent e, Instant) override {
    if (e != UserEvent::kTimedOut) return;
    if (Conn* c = find(h, id)) c->timed_out_event = true;
  }

  void on_transition(int h, ConnId id, State, State to, Cause cause, Instant now) override {
    Conn* c = find(h, id);
    if (c && cause == Cause::kKeepaliveTimeout && c->probes < config().keepalive_probes) {
      report(*c, kKeepaliveGiveupEarly, "timer.keepalive-giveup-early", h, id, now,
             absl::StrCat("the connection gave up on its peer after ", c->probes,
                          " unanswered keep-alive probes, but Config.keepalive_probes is ",
                          config().keepalive_probes, "."));
    }
    if (!c || cause != Cause::kRetransmitGiveUp) return;
    if (!c->timed_out_event) {
      report(*c, kGiveupSilent, "timer.giveup-silent", h, id, now,
             absl::StrCat("the connection gave up on retransmitting and went to ", to_string(to),
                          " without first telling the user 'timed out' (RFC 1122 4.2.3.5: "
                          "past R2 the connection is closed and the user informed)."));
    }
    const bool opening = !c->have_iss || c->snd_una == c->iss;
    const int limit = std::max(0, opening ? config().syn_retries : config().data_retries);
    if (c->retries < limit) {
      report(*c, kGiveupEarly, "timer.giveup-early", h, id, now,
             absl::StrCat("the connection gave up after ", c->retries,
                          " consecutive timeout retransmissions of its ",
                          opening ? "SYN" : "data or FIN", ", but Config.",
                          opening ? "syn_retries" : "data_retries", " is ", limit,
                          ": it must retransmit that many times before giving up."));
    }
  }

  void on_segment_in(int h, ConnId id, const FourTuple&, const Segment&, const TcbSnapshot& before,
                     Instant now) override {
    if (id == kNoConn) return;
    Conn* c = find(h, id);
    if (!c) return;
    c->chain = 0;  // something arrived: the back-off chain is broken
    c->last_in = now;
    c->probes = 0;
    note(*c, before);
  }

  void on_segment_out(int h, ConnId id, const FourTuple&, const Segment& seg,
                      const TcbSnapshot& tcb, Instant now) override {
    if (id == kNoConn) return;
    Conn* c = find(h, id);
    if (!c) return;
    const uint32_t space = static_cast<uint32_t>(seg.payload.size()) +
                           (seg.flags.syn() ? 1u : 0u) + (seg.flags.fin() ? 1u : 0u);
    const uint32_t start = seg.seq.raw;
    const uint32_t end = start + space;
    const bool seen_before = space > 0 && c->have_sent && serial::before(start, c->sent_end);

    if (c->timer_step) {
      if (c->last_fire == kRexmit && seen_before) on_timeout_rexmit(h, id, *c, seg, now);
      if (c->last_fire == kPersist) {
        // RFC 9293 3.8.6.1 / RFC 1122 4.2.2.17: a persist timeout sends one
        // zero-window probe; if the window has opened meanwhile, it may instead
        // send what the window now allows (new data or the FIN), nothing else.
        ++c->persist_segments;
        const bool ack_probe = seg.flags.ack() && !seg.flags.syn() && !seg.flags.fin() &&
                               !seg.flags.rst() && seg.payload.empty() &&
                               start == tcb.snd_una.raw - 1;
        const bool byte_probe = !seg.flags.syn() && !seg.flags.rst() && seg.payload.size() == 1 &&
                                start == tcb.snd_una.raw;
        const bool new_data = !seg.flags.syn() && !seg.flags.rst() && space > 0 &&
                              (!c->have_sent || !serial::before(start, c->sent_end));
        const bool ok = (new_data && !c->persist_ack_probe) ||
                        ((ack_probe || byte_probe) && c->persist_segments == 1);
        if (ack_probe) c->persist_ack_probe = true;
        if (!ok) {
          report(*c, kSpurious, "timer.spurious-segment", h, id, now,
                 absl::StrCat("a persist timeout sent ", flags_to_string(seg.flags), " seq ",
                              start, " with ", seg.payload.size(),
                              " data bytes (segment ", c->persist_segments, " of the step; "
                              "SND.UNA ", tcb.snd_una.raw,
                              "): a persist timeout sends one zero-window probe (a bare ACK at "
                              "SND.UNA-1 or one byte at SND.UNA), or, if the window has opened, "
                              "new data and the FIN."));
        }
      }
      if (c->last_fire == kDelayedAck || c->last_fire == kKeepalive) on_ack_or_probe(h, id, *c, seg, tcb, now);
      if (c->last_fire == kTimeWait) {
        report(*c, kSpurious, "timer.spurious-segment", h, id, now,
               absl::StrCat("the time-wait timeout sent ", flags_to_string(seg.flags), " seq ",
                            start, ": when 2*MSL expires the TCB is deleted and nothing is sent."));
      }
    }

    // Record first transmissions.
    if (space > 0) {
      if (!c->have_sent) {
        c->have_sent = true;
        c->sent_end = start;
      }
      if (serial::after(end, c->sent_end)) {
        if (!c->first_sent.empty() && c->first_sent.back().second == now) {
          c->first_sent.back().first = end;
        } else {
          c->first_sent.emplace_back(end, now);
        }
        c->sent_end = end;
      }
    }
    note(*c, tcb);
  }

  void on_step_end(int h, ConnId id, const TcbSnapshot& tcb, Instant) override {
    Conn* c = find(h, id);
    if (!c) return;
    note(*c, tcb);
    c->timer_step = false;
    c->last_fire = -1;
    c->persist_segments = 0;
    c->persist_ack_probe = false;
    c->timed_out_event = false;
    c->step_segments = 0;
  }

  void on_released(int h, ConnId id, Instant) override { conns_.erase(h, id); }

 private:
  Conn* find(int h, ConnId id) { return conns_.find(h, id); }

  // A TCB snapshot: ISS and SND.UNA. SND.UNA moving forward is an ACK of new
  // data, which ends a run of consecutive timeouts.
  static void note(Conn& c, const TcbSnapshot& t) {
    if (t.state == State::kClosed || t.state == State::kListen) return;
    if (!c.have_iss || c.iss != t.iss.raw) {
      c.have_iss = true;
      c.iss = t.iss.raw;
      c.snd_una = t.snd_una.raw;
      return;
    }
    if (serial::after(t.snd_una.raw, c.snd_una)) {
      c.snd_una = t.snd_una.raw;
      c.retries = 0;
      auto acked = c.first_sent.begin();
      while (acked != c.first_sent.end() && serial::at_or_before(acked->first, c.snd_una)) ++acked;
      c.first_sent.erase(c.first_sent.begin(), acked);
    }
  }

  // When was sequence number `s` first sent, if we know.
  static bool first_sent_at(const Conn& c, uint32_t s, Instant& at) {
    for (const auto& [end, t] : c.first_sent) {
      if (serial::after(end, s)) {
        at = t;
        return true;
      }
    }
    return false;
  }

  // A delayed-ACK timeout sends one bare ACK; a keep-alive timeout one probe, a
  // bare ACK at SND.NXT-1, no sooner than RFC 1122 4.2.3.6's intervals allow.
  void on_ack_or_probe(int h, ConnId id, Conn& c, const Segment& seg, const TcbSnapshot& tcb, Instant now) {
    const bool keepalive = c.last_fire == kKeepalive;
    ++c.step_segments;
    const bool bare_ack = seg.flags.ack() && !seg.flags.syn() && !seg.flags.fin() && !seg.flags.rst() &&
                          seg.payload.empty();
    const bool form = keepalive ? bare_ack && seg.seq.raw == tcb.snd_nxt.raw - 1 : bare_ack;
    if (!form || c.step_segments > 1) {
      report(c, kSpurious, "timer.spurious-segment", h, id, now,
             absl::StrCat("a ", kind_name(c.last_fire), " timeout sent ", flags_to_string(seg.flags), " seq ",
                          seg.seq.raw, " with ", seg.payload.size(), " data bytes (segment ", c.step_segments,
                          " of the step; SND.NXT ", tcb.snd_nxt.raw, "): it sends one ",
                          keepalive ? "probe, a bare ACK at SND.NXT-1 (RFC 1122 4.2.3.6)" : "bare ACK",
                          " and nothing else."));
    }
    if (!keepalive || !form) return;
    const bool first = c.probes == 0;
    const Duration since = now - (first ? c.last_in : c.last_probe);
    const Duration least = first ? config().keepalive_idle : config().keepalive_interval;
    if (since < least) {
      report(c, kKeepaliveEarly, "timer.keepalive-early", h, id, now,
             absl::StrCat("a keep-alive probe went out ", format_duration(since), " after ",
                          first ? "the peer was last heard from" : "the previous probe", ", sooner than Config.",
                          first ? "keepalive_idle" : "keepalive_interval", " = ", format_duration(least), "."));
    }
    c.last_probe = now;
    ++c.probes;
  }

  void on_timeout_rexmit(int h, ConnId id, Conn& c, const Segment& seg, Instant now) {
    const uint32_t s = seg.seq.raw;
    // RFC 6298 (2.4): the RTO is never below the minimum. The timer that fired was
    // started no earlier than the first transmission of what it retransmits, and
    // no earlier than the previous timeout (5.6).
    Instant base{INT64_MIN};
    bool have_base = false;
    Instant first;
    if (first_sent_at(c, s, first)) {
      base = first;
      have_base = true;
    }
    if (c.have_last_rexmit && (!have_base || c.last_rexmit > base)) {
      base = c.last_rexmit;
      have_base = true;
    }
    if (have_base && now - base < config().rto_min) {
      report(c, kRexmitTooEarly, "timer.rexmit-too-early", h, id, now,
             absl::StrCat("a timeout retransmitted sequence ", s, " (ISS+", s - c.iss, ", ",
                          flags_to_string(seg.flags), ", ", seg.payload.size(), " bytes) only ",
                          format_duration(now - base), " after it was ",
                          c.have_last_rexmit && base == c.last_rexmit ? "last retransmitted"
                                                                      : "first sent",
                          " at ", format_instant(base), ": the RTO is never below rto_min = ",
                          format_duration(config().rto_min), "."));
    }
    // RFC 6298 (5.5): each further timeout doubles the RTO, up to the maximum.
    if (c.chain >= 2) {
      const Duration prev = c.chain_t[1] - c.chain_t[0];
      const Duration gap = now - c.chain_t[1];
      const Duration want = std::min(prev * 2, config().rto_max);
      if (gap != want) {
        report(c, kRtoNotDoubled, "timer.rto-not-doubled", h, id, now,
               absl::StrCat("consecutive timeout retransmissions at ", format_instant(c.chain_t[0]),
                            ", ", format_instant(c.chain_t[1]), " and ", format_instant(now),
                            " with nothing received in between are spaced ",
                            format_duration(prev), " then ", format_duration(gap),
                            "; backing off must make the second gap min(2 * ",
                            format_duration(prev), ", rto_max) = ", format_duration(want), "."));
      }
    }
    if (c.chain >= 2) c.chain_t[0] = c.chain_t[1];
    c.chain_t[c.chain >= 1 ? 1 : 0] = now;
    if (c.chain < 2) ++c.chain;
    c.have_last_rexmit = true;
    c.last_rexmit = now;
    // RFC 1122 4.2.3.5: R2, after which the connection is closed.
    ++c.retries;
    const bool syn = seg.flags.syn();
    const int limit = syn ? config().syn_retries : config().data_retries;
    if (c.retries > limit) {
      report(c, kRetriesExceeded, "timer.retries-exceeded", h, id, now,
             absl::StrCat("this is timeout retransmission number ", c.retries, " of the ",
                          syn ? "SYN" : "data or FIN", " at sequence ", s, " (ISS+", s - c.iss,
                          ") with no new data acknowledged since, but Config.",
                          syn ? "syn_retries" : "data_retries", " is ", limit,
                          ": the connection must give up instead."));
    }
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

std::unique_ptr<Oracle> make_timer_checker(const OracleContext& ctx) {
  return std::make_unique<TimerChecker>(ctx);
}

Oracle* make_timer_checker_in(CheckerArena& arena, const OracleContext& ctx) {
  return arena.make<TimerChecker>(ctx);
}

}  // namespace synfin::harness
