// Writing fuzz corpus inputs: each file is named by a hash of its content, so
// writing the same input twice leaves one file, and is written atomically (a
// temporary file in the same directory, then a rename), so that a reader never
// sees half a file and an interrupted run leaves no damaged input behind.
#pragma once

#include <cstdint>
#include <span>
#include <string>

#include "absl/status/statusor.h"

namespace synfin::harness {

// 16 hex digits: the 64-bit FNV-1a hash of `bytes`. Stable across runs and
// platforms (unlike absl::Hash, which is seeded per process).
std::string content_name(std::span<const uint8_t> bytes);

// Writes `bytes` to dir/name (creating `dir`). True when the file is new; false
// when a file of that name was already there (named by content, it holds the
// same bytes, and is left alone).
absl::StatusOr<bool> write_corpus_file(const std::string& dir, const std::string& name,
                                       std::span<const uint8_t> bytes);

}  // namespace synfin::harness
