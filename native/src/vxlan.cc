// native/src/vxlan.cc — VXLAN (RFC 7348) encapsulation / decapsulation fast path. See vxlan.h.
#include "vxlan.h"

#include <cerrno>
#include <cstring>
#include <new>

#include <rte_errno.h>
#include <rte_hash.h>
#include <rte_hash_crc.h>
#include <rte_ip.h>
#include <rte_prefetch.h>
#include <rte_udp.h>

namespace {

constexpr uint16_t kEthLen = 14;
constexpr uint16_t kIpLen = 20;
constexpr uint16_t kUdpLen = 8;
constexpr uint64_t kRegistered = 1ULL << 63;
constexpr uint32_t kChunk = 64;  // RTE_HASH_LOOKUP_BULK_MAX

inline uint16_t load_be16(const uint8_t* p) { return uint16_t((p[0] << 8) | p[1]); }
inline uint32_t load_u32(const uint8_t* p) {
  uint32_t v;
  memcpy(&v, p, 4);
  return v;
}

// One's-complement sum of a 20-byte IPv4 header given as five 32-bit words (byte order agnostic:
// the result is in the same byte order as the input words).
inline uint16_t fold32(uint64_t sum) {
  sum = (sum & 0xFFFFFFFFULL) + (sum >> 32);
  sum = (sum & 0xFFFFFFFFULL) + (sum >> 32);
  uint32_t s = uint32_t(sum);
  s = (s & 0xFFFF) + (s >> 16);
  s = (s & 0xFFFF) + (s >> 16);
  return uint16_t(s);
}

// 0xFFFF when the header (checksum field included) is correct.
inline uint16_t ip_hdr_sum(const uint8_t* ip, uint32_t hlen) {
  uint64_t sum = 0;
  for (uint32_t off = 0; off < hlen; off += 4) sum += load_u32(ip + off);
  return fold32(sum);
}

inline uint16_t ip_hdr_sum20(const uint8_t* ip) {
  uint64_t sum = uint64_t(load_u32(ip)) + load_u32(ip + 4) + load_u32(ip + 8) + load_u32(ip + 12) +
                 load_u32(ip + 16);
  return fold32(sum);
}

// Inner flow hash when the caller has none: IPv4 5-tuple if the inner frame is IPv4 (ports for
// TCP/UDP/SCTP first fragments), else both MACs + ethertype.
uint32_t inner_flow_hash(const rte_mbuf* m) {
  const uint8_t* p = rte_pktmbuf_mtod(m, const uint8_t*);
  uint32_t len = rte_pktmbuf_data_len(m);
  if (len < kEthLen) return 0;
  uint16_t et = load_be16(p + 12);
  if (et == RTE_ETHER_TYPE_IPV4 && len >= kEthLen + kIpLen) {
    const uint8_t* ip = p + kEthLen;
    uint32_t h = rte_hash_crc_4byte(load_u32(ip + 12), 0x9747b28c);
    h = rte_hash_crc_4byte(load_u32(ip + 16), h);
    uint8_t proto = ip[9];
    h = rte_hash_crc_1byte(proto, h);
    uint32_t ihl = (ip[0] & 0x0F) * 4u;
    bool first = (load_be16(ip + 6) & 0x1FFF) == 0;
    if (first && (proto == 6 || proto == 17 || proto == 132) && len >= kEthLen + ihl + 4)
      h = rte_hash_crc_4byte(load_u32(ip + ihl), h);
    return h;
  }
  uint32_t h = rte_hash_crc_4byte(load_u32(p), 0x9747b28c);
  h = rte_hash_crc_4byte(load_u32(p + 4), h);
  h = rte_hash_crc_4byte(load_u32(p + 8), h);
  return rte_hash_crc_2byte(et, h);
}

inline bool encap_one(rte_mbuf* m, const rv_vxlan_local& local, const rv_vxlan_peer& peer,
                      uint32_t vni, uint32_t flow_hash) {
  const uint32_t inner_len = rte_pktmbuf_pkt_len(m);
  if (inner_len + RV_VXLAN_OVERHEAD - kEthLen > 0xFFFF) return false;
  uint8_t* p = reinterpret_cast<uint8_t*>(rte_pktmbuf_prepend(m, RV_VXLAN_OVERHEAD));
  if (p == nullptr) return false;

  // Ethernet
  auto* eth = reinterpret_cast<rte_ether_hdr*>(p);
  rte_ether_addr_copy(&peer.mac, &eth->dst_addr);
  rte_ether_addr_copy(&local.mac, &eth->src_addr);
  eth->ether_type = rte_cpu_to_be_16(RTE_ETHER_TYPE_IPV4);

  // IPv4: DF, TTL 64, id 0 (atomic datagram, RFC 6864), header checksum
  auto* ip = reinterpret_cast<rte_ipv4_hdr*>(p + kEthLen);
  ip->version_ihl = 0x45;
  ip->type_of_service = 0;
  ip->total_length = rte_cpu_to_be_16(uint16_t(inner_len + kIpLen + kUdpLen + RV_VXLAN_HDR_LEN));
  ip->packet_id = 0;
  ip->fragment_offset = rte_cpu_to_be_16(RTE_IPV4_HDR_DF_FLAG);
  ip->time_to_live = RV_VXLAN_TTL;
  ip->next_proto_id = IPPROTO_UDP;
  ip->hdr_checksum = 0;
  ip->src_addr = local.ip;
  ip->dst_addr = peer.ip;
  ip->hdr_checksum = uint16_t(~ip_hdr_sum(reinterpret_cast<const uint8_t*>(ip), kIpLen));

  // UDP: checksum 0 (RFC 7348 §5: SHOULD be zero for IPv4)
  auto* udp = reinterpret_cast<rte_udp_hdr*>(p + kEthLen + kIpLen);
  udp->src_port = rte_cpu_to_be_16(rv_vxlan_sport(flow_hash));
  udp->dst_port = rte_cpu_to_be_16(RV_VXLAN_UDP_PORT);
  udp->dgram_len = rte_cpu_to_be_16(uint16_t(inner_len + kUdpLen + RV_VXLAN_HDR_LEN));
  udp->dgram_cksum = 0;

  // VXLAN: flags 0x08, 3 reserved bytes, VNI (24 bits), 1 reserved byte
  uint8_t* vx = p + kEthLen + kIpLen + kUdpLen;
  const uint32_t flags = rte_cpu_to_be_32(uint32_t(RV_VXLAN_FLAG_I) << 24);
  const uint32_t vnif = rte_cpu_to_be_32((vni & RV_VXLAN_VNI_MAX) << 8);
  memcpy(vx, &flags, 4);
  memcpy(vx + 4, &vnif, 4);

  m->ol_flags &= ~RTE_MBUF_F_TX_OFFLOAD_MASK;
  m->packet_type = RTE_PTYPE_L2_ETHER | RTE_PTYPE_L3_IPV4 | RTE_PTYPE_L4_UDP |
                   RTE_PTYPE_TUNNEL_VXLAN;
  return true;
}

}  // namespace

