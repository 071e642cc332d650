// native/src/vxlan.h — the VXLAN (RFC 7348) fast path of the host manager.
//
// Owner: NFS + VXLAN engineer. Called by the manager (native/src/*.cc): a path hop whose next
// service runs on another host → rv_vxlan_encap_burst(); every RX burst → rv_vxlan_decap_burst().
//
// Wire format (design sheet §4): outer Ethernet (src = this host's MAC, dst = next host's MAC) /
// IPv4 (this host's tunnel IP → next host's tunnel IP, DF, TTL 64, header checksum, id 0) /
// UDP (dst 4789, src = 49152 + (inner flow hash mod 16384), checksum 0) / VXLAN (flags 0x08, VNI) /
// inner frame untouched.  VNI = (service path id << 8) | index of the next hop.
//
// Batch-efficient, no allocation on the packet path: encap prepends 50 bytes into the mbuf headroom
// (RTE_PKTMBUF_HEADROOM is 128), decap adjusts the data offset (rte_pktmbuf_adj) and trims padding.
// Counters go to a caller-owned rv_vxlan_stats (one per lcore: no sharing, no atomics on the hot path).
//
// Thread safety: rv_tunnel_table and rv_vxlan_vni_table are written by ONE control thread (Node's
// main thread through the addon) while any number of lcores read them lock-free
// (rte_hash RW_CONCURRENCY_LF + one 64-bit atomic per entry; one atomic byte per service path).
#ifndef RV_NATIVE_VXLAN_H
#define RV_NATIVE_VXLAN_H

#include <atomic>
#include <cstdint>

#include <rte_byteorder.h>
#include <rte_ether.h>
#include <rte_mbuf.h>

struct rte_hash;

// ---- constants -------------------------------------------------------------------------------
constexpr uint16_t RV_VXLAN_UDP_PORT = 4789;        // IANA
constexpr uint16_t RV_VXLAN_HDR_LEN = 8;            // flags(1) reserved(3) VNI(3) reserved(1)
constexpr uint16_t RV_VXLAN_OVERHEAD = 14 + 20 + 8 + 8;  // = 50 bytes added by encap
constexpr uint8_t RV_VXLAN_FLAG_I = 0x08;           // "VNI valid"
constexpr uint8_t RV_VXLAN_TTL = 64;
constexpr uint16_t RV_VXLAN_SPORT_MIN = 49152;      // src port range 49152..65535 (RFC 7348 §5)
constexpr uint32_t RV_VXLAN_VNI_MAX = 0xFFFFFF;

// VNI ⇄ (service path id, index) — same mapping as vxlan/vni.ts.
static inline uint32_t rv_vni_make(uint16_t path_id, uint8_t index) {
  return (uint32_t(path_id) << 8) | index;
}
static inline uint16_t rv_vni_path(uint32_t vni) { return uint16_t((vni >> 8) & 0xFFFF); }
static inline uint8_t rv_vni_index(uint32_t vni) { return uint8_t(vni & 0xFF); }

// UDP source port from the inner flow hash (RFC 7348 §5: 49152–65535, entropy for ECMP).
static inline uint16_t rv_vxlan_sport(uint32_t flow_hash) {
  uint32_t h = flow_hash ^ (flow_hash >> 16);
  return uint16_t(RV_VXLAN_SPORT_MIN + (h & 0x3FFF));
}

// ---- this host's endpoint ----------------------------------------------------------------------
struct rv_vxlan_local {
  rte_ether_addr mac;  // this host's MAC on the switch-facing port
  rte_be32_t ip;       // this host's tunnel IPv4, NETWORK byte order
};

// The next host of a hop (resolved from the host registry / tunnel table).
struct rv_vxlan_peer {
  rte_ether_addr mac;  // next host's MAC
  rte_be32_t ip;       // next host's tunnel IPv4, NETWORK byte order
};

