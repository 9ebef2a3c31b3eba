// The parser of the scenario text format (harness/SCENARIOS.md).
//
// One pass over the lines, no recursion and no backtracking: each line is
// scanned left to right by a cursor that knows what it expects next, so an
// error names the exact column and what was expected there. Every loop advances
// the cursor, and the input and the op count are bounded, so fuzzed input can
// neither crash the parser nor make it loop.
#include <algorithm>
#include <climits>
#include <cstdint>
#include <limits>
#include <optional>
#include <span>
#include <string>
#include <string_view>
#include <vector>

#include "absl/container/flat_hash_map.h"
#include "absl/container/flat_hash_set.h"
#include "absl/strings/escaping.h"
#include "absl/strings/str_cat.h"
#include "absl/strings/str_format.h"
#include "harness/scenario_text.h"

namespace synfin::harness {
namespace {

#define SYNFIN_RETURN_IF_ERROR(expr)                         \
  do {                                                       \
    if (absl::Status status_ = (expr); !status_.ok()) {      \
      return status_;                                        \
    }                                                        \
  } while (0)

constexpr std::string_view kDelimiters = "<>(),:=[]";

// Abseil here has its own string_view; StrCat and friends take that one.
absl::string_view av(std::string_view s) { return absl::string_view(s.data(), s.size()); }

bool is_space(char c) { return c == ' ' || c == '\t' || c == '\r' || c == '\v' || c == '\f'; }
bool is_digit(char c) { return c >= '0' && c <= '9'; }
bool is_alpha(char c) { return (c >= 'a' && c <= 'z') || (c >= 'A' && c <= 'Z'); }
bool is_hex(char c) { return is_digit(c) || (c >= 'a' && c <= 'f') || (c >= 'A' && c <= 'F'); }
int hex_value(char c) {
  if (is_digit(c)) return c - '0';
  if (c >= 'a' && c <= 'f') return c - 'a' + 10;
  return c - 'A' + 10;
}
// Characters that continue a word or number: a number or keyword must not run
// straight into one of these ("123abc", "ackx").
bool is_word(char c) { return is_alpha(c) || is_digit(c) || c == '_' || c == '.'; }
bool is_delimiter(char c) { return kDelimiters.find(c) != std::string_view::npos; }

std::string seconds(uint64_t us) {
  return absl::StrFormat("%d.%06d", us / 1000000, us % 1000000);
}

// A cursor over one line (comment already cut off), which formats errors as
// "file:line:col: expected X, found 'Y'".
class Line {
 public:
  Line(std::string_view file, size_t number, std::string_view text)
      : file_(file), number_(number), text_(text) {}

  size_t pos = 0;

  std::string_view text() const { return text_; }
  std::string_view slice(size_t begin, size_t end) const { return text_.substr(begin, end - begin); }
  char peek(size_t ahead = 0) const {
    return pos + ahead < text_.size() ? text_[pos + ahead] : '\0';
  }
  void skip_ws() {
    while (pos < text_.size() && is_space(text_[pos])) ++pos;
  }
  bool at_end() {
    skip_ws();
    return pos >= text_.size();
  }
  // Consumes `c` after optional whitespace.
  bool eat(char c) {
    skip_ws();
    if (pos < text_.size() && text_[pos] == c) {
      ++pos;
      return true;
    }
    return false;
  }
  // Consumes `s` exactly at the cursor.
  bool eat_literal(std::string_view s) {
    if (text_.substr(pos, s.size()) != s) return false;
    pos += s.size();
    return true;
  }
  // Consumes the keyword `w` after optional whitespace, if no word character follows.
  bool eat_keyword(std::string_view w) {
    skip_ws();
    if (text_.substr(pos, w.size()) != w || is_word(peek(w.size()))) return false;
    pos += w.size();
    return true;
  }
  // A run of [A-Za-z0-9_] after optional whitespace (possibly empty).
  std::string_view ident() {
    skip_ws();
    const size_t begin = pos;
    while (pos < text_.size() && (is_alpha(text_[pos]) || is_digit(text_[pos]) || text_[pos] == '_')) {
      ++pos;
    }
    return slice(begin, pos);
  }
  // A run of characters up to whitespace or a delimiter, after optional whitespace.
  std::string_view token() {
    skip_ws();
    const size_t begin = pos;
    while (pos < text_.size() && !is_space(text_[pos]) && !is_delimiter(text_[pos])) ++pos;
    return slice(begin, pos);
  }

  absl::Status error(std::string_view expected) const { return error_at(pos, expected); }
  absl::Status error_at(size_t at, std::string_view expected) const {
    return absl::InvalidArgumentError(absl::StrCat(av(file_), ":", number_, ":", at + 1,
                                                   ": expected ", av(expected), ", found ",
                                                   found(at)));
  }
  absl::Status expect(char c) {
    if (eat(c)) return absl::OkStatus();
    return error(std::string{'\'', c, '\''});
  }
  absl::Status end() {
    if (at_end()) return absl::OkStatus();
    return error("end of line");
  }

  // Unsigned decimal at the cursor (after whitespace), at most `max`.
  absl::Status unsigned_number(std::string_view what, uint64_t max, uint64_t& out) {
    skip_ws();
    const size_t begin = pos;
    size_t p = pos;
    uint64_t v = 0;
    const bool overflow = digits(p, v);
    if (p == begin || (p < text_.size() && is_word(text_[p]))) return error_at(begin, what);
    if (overflow || v > max) return error_at(begin, absl::StrCat(av(what), " (at most ", max, ")"));
    pos = p;
    out = v;
    return absl::OkStatus();
  }
  // Signed decimal ("-5", "+5", "5") in [min, max], where min <= 0 <= max.
  absl::Status signed_number(std::string_view what, int64_t min, int64_t max, int64_t& out) {
    skip_ws();
    const size_t begin = pos;
    const bool negative = peek() == '-';
    size_t p = pos;
    if (negative || peek() == '+') ++p;
    const size_t first_digit = p;
    uint64_t mag = 0;
    const bool overflow = digits(p, mag);
    if (p == first_digit || (p < text_.size() && is_word(text_[p]))) return error_at(begin, what);
    const uint64_t limit =
        negative ? uint64_t{0} - static_cast<uint64_t>(min) : static_cast<uint64_t>(max);
    if (overflow || mag > limit) {
      return error_at(begin, absl::StrCat(av(what), " (from ", min, " to ", max, ")"));
    }
    pos = p;
    out = negative ? static_cast<int64_t>(uint64_t{0} - mag) : static_cast<int64_t>(mag);
    return absl::OkStatus();
  }

 private:
  // Reads decimal digits from p into v; true when they overflow uint64.
  bool digits(size_t& p, uint64_t& v) const {
    bool overflow = false;
    for (; p < text_.size() && is_digit(text_[p]); ++p) {
      const uint64_t d = static_cast<uint64_t>(text_[p] - '0');
      if (v > (UINT64_MAX - d) / 10) overflow = true;
      else v = v * 10 + d;
    }
    return overflow;
  }

