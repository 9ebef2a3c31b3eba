// Imports one capture file: libpcap's reader (pcap_reader.h) feeding the
// libpcap-free importer (capture_import.h).
#pragma once

#include <cstdint>
#include <string>

#include "absl/status/status.h"
#include "absl/status/statusor.h"
#include "harness/capture_import.h"
#include "harness/pcap_reader.h"

namespace synfin::harness {

struct CaptureImport {
  CaptureFlows flows;
  uint64_t bytes = 0;    // bytes of the file read
  int link_type = -1;
  // keep_going: the damage that stopped reading early (flows hold what came
  // before it); OK when the whole file was read.
  absl::Status damage;
};

// Fails when the file cannot be opened, or (without keep_going) is damaged; the
// error names the file, the record number and the byte offset.
absl::StatusOr<CaptureImport> import_capture(const std::string& path,
                                             const PcapReadOptions& options = {});

}  // namespace synfin::harness
