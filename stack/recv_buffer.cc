#include "stack/recv_buffer.h"

#include <algorithm>

#include "absl/strings/str_cat.h"

namespace synfin {

bool RecvBuffer::insert(uint32_t offset, std::span<const uint8_t> data) {
  const size_t room = ring_.free_space();
  if (offset >= room || data.empty()) return true;
  data = data.first(std::min(data.size(), room - offset));
  const uint32_t end = offset + static_cast<uint32_t>(data.size());
  // Write before recording: if the limit then drops the range, the octets sit in
  // free space nobody refers to.
  held_.for_each_gap(offset, end, [&](uint32_t b, uint32_t e) {
    ring_.write_past_tail(b, data.subspan(b - offset, e - b));
  });
  return held_.add(offset, end);
}

void RecvBuffer::commit(uint32_t n) {
  n = std::min(n, held_.ready());
  ring_.commit(n);
  held_.advance(n);
}

size_t RecvBuffer::read(std::span<uint8_t> out) {
  const size_t n = std::min(out.size(), ring_.size());
  ring_.peek(0, out.first(n));
  ring_.pop(n);
  return n;
}

void RecvBuffer::clear() {
  ring_.clear();
  held_.clear();
}

absl::Status RecvBuffer::check_invariants(uint32_t window) const {
  if (window > ring_.free_space()) {
    return absl::InternalError(absl::StrCat("receive buffer: window ", window, " exceeds the ",
                                            ring_.free_space(), " octets of free space (",
                                            ring_.size(), " of ", ring_.limit(), " readable)"));
  }
  return held_.check_invariants(window);
}

}  // namespace synfin
