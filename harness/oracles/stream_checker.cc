// stream: what the applications read, against what their peers wrote.
//
// Every app writes harness::stream_byte(k) at stream offset k, so each delivered
// byte can be checked where it lands (stream.corrupt-delivery). In connection
// mode each connection is paired with its peer on the other host by the mirrored
// 4-tuple, and the byte counts must agree: never more delivered than written
// (stream.over-delivery), the peer's FIN exactly after the last written byte
// (stream.length-at-fin), and after an orderly end every written byte read
// (stream.missing-bytes).
//
// Injected segments are inputs, not behaviour: a connection that took injected
// data is exempt from the count rules, and one that was offered injected bytes
// which do not follow the pattern at their place in its sequence space (the
// injector aligns payload to its own idea of the peer's stream) is exempt from
// the content rule too.
#include <algorithm>
#include <cstdint>
#include <optional>
#include <span>
#include <string>
#include <utility>

#include "absl/strings/str_cat.h"
#include "harness/oracles/checkers.h"
#include "harness/oracles/conn_table.h"
#include "harness/oracles/serial.h"
#include "harness/oracles/tuple_map.h"
#include "harness/pattern.h"

namespace synfin::harness {
namespace {

enum Id : int {
  kCorruptDelivery,
  kOverDelivery,
  kLengthAtFin,
  kMissingBytes,
  kNumIds,
};
constexpr const char* kIdNames[kNumIds] = {
    "stream.corrupt-delivery",
    "stream.over-delivery",
    "stream.length-at-fin",
    "stream.missing-bytes",
};

FourTuple mirror(const FourTuple& t) {
  return FourTuple{t.remote_addr, t.local_addr, t.remote_port, t.local_port};
}

struct Conn {
  FourTuple tuple;
  bool has_tuple = false;
  uint32_t reported = 0;
  uint64_t delivered = 0;  // bytes handed to the app
  uint64_t written = 0;    // bytes the app's SEND calls handed over
  bool eof = false;
  bool eof_pending = false;  // judge the length at the end of this step
  bool misaligned = false;   // offered injected bytes off the pattern
  bool injected = false;     // any injected segment reached it
  bool injected_data = false;
  bool bad_end = false;      // reset, refused or timed out
  bool aborted = false;
  bool app_closed = false;   // the app closed or aborted its handle
  bool have_snapshot = false;
  uint32_t last_recv_queued = 0;
};

class StreamChecker final : public Oracle {
 public:
  explicit StreamChecker(const OracleContext& ctx) : Oracle(ctx) {}
  uint32_t handled_events() const override { return events_overridden_by<StreamChecker>(); }

  void on_created(int h, ConnId id, ConnId, const FourTuple& tuple, Instant) override {
    Conn& c = conns_.fresh(h, id);
    c.tuple = tuple;
    c.has_tuple = true;
    pair_by_tuple(h, id, tuple);
  }

  void on_send_accepted(int h, ConnId id, std::span<const uint8_t> bytes, Instant) override {
    conns_(h, id).written += bytes.size();
  }

  void on_inject(int h, const IpPacket& p, Instant) override {
    if (h >= 0 && h < 2) {
      inject_[h] = Pending{p.tcp.seq.raw, p.tcp.flags.bits, p.tcp.payload.size()};
    }
  }

