// Header-only packet helpers shared by the built-in NFs (firewall, nat, load_balancer, lpm_router,
// payload_scan). No DPDK dependency: they work on (pointer, length) so the NF logic classes can be
// tested on plain byte arrays. Not an NF itself (the Makefile builds nfs/<dir>/*.cc only).
#pragma once
#include <cstdint>
#include <cstdio>
#include <cstring>

namespace rvnf {

inline uint16_t rd16(const uint8_t* p) { return uint16_t((p[0] << 8) | p[1]); }
inline uint32_t rd32(const uint8_t* p) {
  return (uint32_t(p[0]) << 24) | (uint32_t(p[1]) << 16) | (uint32_t(p[2]) << 8) | p[3];
}
inline void wr16(uint8_t* p, uint16_t v) { p[0] = uint8_t(v >> 8); p[1] = uint8_t(v); }
inline void wr32(uint8_t* p, uint32_t v) {
  p[0] = uint8_t(v >> 24); p[1] = uint8_t(v >> 16); p[2] = uint8_t(v >> 8); p[3] = uint8_t(v);
}

constexpr uint8_t PROTO_ICMP = 1, PROTO_TCP = 6, PROTO_UDP = 17;

// A parsed Ethernet (optionally one 802.1Q tag) / IPv4 frame. Addresses and ports in HOST order.
struct Pkt {
  uint8_t* data = nullptr;
  uint32_t len = 0;
  uint32_t l3 = 0;          // offset of the IPv4 header
  uint32_t l4 = 0;          // offset of the L4 header (0 when not a first fragment)
  uint32_t ihl = 0;
  bool ipv4 = false;
  bool has_ports = false;   // TCP/UDP first fragment with the 4 port bytes present, or ICMP echo
  uint8_t proto = 0;
  uint32_t src = 0, dst = 0;
  uint16_t sport = 0, dport = 0;  // ICMP echo: both = identifier
  uint32_t payload = 0;     // offset of the L4 payload (0 = none / unknown)
};

inline bool parse(uint8_t* data, uint32_t len, Pkt* p) {
  *p = Pkt{};
  p->data = data;
  p->len = len;
  if (len < 14) return false;
  uint32_t off = 12;
  uint16_t et = rd16(data + off);
  if (et == 0x8100 && len >= 18) {
    off += 4;
    et = rd16(data + off);
  }
  off += 2;
  if (et != 0x0800 || len < off + 20) return false;
  const uint8_t* ip = data + off;
  uint32_t ihl = (ip[0] & 0x0F) * 4u;
  if ((ip[0] >> 4) != 4 || ihl < 20 || len < off + ihl) return false;
  p->ipv4 = true;
  p->l3 = off;
  p->ihl = ihl;
  p->proto = ip[9];
  p->src = rd32(ip + 12);
  p->dst = rd32(ip + 16);
  bool first = (rd16(ip + 6) & 0x1FFF) == 0;
  if (!first) return true;
  p->l4 = off + ihl;
  const uint8_t* l4 = data + p->l4;
  uint32_t l4len = len - p->l4;
  if ((p->proto == PROTO_TCP || p->proto == PROTO_UDP) && l4len >= 4) {
    p->sport = rd16(l4);
    p->dport = rd16(l4 + 2);
    p->has_ports = true;
    if (p->proto == PROTO_UDP && l4len >= 8) p->payload = p->l4 + 8;
    if (p->proto == PROTO_TCP && l4len >= 20) {
      uint32_t doff = (l4[12] >> 4) * 4u;
      if (doff >= 20 && l4len >= doff) p->payload = p->l4 + doff;
    }
  } else if (p->proto == PROTO_ICMP && l4len >= 8 && (l4[0] == 8 || l4[0] == 0)) {
    p->sport = p->dport = rd16(l4 + 4);  // echo identifier
    p->has_ports = true;
    p->payload = p->l4 + 8;
  }
  return true;
}

// RFC 1624 incremental checksum update: checksum field `ck` (network order bytes at p) when a
// 16-bit word changes from `old_w` to `new_w` (host order values).
inline void csum_update16(uint8_t* ck, uint16_t old_w, uint16_t new_w) {
  uint32_t sum = uint16_t(~rd16(ck)) + uint16_t(~old_w) + new_w;
  sum = (sum & 0xFFFF) + (sum >> 16);
  sum = (sum & 0xFFFF) + (sum >> 16);
  wr16(ck, uint16_t(~sum));
}
inline void csum_update32(uint8_t* ck, uint32_t old_v, uint32_t new_v) {
  csum_update16(ck, uint16_t(old_v >> 16), uint16_t(new_v >> 16));
  csum_update16(ck, uint16_t(old_v), uint16_t(new_v));
}

// Full RFC 1071 checksum over a buffer (for tests and verification).
inline uint16_t csum(const uint8_t* p, uint32_t len, uint32_t sum = 0) {
  for (uint32_t i = 0; i + 1 < len; i += 2) sum += rd16(p + i);
  if (len & 1) sum += uint32_t(p[len - 1]) << 8;
  while (sum >> 16) sum = (sum & 0xFFFF) + (sum >> 16);
  return uint16_t(~sum);
}

// Offset of the L4 checksum field for TCP/UDP/ICMP, or 0 when there is none to update.
inline uint32_t l4_csum_off(const Pkt& p) {
  if (!p.l4) return 0;
  uint32_t l4len = p.len - p.l4;
  if (p.proto == PROTO_TCP && l4len >= 18) return p.l4 + 16;
  if (p.proto == PROTO_UDP && l4len >= 8) return p.l4 + 6;
  if (p.proto == PROTO_ICMP && l4len >= 4) return p.l4 + 2;
  return 0;
}

// Rewrites the source or destination IPv4 address (and port / ICMP id), fixing the IPv4 header
// checksum and the TCP/UDP checksum (pseudo header) incrementally. UDP checksum 0 stays 0.
inline void rewrite(Pkt& p, bool source, uint32_t new_ip, uint16_t new_port) {
  uint8_t* ip = p.data + p.l3;
  uint32_t old_ip = source ? p.src : p.dst;
  uint32_t ck4 = l4_csum_off(p);
  bool l4ck = ck4 != 0 && !(p.proto == PROTO_UDP && rd16(p.data + ck4) == 0);
  if (old_ip != new_ip) {
    wr32(ip + (source ? 12 : 16), new_ip);
    csum_update32(ip + 10, old_ip, new_ip);
    if (l4ck && p.proto != PROTO_ICMP) csum_update32(p.data + ck4, old_ip, new_ip);
    (source ? p.src : p.dst) = new_ip;
  }
  if (!p.has_ports) return;
  uint16_t old_port = source ? p.sport : p.dport;
  if (old_port == new_port) return;
  if (p.proto == PROTO_ICMP) {
    wr16(p.data + p.l4 + 4, new_port);
    if (l4ck) csum_update16(p.data + ck4, old_port, new_port);
    p.sport = p.dport = new_port;
    return;
  }
  wr16(p.data + p.l4 + (source ? 0 : 2), new_port);
  if (l4ck) {
    csum_update16(p.data + ck4, old_port, new_port);
    if (p.proto == PROTO_UDP && rd16(p.data + ck4) == 0) wr16(p.data + ck4, 0xFFFF);
  }
  (source ? p.sport : p.dport) = new_port;
}

// "a.b.c.d" → host-order u32.
inline bool parse_ip(const char* s, uint32_t* out) {
  unsigned a, b, c, d;
  char x;
  if (sscanf(s, "%u.%u.%u.%u%c", &a, &b, &c, &d, &x) != 4 || a > 255 || b > 255 || c > 255 || d > 255)
    return false;
  *out = (a << 24) | (b << 16) | (c << 8) | d;
  return true;
}
// "a.b.c.d/len" (or a bare address = /32) → host-order network + length.
inline bool parse_prefix(const char* s, uint32_t* ip, uint8_t* len) {
  char buf[64];
  size_t n = strlen(s);
  if (n >= sizeof buf) return false;
  memcpy(buf, s, n + 1);
  char* slash = strchr(buf, '/');
  unsigned l = 32;
  if (slash) {
    *slash = 0;
    char x;
    if (sscanf(slash + 1, "%u%c", &l, &x) != 1 || l > 32) return false;
  }
  if (!parse_ip(buf, ip)) return false;
  *len = uint8_t(l);
  if (l < 32) *ip &= l == 0 ? 0 : ~((1u << (32 - l)) - 1);
  return true;
}

}  // namespace rvnf