// ---- tunnel table --------------------------------------------------------------------------------
struct rv_tunnel_table {
  rte_hash* hash = nullptr;
  uint32_t slots = 0;                            // size of entries[]
  std::atomic<uint64_t>* entries = nullptr;      // by key position: kRegistered | MAC (48 bits)
  std::atomic<uint32_t> count{0};
};

rv_tunnel_table* rv_tunnel_table_create(const char* name, uint32_t capacity, int socket_id) {
  if (capacity < 8) capacity = 8;
  rte_hash_parameters params{};
  params.name = name;
  params.entries = capacity;
  params.key_len = sizeof(rte_be32_t);
  params.hash_func = rte_hash_crc;
  params.hash_func_init_val = 0;
  params.socket_id = socket_id;
  params.extra_flag = RTE_HASH_EXTRA_FLAGS_RW_CONCURRENCY_LF;
  rte_hash* h = rte_hash_create(&params);
  if (h == nullptr) return nullptr;
  auto* t = new (std::nothrow) rv_tunnel_table();
  if (t == nullptr) {
    rte_hash_free(h);
    rte_errno = ENOMEM;
    return nullptr;
  }
  t->hash = h;
  t->slots = uint32_t(rte_hash_max_key_id(h)) + 1;
  t->entries = new (std::nothrow) std::atomic<uint64_t>[t->slots];
  if (t->entries == nullptr) {
    rte_hash_free(h);
    delete t;
    rte_errno = ENOMEM;
    return nullptr;
  }
  for (uint32_t i = 0; i < t->slots; i++) t->entries[i].store(0, std::memory_order_relaxed);
  return t;
}