  void on_segment_in(int h, ConnId id, const FourTuple&, const Segment& seg,
                     const TcbSnapshot& before, Instant) override {
    if (h < 0 || h >= 2 || !inject_[h]) return;
    const Pending p = *inject_[h];
    inject_[h].reset();
    if (id == kNoConn || p.seq != seg.seq.raw || p.flags != seg.flags.bits ||
        p.payload != seg.payload.size()) {
      return;
    }
    Conn& c = conns_(h, id);
    c.injected = true;
    if (seg.payload.empty()) return;
    c.injected_data = true;
    // Where would these bytes sit in the connection's stream? Byte k of the
    // stream is at IRS + 1 + k.
    uint32_t base;
    if (before.state == State::kSynReceived || kSynchronizedStates.contains(before.state)) {
      base = before.irs.raw + 1;
    } else if (seg.flags.syn() && (before.state == State::kListen || before.state == State::kSynSent)) {
      base = seg.seq.raw + 1;  // this SYN would set the IRS
    } else {
      return;  // no stream yet: the bytes cannot be taken
    }
    // Payload byte i sits at stream offset start + i (mod 2^32). Offsets in the
    // upper half lie before the stream and are never delivered; a payload (under
    // 2^16 bytes) holds one run of offsets in the lower half, checked in one pass.
    const uint32_t start = seg.seq.raw + (seg.flags.syn() ? 1u : 0u) - base;
    const uint64_t n = seg.payload.size();
    uint64_t from = 0, to = n;  // payload indices of that run
    if (start >= 0x80000000u) {
      from = std::min<uint64_t>(n, (uint64_t{1} << 32) - start);  // where offsets wrap to 0
    } else {
      to = std::min<uint64_t>(n, uint64_t{0x80000000u} - start);
    }
    if (from >= to) return;
    const uint32_t first_offset = start + static_cast<uint32_t>(from);
    const std::span<const uint8_t> run(seg.payload.data() + from, to - from);
    if (first_stream_mismatch(first_offset, run) >= 0) c.misaligned = true;
  }

  void on_deliver(int h, ConnId id, std::span<const uint8_t> bytes, Instant now) override {
    Conn& c = conns_(h, id);
    const uint64_t offset = c.delivered;
    c.delivered += bytes.size();
    if (!c.misaligned) {
      const int64_t bad = first_stream_mismatch(offset, bytes);
      if (bad >= 0) {
        report(kCorruptDelivery, h, id, c, now,
               absl::StrCat("the app read byte ", static_cast<int>(bytes[bad - offset]),
                            " at stream offset ", bad, " (a read of ", bytes.size(),
                            " bytes from offset ", offset, "), but the peer's app wrote ",
                            static_cast<int>(stream_byte(static_cast<uint64_t>(bad))),
                            " there: the stream arrived corrupted or out of place."));
      }
    }
    if (!connection_mode() || c.injected_data) return;
    const Conn* w = peer(h, c);
    if (w && c.delivered > w->written) {
      report(kOverDelivery, h, id, c, now,
             absl::StrCat("the app has now read ", c.delivered, " bytes, but the peer's app wrote only ",
                          w->written, " on ", mirror(c.tuple).to_string(), "."));
    }
  }

  void on_user_event(int h, ConnId id, UserEvent e, Instant) override {
    Conn& c = conns_(h, id);
    switch (e) {
      case UserEvent::kEndOfStream:
        c.eof = true;
        c.eof_pending = true;
        break;
      case UserEvent::kRefused:
      case UserEvent::kReset:
      case UserEvent::kTimedOut:
        c.bad_end = true;
        break;
      case UserEvent::kConnected:
      case UserEvent::kSendFailed:
        break;
    }
  }

  void on_transition(int h, ConnId id, State, State, Cause cause, Instant) override {
    if (cause == Cause::kUserAbort) conns_(h, id).aborted = true;
    if (cause == Cause::kRetransmitGiveUp || cause == Cause::kRecvRst ||
        cause == Cause::kRecvSynInWindow) {
      conns_(h, id).bad_end = true;
    }
  }

  void on_app_call(int h, const AppCall& call, Instant) override {
    if ((call.kind == OpKind::kClose || call.kind == OpKind::kAbort) && call.handle != 0) {
      if (Conn* c = conns_.find(h, call.handle)) c->app_closed = true;
    }
  }

