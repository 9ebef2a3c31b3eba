// The packetdrill script parser: a cursor over the preprocessed text that reads
// one event at a time (time, then a packet, a syscall, a `shell command` or a
// %{ code }% block), with `--name=value` option lines and C/C++ comments in
// between. Errors name the line and column of the offending token.
#include <cctype>
#include <cstdint>
#include <limits>
#include <string>
#include <string_view>
#include <vector>

#include "absl/strings/str_cat.h"
#include "harness/packetdrill_directive.h"
#include "harness/packetdrill_parse.h"
#include "stack/segment.h"

namespace synfin::harness::pd {
namespace {

#define PD_TRY(expr)                                    \
  do {                                                  \
    if (absl::Status s_ = (expr); !s_.ok()) return s_; \
  } while (0)

constexpr size_t kMaxScriptBytes = size_t{1} << 20;
constexpr size_t kMaxEvents = 100000;

absl::string_view av(std::string_view s) { return absl::string_view(s.data(), s.size()); }

bool is_ident_start(char c) { return std::isalpha(static_cast<unsigned char>(c)) || c == '_'; }
bool is_ident(char c) { return std::isalnum(static_cast<unsigned char>(c)) || c == '_'; }
bool is_digit(char c) { return c >= '0' && c <= '9'; }

class Parser {
 public:
  Parser(std::string_view text, std::string_view file) : t_(text), file_(file) {
    line_starts_.push_back(0);
    for (size_t i = 0; i < t_.size(); ++i) {
      if (t_[i] == '\n') line_starts_.push_back(i + 1);
    }
  }

  absl::StatusOr<Script> run() {
    Script script;
    script.file = std::string(file_);
    for (;;) {
      PD_TRY(skip_space(true));
      if (p_ >= t_.size()) break;
      if (t_.compare(p_, 2, "--") == 0) {
        ScriptOption o;
        PD_TRY(read_option(o));
        script.options.push_back(std::move(o));
        continue;
      }
      if (script.events.size() >= kMaxEvents) return err("at most 100000 events");
      Event e;
      PD_TRY(read_event(e));
      script.events.push_back(std::move(e));
    }
    return script;
  }

 private:
  // ---- Positions and errors ----
  SourcePos pos_at(size_t off) const {
    size_t lo = 0, hi = line_starts_.size();
    while (hi - lo > 1) {
      const size_t mid = (lo + hi) / 2;
      (line_starts_[mid] <= off ? lo : hi) = mid;
    }
    return SourcePos{static_cast<int>(lo) + 1, static_cast<int>(off - line_starts_[lo]) + 1};
  }
  std::string found_at(size_t off) const {
    if (off >= t_.size() || t_[off] == '\n') return "end of line";
    size_t end = off;
    if (is_ident(t_[off])) {
      while (end < t_.size() && is_ident(t_[end])) ++end;
    } else {
      ++end;
    }
    return std::string(t_.substr(off, end - off));
  }
  absl::Status err_at(size_t off, std::string_view expected) const {
    const SourcePos p = pos_at(off);
    const std::string f = found_at(off);
    return absl::InvalidArgumentError(absl::StrCat(av(file_), ":", p.line, ":", p.col, ": expected ",
                                                   av(expected), ", found ",
                                                   f == "end of line" ? f : "'" + f + "'"));
  }
  absl::Status err(std::string_view expected) const { return err_at(p_, expected); }

  char peek(size_t ahead = 0) const { return p_ + ahead < t_.size() ? t_[p_ + ahead] : '\0'; }