  std::string found(size_t at) const {
    if (at >= text_.size()) return "end of line";
    size_t end = at + 1;
    if (!is_delimiter(text_[at])) {
      while (end < text_.size() && !is_space(text_[end]) && !is_delimiter(text_[end])) ++end;
    }
    std::string_view tok = slice(at, end);
    const bool cut = tok.size() > 40;
    if (cut) tok = tok.substr(0, 40);
    return absl::StrCat("'", absl::CHexEscape(av(tok)), cut ? "...'" : "'");
  }

  std::string_view file_;
  size_t number_;
  std::string_view text_;
};

// ---------------------------------------------------------------------------
// Values shared by header lines and op lines.

// "30s", "1.5ms", "200us" (and "-1s" when allowed): the magnitude in microseconds.
absl::Status parse_duration(Line& l, bool allow_negative, bool& negative, uint64_t& mag) {
  const std::string_view what =
      allow_negative ? "a duration with a unit (us, ms or s)"
                     : "a non-negative duration with a unit (us, ms or s)";
  l.skip_ws();
  const size_t begin = l.pos;
  std::string_view t = l.token();
  auto fail = [&](std::string_view why) { return l.error_at(begin, why); };
  negative = !t.empty() && t[0] == '-';
  if (negative) {
    if (!allow_negative) return fail(what);
    t.remove_prefix(1);
  }
  uint64_t unit = 0;
  if (t.ends_with("us")) {
    unit = 1, t.remove_suffix(2);
  } else if (t.ends_with("ms")) {
    unit = 1000, t.remove_suffix(2);
  } else if (t.ends_with("s")) {
    unit = 1000000, t.remove_suffix(1);
  } else {
    return fail(what);
  }
  uint64_t whole = 0, frac = 0, frac_scale = 1;
  size_t i = 0;
  for (; i < t.size() && is_digit(t[i]); ++i) {
    const uint64_t d = static_cast<uint64_t>(t[i] - '0');
    if (whole > (UINT64_MAX - d) / 10) return fail(absl::StrCat(av(what), " below 2^64us"));
    whole = whole * 10 + d;
  }
  if (i == 0) return fail(what);
  if (i < t.size() && t[i] == '.') {
    for (++i; i < t.size() && is_digit(t[i]); ++i) {
      if (frac_scale == 1000000) return fail("a duration of whole microseconds");
      frac = frac * 10 + static_cast<uint64_t>(t[i] - '0');
      frac_scale *= 10;
    }
  }
  if (i != t.size()) return fail(what);
  if (frac * unit % frac_scale != 0) return fail("a duration of whole microseconds");
  if (whole > UINT64_MAX / unit) return fail(absl::StrCat(av(what), " below 2^64us"));
  const uint64_t frac_us = frac * unit / frac_scale;
  if (whole * unit > UINT64_MAX - frac_us) return fail(absl::StrCat(av(what), " below 2^64us"));
  mag = whole * unit + frac_us;
  return absl::OkStatus();
}

absl::Status parse_signed_duration(Line& l, Duration& out) {
  const size_t begin = (l.skip_ws(), l.pos);
  bool negative = false;
  uint64_t mag = 0;
  SYNFIN_RETURN_IF_ERROR(parse_duration(l, true, negative, mag));
  if (mag > (negative ? uint64_t{1} << 63 : (uint64_t{1} << 63) - 1)) {
    return l.error_at(begin, "a duration within +-2^63us");
  }
  out.us = negative ? static_cast<int64_t>(uint64_t{0} - mag) : static_cast<int64_t>(mag);
  return absl::OkStatus();
}

// "0", "1", "0.05", "0.999": a fraction in [0, 1] with at most 12 decimals.
absl::Status parse_probability(Line& l, uint16_t& out) {
  l.skip_ws();
  const size_t begin = l.pos;
  const std::string_view t = l.token();
  auto fail = [&] {
    return l.error_at(begin, "a probability from 0 to 1 (at most 12 decimals)");
  };
  if (t.empty() || (t[0] != '0' && t[0] != '1')) return fail();
  uint64_t mantissa = static_cast<uint64_t>(t[0] - '0');
  int decimals = 0;
  size_t i = 1;
  if (i < t.size() && t[i] == '.') {
    for (++i; i < t.size() && is_digit(t[i]); ++i) {
      if (decimals == 12) return fail();
      mantissa = mantissa * 10 + static_cast<uint64_t>(t[i] - '0');
      ++decimals;
    }
  }
  if (i != t.size()) return fail();
  uint64_t scale = 1;
  for (int k = 0; k < decimals; ++k) scale *= 10;
  if (mantissa > scale) return fail();  // above 1
  out = text_internal::probability_units(mantissa, decimals);
  return absl::OkStatus();
}

// "S", "S.", "P.", "F.", "R", ".", "SEW", "none", "Sr3" (reserved bits as hex).
absl::Status parse_flags(Line& l, Flags& out) {
  l.skip_ws();
  const size_t begin = l.pos;
  while (l.pos < l.text().size() && !is_space(l.text()[l.pos])) ++l.pos;
  const std::string_view t = l.slice(begin, l.pos);
  auto fail = [&] {
    return l.error_at(begin, "TCP flags (letters S F R P U E W, '.' for ACK, or none)");
  };
  out = Flags();
  if (t == "none") return absl::OkStatus();
  if (t.empty()) return fail();
  uint16_t bits = 0;
  for (size_t i = 0; i < t.size(); ++i) {
    uint16_t bit = 0;
    switch (t[i]) {
      case 'S': bit = Flags::kSyn; break;
      case 'F': bit = Flags::kFin; break;
      case 'R': bit = Flags::kRst; break;
      case 'P': bit = Flags::kPsh; break;
      case 'U': bit = Flags::kUrg; break;
      case 'E': bit = Flags::kEce; break;
      case 'W': bit = Flags::kCwr; break;
      case '.': bit = Flags::kAck; break;
      case 'r': {
        // The bits above the eight control bits, as hex: "r1" .. "rff".
        const std::string_view hex = t.substr(i + 1);
        if (hex.empty() || hex.size() > 2) return fail();
        uint16_t v = 0;
        for (char c : hex) {
          if (!is_hex(c)) return fail();
          v = static_cast<uint16_t>(v * 16 + hex_value(c));
        }
        out = Flags(static_cast<uint16_t>(bits | v << 8));
        return absl::OkStatus();
      }
      default: return fail();
    }
    if (bits & bit) return fail();
    bits |= bit;
  }
  out = Flags(bits);
  return absl::OkStatus();
}

// "<mss 1460,sackOK,TS val 1 ecr 0,nop,wscale 7,sack 1:2 3:4,opt 30 0102>". With
// `wildcard` non-null, "<...>" is accepted and sets it.
absl::Status parse_options(Line& l, TcpOptions& o, bool* wildcard) {
  SYNFIN_RETURN_IF_ERROR(l.expect('<'));
  l.skip_ws();
  if (wildcard && l.eat_literal("...")) {
    SYNFIN_RETURN_IF_ERROR(l.expect('>'));
    *wildcard = true;
    return absl::OkStatus();
  }
  if (l.eat('>')) return absl::OkStatus();
  for (;;) {
    l.skip_ws();
    const size_t at = l.pos;
    const std::string_view name = l.ident();
    auto duplicate = [&] { return l.error_at(at, "each option at most once"); };
    uint64_t v = 0;
    if (name == "mss") {
      if (o.mss) return duplicate();
      SYNFIN_RETURN_IF_ERROR(l.unsigned_number("an MSS", UINT16_MAX, v));
      o.mss = static_cast<uint16_t>(v);
    } else if (name == "wscale") {
      if (o.window_scale) return duplicate();
      SYNFIN_RETURN_IF_ERROR(l.unsigned_number("a window scale", UINT8_MAX, v));
      o.window_scale = static_cast<uint8_t>(v);
    } else if (name == "sackOK") {
      if (o.sack_permitted) return duplicate();
      o.sack_permitted = true;
    } else if (name == "TS") {
      if (o.timestamps) return duplicate();
      Timestamps ts;
      if (!l.eat_keyword("val")) return l.error("'val'");
      SYNFIN_RETURN_IF_ERROR(l.unsigned_number("a TS value", UINT32_MAX, v));
      ts.val = static_cast<uint32_t>(v);
      if (!l.eat_keyword("ecr")) return l.error("'ecr'");
      SYNFIN_RETURN_IF_ERROR(l.unsigned_number("a TS echo reply", UINT32_MAX, v));
      ts.ecr = static_cast<uint32_t>(v);
      o.timestamps = ts;
    } else if (name == "sack") {
      if (!o.sack.empty()) return duplicate();
      do {
        SackBlock b;
        SYNFIN_RETURN_IF_ERROR(l.unsigned_number("a SACK block left:right", UINT32_MAX, v));
        b.left = SeqNum(static_cast<uint32_t>(v));
        SYNFIN_RETURN_IF_ERROR(l.expect(':'));
        SYNFIN_RETURN_IF_ERROR(l.unsigned_number("a SACK block right edge", UINT32_MAX, v));
        b.right = SeqNum(static_cast<uint32_t>(v));
        o.sack.push_back(b);
        l.skip_ws();
      } while (is_digit(l.peek()));
    } else if (name == "nop" || name == "eol") {
      // Padding: the model keeps options as a set, so there is nothing to record.
    } else if (name == "opt") {
      RawOption r;
      SYNFIN_RETURN_IF_ERROR(l.unsigned_number("an option kind", UINT8_MAX, v));
      r.kind = static_cast<uint8_t>(v);
      l.skip_ws();
      const size_t hex_at = l.pos;
      while (is_hex(l.peek())) ++l.pos;
      const std::string_view hex = l.slice(hex_at, l.pos);
      if (hex.size() % 2 != 0 || is_word(l.peek())) {
        return l.error_at(hex_at, "option bytes as pairs of hex digits");
      }
      for (size_t i = 0; i < hex.size(); i += 2) {
        r.data.push_back(static_cast<uint8_t>(hex_value(hex[i]) * 16 + hex_value(hex[i + 1])));
      }
      o.unknown.push_back(std::move(r));
    } else {
      return l.error_at(at, "a TCP option (mss, wscale, sackOK, TS, sack, nop, eol or opt)");
    }
    if (l.eat(',')) continue;
    if (l.eat('>')) return absl::OkStatus();
    return l.error("',' or '>'");
  }
}

// ---------------------------------------------------------------------------
// Injected segments: the relative-number forms.

struct BaseName {
  std::string_view name;
  int base;
};
constexpr BaseName kSeqBases[] = {{"isn", static_cast<int>(SeqBase::kPeerIsn)},
                                  {"rcv.nxt", static_cast<int>(SeqBase::kRcvNxt)},
                                  {"rcv.wnd", static_cast<int>(SeqBase::kRcvWndEdge)}};
constexpr BaseName kAckBases[] = {{"iss", static_cast<int>(AckBase::kHostIss)},
                                  {"snd.una", static_cast<int>(AckBase::kSndUna)},
                                  {"snd.nxt", static_cast<int>(AckBase::kSndNxt)},
                                  {"snd.max", static_cast<int>(AckBase::kSndMax)}};

// One number of an injected segment: a bare number (`bare_base`), "abs N"
// (base 0 = absolute in both enums), or NAME followed directly by an optional
// signed offset ("rcv.nxt", "rcv.nxt+5", "snd.una-3").
struct Number {
  int base = 0;
  int64_t value = 0;
  bool bare = false;
};

absl::Status parse_relative(Line& l, std::span<const BaseName> names, int bare_base,
                            bool bare_signed, std::string_view what, Number& out) {
  l.skip_ws();
  const size_t at = l.pos;
  const char c = l.peek();
  out = Number();
  if (is_digit(c) || (bare_signed && (c == '-' || c == '+'))) {
    out.base = bare_base;
    out.bare = true;
    return l.signed_number(what, bare_signed ? INT64_MIN : 0, INT64_MAX, out.value);
  }
  size_t p = l.pos;
  while (p < l.text().size() && (is_alpha(l.text()[p]) || l.text()[p] == '.')) ++p;
  const std::string_view word = l.slice(l.pos, p);
  if (word == "abs") {
    if (p >= l.text().size() || !is_space(l.text()[p])) return l.error_at(at, what);
    l.pos = p;
    out.base = 0;
    return l.signed_number(what, INT64_MIN, INT64_MAX, out.value);
  }
  for (const BaseName& n : names) {
    if (word != n.name) continue;
    l.pos = p;
    out.base = n.base;
    if (l.peek() == '+' || l.peek() == '-') {
      return l.signed_number(what, INT64_MIN, INT64_MAX, out.value);
    }
    if (is_word(l.peek())) return l.error_at(at, what);
    return absl::OkStatus();
  }
  return l.error_at(at, what);
}

std::string seq_form(const Number& n, int64_t value) {
  std::string v = value >= 0 && !n.bare ? absl::StrCat("+", value) : absl::StrCat(value);
  if (n.bare) return v;
  for (const BaseName& b : kSeqBases) {
    if (b.base == n.base) return absl::StrCat(av(b.name), v);
  }
  return absl::StrCat("abs ", value);
}

// "0:0(0)", "isn-1:isn+0(1)", "rcv.nxt+5:rcv.nxt+9(4)", "abs 7:7(0)".
absl::Status parse_injected_range(Line& l, InjectedSegment& g) {
  constexpr std::string_view kWhat =
      "a sequence number (N, isn+-N, rcv.nxt+-N, rcv.wnd+-N or abs N)";
  Number start;
  SYNFIN_RETURN_IF_ERROR(
      parse_relative(l, kSeqBases, static_cast<int>(SeqBase::kPeerIsn), false, kWhat, start));
  SYNFIN_RETURN_IF_ERROR(l.expect(':'));
  l.skip_ws();
  const size_t end_at = l.pos;
  Number end;
  // The end repeats the start's form; after "abs N" it is a bare number.
  const bool bare_ok = start.base == static_cast<int>(SeqBase::kPeerIsn) ||
                       start.base == static_cast<int>(SeqBase::kAbsolute);
  SYNFIN_RETURN_IF_ERROR(parse_relative(l, kSeqBases, start.base, true, kWhat, end));
  if (end.base != start.base || (end.bare && !bare_ok)) {
    return l.error_at(end_at, "an end in the same form as the start");
  }
  SYNFIN_RETURN_IF_ERROR(l.expect('('));
  uint64_t len = 0;
  SYNFIN_RETURN_IF_ERROR(l.unsigned_number("a payload length", UINT16_MAX, len));
  SYNFIN_RETURN_IF_ERROR(l.expect(')'));
  // Sequence space is modulo 2^32: the end need only agree with start + length there.
  const uint64_t want = static_cast<uint64_t>(start.value) + len;
  if (static_cast<uint32_t>(want) != static_cast<uint32_t>(end.value)) {
    return l.error_at(end_at, absl::StrCat("end ", seq_form(end, static_cast<int64_t>(want)),
                                           " (start + length ", len, ")"));
  }
  g.seq_base = static_cast<SeqBase>(start.base);
  g.seq = start.value;
  g.payload_len = static_cast<uint16_t>(len);
  return absl::OkStatus();
}

const char* const kSpoofNames[] = {"none", "src-port", "dst-port", "src-addr"};

// Everything after "<" or "inject": flags, range, ack, win, urg, options, spoof.
absl::Status parse_injected(Line& l, InjectedSegment& g) {
  g = InjectedSegment();
  SYNFIN_RETURN_IF_ERROR(parse_flags(l, g.flags));
  SYNFIN_RETURN_IF_ERROR(parse_injected_range(l, g));
  bool seen_ack = false, seen_win = false, seen_urg = false;
  for (;;) {
    l.skip_ws();
    const size_t at = l.pos;
    uint64_t v = 0;
    if (l.eat_keyword("ack")) {
      if (seen_ack) return l.error_at(at, "one 'ack' per segment");
      seen_ack = true;
      Number n;
      SYNFIN_RETURN_IF_ERROR(parse_relative(
          l, kAckBases, static_cast<int>(AckBase::kHostIss), false,
          "an acknowledgment number (N, iss+-N, snd.una+-N, snd.nxt+-N, snd.max+-N or abs N)", n));
      g.ack_base = static_cast<AckBase>(n.base);
      g.ack = n.value;
    } else if (l.eat_keyword("win")) {
      if (seen_win) return l.error_at(at, "one 'win' per segment");
      seen_win = true;
      SYNFIN_RETURN_IF_ERROR(l.unsigned_number("a window", UINT16_MAX, v));
      g.window = static_cast<uint16_t>(v);
    } else if (l.eat_keyword("urg")) {
      if (seen_urg) return l.error_at(at, "one 'urg' per segment");
      seen_urg = true;
      SYNFIN_RETURN_IF_ERROR(l.unsigned_number("an urgent pointer", UINT16_MAX, v));
      g.urgent_pointer = static_cast<uint16_t>(v);
    } else {
      break;
    }
  }
  bool options = false;
  if (l.peek() == '<') {
    SYNFIN_RETURN_IF_ERROR(parse_options(l, g.options, nullptr));
    options = true;
  }
  if (l.eat_keyword("spoof")) {
    l.skip_ws();
    const size_t at = l.pos;
    const std::string_view kind = l.token();
    bool known = false;
    for (int i = 1; i < kNumSpoofs; ++i) {
      if (kind == kSpoofNames[i]) g.spoof = static_cast<Spoof>(i), known = true;
    }
    if (!known) return l.error_at(at, "a spoof kind (src-port, dst-port or src-addr)");
    return l.end();
  }
  if (l.at_end()) return absl::OkStatus();
  return l.error(options ? "'spoof' or end of line"
                         : "'ack', 'win', 'urg', an option list, 'spoof' or end of line");
}

// Everything after ">": flags, range, ack, win, options or "...".
absl::Status parse_expected(Line& l, ExpectedSegment& e) {
  e = ExpectedSegment();
  SYNFIN_RETURN_IF_ERROR(parse_flags(l, e.flags));
  uint64_t start = 0, end = 0, len = 0, v = 0;
  SYNFIN_RETURN_IF_ERROR(l.unsigned_number("a sequence number", UINT32_MAX, start));
  SYNFIN_RETURN_IF_ERROR(l.expect(':'));
  l.skip_ws();
  const size_t end_at = l.pos;
  SYNFIN_RETURN_IF_ERROR(l.unsigned_number("a sequence number", UINT32_MAX, end));
  SYNFIN_RETURN_IF_ERROR(l.expect('('));
  SYNFIN_RETURN_IF_ERROR(l.unsigned_number("a payload length", UINT16_MAX, len));
  SYNFIN_RETURN_IF_ERROR(l.expect(')'));
  const uint32_t want = static_cast<uint32_t>(start + len);
  if (want != end) {
    return l.error_at(end_at, absl::StrCat("end ", want, " (start + length ", len, ")"));
  }
  e.seq = static_cast<uint32_t>(start);
  e.payload_len = static_cast<uint16_t>(len);
  for (;;) {
    l.skip_ws();
    const size_t at = l.pos;
    if (l.eat_keyword("ack")) {
      if (e.check_ack) return l.error_at(at, "one 'ack' per segment");
      SYNFIN_RETURN_IF_ERROR(l.unsigned_number("an acknowledgment number", UINT32_MAX, v));
      e.check_ack = true;
      e.ack = static_cast<uint32_t>(v);
    } else if (l.eat_keyword("win")) {
      if (e.check_window) return l.error_at(at, "one 'win' per segment");
      SYNFIN_RETURN_IF_ERROR(l.unsigned_number("a window", UINT16_MAX, v));
      e.check_window = true;
      e.window = static_cast<uint16_t>(v);
    } else {
      break;
    }
  }
  if (l.peek() == '<') {
    bool wildcard = false;
    SYNFIN_RETURN_IF_ERROR(parse_options(l, e.options, &wildcard));
    e.check_options = !wildcard;
    return l.end();
  }
  if (l.eat_literal("...")) return l.end();
  if (l.at_end()) return absl::OkStatus();
  return l.error("'ack', 'win', an option list, '...' or end of line");
}

// ---------------------------------------------------------------------------
// The parser proper.

struct Arg {
  size_t begin = 0, end = 0;  // trimmed, within the line
};

class Parser {
 public:
  explicit Parser(std::string_view file) : file_(file) {}

