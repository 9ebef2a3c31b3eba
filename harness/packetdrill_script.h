// A packetdrill script as written: the syntax tree `synfin pd` reads
// (harness/packetdrill_parse.cc) and runs (harness/packetdrill_runner.h).
//
// Unlike the scenario model (harness/scenario.h), this keeps everything a
// script says, including what synfin cannot do (shell commands, Python blocks,
// socket options, errno values), so the runner can check it or say exactly why
// it cannot.
#pragma once

#include <cstdint>
#include <optional>
#include <string>
#include <utility>
#include <variant>
#include <vector>

namespace synfin::harness::pd {

// 1-based line and column (bytes) in the script file.
struct SourcePos {
  int line = 0;
  int col = 0;
};

// When an event happens. packetdrill writes `0.1` (absolute), `+0.1` (after the
// previous event), `*` (any time), `0.1~0.2` (anywhere in the range) and, for a
// blocking call, `0.1...0.2` (starts at 0.1, returns at 0.2).
struct EventTime {
  enum class Kind : uint8_t { kAbsolute, kRelative, kAny };
  Kind kind = Kind::kRelative;
  int64_t us = 0;                 // absolute, or the offset from the previous event
  std::optional<int64_t> end_us;  // the range's end, in the same base as `us`
  bool blocking = false;          // "start...end": the call blocks until end
};

// One TCP option in script order (nop and eol included).
struct OptionSpec {
  enum class Kind : uint8_t { kNop, kEol, kMss, kWscale, kSackOk, kSack, kTimestamp, kRaw };
  Kind kind = Kind::kNop;
  uint32_t a = 0;  // mss / wscale / TS val / raw kind
  uint32_t b = 0;  // TS ecr
  std::vector<std::pair<uint32_t, uint32_t>> blocks;  // sack
  std::vector<uint8_t> data;                           // raw bytes
  SourcePos pos;
};

struct PacketSpec {
  bool inbound = true;  // '<': the script sends; '>': the stack must send
  uint16_t flags = 0;   // synfin::Flags bits
  bool seq_any = false; // "...(len)": any sequence number
  uint32_t seq = 0;     // start, relative (packetdrill numbering)
  uint32_t len = 0;
  std::optional<uint32_t> ack;
  std::optional<uint32_t> win;
  std::optional<uint32_t> urg;
  enum class Options : uint8_t { kNone, kList, kAny };
  Options options_mode = Options::kNone;  // no list / "<...>" list / "<...>" wildcard
  std::vector<OptionSpec> options;
  std::string ip_annotation;  // "[noecn]", "[ect0]"... (inbound only), verbatim
};

// A syscall argument or result expression.
struct Expr {
  enum class Kind : uint8_t { kEllipsis, kInt, kSymbol, kString, kList, kStruct, kOr };
  Kind kind = Kind::kInt;
  int64_t value = 0;        // kInt
  std::string text;         // kSymbol, kString; a kStruct field's name is in `fields`
  std::vector<Expr> items;  // kList, kOr (operands), kStruct (field values)
  std::vector<std::string> fields;  // kStruct: names, parallel to items
  SourcePos pos;
};

struct SyscallSpec {
  std::string name;
  std::vector<Expr> args;
  Expr result;
  std::string errno_name;  // "EINPROGRESS", empty when none
  std::string note;        // the parenthesized text after the result, verbatim
};

struct CommandSpec {
  std::string text;  // between the backquotes
};

struct CodeSpec {
  std::string text;  // between %{ and }%
};

struct Event {
  SourcePos pos;  // of the time
  EventTime time;
  std::variant<PacketSpec, SyscallSpec, CommandSpec, CodeSpec> body;
};

struct ScriptOption {
  std::string name;   // after "--"
  std::string value;  // after "=", empty when none
  SourcePos pos;
};

// A `// synfin-config: --name=value ...` comment (harness/packetdrill_directive.h).
struct ConfigLine {
  std::string fields;  // after the marker
  SourcePos pos;
};

struct Script {
  std::string file;
  std::vector<ScriptOption> options;
  std::optional<ConfigLine> synfin_config;
  std::vector<Event> events;
};

}  // namespace synfin::harness::pd
