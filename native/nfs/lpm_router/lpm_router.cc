// LPM router NF logic (see lpm_router.h).
#include "lpm_router.h"

#include <cstdlib>
#include <cstring>
#include <sstream>

#include <rte_lpm.h>

#include "../nf_config.h"
#include "../nf_pkt.h"

namespace rvnf {
namespace {
uint32_t log2u(uint32_t n) { uint32_t k = 0; while ((1u << k) < n) k++; return k; }
bool parse_mac(const std::string& s, uint8_t* out) {
  unsigned b[6];
  char x;
  if (sscanf(s.c_str(), "%x:%x:%x:%x:%x:%x%c", &b[0], &b[1], &b[2], &b[3], &b[4], &b[5], &x) != 6) return false;
  for (int i = 0; i < 6; i++) { if (b[i] > 255) return false; out[i] = uint8_t(b[i]); }
  return true;
}
}  // namespace

uint32_t lpm_shard_of(uint32_t ip, uint32_t shards) {
  uint32_t k = log2u(shards);
  return k == 0 ? 0 : ip >> (32 - k);
}

LpmRoute lpm_shard_prefix(uint32_t shard, uint32_t shards) {
  uint32_t k = log2u(shards);
  return LpmRoute{k == 0 ? 0 : shard << (32 - k), uint8_t(k), 0};
}

bool lpm_route_in_shard(const LpmRoute& r, uint32_t shard, uint32_t shards) {
  uint32_t k = log2u(shards);
  if (r.len < k) return true;  // shorter than the split: covers several shards, replicated
  return lpm_shard_of(r.net, shards) == shard;
}

bool lpm_parse(const std::string& text, LpmConfig* cfg, std::string* err) {
  ConfigLines lines(text);
  auto fail = [&](const std::string& m) { return lines.fail(err, m); };
  for (std::string line; lines.next(&line);) {
    std::vector<std::string> t = ConfigLines::words(ConfigLines::uncomment(line));
    if (t.empty()) continue;
    auto num = [&](const std::string& s, uint32_t max, uint32_t* v) {
      char* end = nullptr;
      unsigned long x = strtoul(s.c_str(), &end, 10);
      if (s.empty() || *end || x > max) return false;
      *v = uint32_t(x);
      return true;
    };
    if (t[0] == "hop") {
      uint32_t id;
      if (t.size() < 3 || !num(t[1], 65535, &id)) return fail("hop <id> out <port>|next|drop");
      if (cfg->hops.size() <= id) cfg->hops.resize(id + 1);
      LpmHop& hp = cfg->hops[id];
      hp = LpmHop{};
      hp.defined = true;
      size_t i = 2;
      if (t[i] == "out") {
        uint32_t port;
        if (t.size() < 4 || !num(t[3], 65535, &port)) return fail("bad port");
        hp.kind = LpmHop::OUT;
        hp.port = uint16_t(port);
        i = 4;
      } else if (t[i] == "next") { hp.kind = LpmHop::NEXT; i = 3; }
      else if (t[i] == "drop") { hp.kind = LpmHop::DROP; i = 3; }
      else return fail("unknown hop kind " + t[i]);
      for (; i < t.size(); i += 2) {
        if (i + 1 >= t.size()) return fail("missing value for " + t[i]);
        if (t[i] == "dmac") { if (!parse_mac(t[i + 1], hp.dmac)) return fail("bad MAC"); hp.set_dmac = true; }
        else if (t[i] == "smac") { if (!parse_mac(t[i + 1], hp.smac)) return fail("bad MAC"); hp.set_smac = true; }
        else return fail("unknown hop option " + t[i]);
      }
    } else if (t[0] == "route") {
      LpmRoute r{};
      if (t.size() != 3 || !parse_prefix(t[1].c_str(), &r.net, &r.len) || !num(t[2], 65535, &r.hop))
        return fail("route <prefix> <hop-id>");
      cfg->routes.push_back(r);
    } else if (t[0] == "default") {
      uint32_t id;
      if (t.size() != 2 || !num(t[1], 65535, &id)) return fail("default <hop-id>");
      cfg->default_hop = int32_t(id);
    } else if (t[0] == "shard") {
      unsigned i, n;
      if (t.size() != 2 || sscanf(t[1].c_str(), "%u/%u", &i, &n) != 2 || n == 0 || (n & (n - 1)) || i >= n || n > 256)
        return fail("shard <i>/<n> with n a power of two <= 256");
      cfg->shard = i;
      cfg->shards = n;
    } else {
      return fail("unknown keyword " + t[0]);
    }
  }
  for (const auto& r : cfg->routes)
    if (r.hop >= cfg->hops.size() || !cfg->hops[r.hop].defined) { *err = "route to undefined hop " + std::to_string(r.hop); return false; }
  if (cfg->default_hop >= 0 && (size_t(cfg->default_hop) >= cfg->hops.size() || !cfg->hops[size_t(cfg->default_hop)].defined)) {
    *err = "default to undefined hop";
    return false;
  }
  return true;
}

LpmRouter::~LpmRouter() {
  if (lpm_) rte_lpm_free(lpm_);
}

bool LpmRouter::init(const LpmConfig& cfg, const std::string& name, std::string* err) {
  cfg_ = cfg;
  rte_lpm_config lc{};
  lc.max_rules = uint32_t(cfg.routes.size() + 16);
  lc.number_tbl8s = 1u << 12;
  lpm_ = rte_lpm_create(name.c_str(), SOCKET_ID_ANY, &lc);
  if (!lpm_) { *err = "rte_lpm_create failed"; return false; }
  for (const auto& r : cfg.routes) {
    if (!lpm_route_in_shard(r, cfg.shard, cfg.shards)) continue;
    if (r.len == 0) continue;  // the default hop covers /0
    int rc = rte_lpm_add(lpm_, r.net, r.len, r.hop);
    if (rc != 0) { *err = "rte_lpm_add failed: " + std::to_string(rc); return false; }
    loaded_++;
  }
  for (const auto& r : cfg.routes)
    if (r.len == 0) cfg_.default_hop = int32_t(r.hop);
  return true;
}

int32_t LpmRouter::lookup(uint32_t ip) const {
  uint32_t hop;
  if (rte_lpm_lookup(lpm_, ip, &hop) == 0) return int32_t(hop);
  return cfg_.default_hop;
}

void LpmRouter::route(uint8_t* const* frames, const uint32_t* lens, uint16_t n, uint8_t* verdict, uint16_t* port) {
  constexpr uint16_t kMax = 64;
  for (uint16_t base = 0; base < n; base += kMax) {
    const uint16_t cnt = uint16_t(n - base < kMax ? n - base : kMax);
    uint32_t ips[kMax], hops[kMax];
    Pkt pk[kMax];
    bool ok[kMax];
    for (uint16_t j = 0; j < cnt; j++) {
      ok[j] = parse(frames[base + j], lens[base + j], &pk[j]);
      ips[j] = ok[j] ? pk[j].dst : 0;
    }
    rte_lpm_lookup_bulk(lpm_, ips, hops, cnt);
    for (uint16_t j = 0; j < cnt; j++) {
      const uint16_t i = uint16_t(base + j);
      port[i] = 0;
      if (!ok[j]) { verdict[i] = LPM_NOT_IPV4; stats_.not_ipv4++; continue; }
      if (cfg_.shards > 1 && lpm_shard_of(pk[j].dst, cfg_.shards) != cfg_.shard) {
        verdict[i] = LPM_WRONG_SHARD;  // the switch should not have sent it here
        stats_.wrong_shard++;
        continue;
      }
      int32_t hop = (hops[j] & RTE_LPM_LOOKUP_SUCCESS) ? int32_t(hops[j] & 0x00FFFFFF) : cfg_.default_hop;
      if (hop < 0) { verdict[i] = LPM_DROP_NO_ROUTE; stats_.no_route++; continue; }
      const LpmHop& h = cfg_.hops[size_t(hop)];
      if (h.kind == LpmHop::DROP) { verdict[i] = LPM_DROP_HOP; stats_.drop_hop++; continue; }
      uint8_t* ip = pk[j].data + pk[j].l3;
      if (ip[8] <= 1) { verdict[i] = LPM_DROP_TTL; stats_.ttl++; continue; }
      const uint16_t old_w = rd16(ip + 8);
      ip[8]--;
      csum_update16(ip + 10, old_w, rd16(ip + 8));
      if (h.set_dmac) memcpy(pk[j].data, h.dmac, 6);
      if (h.set_smac) memcpy(pk[j].data + 6, h.smac, 6);
      if (h.kind == LpmHop::OUT) { verdict[i] = LPM_OUT; port[i] = h.port; stats_.out++; }
      else { verdict[i] = LPM_NEXT; stats_.next++; }
    }
  }
}

}  // namespace rvnf
