#include <cstring>
#include "../nfs/nat/nat.h"
#include "../nfs/nf_pkt.h"
#include "tests_nf.h"

using namespace rvnf;

namespace {
uint8_t one(Nat& nat, Frame& f, uint64_t now) {
  uint8_t* d = f.data();
  uint32_t l = uint32_t(f.size());
  uint8_t pass = 9;
  nat.process(&d, &l, 1, &pass, now);
  return pass;
}
Pkt parsed(Frame& f) { Pkt p; parse(f.data(), uint32_t(f.size()), &p); return p; }
}  // namespace

void test_nat() {
  std::string err;
  NatConfig cfg;
  const char* args[] = {"nat", "--external", "203.0.113.1", "--inside", "10.0.0.0/8", "--ports", "20000-20003", "--timeout", "10"};
  bool ok = nat_parse_args(9, const_cast<char**>(args), &cfg, &err);
  check("nat.parse_args", ok && cfg.port_lo == 20000 && cfg.port_hi == 20003 && cfg.inside_len == 8, err);
  NatConfig bad;
  const char* bargs[] = {"nat", "--external", "203.0.113.300", "--inside", "10.0.0.0/8"};
  check("nat.parse_bad", !nat_parse_args(5, const_cast<char**>(bargs), &bad, &err), err);
  const char* margs[] = {"nat", "--inside", "10.0.0.0/8"};
  check("nat.parse_missing", !nat_parse_args(3, const_cast<char**>(margs), &bad, &err), err);
  Nat nat;
  check("nat.init", nat.init(cfg, "t_nat", 1000, &err), err);

  // outbound UDP: source rewritten to the external address and an allocated port, checksums valid
  Frame o1 = make_frame(PROTO_UDP, "10.1.1.1", 5555, "198.51.100.7", 53, "query");
  uint8_t pass = one(nat, o1, 1);
  Pkt p = parsed(o1);
  check("nat.out_udp", pass == 1 && p.src == 0xCB007101 && p.sport == 20000 && p.dst == 0xC6336407 && p.dport == 53);
  check("nat.out_udp_checksums", checksums_ok(o1));
  // same flow again → same port; another inside host → next port
  Frame o1b = make_frame(PROTO_UDP, "10.1.1.1", 5555, "198.51.100.8", 53, "q2");
  one(nat, o1b, 2);
  check("nat.endpoint_independent_mapping", parsed(o1b).sport == 20000);
  Frame o2 = make_frame(PROTO_TCP, "10.2.2.2", 40000, "198.51.100.7", 443, "hello");
  one(nat, o2, 3);
  check("nat.out_tcp", parsed(o2).sport == 20000 && checksums_ok(o2), "tcp has its own pool");
  Frame o3 = make_frame(PROTO_UDP, "10.2.2.2", 40000, "198.51.100.7", 53);
  one(nat, o3, 3);
  check("nat.out_udp_second_port", parsed(o3).sport == 20001 && nat.mappings() == 3);
  // inbound reply → reverse mapping restores the inside address/port
  Frame i1 = make_frame(PROTO_UDP, "198.51.100.7", 53, "203.0.113.1", 20000, "answer");
  pass = one(nat, i1, 4);
  p = parsed(i1);
  check("nat.in_reverse", pass == 1 && p.dst == 0x0A010101 && p.dport == 5555 && p.src == 0xC6336407 && checksums_ok(i1));
  Frame i2 = make_frame(PROTO_UDP, "198.51.100.7", 53, "203.0.113.1", 20003);
  check("nat.in_no_mapping_dropped", one(nat, i2, 4) == 0 && nat.stats().in_no_mapping == 1);
  // ICMP echo: identifier translated, ICMP checksum valid
  Frame e1 = make_frame(PROTO_ICMP, "10.3.3.3", 777, "198.51.100.9", 0, "ping");
  one(nat, e1, 5);
  check("nat.icmp_echo", parsed(e1).sport == 20000 && parsed(e1).src == 0xCB007101 && checksums_ok(e1));
  // UDP checksum 0 (none) stays 0
  Frame z = make_frame(PROTO_UDP, "10.4.4.4", 1000, "198.51.100.7", 53);
  z[14 + 20 + 6] = 0; z[14 + 20 + 7] = 0;
  one(nat, z, 6);
  check("nat.udp_zero_checksum_kept", z[40] == 0 && z[41] == 0 && parsed(z).sport == 20002);
  // traffic that is neither inside→out nor to the external address passes untouched
  Frame x = make_frame(PROTO_UDP, "192.0.2.1", 1, "192.0.2.2", 2);
  Frame xc = x;
  check("nat.other_passes_untouched", one(nat, x, 6) == 1 && x == xc);
  // pool exhaustion: ports 20000-20003 = 4 UDP mappings, the 5th inside host fails
  Frame a = make_frame(PROTO_UDP, "10.5.5.5", 1, "198.51.100.7", 53);
  Frame b = make_frame(PROTO_UDP, "10.6.6.6", 1, "198.51.100.7", 53);
  uint8_t pa = one(nat, a, 7), pb = one(nat, b, 7);
  check("nat.pool_exhausted", pa == 1 && pb == 0 && nat.stats().out_no_port == 1 && nat.free_ports(PROTO_UDP) == 0);
  // expiry returns ports: everything idle for > 10 s
  uint32_t removed = nat.expire(100000, 1000);
  check("nat.expire", removed == 6 && nat.mappings() == 0 && nat.free_ports(PROTO_UDP) == 4 && nat.free_ports(PROTO_TCP) == 4,
        std::to_string(removed));
  Frame i3 = make_frame(PROTO_UDP, "198.51.100.7", 53, "203.0.113.1", 20000);
  check("nat.in_after_expiry_dropped", one(nat, i3, 100001) == 0);
  Frame b2 = make_frame(PROTO_UDP, "10.6.6.6", 1, "198.51.100.7", 53);
  check("nat.port_reused", one(nat, b2, 100002) == 1);
}
