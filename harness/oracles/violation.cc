#include "harness/oracles/violation.h"

#include "absl/strings/str_format.h"

namespace synfin::harness {

std::string Violation::to_string() const {
  return absl::StrFormat("%s at %s h%d conn %u (event %u): %s", id, format_instant(at), host, conn,
                         event_index, explanation);
}

}  // namespace synfin::harness
