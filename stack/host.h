// A host: one IP address running TCP. It demultiplexes arriving segments to
// connections by 4-tuple, runs listeners with a backlog, answers segments that
// match nothing with RFC 9293 resets, picks ephemeral ports deterministically, and
// frees a connection's resources when it reaches CLOSED. The application side is a
// small socket-like API over integer handles.
//
// Like Connection, a Host is sans-I/O: packets come in through receive(), go out
// through outbox(), and time is a parameter of every call.
#pragma once

#include <array>
#include <cstdint>
#include <deque>
#include <memory>
#include <optional>
#include <span>
#include <vector>

#include "absl/container/btree_map.h"
#include "absl/container/btree_set.h"
#include "absl/container/flat_hash_map.h"
#include "absl/status/status.h"
#include "absl/status/statusor.h"
#include "stack/config.h"
#include "stack/connection.h"
#include "stack/ip.h"
#include "stack/isn.h"
#include "stack/observer.h"

namespace synfin {

using SocketId = ConnId;

struct SocketStatus {
  State state = State::kClosed;  // CLOSED once the TCB is gone
  bool listener = false;
  CloseReason close_reason = CloseReason::kNone;
  size_t readable = 0;       // bytes a recv() would return now
  bool end_of_stream = false;  // the peer's FIN arrived and every byte before it was read
  size_t send_space = 0;     // bytes a send() would take now
};

struct HostStats {
  uint64_t packets_in = 0;
  uint64_t packets_out = 0;
  uint64_t not_for_us = 0;        // destination address is not this host's
  uint64_t resets_no_tcb = 0;     // RFC 9293 3.10.7.1 replies
  uint64_t backlog_drops = 0;     // SYNs dropped because a listener's backlog was full
  uint64_t new_incarnations = 0;  // TIME-WAIT ended early by a new SYN
};

class Host {
 public:
  struct Options {
    IpAddr address;
    Config config;
    uint64_t seed = 1;  // ephemeral-port choice
  };

  // `isn` and `observer` must outlive the host; observer may be null.
  Host(const Options& options, IsnGenerator& isn, Observer* observer = nullptr);
  ~Host();
  Host(const Host&) = delete;
  Host& operator=(const Host&) = delete;

  const IpAddr& address() const { return address_; }
  const Config& config() const { return config_; }

  // ---- Network side ----
  void receive(Instant now, const IpPacket& packet);
  // Fires every timer due at `now`, connection by connection in creation order.
  void on_timer(Instant now);
  // The earliest timer of any connection; without `idle_probes`, keep-alive
  // timers aside (see Connection::next_deadline).
  std::optional<Instant> next_deadline(bool idle_probes = true) const;
  // Packets sent since the caller last cleared this vector.
  std::vector<IpPacket>& outbox() { return outbox_; }

  // ---- Application side ----
  absl::StatusOr<SocketId> listen(Instant now, uint16_t port, int backlog = 0);
  // Active open. local_port 0 picks an ephemeral port.
  absl::StatusOr<SocketId> connect(Instant now, const IpAddr& remote, uint16_t remote_port,
                                   uint16_t local_port = 0);
  // RFC 9293 3.10.2: a SEND on a listening TCB with the foreign socket specified
  // turns it into an active open (LISTEN -> SYN-SENT). The listener stops listening.
  absl::Status connect_from_listener(Instant now, SocketId listener, const IpAddr& remote,
                                     uint16_t remote_port);
  // The next connection the listener has established, if any.
  absl::StatusOr<std::optional<SocketId>> accept(SocketId listener);
  absl::StatusOr<size_t> send(Instant now, SocketId s, std::span<const uint8_t> data);
  absl::StatusOr<size_t> recv(Instant now, SocketId s, std::span<uint8_t> buf);
  // Half-close: RFC 9293 CLOSE; the socket can still receive.
  absl::Status shutdown(Instant now, SocketId s);
  // Releases the handle. Unread data means data loss, so the connection is reset
  // (RFC 2525 2.17); otherwise CLOSE, and whatever arrives later is discarded.
  absl::Status close(Instant now, SocketId s);
  absl::Status abort(Instant now, SocketId s);
  // Socket options: TCP_NODELAY (Nagle off) and SO_KEEPALIVE; Config holds the
  // defaults a new socket starts with.
  absl::Status set_nodelay(SocketId s, bool on);
  absl::Status set_keepalive(Instant now, SocketId s, bool on);
  absl::StatusOr<SocketStatus> status(SocketId s) const;

