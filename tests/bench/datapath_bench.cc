// Data-path benchmark: a bulk transfer between two synfin hosts in virtual time,
// packets handed straight from one host's outbox to the other's receive() (no
// simulator, no faults, no observer), and the heap cost of connections. Not a
// test: ci/bench_datapath.sh runs it (and callgrind on it for instructions).
//
// usage: synfin_datapath_bench [--bytes N] [--connections N] [--mss N] [--buffer N]
//   --bytes N        octets to transfer one way (default 100 MB)
//   --connections N  pairs for the memory figures (default 1000)
//
// Prints the segments processed (data and ACKs, counted at the receiving host),
// CPU time per segment and per MSS-sized data segment, payload throughput, and
// heap bytes per idle connection and per connection with both windows full.
// Wall-clock time is read here, in a tool, never in stack/ or harness/.
#include <chrono>
#include <cstdint>
#include <cstdio>
#include <cstdlib>
#include <cstring>
#include <new>
#include <string>
#include <vector>

#include "stack/host.h"
#include "stack/isn.h"

namespace {

// ---- Heap accounting: every allocation in the process, live bytes. ----
size_t g_live = 0;
size_t g_allocations = 0;

}  // namespace

void* operator new(size_t n) {
  // The size rides in front of the block so delete can subtract it.
  auto* p = static_cast<size_t*>(std::malloc(n + sizeof(std::max_align_t)));
  if (p == nullptr) throw std::bad_alloc();
  *p = n;
  g_live += n;
  ++g_allocations;
  return reinterpret_cast<char*>(p) + sizeof(std::max_align_t);
}
void operator delete(void* q) noexcept {
  if (q == nullptr) return;
  auto* p = reinterpret_cast<size_t*>(static_cast<char*>(q) - sizeof(std::max_align_t));
  g_live -= *p;
  std::free(p);
}
void operator delete(void* q, size_t) noexcept { operator delete(q); }

namespace {

using namespace synfin;

struct Options {
  uint64_t bytes = 100'000'000;
  int connections = 1000;
  uint16_t mss = 1460;
  uint32_t buffer = 262144;
};

// A fixed ISS per host: the benchmark needs no RFC 6528 hashing per connection.
class CountingIsn : public IsnGenerator {
 public:
  explicit CountingIsn(uint32_t base) : next_(base) {}
  SeqNum isn(const FourTuple&, Instant) override { return SeqNum(next_ += 100000); }

 private:
  uint32_t next_;
};

struct Pair {
  Pair(const Config& cfg)
      : client_isn(1000), server_isn(7000000),
        client(Host::Options{IpAddr::v4(10, 0, 0, 1), cfg, 1}, client_isn),
        server(Host::Options{IpAddr::v4(10, 0, 0, 2), cfg, 2}, server_isn) {}
  CountingIsn client_isn, server_isn;
  Host client, server;
  Instant now;
  uint64_t segments = 0;
  uint64_t data_segments = 0;
  uint64_t full_segments = 0;

