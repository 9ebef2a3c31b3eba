// seqack: sequence and acknowledgment numbers, checked against a shadow model of
// each connection built from the wire, the app's SEND calls and the segments the
// host received.
//
// The send side of a connection is a stream: the SYN at ISS, the app's bytes
// from ISS+1 (byte k of the stream is harness::stream_byte(k): every app writes
// the pattern from offset 0), then the FIN right after the last byte. Every
// segment the host sends must fit that picture (syn-consumes-one,
// fin-consumes-one, seq-outside-sent-range, data-mismatch). Acknowledgments must
// cover only numbers the peer put on the wire (ack-beyond-peer-sent, syn-ack-number).
// The receive side is judged step by step: each segment in is classified with the
// oracle's own acceptability test (serial.h) and the step's outcome (RCV.NXT,
// state, replies) must match RFC 9293 3.10.7.4 with RFC 5961 as configured.
//
// Numbers exactly 2^31 apart have no serial order (RFC 1982); every rule that
// would have to order such a pair is skipped for that segment.
#include <algorithm>
#include <array>
#include <cstdint>
#include <string>
#include <utility>

#include "absl/container/inlined_vector.h"
#include "absl/strings/str_cat.h"
#include "harness/oracles/checkers.h"
#include "harness/oracles/conn_table.h"
#include "harness/oracles/serial.h"
#include "harness/oracles/tuple_map.h"
#include "harness/pattern.h"

namespace synfin::harness {
namespace {

using serial::after;
using serial::at_or_before;
using serial::before;
using serial::order_undefined;

// Every id this checker reports; the index is the bit in a connection's
// "already reported" mask.
enum Id : int {
  kSynConsumesOne,
  kFinConsumesOne,
  kSynAckNumber,
  kAckBeyondPeerSent,
  kSeqOutsideSentRange,
  kDataMismatch,
  kSndUnaBackwards,
  kRcvNxtBackwards,
  kRightEdgeLeft,
  kAcceptability,
  kAcceptableDataDropped,
  kRstForm,
  kRstAcceptedInexact,
  kRstAcceptedSynSent,
  kRstIgnored,
  kChallengeAckMissing,
  kAckRange,
  kDataBeyondWindow,
  kSendWindowProvenance,
  kNumIds,
};
constexpr std::array<const char*, kNumIds> kIdNames = {
    "seqack.syn-consumes-one",     "seqack.fin-consumes-one",
    "seqack.syn-ack-number",       "seqack.ack-beyond-peer-sent",
    "seqack.seq-outside-sent-range", "seqack.data-mismatch",
    "seqack.snd-una-backwards",    "seqack.rcv-nxt-backwards",
    "seqack.right-edge-left",      "seqack.acceptability",
    "seqack.acceptable-data-dropped", "seqack.rst-form",
    "seqack.rst-accepted-inexact", "seqack.rst-accepted-syn-sent",
    "seqack.rst-ignored",          "seqack.challenge-ack-missing",
    "seqack.ack-range",            "seqack.data-beyond-window",
    "seqack.send-window-provenance",
};

// The few fields of a segment that step checks need, kept without its payload.
struct SegSummary {
  uint32_t seq = 0;
  uint32_t ack = 0;
  Flags flags;
  uint16_t window = 0;
  uint32_t payload = 0;
  uint32_t len = 0;  // SEG.LEN: payload + SYN + FIN
  int wscale = -1;   // the Window Scale option's shift as sent, -1 without one
  bool ts = false;   // carries the Timestamps option
  uint32_t tsval = 0;

  static SegSummary of(const Segment& s) {
    SegSummary r;
    r.seq = s.seq.raw;
    r.ack = s.ack.raw;
    r.flags = s.flags;
    r.window = s.window;
    r.payload = static_cast<uint32_t>(s.payload.size());
    r.len = r.payload + (s.flags.syn() ? 1u : 0u) + (s.flags.fin() ? 1u : 0u);
    if (s.options.window_scale) r.wscale = *s.options.window_scale;
    if (s.options.timestamps) {
      r.ts = true;
      r.tsval = s.options.timestamps->val;
    }
    return r;
  }
  uint32_t end() const { return seq + len; }
};

std::string describe(const SegSummary& s) {
  return absl::StrCat(flags_to_string(s.flags), " seq ", s.seq, " len ", s.len, " ack ", s.ack,
                      " win ", s.window);
}

// Sequence ranges [lo, lo + len] (both ends included: an ACK may name the number
// just past a segment) that a peer put on the wire toward one 4-tuple. Adjacent
// and overlapping ranges merge, so a normal connection needs one or two.
class RangeSet {
 public:
  void add(uint32_t lo, uint32_t len) {
    if (saturated_) return;
    for (;;) {
      bool merged = false;
      for (size_t i = 0; i < r_.size(); ++i) {
        const uint32_t b = r_[i].first, lb = r_[i].second;
        uint64_t start, span;
        if (lo - b <= lb) {
          start = b;
          span = std::max<uint64_t>(lb, uint64_t{lo - b} + len);
        } else if (b - lo <= len) {
          start = lo;
          span = std::max<uint64_t>(len, uint64_t{b - lo} + lb);
        } else {
          continue;
        }
        if (span >= (uint64_t{1} << 30)) {
          saturated_ = true;  // too wide to mean anything: stop judging this tuple
          r_.clear();
          return;
        }
        lo = static_cast<uint32_t>(start);
        len = static_cast<uint32_t>(span);
        r_.erase(r_.begin() + static_cast<long>(i));
        merged = true;
        break;
      }
      if (!merged) break;
    }
    if (r_.size() >= kMaxRanges) {
      saturated_ = true;
      r_.clear();
      return;
    }
    r_.emplace_back(lo, len);
  }
  // Unknown (saturated) sets cover everything.
  bool covers(uint32_t x) const {
    if (saturated_) return true;
    for (const auto& [lo, len] : r_) {
      if (x - lo <= len) return true;
    }
    return false;
  }
  // Every number from `from` forward to `to` lies in one range.
  bool covers_span(uint32_t from, uint32_t to) const {
    if (saturated_) return true;
    for (const auto& [lo, len] : r_) {
      if (from - lo <= len && to - lo <= len && from - lo <= to - lo) return true;
    }
    return false;
  }
  std::string describe() const {
    std::string s;
    for (const auto& [lo, len] : r_) absl::StrAppend(&s, s.empty() ? "" : ", ", "[", lo, ", ", lo + len, "]");
    return s.empty() ? "nothing" : s;
  }

