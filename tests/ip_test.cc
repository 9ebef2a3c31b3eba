// Tests for IpAddr text forms (RFC 4291 section 2.2 input, RFC 5952 output)
// and FourTuple::to_string.
#include <catch2/catch.hpp>

#include <random>
#include <string>

#include "stack/ip.h"

namespace synfin {
namespace {

IpAddr parse_or_fail(const std::string& text) {
  absl::StatusOr<IpAddr> a = IpAddr::parse(text);
  INFO(text << ": " << a.status().ToString());
  REQUIRE(a.ok());
  return *a;
}

IpAddr v6(std::initializer_list<uint16_t> groups) {
  std::array<uint8_t, 16> b{};
  size_t i = 0;
  for (uint16_t g : groups) {
    b[i++] = static_cast<uint8_t>(g >> 8);
    b[i++] = static_cast<uint8_t>(g);
  }
  return IpAddr::v6(b);
}

TEST_CASE("dotted quads parse and print", "[ip]") {
  CHECK(parse_or_fail("10.0.0.1") == IpAddr::v4(10, 0, 0, 1));
  CHECK(parse_or_fail("0.0.0.0") == IpAddr::v4(0, 0, 0, 0));
  CHECK(parse_or_fail("255.255.255.255") == IpAddr::v4(255, 255, 255, 255));
  CHECK(IpAddr::v4(192, 168, 1, 20).to_string() == "192.168.1.20");
  CHECK(parse_or_fail("10.0.0.1").family == IpFamily::kV4);
}

TEST_CASE("IPv6 text forms parse (RFC 4291 section 2.2)", "[ip]") {
  const IpAddr full = v6({0x2001, 0xdb8, 0, 0, 8, 0x800, 0x200c, 0x417a});
  CHECK(parse_or_fail("2001:DB8:0:0:8:800:200C:417A") == full);
  CHECK(parse_or_fail("2001:0db8:0000:0000:0008:0800:200c:417a") == full);
  CHECK(parse_or_fail("2001:db8::8:800:200c:417a") == full);
  CHECK(parse_or_fail("::") == v6({}));
  CHECK(parse_or_fail("::1") == v6({0, 0, 0, 0, 0, 0, 0, 1}));
  CHECK(parse_or_fail("1::") == v6({1}));
  CHECK(parse_or_fail("1:2:3:4:5:6:7::") == v6({1, 2, 3, 4, 5, 6, 7, 0}));
  CHECK(parse_or_fail("::2:3:4:5:6:7:8") == v6({0, 2, 3, 4, 5, 6, 7, 8}));
  CHECK(parse_or_fail("ff01::101") == v6({0xff01, 0, 0, 0, 0, 0, 0, 0x101}));
  // Embedded IPv4 tail.
  CHECK(parse_or_fail("::13.1.68.3") == v6({0, 0, 0, 0, 0, 0, 0x0d01, 0x4403}));
  CHECK(parse_or_fail("::FFFF:129.144.52.38") == v6({0, 0, 0, 0, 0, 0xffff, 0x8190, 0x3426}));
  CHECK(parse_or_fail("0:0:0:0:0:0:13.1.68.3") == v6({0, 0, 0, 0, 0, 0, 0x0d01, 0x4403}));
  CHECK(parse_or_fail("64:ff9b::192.0.2.33") ==
        v6({0x64, 0xff9b, 0, 0, 0, 0, 0xc000, 0x0221}));
  CHECK(parse_or_fail("::1").family == IpFamily::kV6);
}

TEST_CASE("IPv6 prints in RFC 5952 canonical form", "[ip]") {
  // 4.1 no leading zeros, 4.3 lowercase.
  CHECK(v6({0x2001, 0xdb8, 0, 0, 8, 0x800, 0x200c, 0x417a}).to_string() ==
        "2001:db8::8:800:200c:417a");
  // 4.2.2: a single zero group is not compressed.
  CHECK(v6({0x2001, 0xdb8, 0, 1, 1, 1, 1, 1}).to_string() == "2001:db8:0:1:1:1:1:1");
  // 4.2.3: the longest run is compressed; on a tie, the first.
  CHECK(v6({0x2001, 0, 0, 1, 0, 0, 0, 1}).to_string() == "2001:0:0:1::1");
  CHECK(v6({0x2001, 0xdb8, 0, 0, 1, 0, 0, 1}).to_string() == "2001:db8::1:0:0:1");
  // Runs at either end, and all zeros.
  CHECK(v6({}).to_string() == "::");
  CHECK(v6({0, 0, 0, 0, 0, 0, 0, 1}).to_string() == "::1");
  CHECK(v6({1}).to_string() == "1::");
  CHECK(v6({0xfd00, 0, 0, 0, 0, 0, 0, 2}).to_string() == "fd00::2");
  CHECK(v6({1, 2, 3, 4, 5, 6, 7, 8}).to_string() == "1:2:3:4:5:6:7:8");
  CHECK(v6({0xffff, 0xffff, 0xffff, 0xffff, 0xffff, 0xffff, 0xffff, 0xffff}).to_string() ==
        "ffff:ffff:ffff:ffff:ffff:ffff:ffff:ffff");
  // Section 5: IPv4-mapped addresses keep the dotted tail.
  CHECK(v6({0, 0, 0, 0, 0, 0xffff, 0xc000, 0x0280}).to_string() == "::ffff:192.0.2.128");
  // Other embeddings are plain hex (only the mapped prefix is recommended mixed).
  CHECK(v6({0x64, 0xff9b, 0, 0, 0, 0, 0xc000, 0x0221}).to_string() == "64:ff9b::c000:221");
}

TEST_CASE("to_string and parse round-trip for random addresses", "[ip]") {
  std::mt19937 rng(5952);
  for (int i = 0; i < 5000; ++i) {
    std::array<uint8_t, 16> b{};
    // Mostly-zero groups so that "::" placement is exercised heavily.
    for (size_t g = 0; g < 8; ++g) {
      if (rng() % 2) continue;
      b[2 * g] = rng() % 3 == 0 ? static_cast<uint8_t>(rng()) : 0;
      b[2 * g + 1] = static_cast<uint8_t>(rng());
    }
    const IpAddr a = i % 4 == 0 ? IpAddr::v4(b[0], b[1], b[2], b[3]) : IpAddr::v6(b);
    const std::string text = a.to_string();
    INFO(text);
    REQUIRE(parse_or_fail(text) == a);
    REQUIRE(text.size() <= 39);
    // Canonical text is a fixed point.
    REQUIRE(parse_or_fail(text).to_string() == text);
  }
}

TEST_CASE("malformed addresses are rejected with a message naming the text", "[ip]") {
  const std::vector<std::pair<std::string, std::string>> cases = {
      {"", "empty"},
      {"1.2.3", "expected 4 dotted decimal parts, got 3"},
      {"1.2.3.256", "part 4 (256) exceeds 255"},
      {"1.2.3.4.5", "more than 4 dotted parts"},
      {"1.2..4", "unexpected '.'"},
      {"1.2.3.", "part 4 is empty"},
      {"01.2.3.4", "leading zero"},
      {"1.2.3.1000", "exceeds 255"},
      {"1.2.3.4 ", "unexpected ' '"},
      {"a.b.c.d", "unexpected 'a'"},
      {":::", "unexpected ':' at offset 2"},
      {"fd00::1::2", "\"::\" appears more than once"},
      {":1::", "leading ':'"},
      {"1:2:3:4:5:6:7", "expected 8 groups, got 7"},
      {"1:2:3:4:5:6:7:8:9", "more than 8 groups"},
      {"1:2:3:4:5:6:7:8::", "at least one zero group"},
      {"1::2:3:4:5:6:7:8", "at least one zero group"},
      {"12345::", "more than 4 hex digits"},
      {"1:", "trailing ':'"},
      {"fd00::g", "unexpected 'g'"},
      {"::1.2.3", "bad embedded IPv4"},
      {"1:2:3:4:5:6:7:1.2.3.4", "no room"},
      {"1.2.3.4::", "bad embedded IPv4"},
      {"fe80::1%eth0", "zone index"},
  };
  for (const auto& [text, why] : cases) {
    absl::StatusOr<IpAddr> a = IpAddr::parse(text);
    INFO("\"" << text << "\" -> " << a.status().ToString());
    REQUIRE_FALSE(a.ok());
    CHECK(a.status().code() == absl::StatusCode::kInvalidArgument);
    CHECK_THAT(std::string(a.status().message()),
               Catch::Contains("\"" + text + "\"") && Catch::Contains(why));
  }
}

TEST_CASE("FourTuple::to_string shows local then remote, IPv6 in brackets", "[ip]") {
  FourTuple t{IpAddr::v4(10, 0, 0, 1), IpAddr::v4(10, 0, 0, 2), 80, 51000};
  CHECK(t.to_string() == "10.0.0.1:80 <-> 10.0.0.2:51000");
  FourTuple t6{v6({0xfd00, 0, 0, 0, 0, 0, 0, 1}), v6({0xfd00, 0, 0, 0, 0, 0, 0, 2}), 443, 1};
  CHECK(t6.to_string() == "[fd00::1]:443 <-> [fd00::2]:1");
}

}  // namespace
}  // namespace synfin