  // Skips blanks and comments; newlines too when `lines` (between events).
  absl::Status skip_space(bool lines) {
    for (;;) {
      const char c = peek();
      if (c == ' ' || c == '\t' || c == '\r' || c == '\f' || c == '\v' || (lines && c == '\n')) {
        ++p_;
      } else if (c == '/' && peek(1) == '/') {
        while (p_ < t_.size() && t_[p_] != '\n') ++p_;
      } else if (c == '/' && peek(1) == '*') {
        const size_t end = t_.find("*/", p_ + 2);
        if (end == std::string_view::npos) return err("the end of this /* comment */");
        if (!lines && t_.substr(p_, end - p_).find('\n') != std::string_view::npos) {
          // A comment that spans lines ends the line it starts on.
          return absl::OkStatus();
        }
        p_ = end + 2;
      } else {
        return absl::OkStatus();
      }
    }
  }
  void ws() { (void)skip_space(false); }
  bool eat(char c) {
    ws();
    if (peek() != c) return false;
    ++p_;
    return true;
  }
  absl::Status expect(char c, std::string_view what) {
    if (!eat(c)) return err(what);
    return absl::OkStatus();
  }
  bool eat_word(std::string_view w) {
    ws();
    if (t_.compare(p_, w.size(), w) != 0) return false;
    if (p_ + w.size() < t_.size() && is_ident(t_[p_ + w.size()])) return false;
    p_ += w.size();
    return true;
  }
  std::string_view ident() {
    ws();
    if (!is_ident_start(peek())) return {};
    const size_t s = p_;
    while (p_ < t_.size() && is_ident(t_[p_])) ++p_;
    return t_.substr(s, p_ - s);
  }
  // A non-negative integer (decimal or 0x hex) that fits in `max`.
  absl::Status read_uint(uint64_t max, std::string_view what, uint64_t& out) {
    ws();
    const size_t s = p_;
    uint64_t v = 0;
    if (peek() == '0' && (peek(1) == 'x' || peek(1) == 'X') && std::isxdigit(static_cast<unsigned char>(peek(2)))) {
      p_ += 2;
      while (std::isxdigit(static_cast<unsigned char>(peek()))) {
        const char c = static_cast<char>(std::tolower(static_cast<unsigned char>(peek())));
        v = v * 16 + static_cast<uint64_t>(is_digit(c) ? c - '0' : c - 'a' + 10);
        if (v > max) return err_at(s, absl::StrCat(av(what), " (at most ", max, ")"));
        ++p_;
      }
    } else {
      if (!is_digit(peek())) return err(what);
      while (is_digit(peek())) {
        v = v * 10 + static_cast<uint64_t>(peek() - '0');
        if (v > max) return err_at(s, absl::StrCat(av(what), " (at most ", max, ")"));
        ++p_;
      }
    }
    if (is_ident(peek())) return err_at(s, what);
    out = v;
    return absl::OkStatus();
  }
  template <typename T>
  absl::Status read_num(std::string_view what, T& out) {
    uint64_t v = 0;
    PD_TRY(read_uint(std::numeric_limits<T>::max(), what, v));
    out = static_cast<T>(v);
    return absl::OkStatus();
  }

  // ---- Options and times ----
  absl::Status read_option(ScriptOption& o) {
    o.pos = pos_at(p_);
    p_ += 2;
    const size_t s = p_;
    while (p_ < t_.size() && (is_ident(t_[p_]) || t_[p_] == '-')) ++p_;
    if (p_ == s) return err("an option name after --");
    o.name = std::string(t_.substr(s, p_ - s));
    if (peek() == '=') {
      ++p_;
      const size_t v = p_;
      while (p_ < t_.size() && t_[p_] != '\n' && t_[p_] != ' ' && t_[p_] != '\t' && t_[p_] != '\r') ++p_;
      o.value = std::string(t_.substr(v, p_ - v));
    }
    ws();
    if (peek() != '\n' && peek() != '\0') return err("end of line after the option");
    return absl::OkStatus();
  }

  // Seconds with up to six decimals: "1", "0.25", ".1".
  absl::Status read_seconds(int64_t& us) {
    ws();
    const size_t s = p_;
    int64_t whole = 0;
    bool any = false;
    while (is_digit(peek())) {
      whole = whole * 10 + (peek() - '0');
      if (whole > 100000000) return err_at(s, "a time of at most 100000000 seconds");
      ++p_;
      any = true;
    }
    int64_t frac = 0;
    int digits = 0;
    if (peek() == '.' && is_digit(peek(1))) {
      ++p_;
      while (is_digit(peek())) {
        if (digits == 6) return err("at most 6 decimals (microseconds)");
        frac = frac * 10 + (peek() - '0');
        ++digits;
        ++p_;
        any = true;
      }
    }
    if (!any) return err_at(s, "a time");
    while (digits < 6) frac *= 10, ++digits;
    us = whole * 1000000 + frac;
    return absl::OkStatus();
  }

  absl::Status read_time(EventTime& t) {
    ws();
    if (eat('*')) {
      t.kind = EventTime::Kind::kAny;
      return absl::OkStatus();
    }
    t.kind = eat('+') ? EventTime::Kind::kRelative : EventTime::Kind::kAbsolute;
    PD_TRY(read_seconds(t.us));
    ws();
    if (peek() == '~' || (peek() == '.' && peek(1) == '.' && peek(2) == '.')) {
      t.blocking = peek() == '.';
      p_ += t.blocking ? 3 : 1;
      const bool plus = eat('+');
      int64_t end = 0;
      PD_TRY(read_seconds(end));
      // "+a...+b": b after a; "+a...b" and "a...b": b in the start's base.
      t.end_us = plus ? t.us + end : end;
      if (*t.end_us < t.us) return err("a range end not before its start");
    }
    return absl::OkStatus();
  }