  // ---- Introspection ----
  // Live TCBs, listeners included.
  size_t connection_count() const;
  // Handles the application still holds (open connections and closed ones whose
  // end it has not yet collected).
  size_t socket_count() const { return entries_.size(); }
  size_t armed_timer_count() const;
  size_t buffered_bytes() const;
  const Connection* connection(SocketId s) const;
  // The TCB for a 4-tuple seen from this host, if any.
  const Connection* find(const FourTuple& tuple) const;
  const HostStats& stats() const { return stats_; }
  // Whether some live TCB is in `s`; for CLOSED, whether none is (listeners aside).
  bool has_connection_in(State s) const;
  // Connection::check_invariants() for every live TCB: the first failure, with
  // the connection it belongs to.
  absl::Status check_invariants() const;

 private:
  struct Entry {
    std::unique_ptr<Connection> conn;  // null once the TCB has been freed
    ConnId parent = kNoConn;           // the listener that spawned it
    bool app_owned = false;            // created by the app or accepted
    bool released = false;             // the app closed its handle
    bool queued = false;               // in the parent's accept queue
    bool listener = false;
    CloseReason final_reason = CloseReason::kNone;
  };
  struct Listener {
    ConnId id = kNoConn;
    int backlog = 0;
    absl::btree_set<ConnId> embryos;  // children in SYN-RECEIVED
    std::deque<ConnId> accept_queue;  // children established, not yet accepted
  };

  Connection::Env env() { return {&config_, &isn_, observer_}; }
  ConnId create(const FourTuple& tuple, ConnId parent, Instant now);
  // Moves the connection's outgoing segments into outbox_ with their IP header.
  void flush(const Connection& c);
  // After any event on `id`: queue newly established children for accept, free
  // TCBs that reached CLOSED (or children back in LISTEN).
  void settle(ConnId id, Instant now);
  void free_tcb(Entry& e, Instant now);
  // Stops `listener` listening on `port`; returns its unaccepted children.
  std::vector<ConnId> detach_listener(uint16_t port, ConnId listener);
  void reset_children(const std::vector<ConnId>& children, Instant now);
  void reply_no_tcb(Instant now, const FourTuple& tuple, const Segment& seg);
  // Whether the listener holds as many children (half-open and not yet accepted)
  // as its backlog allows: a new SYN is then dropped.
  bool backlog_full(const Listener& l) const;
  std::optional<Instant> earliest_deadline(bool idle_probes) const;
  // Every non-const public call starts here: it may change a timer.
  void forget_next_deadline() { deadline_known_ = {false, false}; }
  absl::StatusOr<Entry*> entry(SocketId s);
  absl::StatusOr<Connection*> live(SocketId s);
  absl::StatusOr<uint16_t> pick_ephemeral_port(const IpAddr& remote, uint16_t remote_port);

  IpAddr address_;
  Config config_;
  IsnGenerator& isn_;
  Observer* observer_;

  ConnId next_id_ = 1;
  uint16_t next_ephemeral_;
  uint16_t next_ip_id_ = 1;

  absl::btree_map<ConnId, Entry> entries_;  // ordered: timers fire in creation order
  absl::flat_hash_map<FourTuple, ConnId> by_tuple_;
  absl::btree_map<uint16_t, Listener> listeners_;  // by local port
  // TIME-WAIT connections set aside while a new incarnation of their 4-tuple
  // opens (RFC 1122 4.2.2.13): freed once it is established, back in place if the
  // reopening SYN turns out to be an old duplicate.
  absl::flat_hash_map<FourTuple, ConnId> parked_;

  Outbox scratch_;
  std::vector<IpPacket> outbox_;
  std::vector<ConnId> due_;  // reused by on_timer
  HostStats stats_;
  // next_deadline()'s answers, with and without keep-alive probes, until the
  // next non-const call.
  mutable std::array<bool, 2> deadline_known_ = {false, false};
  mutable std::array<std::optional<Instant>, 2> deadline_{};
};

}  // namespace synfin
