#include "stack/isn.h"

#include <cstring>

namespace synfin {
namespace {

uint64_t load_le64(const uint8_t* p) {
  uint64_t v = 0;
  for (int i = 7; i >= 0; --i) v = (v << 8) | p[i];
  return v;
}

constexpr uint64_t rotl(uint64_t x, int b) { return (x << b) | (x >> (64 - b)); }

struct SipState {
  uint64_t v0, v1, v2, v3;
  void round() {
    v0 += v1; v1 = rotl(v1, 13); v1 ^= v0; v0 = rotl(v0, 32);
    v2 += v3; v3 = rotl(v3, 16); v3 ^= v2;
    v0 += v3; v3 = rotl(v3, 21); v3 ^= v0;
    v2 += v1; v1 = rotl(v1, 17); v1 ^= v2; v2 = rotl(v2, 32);
  }
  void absorb(uint64_t m) {
    v3 ^= m;
    round();
    round();
    v0 ^= m;
  }
};

}  // namespace

uint64_t siphash24(const std::array<uint8_t, 16>& key, const uint8_t* data, size_t len) {
  const uint64_t k0 = load_le64(key.data());
  const uint64_t k1 = load_le64(key.data() + 8);
  SipState s{k0 ^ 0x736f6d6570736575ULL, k1 ^ 0x646f72616e646f6dULL,
             k0 ^ 0x6c7967656e657261ULL, k1 ^ 0x7465646279746573ULL};
  size_t i = 0;
  for (; i + 8 <= len; i += 8) s.absorb(load_le64(data + i));
  // Last block: the remaining bytes, with the length's low byte on top.
  uint64_t last = static_cast<uint64_t>(len & 0xff) << 56;
  for (size_t j = 0; i + j < len; ++j) last |= static_cast<uint64_t>(data[i + j]) << (8 * j);
  s.absorb(last);
  s.v2 ^= 0xff;
  for (int r = 0; r < 4; ++r) s.round();
  return s.v0 ^ s.v1 ^ s.v2 ^ s.v3;
}

namespace {

// F's input: both addresses in full (family included) and both ports, then a tag
// byte telling the ISN's use (0) from the timestamp offset's (1).
uint64_t keyed_tuple_hash(const Rfc6528IsnGenerator::Key& key, const FourTuple& tuple,
                          uint8_t tag) {
  uint8_t buf[2 + 16 + 16 + 4 + 1];
  buf[0] = static_cast<uint8_t>(tuple.local_addr.family);
  buf[1] = static_cast<uint8_t>(tuple.remote_addr.family);
  std::memcpy(buf + 2, tuple.local_addr.bytes.data(), 16);
  std::memcpy(buf + 18, tuple.remote_addr.bytes.data(), 16);
  buf[34] = static_cast<uint8_t>(tuple.local_port >> 8);
  buf[35] = static_cast<uint8_t>(tuple.local_port);
  buf[36] = static_cast<uint8_t>(tuple.remote_port >> 8);
  buf[37] = static_cast<uint8_t>(tuple.remote_port);
  buf[38] = tag;
  // The ISN's input stays the 38 bytes it always was, so ISNs do not change.
  return siphash24(key, buf, tag == 0 ? sizeof buf - 1 : sizeof buf);
}

}  // namespace

uint32_t Rfc6528IsnGenerator::ts_offset(const FourTuple& tuple) {
  return static_cast<uint32_t>(keyed_tuple_hash(key_, tuple, 1));
}

SeqNum Rfc6528IsnGenerator::isn(const FourTuple& tuple, Instant now) {
  const uint32_t f = static_cast<uint32_t>(keyed_tuple_hash(key_, tuple, 0));
  // M: a 4-microsecond clock (RFC 6528 section 3), from virtual time.
  const uint32_t m = static_cast<uint32_t>(static_cast<uint64_t>(now.us) / 4);
  return SeqNum(m + f);
}

}  // namespace synfin