  // ---- Events ----
  absl::Status read_event(Event& e) {
    e.pos = pos_at(p_);
    if (!is_digit(peek()) && peek() != '+' && peek() != '*' && peek() != '.') {
      return err("a time (or an --option line)");
    }
    PD_TRY(read_time(e.time));
    ws();
    const char c = peek();
    if (c == '<' || c == '>') {
      PacketSpec pk;
      PD_TRY(read_packet(pk));
      e.body = std::move(pk);
    } else if (c == '`') {
      const size_t end = t_.find('`', p_ + 1);
      if (end == std::string_view::npos) return err("the closing ` of this command");
      e.body = CommandSpec{std::string(t_.substr(p_ + 1, end - p_ - 1))};
      p_ = end + 1;
    } else if (c == '%' && peek(1) == '{') {
      const size_t end = t_.find("}%", p_ + 2);
      if (end == std::string_view::npos) return err("the closing }% of this block");
      e.body = CodeSpec{std::string(t_.substr(p_ + 2, end - p_ - 2))};
      p_ = end + 2;
    } else if (is_ident_start(c)) {
      SyscallSpec sc;
      PD_TRY(read_syscall(sc));
      e.body = std::move(sc);
    } else {
      return err("a packet ('<' or '>'), a system call, a `command` or a %{ block }%");
    }
    ws();
    if (peek() != '\n' && peek() != '\0' && !(peek() == '/' && peek(1) == '*')) {
      return err("end of line");
    }
    return absl::OkStatus();
  }

  absl::Status read_packet(PacketSpec& pk) {
    pk.inbound = t_[p_] == '<';
    ++p_;
    ws();
    if (peek() == '[') {
      const size_t end = t_.find(']', p_);
      if (end == std::string_view::npos || t_.substr(p_, end - p_).find('\n') != std::string_view::npos) {
        return err("']' closing the IP annotation");
      }
      pk.ip_annotation = std::string(t_.substr(p_, end + 1 - p_));
      p_ = end + 1;
    }
    PD_TRY(read_flags(pk.flags));
    ws();
    if (t_.compare(p_, 3, "...") == 0) {
      p_ += 3;
      pk.seq_any = true;
    } else {
      uint32_t end = 0;
      PD_TRY(read_num("a sequence number (start:end(len))", pk.seq));
      PD_TRY(expect(':', "':' in start:end(len)"));
      const size_t end_at = (ws(), p_);
      PD_TRY(read_num("the end sequence number", end));
      pk.len = end - pk.seq;
      if (!eat('(')) return err("'(' before the payload length");
      uint32_t len = 0;
      PD_TRY(read_num("a payload length", len));
      if (len != pk.len) return err_at(end_at, absl::StrCat("end = start + len (", pk.seq + len, ")"));
      PD_TRY(expect(')', "')' after the payload length"));
      return read_packet_clauses(pk);
    }
    PD_TRY(expect('(', "'(' before the payload length"));
    PD_TRY(read_num("a payload length", pk.len));
    PD_TRY(expect(')', "')' after the payload length"));
    return read_packet_clauses(pk);
  }

  absl::Status read_flags(uint16_t& flags) {
    ws();
    const size_t s = p_;
    if (eat_word("none")) return absl::OkStatus();
    while (p_ < t_.size()) {
      const char c = t_[p_];
      uint16_t bit = 0;
      switch (c) {
        case 'S': bit = Flags::kSyn; break;
        case 'F': bit = Flags::kFin; break;
        case 'R': bit = Flags::kRst; break;
        case 'P': bit = Flags::kPsh; break;
        case '.': bit = Flags::kAck; break;
        case 'U': bit = Flags::kUrg; break;
        case 'E': bit = Flags::kEce; break;
        case 'W': bit = Flags::kCwr; break;
        default: break;
      }
      if (!bit) break;
      if (c == '.' && t_.compare(p_, 3, "...") == 0) break;
      if (flags & bit) return err(absl::StrCat("each flag at most once"));
      flags |= bit;
      ++p_;
    }
    if (p_ == s) return err("TCP flags (S F R P . U E W)");
    if (p_ < t_.size() && !(t_[p_] == ' ' || t_[p_] == '\t')) return err("TCP flags (S F R P . U E W)");
    return absl::OkStatus();
  }

