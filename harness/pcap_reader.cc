#include "harness/pcap_reader.h"

#include <pcap/pcap.h>

#include <cstdio>
#include <optional>

#include "absl/strings/str_cat.h"
#include "harness/link_layer.h"

namespace synfin::harness {
namespace {

// Where the stream is: libpcap reads savefiles through stdio, record by record,
// so the position between two reads is where the next record starts.
uint64_t position(pcap_t* p) {
  FILE* f = pcap_file(p);
  const long at = f ? std::ftell(f) : -1;
  return at < 0 ? 0 : static_cast<uint64_t>(at);
}

absl::Status damage_at(const std::string& name, uint64_t record, uint64_t offset,
                       absl::string_view why) {
  return absl::DataLossError(
      absl::StrCat("pcap ", name, ": record ", record, " at byte offset ", offset, ": ", why));
}

absl::StatusOr<PcapReadResult> read_all(pcap_t* p, const std::string& name,
                                        const PcapReadOptions& options) {
  PcapReadResult result;
  result.link_type = pcap_datalink(p);
  pcap_pkthdr* hdr = nullptr;
  const u_char* data = nullptr;
  for (uint64_t index = 0;; ++index) {
    const uint64_t offset = position(p);
    const int rc = pcap_next_ex(p, &hdr, &data);
    if (rc == PCAP_ERROR_BREAK) {  // -2: end of file
      result.bytes = position(p);
      break;
    }
    absl::Status bad;
    if (rc != 1) {
      bad = damage_at(name, index, offset, rc == PCAP_ERROR ? pcap_geterr(p) : "read failed");
    } else if (hdr->caplen > hdr->len) {
      // libpcap takes this; no capture tool writes it, so the record header is
      // garbage and so is everything after it.
      bad = damage_at(name, index, offset,
                      absl::StrCat("captured length ", hdr->caplen,
                                   " exceeds the packet's original length ", hdr->len));
    }
    if (!bad.ok()) {
      if (!options.keep_going) return bad;
      result.damage = std::move(bad);
      result.bytes = offset;
      break;
    }
    ++result.records;
    const std::optional<std::span<const uint8_t>> ip =
        ip_packet_in_frame(result.link_type, std::span<const uint8_t>(data, hdr->caplen));
    if (!ip) {
      ++result.skipped_non_ip;
      continue;
    }
    CapturedPacket packet;
    packet.at = Instant::from_micros(static_cast<int64_t>(hdr->ts.tv_sec) * 1000000 +
                                     static_cast<int64_t>(hdr->ts.tv_usec));
    packet.bytes.assign(ip->begin(), ip->end());
    packet.truncated = hdr->caplen < hdr->len;
    packet.record = index;
    result.packets.push_back(std::move(packet));
  }
  return result;
}

}  // namespace

absl::StatusOr<PcapReadResult> read_pcap_packets(const std::string& path,
                                                 const PcapReadOptions& options) {
  char errbuf[PCAP_ERRBUF_SIZE] = {};
  pcap_t* p = pcap_open_offline_with_tstamp_precision(path.c_str(), PCAP_TSTAMP_PRECISION_MICRO,
                                                      errbuf);
  if (p == nullptr) {
    return absl::InvalidArgumentError(
        absl::StrCat("pcap ", path, ": cannot open (file header at byte offset 0): ", errbuf));
  }
  absl::StatusOr<PcapReadResult> result = read_all(p, path, options);
  pcap_close(p);
  return result;
}

absl::StatusOr<PcapReadResult> read_pcap_packets_from_memory(std::span<const uint8_t> data,
                                                             const PcapReadOptions& options) {
  static const std::string kName = "<memory>";
  if (data.empty()) {
    return absl::InvalidArgumentError(absl::StrCat("pcap ", kName, ": cannot open: empty buffer"));
  }
  // fmemopen wants a non-const buffer; in "rb" mode it is only read.
  FILE* f = fmemopen(const_cast<uint8_t*>(data.data()), data.size(), "rb");
  if (f == nullptr) {
    return absl::InternalError(absl::StrCat("pcap ", kName, ": fmemopen failed"));
  }
  char errbuf[PCAP_ERRBUF_SIZE] = {};
  pcap_t* p = pcap_fopen_offline_with_tstamp_precision(f, PCAP_TSTAMP_PRECISION_MICRO, errbuf);
  if (p == nullptr) {
    std::fclose(f);  // libpcap leaves the stream open when it fails
    return absl::InvalidArgumentError(
        absl::StrCat("pcap ", kName, ": cannot open (file header at byte offset 0): ", errbuf));
  }
  absl::StatusOr<PcapReadResult> result = read_all(p, kName, options);
  pcap_close(p);  // closes `f`
  return result;
}

}  // namespace synfin::harness
