// Tests for the run's outputs: the TraceWriter timeline (exact lines from
// hand-made events), the PcapWriter (write, read back, all-or-nothing files) and
// the pcap reader (every supported link layer from hand-built captures in memory,
// plus two real captures copied under tests/data/pcaps/).
#include <catch2/catch.hpp>

#include <unistd.h>

#include <cstdint>
#include <filesystem>
#include <fstream>
#include <iterator>
#include <string>
#include <vector>

#include "harness/pcap_reader.h"
#include "harness/pcap_writer.h"
#include "harness/trace.h"
#include "stack/codec.h"

#ifndef SYNFIN_SOURCE_DIR
#error "tests/CMakeLists.txt must define SYNFIN_SOURCE_DIR"
#endif

namespace synfin::harness {
namespace {

namespace fs = std::filesystem;
using Bytes = std::vector<uint8_t>;

const IpAddr kA = IpAddr::v4(10, 0, 0, 1);
const IpAddr kB = IpAddr::v4(10, 0, 0, 2);
const IpAddr kA6 = IpAddr::v6({0xfd, 0, 0, 0, 0, 0, 0, 0, 0, 0, 0, 0, 0, 0, 0, 1});
const IpAddr kB6 = IpAddr::v6({0xfd, 0, 0, 0, 0, 0, 0, 0, 0, 0, 0, 0, 0, 0, 0, 2});

FourTuple client_tuple() {
  FourTuple t;
  t.local_addr = kA;
  t.local_port = 49152;
  t.remote_addr = kB;
  t.remote_port = 80;
  return t;
}

FourTuple server_tuple() {
  FourTuple t;
  t.local_addr = kB;
  t.local_port = 80;
  t.remote_addr = kA;
  t.remote_port = 49152;
  return t;
}

Segment syn() {
  Segment s;
  s.src_port = 49152;
  s.dst_port = 80;
  s.seq = SeqNum(1000);
  s.flags = kSyn;
  s.window = 65535;
  s.options.mss = 1460;
  return s;
}

Instant ms(int64_t n) { return Instant::from_millis(n); }

// A scratch directory for this process, removed at the end of the test.
struct TempDir {
  fs::path path;
  TempDir() {
    path = fs::temp_directory_path() / ("synfin_trace_pcap_test_" + std::to_string(::getpid()));
    fs::remove_all(path);
    fs::create_directories(path);
  }
  ~TempDir() {
    std::error_code ec;
    fs::remove_all(path, ec);
  }
};

Bytes read_file(const fs::path& p) {
  std::ifstream in(p, std::ios::binary);
  return Bytes(std::istreambuf_iterator<char>(in), std::istreambuf_iterator<char>());
}

Bytes encode(const IpPacket& p) {
  absl::StatusOr<Bytes> b = encode_packet(p);
  REQUIRE(b.ok());
  return *b;
}

IpPacket packet(const IpAddr& src, const IpAddr& dst, Segment seg) {
  IpPacket p;
  p.src = src;
  p.dst = dst;
  p.tcp = std::move(seg);
  return p;
}

// ---------------------------------------------------------------------------
// TraceWriter

TEST_CASE("TraceWriter: one exact line per event", "[trace]") {
  TraceWriter t;
  const Segment s = syn();
  t.on_app_call(1, AppCall{.kind = OpKind::kListen, .result = 0}, ms(0));
  t.on_created(1, 1, kNoConn, FourTuple{.local_addr = kB, .local_port = 80}, ms(0));
  t.on_transition(1, 1, State::kClosed, State::kListen, Cause::kUserListen, ms(0));
  t.on_app_call(0, AppCall{.kind = OpKind::kConnect, .handle = 1, .result = 0}, ms(10));
  t.on_segment_out(0, 1, client_tuple(), s, TcbSnapshot{}, ms(10));
  t.on_timer(0, 1, TimerKind::kRetransmit, TimerAction::kSet, Instant::from_millis(1010), ms(10));
  t.on_segment_in(1, 1, server_tuple(), s, TcbSnapshot{}, ms(20));
  t.on_created(1, 2, 1, server_tuple(), ms(20));
  t.on_transition(1, 2, State::kListen, State::kSynReceived, Cause::kRecvSyn, ms(20));
  t.on_timer(1, 2, TimerKind::kRetransmit, TimerAction::kCancel, ms(1020), ms(30));
  t.on_timer(1, 2, TimerKind::kTimeWait, TimerAction::kFire, ms(60030), ms(60030));
  t.on_fault(0, FaultKind::kDrop, 0, ms(20));
  t.on_fault(1, FaultKind::kDuplicate, 5000, ms(20));
  t.on_fault(0, FaultKind::kReorder, 2, ms(20));
  t.on_fault(0, FaultKind::kCorrupt, 17, ms(20));
  t.on_fault(0, FaultKind::kTruncate, 40, ms(20));
  t.on_link_drop(0, "mtu", ms(20));
  t.on_decode_error(1, absl::InvalidArgumentError("bad TCP checksum"), ms(20));
  const Bytes payload(1000, 0x41);
  t.on_app_call(0, AppCall{.kind = OpKind::kSend, .socket = 0, .requested = 1000, .result = 1000},
                ms(20));
  t.on_send_accepted(0, 1, payload, ms(20));  // not shown unless verbose
  t.on_app_call(0,
                AppCall{.kind = OpKind::kSend, .socket = 3, .requested = 10, .ok = false,
                        .error = "no such socket"},
                ms(20));
  t.on_app_call(0, AppCall{.kind = OpKind::kRecv, .socket = 0, .requested = 500, .result = 300},
                ms(20));
  t.on_app_call(1, AppCall{.kind = OpKind::kAccept, .socket = 0, .result = 1}, ms(20));
  t.on_app_call(0, AppCall{.kind = OpKind::kClose, .socket = 0}, ms(20));
  t.on_deliver(0, 1, std::span<const uint8_t>(payload).first(300), ms(20));
  t.on_user_event(0, 1, UserEvent::kEndOfStream, ms(20));
  t.on_step_end(0, 1, TcbSnapshot{}, ms(20));  // not shown unless verbose
  t.on_wire_send(0, payload, ms(20));          // not shown unless verbose
  t.on_wire_deliver(1, payload, ms(20));       // not shown unless verbose
  t.on_released(0, 3, ms(20));
  Segment data;
  data.src_port = 80;
  data.dst_port = 49152;
  data.seq = SeqNum(5001);
  data.ack = SeqNum(1001);
  data.flags = kAck | kPsh;
  data.window = 512;
  data.payload.assign(100, 0);
  t.on_inject(0, packet(kB, kA, data), Instant::from_micros(1234567));
  t.on_expectation_failed(7, "expected S. got R.", Instant::from_micros(1234567));
  t.on_run_end(Instant::from_micros(123456789012));

  const std::string want =
      "   0.000000 h1 app listen() = sock 0\n"
      "   0.000000 h1 conn 1 created 10.0.0.2:80 <-> 0.0.0.0:0\n"
      "   0.000000 h1 conn 1 CLOSED -> LISTEN (listen)\n"
      "   0.010000 h0 app connect() = sock 0\n"
      "   0.010000 h0 > 10.0.0.1:49152 > 10.0.0.2:80 S 1000:1000(0) win 65535 <mss 1460>\n"
      "   0.010000 h0 conn 1 timer retransmit set 1.010000\n"
      "   0.020000 h1 < 10.0.0.1:49152 > 10.0.0.2:80 S 1000:1000(0) win 65535 <mss 1460>\n"
      "   0.020000 h1 conn 2 created (child of 1) 10.0.0.2:80 <-> 10.0.0.1:49152\n"
      "   0.020000 h1 conn 2 LISTEN -> SYN-RECEIVED (rcv-syn)\n"
      "   0.030000 h1 conn 2 timer retransmit cancel\n"
      "  60.030000 h1 conn 2 timer time-wait fire\n"
      "   0.020000 link h0->h1 fault drop\n"
      "   0.020000 link h1->h0 fault duplicate +5000us\n"
      "   0.020000 link h0->h1 fault reorder after 2\n"
      "   0.020000 link h0->h1 fault corrupt bit 17\n"
      "   0.020000 link h0->h1 fault truncate to 40\n"
      "   0.020000 link h0->h1 drop (mtu)\n"
      "   0.020000 h1 decode error: bad TCP checksum\n"
      "   0.020000 h0 app send(sock 0, 1000) = 1000\n"
      "   0.020000 h0 app send(sock 3, 10) = error: no such socket\n"
      "   0.020000 h0 app recv(sock 0, 500) = 300\n"
      "   0.020000 h1 app accept(sock 0) = sock 1\n"
      "   0.020000 h0 app close(sock 0) = ok\n"
      "   0.020000 h0 deliver conn 1 300 bytes\n"
      "   0.020000 h0 event conn 1 end-of-stream\n"
      "   0.020000 h0 conn 3 released\n"
      "   1.234567 h0 inject 10.0.0.2:80 > 10.0.0.1:49152 P. 5001:5101(100) ack 1001 win 512\n"
      "   1.234567 expectation failed at op 7: expected S. got R.\n"
      "123456.789012 run end\n";
  CHECK(t.text() == want);
  CHECK(t.lines_written() == 29);
  CHECK(t.lines_kept() == 29);
  CHECK(t.tail(2) ==
        "   1.234567 expectation failed at op 7: expected S. got R.\n"
        "123456.789012 run end\n");
  CHECK(t.tail(0).empty());
  CHECK(t.tail(1000) == want);

  t.clear();
  CHECK(t.text().empty());
  CHECK(t.lines_written() == 0);
  CHECK(t.tail(3).empty());
}

TEST_CASE("TraceWriter: IPv6 endpoints are bracketed", "[trace]") {
  TraceWriter t;
  Segment s = syn();
  s.flags = kSyn | kAck;
  s.ack = SeqNum(7);
  s.options.window_scale = 7;
  s.options.sack_permitted = true;
  t.on_inject(0, packet(kB6, kA6, s), ms(5));
  CHECK(t.text() ==
        "   0.005000 h0 inject [fd00::2]:49152 > [fd00::1]:80 S. 1000:1000(0) ack 7 win 65535 "
        "<mss 1460,sackOK,wscale 7>\n");
}

TEST_CASE("TraceWriter: free text cannot break a line", "[trace]") {
  TraceWriter t;
  t.on_decode_error(0, absl::DataLossError("two\nlines\r"), ms(1));
  t.on_expectation_failed(0, "tab\there", ms(1));
  CHECK(t.text() ==
        "   0.001000 h0 decode error: two\\x0alines\\x0d\n"
        "   0.001000 expectation failed at op 0: tab\\x09here\n");
}

TEST_CASE("TraceWriter: the time column", "[trace]") {
  CHECK(TraceWriter::format_time(Instant{0}) == "   0.000000");
  CHECK(TraceWriter::format_time(Instant{10000}) == "   0.010000");
  CHECK(TraceWriter::format_time(Instant{9999999999}) == "9999.999999");
  CHECK(TraceWriter::format_time(Instant{-1}) == "  -0.000001");
  CHECK(TraceWriter::format_time(Instant{-1500000}) == "  -1.500000");
}

TEST_CASE("TraceWriter: a line limit keeps the last lines", "[trace]") {
  TraceWriter t(TraceWriter::Options{.line_limit = 3});
  CHECK(t.text().empty());
  CHECK(t.tail(5).empty());
  for (int i = 0; i < 5; ++i) t.on_released(0, static_cast<ConnId>(i), ms(i));
  CHECK(t.lines_written() == 5);
  CHECK(t.lines_kept() == 3);
  CHECK(t.text() ==
        "   0.002000 h0 conn 2 released\n"
        "   0.003000 h0 conn 3 released\n"
        "   0.004000 h0 conn 4 released\n");
  CHECK(t.tail(2) ==
        "   0.003000 h0 conn 3 released\n"
        "   0.004000 h0 conn 4 released\n");
  CHECK(t.tail(9) == t.text());
  // text() is rebuilt after more events.
  t.on_released(1, 9, ms(9));
  CHECK(t.text() ==
        "   0.003000 h0 conn 3 released\n"
        "   0.004000 h0 conn 4 released\n"
        "   0.009000 h1 conn 9 released\n");
  t.clear();
  CHECK(t.text().empty());
  t.on_released(0, 1, ms(1));
  CHECK(t.text() == "   0.001000 h0 conn 1 released\n");
  CHECK(t.tail(1) == t.text());
}

TEST_CASE("TraceWriter: verbose adds steps, accepted sends and wire lines", "[trace]") {
  TraceWriter t(TraceWriter::Options{.verbose = true});
  TcbSnapshot tcb;
  tcb.state = State::kEstablished;
  tcb.snd_una = SeqNum(1001);
  tcb.snd_nxt = SeqNum(1101);
  tcb.snd_max = SeqNum(1101);
  tcb.snd_wnd = 65535;
  tcb.rcv_nxt = SeqNum(5001);
  tcb.rcv_wnd = 4096;
  tcb.send_queued = 100;
  tcb.rto = Duration::seconds(1);
  const Bytes sixty(60, 0);
  t.on_send_accepted(0, 1, std::span<const uint8_t>(sixty).first(10), ms(1));
  t.on_step_end(0, 1, tcb, ms(1));
  t.on_wire_send(0, sixty, ms(1));
  t.on_wire_deliver(1, sixty, ms(11));
  CHECK(t.text() ==
        "   0.001000 h0 accepted conn 1 10 bytes\n"
        "   0.001000 h0 conn 1 step ESTABLISHED una 1001 nxt 1101 max 1101 wnd 65535 "
        "rcv.nxt 5001 rcv.wnd 4096 sq 100 rq 0 rto 1000000us retries 0\n"
        "   0.001000 wire h0->h1 sent 60 bytes\n"
        "   0.011000 wire h0->h1 delivered 60 bytes\n");
}

// ---------------------------------------------------------------------------
// PcapWriter and read-back

TEST_CASE("PcapWriter: sent view round-trips through the reader", "[pcap]") {
  TempDir dir;
  const std::string path = (dir.path / "run.pcap").string();
  auto w = PcapWriter::open(path, PcapWriter::View::kSent);
  REQUIRE(w.ok());
  PcapWriter& writer = **w;

  Segment data = syn();
  data.flags = kAck | kPsh;
  data.options = {};
  data.payload.assign(300, 0x5a);
  const std::vector<Bytes> sent = {
      encode(packet(kA, kB, syn())),
      encode(packet(kB, kA, data)),
      encode(packet(kA6, kB6, syn())),
  };
  const std::vector<Instant> at = {Instant{0}, Instant{10000}, Instant{3001234567}};
  for (size_t i = 0; i < sent.size(); ++i) {
    writer.on_wire_send(static_cast<int>(i % 2), sent[i], at[i]);
    writer.on_wire_deliver(1, sent[i], at[i]);  // another view: ignored
  }
  CHECK(writer.packets_written() == 3);
  // Nothing at the final path until finish().
  CHECK_FALSE(fs::exists(path));
  CHECK(fs::exists(path + ".tmp"));
  REQUIRE(writer.finish().ok());
  CHECK(fs::exists(path));
  CHECK_FALSE(fs::exists(path + ".tmp"));
  CHECK_FALSE(writer.finish().ok());  // only once
  writer.on_wire_send(0, sent[0], Instant{1});  // after finish: ignored
  CHECK(writer.packets_written() == 3);

  // The file header says LINKTYPE_RAW (101), little-endian microsecond pcap.
  const Bytes file = read_file(path);
  REQUIRE(file.size() >= 24);
  CHECK(file[0] == 0xd4);
  CHECK(file[1] == 0xc3);
  CHECK(file[2] == 0xb2);
  CHECK(file[3] == 0xa1);
  CHECK((file[20] | file[21] << 8 | file[22] << 16 | file[23] << 24) == 101);

  absl::StatusOr<PcapReadResult> back = read_pcap_packets(path);
  REQUIRE(back.ok());
  CHECK(back->link_type == 12);  // DLT_RAW as libpcap reports LINKTYPE_RAW on Linux
  CHECK(back->skipped_non_ip == 0);
  REQUIRE(back->packets.size() == sent.size());
  for (size_t i = 0; i < sent.size(); ++i) {
    CHECK(back->packets[i].at == at[i]);
    CHECK(back->packets[i].bytes == sent[i]);
    CHECK_FALSE(back->packets[i].truncated);
    CHECK(decode_packet(back->packets[i].bytes).ok());
  }

  // The in-memory reader sees the same.
  absl::StatusOr<PcapReadResult> mem = read_pcap_packets_from_memory(file);
  REQUIRE(mem.ok());
  REQUIRE(mem->packets.size() == sent.size());
  for (size_t i = 0; i < sent.size(); ++i) CHECK(mem->packets[i].bytes == sent[i]);
}

TEST_CASE("PcapWriter: received view takes only deliveries", "[pcap]") {
  TempDir dir;
  const std::string path = (dir.path / "rx.pcap").string();
  auto w = PcapWriter::open(path, PcapWriter::View::kReceived);
  REQUIRE(w.ok());
  const Bytes a = encode(packet(kA, kB, syn()));
  Bytes corrupted = a;
  corrupted[30] ^= 0x01;
  (*w)->on_wire_send(0, a, ms(0));
  (*w)->on_wire_deliver(1, corrupted, ms(10));
  REQUIRE((*w)->finish().ok());
  absl::StatusOr<PcapReadResult> back = read_pcap_packets(path);
  REQUIRE(back.ok());
  REQUIRE(back->packets.size() == 1);
  CHECK(back->packets[0].at == ms(10));
  CHECK(back->packets[0].bytes == corrupted);
}

TEST_CASE("PcapWriter: an empty run gives a valid empty capture", "[pcap]") {
  TempDir dir;
  const std::string path = (dir.path / "empty.pcap").string();
  auto w = PcapWriter::open(path, PcapWriter::View::kSent);
  REQUIRE(w.ok());
  REQUIRE((*w)->finish().ok());
  absl::StatusOr<PcapReadResult> back = read_pcap_packets(path);
  REQUIRE(back.ok());
  CHECK(back->packets.empty());
}

TEST_CASE("PcapWriter: destroyed without finish leaves no file", "[pcap]") {
  TempDir dir;
  const std::string path = (dir.path / "abandoned.pcap").string();
  {
    auto w = PcapWriter::open(path, PcapWriter::View::kSent);
    REQUIRE(w.ok());
    (*w)->on_wire_send(0, encode(packet(kA, kB, syn())), ms(1));
    CHECK(fs::exists(path + ".tmp"));
  }
  CHECK_FALSE(fs::exists(path));
  CHECK_FALSE(fs::exists(path + ".tmp"));
  CHECK(fs::is_empty(dir.path));
}

TEST_CASE("PcapWriter: cannot open names the path", "[pcap]") {
  TempDir dir;
  const std::string path = (dir.path / "no" / "such" / "dir" / "x.pcap").string();
  auto w = PcapWriter::open(path, PcapWriter::View::kSent);
  REQUIRE_FALSE(w.ok());
  CHECK_THAT(std::string(w.status().message()), Catch::Contains(path));
}

// ---------------------------------------------------------------------------
// The reader on every supported link layer, from captures built by hand.

void put16le(Bytes& b, uint32_t v) {
  b.push_back(static_cast<uint8_t>(v));
  b.push_back(static_cast<uint8_t>(v >> 8));
}
void put32le(Bytes& b, uint32_t v) {
  put16le(b, v & 0xffff);
  put16le(b, v >> 16);
}

// A microsecond pcap with `link` and one record per frame, at 1 s + i ms.
Bytes make_pcap(uint32_t link, const std::vector<Bytes>& frames) {
  Bytes b;
  put32le(b, 0xa1b2c3d4);
  put16le(b, 2);
  put16le(b, 4);
  put32le(b, 0);
  put32le(b, 0);
  put32le(b, 262144);
  put32le(b, link);
  for (size_t i = 0; i < frames.size(); ++i) {
    put32le(b, 1);
    put32le(b, static_cast<uint32_t>(i * 1000));
    put32le(b, static_cast<uint32_t>(frames[i].size()));
    put32le(b, static_cast<uint32_t>(frames[i].size()));
    b.insert(b.end(), frames[i].begin(), frames[i].end());
  }
  return b;
}

Bytes concat(Bytes head, const Bytes& tail) {
  head.insert(head.end(), tail.begin(), tail.end());
  return head;
}

Bytes ether(uint16_t ethertype) {
  Bytes h(12, 0x11);
  h.push_back(static_cast<uint8_t>(ethertype >> 8));
  h.push_back(static_cast<uint8_t>(ethertype));
  return h;
}

TEST_CASE("pcap reader: Ethernet, VLAN tags, padding and non-IP frames", "[pcap]") {
  const Bytes v4 = encode(packet(kA, kB, syn()));
  const Bytes v6 = encode(packet(kA6, kB6, syn()));
  const Bytes vlan = {0x00, 0x05, 0x86, 0xdd};      // 802.1Q tag, then IPv6
  const Bytes qinq = {0x00, 0x07, 0x81, 0x00, 0x00, 0x05, 0x08, 0x00};  // S-tag, C-tag, IPv4
  const Bytes arp(28, 0);
  const Bytes frames_in[] = {
      concat(ether(0x0800), v4),
      concat(ether(0x8100), concat(vlan, v6)),
      concat(ether(0x88a8), concat(qinq, v4)),
      concat(ether(0x0806), arp),                      // ARP: skipped
      concat(concat(ether(0x0800), v4), Bytes(6, 0)),  // padded frame: trimmed
      Bytes(10, 0),                                    // runt: skipped
      concat(ether(0x8100), Bytes{0x00}),              // tag cut short: skipped
  };
  const std::vector<Bytes> frames(std::begin(frames_in), std::end(frames_in));
  absl::StatusOr<PcapReadResult> r = read_pcap_packets_from_memory(make_pcap(1, frames));
  REQUIRE(r.ok());
  CHECK(r->link_type == 1);
  CHECK(r->skipped_non_ip == 3);
  REQUIRE(r->packets.size() == 4);
  CHECK(r->packets[0].bytes == v4);
  CHECK(r->packets[1].bytes == v6);
  CHECK(r->packets[2].bytes == v4);
  CHECK(r->packets[3].bytes == v4);
  CHECK(r->packets[0].at == Instant{1000000});
  CHECK(r->packets[3].at == Instant{1004000});
}

TEST_CASE("pcap reader: Linux cooked SLL and SLL2", "[pcap]") {
  const Bytes v4 = encode(packet(kA, kB, syn()));
  const Bytes v6 = encode(packet(kA6, kB6, syn()));
  auto sll = [](uint16_t proto) {
    Bytes h = {0x00, 0x00, 0x00, 0x01, 0x00, 0x06, 1, 2, 3, 4, 5, 6, 0, 0};
    h.push_back(static_cast<uint8_t>(proto >> 8));
    h.push_back(static_cast<uint8_t>(proto));
    return h;
  };
  auto sll2 = [](uint16_t proto) {
    Bytes h = {static_cast<uint8_t>(proto >> 8), static_cast<uint8_t>(proto), 0, 0, 0, 0, 0, 2,
               0x00, 0x01, 0x00, 0x06, 1, 2, 3, 4, 5, 6, 0, 0};
    return h;
  };
  absl::StatusOr<PcapReadResult> r = read_pcap_packets_from_memory(make_pcap(
      113, {concat(sll(0x0800), v4), concat(sll(0x86dd), v6), concat(sll(0x0806), Bytes(28))}));
  REQUIRE(r.ok());
  CHECK(r->link_type == 113);
  CHECK(r->skipped_non_ip == 1);
  REQUIRE(r->packets.size() == 2);
  CHECK(r->packets[0].bytes == v4);
  CHECK(r->packets[1].bytes == v6);

  r = read_pcap_packets_from_memory(
      make_pcap(276, {concat(sll2(0x86dd), v6), concat(sll2(0x0800), v4), sll2(0x0800)}));
  REQUIRE(r.ok());
  CHECK(r->link_type == 276);
  REQUIRE(r->packets.size() == 3);
  CHECK(r->packets[0].bytes == v6);
  CHECK(r->packets[1].bytes == v4);
  CHECK(r->packets[2].bytes.empty());  // header only: kept, empty (the decoder judges it)
}

TEST_CASE("pcap reader: BSD NULL and LOOP in either byte order", "[pcap]") {
  const Bytes v4 = encode(packet(kA, kB, syn()));
  const Bytes v6 = encode(packet(kA6, kB6, syn()));
  const Bytes le2 = {2, 0, 0, 0}, be2 = {0, 0, 0, 2};
  const Bytes le30 = {30, 0, 0, 0}, be24 = {0, 0, 0, 24}, le28 = {28, 0, 0, 0}, be10 = {0, 0, 0, 10};
  const Bytes other = {7, 0, 0, 0};
  for (uint32_t link : {0u, 108u}) {
    absl::StatusOr<PcapReadResult> r = read_pcap_packets_from_memory(make_pcap(
        link, {concat(le2, v4), concat(be2, v4), concat(le30, v6), concat(be24, v6),
               concat(le28, v6), concat(be10, v6), concat(other, v4), Bytes{2, 0}}));
    REQUIRE(r.ok());
    CHECK(r->link_type == static_cast<int>(link));
    CHECK(r->skipped_non_ip == 2);
    REQUIRE(r->packets.size() == 6);
    CHECK(r->packets[0].bytes == v4);
    CHECK(r->packets[1].bytes == v4);
    for (int i = 2; i < 6; ++i) CHECK(r->packets[i].bytes == v6);
  }
}

TEST_CASE("pcap reader: raw IP link types and unsupported ones", "[pcap]") {
  const Bytes v4 = encode(packet(kA, kB, syn()));
  const Bytes v6 = encode(packet(kA6, kB6, syn()));
  for (uint32_t link : {101u, 228u, 229u}) {
    absl::StatusOr<PcapReadResult> r =
        read_pcap_packets_from_memory(make_pcap(link, {v4, v6, Bytes{0x00, 0x01}}));
    REQUIRE(r.ok());
    CHECK(r->skipped_non_ip == 1);  // version 0: not IP
    REQUIRE(r->packets.size() == 2);
    CHECK(r->packets[0].bytes == v4);
    CHECK(r->packets[1].bytes == v6);
  }
  // 802.11 (105): every record skipped, none misread.
  absl::StatusOr<PcapReadResult> r = read_pcap_packets_from_memory(make_pcap(105, {v4, v6}));
  REQUIRE(r.ok());
  CHECK(r->link_type == 105);
  CHECK(r->packets.empty());
  CHECK(r->skipped_non_ip == 2);
}

TEST_CASE("pcap reader: snaplen truncation is flagged", "[pcap]") {
  const Bytes v4 = encode(packet(kA, kB, syn()));
  Bytes b = make_pcap(101, {Bytes(v4.begin(), v4.begin() + 30)});
  // Record header at 24: set len (orig) to the full size.
  const uint32_t full = static_cast<uint32_t>(v4.size());
  for (int i = 0; i < 4; ++i) b[24 + 12 + i] = static_cast<uint8_t>(full >> (8 * i));
  absl::StatusOr<PcapReadResult> r = read_pcap_packets_from_memory(b);
  REQUIRE(r.ok());
  REQUIRE(r->packets.size() == 1);
  CHECK(r->packets[0].truncated);
  CHECK(r->packets[0].bytes.size() == 30);
  CHECK_FALSE(decode_packet(r->packets[0].bytes).ok());
}

TEST_CASE("pcap reader: errors name the file and say why", "[pcap]") {
  TempDir dir;
  const std::string missing = (dir.path / "missing.pcap").string();
  absl::StatusOr<PcapReadResult> r = read_pcap_packets(missing);
  REQUIRE_FALSE(r.ok());
  CHECK_THAT(std::string(r.status().message()), Catch::Contains(missing));
  CHECK_THAT(std::string(r.status().message()), Catch::Contains("No such file"));

  const std::string garbage = (dir.path / "garbage.pcap").string();
  std::ofstream(garbage, std::ios::binary) << "this is not a capture file at all";
  r = read_pcap_packets(garbage);
  REQUIRE_FALSE(r.ok());
  CHECK_THAT(std::string(r.status().message()), Catch::Contains(garbage));

  CHECK_FALSE(read_pcap_packets_from_memory({}).ok());
  const Bytes junk(100, 0x42);
  r = read_pcap_packets_from_memory(junk);
  REQUIRE_FALSE(r.ok());
  CHECK_THAT(std::string(r.status().message()), Catch::Contains("<memory>"));

  // A record cut off by the end of the file.
  Bytes cut = make_pcap(101, {encode(packet(kA, kB, syn()))});
  cut.resize(cut.size() - 5);
  r = read_pcap_packets_from_memory(cut);
  REQUIRE_FALSE(r.ok());
  CHECK_THAT(std::string(r.status().message()), Catch::Contains("record 0"));
  CHECK_THAT(std::string(r.status().message()), Catch::Contains("truncated"));
}

TEST_CASE("pcap reader: never crashes on mangled captures", "[pcap]") {
  // Every prefix and every single-byte change of a small valid capture: the
  // reader returns (ok or an error), and never reads outside the buffer (the
  // sanitizer build checks that).
  const Bytes good = make_pcap(1, {concat(ether(0x0800), encode(packet(kA, kB, syn()))),
                                   concat(ether(0x8100), Bytes{0, 1, 0x86, 0xdd})});
  for (size_t n = 0; n <= good.size(); ++n) {
    (void)read_pcap_packets_from_memory(std::span<const uint8_t>(good).first(n));
  }
  for (size_t i = 0; i < good.size(); ++i) {
    Bytes m = good;
    m[i] ^= 0xff;
    (void)read_pcap_packets_from_memory(m);
  }
  SUCCEED();
}

// ---------------------------------------------------------------------------
// Real captures (copies under tests/data/pcaps/, see its README.md).

std::string data_file(const char* name) {
  return std::string(SYNFIN_SOURCE_DIR) + "/tests/data/pcaps/" + name;
}

TEST_CASE("pcap reader: real Ethernet capture (tcpdump dns_tcp)", "[pcap]") {
  absl::StatusOr<PcapReadResult> r = read_pcap_packets(data_file("tcpdump__dns_tcp.pcap"));
  REQUIRE(r.ok());
  CHECK(r->link_type == 1);
  CHECK(r->skipped_non_ip == 0);
  REQUIRE(r->packets.size() == 11);
  CHECK(r->packets[0].at == Instant{1591780863720289});
  CHECK(r->packets[10].at == Instant{1591780864101256});
  // Frame 1 is a 60-byte minimum Ethernet frame around a 44-byte IP packet.
  CHECK(r->packets[1].bytes.size() == 44);
  std::vector<IpPacket> decoded;
  for (const CapturedPacket& p : r->packets) {
    CHECK_FALSE(p.truncated);
    absl::StatusOr<IpPacket> d = decode_packet(p.bytes);
    REQUIRE(d.ok());
    decoded.push_back(*d);
  }
  // The handshake: SYN with options, SYN-ACK, ACK; the client's FIN in frame 7.
  CHECK(decoded[0].tcp.flags == kSyn);
  CHECK(decoded[0].tcp.src_port == 33779);
  CHECK(decoded[0].tcp.dst_port == 53);
  CHECK(decoded[0].tcp.seq == SeqNum(603899916));
  CHECK(decoded[0].tcp.options.mss.has_value());
  CHECK(decoded[0].tcp.options.sack_permitted);
  CHECK(decoded[0].tcp.options.timestamps.has_value());
  CHECK(decoded[0].tcp.options.window_scale.has_value());
  CHECK(decoded[1].tcp.flags == (kSyn | kAck));
  CHECK(decoded[1].tcp.ack == SeqNum(603899917));
  CHECK(decoded[2].tcp.flags == kAck);
  CHECK(decoded[7].tcp.flags == (kFin | kAck));
  CHECK(decoded[9].tcp.flags == (kFin | kAck | kPsh));
}

TEST_CASE("pcap reader: real nanosecond SLL capture (tcpdump tcp-handshake-nano)", "[pcap]") {
  absl::StatusOr<PcapReadResult> r =
      read_pcap_packets(data_file("tcpdump__tcp-handshake-nano.pcap"));
  REQUIRE(r.ok());
  CHECK(r->link_type == 113);
  REQUIRE(r->packets.size() == 3);
  // Nanoseconds truncated to microseconds.
  CHECK(r->packets[0].at == Instant{1418145369924505});
  CHECK(r->packets[1].at == Instant{1418145370052027});
  CHECK(r->packets[2].at == Instant{1418145370052115});
  const Flags want[] = {kSyn, kSyn | kAck, kAck};
  for (int i = 0; i < 3; ++i) {
    absl::StatusOr<IpPacket> d = decode_packet(r->packets[i].bytes);
    REQUIRE(d.ok());
    CHECK(d->tcp.flags == want[i]);
  }
}

}  // namespace
}  // namespace synfin::harness