// ---- verdicts and counters ---------------------------------------------------------------------
// Per-packet result of rv_vxlan_decap_burst().  OK: decapsulated, vni_out[i] valid.  NOT_VXLAN:
// not a tunnel frame for this host, left untouched (classify it as a client frame).  Every DROP_*:
// the frame is left as it was; the CALLER frees it (rte_pktmbuf_free) and the reason is counted.
enum rv_vxlan_verdict : uint8_t {
  RV_VXLAN_OK = 0,
  RV_VXLAN_NOT_VXLAN = 1,
  RV_VXLAN_DROP_FIRST = 2,
  RV_VXLAN_DROP_TRUNCATED = 2,      // frame shorter than the headers / the IP total length
  RV_VXLAN_DROP_DST_MAC = 3,        // to our tunnel IP:4789 but not to our MAC
  RV_VXLAN_DROP_IP_HDR = 4,         // IPv4 version != 4 or IHL < 5
  RV_VXLAN_DROP_IP_CSUM = 5,        // bad IPv4 header checksum
  RV_VXLAN_DROP_IP_LEN = 6,         // IPv4 total length < header + UDP + VXLAN
  RV_VXLAN_DROP_FRAGMENT = 7,       // outer IPv4 fragment (MF set)
  RV_VXLAN_DROP_UDP_LEN = 8,        // UDP length != IP payload length
  RV_VXLAN_DROP_UDP_CSUM = 9,       // non-zero UDP checksum that does not verify
  RV_VXLAN_DROP_FLAGS = 10,         // I flag (0x08) missing or other flag bits set
  RV_VXLAN_DROP_RESERVED = 11,      // reserved fields (24 bits after flags, last byte) non-zero
  RV_VXLAN_DROP_UNKNOWN_SOURCE = 12,// outer source IP is not a registered host
  RV_VXLAN_DROP_UNKNOWN_VNI = 13,   // VNI's service path unknown or index beyond the path
  RV_VXLAN_DROP_INNER_SHORT = 14,   // inner frame shorter than an Ethernet header
  RV_VXLAN_DROP_SEGMENTED = 15,     // outer headers not contiguous in the first segment
  RV_VXLAN_VERDICT_COUNT = 16
};

// Human-readable name ("ok", "not_vxlan", "truncated", "dst_mac", ...), for stats exports.
const char* rv_vxlan_verdict_name(uint8_t verdict);

// Counters, one instance per lcore (plain uint64_t, written by that lcore only; readers on another
// thread may see slightly stale values, which is fine for stats).
struct rv_vxlan_stats {
  uint64_t encap_ok;
  uint64_t encap_no_headroom;          // mbuf headroom < 50: packet left untouched, caller drops it
  uint64_t decap[RV_VXLAN_VERDICT_COUNT];  // [RV_VXLAN_OK] = decapsulated, [NOT_VXLAN], [DROP_*]
};
void rv_vxlan_stats_add(rv_vxlan_stats& into, const rv_vxlan_stats& from);

// ---- tunnel endpoint table: registered hosts (tunnel IP → MAC) ----------------------------------
// Only frames whose outer source IP is registered here are decapsulated.  Backed by an rte_hash
// (lock-free readers); unregistering keeps the key slot (entry marked not registered) so readers
// never race a freed slot; re-registering reuses it.  Needs EAL (rte_hash allocates from hugepages
// or --no-huge memory).
struct rv_tunnel_table;

// capacity: max distinct tunnel IPs ever registered (>= 8).  name must be unique per process.
// Returns nullptr on failure (rte_errno set).
rv_tunnel_table* rv_tunnel_table_create(const char* name, uint32_t capacity, int socket_id);
void rv_tunnel_table_free(rv_tunnel_table* t);
// Register (or update the MAC of) a host.  0 on success, -ENOSPC when full, -EINVAL on bad ip (0).
int rv_tunnel_table_set(rv_tunnel_table* t, rte_be32_t ip, const rte_ether_addr& mac);
// Unregister a host.  0 on success, -ENOENT if it was not registered.
int rv_tunnel_table_remove(rv_tunnel_table* t, rte_be32_t ip);
// Remove every host (marks all entries not registered).
void rv_tunnel_table_clear(rv_tunnel_table* t);
// Look up a registered host: fills *peer (mac + ip) and returns 0, or -ENOENT.
int rv_tunnel_table_lookup(const rv_tunnel_table* t, rte_be32_t ip, rv_vxlan_peer* peer);
// Number of registered hosts.
uint32_t rv_tunnel_table_count(const rv_tunnel_table* t);