void rv_tunnel_table_free(rv_tunnel_table* t) {
  if (t == nullptr) return;
  rte_hash_free(t->hash);
  delete[] t->entries;
  delete t;
}

int rv_tunnel_table_set(rv_tunnel_table* t, rte_be32_t ip, const rte_ether_addr& mac) {
  if (t == nullptr || ip == 0) return -EINVAL;
  int32_t pos = rte_hash_add_key(t->hash, &ip);
  if (pos < 0) return pos == -ENOSPC ? -ENOSPC : -EINVAL;
  if (uint32_t(pos) >= t->slots) return -ENOSPC;
  uint64_t v = 0;
  memcpy(&v, mac.addr_bytes, RTE_ETHER_ADDR_LEN);
  uint64_t old = t->entries[pos].exchange(v | kRegistered, std::memory_order_release);
  if ((old & kRegistered) == 0) t->count.fetch_add(1, std::memory_order_relaxed);
  return 0;
}

int rv_tunnel_table_remove(rv_tunnel_table* t, rte_be32_t ip) {
  if (t == nullptr) return -EINVAL;
  int32_t pos = rte_hash_lookup(t->hash, &ip);
  if (pos < 0 || uint32_t(pos) >= t->slots) return -ENOENT;
  uint64_t old = t->entries[pos].exchange(0, std::memory_order_release);
  if ((old & kRegistered) == 0) return -ENOENT;
  t->count.fetch_sub(1, std::memory_order_relaxed);
  return 0;
}

void rv_tunnel_table_clear(rv_tunnel_table* t) {
  if (t == nullptr) return;
  for (uint32_t i = 0; i < t->slots; i++) t->entries[i].store(0, std::memory_order_release);
  t->count.store(0, std::memory_order_relaxed);
}

int rv_tunnel_table_lookup(const rv_tunnel_table* t, rte_be32_t ip, rv_vxlan_peer* peer) {
  if (t == nullptr) return -ENOENT;
  int32_t pos = rte_hash_lookup(t->hash, &ip);
  if (pos < 0 || uint32_t(pos) >= t->slots) return -ENOENT;
  uint64_t v = t->entries[pos].load(std::memory_order_acquire);
  if ((v & kRegistered) == 0) return -ENOENT;
  if (peer != nullptr) {
    memcpy(peer->mac.addr_bytes, &v, RTE_ETHER_ADDR_LEN);
    peer->ip = ip;
  }
  return 0;
}

uint32_t rv_tunnel_table_count(const rv_tunnel_table* t) {
  return t == nullptr ? 0 : t->count.load(std::memory_order_relaxed);
}

// ---- names / stats -------------------------------------------------------------------------------
const char* rv_vxlan_verdict_name(uint8_t v) {
  static const char* const names[RV_VXLAN_VERDICT_COUNT] = {
      "ok",       "not_vxlan",  "truncated", "dst_mac",   "ip_header",      "ip_checksum",
      "ip_length", "fragment",  "udp_length", "udp_checksum", "flags",      "reserved",
      "unknown_source", "unknown_vni", "inner_short", "segmented"};
  return v < RV_VXLAN_VERDICT_COUNT ? names[v] : "invalid";
}

void rv_vxlan_stats_add(rv_vxlan_stats& into, const rv_vxlan_stats& from) {
  into.encap_ok += from.encap_ok;
  into.encap_no_headroom += from.encap_no_headroom;
  for (int i = 0; i < RV_VXLAN_VERDICT_COUNT; i++) into.decap[i] += from.decap[i];
}

