// Load balancer NF logic (see load_balancer.h).
#include "load_balancer.h"

#include <cstdlib>
#include <cstring>

#include <rte_hash_crc.h>

#include "../nf_pkt.h"

namespace rvnf {
namespace {
inline uint64_t mix64(uint64_t x) {  // splitmix64 finaliser
  x += 0x9e3779b97f4a7c15ULL;
  x = (x ^ (x >> 30)) * 0xbf58476d1ce4e5b9ULL;
  x = (x ^ (x >> 27)) * 0x94d049bb133111ebULL;
  return x ^ (x >> 31);
}
inline uint32_t flow_hash(const Pkt& p) {
  uint32_t h = rte_hash_crc_4byte(p.src, 0x1234567);
  h = rte_hash_crc_4byte(p.dst, h);
  h = rte_hash_crc_4byte((uint32_t(p.sport) << 16) | p.dport, h);
  return rte_hash_crc_1byte(p.proto, h);
}
}  // namespace

bool is_prime(uint32_t n) {
  if (n < 2) return false;
  for (uint32_t d = 2; uint64_t(d) * d <= n; d++)
    if (n % d == 0) return false;
  return true;
}

std::vector<int32_t> maglev_build(const std::vector<uint32_t>& keys, uint32_t m) {
  std::vector<int32_t> entry(m, -1);
  const size_t nb = keys.size();
  if (nb == 0) return entry;
  std::vector<uint64_t> offset(nb), skip(nb), next(nb, 0);
  for (size_t i = 0; i < nb; i++) {
    offset[i] = mix64(keys[i]) % m;
    skip[i] = mix64(uint64_t(keys[i]) ^ 0xA5A5A5A5DEADBEEFULL) % (m - 1) + 1;
  }
  uint32_t filled = 0;
  for (;;) {
    for (size_t i = 0; i < nb; i++) {
      uint64_t c = (offset[i] + next[i] * skip[i]) % m;
      while (entry[c] >= 0) {
        next[i]++;
        c = (offset[i] + next[i] * skip[i]) % m;
      }
      entry[c] = int32_t(i);
      next[i]++;
      if (++filled == m) return entry;
    }
  }
}

bool lb_parse_args(int argc, char** argv, LbConfig* cfg, std::string* err) {
  bool vip = false;
  for (int i = 1; i < argc; i++) {
    std::string a = argv[i];
    auto val = [&]() -> std::string { return i + 1 < argc ? argv[++i] : ""; };
    if (a == "--vip") {
      std::string v = val();
      size_t colon = v.find(':');
      if (colon != std::string::npos) {
        char* end = nullptr;
        long port = strtol(v.c_str() + colon + 1, &end, 10);
        if (*end || port <= 0 || port > 65535) { *err = "bad --vip port"; return false; }
        cfg->port = uint16_t(port);
        v = v.substr(0, colon);
      }
      if (!parse_ip(v.c_str(), &cfg->vip)) { *err = "bad --vip"; return false; }
      vip = true;
    } else if (a == "--proto") {
      std::string v = val();
      if (v == "tcp") cfg->proto = PROTO_TCP;
      else if (v == "udp") cfg->proto = PROTO_UDP;
      else if (v == "any") cfg->proto = -1;
      else { *err = "bad --proto"; return false; }
    } else if (a == "--backend") {
      uint32_t ip;
      if (!parse_ip(val().c_str(), &ip)) { *err = "bad --backend"; return false; }
      cfg->backends.push_back(ip);
    } else if (a == "--table-size") {
      cfg->table_size = uint32_t(strtoul(val().c_str(), nullptr, 10));
    }
  }
  if (!vip) { *err = "--vip is required"; return false; }
  if (cfg->backends.empty()) { *err = "at least one --backend is required"; return false; }
  return true;
}

bool LoadBalancer::init(const LbConfig& cfg, std::string* err) {
  if (!is_prime(cfg.table_size) || cfg.table_size < 7) { *err = "table size must be a prime >= 7"; return false; }
  cfg_ = cfg;
  return set_backends(cfg.backends, err);
}

bool LoadBalancer::set_backends(const std::vector<uint32_t>& backends, std::string* err) {
  if (backends.size() >= cfg_.table_size) { *err = "more backends than table entries"; return false; }
  for (size_t i = 0; i < backends.size(); i++)
    for (size_t j = i + 1; j < backends.size(); j++)
      if (backends[i] == backends[j]) { *err = "duplicate backend"; return false; }
  cfg_.backends = backends;
  table_ = maglev_build(backends, cfg_.table_size);
  per_backend_.assign(backends.size(), 0);
  return true;
}

void LoadBalancer::process(uint8_t* const* frames, const uint32_t* lens, uint16_t n, int32_t* backend_out) {
  for (uint16_t i = 0; i < n; i++) {
    if (backend_out) backend_out[i] = -1;
    Pkt p;
    if (!parse(frames[i], lens[i], &p) || (cfg_.proto >= 0 && p.proto != cfg_.proto)) {
      stats_.other++;
      continue;
    }
    if (p.dst == cfg_.vip && (cfg_.port == 0 || (p.has_ports && p.dport == cfg_.port))) {
      int32_t b = backend_for_hash(flow_hash(p));
      if (b < 0) { stats_.other++; continue; }
      rewrite(p, false, cfg_.backends[size_t(b)], p.dport);
      per_backend_[size_t(b)]++;
      stats_.to_vip++;
      if (backend_out) backend_out[i] = b;
      continue;
    }
    bool from_backend = false;
    if (cfg_.port == 0 || (p.has_ports && p.sport == cfg_.port)) {
      for (uint32_t be : cfg_.backends)
        if (p.src == be) { from_backend = true; break; }
    }
    if (from_backend) {
      rewrite(p, true, cfg_.vip, p.sport);
      stats_.from_backend++;
    } else {
      stats_.other++;
    }
  }
}

}  // namespace rvnf