  absl::Status read_packet_clauses(PacketSpec& pk) {
    for (;;) {
      ws();
      if (eat_word("ack")) {
        uint32_t v = 0;
        PD_TRY(read_num("an acknowledgment number", v));
        pk.ack = v;
      } else if (eat_word("win")) {
        uint32_t v = 0;
        PD_TRY(read_num("a window", v));
        pk.win = v;
      } else if (eat_word("urg")) {
        uint32_t v = 0;
        PD_TRY(read_num("an urgent pointer", v));
        pk.urg = v;
      } else {
        break;
      }
    }
    ws();
    if (peek() == '<') {
      ++p_;
      ws();
      if (t_.compare(p_, 3, "...") == 0) {
        p_ += 3;
        pk.options_mode = PacketSpec::Options::kAny;
        PD_TRY(expect('>', "'>' after <..."));
        return absl::OkStatus();
      }
      pk.options_mode = PacketSpec::Options::kList;
      if (eat('>')) return absl::OkStatus();
      do {
        OptionSpec o;
        PD_TRY(read_tcp_option(o));
        pk.options.push_back(std::move(o));
      } while (eat(','));
      PD_TRY(expect('>', "',' or '>' in the option list"));
    }
    return absl::OkStatus();
  }

  absl::Status read_tcp_option(OptionSpec& o) {
    ws();
    o.pos = pos_at(p_);
    using K = OptionSpec::Kind;
    if (eat_word("nop")) {
      o.kind = K::kNop;
    } else if (eat_word("eol")) {
      o.kind = K::kEol;
    } else if (eat_word("mss")) {
      o.kind = K::kMss;
      PD_TRY(read_num<uint32_t>("an MSS", o.a));
      if (o.a > 65535) return err("an MSS of at most 65535");
    } else if (eat_word("wscale")) {
      o.kind = K::kWscale;
      PD_TRY(read_num<uint32_t>("a window scale shift", o.a));
      if (o.a > 255) return err("a window scale of at most 255");
    } else if (eat_word("sackOK")) {
      o.kind = K::kSackOk;
    } else if (eat_word("sack")) {
      o.kind = K::kSack;
      ws();
      while (is_digit(peek())) {
        uint32_t l = 0, r = 0;
        PD_TRY(read_num("a SACK block's left edge", l));
        PD_TRY(expect(':', "':' in a SACK block"));
        PD_TRY(read_num("a SACK block's right edge", r));
        o.blocks.emplace_back(l, r);
        ws();
      }
      if (o.blocks.empty()) return err("a SACK block L:R");
      if (o.blocks.size() > 4) return err_at(p_, "at most 4 SACK blocks");
    } else if (eat_word("TS")) {
      o.kind = K::kTimestamp;
      if (!eat_word("val")) return err("'val' in TS val N ecr N");
      PD_TRY(read_num("a timestamp value", o.a));
      if (!eat_word("ecr")) return err("'ecr' in TS val N ecr N");
      PD_TRY(read_num("a timestamp echo reply", o.b));
    } else {
      return err("a TCP option (mss, wscale, sackOK, sack, TS, nop, eol)");
    }
    return absl::OkStatus();
  }

  absl::Status read_syscall(SyscallSpec& sc) {
    sc.name = std::string(ident());
    PD_TRY(expect('(', "'(' after the system call name"));
    ws();
    if (!eat(')')) {
      do {
        Expr e;
        PD_TRY(read_expr(e));
        sc.args.push_back(std::move(e));
      } while (eat(','));
      PD_TRY(expect(')', "',' or ')' in the argument list"));
    }
    PD_TRY(expect('=', "'=' and the expected result"));
    PD_TRY(read_expr(sc.result));
    ws();
    if (is_ident_start(peek())) sc.errno_name = std::string(ident());
    ws();
    if (peek() == '(') {
      int depth = 0;
      const size_t s = p_;
      while (p_ < t_.size() && t_[p_] != '\n') {
        if (t_[p_] == '(') ++depth;
        if (t_[p_] == ')' && --depth == 0) break;
        ++p_;
      }
      if (depth != 0) return err("')' closing the note");
      sc.note = std::string(t_.substr(s + 1, p_ - s - 1));
      ++p_;
    }
    return absl::OkStatus();
  }