  absl::StatusOr<Scenario> run(std::string_view text) {
    if (text.size() > kMaxScenarioTextBytes) {
      return absl::InvalidArgumentError(
          absl::StrCat(av(file_), ":1:1: expected at most ", kMaxScenarioTextBytes,
                       " bytes of text, found ", text.size(), " bytes"));
    }
    size_t number = 0;
    while (!text.empty()) {
      ++number;
      const size_t nl = text.find('\n');
      std::string_view raw = text.substr(0, nl);
      text = nl == std::string_view::npos ? std::string_view() : text.substr(nl + 1);
      SYNFIN_RETURN_IF_ERROR(line(number, raw));
    }
    return std::move(s_);
  }

 private:
  static constexpr int64_t kUnbound = -1;  // fd from socket(), not yet listening or connected

  absl::Status line(size_t number, std::string_view raw) {
    // Comments run from '#' or "//" to the end of the line.
    const size_t hash = raw.find('#');
    const size_t slashes = raw.find("//");
    const size_t cut = std::min(hash, slashes);
    Line l(file_, number, raw.substr(0, cut));
    if (cut == hash && hash != std::string_view::npos) {
      // packetdrill's "#ifdef X ... #endif" would otherwise read as comments and
      // silently keep both branches.
      Line c(file_, number, raw);
      c.pos = hash + 1;
      const std::string_view word = c.ident();
      if (raw.find_first_not_of(" \t") == hash &&
          (word == "if" || word == "ifdef" || word == "ifndef" || word == "elif" ||
           word == "else" || word == "endif")) {
        return c.error_at(hash, "a comment (#if blocks are not supported: keep one branch)");
      }
    }
    if (l.at_end()) return absl::OkStatus();
    if (l.text().substr(l.pos, 2) == "--") {
      if (ops_started_) return l.error("an operation (header lines come first)");
      return header(l);
    }
    ops_started_ = true;
    return op_line(l);
  }