// ---- encap ---------------------------------------------------------------------------------------
uint16_t rv_vxlan_encap_burst(rte_mbuf** pkts, uint16_t n, const rv_vxlan_local& local,
                              const rv_vxlan_peer* const* peers, const uint32_t* vni,
                              const uint32_t* flow_hash, uint8_t* ok_out, rv_vxlan_stats* stats) {
  uint16_t ok = 0;
  for (uint16_t i = 0; i < n; i++) {
    if (i + 4 < n) rte_prefetch0(rte_pktmbuf_mtod(pkts[i + 4], void*));
    uint32_t fh = flow_hash != nullptr ? flow_hash[i] : inner_flow_hash(pkts[i]);
    bool r = encap_one(pkts[i], local, *peers[i], vni[i], fh);
    if (ok_out != nullptr) ok_out[i] = r ? 1 : 0;
    ok += r ? 1 : 0;
  }
  if (stats != nullptr) {
    stats->encap_ok += ok;
    stats->encap_no_headroom += n - ok;
  }
  return ok;
}

uint16_t rv_vxlan_encap_burst_peer(rte_mbuf** pkts, uint16_t n, const rv_vxlan_local& local,
                                   const rv_vxlan_peer& peer, const uint32_t* vni,
                                   const uint32_t* flow_hash, uint8_t* ok_out,
                                   rv_vxlan_stats* stats) {
  // One 50-byte header template per burst; per packet: copy, then patch the lengths, the
  // checksum (incrementally from the template's partial sum), the source port and the VNI.
  alignas(16) uint8_t tmpl[64];
  memset(tmpl, 0, sizeof tmpl);
  {
    auto* eth = reinterpret_cast<rte_ether_hdr*>(tmpl);
    rte_ether_addr_copy(&peer.mac, &eth->dst_addr);
    rte_ether_addr_copy(&local.mac, &eth->src_addr);
    eth->ether_type = rte_cpu_to_be_16(RTE_ETHER_TYPE_IPV4);
    auto* ip = reinterpret_cast<rte_ipv4_hdr*>(tmpl + kEthLen);
    ip->version_ihl = 0x45;
    ip->fragment_offset = rte_cpu_to_be_16(RTE_IPV4_HDR_DF_FLAG);
    ip->time_to_live = RV_VXLAN_TTL;
    ip->next_proto_id = IPPROTO_UDP;
    ip->src_addr = local.ip;
    ip->dst_addr = peer.ip;
    auto* udp = reinterpret_cast<rte_udp_hdr*>(tmpl + kEthLen + kIpLen);
    udp->dst_port = rte_cpu_to_be_16(RV_VXLAN_UDP_PORT);
    tmpl[kEthLen + kIpLen + kUdpLen] = RV_VXLAN_FLAG_I;
  }
  uint64_t base_sum = 0;  // IPv4 header sum without total_length (and checksum = 0)
  for (uint32_t off = 0; off < kIpLen; off += 4) base_sum += load_u32(tmpl + kEthLen + off);
  uint16_t ok = 0;
  for (uint16_t i = 0; i < n; i++) {
    if (i + 4 < n) rte_prefetch0(rte_pktmbuf_mtod(pkts[i + 4], void*));
    if (i + 8 < n) rte_prefetch0(pkts[i + 8]);
    rte_mbuf* m = pkts[i];
    const uint32_t inner_len = rte_pktmbuf_pkt_len(m);
    const uint32_t fh = flow_hash != nullptr ? flow_hash[i] : inner_flow_hash(m);
    uint8_t* p = nullptr;
    if (inner_len + RV_VXLAN_OVERHEAD - kEthLen <= 0xFFFF)
      p = reinterpret_cast<uint8_t*>(rte_pktmbuf_prepend(m, RV_VXLAN_OVERHEAD));
    if (p == nullptr) {
      if (ok_out != nullptr) ok_out[i] = 0;
      continue;
    }
    memcpy(p, tmpl, RV_VXLAN_OVERHEAD);
    const uint16_t tl_be = rte_cpu_to_be_16(uint16_t(inner_len + kIpLen + kUdpLen + RV_VXLAN_HDR_LEN));
    const uint16_t ul_be = rte_cpu_to_be_16(uint16_t(inner_len + kUdpLen + RV_VXLAN_HDR_LEN));
    const uint16_t sp_be = rte_cpu_to_be_16(rv_vxlan_sport(fh));
    const uint32_t vni_be = rte_cpu_to_be_32((vni[i] & RV_VXLAN_VNI_MAX) << 8);
    const uint16_t ck = uint16_t(~fold32(base_sum + tl_be));
    memcpy(p + kEthLen + 2, &tl_be, 2);
    memcpy(p + kEthLen + 10, &ck, 2);
    memcpy(p + kEthLen + kIpLen, &sp_be, 2);
    memcpy(p + kEthLen + kIpLen + 4, &ul_be, 2);
    memcpy(p + kEthLen + kIpLen + kUdpLen + 4, &vni_be, 4);
    m->ol_flags &= ~RTE_MBUF_F_TX_OFFLOAD_MASK;
    m->packet_type = RTE_PTYPE_L2_ETHER | RTE_PTYPE_L3_IPV4 | RTE_PTYPE_L4_UDP |
                     RTE_PTYPE_TUNNEL_VXLAN;
    if (ok_out != nullptr) ok_out[i] = 1;
    ok++;
  }
  if (stats != nullptr) {
    stats->encap_ok += ok;
    stats->encap_no_headroom += n - ok;
  }
  return ok;
}