 private:
  static constexpr size_t kMaxRanges = 32;
  absl::InlinedVector<std::pair<uint32_t, uint32_t>, 2> r_;
  bool saturated_ = false;
};

bool synchronized(State s) { return kSynchronizedStates.contains(s); }

// The TSvals the peer has sent on a connection, as far as PAWS goes: TS.Recent is
// always one of them, so a segment may be dropped as old exactly when its TSval is
// before one of them. No single "newest" stands in for the lot: serial order is
// not transitive across more than 2^31, so a TSval can be after the newest sent
// and still before the one the receiver kept (RFC 7323 5.3 R1). Past kMax
// distinct values the set stops keeping track and every TSval may be old.
class PeerTsvals {
 public:
  void add(uint32_t t) {
    if (saturated_ || std::find(v_.begin(), v_.end(), t) != v_.end()) return;
    if (v_.size() == kMax) {
      saturated_ = true;
      v_.clear();
      return;
    }
    v_.push_back(t);
  }
  // Whether PAWS may find `t` older than the receiver's TS.Recent.
  bool may_be_old(uint32_t t) const {
    if (saturated_) return true;
    for (uint32_t sent : v_) {
      if (serial::before(t, sent)) return true;
    }
    return false;
  }

 private:
  static constexpr size_t kMax = 64;
  absl::InlinedVector<uint32_t, 4> v_;
  bool saturated_ = false;
};

struct Conn {
  uint32_t reported = 0;  // bit per Id

  // ---- send side, from the wire and the app ----
  bool have_iss = false;
  uint32_t iss = 0;
  uint64_t app_bytes = 0;  // bytes SEND calls handed over
  bool fin_sent = false;
  uint32_t fin_seq = 0;
  // Just past the highest data octet sent so far (valid once data_sent).
  bool data_sent = false;
  uint32_t data_high = 0;
  // The peer's SYN this connection answered (set when a SYN-ACK answers it).
  bool have_irs = false;
  uint32_t irs = 0;
  // RFC 7323 Window Scale shifts as the SYNs carried them (-1: not offered): our
  // last SYN's, and the peer's SYN's once it was taken.
  int our_ws = -1;
  int peer_ws = -1;
  // RFC 7323 Timestamps: whether our last SYN and the peer's taken SYN offered
  // it, and the TSvals the peer has sent this connection.
  bool our_ts = false;
  bool peer_ts = false;
  PeerTsvals peer_tsvals;  // every TSval the peer has sent this connection
  bool in_ts_may_drop = false;  // the segment in this step may be dropped (see judge_step)

  // ---- the last snapshot's values ----
  bool una_valid = false;
  uint32_t last_una = 0;
  bool rnxt_valid = false;
  uint32_t last_rnxt = 0;
  bool edge_valid = false;
  uint32_t last_edge = 0;
  bool wnd_valid = false;
  uint32_t last_wnd = 0, last_wl1 = 0, last_wl2 = 0;
  uint32_t max_snd_wnd = 0;  // RFC 5961 MAX.SND.WND, from the snapshots

  // ---- the segment being processed in the current step, if any ----
  bool in_pending = false;
  SegSummary in;
  FourTuple in_tuple;
  TcbSnapshot before;
  int out_count = 0;          // segments sent during the step
  bool acked_rcv_nxt = false;  // one of them was an ACK with ack == before.rcv_nxt
  bool challenge_ack = false;  // one was <SEQ=SND.NXT><ACK=RCV.NXT><CTL=ACK>
  SegSummary syn_in;          // a SYN met in LISTEN or SYN-SENT during this step
  bool syn_in_pending = false;

  // The last ACK that may have answered an invalid segment (out of window,
  // acknowledging unsent data, an RFC 5961 challenge): such replies to
  // zero-length segments and SYNs are rate-limited (Config.invalid_ack_interval).
  bool have_invalid_reply = false;
  Instant invalid_reply_at;
};

class SeqAckChecker final : public Oracle {
 public:
  explicit SeqAckChecker(const OracleContext& ctx) : Oracle(ctx) {}
  uint32_t handled_events() const override { return events_overridden_by<SeqAckChecker>(); }

  void on_created(int h, ConnId id, ConnId, const FourTuple&, Instant) override {
    conns_.fresh(h, id);
  }

  void on_released(int h, ConnId id, Instant) override { conns_.erase(h, id); }

  void on_send_accepted(int h, ConnId id, std::span<const uint8_t> bytes, Instant) override {
    conn(h, id).app_bytes += bytes.size();
  }