  // --------------------------------------------------------------- headers

  absl::Status header(Line& l) {
    const size_t at = l.pos;
    l.pos += 2;
    size_t p = l.pos;
    while (p < l.text().size() && is_word(l.text()[p])) ++p;
    std::string_view name = l.slice(l.pos, p);
    l.pos = p;
    if (name == "ip_version") name = "ip";  // packetdrill's spelling
    std::vector<text_internal::HeaderField> fields = text_internal::header_fields(s_.header);
    text_internal::HeaderFieldRef* ref = nullptr;
    for (auto& f : fields) {
      if (f.name == name) ref = &f.ref;
    }
    const bool known = ref || name == "port" || name == "tolerance_usecs";
    if (!known) return l.error_at(at, "a header line (see harness/SCENARIOS.md)");
    if (!seen_headers_.insert(std::string(name)).second) {
      return l.error_at(at, "each header line once");
    }
    if (!l.eat_literal("=")) return l.error("'=' and a value");
    uint64_t v = 0;
    if (name == "port") {
      SYNFIN_RETURN_IF_ERROR(l.unsigned_number("a port", UINT16_MAX, v));
      port_ = static_cast<uint16_t>(v);
    } else if (name == "tolerance_usecs") {
      // packetdrill's timing slack; virtual time is exact, so it is ignored.
      SYNFIN_RETURN_IF_ERROR(l.unsigned_number("microseconds", UINT64_MAX, v));
    } else {
      SYNFIN_RETURN_IF_ERROR(header_value(l, *ref));
      if (name == "mode") mode_decided_ = true;
    }
    return l.end();
  }

