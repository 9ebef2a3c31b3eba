// The shipped scenarios as artefacts: their pcaps read back through libpcap, and
// every one of them replays bit for bit.
#include <catch2/catch.hpp>

#include <filesystem>
#include <fstream>
#include <iterator>
#include <string>
#include <vector>

#include "harness/checked_run.h"
#include "harness/pcap_reader.h"
#include "harness/pcap_writer.h"
#include "harness/scenario_text.h"
#include "harness/trace.h"
#include "stack/codec.h"

using namespace synfin;
using namespace synfin::harness;

namespace {

std::string source_path(const std::string& rel) { return std::string(SYNFIN_SOURCE_DIR) + "/" + rel; }

Scenario load(const std::string& path) {
  std::ifstream in(path, std::ios::binary);
  REQUIRE(in);
  const std::string text((std::istreambuf_iterator<char>(in)), std::istreambuf_iterator<char>());
  auto s = parse_scenario_text(text, path);
  REQUIRE(s.ok());
  return *s;
}

struct Artefacts {
  std::string trace;
  std::string pcap;
};

std::string slurp(const std::string& path) {
  std::ifstream in(path, std::ios::binary);
  return std::string((std::istreambuf_iterator<char>(in)), std::istreambuf_iterator<char>());
}

Artefacts run_with_artefacts(const Scenario& s, const std::string& pcap_path) {
  TraceWriter trace;
  auto pcap = PcapWriter::open(pcap_path, PcapWriter::View::kSent);
  REQUIRE(pcap.ok());
  CheckedRunOptions options;
  options.observers = {&trace, pcap->get()};
  const CheckedRunResult r = run_checked(s, options);
  REQUIRE((*pcap)->finish().ok());
  CHECK(r.clean());
  return {trace.text(), slurp(pcap_path)};
}

std::filesystem::path temp_dir() {
  auto d = std::filesystem::temp_directory_path() / ("synfin_corpus_test_" + std::to_string(::getpid()));
  std::filesystem::create_directories(d);
  return d;
}

}  // namespace

TEST_CASE("lost final ACK: the pcap read back through libpcap shows the FIN retransmitted and re-acknowledged",
          "[pcap][scenario]") {
  const auto dir = temp_dir();
  const std::string path = (dir / "lost_final_ack.pcap").string();
  run_with_artefacts(load(source_path("corpus/scenarios/lost_final_ack.txt")), path);
  auto read = read_pcap_packets(path);
  REQUIRE(read.ok());
  std::vector<std::string> flags;
  std::vector<IpPacket> packets;
  for (const CapturedPacket& c : read->packets) {
    auto p = decode_packet(c.bytes);
    REQUIRE(p.ok());
    flags.push_back(flags_to_string(p->tcp.flags));
    packets.push_back(*p);
  }
  // Sender's view: the lost ACK is in it (it left the client), then the server's
  // FIN again and the client's second ACK.
  CHECK(flags == std::vector<std::string>{"S", "S.", ".", "F.", ".", "F.", ".", "F.", "."});
  REQUIRE(packets.size() == 9);
  const IpPacket& server_fin = packets[5];
  const IpPacket& lost_ack = packets[6];
  const IpPacket& retransmitted_fin = packets[7];
  const IpPacket& reack = packets[8];
  CHECK(retransmitted_fin.tcp.seq == server_fin.tcp.seq);
  CHECK(retransmitted_fin.src == server_fin.src);
  CHECK(lost_ack.tcp.ack == server_fin.tcp.seq + SeqLen(1));
  CHECK(reack.tcp.ack == server_fin.tcp.seq + SeqLen(1));
  CHECK(reack.tcp.seq == lost_ack.tcp.seq);
  // The retransmission comes one RTO (1 s) after the first FIN.
  CHECK(read->packets[7].at - read->packets[5].at == Duration::seconds(1));
  std::filesystem::remove_all(dir);
}

TEST_CASE("every shipped scenario runs twice to a byte-identical trace and pcap",
          "[determinism][scenario]") {
  const auto dir = temp_dir();
  size_t n = 0;
  std::vector<std::filesystem::path> files;
  for (const auto& e : std::filesystem::directory_iterator(source_path("corpus/scenarios"))) {
    files.push_back(e.path());
  }
  std::sort(files.begin(), files.end());
  for (const auto& f : files) {
    INFO(f.string());
    const Scenario s = load(f.string());
    const Artefacts a = run_with_artefacts(s, (dir / "a.pcap").string());
    const Artefacts b = run_with_artefacts(s, (dir / "b.pcap").string());
    CHECK(!a.trace.empty());
    CHECK(a.pcap.size() > 24);
    CHECK(a.trace == b.trace);
    CHECK(a.pcap == b.pcap);
    ++n;
  }
  CHECK(n >= 20);
  std::filesystem::remove_all(dir);
}