  void on_segment_in(int h, ConnId id, const FourTuple& tuple, const Segment& seg,
                     const TcbSnapshot& before, Instant now) override {
    const SegSummary s = SegSummary::of(seg);
    ranges_(h, tuple).add(s.seq, s.len);
    if (h >= 0 && h < 2) no_tcb_in_[h].reset();
    if (id == kNoConn) {
      if (h >= 0 && h < 2) no_tcb_in_[h] = s;
      return;
    }
    Conn& c = conn(h, id);
    c.max_snd_wnd = std::max(c.max_snd_wnd, before.snd_wnd);
    c.in_pending = true;
    c.in = s;
    c.in_tuple = tuple;
    c.before = before;
    c.out_count = 0;
    c.acked_rcv_nxt = false;
    c.challenge_ack = false;
    c.syn_in_pending = false;
    if (s.flags.syn() && (before.state == State::kListen || before.state == State::kSynSent)) {
      c.syn_in = s;
      c.syn_in_pending = true;
    }
    // RFC 7323 with Timestamps negotiated: "If a non-<RST> segment is received
    // without a TSopt, a TCP SHOULD silently drop the segment" (3.2; with
    // Config::timestamps_required), and PAWS
    // treats one whose TSval is older than TS.Recent as not acceptable (5.3 R1).
    // TS.Recent is one of the TSvals the peer sent, so a segment older than any of
    // them may be dropped; the checker does not model which one it is.
    c.in_ts_may_drop = c.our_ts && c.peer_ts && !s.flags.rst() &&
                       (s.ts ? c.peer_tsvals.may_be_old(s.tsval) : config().timestamps_required);
    if (s.ts) c.peer_tsvals.add(s.tsval);
  }

  void on_inject(int h, const IpPacket& p, Instant) override {
    // The injected segment is the peer's word: it extends what the peer "sent".
    const FourTuple t{p.dst, p.src, p.tcp.dst_port, p.tcp.src_port};
    ranges_(h, t).add(p.tcp.seq.raw, p.tcp.seg_len().raw);
  }

  void on_segment_out(int h, ConnId id, const FourTuple& tuple, const Segment& seg,
                      const TcbSnapshot& tcb, Instant now) override {
    if (id == kNoConn) {
      no_tcb_reply(h, tuple, seg, now);
      return;
    }
    Conn& c = conn(h, id);
    track_snapshot(h, id, c, tcb, now, c.in_pending ? &c.in : nullptr);
    const SegSummary s = SegSummary::of(seg);
    if (c.in_pending) {
      ++c.out_count;
      if (s.flags.ack() && s.ack == c.before.rcv_nxt.raw) c.acked_rcv_nxt = true;
      if (s.flags.ack() && !s.flags.syn() && !s.flags.rst() && !s.flags.fin() && s.payload == 0 &&
          s.seq == c.before.snd_nxt.raw && s.ack == c.before.rcv_nxt.raw) {
        c.challenge_ack = true;
      }
    }
    if (s.flags.syn() && !s.flags.rst()) {
      c.our_ws = s.wscale;
      c.our_ts = s.ts;
    }
    if (s.flags.ack()) check_ack_covered(h, id, c, tuple, s, now);
    if (s.flags.rst()) {
      check_rst_from_tcb(h, id, c, s, tcb, now);
      return;
    }
    check_send_side(h, id, c, seg, s, tcb, now);
    if (s.flags.ack()) {
      check_syn_ack(h, id, c, s, now);
      check_right_edge(h, id, c, s, now);
    }
  }

  void on_transition(int h, ConnId id, State from, State to, Cause cause, Instant now) override {
    if (cause != Cause::kRecvRst) return;
    Conn& c = conn(h, id);
    if (!c.in_pending || !c.in.flags.rst()) {
      report(kRstAcceptedInexact, h, id, c, now,
             absl::StrCat("the connection went from ", to_string(from), " to ", to_string(to),
                          " for a received RST, but the segment being processed (",
                          c.in_pending ? describe(c.in) : std::string("none"),
                          ") carries no RST."));
      return;
    }
    const SegSummary& s = c.in;
    const TcbSnapshot& b = c.before;
    if (b.state == State::kSynSent) {
      // RFC 9293 3.10.7.3: in SYN-SENT a RST is acceptable only if its ACK
      // acknowledges our SYN: SND.UNA < SEG.ACK =< SND.NXT.
      const uint32_t una = b.snd_una.raw, mx = b.snd_max.raw;
      if (order_undefined(s.ack, una) || order_undefined(s.ack, mx)) return;
      if (!s.flags.ack() || !after(s.ack, una) || after(s.ack, mx)) {
        report(kRstAcceptedSynSent, h, id, c, now,
               absl::StrCat("in SYN-SENT a RST (", describe(s),
                            ") closed the connection, but a RST there is acceptable only "
                            "if its ACK acknowledges our SYN: SND.UNA ",
                            una, " < SEG.ACK =< SND.NXT ", mx, ". ISS is ", b.iss.raw, "."));
      }
      return;
    }
    const uint32_t rn = b.rcv_nxt.raw;
    bool ok;
    if (config().rfc5961_rst) {
      ok = s.seq == rn;
    } else {
      ok = serial::acceptable(s.seq, s.len, rn, b.rcv_wnd) || (b.rcv_wnd == 0 && s.seq == rn);
    }
    if (!ok) {
      report(kRstAcceptedInexact, h, id, c, now,
             absl::StrCat("a RST with SEG.SEQ ", s.seq, " (", static_cast<int64_t>(s.seq) - rn,
                          " from RCV.NXT ", rn, ", RCV.WND ", b.rcv_wnd, ") took the connection from ",
                          to_string(from), " to ", to_string(to), "; ",
                          config().rfc5961_rst
                              ? "with RFC 5961 3.2 on, only a RST whose sequence number is "
                                "exactly RCV.NXT may reset the connection."
                              : "a RST must at least lie in the receive window."));
    }
  }

  void on_step_end(int h, ConnId id, const TcbSnapshot& tcb, Instant now) override {
    Conn& c = conn(h, id);
    track_snapshot(h, id, c, tcb, now, c.in_pending ? &c.in : nullptr);
    if (c.syn_in_pending) {
      // The SYN met in LISTEN or SYN-SENT gave the connection its IRS if the
      // connection now counts it among its received numbers.
      if (tcb.state != State::kListen && tcb.state != State::kSynSent &&
          tcb.state != State::kClosed && !c.have_irs) {
        c.have_irs = true;
        c.irs = c.syn_in.seq;
        c.peer_ws = c.syn_in.wscale;
        c.peer_ts = c.syn_in.ts;
      }
      c.syn_in_pending = false;
    }
    if (c.in_pending) {
      c.in_pending = false;
      judge_step(h, id, c, tcb, now);
    }
  }

