// LPM router NF logic: IPv4 longest-prefix-match forwarding with DPDK's rte_lpm (DIR-24-8).
// A route maps a prefix to a next hop; a next hop says what to do with the frame: leave by a port
// (OUT), continue the service path (NEXT), or DROP, optionally rewriting the Ethernet addresses.
// TTL is decremented (checksum updated incrementally); TTL <= 1 → dropped.
//
// Splitting the forwarding table across hosts (as Flowstream does): with `shard i/n` (n a power of
// two) a router loads only the routes that matter for destinations whose top log2(n) bits are i —
// routes inside that slice plus every shorter route (replicated on all shards). The switch steers
// the slice's prefix (shard_prefix(i, n)) to the host running shard i, so a lookup there gives the
// same answer as the full table while each host holds ~1/n of the long prefixes.
//
// Config text (one per line, '#' comments):
//   hop <id> out <port>|next|drop [dmac M] [smac M]
//   route <prefix> <hop-id>
//   default <hop-id>                  (no default: unmatched frames are dropped)
//   shard <i>/<n>
#pragma once
#include <cstdint>
#include <string>
#include <vector>

struct rte_lpm;

namespace rvnf {

struct LpmHop {
  enum Kind : uint8_t { OUT = 0, NEXT = 1, DROP = 2 } kind = DROP;
  uint16_t port = 0;
  bool set_dmac = false, set_smac = false;
  uint8_t dmac[6] = {0}, smac[6] = {0};
  bool defined = false;
};

struct LpmRoute { uint32_t net; uint8_t len; uint32_t hop; };

struct LpmConfig {
  std::vector<LpmHop> hops;  // index = hop id
  std::vector<LpmRoute> routes;
  int32_t default_hop = -1;
  uint32_t shard = 0, shards = 1;
};

bool lpm_parse(const std::string& text, LpmConfig* cfg, std::string* err);

// Shard of an address (top log2(shards) bits); shards must be a power of two.
uint32_t lpm_shard_of(uint32_t ip, uint32_t shards);
// The prefix of destination addresses shard i serves: (net, len).
LpmRoute lpm_shard_prefix(uint32_t shard, uint32_t shards);
// Whether a route must be loaded on shard i.
bool lpm_route_in_shard(const LpmRoute& r, uint32_t shard, uint32_t shards);

enum LpmVerdict : uint8_t { LPM_OUT = 0, LPM_NEXT = 1, LPM_DROP_HOP = 2, LPM_DROP_NO_ROUTE = 3,
                            LPM_DROP_TTL = 4, LPM_NOT_IPV4 = 5, LPM_WRONG_SHARD = 6 };

struct LpmStats { uint64_t out = 0, next = 0, drop_hop = 0, no_route = 0, ttl = 0, not_ipv4 = 0, wrong_shard = 0; };

class LpmRouter {
 public:
  LpmRouter() = default;
  ~LpmRouter();
  LpmRouter(const LpmRouter&) = delete;
  LpmRouter& operator=(const LpmRouter&) = delete;
  bool init(const LpmConfig& cfg, const std::string& name, std::string* err);
  // Forwards frames in place (TTL, MACs); verdict[i] = LpmVerdict, port[i] = output port for OUT.
  void route(uint8_t* const* frames, const uint32_t* lens, uint16_t n, uint8_t* verdict, uint16_t* port);
  // Plain lookup (host-order address) → hop id or -1.
  int32_t lookup(uint32_t ip) const;
  uint32_t routes_loaded() const { return loaded_; }
  const LpmStats& stats() const { return stats_; }

 private:
  LpmConfig cfg_;
  rte_lpm* lpm_ = nullptr;
  uint32_t loaded_ = 0;
  LpmStats stats_;
};

}  // namespace rvnf
