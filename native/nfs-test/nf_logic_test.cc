// nf_logic_test — checks of the built-in NFs' logic classes (firewall, nat, load_balancer,
// lpm_router, payload_scan) on byte-array frames, in a private EAL (--no-huge).
//   nf_logic_test [EAL args] -- [firewall|nat|lb|lpm|scan|all] [--rules FILE --frames FILE]
// Prints {"checks":[{"name","ok","detail"}...],"failed":n}.
#include <cstdio>
#include <cstring>
#include <string>
#include <vector>

#include <rte_eal.h>
#include <rte_cycles.h>

#include "../nfs/nf_pkt.h"
#include "tests_nf.h"

namespace {
int g_failed = 0;
bool g_first = true;
}  // namespace

void check(const char* name, bool ok, const std::string& detail) {
  std::string d;
  for (char c : detail) d += (c == '"' || c == '\\') ? '\'' : c;
  printf("%s{\"name\":\"%s\",\"ok\":%s,\"detail\":\"%s\"}", g_first ? "" : ",", name, ok ? "true" : "false",
         d.c_str());
  g_first = false;
  if (!ok) g_failed++;
  fflush(stdout);
}

Frame make_frame(uint8_t proto, const char* src, uint16_t sport, const char* dst, uint16_t dport,
                 const std::string& payload) {
  uint32_t s = 0, d = 0;
  rvnf::parse_ip(src, &s);
  rvnf::parse_ip(dst, &d);
  uint32_t l4 = proto == rvnf::PROTO_TCP ? 20 : 8;
  Frame f(14 + 20 + l4 + payload.size(), 0);
  uint8_t* p = f.data();
  const uint8_t dm[6] = {0x02, 0, 0, 0, 0, 0x02}, sm[6] = {0x02, 0, 0, 0, 0, 0x01};
  memcpy(p, dm, 6);
  memcpy(p + 6, sm, 6);
  rvnf::wr16(p + 12, 0x0800);
  uint8_t* ip = p + 14;
  ip[0] = 0x45;
  rvnf::wr16(ip + 2, uint16_t(20 + l4 + payload.size()));
  ip[8] = 64;
  ip[9] = proto;
  rvnf::wr32(ip + 12, s);
  rvnf::wr32(ip + 16, d);
  rvnf::wr16(ip + 10, rvnf::csum(ip, 20));
  uint8_t* t = ip + 20;
  if (proto == rvnf::PROTO_ICMP) {
    t[0] = 8;
    rvnf::wr16(t + 4, sport);  // echo id
    rvnf::wr16(t + 6, 1);
  } else {
    rvnf::wr16(t, sport);
    rvnf::wr16(t + 2, dport);
    if (proto == rvnf::PROTO_UDP) rvnf::wr16(t + 4, uint16_t(8 + payload.size()));
    if (proto == rvnf::PROTO_TCP) t[12] = 0x50;
  }
  memcpy(t + l4, payload.data(), payload.size());
  // L4 checksum
  uint32_t l4len = l4 + uint32_t(payload.size());
  uint32_t ck_off = proto == rvnf::PROTO_TCP ? 16 : proto == rvnf::PROTO_UDP ? 6 : 2;
  uint32_t sum = 0;
  if (proto != rvnf::PROTO_ICMP) {
    sum += (s >> 16) + (s & 0xFFFF) + (d >> 16) + (d & 0xFFFF) + proto + l4len;
  }
  uint16_t c = rvnf::csum(t, l4len, sum);
  if (proto == rvnf::PROTO_UDP && c == 0) c = 0xFFFF;
  rvnf::wr16(t + ck_off, c);
  return f;
}

// True when the IPv4 header checksum and the L4 checksum of a frame verify.
bool checksums_ok(const Frame& f) {
  rvnf::Pkt p;
  Frame c = f;
  if (!rvnf::parse(c.data(), uint32_t(c.size()), &p)) return false;
  if (rvnf::csum(c.data() + p.l3, p.ihl) != 0) return false;
  uint32_t l4len = uint32_t(c.size()) - p.l4;
  if (p.proto == rvnf::PROTO_ICMP) return rvnf::csum(c.data() + p.l4, l4len) == 0;
  if (p.proto == rvnf::PROTO_UDP && rvnf::rd16(c.data() + p.l4 + 6) == 0) return true;
  uint32_t sum = (p.src >> 16) + (p.src & 0xFFFF) + (p.dst >> 16) + (p.dst & 0xFFFF) + p.proto + l4len;
  return rvnf::csum(c.data() + p.l4, l4len, sum) == 0;
}

int main(int argc, char** argv) {
  int used = rte_eal_init(argc, argv);
  if (used < 0) { fprintf(stderr, "EAL init failed\n"); return 2; }
  argc -= used;
  argv += used;
  std::string which = argc > 1 ? argv[1] : "all";
  printf("{\"checks\":[");
  if (which == "all" || which == "firewall") test_firewall();
  if (which == "all" || which == "nat") test_nat();
  if (which == "all" || which == "lb") test_lb();
  if (which == "all" || which == "lpm") test_lpm();
  if (which == "all" || which == "scan") test_scan();
  printf("],\"failed\":%d}\n", g_failed);
  fflush(stdout);
  rte_eal_cleanup();
  return g_failed ? 1 : 0;
}