 private:
  Conn& conn(int h, ConnId id) { return conns_(h, id); }

  void report(Id which, int h, ConnId id, Conn& c, Instant now, std::string text) {
    const uint32_t bit = 1u << which;
    if (c.reported & bit) return;
    c.reported |= bit;
    fail(kIdNames[which], h, id, now, std::move(text));
  }
  void report_no_tcb(Id which, int h, Instant now, std::string text) {
    const uint32_t bit = 1u << which;
    uint32_t& mask = no_tcb_reported_[h & 1];
    if (mask & bit) return;
    mask |= bit;
    fail(kIdNames[which], h, kNoConn, now, std::move(text));
  }

  // ---------------------------------------------------------------------------
  // Replies of the host itself (no TCB): RFC 9293 3.10.7.1.

  void no_tcb_reply(int h, const FourTuple& tuple, const Segment& seg, Instant now) {
    const SegSummary s = SegSummary::of(seg);
    const int hi = h & 1;
    const std::optional<SegSummary> in = no_tcb_in_[hi];
    no_tcb_in_[hi].reset();
    if (s.flags.ack()) {
      const RangeSet* sent = ranges_.find(h, tuple);
      if (sent && !sent->covers(s.ack)) {
        report_no_tcb(kAckBeyondPeerSent, h, now,
                      absl::StrCat("the host's reply ", describe(s), " on ", tuple.to_string(),
                                   " acknowledges ", s.ack,
                                   ", which no segment from the peer reached; the peer sent ",
                                   sent->describe(), "."));
      }
    }
    if (!s.flags.rst()) {
      report_no_tcb(kRstForm, h, now,
                    absl::StrCat("with no connection for ", tuple.to_string(),
                                 " the host sent ", describe(s),
                                 "; the only thing it may send there is a RST (RFC 9293 3.10.7.1)."));
      return;
    }
    if (!in) {
      report_no_tcb(kRstForm, h, now,
                    absl::StrCat("the host sent the RST ", describe(s), " on ", tuple.to_string(),
                                 " without a segment to answer."));
      return;
    }
    check_reply_form(in.value(), s, [&](std::string why) {
      report_no_tcb(kRstForm, h, now,
                    absl::StrCat("answering ", describe(*in), " on ", tuple.to_string(),
                                 " with no connection, the host sent ", describe(s), ": ", why));
    });
  }

  // The 3.10.7.1 reply to `in`: ACK on: <SEQ=SEG.ACK><CTL=RST>; ACK off:
  // <SEQ=0><ACK=SEG.SEQ+SEG.LEN><CTL=RST,ACK>. Never a reply to a RST.
  template <typename F>
  static void check_reply_form(const SegSummary& in, const SegSummary& r, F&& bad) {
    if (in.flags.rst()) {
      bad("an incoming RST must never be answered with a RST.");
      return;
    }
    const uint16_t ctl = r.flags.bits & (Flags::kSyn | Flags::kFin | Flags::kRst | Flags::kAck);
    if (in.flags.ack()) {
      if (ctl != Flags::kRst || r.seq != in.ack) {
        bad(absl::StrCat("the segment carried an ACK, so the reply must be <SEQ=SEG.ACK=", in.ack,
                         "><CTL=RST>."));
      }
    } else if (ctl != (Flags::kRst | Flags::kAck) || r.seq != 0 || r.ack != in.end()) {
      bad(absl::StrCat("the segment carried no ACK, so the reply must be <SEQ=0><ACK=SEG.SEQ+SEG.LEN=",
                       in.end(), "><CTL=RST,ACK>."));
    }
    if (r.payload != 0) bad("a RST carries no data here.");
  }

  // ---------------------------------------------------------------------------
  // Segments a connection sends.

  void check_ack_covered(int h, ConnId id, Conn& c, const FourTuple& tuple, const SegSummary& s,
                         Instant now) {
    const RangeSet* sent = ranges_.find(h, tuple);
    const bool covered = sent && sent->covers(s.ack);
    if (covered) return;
    report(kAckBeyondPeerSent, h, id, c, now,
           absl::StrCat("the host sent ", describe(s), " on ", tuple.to_string(),
                        ", acknowledging ", s.ack,
                        c.have_irs ? absl::StrCat(" (IRS+", s.ack - c.irs, ")") : std::string(),
                        ", but no segment the peer sent on this 4-tuple reaches that number; "
                        "the peer sent ",
                        sent ? sent->describe() : std::string("nothing"), "."));
  }

  void check_rst_from_tcb(int h, ConnId id, Conn& c, const SegSummary& s, const TcbSnapshot& tcb,
                          Instant now) {
    if (c.in_pending) {
      // A RST sent while processing a segment answers that segment (3.10.7.1
      // form: bad ACK in LISTEN, SYN-SENT or SYN-RECEIVED; RFC 793 in-window SYN).
      const SegSummary in = c.in;
      check_reply_form(in, s, [&](std::string why) {
        report(kRstForm, h, id, c, now,
               absl::StrCat("processing ", describe(in), " in ", to_string(c.before.state),
                            ", the connection sent ", describe(s), ": ", why));
      });
      return;
    }
    // ABORT (RFC 9293 3.10.5): <SEQ=SND.NXT><CTL=RST>.
    const uint16_t ctl = s.flags.bits & (Flags::kSyn | Flags::kFin | Flags::kRst | Flags::kAck);
    if (ctl != Flags::kRst || s.seq != tcb.snd_nxt.raw || s.payload != 0) {
      report(kRstForm, h, id, c, now,
             absl::StrCat("the connection sent ", describe(s),
                          " outside segment processing (an ABORT); it must be <SEQ=SND.NXT=",
                          tcb.snd_nxt.raw, "><CTL=RST>."));
    }
  }

