// Test fixtures for the stack, shaped like the RFC traces they check.
//
// EndpointFixture puts one synfin Host opposite a scripted peer: the test delivers
// segments by hand (`deliver`) and asserts exactly what the host sent
// (`expect_tx`, then `expect_nothing`). PairFixture joins two hosts by a wire the
// test controls, for the seed scenarios of the connection lifecycle.
// Connections are always brought to a state by real transitions, never by
// setting fields.
#pragma once

#include <catch2/catch.hpp>

#include <cstdint>
#include <deque>
#include <functional>
#include <optional>
#include <string>
#include <vector>

#include "stack/host.h"
#include "stack/isn.h"
#include "stack/rfc9293.h"

namespace synfin::testing {

// An ISN generator that hands out the numbers a test chose, in order (and then
// repeats the last). Injected like the production generator.
class ScriptedIsn final : public IsnGenerator {
 public:
  explicit ScriptedIsn(std::vector<uint32_t> isns) : isns_(std::move(isns)) {}
  SeqNum isn(const FourTuple&, Instant) override {
    const uint32_t v = isns_[std::min(next_, isns_.size() - 1)];
    ++next_;
    return SeqNum(v);
  }

 private:
  std::vector<uint32_t> isns_;
  size_t next_ = 0;
};

// A segment as a test writes it: fields not named take the defaults below.
struct SegSpec {
  uint32_t seq = 0;
  uint32_t ack = 0;
  Flags flags;
  uint16_t window = 65535;
  std::vector<uint8_t> payload;
  std::optional<uint16_t> mss;
  std::optional<uint8_t> wscale;       // RFC 7323 Window Scale
  std::optional<Timestamps> ts;        // RFC 7323 Timestamps
  bool sack_permitted = false;         // RFC 2018 SACK-permitted (SYNs)
  std::vector<std::pair<uint32_t, uint32_t>> sack;  // RFC 2018 SACK blocks, absolute
};

// What a test expects the host to send; unset optionals are not checked.
struct TxSpec {
  std::optional<uint32_t> seq;
  std::optional<uint32_t> ack;
  Flags flags;
  std::optional<size_t> len;  // payload length
  std::optional<uint16_t> window;
  std::optional<uint16_t> mss;
  std::optional<Timestamps> ts;  // checked when set; a segment without TSopt never matches
};

// Fails the test unless every TCB of the host passes Connection::check_invariants().
// The fixtures call it after every event they drive, and take_tx() after the
// user calls a test makes directly.
void require_invariants(const Host& host);

// "S. 1000:1000(0) ack 101 win 65535" for failure messages.
std::string describe(const Segment& s);
std::string describe(const TxSpec& t);
bool matches(const Segment& s, const TxSpec& t);

// The byte at stream offset `i` in the tests' payload pattern.
inline uint8_t pattern_byte(uint64_t i) { return static_cast<uint8_t>((i * 131 + 7) & 0xff); }
std::vector<uint8_t> pattern(uint64_t offset, size_t len);

inline constexpr uint16_t kLocalPort = 80;
inline constexpr uint16_t kRemotePort = 40000;

class EndpointFixture {
 public:
  // The host's ISN is `local_iss`; the peer's numbers are the test's to choose.
  explicit EndpointFixture(uint32_t local_iss = 1000, Config cfg = Config{});
  // The same, with an observer attached to the host (it must outlive the fixture).
  EndpointFixture(uint32_t local_iss, Config cfg, Observer* observer);

  // The host's address and the scripted peer's.
  static IpAddr host_address();
  static IpAddr peer_address();

  Host& host() { return host_; }
  Instant now() const { return now_; }
  const Config& config() const { return host_.config(); }

  // Peer -> host.
  void deliver(const SegSpec& s);
  // Peer -> host from another source port of the peer (a second connection).
  void deliver_from(uint16_t remote_port, const SegSpec& s);
  // Asserts the host sent exactly these segments, in order, since the last check.
  void expect_tx(std::initializer_list<TxSpec> expected);
  void expect_nothing();
  // Takes everything the host sent since the last check.
  std::vector<Segment> take_tx();
  // Advances virtual time by d, firing every timer due on the way at its deadline.
  void advance(Duration d);
  // Advances to the host's next deadline exactly, fires it and returns the time.
  Instant advance_to_next_deadline();

  // The connection under test (the one app socket, or the listener's child).
  const Connection& conn() const;
  State state() const { return conn().state(); }
  bool has_connection() const;

  // Brought about by real segments: the host listens on kLocalPort and completes a
  // passive open with peer ISS `remote_iss`.
  void listen();
  void passive_establish(uint32_t remote_iss);
  // Active open from the host: SYN out, SYN-ACK in, ACK out.
  void active_establish(uint32_t remote_iss);

  SocketId socket() const { return socket_; }
  void set_socket(SocketId s) { socket_ = s; }
  SocketId listener() const { return listener_; }

 private:
  ScriptedIsn isn_;
  Host host_;
  Instant now_;
  SocketId socket_ = kNoConn;
  SocketId listener_ = kNoConn;
  FourTuple tuple_;
};

// Two hosts joined by a wire the test controls. Packets wait in flight until the
// test moves them; `drop_next` and filters model loss.
class PairFixture {
 public:
  PairFixture(uint32_t client_iss, uint32_t server_iss, Config cfg = Config{});
  // The same, with an observer on each host (each may be null; they must outlive
  // the fixture).
  PairFixture(uint32_t client_iss, uint32_t server_iss, Config cfg, Observer* client_observer,
              Observer* server_observer);

  Host& client() { return client_; }
  Host& server() { return server_; }
  Instant now() const { return now_; }
  const IpAddr& client_addr() const { return client_.address(); }
  const IpAddr& server_addr() const { return server_.address(); }

  // Collects what both hosts sent into the in-flight queues.
  void collect();
  // The segments in flight from client to server (c2s) and back, oldest first.
  std::deque<Segment>& c2s() { return c2s_; }
  std::deque<Segment>& s2c() { return s2c_; }
  // Delivers the oldest in-flight segment of one direction; returns it.
  Segment deliver_c2s();
  Segment deliver_s2c();
  // Drops the oldest in-flight segment of one direction; returns it.
  Segment drop_c2s();
  Segment drop_s2c();
  // Delivers everything in flight, both ways, until nothing is left.
  void exchange();
  // Advances virtual time, firing timers on both hosts at their deadlines.
  void advance(Duration d);
  Instant advance_to_next_deadline();

 private:
  void deliver(Host& to, const Host& from, const Segment& s);

  ScriptedIsn client_isn_;
  ScriptedIsn server_isn_;
  Host client_;
  Host server_;
  Instant now_;
  std::deque<Segment> c2s_;
  std::deque<Segment> s2c_;
};

}  // namespace synfin::testing
