// NAT NF logic: source NAT (NAPT) of an inside prefix behind one external IPv4 address.
// Outbound (source inside the prefix): (proto, inside ip, inside port) → an external port allocated
// from a per-protocol pool (endpoint-independent mapping, RFC 4787), source rewritten.
// Inbound (destination = the external address): (proto, external port) → reverse mapping,
// destination rewritten back; no mapping → dropped (counted).  TCP/UDP ports and ICMP echo
// identifiers are translated; IPv4 and L4 checksums are updated incrementally (RFC 1624).
// Both maps are rte_hash tables; idle mappings expire and their ports return to the pool.
#pragma once
#include <cstdint>
#include <string>
#include <vector>

struct rte_hash;

namespace rvnf {

struct NatConfig {
  uint32_t external_ip = 0;           // host order
  uint32_t inside_net = 0;            // host order
  uint8_t inside_len = 0;
  uint16_t port_lo = 1024, port_hi = 65535;
  double timeout_s = 120;
  uint32_t max_mappings = 65536;
  bool pass_other = true;             // frames neither outbound nor inbound: pass untouched
};

// "--external A --inside P/L [--ports LO-HI] [--timeout S] [--max N] [--drop-other]"
bool nat_parse_args(int argc, char** argv, NatConfig* cfg, std::string* err);

struct NatStats {
  uint64_t out_translated = 0, in_translated = 0, in_no_mapping = 0, out_no_port = 0,
           other_passed = 0, other_dropped = 0, untranslatable = 0, expired = 0, created = 0;
};

class Nat {
 public:
  Nat() = default;
  ~Nat();
  Nat(const Nat&) = delete;
  Nat& operator=(const Nat&) = delete;
  bool init(const NatConfig& cfg, const std::string& name, uint64_t tsc_hz, std::string* err);
  // Translates frames in place; pass[i] = 1 (forward) or 0 (drop).
  void process(uint8_t* const* frames, const uint32_t* lens, uint16_t n, uint8_t* pass, uint64_t now);
  uint32_t expire(uint64_t now, uint32_t budget);
  uint32_t mappings() const;
  uint32_t free_ports(uint8_t proto) const;
  const NatStats& stats() const { return stats_; }

 private:
  struct Mapping { uint32_t in_ip; uint16_t in_port; uint16_t ext_port; uint8_t proto; uint64_t seen; };
  int pool_of(uint8_t proto) const;
  NatConfig cfg_;
  rte_hash* fwd_ = nullptr;   // (proto, inside ip, inside port) → slot
  rte_hash* rev_ = nullptr;   // (proto, external port) → slot
  std::vector<Mapping> slots_;  // indexed by fwd_ position
  std::vector<int32_t> rev_slot_;  // rev_ position → fwd position
  std::vector<uint16_t> pool_[3];  // free external ports: tcp, udp, icmp
  uint64_t timeout_ = 0;
  uint32_t iter_ = 0;
  NatStats stats_;
};

}  // namespace rvnf