  absl::Status read_expr(Expr& e) {
    Expr first;
    PD_TRY(read_primary(first));
    if (!eat('|')) {
      e = std::move(first);
      return absl::OkStatus();
    }
    e.kind = Expr::Kind::kOr;
    e.pos = first.pos;
    e.items.push_back(std::move(first));
    do {
      Expr next;
      PD_TRY(read_primary(next));
      e.items.push_back(std::move(next));
    } while (eat('|'));
    return absl::OkStatus();
  }

  absl::Status read_primary(Expr& e) {
    (void)skip_space(true);
    e.pos = pos_at(p_);
    const char c = peek();
    if (t_.compare(p_, 3, "...") == 0) {
      p_ += 3;
      e.kind = Expr::Kind::kEllipsis;
      return absl::OkStatus();
    }
    if (is_digit(c) || (c == '-' && is_digit(peek(1)))) {
      const bool neg = c == '-';
      if (neg) ++p_;
      uint64_t v = 0;
      PD_TRY(read_uint(uint64_t{1} << 62, "a number", v));
      e.kind = Expr::Kind::kInt;
      e.value = neg ? -static_cast<int64_t>(v) : static_cast<int64_t>(v);
      return absl::OkStatus();
    }
    if (is_ident_start(c)) {
      e.kind = Expr::Kind::kSymbol;
      e.text = std::string(ident());
      return absl::OkStatus();
    }
    if (c == '"') {
      const size_t end = t_.find('"', p_ + 1);
      if (end == std::string_view::npos) return err("the closing '\"' of this string");
      e.kind = Expr::Kind::kString;
      e.text = std::string(t_.substr(p_ + 1, end - p_ - 1));
      p_ = end + 1;
      return absl::OkStatus();
    }
    if (c == '[' || c == '{') {
      const char close = c == '[' ? ']' : '}';
      ++p_;
      e.kind = c == '[' ? Expr::Kind::kList : Expr::Kind::kStruct;
      (void)skip_space(true);
      if (peek() == close) {
        ++p_;
        return absl::OkStatus();
      }
      do {
        (void)skip_space(true);
        std::string field;
        if (e.kind == Expr::Kind::kStruct && is_ident_start(peek())) {
          const size_t save = p_;
          const std::string_view name = ident();
          if (eat('=')) {
            field = std::string(name);
          } else {
            p_ = save;
          }
        }
        Expr item;
        PD_TRY(read_expr(item));
        e.items.push_back(std::move(item));
        e.fields.push_back(std::move(field));
        (void)skip_space(true);
      } while (eat(','));
      (void)skip_space(true);
      if (peek() != close) return err(absl::StrCat("',' or '", std::string(1, close), "'"));
      ++p_;
      return absl::OkStatus();
    }
    return err("an argument (a number, a name, ..., [list] or {struct})");
  }

  std::string_view t_;
  std::string_view file_;
  size_t p_ = 0;
  std::vector<size_t> line_starts_;
};

}  // namespace

absl::StatusOr<Script> parse_script(std::string_view text, std::string_view file,
                                    const std::vector<std::string>& defines) {
  if (text.size() > kMaxScriptBytes) {
    return absl::InvalidArgumentError(absl::StrCat(av(file), ":1:1: expected at most 1 MiB of script"));
  }
  absl::StatusOr<std::string> pre = preprocess(text, file, defines);
  if (!pre.ok()) return pre.status();
  Parser parser(*pre, file);
  absl::StatusOr<Script> script = parser.run();
  if (!script.ok()) return script;
  // The synfin-config comment, read from the preprocessed text (so an untaken
  // #ifdef branch's is blank).
  int line = 1;
  for (size_t at = 0; at < pre->size(); ++line) {
    size_t end = pre->find('\n', at);
    if (end == std::string::npos) end = pre->size();
    const std::string_view l = std::string_view(*pre).substr(at, end - at);
    const size_t lead = l.find_first_not_of(" \t");
    if (lead != std::string_view::npos && l.substr(lead).starts_with(kConfigDirective)) {
      const SourcePos pos{line, static_cast<int>(lead) + 1};
      if (script->synfin_config) {
        return absl::InvalidArgumentError(absl::StrCat(av(file), ":", pos.line, ":", pos.col,
                                                       ": expected one synfin-config line, found a second"));
      }
      script->synfin_config = ConfigLine{std::string(l.substr(lead + kConfigDirective.size())), pos};
    }
    at = end + 1;
  }
  return script;
}

}  // namespace synfin::harness::pd