// ---- VNI acceptance: which (path id, index) pairs may arrive ------------------------------------
// A VNI is accepted iff its service path is known and index < the path's length.  No EAL needed
// (a plain 64 KiB array of atomics); the manager sets it from its service path table.
struct rv_vxlan_vni_table {
  std::atomic<uint8_t> path_len[65536];
  rv_vxlan_vni_table() { clear(); }
  void set_path(uint16_t path_id, uint8_t length) {
    path_len[path_id].store(length, std::memory_order_release);
  }
  void remove_path(uint16_t path_id) { set_path(path_id, 0); }
  void clear() {
    for (auto& p : path_len) p.store(0, std::memory_order_relaxed);
    std::atomic_thread_fence(std::memory_order_release);
  }
  bool accepts(uint32_t vni) const {
    return rv_vni_index(vni) < path_len[rv_vni_path(vni)].load(std::memory_order_acquire);
  }
};

// ---- fast path ---------------------------------------------------------------------------------
// Encapsulate n packets in place.  peers[i] is the next host of pkts[i] (may all be the same
// pointer); vni[i] its VNI (24 bits; higher bits ignored); flow_hash[i] the inner flow hash (used
// for the UDP source port; nullptr → hashed here from the inner frame: IPv4 5-tuple, else MACs).  ok_out (nullable): ok_out[i] = 1 if encapsulated, 0 if the
// packet had no room (left untouched; caller frees it).  Returns the number encapsulated.
// Offload flags of the inner packet are cleared (outer checksums are computed in software).
uint16_t rv_vxlan_encap_burst(rte_mbuf** pkts, uint16_t n, const rv_vxlan_local& local,
                              const rv_vxlan_peer* const* peers, const uint32_t* vni,
                              const uint32_t* flow_hash, uint8_t* ok_out, rv_vxlan_stats* stats);

// Same, every packet to the same peer.
uint16_t rv_vxlan_encap_burst_peer(rte_mbuf** pkts, uint16_t n, const rv_vxlan_local& local,
                                   const rv_vxlan_peer& peer, const uint32_t* vni,
                                   const uint32_t* flow_hash, uint8_t* ok_out,
                                   rv_vxlan_stats* stats);

// Classify + validate + decapsulate n received packets in place.
//  verdict_out[i] (required): RV_VXLAN_OK / RV_VXLAN_NOT_VXLAN / RV_VXLAN_DROP_* (see above).
//  vni_out[i] (required): the VNI when verdict is OK (else 0).
//  src_ip_out (nullable): outer source IP (network order) of OK packets — the sending host.
//  tunnels: registered hosts (required).  vnis: accepted VNIs (nullptr → any VNI accepted).
// A frame is a tunnel candidate iff it is Ethernet/IPv4 (no VLAN tag) to local.ip, protocol UDP,
// destination port 4789; candidates are then fully validated and dropped with a reason on any
// error.  Everything else is NOT_VXLAN and untouched.  OK frames start at the inner Ethernet header
// (outer headers removed, Ethernet padding trimmed).  Returns the number of OK packets.
uint16_t rv_vxlan_decap_burst(rte_mbuf** pkts, uint16_t n, const rv_vxlan_local& local,
                              const rv_tunnel_table* tunnels, const rv_vxlan_vni_table* vnis,
                              uint32_t* vni_out, uint8_t* verdict_out, rte_be32_t* src_ip_out,
                              rv_vxlan_stats* stats);

#endif  // RV_NATIVE_VXLAN_H
