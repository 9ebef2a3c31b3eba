// The observability seam: everything the stack decides, reported to one optional
// observer. Oracles, traces and pcap export hang off this interface alone. When no
// observer is attached the stack pays one null-pointer test per event.
#pragma once

#include <cstdint>
#include <span>


#include "absl/status/status.h"
#include "stack/ip.h"
#include "stack/seq.h"
#include "stack/state.h"
#include "stack/time.h"

namespace synfin {

// Identifies a connection (or listener) within one host. 0 means "no connection":
// segments the host answered or dropped on its own.
using ConnId = uint32_t;
inline constexpr ConnId kNoConn = 0;

// Why a state transition happened: the event labels of RFC 9293's state diagram
// (Figure 5) and of the text of 3.10, plus the timer and abort edges.
enum class Cause : uint8_t {
  kUserListen,        // CLOSED -> LISTEN: passive OPEN
  kUserConnect,       // CLOSED -> SYN-SENT: active OPEN, snd SYN
  kUserSend,          // LISTEN -> SYN-SENT: SEND on a listening TCB, snd SYN
  kUserClose,         // CLOSE: LISTEN/SYN-SENT -> CLOSED; ... -> FIN-WAIT-1; CLOSE-WAIT -> LAST-ACK
  kUserAbort,         // ABORT: any -> CLOSED
  kRecvSyn,           // LISTEN -> SYN-RECEIVED; SYN-SENT -> SYN-RECEIVED (simultaneous open)
  kRecvSynAck,        // SYN-SENT -> ESTABLISHED
  kRecvAck,           // ACK of our SYN or FIN: SYN-RECEIVED -> ESTABLISHED, FIN-WAIT-1 -> FIN-WAIT-2,
                      // CLOSING -> TIME-WAIT, LAST-ACK -> CLOSED
  kRecvFin,           // ESTABLISHED -> CLOSE-WAIT, FIN-WAIT-1 -> CLOSING, FIN-WAIT-2 -> TIME-WAIT
  kRecvFinAck,        // FIN-WAIT-1 -> TIME-WAIT: FIN and the ACK of our FIN together
  kRecvRst,           // SYN-RECEIVED -> LISTEN (passive) or CLOSED; synchronized -> CLOSED
  kRecvSynInWindow,   // RFC 793 behaviour (RFC 5961 off): in-window SYN resets -> CLOSED;
                      // also SYN-RECEIVED -> LISTEN for a passive open (RFC 9293 3.10.7.4)
  kTimeWaitExpired,   // TIME-WAIT -> CLOSED after 2*MSL
  kRetransmitGiveUp,  // retries exhausted -> CLOSED
  kNewIncarnation,    // TIME-WAIT -> CLOSED: a new SYN reuses the 4-tuple (RFC 1122 4.2.2.13)
  kKeepaliveTimeout,  // ESTABLISHED / CLOSE-WAIT -> CLOSED: keep-alive probes unanswered
};
const char* to_string(Cause c);

enum class TimerKind : uint8_t {
  kRetransmit,  // SYN, SYN-ACK, data and FIN (RFC 6298)
  kPersist,     // zero-window probes (RFC 9293 3.8.6.1)
  kTimeWait,    // 2*MSL (RFC 9293 3.6.1)
  kDelayedAck,  // the ACK held for a second segment (RFC 9293 3.8.6.3, RFC 1122 4.2.3.2)
  kKeepalive,   // idle-connection probes (RFC 1122 4.2.3.6)
};
inline constexpr int kNumTimerKinds = 5;
const char* to_string(TimerKind k);

enum class TimerAction : uint8_t { kSet, kFire, kCancel };
const char* to_string(TimerAction a);

// What the application is told, beyond data.
enum class UserEvent : uint8_t {
  kConnected,     // reached ESTABLISHED
  kEndOfStream,   // the peer's FIN: no more data will arrive
  kRefused,       // RST while opening
  kReset,         // RST on a synchronized connection
  kTimedOut,      // retransmissions exhausted
  kSendFailed,    // a SEND or CLOSE rejected ("connection closing" and the like)
};
const char* to_string(UserEvent e);

// The TCB variables of RFC 9293 3.3.1 at one moment.
struct TcbSnapshot {
  State state = State::kClosed;
  SeqNum iss, irs;
  SeqNum snd_una, snd_nxt, snd_max;
  uint32_t snd_wnd = 0;
  SeqNum snd_wl1, snd_wl2;
  SeqNum rcv_nxt;
  uint32_t rcv_wnd = 0;
  uint32_t send_queued = 0;  // bytes the app gave that are not yet acknowledged
  uint32_t recv_queued = 0;  // bytes received in order that the app has not read
  bool fin_queued = false;   // the app has closed its sending side
  Duration rto;
  int retries = 0;           // consecutive retransmission timeouts
  friend bool operator==(const TcbSnapshot&, const TcbSnapshot&) = default;
};

class Observer {
 public:
  virtual ~Observer() = default;

  // A connection object came into being: a listener, an active open, or a child a
  // listener spawned for an arriving SYN (parent is the listener, else kNoConn).
  virtual void on_created(ConnId id, ConnId parent, const FourTuple& tuple, Instant now) {}
  virtual void on_transition(ConnId id, State from, State to, Cause cause, Instant now) {}
  // `before`: the TCB the segment was judged against (empty for kNoConn).
  virtual void on_segment_in(ConnId id, const FourTuple& tuple, const Segment& seg,
                             const TcbSnapshot& before, Instant now) {}
  // `tcb`: the TCB right after the segment was formed (SND.NXT already past it).
  virtual void on_segment_out(ConnId id, const FourTuple& tuple, const Segment& seg,
                              const TcbSnapshot& tcb, Instant now) {}
  virtual void on_timer(ConnId id, TimerKind kind, TimerAction action, Instant deadline,
                        Instant now) {}
  // Bytes handed to the application by a RECEIVE call, in stream order.
  virtual void on_deliver(ConnId id, std::span<const uint8_t> bytes, Instant now) {}
  // Bytes the application handed to a SEND call and the stack took.
  virtual void on_send_accepted(ConnId id, std::span<const uint8_t> bytes, Instant now) {}
  virtual void on_user_event(ConnId id, UserEvent event, Instant now) {}
  // The end of one event's processing (segment, timer or user call), with the TCB
  // as it now stands.
  virtual void on_step_end(ConnId id, const TcbSnapshot& tcb, Instant now) {}
  // The connection's resources were freed.
  virtual void on_released(ConnId id, Instant now) {}
  // Connection::check_invariants() failed at the end of an event (reported only
  // with Config::check_invariants on): the stack's own state is inconsistent.
  virtual void on_invariant_violation(ConnId id, const absl::Status& why, Instant now) {}
};

}  // namespace synfin
