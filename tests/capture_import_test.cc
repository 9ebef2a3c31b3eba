// Tests for the capture importer behind `synfin pcap2corpus`: flows and roles
// per capture (as tests/data/pcaps/README.md and the shared captures' README
// describe them), packet judging (offload checksums, snapshot cuts, capture
// duplicates, PPPoE), incarnations, the scenarios built from flows (replayed with
// every oracle on, as `synfin run` does), bad captures, the libpcap-free
// savefile walker against libpcap, and corpus file writing.
#include <catch2/catch.hpp>

#include <unistd.h>

#include <algorithm>
#include <cstdint>
#include <filesystem>
#include <fstream>
#include <iterator>
#include <optional>
#include <regex>
#include <string>
#include <vector>

#include "harness/capture_analysis.h"
#include "harness/capture_import.h"
#include "harness/capture_scenarios.h"
#include "harness/checked_run.h"
#include "harness/corpus_files.h"
#include "harness/pcap_import.h"
#include "harness/savefile_walker.h"
#include "harness/scenario_binary.h"
#include "harness/scenario_text.h"
#include "stack/codec.h"

#ifndef SYNFIN_SOURCE_DIR
#error "tests/CMakeLists.txt must define SYNFIN_SOURCE_DIR"
#endif

namespace synfin::harness {
namespace {

namespace fs = std::filesystem;
using Bytes = std::vector<uint8_t>;

std::string data_file(const std::string& name) {
  return std::string(SYNFIN_SOURCE_DIR) + "/tests/data/pcaps/" + name;
}

CaptureImport imported(const std::string& name) {
  absl::StatusOr<CaptureImport> r = import_capture(data_file(name));
  INFO(name << ": " << r.status());
  REQUIRE(r.ok());
  return *std::move(r);
}

std::string endpoint(const IpAddr& a, uint16_t port) {
  return a.to_string() + ":" + std::to_string(port);
}

// A scratch directory for this process, removed at the end of the test.
struct TempDir {
  fs::path path;
  TempDir() {
    path = fs::temp_directory_path() / ("synfin_capture_import_test_" + std::to_string(::getpid()));
    fs::remove_all(path);
    fs::create_directories(path);
  }
  ~TempDir() {
    std::error_code ec;
    fs::remove_all(path, ec);
  }
};

Bytes read_bytes(const std::string& path) {
  std::ifstream in(path, std::ios::binary);
  return Bytes((std::istreambuf_iterator<char>(in)), std::istreambuf_iterator<char>());
}

void write_bytes(const std::string& path, const Bytes& b) {
  std::ofstream(path, std::ios::binary).write(reinterpret_cast<const char*>(b.data()),
                                              static_cast<std::streamsize>(b.size()));
}

// ---------------------------------------------------------------------------
// Flows and roles.

struct ExpectedFlows {
  const char* file;
  size_t flows;
  const char* client;  // the first flow's client, "addr:port"
  uint16_t server_port;
  RoleEvidence roles;
};

TEST_CASE("capture import: flows and roles as the captures show them", "[capture]") {
  const ExpectedFlows cases[] = {
      // The smallest happy path: 3WHS, DNS query and answer, 4-way close.
      {"tcpdump__dns_tcp.pcap", 1, "192.168.1.11:33779", 53, RoleEvidence::kSyn},
      // Nanosecond pcap on Linux SLL, handshake only.
      {"tcpdump__tcp-handshake-nano.pcap", 1, nullptr, 0, RoleEvidence::kSyn},
      // Three concurrent HTTP connections.
      {"pcapplusplus__three_http_streams.pcap", 3, "172.16.133.132:54615", 80, RoleEvidence::kSyn},
      // Connection refused: the SYN's sender is the client.
      {"pcapplusplus__one_tcp_rst.pcap", 1, "10.1.1.13:45264", 20000, RoleEvidence::kSyn},
      // QinQ VLAN tags and a PPPoE session around IPv4.
      {"pcapplusplus__one_http_stream_rst.pcap", 1, "10.3.65.35:5068", 80, RoleEvidence::kSyn},
      {"pcapplusplus__one_http_stream_fin.pcap", 1, "192.168.1.2:49486", 80, RoleEvidence::kSyn},
      // Raw IP link type, IPv6.
      {"pcapplusplus__one_ipv6_http_stream.pcap", 1, "2001:618:400::5199:cc70:35997", 80,
       RoleEvidence::kSyn},
      // The capture starts at the SYN-ACK: its receiver is the client.
      {"zeek__tcp__missing-syn.pcap", 1, "141.42.64.125:56730", 80, RoleEvidence::kSynAck},
      // The SYN-ACK is captured before the SYN; the SYN still decides.
      {"zeek__tcp__handshake-reorder.pcap", 1, "141.142.228.5:59856", 80, RoleEvidence::kSyn},
      // SYN, then a RST from the same side.
      {"zeek__tcp__syn-then-rst.pcap", 1, "1.1.1.1:13131", 31313, RoleEvidence::kSyn},
      // pcapng, mid-stream with no handshake: the first packet's sender.
      {"zeek__tcp__retransmit-timeout.pcapng", 1, "10.0.0.1:51889", 80,
       RoleEvidence::kFirstPacket},
      // The SYN's options are cut by the snapshot length; its fixed header decides.
      {"zeek__tcp__truncated-header.pcap", 1, "201.186.157.67:60827", 25, RoleEvidence::kSyn},
      // SYN not captured, SYN-ACK (captured twice) is.
      {"zeek__tcp__ctu-64702-888.pcap", 1, "192.168.1.108:64702", 888, RoleEvidence::kSynAck},
      {"zeek__http__get-gzip.pcap", 1, "141.142.228.5:50153", 80, RoleEvidence::kSyn},
      {"zeek__chksums__ip6-tcp-bad-chksum.pcap", 1, nullptr, 0, RoleEvidence::kSyn},
  };
  for (const ExpectedFlows& c : cases) {
    INFO(c.file);
    const CaptureImport imp = imported(c.file);
    REQUIRE(imp.flows.flows.size() == c.flows);
    for (const Flow& f : imp.flows.flows) {
      CHECK(f.roles == c.roles);
      if (c.server_port) CHECK(f.tuple.remote_port == c.server_port);
    }
    const Flow& first = imp.flows.flows.front();
    if (c.client) CHECK(endpoint(first.tuple.local_addr, first.tuple.local_port) == c.client);
    // Every segment's direction agrees with the roles.
    for (const FlowSegment& s : first.segments) {
      CHECK(s.packet.src == (s.from_client ? first.tuple.local_addr : first.tuple.remote_addr));
    }
  }
}

TEST_CASE("capture import: every shared capture has the flows its README lists", "[capture]") {
  // The seed captures beside the repository (../shared/pcaps), when present:
  // their README's "TCP flows" column, counted with tshark's conversation table.
  const fs::path dir = fs::path(SYNFIN_SOURCE_DIR).parent_path() / "shared" / "pcaps";
  std::ifstream readme(dir / "README.md");
  if (!readme) {
    WARN("no " << (dir / "README.md").string() << "; skipping");
    return;
  }
  const std::regex row(R"(^\| ([a-z0-9_.+-]+\.pcap(ng)?) \|[^|]*\|[^|]*\| *([0-9]+) *\|)");
  int checked = 0;
  for (std::string line; std::getline(readme, line);) {
    std::smatch m;
    if (!std::regex_search(line, m, row)) continue;
    INFO(m[1].str());
    absl::StatusOr<CaptureImport> imp = import_capture((dir / m[1].str()).string());
    REQUIRE(imp.ok());
    CHECK(imp->flows.flows.size() == std::stoul(m[3].str()));
    ++checked;
  }
  CHECK(checked >= 40);
}

TEST_CASE("capture import: packets are judged as an importer of real traffic must", "[capture]") {
  SECTION("a checksum left wrong by offload is recomputed and counted") {
    const CaptureImport imp = imported("zeek__chksums__ip6-tcp-bad-chksum.pcap");
    CHECK(imp.flows.stats.checksums_fixed == 1);
    CHECK(imp.flows.stats.segments == 1);
  }
  SECTION("snapshot-length cuts keep the stated length; cut options are dropped") {
    const CaptureImport imp = imported("zeek__tcp__truncated-header.pcap");
    CHECK(imp.flows.stats.skipped_total() == 0);
    CHECK(imp.flows.stats.segments == 24);
    CHECK(imp.flows.stats.cut_salvaged > 0);
    const Flow& f = imp.flows.flows.at(0);
    const Segment& syn = f.segments.at(0).packet.tcp;
    CHECK(syn.flags.syn());
    CHECK(syn.options.empty());  // its options were cut off
    // Record 3 is a 84-byte SMTP greeting of which the capture kept none.
    CHECK(f.segments.at(3).packet.tcp.payload.size() == 84);
  }
  SECTION("a packet captured twice at the same instant counts once") {
    const CaptureImport imp = imported("zeek__tcp__ctu-64702-888.pcap");
    CHECK(imp.flows.stats.records == 16);
    CHECK(imp.flows.stats.skipped[static_cast<int>(SkipReason::kDuplicate)] == 6);
    CHECK(imp.flows.stats.segments == 10);
  }
  SECTION("non-IP frames are counted, not used") {
    // Linux cooked capture of IPv4 with nothing else in it.
    const CaptureImport imp = imported("tcpdump__tcp-handshake-nano.pcap");
    CHECK(imp.flows.stats.records == 3);
    CHECK(imp.flows.stats.segments == 3);
    CHECK(imp.flows.stats.skipped_total() == 0);
  }
}

// ---------------------------------------------------------------------------
// Hand-built flows.

const IpAddr kA = IpAddr::v4(192, 0, 2, 1);
const IpAddr kB = IpAddr::v4(198, 51, 100, 7);

CapturedPacket captured(const IpAddr& src, const IpAddr& dst, uint16_t sport, uint16_t dport,
                        Flags flags, uint32_t seq, uint32_t ack, size_t payload, int64_t at_ms,
                        uint64_t record) {
  IpPacket p;
  p.src = src;
  p.dst = dst;
  p.tcp.src_port = sport;
  p.tcp.dst_port = dport;
  p.tcp.flags = flags;
  p.tcp.seq = SeqNum(seq);
  p.tcp.ack = SeqNum(ack);
  p.tcp.window = 65535;
  p.tcp.payload.assign(payload, 0x61);
  absl::StatusOr<Bytes> bytes = encode_packet(p);
  REQUIRE(bytes.ok());
  CapturedPacket c;
  c.at = Instant::from_millis(1000 + at_ms);
  c.bytes = *bytes;
  c.record = record;
  return c;
}

// One whole connection from kA:port to kB:80 with `isn`, starting at `t0` ms.
void add_connection(std::vector<CapturedPacket>& out, uint16_t port, uint32_t isn, uint32_t sisn,
                    int64_t t0) {
  uint64_t r = out.size();
  out.push_back(captured(kA, kB, port, 80, kSyn, isn, 0, 0, t0, r++));
  out.push_back(captured(kB, kA, 80, port, kSyn | kAck, sisn, isn + 1, 0, t0 + 10, r++));
  out.push_back(captured(kA, kB, port, 80, kAck, isn + 1, sisn + 1, 0, t0 + 20, r++));
  out.push_back(captured(kA, kB, port, 80, kFin | kAck, isn + 1, sisn + 1, 0, t0 + 30, r++));
  out.push_back(captured(kB, kA, 80, port, kFin | kAck, sisn + 1, isn + 2, 0, t0 + 40, r++));
  out.push_back(captured(kA, kB, port, 80, kAck, isn + 2, sisn + 2, 0, t0 + 50, r++));
}

TEST_CASE("capture import: a new SYN after the end of a flow starts a new incarnation",
          "[capture]") {
  std::vector<CapturedPacket> packets;
  add_connection(packets, 40000, 1000, 5000, 0);
  // The same 4-tuple again with a new ISN: port reuse, a second flow.
  add_connection(packets, 40000, 900000, 7000, 100);
  // A SYN retransmitted after a RST keeps its flow: same ISN.
  uint64_t r = packets.size();
  packets.push_back(captured(kA, kB, 40001, 80, kSyn, 42, 0, 0, 300, r++));
  packets.push_back(captured(kB, kA, 80, 40001, kRst | kAck, 0, 43, 0, 301, r++));
  packets.push_back(captured(kA, kB, 40001, 80, kSyn, 42, 0, 0, 1300, r++));
  const CaptureFlows flows = split_capture(packets, packets.size(), 0);
  REQUIRE(flows.flows.size() == 3);
  CHECK(flows.flows[0].segments.size() == 6);
  CHECK(flows.flows[1].segments.size() == 6);
  CHECK(flows.flows[1].segments.front().packet.tcp.seq == SeqNum(900000));
  CHECK(flows.flows[2].segments.size() == 3);
  CHECK(flows.stats.segments == packets.size());
}

TEST_CASE("capture import: a capture that starts mid-flow gets a made-up handshake",
          "[capture]") {
  // Data both ways with no handshake, then a 4-way close.
  std::vector<CapturedPacket> packets;
  uint64_t r = 0;
  packets.push_back(captured(kA, kB, 40000, 80, kAck | kPsh, 7001, 9001, 100, 0, r++));
  packets.push_back(captured(kB, kA, 80, 40000, kAck | kPsh, 9001, 7101, 300, 5, r++));
  packets.push_back(captured(kA, kB, 40000, 80, kFin | kAck, 7101, 9301, 0, 10, r++));
  packets.push_back(captured(kB, kA, 80, 40000, kAck, 9301, 7102, 0, 15, r++));
  packets.push_back(captured(kB, kA, 80, 40000, kFin | kAck, 9301, 7102, 0, 20, r++));
  packets.push_back(captured(kA, kB, 40000, 80, kAck, 7102, 9302, 0, 25, r++));
  const CaptureFlows flows = split_capture(packets, packets.size(), 0);
  REQUIRE(flows.flows.size() == 1);
  const Flow& f = flows.flows[0];
  CHECK(f.roles == RoleEvidence::kFirstPacket);
  const FlowAnalysis a = analyze_flow(f);
  CHECK(a.stream[0].isn == 7000);  // one before the first byte seen
  CHECK(a.stream[1].isn == 9000);
  CHECK(a.segments[0].new_bytes == 100);
  CHECK(a.segments[1].new_bytes == 300);

  const Scenario s = endpoint_scenario(f, a);
  CHECK(s.header.peer_isn == 7000);
  // listen, then a SYN and an ACK made up at the start, then the accept.
  REQUIRE(s.ops.size() >= 4);
  CHECK(s.ops[0].kind == OpKind::kListen);
  CHECK(s.ops[1].kind == OpKind::kInject);
  CHECK(s.ops[1].segment.flags == kSyn);
  CHECK(s.ops[2].kind == OpKind::kInject);
  CHECK(s.ops[2].segment.flags == kAck);
  CHECK(s.ops[3].kind == OpKind::kAccept);
  const CheckedRunResult run = run_checked(s, {});
  CHECK(run.clean());
}

TEST_CASE("capture import: peer segments past the MSS are split", "[capture]") {
  // An offloaded capture: one 4000-byte segment (TSO) after the handshake.
  std::vector<CapturedPacket> packets;
  uint64_t r = 0;
  packets.push_back(captured(kA, kB, 40000, 80, kSyn, 100, 0, 0, 0, r++));
  packets.push_back(captured(kB, kA, 80, 40000, kSyn | kAck, 500, 101, 0, 1, r++));
  packets.push_back(captured(kA, kB, 40000, 80, kAck, 101, 501, 0, 2, r++));
  packets.push_back(captured(kA, kB, 40000, 80, kAck | kPsh | kFin, 101, 501, 4000, 3, r++));
  const CaptureFlows flows = split_capture(packets, packets.size(), 0);
  REQUIRE(flows.flows.size() == 1);
  const Scenario s = convert_flow(flows.flows[0]).endpoint;
  std::vector<const InjectedSegment*> data;
  for (const Op& op : s.ops) {
    if (op.kind == OpKind::kInject && op.segment.payload_len > 0) data.push_back(&op.segment);
  }
  REQUIRE(data.size() == 3);  // 1460 + 1460 + 1080
  CHECK(data[0]->payload_len == 1460);
  CHECK(data[1]->seq == data[0]->seq + 1460);
  CHECK(data[2]->payload_len == 1080);
  CHECK_FALSE(data[0]->flags.fin());
  CHECK(data[2]->flags.fin());
  CHECK(data[2]->flags.psh());
  CHECK(run_checked(s, {}).clean());
}

// ---------------------------------------------------------------------------
// Scenarios from real captures, replayed as `synfin run` does.

// The states host 0's first accepted (or connected) connection went through.
class PathRecorder final : public RunObserver {
 public:
  void on_transition(int host, ConnId id, State from, State to, Cause, Instant) override {
    if (host != 0) return;
    if (from == State::kClosed && to == State::kListen) listeners_.push_back(id);
    if (std::find(listeners_.begin(), listeners_.end(), id) != listeners_.end()) return;
    if (!conn_) conn_ = id;
    if (id == *conn_) path_.push_back(to);
  }
  const std::vector<State>& path() const { return path_; }

