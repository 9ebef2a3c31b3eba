#include "stack/segment.h"

#include "absl/strings/str_cat.h"
#include "absl/strings/str_format.h"
#include "absl/strings/str_join.h"

namespace synfin {

std::string flags_to_string(Flags f) {
  std::string s;
  if (f.syn()) s += 'S';
  if (f.fin()) s += 'F';
  if (f.rst()) s += 'R';
  if (f.psh()) s += 'P';
  if (f.urg()) s += 'U';
  if (f.has(Flags::kEce)) s += 'E';
  if (f.has(Flags::kCwr)) s += 'W';
  if (f.ack()) s += '.';
  // Every bit above the control byte (the header's reserved bits), so the text
  // form of any flag value reads back to the same value.
  if (f.bits >> 8) absl::StrAppendFormat(&s, "r%x", f.bits >> 8);
  return s.empty() ? "none" : s;
}

std::string options_to_string(const TcpOptions& o) {
  std::vector<std::string> parts;
  if (o.mss) parts.push_back(absl::StrCat("mss ", *o.mss));
  if (o.sack_permitted) parts.push_back("sackOK");
  if (o.timestamps) {
    parts.push_back(absl::StrCat("TS val ", o.timestamps->val, " ecr ", o.timestamps->ecr));
  }
  if (o.window_scale) parts.push_back(absl::StrCat("wscale ", *o.window_scale));
  if (!o.sack.empty()) {
    std::string sack = "sack";
    for (const SackBlock& b : o.sack) absl::StrAppend(&sack, " ", b.left.raw, ":", b.right.raw);
    parts.push_back(sack);
  }
  for (const RawOption& r : o.unknown) {
    // "opt KIND HEX", the scenario text's spelling, so a trace line pastes into a script.
    std::string raw = absl::StrCat("opt ", r.kind);
    if (!r.data.empty()) {
      raw += ' ';
      for (uint8_t b : r.data) absl::StrAppendFormat(&raw, "%02x", b);
    }
    parts.push_back(raw);
  }
  return absl::StrJoin(parts, ",");
}

std::string segment_to_string(const Segment& s) {
  std::string out = absl::StrFormat("%d > %d %s %u:%u(%u)", s.src_port, s.dst_port,
                                    flags_to_string(s.flags), s.seq.raw,
                                    s.seq.raw + static_cast<uint32_t>(s.payload.size()),
                                    s.payload.size());
  if (s.flags.ack()) absl::StrAppend(&out, " ack ", s.ack.raw);
  absl::StrAppend(&out, " win ", s.window);
  if (s.flags.urg() || s.urgent_pointer != 0) absl::StrAppend(&out, " urg ", s.urgent_pointer);
  if (!s.options.empty()) absl::StrAppend(&out, " <", options_to_string(s.options), ">");
  return out;
}

}  // namespace synfin