// ---- decap ---------------------------------------------------------------------------------------
namespace {

// Stage 1 for one packet: classify and validate everything that does not need a table.
// Returns a verdict; for a candidate that passed (RV_VXLAN_OK) fills *hdr_len (outer header bytes
// to strip), *frame_len (14 + IP total length), *vni and *src (pointer to the outer source IP).
inline uint8_t validate(const rte_mbuf* m, const rv_vxlan_local& local, uint32_t* hdr_len,
                        uint32_t* frame_len, uint32_t* vni, const void** src) {
  const uint8_t* p = rte_pktmbuf_mtod(m, const uint8_t*);
  const uint32_t dlen = rte_pktmbuf_data_len(m);
  const uint32_t plen = rte_pktmbuf_pkt_len(m);
  // Classification: Ethernet / IPv4 to our tunnel IP / UDP / dst port 4789.
  if (dlen < kEthLen + kIpLen) return RV_VXLAN_NOT_VXLAN;
  if (load_be16(p + 12) != RTE_ETHER_TYPE_IPV4) return RV_VXLAN_NOT_VXLAN;
  const uint8_t* ip = p + kEthLen;
  if (load_u32(ip + 16) != local.ip || ip[9] != IPPROTO_UDP) return RV_VXLAN_NOT_VXLAN;
  // Addressed to our tunnel IP over UDP: from here on, anything malformed is dropped.
  const uint32_t ihl = (ip[0] & 0x0F) * 4u;
  if ((ip[0] >> 4) != 4 || ihl < kIpLen) return RV_VXLAN_DROP_IP_HDR;
  const uint16_t frag = load_be16(ip + 6);
  if ((frag & 0x1FFF) != 0) return RV_VXLAN_DROP_FRAGMENT;  // non-first fragment to our tunnel IP
  const uint32_t need = kEthLen + ihl + kUdpLen + RV_VXLAN_HDR_LEN;
  if (dlen < kEthLen + ihl + 4) {  // cannot even read the UDP ports
    return plen < kEthLen + ihl + 4 ? RV_VXLAN_DROP_TRUNCATED : RV_VXLAN_DROP_SEGMENTED;
  }
  const uint8_t* udp = ip + ihl;
  if (load_be16(udp + 2) != RV_VXLAN_UDP_PORT) return RV_VXLAN_NOT_VXLAN;
  // A VXLAN candidate.
  if (!rte_is_same_ether_addr(reinterpret_cast<const rte_ether_addr*>(p), &local.mac))
    return RV_VXLAN_DROP_DST_MAC;
  if (dlen < need) return plen < need ? RV_VXLAN_DROP_TRUNCATED : RV_VXLAN_DROP_SEGMENTED;
  const uint64_t rxf = m->ol_flags & RTE_MBUF_F_RX_IP_CKSUM_MASK;
  if (rxf == RTE_MBUF_F_RX_IP_CKSUM_BAD) return RV_VXLAN_DROP_IP_CSUM;
  if (rxf != RTE_MBUF_F_RX_IP_CKSUM_GOOD &&
      (ihl == kIpLen ? ip_hdr_sum20(ip) : ip_hdr_sum(ip, ihl)) != 0xFFFF)
    return RV_VXLAN_DROP_IP_CSUM;
  const uint32_t tot = load_be16(ip + 2);
  if (tot < ihl + kUdpLen + RV_VXLAN_HDR_LEN) return RV_VXLAN_DROP_IP_LEN;
  if (kEthLen + tot > plen) return RV_VXLAN_DROP_TRUNCATED;
  if (frag & RTE_IPV4_HDR_MF_FLAG) return RV_VXLAN_DROP_FRAGMENT;
  const uint32_t ulen = load_be16(udp + 4);
  if (ulen != tot - ihl) return RV_VXLAN_DROP_UDP_LEN;
  const uint8_t* vx = udp + kUdpLen;
  if (vx[0] != RV_VXLAN_FLAG_I) return RV_VXLAN_DROP_FLAGS;
  if ((vx[1] | vx[2] | vx[3] | vx[7]) != 0) return RV_VXLAN_DROP_RESERVED;
  if (ulen - kUdpLen - RV_VXLAN_HDR_LEN < kEthLen) return RV_VXLAN_DROP_INNER_SHORT;
  if (load_be16(udp + 6) != 0) {
    const uint64_t l4f = m->ol_flags & RTE_MBUF_F_RX_L4_CKSUM_MASK;
    if (l4f == RTE_MBUF_F_RX_L4_CKSUM_BAD) return RV_VXLAN_DROP_UDP_CSUM;
    if (l4f != RTE_MBUF_F_RX_L4_CKSUM_GOOD) {
      // pseudo header (src, dst, proto, UDP length) + the datagram, over all segments
      uint16_t raw = 0;
      if (rte_raw_cksum_mbuf(m, kEthLen + ihl, ulen, &raw) != 0) return RV_VXLAN_DROP_TRUNCATED;
      uint64_t sum = uint64_t(load_u32(ip + 12)) + load_u32(ip + 16) +
                     rte_cpu_to_be_16(uint16_t(IPPROTO_UDP)) + rte_cpu_to_be_16(uint16_t(ulen)) + raw;
      if (fold32(sum) != 0xFFFF) return RV_VXLAN_DROP_UDP_CSUM;
    }
  }
  *hdr_len = kEthLen + ihl + kUdpLen + RV_VXLAN_HDR_LEN;
  *frame_len = kEthLen + tot;
  *vni = (uint32_t(vx[4]) << 16) | (uint32_t(vx[5]) << 8) | vx[6];
  *src = ip + 12;
  return RV_VXLAN_OK;
}

}  // namespace

