// Text forms of addresses: dotted quads, RFC 4291 section 2.2 input and
// RFC 5952 canonical output.
#include "stack/ip.h"

#include <optional>

#include "absl/strings/escaping.h"
#include "absl/strings/str_cat.h"
#include "absl/strings/str_format.h"

namespace synfin {
namespace {

absl::Status bad_address(absl::string_view kind, absl::string_view text,
                         absl::string_view why) {
  return absl::InvalidArgumentError(
      absl::StrCat("invalid ", kind, " address \"", absl::CEscape(text), "\": ", why));
}

bool is_digit(char c) { return c >= '0' && c <= '9'; }

std::optional<int> hex_value(char c) {
  if (c >= '0' && c <= '9') return c - '0';
  if (c >= 'a' && c <= 'f') return c - 'a' + 10;
  if (c >= 'A' && c <= 'F') return c - 'A' + 10;
  return std::nullopt;
}

// Parses "a.b.c.d" into out[0..4). Returns an empty string on success, else
// what is wrong. Leading zeros are rejected because inet_aton reads them as
// octal ("010" = 8), so accepting them would make the text ambiguous.
std::string parse_dotted_quad(absl::string_view text, uint8_t* out) {
  size_t i = 0;
  for (int part = 0; part < 4; ++part) {
    if (part > 0) {
      if (i >= text.size() || text[i] != '.') {
        return absl::StrFormat("expected 4 dotted decimal parts, got %d", part);
      }
      ++i;
    }
    const size_t start = i;
    int value = 0;
    while (i < text.size() && is_digit(text[i]) && i - start < 4) {
      value = value * 10 + (text[i] - '0');
      ++i;
    }
    const absl::string_view digits = text.substr(start, i - start);
    if (digits.empty()) {
      return i < text.size() ? absl::StrFormat("unexpected '%c' at offset %d", text[i], i)
                             : absl::StrFormat("part %d is empty", part + 1);
    }
    if (digits.size() > 3 || value > 255) {
      return absl::StrFormat("part %d (%s) exceeds 255", part + 1, digits);
    }
    if (digits.size() > 1 && digits[0] == '0') {
      return absl::StrFormat("part %d (%s) has a leading zero", part + 1, digits);
    }
    out[part] = static_cast<uint8_t>(value);
  }
  if (i != text.size()) {
    return text[i] == '.' ? std::string("more than 4 dotted parts")
                          : absl::StrFormat("unexpected '%c' at offset %d", text[i], i);
  }
  return "";
}

// RFC 4291 section 2.2: up to eight groups of 1-4 hex digits separated by ':',
// one "::" standing for one or more zero groups, and optionally a dotted quad
// in place of the last two groups. Zone indices ("%eth0") are not addresses
// and are rejected. Returns an empty string on success, else what is wrong.
std::string parse_ipv6(absl::string_view text, std::array<uint8_t, 16>& out) {
  std::array<uint16_t, 8> groups{};
  size_t n = 0;         // groups parsed
  int gap = -1;         // index in `groups` where "::" stood, if any
  size_t i = 0;
  if (text.substr(0, 2) == "::") {
    gap = 0;
    i = 2;
  } else if (!text.empty() && text[0] == ':') {
    return "leading ':' without a second ':'";
  }
  while (i < text.size()) {
    size_t j = i;
    uint32_t value = 0;
    while (j < text.size() && hex_value(text[j])) value = value << 4 | *hex_value(text[j++]);
    if (j < text.size() && text[j] == '.') {
      // Embedded IPv4 tail: takes two groups and must end the text.
      if (n + 2 > 8) return "embedded IPv4 address leaves no room (more than 8 groups)";
      uint8_t quad[4];
      if (std::string why = parse_dotted_quad(text.substr(i), quad); !why.empty()) {
        return absl::StrCat("bad embedded IPv4 \"", text.substr(i), "\": ", why);
      }
      groups[n++] = static_cast<uint16_t>(quad[0] << 8 | quad[1]);
      groups[n++] = static_cast<uint16_t>(quad[2] << 8 | quad[3]);
      i = text.size();
      break;
    }
    if (j == i) {
      return absl::StrFormat("unexpected '%c' at offset %d (expected a hex group)", text[i], i);
    }
    if (j - i > 4) {
      return absl::StrFormat("group \"%s\" has more than 4 hex digits", text.substr(i, j - i));
    }
    if (n == 8) return "more than 8 groups";
    groups[n++] = static_cast<uint16_t>(value);
    if (j == text.size()) break;
    if (text[j] != ':') {
      return absl::StrFormat("unexpected '%c' at offset %d", text[j], j);
    }
    if (j + 1 < text.size() && text[j + 1] == ':') {
      if (gap >= 0) return "\"::\" appears more than once";
      gap = static_cast<int>(n);
      i = j + 2;
    } else {
      i = j + 1;
      if (i == text.size()) return "trailing ':'";
    }
  }
  if (gap < 0 && n != 8) return absl::StrFormat("expected 8 groups, got %d", n);
  if (gap >= 0 && n == 8) return "\"::\" must stand for at least one zero group";
  // Groups after the gap move to the end; the gap's groups stay zero.
  std::array<uint16_t, 8> full{};
  const size_t head = gap < 0 ? n : static_cast<size_t>(gap);
  for (size_t k = 0; k < head; ++k) full[k] = groups[k];
  for (size_t k = head; k < n; ++k) full[8 - (n - k)] = groups[k];
  for (size_t k = 0; k < 8; ++k) {
    out[2 * k] = static_cast<uint8_t>(full[k] >> 8);
    out[2 * k + 1] = static_cast<uint8_t>(full[k]);
  }
  return "";
}

// The longest run of two or more zero groups, first one on a tie (RFC 5952
// section 4.2.1-4.2.3). Returns {start, length}; length 0 if there is none.
std::pair<int, int> longest_zero_run(const std::array<uint16_t, 8>& g) {
  int best_start = 0, best_len = 0;
  for (int i = 0; i < 8;) {
    if (g[i] != 0) {
      ++i;
      continue;
    }
    int j = i;
    while (j < 8 && g[j] == 0) ++j;
    if (j - i > best_len) best_start = i, best_len = j - i;
    i = j;
  }
  return best_len >= 2 ? std::pair{best_start, best_len} : std::pair{0, 0};
}

std::string ipv6_to_string(const std::array<uint8_t, 16>& b) {
  std::array<uint16_t, 8> g;
  for (int k = 0; k < 8; ++k) g[k] = static_cast<uint16_t>(b[2 * k] << 8 | b[2 * k + 1]);
  // RFC 5952 section 5: IPv4-mapped addresses (::ffff:0:0/96) are written with
  // their IPv4 part in dotted decimal.
  const bool v4_mapped = g[0] == 0 && g[1] == 0 && g[2] == 0 && g[3] == 0 && g[4] == 0 &&
                         g[5] == 0xFFFF;
  if (v4_mapped) return absl::StrFormat("::ffff:%d.%d.%d.%d", b[12], b[13], b[14], b[15]);
  const auto [zs, zl] = longest_zero_run(g);
  std::string s;
  s.reserve(39);
  for (int k = 0; k < 8; ++k) {
    if (zl > 0 && k == zs) {
      s += "::";
      k += zl - 1;
      continue;
    }
    if (!s.empty() && s.back() != ':') s += ':';
    absl::StrAppendFormat(&s, "%x", g[k]);  // lowercase, no leading zeros (4.2.1, 4.3)
  }
  return s;
}

}  // namespace

absl::StatusOr<IpAddr> IpAddr::parse(absl::string_view text) {
  if (text.find(':') != absl::string_view::npos) {
    if (text.find('%') != absl::string_view::npos) {
      return bad_address("IPv6", text, "zone index not supported");
    }
    std::array<uint8_t, 16> b{};
    if (std::string why = parse_ipv6(text, b); !why.empty()) {
      return bad_address("IPv6", text, why);
    }
    return IpAddr::v6(b);
  }
  IpAddr a;
  if (text.empty()) return bad_address("IP", text, "empty text");
  if (std::string why = parse_dotted_quad(text, a.bytes.data()); !why.empty()) {
    return bad_address("IPv4", text, why);
  }
  return a;
}

std::string IpAddr::to_string() const {
  if (family == IpFamily::kV4) {
    return absl::StrFormat("%d.%d.%d.%d", bytes[0], bytes[1], bytes[2], bytes[3]);
  }
  return ipv6_to_string(bytes);
}

// "10.0.0.1:80 <-> 10.0.0.2:5000", local first. IPv6 addresses are bracketed
// so the port stays readable (RFC 5952 section 6).
std::string FourTuple::to_string() const {
  auto endpoint = [](const IpAddr& a, uint16_t port) {
    return a.family == IpFamily::kV6 ? absl::StrCat("[", a.to_string(), "]:", port)
                                     : absl::StrCat(a.to_string(), ":", port);
  };
  return absl::StrCat(endpoint(local_addr, local_port), " <-> ",
                      endpoint(remote_addr, remote_port));
}

}  // namespace synfin