  void check_send_side(int h, ConnId id, Conn& c, const Segment& seg, const SegSummary& s,
                       const TcbSnapshot& tcb, Instant now) {
    if (s.flags.syn()) {
      if (!c.have_iss) {
        c.have_iss = true;
        c.iss = s.seq;
      } else if (s.seq != c.iss) {
        report(kSeqOutsideSentRange, h, id, c, now,
               absl::StrCat("the connection sent a SYN at ", s.seq, " (ISS", rel(s.seq, c.iss),
                            ") but its first SYN was at ISS ", c.iss,
                            "; a SYN belongs only at ISS."));
      }
    }
    if (!c.have_iss) {
      report(kSeqOutsideSentRange, h, id, c, now,
             absl::StrCat("the connection sent ", describe(s),
                          " before any SYN of its own: no sequence number is in use yet."));
      return;
    }
    const uint32_t iss = c.iss;
    // Offsets from ISS: the SYN is 0, the app's byte k is 1 + k, the FIN 1 + total.
    if (c.app_bytes >= (uint64_t{1} << 31)) return;  // too long to place on the circle
    const uint64_t app = c.app_bytes;
    const uint32_t lo = s.seq - iss;
    const uint64_t end = uint64_t{lo} + s.len;
    const uint32_t data_lo = lo + (s.flags.syn() ? 1u : 0u);  // first payload byte's offset
    bool flagged = false;

    if (!s.flags.syn() && (s.payload > 0 || s.flags.fin()) && lo == 0) {
      report(kSynConsumesOne, h, id, c, now,
             absl::StrCat("the connection sent ", describe(s), " starting at ISS ", iss,
                          ": the SYN occupies ISS, so data and FIN start at ISS+1 = ", iss + 1, "."));
      flagged = true;
    }
    if (s.flags.fin()) {
      const uint32_t fin_off = static_cast<uint32_t>(end - 1);
      if (fin_off != app + 1) {
        report(kFinConsumesOne, h, id, c, now,
               absl::StrCat("the connection sent a FIN at ", s.seq + s.len - 1, " (ISS+", fin_off,
                            ") but the app gave ", app, " bytes, so the FIN belongs at ISS+",
                            app + 1, " = ", iss + 1 + static_cast<uint32_t>(app),
                            ", right after the last byte."));
        flagged = true;
      }
    }
    if (c.fin_sent) {
      const uint32_t fin_off = c.fin_seq - iss;
      if (end > uint64_t{fin_off} + 1 || (s.payload > 0 && uint64_t{data_lo} + s.payload > fin_off)) {
        report(kFinConsumesOne, h, id, c, now,
               absl::StrCat("after its FIN at ", c.fin_seq, " (ISS+", fin_off,
                            ") the connection sent ", describe(s),
                            ", which uses sequence numbers past the FIN."));
        flagged = true;
      }
    }
    if (s.flags.fin() && !c.fin_sent) {
      c.fin_sent = true;
      c.fin_seq = s.seq + s.len - 1;
    }
    const uint64_t limit = 1 + app + (c.fin_sent ? 1 : 0);
    if (!flagged && (lo > limit || end > limit)) {
      report(kSeqOutsideSentRange, h, id, c, now,
             absl::StrCat("the connection sent ", describe(s), " covering ISS+", lo, " to ISS+", end,
                          ", outside what it has to send: ISS ", iss, ", ", app,
                          " app bytes", c.fin_sent ? " and a FIN" : "", " (up to ISS+", limit, ")."));
    }
    if (s.payload > 0) {
      // Bytes of the app's stream: offset data_lo - 1 onward.
      const uint64_t first = uint64_t{data_lo} - 1;
      if (data_lo >= 1 && first < app) {
        const size_t n = static_cast<size_t>(std::min<uint64_t>(s.payload, app - first));
        const int64_t bad = first_stream_mismatch(first, std::span<const uint8_t>(seg.payload).first(n));
        if (bad >= 0) {
          const uint32_t at = iss + 1 + static_cast<uint32_t>(bad);
          report(kDataMismatch, h, id, c, now,
                 absl::StrCat("the connection sent byte ", static_cast<int>(seg.payload[bad - first]),
                              " at ", at, " (stream offset ", bad, ", ISS+", bad + 1,
                              ") where the app wrote ", static_cast<int>(stream_byte(bad)),
                              "; in ", describe(s), "."));
        }
      }
      // RFC 9293 3.8.6: no data past SND.UNA + SND.WND (a one-byte probe of a
      // zero window excepted). The window is checked against the wire in
      // track_snapshot (send-window-provenance).
      const uint32_t data_end = s.seq + (s.flags.syn() ? 1u : 0u) + s.payload;
      const uint32_t edge = tcb.snd_una.raw + tcb.snd_wnd;
      const bool probe = tcb.snd_wnd == 0 && s.payload == 1 && s.seq == tcb.snd_una.raw;
      // RFC 1122 4.2.2.16: after the peer shrinks its window the sender "MAY also
      // retransmit old data beyond SND.UNA+SND.WND" -- the earliest unacknowledged
      // octets, already sent once (as Linux does for the head of its queue).
      const bool old_head = s.seq == tcb.snd_una.raw && c.data_sent && at_or_before(data_end, c.data_high);
      if (!probe && !old_head && after(data_end, edge)) {
        report(kDataBeyondWindow, h, id, c, now,
               absl::StrCat("the connection sent data up to ", data_end, " (ISS+", data_end - iss,
                            ") in ", describe(s), ", past the peer's window edge SND.UNA ",
                            tcb.snd_una.raw, " + SND.WND ", tcb.snd_wnd, " = ", edge, " (ISS+",
                            edge - iss, ")."));
      }
      if (!c.data_sent || after(data_end, c.data_high)) {
        c.data_sent = true;
        c.data_high = data_end;
      }
    }
  }

