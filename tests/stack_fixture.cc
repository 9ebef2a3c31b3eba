#include "tests/stack_fixture.h"

#include "absl/strings/str_cat.h"
#include "absl/strings/str_format.h"

namespace synfin::testing {
namespace {

IpAddr host_addr() { return IpAddr::v4(10, 0, 0, 1); }
IpAddr peer_addr() { return IpAddr::v4(10, 0, 0, 2); }

}  // namespace

void require_invariants(const Host& host) {
  const absl::Status st = host.check_invariants();
  INFO(st.ToString());
  REQUIRE(st.ok());
}

std::vector<uint8_t> pattern(uint64_t offset, size_t len) {
  std::vector<uint8_t> v(len);
  for (size_t i = 0; i < len; ++i) v[i] = pattern_byte(offset + i);
  return v;
}

std::string describe(const Segment& s) {
  std::string out = absl::StrFormat("%s %u:%u(%u)", flags_to_string(s.flags), s.seq.raw,
                                    s.seq.raw + static_cast<uint32_t>(s.payload.size()),
                                    s.payload.size());
  if (s.flags.ack()) absl::StrAppend(&out, " ack ", s.ack.raw);
  absl::StrAppend(&out, " win ", s.window);
  if (!s.options.empty()) absl::StrAppend(&out, " <", options_to_string(s.options), ">");
  return out;
}

std::string describe(const TxSpec& t) {
  std::string out = flags_to_string(t.flags);
  absl::StrAppend(&out, " seq ", t.seq ? std::to_string(*t.seq) : "*");
  if (t.len) absl::StrAppend(&out, " len ", *t.len);
  if (t.ack) absl::StrAppend(&out, " ack ", *t.ack);
  if (t.window) absl::StrAppend(&out, " win ", *t.window);
  if (t.mss) absl::StrAppend(&out, " <mss ", *t.mss, ">");
  if (t.ts) absl::StrAppend(&out, " <TS val ", t.ts->val, " ecr ", t.ts->ecr, ">");
  return out;
}

bool matches(const Segment& s, const TxSpec& t) {
  if (s.flags != t.flags) return false;
  if (t.seq && s.seq.raw != *t.seq) return false;
  if (t.ack && s.ack.raw != *t.ack) return false;
  if (t.len && s.payload.size() != *t.len) return false;
  if (t.window && s.window != *t.window) return false;
  if (t.mss && s.options.mss != t.mss) return false;
  if (t.ts && s.options.timestamps != t.ts) return false;
  return true;
}

// ---------------------------------------------------------------------------

EndpointFixture::EndpointFixture(uint32_t local_iss, Config cfg)
    : EndpointFixture(local_iss, cfg, nullptr) {}

EndpointFixture::EndpointFixture(uint32_t local_iss, Config cfg, Observer* observer)
    : isn_({local_iss}), host_(Host::Options{host_addr(), cfg, 1}, isn_, observer) {
  tuple_ = FourTuple{host_addr(), peer_addr(), kLocalPort, kRemotePort};
}

IpAddr EndpointFixture::host_address() { return host_addr(); }
IpAddr EndpointFixture::peer_address() { return peer_addr(); }

void EndpointFixture::deliver(const SegSpec& s) { deliver_from(kRemotePort, s); }

void EndpointFixture::deliver_from(uint16_t remote_port, const SegSpec& s) {
  IpPacket p;
  p.src = peer_addr();
  p.dst = host_addr();
  p.tcp.src_port = remote_port;
  p.tcp.dst_port = kLocalPort;
  p.tcp.seq = SeqNum(s.seq);
  p.tcp.ack = SeqNum(s.ack);
  p.tcp.flags = s.flags;
  p.tcp.window = s.window;
  p.tcp.payload = s.payload;
  p.tcp.options.mss = s.mss;
  p.tcp.options.window_scale = s.wscale;
  p.tcp.options.timestamps = s.ts;
  p.tcp.options.sack_permitted = s.sack_permitted;
  for (const auto& [l, r] : s.sack) p.tcp.options.sack.push_back(SackBlock{SeqNum(l), SeqNum(r)});
  host_.receive(now_, p);
  require_invariants(host_);
  // The listener's child becomes the connection under test once it exists.
  if (socket_ == kNoConn || host_.connection(socket_) == nullptr) {
    if (host_.find(tuple_) != nullptr) socket_ = host_.find(tuple_)->id();
  }
}

std::vector<Segment> EndpointFixture::take_tx() {
  // Tests look at what was sent after every user call: the moment to check the
  // TCBs those calls changed.
  require_invariants(host_);
  std::vector<Segment> out;
  for (IpPacket& p : host_.outbox()) {
    CHECK(p.src == host_addr());
    CHECK(p.dst == peer_addr());
    out.push_back(std::move(p.tcp));
  }
  host_.outbox().clear();
  return out;
}

void EndpointFixture::expect_tx(std::initializer_list<TxSpec> expected) {
  std::vector<Segment> got = take_tx();
  std::string got_text;
  for (const Segment& s : got) absl::StrAppend(&got_text, "\n  ", describe(s));
  std::string want_text;
  for (const TxSpec& t : expected) absl::StrAppend(&want_text, "\n  ", describe(t));
  INFO("at " << format_instant(now_) << "\nexpected:" << want_text << "\ngot:" << got_text);
  REQUIRE(got.size() == expected.size());
  size_t i = 0;
  for (const TxSpec& t : expected) {
    INFO("segment " << i);
    CHECK(matches(got[i], t));
    ++i;
  }
}

void EndpointFixture::expect_nothing() { expect_tx({}); }

void EndpointFixture::advance(Duration d) {
  const Instant target = now_ + d;
  for (;;) {
    auto next = host_.next_deadline();
    if (!next || *next > target) break;
    now_ = std::max(now_, *next);
    host_.on_timer(now_);
    require_invariants(host_);
  }
  now_ = target;
}

Instant EndpointFixture::advance_to_next_deadline() {
  auto next = host_.next_deadline();
  REQUIRE(next.has_value());
  now_ = *next;
  host_.on_timer(now_);
  require_invariants(host_);
  return now_;
}

const Connection& EndpointFixture::conn() const {
  const Connection* c = host_.connection(socket_);
  REQUIRE(c != nullptr);
  return *c;
}

bool EndpointFixture::has_connection() const {
  return socket_ != kNoConn && host_.connection(socket_) != nullptr;
}

void EndpointFixture::listen() {
  auto l = host_.listen(now_, kLocalPort);
  REQUIRE(l.ok());
  listener_ = *l;
}

void EndpointFixture::passive_establish(uint32_t remote_iss) {
  listen();
  deliver({.seq = remote_iss, .flags = kSyn, .mss = 1460});
  const uint32_t iss = conn().snapshot().iss.raw;
  expect_tx({{.seq = iss, .ack = remote_iss + 1, .flags = kSyn | kAck, .mss = 1460}});
  REQUIRE(state() == State::kSynReceived);
  deliver({.seq = remote_iss + 1, .ack = iss + 1, .flags = kAck});
  expect_nothing();
  REQUIRE(state() == State::kEstablished);
  auto accepted = host_.accept(listener_);
  REQUIRE(accepted.ok());
  REQUIRE(accepted->has_value());
  socket_ = **accepted;
}

void EndpointFixture::active_establish(uint32_t remote_iss) {
  auto s = host_.connect(now_, peer_addr(), kRemotePort, kLocalPort);
  REQUIRE(s.ok());
  socket_ = *s;
  const uint32_t iss = conn().snapshot().iss.raw;
  expect_tx({{.seq = iss, .flags = kSyn, .mss = 1460}});
  REQUIRE(state() == State::kSynSent);
  deliver({.seq = remote_iss, .ack = iss + 1, .flags = kSyn | kAck, .mss = 1460});
  expect_tx({{.seq = iss + 1, .ack = remote_iss + 1, .flags = kAck}});
  REQUIRE(state() == State::kEstablished);
}

// ---------------------------------------------------------------------------

PairFixture::PairFixture(uint32_t client_iss, uint32_t server_iss, Config cfg)
    : PairFixture(client_iss, server_iss, cfg, nullptr, nullptr) {}

PairFixture::PairFixture(uint32_t client_iss, uint32_t server_iss, Config cfg,
                         Observer* client_observer, Observer* server_observer)
    : client_isn_({client_iss}),
      server_isn_({server_iss}),
      client_(Host::Options{IpAddr::v4(10, 0, 0, 1), cfg, 1}, client_isn_, client_observer),
      server_(Host::Options{IpAddr::v4(10, 0, 0, 2), cfg, 2}, server_isn_, server_observer) {}

void PairFixture::collect() {
  require_invariants(client_);
  require_invariants(server_);
  for (IpPacket& p : client_.outbox()) c2s_.push_back(std::move(p.tcp));
  client_.outbox().clear();
  for (IpPacket& p : server_.outbox()) s2c_.push_back(std::move(p.tcp));
  server_.outbox().clear();
}

void PairFixture::deliver(Host& to, const Host& from, const Segment& s) {
  IpPacket p;
  p.src = from.address();
  p.dst = to.address();
  p.tcp = s;
  to.receive(now_, p);
  require_invariants(to);
}

Segment PairFixture::deliver_c2s() {
  collect();
  REQUIRE(!c2s_.empty());
  Segment s = std::move(c2s_.front());
  c2s_.pop_front();
  deliver(server_, client_, s);
  collect();
  return s;
}

Segment PairFixture::deliver_s2c() {
  collect();
  REQUIRE(!s2c_.empty());
  Segment s = std::move(s2c_.front());
  s2c_.pop_front();
  deliver(client_, server_, s);
  collect();
  return s;
}

Segment PairFixture::drop_c2s() {
  collect();
  REQUIRE(!c2s_.empty());
  Segment s = std::move(c2s_.front());
  c2s_.pop_front();
  return s;
}

Segment PairFixture::drop_s2c() {
  collect();
  REQUIRE(!s2c_.empty());
  Segment s = std::move(s2c_.front());
  s2c_.pop_front();
  return s;
}

void PairFixture::exchange() {
  collect();
  for (int guard = 0; guard < 10000 && (!c2s_.empty() || !s2c_.empty()); ++guard) {
    if (!c2s_.empty()) deliver_c2s();
    if (!s2c_.empty()) deliver_s2c();
  }
  REQUIRE(c2s_.empty());
  REQUIRE(s2c_.empty());
}

void PairFixture::advance(Duration d) {
  const Instant target = now_ + d;
  for (;;) {
    auto a = client_.next_deadline();
    auto b = server_.next_deadline();
    std::optional<Instant> next = a;
    if (b && (!next || *b < *next)) next = b;
    if (!next || *next > target) break;
    now_ = std::max(now_, *next);
    client_.on_timer(now_);
    server_.on_timer(now_);
    require_invariants(client_);
    require_invariants(server_);
  }
  now_ = target;
  collect();
}

Instant PairFixture::advance_to_next_deadline() {
  auto a = client_.next_deadline();
  auto b = server_.next_deadline();
  std::optional<Instant> next = a;
  if (b && (!next || *b < *next)) next = b;
  REQUIRE(next.has_value());
  now_ = *next;
  client_.on_timer(now_);
  server_.on_timer(now_);
  collect();
  return now_;
}

}  // namespace synfin::testing