  void on_step_end(int h, ConnId id, const TcbSnapshot& tcb, Instant now) override {
    Conn& c = conns_(h, id);
    c.have_snapshot = true;
    c.last_recv_queued = tcb.recv_queued;
    if (!c.eof_pending) return;
    c.eof_pending = false;
    if (!connection_mode() || c.injected) return;
    const Conn* w = peer(h, c);
    if (!w) return;
    // RCV.NXT now stands past the FIN: IRS + 1 + length + 1.
    const uint32_t length = tcb.rcv_nxt.raw - tcb.irs.raw - 2;
    if (length != static_cast<uint32_t>(w->written)) {
      report(kLengthAtFin, h, id, c, now,
             absl::StrCat("the peer's FIN was accepted with RCV.NXT ", tcb.rcv_nxt.raw, " (IRS ",
                          tcb.irs.raw, "), a stream of ", length, " bytes, but the peer's app wrote ",
                          w->written, " bytes before closing."));
    }
  }

  void on_segment_out(int h, ConnId id, const FourTuple& tuple, const Segment&,
                      const TcbSnapshot& tcb, Instant) override {
    if (id == kNoConn) return;
    Conn& c = conns_(h, id);
    if (!c.has_tuple || c.tuple != tuple) {
      // A listener turned active by a SEND (RFC 9293 3.10.2) gets its foreign
      // socket without being created anew: its first segment shows the tuple.
      c.tuple = tuple;
      c.has_tuple = true;
      pair_by_tuple(h, id, tuple);
    }
    c.have_snapshot = true;
    c.last_recv_queued = tcb.recv_queued;
  }

  void finish(bool quiet, Instant now) override {
    if (!connection_mode()) return;
    conns_.for_each([&](int h, ConnId id, Conn& c) {
      if (!c.eof || !c.have_snapshot || c.last_recv_queued != 0) return;
      if (c.bad_end || c.aborted || c.app_closed || c.injected) return;
      const Conn* w = peer(h, c);
      if (!w || w->bad_end || w->aborted) return;
      if (c.delivered != w->written) {
        report(kMissingBytes, h, id, c, now,
               absl::StrCat("the connection ended in order: the app saw the end of the stream and "
                            "its receive queue is empty, yet it read ",
                            c.delivered, " bytes of the ", w->written, " the peer's app wrote."));
      }
    });
  }

 private:
  struct Pending {
    uint32_t seq;
    uint16_t flags;
    size_t payload;
  };

  bool connection_mode() const { return ctx_.header.mode == Mode::kConnection; }

  // Listeners (remote port 0) never carry a stream; only full tuples pair. A
  // tuple two connections have had is ambiguous and pairs with neither.
  void pair_by_tuple(int h, ConnId id, const FourTuple& tuple) {
    if (tuple.remote_port == 0) return;
    auto [owner, fresh] = by_tuple_.try_emplace(h, tuple, id);
    if (!fresh && *owner != id) *owner = kNoConn;
  }

  // The peer's connection: the other host's connection on the mirrored 4-tuple,
  // if exactly one ever had it.
  const Conn* peer(int h, const Conn& c) const {
    if (!c.has_tuple || c.tuple.remote_port == 0) return nullptr;
    const ConnId* owner = by_tuple_.find(1 - h, mirror(c.tuple));
    if (!owner || *owner == kNoConn) return nullptr;
    return conns_.find(1 - h, *owner);
  }

  void report(Id which, int h, ConnId id, Conn& c, Instant now, std::string text) {
    const uint32_t bit = 1u << which;
    if (c.reported & bit) return;
    c.reported |= bit;
    fail(kIdNames[which], h, id, now, std::move(text));
  }

  // Ordered: finish() reports in a fixed order.
  ConnTable<Conn> conns_;
  TupleMap<ConnId> by_tuple_;
  std::optional<Pending> inject_[2];
};

}  // namespace

std::unique_ptr<Oracle> make_stream_checker(const OracleContext& ctx) {
  return std::make_unique<StreamChecker>(ctx);
}

Oracle* make_stream_checker_in(CheckerArena& arena, const OracleContext& ctx) {
  return arena.make<StreamChecker>(ctx);
}

}  // namespace synfin::harness
