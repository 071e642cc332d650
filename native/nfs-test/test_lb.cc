#include <algorithm>
#include <cstring>
#include "../nfs/load_balancer/load_balancer.h"
#include "../nfs/nf_pkt.h"
#include "tests_nf.h"

using namespace rvnf;

void test_lb() {
  std::string err;
  // Maglev table properties
  std::vector<uint32_t> b5 = {0x0a000001, 0x0a000002, 0x0a000003, 0x0a000004, 0x0a000005};
  const uint32_t M = 65537;
  auto t5 = maglev_build(b5, M);
  std::vector<uint32_t> cnt(5, 0);
  bool full = true;
  for (int32_t e : t5) { if (e < 0) full = false; else cnt[size_t(e)]++; }
  auto mm = std::minmax_element(cnt.begin(), cnt.end());
  check("lb.maglev_full", full);
  check("lb.maglev_balanced", *mm.second - *mm.first <= 1, std::to_string(*mm.first) + ".." + std::to_string(*mm.second));
  // remove backend 2: entries of the others mostly stay
  std::vector<uint32_t> b4 = {b5[0], b5[1], b5[3], b5[4]};
  auto t4 = maglev_build(b4, M);
  uint32_t moved_survivors = 0, moved_total = 0;
  for (uint32_t i = 0; i < M; i++) {
    uint32_t before = b5[size_t(t5[i])], after = b4[size_t(t4[i])];
    if (before != after) { moved_total++; if (before != b5[2]) moved_survivors++; }
  }
  check("lb.maglev_minimal_disruption", moved_survivors < M / 50 && moved_total < M / 5 + M / 50,
        "moved " + std::to_string(moved_total) + " of which survivors " + std::to_string(moved_survivors));
  check("lb.maglev_deterministic", maglev_build(b5, M) == t5);

  // args
  LbConfig cfg;
  const char* args[] = {"lb", "--vip", "10.0.0.100:80", "--proto", "tcp", "--backend", "10.0.1.1", "--backend", "10.0.1.2", "--backend", "10.0.1.3", "--table-size", "251"};
  check("lb.parse_args", lb_parse_args(13, const_cast<char**>(args), &cfg, &err) && cfg.port == 80 && cfg.backends.size() == 3, err);
  LbConfig bad;
  const char* bargs[] = {"lb", "--vip", "10.0.0.100:0", "--backend", "10.0.1.1"};
  check("lb.parse_bad_port", !lb_parse_args(5, const_cast<char**>(bargs), &bad, &err), err);
  LoadBalancer np;
  LbConfig c2 = cfg;
  c2.table_size = 250;
  check("lb.table_size_must_be_prime", !np.init(c2, &err), err);
  LoadBalancer lb;
  check("lb.init", lb.init(cfg, &err), err);
  // 600 flows to the VIP: rewritten to a backend, same flow → same backend, spread over all
  std::vector<uint32_t> per(3, 0);
  int bad_ck = 0, inconsistent = 0;
  for (int f = 0; f < 600; f++) {
    char src[32];
    snprintf(src, sizeof src, "192.168.%d.%d", f / 200, f % 200 + 1);
    Frame a = make_frame(PROTO_TCP, src, uint16_t(10000 + f), "10.0.0.100", 80, "GET /");
    Frame b = a;
    uint8_t* d[2] = {a.data(), b.data()};
    uint32_t l[2] = {uint32_t(a.size()), uint32_t(b.size())};
    int32_t be[2];
    lb.process(d, l, 2, be);
    Pkt p;
    parse(a.data(), uint32_t(a.size()), &p);
    if (be[0] < 0 || be[0] != be[1] || p.dst != cfg.backends[size_t(be[0])] || p.dport != 80) inconsistent++;
    else per[size_t(be[0])]++;
    if (!checksums_ok(a)) bad_ck++;
  }
  check("lb.vip_rewritten_consistently", inconsistent == 0, std::to_string(inconsistent));
  check("lb.checksums", bad_ck == 0);
  check("lb.spread", per[0] > 120 && per[1] > 120 && per[2] > 120,
        std::to_string(per[0]) + "/" + std::to_string(per[1]) + "/" + std::to_string(per[2]));
  // other port / other proto / other destination: untouched
  Frame o1 = make_frame(PROTO_TCP, "192.168.0.1", 1, "10.0.0.100", 81);
  Frame o2 = make_frame(PROTO_UDP, "192.168.0.1", 1, "10.0.0.100", 80);
  Frame o3 = make_frame(PROTO_TCP, "192.168.0.1", 1, "10.0.0.101", 80);
  std::vector<Frame> os = {o1, o2, o3};
  uint8_t* d3[3] = {os[0].data(), os[1].data(), os[2].data()};
  uint32_t l3[3] = {uint32_t(o1.size()), uint32_t(o2.size()), uint32_t(o3.size())};
  lb.process(d3, l3, 3, nullptr);
  check("lb.non_vip_untouched", os[0] == o1 && os[1] == o2 && os[2] == o3);
  // reply from a backend: source rewritten back to the VIP
  Frame r = make_frame(PROTO_TCP, "10.0.1.2", 80, "192.168.0.1", 10000, "200 OK");
  uint8_t* dr = r.data();
  uint32_t lr = uint32_t(r.size());
  lb.process(&dr, &lr, 1, nullptr);
  Pkt pr;
  parse(r.data(), uint32_t(r.size()), &pr);
  check("lb.reply_source_is_vip", pr.src == cfg.vip && pr.sport == 80 && checksums_ok(r));
  // backend set change
  check("lb.set_backends_duplicate_rejected", !lb.set_backends({0x0a000101, 0x0a000101}, &err), err);
  check("lb.set_backends", lb.set_backends({0x0a000101, 0x0a000103}, &err) && lb.table().size() == 251);
}
