#include "harness/pcap_import.h"

namespace synfin::harness {

absl::StatusOr<CaptureImport> import_capture(const std::string& path,
                                             const PcapReadOptions& options) {
  absl::StatusOr<PcapReadResult> read = read_pcap_packets(path, options);
  if (!read.ok()) return read.status();
  CaptureImport out;
  out.flows = split_capture(read->packets, read->records, read->skipped_non_ip);
  out.bytes = read->bytes;
  out.link_type = read->link_type;
  out.damage = read->damage;
  return out;
}

}  // namespace synfin::harness