  void check_syn_ack(int h, ConnId id, Conn& c, const SegSummary& s, Instant now) {
    if (!s.flags.syn()) return;
    uint32_t want;
    if (c.in_pending && c.syn_in_pending) {
      want = c.syn_in.seq + 1;  // answering the SYN being processed
    } else if (c.have_irs) {
      want = c.irs + 1;
    } else {
      report(kSynAckNumber, h, id, c, now,
             absl::StrCat("the connection sent the SYN-ACK ", describe(s),
                          " without having received a SYN to acknowledge."));
      return;
    }
    if (s.ack != want) {
      report(kSynAckNumber, h, id, c, now,
             absl::StrCat("the SYN-ACK ", describe(s), " acknowledges ", s.ack,
                          " but the peer's SYN was at ", want - 1, ", so it must acknowledge ", want,
                          "."));
    }
  }

  // RFC 7323 2.2: windows are scaled only when both SYNs carried Window Scale;
  // the peer's SYN may be the one being processed right now.
  int peer_ws_now(const Conn& c) const {
    return c.in_pending && c.syn_in_pending ? c.syn_in.wscale : c.peer_ws;
  }
  bool scaling(const Conn& c) const { return c.our_ws >= 0 && peer_ws_now(c) >= 0; }
  // RFC 7323 2.3: shifts above 14 count as 14.
  static uint32_t shift_of(int ws) { return static_cast<uint32_t>(std::min(ws, 14)); }
  // Rcv.Wind.Shift (our windows) and Snd.Wind.Shift (the peer's).
  uint32_t our_shift(const Conn& c) const { return scaling(c) ? shift_of(c.our_ws) : 0; }
  uint32_t peer_shift(const Conn& c) const { return scaling(c) ? shift_of(peer_ws_now(c)) : 0; }

  void check_right_edge(int h, ConnId id, Conn& c, const SegSummary& s, Instant now) {
    // "The window field in a SYN (i.e., a <SYN> or <SYN,ACK>) segment itself is
    // never scaled" (RFC 7323 2.2).
    const uint32_t shift = s.flags.syn() ? 0 : our_shift(c);
    const uint32_t edge = s.ack + (uint32_t{s.window} << shift);
    // RFC 7323 2.4: with a scaled window the edge can only be offered on a
    // 2^shift grid that moves with RCV.NXT, so it may retract by less than one
    // step ("there are instances when a retracted window can be offered").
    const uint32_t slack = (1u << shift) - 1;
    if (c.edge_valid && before(edge, c.last_edge) && c.last_edge - edge > slack) {
      report(kRightEdgeLeft, h, id, c, now,
             absl::StrCat("the connection advertised ack ", s.ack, " + window ", s.window, " = ", edge,
                          " in ", describe(s), ", left of the edge ", c.last_edge,
                          " it advertised before (", c.last_edge - edge,
                          " less); RFC 9293 3.8.6 says the right edge must not move left."));
    }
    if (!c.edge_valid || after(edge, c.last_edge)) c.last_edge = edge;
    c.edge_valid = true;
  }

  // ---------------------------------------------------------------------------
  // Snapshots.

  void track_snapshot(int h, ConnId id, Conn& c, const TcbSnapshot& t, Instant now,
                      const SegSummary* in) {
    if (t.state == State::kListen || t.state == State::kClosed) {
      c.una_valid = c.rnxt_valid = c.wnd_valid = false;
      return;
    }
    c.max_snd_wnd = std::max(c.max_snd_wnd, t.snd_wnd);
    const uint32_t una = t.snd_una.raw;
    if (c.una_valid && before(una, c.last_una)) {
      report(kSndUnaBackwards, h, id, c, now,
             absl::StrCat("SND.UNA went back from ", c.last_una, " to ", una, " (", c.last_una - una,
                          " less) in ", to_string(t.state), "."));
    }
    // SND.UNA, SND.WND, SND.WL1 and SND.WL2 only ever take their values from a
    // segment being processed (SND.UNA also starts at ISS).
    if (c.una_valid && una != c.last_una && una != t.iss.raw && (!in || una != in->ack)) {
      report(kSendWindowProvenance, h, id, c, now,
             absl::StrCat("SND.UNA changed from ", c.last_una, " to ", una, " in ", to_string(t.state),
                          in ? absl::StrCat(" while processing ", describe(*in),
                                            ", whose ACK field is ", in->ack)
                             : std::string(" in a step that processed no segment"),
                          "."));
    }
    // RFC 7323 2.3: "SND.WND = SEG.WND << Snd.Wind.Shift", but for a SYN's window.
    const uint32_t in_wnd = in ? uint32_t{in->window} << (in->flags.syn() ? 0 : peer_shift(c)) : 0;
    if (c.wnd_valid &&
        (t.snd_wnd != c.last_wnd || t.snd_wl1.raw != c.last_wl1 || t.snd_wl2.raw != c.last_wl2) &&
        (!in || t.snd_wnd != in_wnd || t.snd_wl1.raw != in->seq || t.snd_wl2.raw != in->ack)) {
      report(kSendWindowProvenance, h, id, c, now,
             absl::StrCat("SND.WND/WL1/WL2 changed from ", c.last_wnd, "/", c.last_wl1, "/",
                          c.last_wl2, " to ", t.snd_wnd, "/", t.snd_wl1.raw, "/", t.snd_wl2.raw,
                          in ? absl::StrCat(" while processing ", describe(*in),
                                            ", which carries window/seq/ack ", in->window, "/",
                                            in->seq, "/", in->ack, " (window scaled: ", in_wnd, ")")
                             : std::string(" in a step that processed no segment"),
                          "; the send window must come from the peer's segments."));
    }
    c.una_valid = true;
    c.last_una = una;
    c.wnd_valid = true;
    c.last_wnd = t.snd_wnd;
    c.last_wl1 = t.snd_wl1.raw;
    c.last_wl2 = t.snd_wl2.raw;
    if (t.state == State::kSynSent) {
      c.rnxt_valid = false;  // the peer's SYN has not been received
      return;
    }
    const uint32_t rn = t.rcv_nxt.raw;
    if (c.rnxt_valid && before(rn, c.last_rnxt)) {
      report(kRcvNxtBackwards, h, id, c, now,
             absl::StrCat("RCV.NXT went back from ", c.last_rnxt, " to ", rn, " (", c.last_rnxt - rn,
                          " less) in ", to_string(t.state), "; IRS is ", t.irs.raw, "."));
    }
    c.rnxt_valid = true;
    c.last_rnxt = rn;
  }