  static absl::Status header_value(Line& l, text_internal::HeaderFieldRef& ref) {
    struct Visitor {
      Line& l;
      absl::Status operator()(Mode* m) {
        return parse_enum(l, {Mode::kEndpoint, Mode::kConnection}, {"endpoint", "connection"}, *m);
      }
      absl::Status operator()(IpFamily* f) {
        return parse_enum(l, {IpFamily::kV4, IpFamily::kV6}, {"ipv4", "ipv6"}, *f);
      }
      absl::Status operator()(bool* b) { return parse_enum(l, {true, false}, {"on", "off"}, *b); }
      absl::Status operator()(TimeWaitSynPolicy* p) {
        return parse_enum(l, {TimeWaitSynPolicy::kStrict, TimeWaitSynPolicy::kReuseIfSeqGreater},
                          {"strict", "reuse"}, *p);
      }
      absl::Status operator()(uint64_t* p) { return parse_unsigned(l, *p); }
      absl::Status operator()(uint32_t* p) { return parse_unsigned(l, *p); }
      absl::Status operator()(uint16_t* p) { return parse_unsigned(l, *p); }
      absl::Status operator()(int* p) {
        int64_t v = 0;
        SYNFIN_RETURN_IF_ERROR(l.signed_number("a number", INT_MIN, INT_MAX, v));
        *p = static_cast<int>(v);
        return absl::OkStatus();
      }
      absl::Status operator()(Duration* d) { return parse_signed_duration(l, *d); }
      absl::Status operator()(text_internal::Probability p) {
        return parse_probability(l, *p.value);
      }
    };
    return std::visit(Visitor{l}, ref);
  }

  // One of two words, e.g. "on"/"off", mapped to the matching value.
  template <typename T>
  static absl::Status parse_enum(Line& l, const T (&values)[2],
                                 const std::string_view (&names)[2], T& out) {
    l.skip_ws();
    const size_t at = l.pos;
    const std::string_view t = l.token();
    for (int k = 0; k < 2; ++k) {
      if (t == names[k]) {
        out = values[k];
        return absl::OkStatus();
      }
    }
    return l.error_at(at, absl::StrCat(av(names[0]), " or ", av(names[1])));
  }

  template <typename T>
  static absl::Status parse_unsigned(Line& l, T& out) {
    uint64_t v = 0;
    SYNFIN_RETURN_IF_ERROR(l.unsigned_number("a number", std::numeric_limits<T>::max(), v));
    out = static_cast<T>(v);
    return absl::OkStatus();
  }

  // ---------------------------------------------------------- op lines

  // "+0.1" (after the previous line), "0.100" (since the start), "+0", "+.5".
  absl::Status time(Line& l, bool& relative, uint64_t& us) {
    constexpr std::string_view kWhat =
        "a time in seconds (+T after the previous line, or T since the start)";
    l.skip_ws();
    const size_t at = l.pos;
    size_t p = l.pos;
    const std::string_view t = l.text();
    relative = p < t.size() && t[p] == '+';
    if (relative) ++p;
    uint64_t whole = 0, frac = 0;
    int digits = 0, decimals = 0;
    bool overflow = false;
    for (; p < t.size() && is_digit(t[p]); ++p, ++digits) {
      const uint64_t d = static_cast<uint64_t>(t[p] - '0');
      if (whole > (UINT64_MAX / 1000000 - d) / 10) overflow = true;
      else whole = whole * 10 + d;
    }
    if (p < t.size() && t[p] == '.') {
      for (++p; p < t.size() && is_digit(t[p]); ++p, ++digits, ++decimals) {
        if (decimals == 6) return l.error_at(at, "a time with at most 6 decimals");
        frac = frac * 10 + static_cast<uint64_t>(t[p] - '0');
      }
    }
    if (digits == 0 || (p < t.size() && !is_space(t[p]))) return l.error_at(at, kWhat);
    for (int k = decimals; k < 6; ++k) frac *= 10;
    if (overflow || whole * 1000000 > UINT64_MAX - frac) {
      return l.error_at(at, "a time below 2^64 microseconds");
    }
    us = whole * 1000000 + frac;
    l.pos = p;
    return absl::OkStatus();
  }

