// NAT NF logic (see nat.h).
#include "nat.h"

#include <cstdlib>
#include <cstring>

#include <rte_hash.h>
#include <rte_hash_crc.h>

#include "../nf_pkt.h"

namespace rvnf {
namespace {
struct FwdKey { uint32_t ip; uint16_t port; uint8_t proto; uint8_t pad; };
struct RevKey { uint16_t port; uint8_t proto; uint8_t pad; };
static_assert(sizeof(FwdKey) == 8 && sizeof(RevKey) == 4, "keys");
}  // namespace

bool nat_parse_args(int argc, char** argv, NatConfig* cfg, std::string* err) {
  bool ext = false, in = false;
  for (int i = 1; i < argc; i++) {
    std::string a = argv[i];
    auto val = [&]() -> const char* { return i + 1 < argc ? argv[++i] : ""; };
    if (a == "--external") {
      if (!parse_ip(val(), &cfg->external_ip)) { *err = "bad --external"; return false; }
      ext = true;
    } else if (a == "--inside") {
      if (!parse_prefix(val(), &cfg->inside_net, &cfg->inside_len)) { *err = "bad --inside"; return false; }
      in = true;
    } else if (a == "--ports") {
      unsigned lo, hi;
      if (sscanf(val(), "%u-%u", &lo, &hi) != 2 || lo == 0 || lo > hi || hi > 65535) { *err = "bad --ports"; return false; }
      cfg->port_lo = uint16_t(lo);
      cfg->port_hi = uint16_t(hi);
    } else if (a == "--timeout") {
      cfg->timeout_s = atof(val());
      if (cfg->timeout_s <= 0) { *err = "bad --timeout"; return false; }
    } else if (a == "--max") {
      cfg->max_mappings = uint32_t(strtoul(val(), nullptr, 10));
      if (cfg->max_mappings < 8) { *err = "bad --max"; return false; }
    } else if (a == "--drop-other") {
      cfg->pass_other = false;
    }
  }
  if (!ext || !in) { *err = "--external and --inside are required"; return false; }
  return true;
}

Nat::~Nat() {
  if (fwd_) rte_hash_free(fwd_);
  if (rev_) rte_hash_free(rev_);
}

bool Nat::init(const NatConfig& cfg, const std::string& name, uint64_t tsc_hz, std::string* err) {
  cfg_ = cfg;
  timeout_ = uint64_t(cfg.timeout_s * double(tsc_hz));
  rte_hash_parameters p{};
  std::string fn = name + "_f", rn = name + "_r";
  p.entries = cfg.max_mappings;
  p.hash_func = rte_hash_crc;
  p.socket_id = SOCKET_ID_ANY;
  p.name = fn.c_str();
  p.key_len = sizeof(FwdKey);
  fwd_ = rte_hash_create(&p);
  p.name = rn.c_str();
  p.key_len = sizeof(RevKey);
  rev_ = rte_hash_create(&p);
  if (!fwd_ || !rev_) { *err = "rte_hash_create failed"; return false; }
  slots_.assign(size_t(rte_hash_max_key_id(fwd_)) + 1, Mapping{});
  rev_slot_.assign(size_t(rte_hash_max_key_id(rev_)) + 1, -1);
  for (auto& pl : pool_) {
    pl.clear();
    for (uint32_t port = cfg.port_hi; port >= cfg.port_lo && port > 0; port--) pl.push_back(uint16_t(port));
  }
  return true;
}

int Nat::pool_of(uint8_t proto) const {
  return proto == PROTO_TCP ? 0 : proto == PROTO_UDP ? 1 : proto == PROTO_ICMP ? 2 : -1;
}

uint32_t Nat::mappings() const { return fwd_ ? uint32_t(rte_hash_count(fwd_)) : 0; }
uint32_t Nat::free_ports(uint8_t proto) const {
  int k = pool_of(proto);
  return k < 0 ? 0 : uint32_t(pool_[k].size());
}

void Nat::process(uint8_t* const* frames, const uint32_t* lens, uint16_t n, uint8_t* pass, uint64_t now) {
  const uint32_t mask = cfg_.inside_len == 0 ? 0 : ~((1u << (32 - cfg_.inside_len)) - 1);
  for (uint16_t i = 0; i < n; i++) {
    Pkt p;
    pass[i] = 1;
    bool ip = parse(frames[i], lens[i], &p);
    bool outbound = ip && (p.src & mask) == cfg_.inside_net && p.dst != cfg_.external_ip;
    bool inbound = ip && p.dst == cfg_.external_ip;
    if (!outbound && !inbound) {
      if (cfg_.pass_other) stats_.other_passed++;
      else { pass[i] = 0; stats_.other_dropped++; }
      continue;
    }
    int pk = pool_of(p.proto);
    if (pk < 0 || !p.has_ports) {  // nothing we can translate (other protocol, fragment, ICMP error)
      stats_.untranslatable++;
      pass[i] = 0;
      continue;
    }
    if (outbound) {
      FwdKey k{p.src, p.sport, p.proto, 0};
      int32_t pos = rte_hash_lookup(fwd_, &k);
      if (pos < 0) {
        if (pool_[pk].empty()) { stats_.out_no_port++; pass[i] = 0; continue; }
        uint16_t port = pool_[pk].back();
        RevKey rk{port, p.proto, 0};
        pos = rte_hash_add_key(fwd_, &k);
        int32_t rpos = pos >= 0 ? rte_hash_add_key(rev_, &rk) : -1;
        if (pos < 0 || rpos < 0) {
          if (pos >= 0) rte_hash_del_key(fwd_, &k);
          stats_.out_no_port++;
          pass[i] = 0;
          continue;
        }
        pool_[pk].pop_back();
        slots_[size_t(pos)] = Mapping{p.src, p.sport, port, p.proto, now};
        rev_slot_[size_t(rpos)] = pos;
        stats_.created++;
      }
      Mapping& m = slots_[size_t(pos)];
      m.seen = now;
      rewrite(p, true, cfg_.external_ip, m.ext_port);
      stats_.out_translated++;
    } else {
      RevKey rk{p.dport, p.proto, 0};
      int32_t rpos = rte_hash_lookup(rev_, &rk);
      if (rpos < 0 || rev_slot_[size_t(rpos)] < 0) { stats_.in_no_mapping++; pass[i] = 0; continue; }
      Mapping& m = slots_[size_t(rev_slot_[size_t(rpos)])];
      m.seen = now;
      rewrite(p, false, m.in_ip, m.in_port);
      stats_.in_translated++;
    }
  }
}

uint32_t Nat::expire(uint64_t now, uint32_t budget) {
  uint32_t removed = 0;
  const void* key;
  void* data;
  for (uint32_t v = 0; v < budget; v++) {
    int32_t pos = rte_hash_iterate(fwd_, &key, &data, &iter_);
    if (pos < 0) { iter_ = 0; break; }
    Mapping m = slots_[size_t(pos)];
    if (now - m.seen <= timeout_) continue;
    FwdKey k;
    memcpy(&k, key, sizeof k);
    RevKey rk{m.ext_port, m.proto, 0};
    int32_t rpos = rte_hash_del_key(rev_, &rk);
    if (rpos >= 0) rev_slot_[size_t(rpos)] = -1;
    rte_hash_del_key(fwd_, &k);
    pool_[pool_of(m.proto)].push_back(m.ext_port);
    removed++;
  }
  stats_.expired += removed;
  return removed;
}

}  // namespace rvnf
