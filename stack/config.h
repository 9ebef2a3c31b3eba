// Every behavioural knob of the stack, passed at construction. Both arms of each
// toggle are reachable from one binary, so tests and fuzzers can compare them.
#pragma once

#include <cstdint>

#include "stack/time.h"

namespace synfin {

// What a host does with a new SYN for a 4-tuple still in TIME-WAIT.
enum class TimeWaitSynPolicy : uint8_t {
  // RFC 9293 3.10.7.4 (with RFC 5961 4): the SYN reaches the TIME-WAIT connection,
  // which answers with an ACK and stays; the 4-tuple is unusable until 2*MSL ends.
  kStrict,
  // RFC 1122 4.2.2.13 / RFC 6191: a SYN whose sequence number lies beyond the old
  // connection's RCV.NXT ends TIME-WAIT early and opens a new incarnation.
  kReuseIfSeqGreater,
};

struct Config {
  // RFC 9293 3.4.2: Maximum Segment Lifetime. TIME-WAIT lasts exactly 2 * msl.
  Duration msl = Duration::seconds(30);

  // RFC 6298: (2.1) initial RTO 1 s, (2.4) minimum 1 s, (2.5) maximum at least 60 s.
  Duration rto_initial = Duration::seconds(1);
  Duration rto_min = Duration::seconds(1);
  Duration rto_max = Duration::seconds(60);

  // Retransmissions before giving up (RFC 1122 4.2.3.5's R2): a SYN or SYN-ACK
  // is sent at most 1 + syn_retries times; data and FIN 1 + data_retries times.
  int syn_retries = 6;
  int data_retries = 10;

  // Receive buffer in bytes: the largest window we advertise. Past 65535 octets
  // the window needs RFC 7323 scaling; without it the window stays at 65535.
  uint32_t recv_buffer = 65535;
  // RFC 7323 2: offer the Window Scale option in our SYN (with the shift the
  // receive buffer needs, 0 if none) and use scaling when the peer offers it too.
  bool window_scale = true;
  // Size the offered shift for this many octets when that is more than
  // recv_buffer: a stack whose buffer may grow after the SYN offers the shift
  // its largest buffer needs (FreeBSD sizes it for kern.ipc.maxsockbuf, Linux
  // for tcp_rmem's maximum). RFC 7323 2.2 leaves the shift to the receiver.
  uint32_t window_scale_buffer = 0;
  // RFC 7323 3-5: offer the Timestamps option in our SYN and, when the peer
  // offers it too, carry it on every segment: RTT samples from echoed values,
  // PAWS against old duplicates.
  bool timestamps = true;
  // RFC 7323 3.2: "If a non-<RST> segment is received without a TSopt, a TCP
  // SHOULD silently drop the segment." On: FreeBSD's way. Off (default): Linux's,
  // which processes such a segment without the PAWS test, so a peer (or an
  // injected segment) that leaves the option out is still heard.
  bool timestamps_required = false;
  // RFC 2018: offer SACK-permitted in our SYN; when the peer offers it too, our
  // ACKs report the octets held past a gap as SACK blocks, most recent first.
  bool sack = true;
  // RFC 5681 congestion control (NewReno with RFC 6582's fast recovery): the
  // sender keeps at most cwnd octets in flight. Off, only the peer's window
  // limits it (for comparisons with a stack that does not model congestion).
  bool congestion_control = true;
  // The initial window in segments; 0 is RFC 5681 3.1's rule (2 to 4 SMSS by
  // size), 10 RFC 6928's (what FreeBSD and Linux use).
  uint32_t initial_window_segments = 0;
  // RFC 9293 3.8.6.3 / RFC 1122 4.2.3.2 delayed ACK: an in-order segment's ACK
  // waits up to delayed_ack_timeout for a second segment (or data of our own to
  // ride on); every second segment, anything out of order or filling a gap, and
  // a FIN are acknowledged at once. RFC 1122: the delay "MUST be less than 0.5
  // seconds". Off by default so every ACK is visible at once in tests.
  bool delayed_ack = false;
  Duration delayed_ack_timeout = Duration::millis(200);
  // RFC 9293 3.7.4 / RFC 1122 4.2.3.4 Nagle: while data is unacknowledged, a
  // partial segment waits for the ACK or for a full segment's worth. Off by
  // default (every socket as with TCP_NODELAY); Host::set_nodelay per socket.
  bool nagle = false;
  // RFC 1122 4.2.3.6 keep-alives, off by default ("MUST default to off"): after
  // keepalive_idle without a segment from the peer, a probe every
  // keepalive_interval; keepalive_probes unanswered ones end the connection
  // ("timed out"). Host::set_keepalive per socket. RFC 1122: the idle
  // "MUST default to no less than two hours".
  bool keepalive = false;
  Duration keepalive_idle = Duration::seconds(7200);
  Duration keepalive_interval = Duration::seconds(75);
  int keepalive_probes = 8;
  // Send buffer in bytes: how much unacknowledged plus unsent data the app may queue.
  uint32_t send_buffer = 65536;
  // Out-of-order segments held for reassembly (RFC 9293 3.10.7.4, seventh step:
  // they "may be held for later processing"): at most this many separate ranges
  // of octets past RCV.NXT. 0 holds none (the peer sends them again), the
  // behaviour of the simplest receivers. Text on a SYN is queued either way.
  uint32_t reassembly_max_ranges = 32;
  // Our MSS, advertised in the SYN (RFC 9293 3.7.1); and the peer's when it sends
  // none: RFC 9293 3.7.1 says assume 536 for IPv4 (1220 for IPv6, RFC 8200 5).
  uint16_t mss = 1460;
  uint16_t default_peer_mss_v4 = 536;
  uint16_t default_peer_mss_v6 = 1220;

  // RFC 5961: RST exact-match rule (3), SYN challenge ACK (4), ACK range check (5).
  // Off means the RFC 793 behaviour.
  bool rfc5961_rst = true;
  bool rfc5961_syn = true;
  bool rfc5961_ack = true;
  // RFC 1337: ignore RST in TIME-WAIT (TIME-WAIT assassination hazard H1).
  bool rfc1337 = true;
  // Drop SYN+FIN segments in LISTEN and SYN-SENT without a reply, as most
  // deployed stacks do (the combination has no legitimate use).
  bool drop_syn_fin = true;

  TimeWaitSynPolicy time_wait_syn = TimeWaitSynPolicy::kStrict;

  // At most one ACK per interval in reply to zero-length (or SYN) segments that
  // are out of window, acknowledge unsent data or draw an RFC 5961 challenge ACK
  // (RFC 5961 7; Linux's tcp_invalid_ratelimit, 500 ms). Without it two
  // desynchronized ends ACK each other forever. 0 turns the limit off.
  Duration invalid_ack_interval = Duration::millis(500);

  // Listen backlog used when the app passes 0.
  int default_backlog = 16;

  // Run Connection::check_invariants() at the end of every event and report a
  // failure to the Observer (on_invariant_violation). For tests, fuzzers and the
  // harness; it costs a pass over the TCB per event.
  bool check_invariants = false;

  friend bool operator==(const Config&, const Config&) = default;
};

}  // namespace synfin