  // Moves every packet in `from`'s outbox to `to`.
  void carry(Host& from, Host& to) {
    std::vector<IpPacket>& out = from.outbox();
    for (size_t i = 0; i < out.size(); ++i) {
      const IpPacket& p = out[i];
      ++segments;
      if (!p.tcp.payload.empty()) ++data_segments;
      to.receive(now, p);
    }
    out.clear();
  }
  // Until neither host has anything to send.
  void settle() {
    while (!client.outbox().empty() || !server.outbox().empty()) {
      carry(client, server);
      carry(server, client);
    }
  }
};

bool parse(int argc, char** argv, Options& o) {
  for (int i = 1; i < argc; ++i) {
    auto value = [&](uint64_t& v) {
      if (i + 1 >= argc) return false;
      char* end = nullptr;
      v = std::strtoull(argv[++i], &end, 10);
      return end != nullptr && *end == '\0' && v > 0;
    };
    uint64_t v = 0;
    if (!std::strcmp(argv[i], "--bytes") && value(v)) {
      o.bytes = v;
    } else if (!std::strcmp(argv[i], "--connections") && value(v) && v <= 100000) {
      o.connections = static_cast<int>(v);
    } else if (!std::strcmp(argv[i], "--mss") && value(v) && v >= 64 && v <= 65000) {
      o.mss = static_cast<uint16_t>(v);
    } else if (!std::strcmp(argv[i], "--buffer") && value(v) && v <= (1u << 30)) {
      o.buffer = static_cast<uint32_t>(v);
    } else {
      std::fprintf(stderr, "synfin_datapath_bench: bad argument '%s' (see the file's header)\n", argv[i]);
      return false;
    }
  }
  return true;
}

// Establishes one connection; returns the client's and server's sockets.
bool establish(Pair& p, uint16_t port, SocketId& c, SocketId& s, SocketId& listener) {
  auto l = p.server.listen(p.now, port);
  if (!l.ok()) return false;
  listener = *l;
  auto cs = p.client.connect(p.now, p.server.address(), port);
  if (!cs.ok()) return false;
  c = *cs;
  p.settle();
  auto a = p.server.accept(listener);
  if (!a.ok() || !a->has_value()) return false;
  s = **a;
  return true;
}

int bulk(const Options& o) {
  Config cfg;
  cfg.mss = o.mss;
  cfg.recv_buffer = o.buffer;
  cfg.send_buffer = o.buffer;
  Pair p(cfg);
  SocketId c, s, l;
  if (!establish(p, 80, c, s, l)) {
    std::fprintf(stderr, "synfin_datapath_bench: handshake failed\n");
    return 1;
  }
  std::vector<uint8_t> chunk(o.buffer, 0x5a);
  std::vector<uint8_t> sink(o.buffer);
  const uint64_t start_segments = p.segments;
  const size_t start_allocs = g_allocations;
  uint64_t sent = 0, received = 0;
  const auto t0 = std::chrono::steady_clock::now();
  while (received < o.bytes) {
    if (sent < o.bytes) {
      const size_t want = static_cast<size_t>(std::min<uint64_t>(chunk.size(), o.bytes - sent));
      auto n = p.client.send(p.now, c, std::span<const uint8_t>(chunk.data(), want));
      if (n.ok()) sent += *n;
    }
    p.carry(p.client, p.server);
    for (;;) {
      auto n = p.server.recv(p.now, s, sink);
      if (!n.ok() || *n == 0) break;
      received += *n;
    }
    p.carry(p.server, p.client);
    // Virtual time moves on so RTT samples are non-zero; far below the RTO.
    p.now = p.now + Duration::micros(100);
    if (p.client.outbox().empty() && p.server.outbox().empty() && sent == received && sent >= o.bytes) break;
  }
  const auto t1 = std::chrono::steady_clock::now();
  const double secs = std::chrono::duration<double>(t1 - t0).count();
  const uint64_t segs = p.segments - start_segments;
  std::printf("bulk: %llu octets, mss %u, buffers %u: %llu segments (%llu with data)\n",
              static_cast<unsigned long long>(received), o.mss, o.buffer,
              static_cast<unsigned long long>(segs), static_cast<unsigned long long>(p.data_segments));
  std::printf("bulk: %.3f s, %.0f segments/s, %.1f ns/segment, %.1f ns per data segment, %.1f MB/s\n", secs,
              segs / secs, secs * 1e9 / segs, secs * 1e9 / p.data_segments, received / secs / 1e6);
  std::printf("bulk: %.2f heap allocations per segment\n",
              static_cast<double>(g_allocations - start_allocs) / static_cast<double>(segs));
  return received == o.bytes ? 0 : 1;
}

int memory(const Options& o) {
  Config cfg;
  cfg.mss = o.mss;
  // Many connections on one host pair: ports 1000 + i.
  Pair p(cfg);
  std::vector<SocketId> clients, servers;
  clients.reserve(static_cast<size_t>(o.connections));
  servers.reserve(static_cast<size_t>(o.connections));
  const size_t before = g_live;
  for (int i = 0; i < o.connections; ++i) {
    SocketId c, s, l;
    if (!establish(p, static_cast<uint16_t>(1000 + i), c, s, l)) {
      std::fprintf(stderr, "synfin_datapath_bench: connection %d failed\n", i);
      return 1;
    }
    clients.push_back(c);
    servers.push_back(s);
  }
  // Listeners and their sockets count too: each connection here needs one.
  const size_t idle = g_live - before;
  std::printf("memory: %d idle connections (both ends and a listener each): %zu bytes, %zu per end\n",
              o.connections, idle, idle / (2 * static_cast<size_t>(o.connections)));
  // Fill both windows: the client's send buffer and the server's receive buffer.
  std::vector<uint8_t> chunk(cfg.send_buffer + cfg.recv_buffer, 0x33);
  for (int round = 0; round < 64; ++round) {
    for (SocketId c : clients) (void)p.client.send(p.now, c, chunk);
    p.settle();
    p.now = p.now + Duration::micros(100);
  }
  const size_t full = g_live - before;
  const uint64_t queued = p.client.buffered_bytes() + p.server.buffered_bytes();
  std::printf("memory: full windows (%llu octets queued): %zu bytes, %zu per end (buffers %u + %u)\n",
              static_cast<unsigned long long>(queued), full, full / (2 * static_cast<size_t>(o.connections)),
              cfg.send_buffer, cfg.recv_buffer);
  return 0;
}

}  // namespace

int main(int argc, char** argv) {
  Options o;
  if (!parse(argc, argv, o)) return 2;
  if (int rc = bulk(o); rc != 0) return rc;
  return memory(o);
}
