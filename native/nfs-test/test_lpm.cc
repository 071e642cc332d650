#include <cstring>
#include <random>
#include "../nfs/lpm_router/lpm_router.h"
#include "../nfs/nf_pkt.h"
#include "tests_nf.h"

using namespace rvnf;

void test_lpm() {
  std::string err;
  LpmConfig bad;
  check("lpm.parse_undefined_hop", !lpm_parse("route 10.0.0.0/8 3\n", &bad, &err), err);
  LpmConfig bad2;
  check("lpm.parse_bad_shard", !lpm_parse("shard 1/3\n", &bad2, &err), err);
  LpmConfig bad3;
  check("lpm.parse_bad_prefix", !lpm_parse("hop 1 drop\nroute 10.0.0.0/40 1\n", &bad3, &err), err);
  const char* table =
      "hop 1 out 3 dmac 02:00:00:00:00:aa smac 02:00:00:00:00:bb\n"
      "hop 2 next\n"
      "hop 3 drop\n"
      "hop 4 out 7\n"
      "route 10.0.0.0/8 1\n"
      "route 10.1.0.0/16 2\n"
      "route 10.1.2.0/24 3\n"
      "route 10.1.2.128/25 4\n"
      "default 2\n";
  LpmConfig cfg;
  check("lpm.parse", lpm_parse(table, &cfg, &err) && cfg.routes.size() == 4 && cfg.default_hop == 2, err);
  LpmRouter r;
  check("lpm.init", r.init(cfg, "t_lpm1", &err) && r.routes_loaded() == 4, err);
  check("lpm.longest_match", r.lookup(0x0a050505) == 1 && r.lookup(0x0a010505) == 2 && r.lookup(0x0a010205) == 3 &&
                                 r.lookup(0x0a010281) == 4 && r.lookup(0x0b000001) == 2);
  std::vector<Frame> fr = {make_frame(PROTO_UDP, "1.1.1.1", 1, "10.5.5.5", 2), make_frame(PROTO_UDP, "1.1.1.1", 1, "10.1.2.5", 2),
                           make_frame(PROTO_UDP, "1.1.1.1", 1, "10.1.9.9", 2), make_frame(PROTO_UDP, "1.1.1.1", 1, "10.1.2.200", 2)};
  fr[2][14 + 8] = 1;  // TTL 1
  std::vector<uint8_t*> d;
  std::vector<uint32_t> l;
  for (auto& f : fr) { d.push_back(f.data()); l.push_back(uint32_t(f.size())); }
  uint8_t v[4];
  uint16_t port[4];
  r.route(d.data(), l.data(), 4, v, port);
  check("lpm.verdicts", v[0] == LPM_OUT && port[0] == 3 && v[1] == LPM_DROP_HOP && v[2] == LPM_DROP_TTL && v[3] == LPM_OUT && port[3] == 7);
  const uint8_t aa[6] = {2, 0, 0, 0, 0, 0xaa}, bb[6] = {2, 0, 0, 0, 0, 0xbb};
  check("lpm.mac_rewrite", memcmp(fr[0].data(), aa, 6) == 0 && memcmp(fr[0].data() + 6, bb, 6) == 0);
  check("lpm.ttl_decremented_checksum_ok", fr[0][22] == 63 && checksums_ok(fr[0]));

  // Flowstream-style split: 4 shards, 3000 random routes; each shard's router answers like the
  // full table for the destinations of its slice, and holds far fewer long routes.
  std::mt19937 rng(42);
  std::string big = "hop 0 drop\n";
  for (int h = 1; h <= 50; h++) big += "hop " + std::to_string(h) + " out " + std::to_string(h) + "\n";
  big += "route 0.0.0.0/1 1\nroute 128.0.0.0/1 2\nroute 64.0.0.0/3 5\n";  // short: /1 replicated on all shards
  for (int i = 0; i < 3000; i++) {
    uint32_t ip = rng();
    unsigned len = 8 + rng() % 25;  // (very short prefixes make rte_lpm fill millions of tbl24 entries)
    char line[64];
    snprintf(line, sizeof line, "route %u.%u.%u.%u/%u %u\n", ip >> 24, (ip >> 16) & 255, (ip >> 8) & 255, ip & 255, len, 1 + rng() % 50);
    big += line;
  }
  LpmConfig full;
  check("lpm.big_parse", lpm_parse(big, &full, &err), err);
  LpmRouter fr_full;
  fr_full.init(full, "t_lpm_full", &err);
  int mismatches = 0;
  uint32_t loaded_sum = 0;
  bool all_smaller = true;
  for (uint32_t s = 0; s < 4; s++) {
    LpmConfig sc = full;
    sc.shard = s;
    sc.shards = 4;
    LpmRouter rs;
    rs.init(sc, "t_lpm_s" + std::to_string(s), &err);
    loaded_sum += rs.routes_loaded();
    if (rs.routes_loaded() >= fr_full.routes_loaded() / 2) all_smaller = false;
    LpmRoute pfx = lpm_shard_prefix(s, 4);
    for (int k = 0; k < 20000; k++) {
      uint32_t dst = pfx.net | (rng() & 0x3FFFFFFF);
      if (rs.lookup(dst) != fr_full.lookup(dst)) mismatches++;
    }
  }
  check("lpm.shard_prefixes", lpm_shard_prefix(3, 4).net == 0xC0000000 && lpm_shard_prefix(3, 4).len == 2 &&
                                  lpm_shard_of(0x80000001, 4) == 2);
  check("lpm.split_same_answers", mismatches == 0, std::to_string(mismatches));
  uint32_t short_routes = 0;  // shorter than the /2 split: replicated on every shard
  for (const auto& rt : full.routes) if (rt.len < 2) short_routes++;
  check("lpm.split_smaller_tables", all_smaller && loaded_sum == fr_full.routes_loaded() + 3 * short_routes,
        "full " + std::to_string(fr_full.routes_loaded()) + " sum of shards " + std::to_string(loaded_sum));
  // a shard refuses destinations of another slice
  LpmConfig s0 = cfg;
  s0.shard = 0;
  s0.shards = 2;  // slice 0.0.0.0/1
  LpmRouter r0;
  r0.init(s0, "t_lpm_s0b", &err);
  Frame w = make_frame(PROTO_UDP, "1.1.1.1", 1, "200.1.1.1", 2);
  uint8_t* dw = w.data();
  uint32_t lw = uint32_t(w.size());
  uint8_t vw;
  uint16_t pw;
  r0.route(&dw, &lw, 1, &vw, &pw);
  check("lpm.wrong_shard", vw == LPM_WRONG_SHARD);
}