  absl::Status op_line(Line& l) {
    bool relative = false;
    uint64_t t = 0;
    l.skip_ws();
    const size_t time_at = l.pos;
    SYNFIN_RETURN_IF_ERROR(time(l, relative, t));
    uint64_t gap = t;
    if (!relative) {
      if (clock_overflow_) {
        return l.error_at(time_at, "a relative time (+T): the clock is past 2^64 microseconds");
      }
      if (t < now_) {
        return l.error_at(time_at,
                          absl::StrCat("a time at or after the previous line's ", seconds(now_)));
      }
      gap = t - now_;
    }
    l.skip_ws();
    if (!mode_decided_) {
      // Without --mode, the first line that is not a wait decides.
      Line peek = l;
      const std::string_view first = peek.token();
      if (first != "wait") {
        const bool connection =
            first == "c" || first == "s" || first == "fault" || first == "partition";
        s_.header.mode = connection ? Mode::kConnection : Mode::kEndpoint;
        mode_decided_ = true;
      }
    }
    std::optional<Op> op;
    bool wait = false;
    if (s_.header.mode == Mode::kEndpoint) {
      SYNFIN_RETURN_IF_ERROR(endpoint_op(l, op, wait));
    } else {
      SYNFIN_RETURN_IF_ERROR(connection_op(l, op, wait));
    }
    // A wait line is a wait of exactly its gap, even +0; any other line is
    // preceded by a wait of its gap when there is one.
    if (wait || gap > 0) {
      Op w;
      w.kind = OpKind::kWait;
      w.amount = gap;
      SYNFIN_RETURN_IF_ERROR(push(l, w));
    }
    if (op) SYNFIN_RETURN_IF_ERROR(push(l, *op));
    if (now_ > UINT64_MAX - gap) clock_overflow_ = true;
    now_ += gap;
    return absl::OkStatus();
  }

  absl::Status push(Line& l, const Op& op) {
    if (s_.ops.size() >= kMaxScenarioOps) {
      return l.error_at(0, absl::StrCat("at most ", kMaxScenarioOps, " operations"));
    }
    s_.ops.push_back(op);
    return absl::OkStatus();
  }

  // --------------------------------------------------------- endpoint mode

  absl::Status endpoint_op(Line& l, std::optional<Op>& op, bool& wait) {
    const size_t at = l.pos;
    const char c = l.peek();
    if (c == '<' || c == '>') {
      ++l.pos;
      if (!is_space(l.peek())) {
        return l.error("a space after the direction (packetdrill's [...] annotations are not supported)");
      }
      op.emplace();
      if (c == '<') {
        op->kind = OpKind::kInject;
        return parse_injected(l, op->segment);
      }
      op->kind = OpKind::kExpect;
      return parse_expected(l, op->expected);
    }
    if (c == '`') return l.error("an operation (shell commands are not supported)");
    const std::string_view word = l.ident();
    if (word == "wait") {
      wait = true;
      return l.end();
    }
    if (word == "fault" || word == "partition") {
      return l.error_at(at, "an endpoint operation (fault and partition lines need --mode=connection)");
    }
    if (word == "await") {
      Op& o = op.emplace();
      o.kind = OpKind::kAwait;
      return parse_await(l, o);
    }
    if ((word == "c" || word == "s") && is_space(l.peek())) {
      return l.error_at(at, "an endpoint operation (host prefixes need --mode=connection)");
    }
    l.skip_ws();
    if (word.empty() || l.peek() != '(') {
      return l.error_at(at, "an operation (a packet '<' or '>', a system call, or wait)");
    }
    return syscall(l, at, word, op);
  }

  absl::Status syscall(Line& l, size_t name_at, std::string_view name, std::optional<Op>& op) {
    std::vector<Arg> args;
    SYNFIN_RETURN_IF_ERROR(call_args(l, args));
    const size_t close_paren = l.pos - 1;
    auto arity = [&](size_t n, std::string_view shape) -> absl::Status {
      if (args.size() == n) return absl::OkStatus();
      return l.error_at(close_paren, absl::StrCat(n, " arguments ", av(shape)));
    };
    std::optional<int64_t> ret;
    auto make = [&](OpKind k) -> Op& {
      op.emplace();
      op->kind = k;
      return *op;
    };
    if (name == "socket") {
      size_t ret_at = 0;
      SYNFIN_RETURN_IF_ERROR(result(l, true, ret, &ret_at));
      if (*ret < 0 || *ret > INT32_MAX) return l.error_at(ret_at, "the new socket's fd");
      fds_[*ret] = kUnbound;
      return l.end();
    }
    if (name == "bind" || name == "setsockopt" || name == "getsockopt" || name == "fcntl") {
      SYNFIN_RETURN_IF_ERROR(result(l, false, ret));
      return l.end();
    }
    if (name == "listen" || name == "connect") {
      if (args.empty()) {
        return arity(name == "listen" ? 2 : 3,
                     name == "listen" ? "(fd, backlog)" : "(fd, address, length)");
      }
      uint64_t fd = 0;
      SYNFIN_RETURN_IF_ERROR(arg_number(l, args[0], "a file descriptor", INT32_MAX, fd));
      SYNFIN_RETURN_IF_ERROR(result(l, false, ret));
      Op& o = make(name == "listen" ? OpKind::kListen : OpKind::kConnect);
      o.port = port_;
      if (l.eat_keyword("port")) {
        uint64_t p = 0;
        SYNFIN_RETURN_IF_ERROR(l.unsigned_number("a port", UINT16_MAX, p));
        o.port = static_cast<uint16_t>(p);
      }
      fds_[static_cast<int64_t>(fd)] = next_socket_++;
      return l.end();
    }
    if (name == "accept") {
      if (args.empty()) return arity(3, "(listening fd, address, length)");
      size_t ret_at = 0;
      SYNFIN_RETURN_IF_ERROR(result(l, true, ret, &ret_at));
      if (*ret > INT32_MAX) return l.error_at(ret_at, "the accepted socket's fd");
      make(OpKind::kAccept);
      if (*ret >= 0) fds_[*ret] = next_socket_;
      ++next_socket_;
      return l.end();
    }
    const bool write = name == "write" || name == "send";
    if (write || name == "read" || name == "recv") {
      const bool socket_call = name == "send" || name == "recv";
      SYNFIN_RETURN_IF_ERROR(arity(socket_call ? 4 : 3, socket_call
                                                            ? "(fd, buffer, length, flags)"
                                                            : "(fd, buffer, count)"));
      Op& o = make(write ? OpKind::kSend : OpKind::kRecv);
      SYNFIN_RETURN_IF_ERROR(socket_of(l, args[0], o.socket));
      SYNFIN_RETURN_IF_ERROR(arg_number(l, args[2], "a byte count", UINT64_MAX, o.amount));
      SYNFIN_RETURN_IF_ERROR(result(l, false, ret));
      return l.end();
    }
    if (name == "shutdown") {
      SYNFIN_RETURN_IF_ERROR(arity(2, "(fd, SHUT_WR)"));
      Op& o = make(OpKind::kShutdown);
      SYNFIN_RETURN_IF_ERROR(socket_of(l, args[0], o.socket));
      if (l.slice(args[1].begin, args[1].end) != "SHUT_WR") {
        return l.error_at(args[1].begin, "SHUT_WR (the model shuts down the sending side only)");
      }
      SYNFIN_RETURN_IF_ERROR(result(l, false, ret));
      return l.end();
    }
    if (name == "close" || name == "abort") {
      SYNFIN_RETURN_IF_ERROR(arity(1, "(fd)"));
      if (unbound(l, args[0])) {
        // A socket that never listened or connected has no TCB: nothing to do.
        SYNFIN_RETURN_IF_ERROR(result(l, false, ret));
        return l.end();
      }
      Op& o = make(name == "close" ? OpKind::kClose : OpKind::kAbort);
      SYNFIN_RETURN_IF_ERROR(socket_of(l, args[0], o.socket));
      SYNFIN_RETURN_IF_ERROR(result(l, false, ret));
      return l.end();
    }
    return l.error_at(name_at,
                      "a system call (socket, bind, listen, accept, connect, write, send, read, "
                      "recv, shutdown, close, abort, setsockopt, getsockopt or fcntl)");
  }

