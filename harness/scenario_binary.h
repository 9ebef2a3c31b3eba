// The binary encoding of scenarios, for fuzzers and corpus files.
//
//   file   := version:u8  header_len:varint  header[header_len]  op*
//   header := (field_id:u8 value:varint)*            defaults for absent fields
//   op     := opcode:u8  len:varint  payload[len]    fields in order, mostly varints
//
// Total: every byte string decodes to a valid scenario, never an error. Missing
// bytes read as zero, enum values are taken modulo their range, and an op whose
// payload runs past the end takes what is there.
// Stable: unknown header fields and unknown opcodes are skipped by their length,
// so corpus files written today keep their meaning as fields and ops are added.
// Canonical: encode() of a decoded scenario is the canonical form, and
// decode(encode(s)) == s for every scenario.
#pragma once

#include <cstdint>
#include <span>
#include <vector>

#include "harness/scenario.h"

namespace synfin::harness {

inline constexpr uint8_t kBinaryVersion = 1;
// The first byte of every binary scenario; text files never start with it.
inline bool looks_binary(std::span<const uint8_t> bytes) {
  return !bytes.empty() && bytes[0] == kBinaryVersion;
}

Scenario decode_scenario(std::span<const uint8_t> bytes);
std::vector<uint8_t> encode_scenario(const Scenario& s);
// Encodes one op (opcode, length, payload) and appends it; the structure-aware
// mutator builds inputs op by op with this.
void encode_op(const Op& op, std::vector<uint8_t>& out);

// Splits the op stream of an encoded scenario into [begin, end) byte ranges, one
// per op (unknown ones included), for mutators that work op by op.
struct OpSpan {
  size_t begin = 0;    // the opcode
  size_t end = 0;      // just past the payload
  size_t payload = 0;  // the first payload byte
};
size_t binary_header_end(std::span<const uint8_t> bytes);
std::vector<OpSpan> split_ops(std::span<const uint8_t> bytes);

}  // namespace synfin::harness
