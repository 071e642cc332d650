// Load balancer NF logic: a virtual IP (optionally one protocol / port) spread over backends with
// a Maglev lookup table (Eisenbud et al., NSDI'16): each flow's 5-tuple hash picks an entry of a
// prime-sized table filled from per-backend permutations, so every backend owns an equal share
// (±1 entry) and removing one backend moves only the flows it had (plus very few others).
// Frames to the VIP get their destination rewritten to the chosen backend; replies from a backend
// (source = backend [, port]) get their source rewritten back to the VIP. Checksums are updated.
#pragma once
#include <cstdint>
#include <string>
#include <vector>

namespace rvnf {

// Builds a Maglev table of size m (prime) for backends identified by `keys`; entry = backend index.
std::vector<int32_t> maglev_build(const std::vector<uint32_t>& keys, uint32_t m);

struct LbConfig {
  uint32_t vip = 0;       // host order
  int proto = -1;         // -1 any, else 6/17
  uint16_t port = 0;      // 0 = any port
  std::vector<uint32_t> backends;  // host-order IPv4
  uint32_t table_size = 65537;     // prime
};

// "--vip A.B.C.D[:PORT] [--proto tcp|udp] --backend IP ... [--table-size PRIME]"
bool lb_parse_args(int argc, char** argv, LbConfig* cfg, std::string* err);

struct LbStats { uint64_t to_vip = 0, from_backend = 0, other = 0; };

class LoadBalancer {
 public:
  bool init(const LbConfig& cfg, std::string* err);
  // Replaces the backend set (rebuilds the table; flows of surviving backends mostly stay).
  bool set_backends(const std::vector<uint32_t>& backends, std::string* err);
  // Rewrites frames in place; backend_out (nullable) = chosen backend index or -1.
  void process(uint8_t* const* frames, const uint32_t* lens, uint16_t n, int32_t* backend_out);
  int32_t backend_for_hash(uint32_t h) const { return table_.empty() ? -1 : table_[h % table_.size()]; }
  const std::vector<int32_t>& table() const { return table_; }
  const std::vector<uint64_t>& per_backend() const { return per_backend_; }
  const LbStats& stats() const { return stats_; }
  const LbConfig& config() const { return cfg_; }

 private:
  LbConfig cfg_;
  std::vector<int32_t> table_;
  std::vector<uint64_t> per_backend_;
  LbStats stats_;
};

bool is_prime(uint32_t n);

}  // namespace rvnf