  // ---------------------------------------------------------------------------
  // The outcome of one segment's processing.

  void judge_step(int h, ConnId id, Conn& c, const TcbSnapshot& a, Instant now) {
    const TcbSnapshot& b = c.before;
    const SegSummary& s = c.in;
    const State st = b.state;
    const bool syn_rcvd = st == State::kSynReceived;
    if (!syn_rcvd && !synchronized(st)) return;
    // RFC 5961 7 rate limit: an invalid zero-length segment or SYN within
    // Config.invalid_ack_interval of the last such reply need not be answered.
    // Every step that answered a candidate with <SEQ=SND.NXT><ACK=RCV.NXT><CTL=ACK>
    // counts as such a reply (a superset of the stack's: lenient, never stricter).
    const bool candidate = s.flags.syn() || (s.payload == 0 && !s.flags.fin());
    const Duration interval = config().invalid_ack_interval;
    const bool limited = candidate && interval.us > 0 && c.have_invalid_reply &&
                         now - c.invalid_reply_at < interval;
    if (candidate && c.challenge_ack) {
      c.have_invalid_reply = true;
      c.invalid_reply_at = now;
    }
    const uint32_t rn = b.rcv_nxt.raw;
    const uint32_t wnd = b.rcv_wnd;
    const bool acc = serial::acceptable(s.seq, s.len, rn, wnd);
    // "If the RCV.WND is zero, no segments will be acceptable, but special
    // allowance should be made to accept valid ACKs, URGs, and RSTs."
    const bool zero_window = !acc && wnd == 0 && s.seq == rn;
    const auto rel_in = [&](uint32_t x) {
      return absl::StrCat(x, " (RCV.NXT", rel(x, rn), ")");
    };

    if (!acc && !zero_window) {
      // RFC 9293 3.10.7.4 first check: "If an incoming segment is not acceptable,
      // an acknowledgment should be sent in reply (unless the RST bit is set, if
      // so drop the segment and return)".
      std::string why;
      if (a.rcv_nxt.raw != rn) {
        why = absl::StrCat("RCV.NXT moved from ", rn, " to ", a.rcv_nxt.raw);
      } else if (a.state != st) {
        why = absl::StrCat("the state changed to ", to_string(a.state));
      } else if (s.flags.rst() && c.out_count > 0) {
        why = absl::StrCat("it answered a RST with ", c.out_count, " segment(s)");
      } else if (!s.flags.rst() && !c.acked_rcv_nxt && !limited) {
        why = absl::StrCat("no ACK of RCV.NXT ", rn, " was sent in reply");
      }
      if (!why.empty()) {
        report(kAcceptability, h, id, c, now,
               absl::StrCat("in ", to_string(st), " the segment ", describe(s), " is not acceptable (SEG.SEQ ",
                            rel_in(s.seq), ", RCV.WND ", wnd, "), yet ", why,
                            "; an unacceptable segment changes nothing",
                            s.flags.rst() ? " and a RST gets no reply." : " and is answered with <SEQ=SND.NXT><ACK=RCV.NXT><CTL=ACK>."));
      }
      return;
    }

    // Acceptable (or a zero-window segment at RCV.NXT): the RST, SYN and ACK checks.
    if (s.flags.rst()) {
      if (st == State::kTimeWait && config().rfc1337) return;  // RFC 1337: ignored
      const bool exact = s.seq == rn;
      if (exact || !config().rfc5961_rst) {
        if (a.state != State::kClosed && a.state != State::kListen) {
          report(kRstIgnored, h, id, c, now,
                 absl::StrCat("in ", to_string(st), " the RST ", describe(s), " at ", rel_in(s.seq),
                              exact ? " matches RCV.NXT exactly" : " lies in the window (RFC 5961 off)",
                              ", yet the connection is still in ", to_string(a.state),
                              "; it must be reset (RFC 9293 3.10.7.4 second check)."));
        }
        return;
      }
      // RFC 5961 3.2: in-window, not exact: challenge ACK, nothing else.
      if (a.state != st || (!c.challenge_ack && !limited)) {
        report(kChallengeAckMissing, h, id, c, now,
               absl::StrCat("in ", to_string(st), " the RST ", describe(s), " lies in the window at ",
                            rel_in(s.seq), " but not at RCV.NXT; RFC 5961 3.2 asks for a challenge ACK <SEQ=",
                            b.snd_nxt.raw, "><ACK=", rn, "><CTL=ACK> and no other change, but ",
                            a.state != st ? absl::StrCat("the state became ", to_string(a.state))
                                          : std::string("no such ACK was sent"),
                            "."));
      }
      return;
    }
    if (s.flags.syn()) {
      if (syn_rcvd || !config().rfc5961_syn) return;
      if (a.state != st || (!c.challenge_ack && !limited)) {
        report(kChallengeAckMissing, h, id, c, now,
               absl::StrCat("in ", to_string(st), " the SYN ", describe(s),
                            " must be answered with a challenge ACK <SEQ=", b.snd_nxt.raw, "><ACK=", rn,
                            "><CTL=ACK> and change nothing (RFC 5961 4.2), but ",
                            a.state != st ? absl::StrCat("the state became ", to_string(a.state))
                                          : std::string("no such ACK was sent"),
                            "."));
      }
      return;
    }
    if (!s.flags.ack()) return;  // dropped by the fifth check
    // Dropped by RFC 7323 (a TSopt missing, or PAWS, which also ACKs): FreeBSD's
    // order, which synfin follows, puts these after the RST and SYN checks and
    // before the ACK and the text. Nothing below need happen.
    if (c.in_ts_may_drop) return;
    const bool tw_fin = st == State::kTimeWait && s.flags.fin() && s.end() == rn;
    if (tw_fin) return;

    const uint32_t una = b.snd_una.raw, mx = b.snd_max.raw, iss = b.iss.raw;
    const bool syn_acked = after(una, iss);
    bool ack_ok;
    if (!syn_acked) {
      // SYN-RECEIVED (or FIN-WAIT-1 entered from it): the ACK must acknowledge
      // our SYN, else a RST goes back (rst-form checks its form).
      if (order_undefined(s.ack, una) || order_undefined(s.ack, mx)) return;
      ack_ok = after(s.ack, una) && at_or_before(s.ack, mx);
    } else {
      if (!synchronized(st)) return;
      const uint32_t floor = una - c.max_snd_wnd;
      if (order_undefined(s.ack, mx) || order_undefined(s.ack, floor)) return;
      const bool too_new = after(s.ack, mx);
      const bool too_old = config().rfc5961_ack && before(s.ack, floor);
      ack_ok = !too_new && !too_old;
      if (!ack_ok) {
        // RFC 9293 3.10.7.4 fifth check / RFC 5961 5.2: discard and ACK.
        std::string why;
        if (a.rcv_nxt.raw != rn) {
          why = absl::StrCat("RCV.NXT moved from ", rn, " to ", a.rcv_nxt.raw);
        } else if (a.state != st) {
          why = absl::StrCat("the state changed to ", to_string(a.state));
        } else if (!c.acked_rcv_nxt && !limited) {
          why = absl::StrCat("no ACK of RCV.NXT ", rn, " was sent");
        }
        if (!why.empty()) {
          report(kAckRange, h, id, c, now,
                 absl::StrCat("in ", to_string(st), " the segment ", describe(s), " acknowledges ", s.ack,
                              too_new ? absl::StrCat(", past SND.NXT (highest sent) ", mx)
                                      : absl::StrCat(", before SND.UNA ", una, " - MAX.SND.WND ",
                                                     c.max_snd_wnd, " = ", floor),
                              "; it must be discarded and answered with an ACK, but ", why, "."));
        }
        return;
      }
    }
    if (!ack_ok) return;
    if (zero_window) return;  // the text is not taken; nothing to expect of RCV.NXT
    if (st != State::kSynReceived && st != State::kEstablished && st != State::kFinWait1 &&
        st != State::kFinWait2) {
      return;
    }
    // Seventh and eighth steps: new in-order text (trimmed to the window), then
    // an in-order FIN if the window had room for it.
    uint32_t expected = rn;
    if (!after(s.seq, rn)) {
      const uint32_t old = rn - s.seq;
      if (old <= s.payload) {
        const uint32_t fresh = s.payload - old;
        const uint32_t take = std::min(fresh, wnd);
        const bool fin = s.flags.fin() && fresh < wnd;
        expected = rn + take + (fin ? 1u : 0u);
      }
    }
    // "Segments with higher beginning sequence numbers may be held for later
    // processing" (RFC 9293 3.10.7.4, seventh step): a receiver that holds them
    // moves RCV.NXT on past this segment's text once the gap before them fills
    // (or, entering ESTABLISHED, over text queued from the SYN, 3.10.7.2). Such
    // a jump stays inside the window offered before the segment and covers only
    // numbers the peer put on the wire.
    const RangeSet* sent = ranges_.find(h, c.in_tuple);
    const bool reassembled = after(a.rcv_nxt.raw, expected) &&
                             at_or_before(a.rcv_nxt.raw, rn + wnd) && sent &&
                             sent->covers_span(expected, a.rcv_nxt.raw);
    if (a.rcv_nxt.raw != expected && !reassembled) {
      report(kAcceptableDataDropped, h, id, c, now,
             absl::StrCat("in ", to_string(st), " the acceptable segment ", describe(s), " at ",
                          rel_in(s.seq), " with RCV.WND ", wnd, " should have taken RCV.NXT from ", rn,
                          " to ", expected, " (IRS+", expected - b.irs.raw,
                          "), or further over octets the peer sent earlier, within the window, "
                          "but RCV.NXT is now ",
                          a.rcv_nxt.raw, "."));
    }
  }

  static std::string rel(uint32_t x, uint32_t base) {
    const int64_t d = static_cast<int32_t>(x - base);
    return d >= 0 ? absl::StrCat("+", d) : absl::StrCat(d);
  }

  ConnTable<Conn> conns_;
  TupleMap<RangeSet> ranges_;
  std::optional<SegSummary> no_tcb_in_[2];
  uint32_t no_tcb_reported_[2] = {0, 0};
};

}  // namespace

std::unique_ptr<Oracle> make_seqack_checker(const OracleContext& ctx) {
  return std::make_unique<SeqAckChecker>(ctx);
}

Oracle* make_seqack_checker_in(CheckerArena& arena, const OracleContext& ctx) {
  return arena.make<SeqAckChecker>(ctx);
}

}  // namespace synfin::harness
