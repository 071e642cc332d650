// Firewall NF logic: ordered 5-tuple rules (IPv4 prefixes, protocol, port ranges) classified in
// batches with DPDK's rte_acl (first matching rule wins), a default action, optional connection
// tracking on rte_hash (a flow allowed by a rule lets its reply direction through until it idles
// out), per-rule hit counters.  Works on (pointer, length) frames: testable without mbufs or the
// manager (rte_acl/rte_hash need only an EAL, e.g. --no-huge).
//
// Rules file (one per line, '#' comments):
//   default allow|drop            (default: allow)
//   nonip allow|drop              frames that are not IPv4 (ARP, IPv6, ...) (default: allow)
//   conntrack on|off [timeout S] [size N]
//   allow|drop [proto tcp|udp|icmp|any|N] [src PREFIX|any] [dst PREFIX|any]
//              [sport P|LO-HI|any] [dport P|LO-HI|any]
#pragma once
#include <cstdint>
#include <string>
#include <vector>

struct rte_acl_ctx;
struct rte_hash;

namespace rvnf {

struct FwRule {
  bool allow = false;
  int proto = -1;  // -1 = any
  uint32_t src = 0, dst = 0;  // host order
  uint8_t src_len = 0, dst_len = 0;
  uint16_t sport_lo = 0, sport_hi = 0xFFFF, dport_lo = 0, dport_hi = 0xFFFF;
  std::string text;  // the source line
};

struct FwConfig {
  std::vector<FwRule> rules;
  bool default_allow = true;
  bool nonip_allow = true;
  bool conntrack = false;
  double ct_timeout_s = 60;
  uint32_t ct_size = 65536;
};

// Parses the rules text; on error returns false and sets *err ("line N: ...").
bool fw_parse(const std::string& text, FwConfig* cfg, std::string* err);

enum FwReason : uint8_t { FW_RULE = 0, FW_DEFAULT = 1, FW_CONNTRACK = 2, FW_NONIP = 3 };

struct FwStats {
  uint64_t allowed = 0, dropped = 0, default_hits = 0, nonip = 0, ct_hits = 0, ct_inserts = 0,
           ct_full = 0, ct_expired = 0;
};

class Firewall {
 public:
  Firewall() = default;
  ~Firewall();
  Firewall(const Firewall&) = delete;
  Firewall& operator=(const Firewall&) = delete;

  // Builds the ACL (and the connection table). `name` must be unique in the process; tsc_hz is the
  // unit of the `now` timestamps given to classify/expire.
  bool init(const FwConfig& cfg, const std::string& name, uint64_t tsc_hz, std::string* err);

  // Decides n frames: allow[i] = 1 (pass) or 0 (drop). reason_out (nullable) = FwReason;
  // rule_out (nullable) = matched rule index or -1.
  void classify(uint8_t* const* frames, const uint32_t* lens, uint16_t n, uint8_t* allow,
                uint64_t now, uint8_t* reason_out = nullptr, int32_t* rule_out = nullptr);

  // Removes idle connections, visiting at most `budget` entries per call.
  uint32_t expire(uint64_t now, uint32_t budget);

  const FwConfig& config() const { return cfg_; }
  const std::vector<uint64_t>& rule_hits() const { return hits_; }
  const FwStats& stats() const { return stats_; }
  uint32_t ct_count() const;

 private:
  FwConfig cfg_;
  rte_acl_ctx* acl_ = nullptr;
  rte_hash* ct_ = nullptr;
  std::vector<uint64_t> ct_seen_;
  std::vector<uint64_t> hits_;
  FwStats stats_;
  uint64_t ct_timeout_ = 0;
  uint32_t iter_ = 0;
};

}  // namespace rvnf
