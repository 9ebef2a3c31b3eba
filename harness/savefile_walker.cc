#include "harness/savefile_walker.h"

#include <optional>

#include "absl/strings/str_cat.h"
#include "harness/link_layer.h"

namespace synfin::harness {
namespace {

constexpr size_t kFileHeader = 24;
constexpr size_t kRecordHeader = 16;
// libpcap's largest snapshot length for any link type (MAXIMUM_SNAPLEN).
constexpr uint32_t kMaxSnaplen = 262144;

uint32_t load32(const uint8_t* p, bool big) {
  return big ? uint32_t{p[0]} << 24 | uint32_t{p[1]} << 16 | uint32_t{p[2]} << 8 | p[3]
             : uint32_t{p[3]} << 24 | uint32_t{p[2]} << 16 | uint32_t{p[1]} << 8 | p[0];
}

absl::Status damage_at(uint64_t record, size_t offset, absl::string_view why) {
  return absl::DataLossError(
      absl::StrCat("pcap <memory>: record ", record, " at byte offset ", offset, ": ", why));
}

}  // namespace

absl::StatusOr<SavefileRecords> walk_savefile(std::span<const uint8_t> data) {
  if (data.size() < kFileHeader) {
    return absl::InvalidArgumentError(absl::StrCat(
        "pcap <memory>: cannot open (file header at byte offset 0): ", data.size(),
        " bytes, a pcap file header needs ", kFileHeader));
  }
  const uint32_t magic = load32(data.data(), false);
  std::optional<bool> big, nanos;
  if (magic == 0xa1b2c3d4) big = false, nanos = false;
  if (magic == 0xa1b23c4d) big = false, nanos = true;
  if (magic == 0xd4c3b2a1) big = true, nanos = false;
  if (magic == 0x4d3cb2a1) big = true, nanos = true;
  if (!big) {
    return absl::InvalidArgumentError(
        absl::StrCat("pcap <memory>: cannot open (file header at byte offset 0): magic 0x",
                     absl::Hex(magic, absl::kZeroPad8), " is not a pcap savefile's"));
  }
  SavefileRecords out;
  const uint32_t snaplen = load32(data.data() + 16, *big);
  // The low 16 bits are the link type; the bits above carry FCS information.
  out.link_type = static_cast<int>(load32(data.data() + 20, *big) & 0xFFFF);
  const uint32_t limit = snaplen == 0 || snaplen > kMaxSnaplen ? kMaxSnaplen : snaplen;
  size_t at = kFileHeader;
  for (uint64_t index = 0; at < data.size(); ++index) {
    const size_t left = data.size() - at;
    if (left < kRecordHeader) {
      out.damage = damage_at(index, at, absl::StrCat("truncated record header: ", left, " of ",
                                                     kRecordHeader, " bytes"));
      break;
    }
    const uint8_t* h = data.data() + at;
    const uint32_t sec = load32(h, *big), frac = load32(h + 4, *big);
    const uint32_t caplen = load32(h + 8, *big), len = load32(h + 12, *big);
    if (caplen > limit) {
      out.damage = damage_at(index, at, absl::StrCat("captured length ", caplen,
                                                     " exceeds the snapshot length ", limit));
      break;
    }
    if (caplen > len) {
      out.damage = damage_at(index, at, absl::StrCat("captured length ", caplen,
                                                     " exceeds the packet's original length ", len));
      break;
    }
    if (left - kRecordHeader < caplen) {
      out.damage = damage_at(index, at, absl::StrCat("truncated record: ", left - kRecordHeader,
                                                     " of ", caplen, " captured bytes"));
      break;
    }
    ++out.records;
    const std::span<const uint8_t> frame = data.subspan(at + kRecordHeader, caplen);
    at += kRecordHeader + caplen;
    const std::optional<std::span<const uint8_t>> ip = ip_packet_in_frame(out.link_type, frame);
    if (!ip) {
      ++out.non_ip;
      continue;
    }
    CapturedPacket p;
    p.at = Instant::from_micros(int64_t{sec} * 1000000 + (*nanos ? frac / 1000 : frac));
    p.bytes.assign(ip->begin(), ip->end());
    p.truncated = caplen < len;
    p.record = index;
    out.packets.push_back(std::move(p));
  }
  return out;
}

}  // namespace synfin::harness
