// Writes the packets of a run to a classic libpcap file (link type RAW: each
// record is the IP packet itself), stamped with the run's virtual time, so that
// Wireshark or tcpdump can show a run.
//
// Two views of the same run:
//   kSent      every packet as it left its sender (on_wire_send), including the ones
//              the link then dropped, before any corruption or truncation;
//   kReceived  every packet as it reached its receiver (on_wire_deliver), after the
//              link's faults (duplicates appear twice, corrupted bytes as delivered).
//
// Nothing half-written: the writer fills `path + ".tmp"` and finish() renames it to
// `path`. A writer destroyed without finish() removes the temporary file.
#pragma once

#include <cstdint>
#include <memory>
#include <span>
#include <string>

#include "absl/status/status.h"
#include "absl/status/statusor.h"
#include "harness/run_observer.h"

struct pcap;
struct pcap_dumper;

namespace synfin::harness {

class PcapWriter final : public RunObserver {
 public:
  enum class View : uint8_t { kSent, kReceived };

  // The snapshot length written in the file header. IP packets longer than this
  // are recorded truncated (with their true length in the record header).
  static constexpr int kSnapLen = 65535;

  // Creates `path + ".tmp"` and writes the file header. Errors name the path.
  static absl::StatusOr<std::unique_ptr<PcapWriter>> open(const std::string& path, View view);

  ~PcapWriter() override;
  PcapWriter(const PcapWriter&) = delete;
  PcapWriter& operator=(const PcapWriter&) = delete;

  // Flushes, closes and renames the temporary file to the final path. Packets
  // arriving afterwards are ignored. A second call fails.
  absl::Status finish();

  const std::string& path() const { return path_; }
  View view() const { return view_; }
  uint64_t packets_written() const { return packets_; }

  // Writes one record directly (what the observer callbacks do for their view).
  // Negative times are clamped to 0.
  void write_packet(std::span<const uint8_t> bytes, Instant at);

  void on_wire_send(int from_host, std::span<const uint8_t> bytes, Instant now) override;
  void on_wire_deliver(int to_host, std::span<const uint8_t> bytes, Instant now) override;

 private:
  PcapWriter(std::string path, View view, pcap* dead, pcap_dumper* dumper);
  // Closes the dumper and the pcap handle if still open.
  void close();

  std::string path_;
  std::string tmp_path_;
  View view_;
  pcap* dead_ = nullptr;
  pcap_dumper* dumper_ = nullptr;
  uint64_t packets_ = 0;
  bool finished_ = false;
};

}  // namespace synfin::harness