 private:
  std::vector<ConnId> listeners_;
  std::optional<ConnId> conn_;
  std::vector<State> path_;
};

using S = State;

struct ExpectedPath {
  const char* file;
  size_t flow;
  std::vector<State> path;
};

TEST_CASE("capture import: endpoint scenarios replay the capture's handshake and close",
          "[capture]") {
  const std::vector<State> passive_close = {S::kSynReceived, S::kEstablished, S::kCloseWait,
                                            S::kLastAck, S::kClosed};
  const std::vector<State> three_way = {S::kSynReceived, S::kEstablished, S::kFinWait1,
                                        S::kTimeWait, S::kClosed};
  const ExpectedPath cases[] = {
      // The client closes first, the server (synfin) follows: 4-way close.
      {"tcpdump__dns_tcp.pcap", 0, passive_close},
      // The server closes with its response; the client's FIN acknowledges it.
      {"pcapplusplus__three_http_streams.pcap", 0, three_way},
      {"pcapplusplus__three_http_streams.pcap", 1, three_way},
      {"pcapplusplus__three_http_streams.pcap", 2, three_way},
      // The server closes first, the client's ACK and FIN come apart: 4-way close.
      {"pcapplusplus__one_http_stream_fin.pcap", 0,
       {S::kSynReceived, S::kEstablished, S::kFinWait1, S::kFinWait2, S::kTimeWait, S::kClosed}},
      // The FINs cross: simultaneous close through CLOSING.
      {"zeek__http__get-gzip.pcap", 0,
       {S::kSynReceived, S::kEstablished, S::kFinWait1, S::kClosing, S::kTimeWait, S::kClosed}},
      // The SYN-ACK was captured first; the handshake still happens in order.
      {"zeek__tcp__handshake-reorder.pcap", 0, passive_close},
      // No SYN in the capture: made up, the capture's own ACK completes it.
      {"zeek__tcp__missing-syn.pcap", 0, passive_close},
      // The SYN's options were cut by the snapshot length.
      {"zeek__tcp__truncated-header.pcap", 0, three_way},
      // The server's FIN is acknowledged, then the client resets the connection.
      {"pcapplusplus__one_http_stream_rst.pcap", 0,
       {S::kSynReceived, S::kEstablished, S::kFinWait1, S::kFinWait2, S::kClosed}},
  };
  for (const ExpectedPath& c : cases) {
    INFO(c.file << " flow " << c.flow);
    const CaptureImport imp = imported(c.file);
    REQUIRE(imp.flows.flows.size() > c.flow);
    const Scenario s = convert_flow(imp.flows.flows[c.flow]).endpoint;
    // Through the binary encoding, as a corpus file would be run.
    const Scenario loaded = scenario_for_target(Target::kAsIs, encode_scenario(s));
    PathRecorder rec;
    CheckedRunOptions options;
    options.observers.push_back(&rec);
    const CheckedRunResult r = run_checked(loaded, options);
    for (const Violation& v : r.violations) FAIL_CHECK(v.to_string());
    CHECK(r.run.expectations_ok);
    CHECK(rec.path() == c.path);
  }
}

TEST_CASE("capture import: a refused connection stays refused", "[capture]") {
  // The server answered the SYN with a RST: no listener, so synfin refuses too.
  const CaptureImport imp = imported("pcapplusplus__one_tcp_rst.pcap");
  const Scenario s = convert_flow(imp.flows.flows.at(0)).endpoint;
  for (const Op& op : s.ops) CHECK(op.kind != OpKind::kListen);
  PathRecorder rec;
  CheckedRunOptions options;
  options.observers.push_back(&rec);
  const CheckedRunResult r = run_checked(s, options);
  CHECK(r.clean());
  CHECK(rec.path().empty());
}

TEST_CASE("capture import: connection scenarios carry the faults the capture shows",
          "[capture]") {
  // get-gzip: the client's FIN is sent again, so its first copy is dropped.
  const CaptureImport imp = imported("zeek__http__get-gzip.pcap");
  const Flow& f = imp.flows.flows.at(0);
  const FlowAnalysis a = analyze_flow(f);
  const Scenario s = connection_scenario(f, a);
  CHECK(s.header.mode == Mode::kConnection);
  REQUIRE(a.rtt.has_value());
  CHECK(s.header.links[0].delay.us == a.rtt->us / 2);
  int drops = 0;
  for (size_t i = 0; i < s.ops.size(); ++i) {
    if (s.ops[i].kind != OpKind::kFault) continue;
    CHECK(s.ops[i].fault == FaultKind::kDrop);
    CHECK(s.ops[i].host == 0);  // the client's direction
    // Scripted just before the client's shutdown, which sends that FIN.
    REQUIRE(i + 1 < s.ops.size());
    CHECK(s.ops[i + 1].kind == OpKind::kShutdown);
    ++drops;
  }
  CHECK(drops == 1);
  CHECK(run_checked(s, {}).clean());
}

TEST_CASE("capture import: every committed capture converts to clean, printable scenarios",
          "[capture]") {
  for (const auto& entry : fs::directory_iterator(std::string(SYNFIN_SOURCE_DIR) + "/tests/data/pcaps")) {
    const std::string name = entry.path().filename().string();
    if (name == "README.md") continue;
    INFO(name);
    const CaptureImport imp = imported(name);
    for (const Flow& f : imp.flows.flows) {
      const FlowScenarios sc = convert_flow(f);
      for (const Scenario* s : {&sc.endpoint, &sc.connection}) {
        CHECK(check_text_representable(*s).ok());
        absl::StatusOr<Scenario> back = parse_scenario_text(print_scenario_text(*s));
        REQUIRE(back.ok());
        CHECK(*back == *s);
        const CheckedRunResult r = run_checked(*s, {});
        for (const Violation& v : r.violations) FAIL_CHECK(v.to_string());
        CHECK(r.run.expectations_ok);
        CHECK_FALSE(r.run.hit_limit);
      }
    }
  }
}

TEST_CASE("capture import: long scenarios are cut at an op boundary", "[capture]") {
  const CaptureImport imp = imported("zeek__tcp__missing-syn.pcap");
  const Scenario s = convert_flow(imp.flows.flows.at(0)).endpoint;
  const Bytes whole = encode_scenario(s);
  REQUIRE(whole.size() > 256);
  const Bytes cut = encode_within(s, 256);
  CHECK(cut.size() <= 256);
  CHECK(std::equal(cut.begin(), cut.end(), whole.begin()));
  const Scenario shorter = decode_scenario(cut);
  CHECK(shorter.header == s.header);
  REQUIRE(shorter.ops.size() < s.ops.size());
  CHECK(std::equal(shorter.ops.begin(), shorter.ops.end(), s.ops.begin()));
  CHECK(encode_scenario(shorter) == cut);
  CHECK(encode_within(s, 0) == whole);
}

// ---------------------------------------------------------------------------
// Bad captures.

// A microsecond pcap, LINKTYPE_RAW, one 40-byte IPv4+TCP record per entry.
Bytes small_pcap(int records) {
  Bytes b = {0xd4, 0xc3, 0xb2, 0xa1, 2, 0, 4, 0, 0, 0, 0, 0, 0, 0, 0, 0,
             0xff, 0xff, 0, 0, 101, 0, 0, 0};
  const Bytes packet =
      captured(kA, kB, 40000, 80, kSyn, 1, 0, 0, 0, 0).bytes;  // 40 bytes
  for (int i = 0; i < records; ++i) {
    const Bytes header = {1, 0, 0, 0, 0, 0, 0, 0, 40, 0, 0, 0, 40, 0, 0, 0};
    b.insert(b.end(), header.begin(), header.end());
    b.insert(b.end(), packet.begin(), packet.end());
  }
  return b;
}

void set32(Bytes& b, size_t at, uint32_t v) {
  for (int i = 0; i < 4; ++i) b[at + i] = static_cast<uint8_t>(v >> (8 * i));
}

struct BadCapture {
  const char* what;
  Bytes bytes;
  const char* message;  // a part of the error
};

std::vector<BadCapture> bad_captures() {
  // Records start at bytes 24 and 80; the second record is the damaged one.
  std::vector<BadCapture> out;
  Bytes cut_header = small_pcap(2);
  cut_header.resize(80 + 7);
  out.push_back({"record header cut off", cut_header, "record 1 at byte offset 80: truncated"});
  Bytes cut_data = small_pcap(2);
  cut_data.resize(80 + 16 + 14);
  out.push_back({"record data cut off", cut_data, "record 1 at byte offset 80: truncated"});
  Bytes absurd = small_pcap(2);
  set32(absurd, 80 + 8, 0xfffffff0);
  out.push_back({"absurd captured length", absurd, "record 1 at byte offset 80: "});
  Bytes longer = small_pcap(2);
  set32(longer, 80 + 12, 10);
  out.push_back({"captured length above the original", longer,
                 "record 1 at byte offset 80: captured length 40 exceeds the packet's original "
                 "length 10"});
  return out;
}

TEST_CASE("capture import: bad captures give errors with record number and byte offset",
          "[capture]") {
  TempDir dir;
  SECTION("not a capture file") {
    const std::string path = (dir.path / "garbage.pcap").string();
    write_bytes(path, Bytes(100, 0x42));
    absl::StatusOr<CaptureImport> r = import_capture(path);
    REQUIRE_FALSE(r.ok());
    CHECK_THAT(std::string(r.status().message()),
               Catch::Contains(path) && Catch::Contains("file header at byte offset 0") &&
                   Catch::Contains("unknown file format"));
    CHECK_FALSE(walk_savefile(Bytes(100, 0x42)).ok());
  }
  SECTION("damaged records fail, or with keep_going keep what came before") {
    for (const BadCapture& c : bad_captures()) {
      INFO(c.what);
      const std::string path = (dir.path / "bad.pcap").string();
      write_bytes(path, c.bytes);
      absl::StatusOr<CaptureImport> r = import_capture(path);
      REQUIRE_FALSE(r.ok());
      CHECK(r.status().code() == absl::StatusCode::kDataLoss);
      CHECK_THAT(std::string(r.status().message()), Catch::Contains(path) && Catch::Contains(c.message));

      absl::StatusOr<CaptureImport> kept = import_capture(path, PcapReadOptions{.keep_going = true});
      REQUIRE(kept.ok());
      CHECK_THAT(std::string(kept->damage.message()), Catch::Contains(c.message));
      CHECK(kept->flows.stats.records == 1);
      CHECK(kept->flows.flows.size() == 1);
      CHECK(kept->bytes == 80);

      // The fuzz target's walker reports the same damage at the same place.
      absl::StatusOr<SavefileRecords> w = walk_savefile(c.bytes);
      REQUIRE(w.ok());
      CHECK_THAT(std::string(w->damage.message()), Catch::Contains("record 1 at byte offset 80"));
      CHECK(w->records == 1);
    }
  }
}

TEST_CASE("savefile walker reads the committed pcaps as libpcap does", "[capture]") {
  for (const auto& entry : fs::directory_iterator(std::string(SYNFIN_SOURCE_DIR) + "/tests/data/pcaps")) {
    if (entry.path().extension() != ".pcap") continue;
    INFO(entry.path().filename().string());
    absl::StatusOr<PcapReadResult> lib = read_pcap_packets(entry.path().string());
    REQUIRE(lib.ok());
    absl::StatusOr<SavefileRecords> walked = walk_savefile(read_bytes(entry.path().string()));
    REQUIRE(walked.ok());
    CHECK(walked->damage.ok());
    CHECK(walked->records == lib->records);
    CHECK(walked->non_ip == lib->skipped_non_ip);
    REQUIRE(walked->packets.size() == lib->packets.size());
    for (size_t i = 0; i < lib->packets.size(); ++i) {
      CHECK(walked->packets[i].at == lib->packets[i].at);
      CHECK(walked->packets[i].bytes == lib->packets[i].bytes);
      CHECK(walked->packets[i].truncated == lib->packets[i].truncated);
      CHECK(walked->packets[i].record == lib->packets[i].record);
    }
  }
}

// ---------------------------------------------------------------------------
// Corpus files.

TEST_CASE("corpus files: named by content, written once, never half-written", "[capture]") {
  TempDir dir;
  const std::string out = (dir.path / "seeds").string();  // created on first write
  const Bytes a = {1, 2, 3}, b = {1, 2, 4};
  const std::string name_a = content_name(a);
  CHECK(name_a.size() == 16);
  CHECK(name_a.find_first_not_of("0123456789abcdef") == std::string::npos);
  CHECK(content_name(a) == name_a);
  CHECK(content_name(b) != name_a);
  CHECK(content_name({}) == "cbf29ce484222325");  // FNV-1a's offset basis: stable everywhere

  absl::StatusOr<bool> first = write_corpus_file(out, name_a, a);
  REQUIRE(first.ok());
  CHECK(*first);
  absl::StatusOr<bool> again = write_corpus_file(out, name_a, a);
  REQUIRE(again.ok());
  CHECK_FALSE(*again);
  CHECK(read_bytes(out + "/" + name_a) == a);
  // Nothing but the file itself: the temporary was renamed into place.
  int files = 0;
  for (const auto& e : fs::directory_iterator(out)) {
    CHECK(e.path().filename() == name_a);
    ++files;
  }
  CHECK(files == 1);

  // An unwritable place is an error naming the path, and leaves nothing.
  const std::string blocked = (dir.path / "file").string();
  write_bytes(blocked, a);
  absl::StatusOr<bool> bad = write_corpus_file(blocked + "/sub", "x", a);
  REQUIRE_FALSE(bad.ok());
  CHECK_THAT(std::string(bad.status().message()), Catch::Contains(blocked));
}

}  // namespace
}  // namespace synfin::harness
