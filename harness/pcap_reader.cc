#include "harness/pcap_reader.h"

#include <pcap/pcap.h>

#include <cstdio>
#include <optional>

#include "absl/strings/str_cat.h"

namespace synfin::harness {
namespace {

// Link types by number, so the values do not depend on the platform's DLT_ macros.
constexpr int kLinkNull = 0;
constexpr int kLinkEthernet = 1;
constexpr int kLinkRawLinux = 12;    // DLT_RAW on most systems
constexpr int kLinkRawOpenBsd = 14;  // DLT_RAW on OpenBSD
constexpr int kLinkRaw = 101;        // LINKTYPE_RAW, if libpcap did not map it
constexpr int kLinkLoop = 108;
constexpr int kLinkSll = 113;
constexpr int kLinkIpv4 = 228;
constexpr int kLinkIpv6 = 229;
constexpr int kLinkSll2 = 276;

constexpr uint16_t kEtherIpv4 = 0x0800;
constexpr uint16_t kEtherIpv6 = 0x86dd;

uint16_t be16(const uint8_t* p) { return static_cast<uint16_t>(p[0] << 8 | p[1]); }

// Skips VLAN tags starting at `offset`, where `ethertype` was read just before it.
// Returns the IP packet's offset, or nullopt if the frame carries no IPv4/IPv6.
std::optional<size_t> after_ethertype(const uint8_t* data, size_t size, uint16_t ethertype,
                                      size_t offset) {
  while (ethertype == 0x8100 || ethertype == 0x88a8 || ethertype == 0x9100) {
    if (size < offset + 4) return std::nullopt;
    ethertype = be16(data + offset + 2);
    offset += 4;
  }
  if (ethertype != kEtherIpv4 && ethertype != kEtherIpv6) return std::nullopt;
  return offset;
}

// Where the IP packet starts in a record of link type `link`, or nullopt to skip it.
std::optional<size_t> ip_offset(int link, const uint8_t* data, size_t size) {
  switch (link) {
    case kLinkRawLinux:
    case kLinkRawOpenBsd:
    case kLinkRaw:
    case kLinkIpv4:
    case kLinkIpv6: {
      if (size < 1) return std::nullopt;
      const int version = data[0] >> 4;
      if (version != 4 && version != 6) return std::nullopt;
      return size_t{0};
    }
    case kLinkEthernet:
      if (size < 14) return std::nullopt;
      return after_ethertype(data, size, be16(data + 12), 14);
    case kLinkSll:
      if (size < 16) return std::nullopt;
      return after_ethertype(data, size, be16(data + 14), 16);
    case kLinkSll2:
      if (size < 20) return std::nullopt;
      return after_ethertype(data, size, be16(data + 0), 20);
    case kLinkNull:
    case kLinkLoop: {
      if (size < 4) return std::nullopt;
      // DLT_NULL is in the capturing host's byte order, DLT_LOOP in network order;
      // families are small, so the zero half tells the order.
      const uint32_t big = static_cast<uint32_t>(data[0]) << 24 |
                           static_cast<uint32_t>(data[1]) << 16 |
                           static_cast<uint32_t>(data[2]) << 8 | data[3];
      const uint32_t little = static_cast<uint32_t>(data[3]) << 24 |
                              static_cast<uint32_t>(data[2]) << 16 |
                              static_cast<uint32_t>(data[1]) << 8 | data[0];
      const uint32_t family = (data[0] == 0 && data[1] == 0) ? big : little;
      if (family == 2 || family == 10 || family == 24 || family == 28 || family == 30) {
        return size_t{4};
      }
      return std::nullopt;
    }
    default:
      return std::nullopt;
  }
}

// The IP packet's own idea of its length, when it is shorter than what the link
// carried (padding, FCS); else `size`.
size_t ip_length(const uint8_t* ip, size_t size) {
  if (size >= 20 && ip[0] >> 4 == 4) {
    const size_t total = be16(ip + 2);
    if (total >= 20 && total < size) return total;
  } else if (size >= 40 && ip[0] >> 4 == 6) {
    const size_t payload = be16(ip + 4);  // 0: jumbogram, leave it alone
    if (payload != 0 && 40 + payload < size) return 40 + payload;
  }
  return size;
}

absl::StatusOr<PcapReadResult> read_all(pcap_t* p, const std::string& name) {
  PcapReadResult result;
  result.link_type = pcap_datalink(p);
  pcap_pkthdr* hdr = nullptr;
  const u_char* data = nullptr;
  for (uint64_t index = 0;; ++index) {
    const int rc = pcap_next_ex(p, &hdr, &data);
    if (rc == PCAP_ERROR_BREAK) break;  // -2: end of file
    if (rc != 1) {
      return absl::DataLossError(absl::StrCat("pcap ", name, ": record ", index, ": ",
                                              rc == PCAP_ERROR ? pcap_geterr(p) : "read failed"));
    }
    const size_t size = hdr->caplen;
    const std::optional<size_t> offset = ip_offset(result.link_type, data, size);
    if (!offset) {
      ++result.skipped_non_ip;
      continue;
    }
    const uint8_t* ip = data + *offset;
    const size_t len = ip_length(ip, size - *offset);
    CapturedPacket packet;
    packet.at = Instant::from_micros(static_cast<int64_t>(hdr->ts.tv_sec) * 1000000 +
                                     static_cast<int64_t>(hdr->ts.tv_usec));
    packet.bytes.assign(ip, ip + len);
    packet.truncated = hdr->caplen < hdr->len;
    result.packets.push_back(std::move(packet));
  }
  return result;
}

}  // namespace

absl::StatusOr<PcapReadResult> read_pcap_packets(const std::string& path) {
  char errbuf[PCAP_ERRBUF_SIZE] = {};
  pcap_t* p = pcap_open_offline_with_tstamp_precision(path.c_str(), PCAP_TSTAMP_PRECISION_MICRO,
                                                      errbuf);
  if (p == nullptr) {
    return absl::InvalidArgumentError(absl::StrCat("pcap ", path, ": cannot open: ", errbuf));
  }
  absl::StatusOr<PcapReadResult> result = read_all(p, path);
  pcap_close(p);
  return result;
}

absl::StatusOr<PcapReadResult> read_pcap_packets_from_memory(std::span<const uint8_t> data) {
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
    return absl::InvalidArgumentError(absl::StrCat("pcap ", kName, ": cannot open: ", errbuf));
  }
  absl::StatusOr<PcapReadResult> result = read_all(p, kName);
  pcap_close(p);  // closes `f`
  return result;
}

}  // namespace synfin::harness