uint16_t rv_vxlan_decap_burst(rte_mbuf** pkts, uint16_t n, const rv_vxlan_local& local,
                              const rv_tunnel_table* tunnels, const rv_vxlan_vni_table* vnis,
                              uint32_t* vni_out, uint8_t* verdict_out, rte_be32_t* src_ip_out,
                              rv_vxlan_stats* stats) {
  uint16_t ok_total = 0;
  const void* keys[kChunk];
  int32_t pos[kChunk];
  uint16_t idx[kChunk];
  uint32_t hdr_len[kChunk];
  uint32_t frame_len[kChunk];

  for (uint16_t base = 0; base < n; base += kChunk) {
    const uint16_t end = uint16_t(uint32_t(n - base) > kChunk ? base + kChunk : n);
    uint32_t k = 0;
    for (uint16_t i = base; i < end; i++) {
      if (i + 8 < n) rte_prefetch0(pkts[i + 8]);
      if (i + 4 < n) rte_prefetch0(rte_pktmbuf_mtod(pkts[i + 4], void*));
      vni_out[i] = 0;
      uint32_t hl = 0, fl = 0, v = 0;
      const void* src = nullptr;
      uint8_t verdict = validate(pkts[i], local, &hl, &fl, &v, &src);
      verdict_out[i] = verdict;
      if (verdict == RV_VXLAN_OK) {
        keys[k] = src;
        idx[k] = i;
        hdr_len[k] = hl;
        frame_len[k] = fl;
        vni_out[i] = v;
        k++;
      }
    }
    if (k == 0) continue;
    // Stage 2: is the outer source a registered host?  A burst usually comes from few hosts:
    // look up each distinct source once (one bulk lookup per chunk).
    if (tunnels != nullptr) {
      uint32_t uval[kChunk];
      const void* ukeys[kChunk];
      int32_t upos[kChunk];
      uint8_t which[kChunk];
      uint32_t nu = 0;
      for (uint32_t j = 0; j < k; j++) {
        const uint32_t v = load_u32(static_cast<const uint8_t*>(keys[j]));
        uint32_t u = 0;
        while (u < nu && uval[u] != v) u++;
        if (u == nu) {
          uval[nu] = v;
          ukeys[nu] = keys[j];
          nu++;
        }
        which[j] = uint8_t(u);
      }
      if (rte_hash_lookup_bulk(tunnels->hash, ukeys, nu, upos) != 0) {
        for (uint32_t u = 0; u < nu; u++) upos[u] = -ENOENT;
      }
      for (uint32_t j = 0; j < k; j++) pos[j] = upos[which[j]];
    } else {
      for (uint32_t j = 0; j < k; j++) pos[j] = -ENOENT;
    }
    // Stage 3: VNI acceptance, then strip the outer headers.
    for (uint32_t j = 0; j < k; j++) {
      const uint16_t i = idx[j];
      rte_mbuf* m = pkts[i];
      const int32_t ps = pos[j];
      if (ps < 0 || uint32_t(ps) >= tunnels->slots ||
          (tunnels->entries[ps].load(std::memory_order_acquire) & kRegistered) == 0) {
        verdict_out[i] = RV_VXLAN_DROP_UNKNOWN_SOURCE;
        vni_out[i] = 0;
        continue;
      }
      if (vnis != nullptr && !vnis->accepts(vni_out[i])) {
        verdict_out[i] = RV_VXLAN_DROP_UNKNOWN_VNI;
        vni_out[i] = 0;
        continue;
      }
      if (src_ip_out != nullptr) src_ip_out[i] = load_u32(static_cast<const uint8_t*>(keys[j]));
      const uint32_t extra = rte_pktmbuf_pkt_len(m) - frame_len[j];
      if (extra != 0) rte_pktmbuf_trim(m, uint16_t(extra));  // Ethernet padding
      rte_pktmbuf_adj(m, uint16_t(hdr_len[j]));
      m->ol_flags &= ~(RTE_MBUF_F_RX_IP_CKSUM_MASK | RTE_MBUF_F_RX_L4_CKSUM_MASK |
                       RTE_MBUF_F_RX_OUTER_L4_CKSUM_MASK | RTE_MBUF_F_RX_OUTER_IP_CKSUM_BAD);
      m->packet_type = 0;  // inner frame: unknown until the manager parses it
      ok_total++;
    }
  }
  if (stats != nullptr) {
    stats->decap[RV_VXLAN_OK] += ok_total;
    if (ok_total != n)  // the common all-tunnel burst skips this pass
      for (uint16_t i = 0; i < n; i++)
        if (verdict_out[i] != RV_VXLAN_OK) stats->decap[verdict_out[i]]++;
  }
  return ok_total;
}