  // "(a, [b, c], d)": top-level comma-separated arguments, trimmed.
  absl::Status call_args(Line& l, std::vector<Arg>& args) {
    SYNFIN_RETURN_IF_ERROR(l.expect('('));
    const std::string_view t = l.text();
    size_t begin = l.pos;
    int depth = 0;
    auto finish = [&](size_t end) -> absl::Status {
      size_t b = begin, e = end;
      while (b < e && is_space(t[b])) ++b;
      while (e > b && is_space(t[e - 1])) --e;
      if (b == e) return l.error_at(b, "an argument");
      args.push_back({b, e});
      return absl::OkStatus();
    };
    for (;; ++l.pos) {
      if (l.pos >= t.size()) return l.error("')'");
      const char c = t[l.pos];
      if (c == '(' || c == '[' || c == '{') {
        ++depth;
      } else if (c == ')' || c == ']' || c == '}') {
        if (depth > 0) {
          --depth;
          continue;
        }
        if (c != ')') return l.error("')'");
        // "f()" has no arguments; "f(a, )" has an empty one.
        const bool none = args.empty() && l.slice(begin, l.pos).find_first_not_of(" \t") ==
                                              std::string_view::npos;
        if (!none) SYNFIN_RETURN_IF_ERROR(finish(l.pos));
        ++l.pos;
        return absl::OkStatus();
      } else if (c == ',' && depth == 0) {
        SYNFIN_RETURN_IF_ERROR(finish(l.pos));
        begin = l.pos + 1;
      }
    }
  }

  // "= 0", "= -1 EINPROGRESS (Operation now in progress)", "= 0x02 (flags O_RDWR)".
  // The runner computes results, so only socket() and accept() keep theirs: the fd.
  absl::Status result(Line& l, bool required, std::optional<int64_t>& value,
                      size_t* value_at = nullptr) {
    if (!l.eat('=')) {
      if (required) return l.error("'=' and the new fd");
      return absl::OkStatus();
    }
    l.skip_ws();
    if (value_at) *value_at = l.pos;
    if (l.eat_literal("0x") || l.eat_literal("0X")) {
      const size_t at = l.pos;
      uint64_t v = 0;
      while (is_hex(l.peek())) {
        if (v >> 60) return l.error_at(at, "a hex number below 2^64");
        v = v * 16 + static_cast<uint64_t>(hex_value(l.peek()));
        ++l.pos;
      }
      if (l.pos == at || is_word(l.peek())) return l.error_at(at, "hex digits");
      value = static_cast<int64_t>(v);
    } else {
      // Byte counts go up to 2^64 - 1; only fds are ever read back, so larger
      // values saturate.
      const bool negative = l.peek() == '-';
      if (negative) ++l.pos;
      uint64_t mag = 0;
      SYNFIN_RETURN_IF_ERROR(l.unsigned_number("a result", negative ? uint64_t{1} << 63 : UINT64_MAX, mag));
      value = negative ? static_cast<int64_t>(uint64_t{0} - mag)
                       : static_cast<int64_t>(std::min<uint64_t>(mag, INT64_MAX));
    }
    // An errno name ("EINPROGRESS"), then free text in parentheses.
    l.skip_ws();
    if (l.peek() >= 'A' && l.peek() <= 'Z') {
      while (l.peek() == '_' || (l.peek() >= 'A' && l.peek() <= 'Z') || is_digit(l.peek())) ++l.pos;
    }
    if (l.eat('(')) {
      // Free text such as an errno's description, up to the matching ')'.
      for (int depth = 0;; ++l.pos) {
        if (l.pos >= l.text().size()) return l.error("')'");
        if (l.peek() == '(') ++depth;
        if (l.peek() == ')' && depth-- == 0) break;
      }
      ++l.pos;
    }
    return absl::OkStatus();
  }

  absl::Status arg_number(Line& l, const Arg& a, std::string_view what, uint64_t max,
                          uint64_t& out) {
    const size_t saved = l.pos;
    l.pos = a.begin;
    absl::Status st = l.unsigned_number(what, max, out);
    if (st.ok() && l.pos != a.end) st = l.error_at(a.begin, what);
    l.pos = saved;
    return st;
  }

  // Whether the argument is an fd from socket() not yet listened on or connected.
  bool unbound(const Line& l, const Arg& a) const {
    const std::string_view t = l.slice(a.begin, a.end);
    int64_t fd = 0;
    for (char c : t) {
      if (!is_digit(c) || fd > INT32_MAX) return false;
      fd = fd * 10 + (c - '0');
    }
    const auto it = fds_.find(fd);
    return !t.empty() && it != fds_.end() && it->second == kUnbound;
  }

  // The socket index a script's fd stands for: the binding made by listen,
  // connect or accept, else fd - 3 (the printer's numbering).
  absl::Status socket_of(Line& l, const Arg& a, uint8_t& out) {
    uint64_t fd = 0;
    SYNFIN_RETURN_IF_ERROR(arg_number(l, a, "a file descriptor", INT32_MAX, fd));
    int64_t index = static_cast<int64_t>(fd) - 3;
    if (auto it = fds_.find(static_cast<int64_t>(fd)); it != fds_.end()) {
      if (it->second == kUnbound) return l.error_at(a.begin, "a listening or connected socket");
      index = it->second;
    }
    if (index < 0 || index > UINT8_MAX) {
      return l.error_at(a.begin, "the fd of one of the first 256 sockets (3 to 258)");
    }
    out = static_cast<uint8_t>(index);
    return absl::OkStatus();
  }

  // ------------------------------------------------------- connection mode

  absl::Status connection_op(Line& l, std::optional<Op>& op, bool& wait) {
    const size_t at = l.pos;
    if (l.peek() == '<' || l.peek() == '>') {
      return l.error("a connection-mode operation (inject segments with 'c inject' or 's inject')");
    }
    const std::string_view word = l.ident();
    if (word == "wait") {
      wait = true;
      return l.end();
    }
    uint64_t v = 0;
    if (word == "fault") {
      Op& o = op.emplace();
      o.kind = OpKind::kFault;
      int dir = 0;
      SYNFIN_RETURN_IF_ERROR(direction(l, false, dir));
      o.host = static_cast<uint8_t>(dir - 1);
      l.skip_ws();
      const size_t kind_at = l.pos;
      const std::string_view kind = l.ident();
      static constexpr std::string_view kNames[] = {"drop",    "duplicate", "delay",
                                                    "reorder", "corrupt",   "truncate"};
      int k = 0;
      while (k < kNumFaultKinds && kind != kNames[k]) ++k;
      if (k == kNumFaultKinds) {
        return l.error_at(kind_at,
                          "a fault (drop, duplicate, delay, reorder, corrupt or truncate)");
      }
      o.fault = static_cast<FaultKind>(k);
      if (l.at_end()) return absl::OkStatus();  // parameter 0
      if (o.fault == FaultKind::kDuplicate || o.fault == FaultKind::kDelay) {
        bool negative = false;
        SYNFIN_RETURN_IF_ERROR(parse_duration(l, false, negative, o.amount));
      } else {
        SYNFIN_RETURN_IF_ERROR(l.unsigned_number(o.fault == FaultKind::kReorder ? "a packet count"
                                                 : o.fault == FaultKind::kCorrupt
                                                     ? "a bit index"
                                                     : "a byte count",
                                                 UINT64_MAX, o.amount));
      }
      return l.end();
    }
    if (word == "partition") {
      Op& o = op.emplace();
      o.kind = OpKind::kPartition;
      int mask = 0;
      SYNFIN_RETURN_IF_ERROR(direction(l, true, mask));
      o.host = static_cast<uint8_t>(mask);
      bool negative = false;
      SYNFIN_RETURN_IF_ERROR(parse_duration(l, false, negative, o.amount));
      return l.end();
    }
    if ((word == "c" || word == "s") && is_space(l.peek())) {
      Op& o = op.emplace();
      o.host = word == "c" ? 0 : 1;
      l.skip_ws();
      const size_t verb_at = l.pos;
      const std::string_view verb = l.ident();
      if (verb == "listen" || verb == "connect") {
        o.kind = verb == "listen" ? OpKind::kListen : OpKind::kConnect;
        SYNFIN_RETURN_IF_ERROR(l.unsigned_number("a port", UINT16_MAX, v));
        o.port = static_cast<uint16_t>(v);
      } else if (verb == "accept") {
        o.kind = OpKind::kAccept;
      } else if (verb == "send" || verb == "recv") {
        o.kind = verb == "send" ? OpKind::kSend : OpKind::kRecv;
        SYNFIN_RETURN_IF_ERROR(l.unsigned_number("a socket index", UINT8_MAX, v));
        o.socket = static_cast<uint8_t>(v);
        SYNFIN_RETURN_IF_ERROR(l.unsigned_number("a byte count", UINT64_MAX, o.amount));
      } else if (verb == "shutdown" || verb == "close" || verb == "abort") {
        o.kind = verb == "shutdown" ? OpKind::kShutdown
                 : verb == "close"  ? OpKind::kClose
                                    : OpKind::kAbort;
        SYNFIN_RETURN_IF_ERROR(l.unsigned_number("a socket index", UINT8_MAX, v));
        o.socket = static_cast<uint8_t>(v);
      } else if (verb == "inject") {
        o.kind = OpKind::kInject;
        return parse_injected(l, o.segment);
      } else if (verb == "await") {
        o.kind = OpKind::kAwait;
        return parse_await(l, o);
      } else {
        return l.error_at(verb_at, "listen, connect, accept, send, recv, shutdown, close, abort, "
                                   "inject or await");
      }
      return l.end();
    }
    return l.error_at(at, "a connection-mode operation (c, s, fault, partition or wait)");
  }

  // After "await": an RFC 9293 state name and the most time to wait for it.
  absl::Status parse_await(Line& l, Op& o) {
    l.skip_ws();
    const size_t state_at = l.pos;
    const std::string_view name = l.token();
    int s = 0;
    while (s < kNumStates && name != to_string(static_cast<State>(s))) ++s;
    if (s == kNumStates) {
      return l.error_at(state_at, "a state (CLOSED, LISTEN, SYN-SENT, SYN-RECEIVED, ESTABLISHED, "
                                  "FIN-WAIT-1, FIN-WAIT-2, CLOSE-WAIT, CLOSING, LAST-ACK or TIME-WAIT)");
    }
    o.state = static_cast<State>(s);
    bool negative = false;
    SYNFIN_RETURN_IF_ERROR(parse_duration(l, false, negative, o.amount));
    return l.end();
  }

  // "c>s" (1), "s>c" (2), and with `both_ok`, "both" (3).
  absl::Status direction(Line& l, bool both_ok, int& mask) {
    l.skip_ws();
    const size_t at = l.pos;
    const std::string_view t = l.text().substr(l.pos, 4);
    if (t.starts_with("c>s")) mask = 1;
    else if (t.starts_with("s>c")) mask = 2;
    else if (both_ok && t == "both") mask = 3;
    else mask = 0;
    l.pos += mask == 3 ? 4 : 3;
    if (mask == 0 || is_word(l.peek())) {
      l.pos = at;
      return l.error(both_ok ? "a direction (c>s, s>c or both)" : "a direction (c>s or s>c)");
    }
    return absl::OkStatus();
  }

  std::string_view file_;
  Scenario s_;
  bool ops_started_ = false;
  bool mode_decided_ = false;
  absl::flat_hash_set<std::string> seen_headers_;
  uint16_t port_ = kDefaultScriptPort;
  uint64_t now_ = 0;
  bool clock_overflow_ = false;
  // Endpoint scripts: fd -> socket index (kUnbound between socket() and
  // listen/connect), and the index the next listen, connect or accept creates.
  absl::flat_hash_map<int64_t, int64_t> fds_;
  int64_t next_socket_ = 0;
};

#undef SYNFIN_RETURN_IF_ERROR

}  // namespace

absl::StatusOr<Scenario> parse_scenario_text(std::string_view text, std::string_view file_name) {
  return Parser(file_name).run(text);
}

}  // namespace synfin::harness
