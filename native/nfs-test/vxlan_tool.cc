// vxlan_tool — drives native/src/vxlan.cc outside the addon, for tests and benchmarks.
//
//   vxlan_tool [EAL args] -- <mode> [options]
//   modes:
//     selftest                      internal checks (tunnel table, VNI table, encap fields, chained
//                                   mbufs, headroom, bursts > 64); JSON {"checks":[...],"failed":n}
//     encap   --in F --out F        encapsulate every frame of pcap F (--vni, --flow-hash optional)
//     decap   --in F --out F        decapsulate; JSON per-frame verdicts + VNIs + counters; OK frames → out
//     fuzz    --count N --seed S    N random / mutated frames through decap (and encap); JSON counters
//     bench   --seconds S --size B  in-memory encap+decap loop on one core; JSON Mpps
//     gateway --plain IF --tunnel IF [--seconds S]
//             net_af_packet on both: frames from the plain side → encap → tunnel side;
//             VXLAN from the tunnel side → decap → plain side; prints READY, then JSON counters at exit
//     hop     --in A --tx B --rx C --out D   (benchmark) A → encap → B; C → decap (as the peer) → D
//     blast   --out A --count N [--size B]    send N UDP frames (src local-mac, dst peer-mac) fast
//   endpoint options: --local-mac M --local-ip I --peer-mac M --peer-ip I --vni N
//                     --register IP=MAC (repeatable) --path ID:LEN (repeatable; none → any VNI accepted)
#include <csignal>
#include <ctime>
#include <cstdio>
#include <cstring>
#include <random>
#include <string>
#include <vector>

#include <rte_cycles.h>
#include <rte_eal.h>
#include <rte_ethdev.h>
#include <rte_ip.h>
#include <rte_lcore.h>
#include <rte_malloc.h>
#include <rte_mbuf.h>
#include <rte_mempool.h>

#include "../src/vxlan.h"
#include "common.h"

using rvt::Frame;

namespace {

struct Opts {
  std::string mode, in, out, plain, tunnel, tx_port, rx_port;
  rv_vxlan_local local{};
  rv_vxlan_peer peer{};
  uint32_t vni = 0x000101;
  bool has_flow_hash = false;
  uint32_t flow_hash = 0;
  std::vector<std::pair<uint32_t, rte_ether_addr>> reg;
  std::vector<std::pair<uint16_t, uint8_t>> paths;
  uint64_t count = 1000000, seed = 1;
  double seconds = 0;
  uint32_t size = 64;
};

volatile sig_atomic_t g_stop = 0;
void on_signal(int) { g_stop = 1; }

rte_mempool* g_pool = nullptr;

rte_mbuf* mbuf_from(const Frame& f) {
  rte_mbuf* m = rte_pktmbuf_alloc(g_pool);
  if (!m) rvt::die("mbuf alloc failed");
  if (f.empty()) return m;
  char* p = rte_pktmbuf_append(m, uint16_t(f.size()));
  if (!p) rvt::die("frame too large for an mbuf");
  memcpy(p, f.data(), f.size());
  return m;
}

Frame frame_of(const rte_mbuf* m) {
  Frame f(rte_pktmbuf_pkt_len(m));
  const uint8_t* p = static_cast<const uint8_t*>(rte_pktmbuf_read(m, 0, uint32_t(f.size()), f.data()));
  if (p != f.data()) memcpy(f.data(), p, f.size());
  return f;
}

void print_counters(const rv_vxlan_stats& s) {
  printf("\"encap_ok\":%llu,\"encap_no_headroom\":%llu,\"decap\":{", (unsigned long long)s.encap_ok,
         (unsigned long long)s.encap_no_headroom);
  for (int i = 0; i < RV_VXLAN_VERDICT_COUNT; i++)
    printf("%s\"%s\":%llu", i ? "," : "", rv_vxlan_verdict_name(uint8_t(i)),
           (unsigned long long)s.decap[i]);
  printf("}");
}

rv_tunnel_table* make_tunnels(const Opts& o) {
  static int seq = 0;
  char name[32];
  snprintf(name, sizeof name, "rvt_tun_%d", seq++);
  rv_tunnel_table* t = rv_tunnel_table_create(name, 64, SOCKET_ID_ANY);
  if (!t) rvt::die("rv_tunnel_table_create failed");
  for (auto& r : o.reg)
    if (rv_tunnel_table_set(t, r.first, r.second) != 0) rvt::die("tunnel set failed");
  return t;
}

rv_vxlan_vni_table* make_vnis(const Opts& o) {
  if (o.paths.empty()) return nullptr;
  auto* v = new rv_vxlan_vni_table();
  for (auto& p : o.paths) v->set_path(p.first, p.second);
  return v;
}

// ---- selftest ---------------------------------------------------------------------------------
int g_failed = 0;
bool g_first = true;
void check(const char* name, bool ok, const std::string& detail = "") {
  printf("%s{\"name\":\"%s\",\"ok\":%s,\"detail\":\"%s\"}", g_first ? "" : ",", name,
         ok ? "true" : "false", detail.c_str());
  g_first = false;
  if (!ok) g_failed++;
}

Frame inner_udp(uint32_t len, uint16_t sport) {
  Frame f(len, 0);
  const uint8_t dst[6] = {0x0a, 0, 0, 0, 0, 2}, src[6] = {0x0a, 0, 0, 0, 0, 1};
  memcpy(&f[0], dst, 6);
  memcpy(&f[6], src, 6);
  f[12] = 0x08;
  f[13] = 0x00;
  f[14] = 0x45;
  uint16_t tl = uint16_t(len - 14);
  f[16] = uint8_t(tl >> 8);
  f[17] = uint8_t(tl);
  f[22] = 64;
  f[23] = 17;
  uint8_t sip[4] = {10, 1, 0, 1}, dip[4] = {10, 1, 0, 2};
  memcpy(&f[26], sip, 4);
  memcpy(&f[30], dip, 4);
  f[34] = uint8_t(sport >> 8);
  f[35] = uint8_t(sport);
  f[36] = 0x13;
  f[37] = 0x88;
  f[38] = uint8_t((len - 34) >> 8);  // UDP length; UDP checksum 0 (none)
  f[39] = uint8_t(len - 34);
  for (uint32_t i = 42; i < len; i++) f[i] = uint8_t(i);
  uint16_t ck = uint16_t(~rte_raw_cksum(&f[14], 20));  // IPv4 header checksum (bridges with
  f[24] = uint8_t(ck & 0xFF);                           // br_netfilter drop bad ones)
  f[25] = uint8_t(ck >> 8);
  return f;
}

int selftest(const Opts& o0) {
  Opts o = o0;
  rte_ether_addr a_mac{{0x02, 0, 0, 0, 0, 0x01}}, b_mac{{0x02, 0, 0, 0, 0, 0x02}};
  uint32_t a_ip, b_ip, c_ip;
  rvt::parse_ip("192.168.50.1", &a_ip);
  rvt::parse_ip("192.168.50.2", &b_ip);
  rvt::parse_ip("192.168.50.3", &c_ip);
  rv_vxlan_local A{a_mac, a_ip}, B{b_mac, b_ip};
  rv_vxlan_peer toB{b_mac, b_ip};
  printf("{\"checks\":[");

  // tunnel table
  rv_tunnel_table* t = rv_tunnel_table_create("rvt_selftest", 16, SOCKET_ID_ANY);
  check("table.create", t != nullptr);
  check("table.set", rv_tunnel_table_set(t, a_ip, a_mac) == 0 && rv_tunnel_table_count(t) == 1);
  rv_vxlan_peer got{};
  check("table.lookup", rv_tunnel_table_lookup(t, a_ip, &got) == 0 &&
                            rte_is_same_ether_addr(&got.mac, &a_mac) && got.ip == a_ip);
  check("table.lookup_missing", rv_tunnel_table_lookup(t, c_ip, &got) == -ENOENT);
  check("table.update_mac", rv_tunnel_table_set(t, a_ip, b_mac) == 0 &&
                                rv_tunnel_table_count(t) == 1 &&
                                rv_tunnel_table_lookup(t, a_ip, &got) == 0 &&
                                rte_is_same_ether_addr(&got.mac, &b_mac));
  check("table.remove", rv_tunnel_table_remove(t, a_ip) == 0 && rv_tunnel_table_count(t) == 0 &&
                            rv_tunnel_table_lookup(t, a_ip, &got) == -ENOENT);
  check("table.remove_twice", rv_tunnel_table_remove(t, a_ip) == -ENOENT);
  check("table.reregister", rv_tunnel_table_set(t, a_ip, a_mac) == 0 && rv_tunnel_table_count(t) == 1);
  check("table.zero_ip", rv_tunnel_table_set(t, 0, a_mac) == -EINVAL);
  int full = 0;
  for (uint32_t i = 1; i <= 200; i++) {
    uint32_t ip = rte_cpu_to_be_32(0x0a000000 + i);
    if (rv_tunnel_table_set(t, ip, a_mac) == -ENOSPC) { full = 1; break; }
  }
  check("table.full_enospc", full == 1);
  rv_tunnel_table_clear(t);
  check("table.clear", rv_tunnel_table_count(t) == 0 && rv_tunnel_table_lookup(t, a_ip, &got) != 0);
  rv_tunnel_table_set(t, a_ip, a_mac);

  // VNI table
  auto* vt = new rv_vxlan_vni_table();
  vt->set_path(7, 3);
  check("vni.accepts", vt->accepts(rv_vni_make(7, 0)) && vt->accepts(rv_vni_make(7, 2)) &&
                           !vt->accepts(rv_vni_make(7, 3)) && !vt->accepts(rv_vni_make(8, 0)));
  vt->remove_path(7);
  check("vni.remove", !vt->accepts(rv_vni_make(7, 0)));
  vt->set_path(7, 3);
  check("vni.make", rv_vni_make(0x1234, 0x56) == 0x123456 && rv_vni_path(0x123456) == 0x1234 &&
                        rv_vni_index(0x123456) == 0x56);
  bool sport_ok = true;
  for (uint32_t h = 0; h < 100000; h++) {
    uint16_t p = rv_vxlan_sport(h * 2654435761u);
    if (p < 49152) sport_ok = false;
  }
  check("sport.range", sport_ok);

  // encap fields
  Frame in = inner_udp(98, 1234);
  rte_mbuf* m = mbuf_from(in);
  uint32_t vni = rv_vni_make(7, 1), fh = 0xabcdef01;
  rv_vxlan_stats st{};
  const rv_vxlan_peer* pp[1] = {&toB};
  uint8_t okf[1];
  uint16_t n = rv_vxlan_encap_burst(&m, 1, A, pp, &vni, &fh, okf, &st);
  Frame e = frame_of(m);
  bool fields = n == 1 && okf[0] == 1 && e.size() == in.size() + 50 &&
                memcmp(&e[0], b_mac.addr_bytes, 6) == 0 && memcmp(&e[6], a_mac.addr_bytes, 6) == 0 &&
                e[12] == 0x08 && e[13] == 0 && e[14] == 0x45 && e[20] == 0x40 && e[21] == 0 &&
                e[22] == 64 && e[23] == 17 && memcmp(&e[26], &a_ip, 4) == 0 &&
                memcmp(&e[30], &b_ip, 4) == 0 && ((e[34] << 8) | e[35]) == rv_vxlan_sport(fh) &&
                e[36] == 0x12 && e[37] == 0xb5 && ((e[38] << 8) | e[39]) == in.size() + 16 &&
                e[40] == 0 && e[41] == 0 && e[42] == 0x08 && e[43] == 0 && e[44] == 0 &&
                e[45] == 0 && e[46] == 0 && e[47] == 7 && e[48] == 1 && e[49] == 0 &&
                memcmp(&e[50], in.data(), in.size()) == 0 && ((e[16] << 8) | e[17]) == in.size() + 36;
  check("encap.fields", fields);
  check("encap.ip_checksum", rte_raw_cksum(&e[14], 20) == 0xFFFF);
  check("encap.stats", st.encap_ok == 1 && st.encap_no_headroom == 0);

  // decap it at B
  uint32_t vo = 0;
  uint8_t vd = 0xff;
  rte_be32_t src = 0;
  n = rv_vxlan_decap_burst(&m, 1, B, t, vt, &vo, &vd, &src, &st);
  Frame d = frame_of(m);
  check("decap.roundtrip", n == 1 && vd == RV_VXLAN_OK && vo == vni && src == a_ip && d == in);
  check("decap.stats", st.decap[RV_VXLAN_OK] == 1);
  // decap at A (wrong host): not VXLAN for A, untouched
  rte_pktmbuf_free(m);
  m = mbuf_from(e);
  n = rv_vxlan_decap_burst(&m, 1, A, t, vt, &vo, &vd, nullptr, &st);
  check("decap.other_host_untouched", n == 0 && vd == RV_VXLAN_NOT_VXLAN && frame_of(m) == e);
  rte_pktmbuf_free(m);

  // padding is trimmed
  Frame padded = e;
  padded.resize(e.size() + 10, 0xee);
  m = mbuf_from(padded);
  n = rv_vxlan_decap_burst(&m, 1, B, t, vt, &vo, &vd, nullptr, nullptr);
  check("decap.trims_padding", n == 1 && frame_of(m) == in);
  rte_pktmbuf_free(m);

  // chained mbuf: headers in the first segment, inner continues in a second one
  {
    rte_mbuf* m1 = mbuf_from(Frame(e.begin(), e.begin() + 70));
    rte_mbuf* m2 = mbuf_from(Frame(e.begin() + 70, e.end()));
    bool chained = rte_pktmbuf_chain(m1, m2) == 0;
    n = rv_vxlan_decap_burst(&m1, 1, B, t, vt, &vo, &vd, nullptr, nullptr);
    check("decap.chained", chained && n == 1 && vd == RV_VXLAN_OK && frame_of(m1) == in);
    rte_pktmbuf_free(m1);
    // headers split across segments → SEGMENTED drop, untouched
    m1 = mbuf_from(Frame(e.begin(), e.begin() + 40));
    m2 = mbuf_from(Frame(e.begin() + 40, e.end()));
    rte_pktmbuf_chain(m1, m2);
    n = rv_vxlan_decap_burst(&m1, 1, B, t, vt, &vo, &vd, nullptr, nullptr);
    check("decap.split_headers", n == 0 && vd == RV_VXLAN_DROP_SEGMENTED && frame_of(m1) == e);
    rte_pktmbuf_free(m1);
  }

  // no headroom → encap fails, packet untouched
  {
    rte_mbuf* h = mbuf_from(in);
    rte_pktmbuf_prepend(h, uint16_t(rte_pktmbuf_headroom(h) - 10));
    Frame before = frame_of(h);
    rv_vxlan_stats s2{};
    n = rv_vxlan_encap_burst_peer(&h, 1, A, toB, &vni, nullptr, okf, &s2);
    check("encap.no_headroom", n == 0 && okf[0] == 0 && s2.encap_no_headroom == 1 && frame_of(h) == before);
    rte_pktmbuf_free(h);
  }

  // a 200-packet burst (> one 64-key lookup chunk), mixed: every 3rd from an unregistered source,
  // every 5th to an unknown VNI, every 7th not VXLAN at all
  {
    const int N = 200;
    std::vector<rte_mbuf*> ms(N);
    std::vector<uint32_t> vnis(N), hashes(N);
    std::vector<int> expect(N);
    rv_vxlan_local C{a_mac, c_ip};
    for (int i = 0; i < N; i++) {
      ms[i] = mbuf_from(inner_udp(60 + (i % 50), uint16_t(i)));
      vnis[i] = (i % 5 == 0) ? rv_vni_make(9, 0) : rv_vni_make(7, uint8_t(i % 3));
      hashes[i] = uint32_t(i);
    }
    for (int i = 0; i < N; i++) {
      if (i % 7 == 0) { expect[i] = RV_VXLAN_NOT_VXLAN; continue; }
      const rv_vxlan_local& from = (i % 3 == 0) ? C : A;
      rv_vxlan_encap_burst_peer(&ms[i], 1, from, toB, &vnis[i], &hashes[i], nullptr, nullptr);
      expect[i] = (i % 3 == 0) ? RV_VXLAN_DROP_UNKNOWN_SOURCE
                  : (i % 5 == 0) ? RV_VXLAN_DROP_UNKNOWN_VNI : RV_VXLAN_OK;
    }
    std::vector<uint32_t> vo2(N);
    std::vector<uint8_t> vd2(N);
    rv_vxlan_stats s3{};
    n = rv_vxlan_decap_burst(ms.data(), N, B, t, vt, vo2.data(), vd2.data(), nullptr, &s3);
    int bad = 0, oks = 0;
    for (int i = 0; i < N; i++) {
      if (vd2[i] != expect[i]) bad++;
      if (expect[i] == RV_VXLAN_OK) {
        oks++;
        if (vo2[i] != vnis[i] || frame_of(ms[i]) != inner_udp(60 + (i % 50), uint16_t(i))) bad++;
      }
      rte_pktmbuf_free(ms[i]);
    }
    check("decap.burst200_mixed", bad == 0 && n == oks,
          "bad=" + std::to_string(bad) + " ok=" + std::to_string(n) + "/" + std::to_string(oks));
    uint64_t sum = 0;
    for (int i = 0; i < RV_VXLAN_VERDICT_COUNT; i++) sum += s3.decap[i];
    check("decap.stats_sum", sum == N && s3.decap[RV_VXLAN_OK] == uint64_t(oks));
  }
  // no tunnel table → every candidate is from an unknown source
  {
    rte_mbuf* x = mbuf_from(e);
    n = rv_vxlan_decap_burst(&x, 1, B, nullptr, nullptr, &vo, &vd, nullptr, nullptr);
    check("decap.no_table", n == 0 && vd == RV_VXLAN_DROP_UNKNOWN_SOURCE);
    rte_pktmbuf_free(x);
  }
  check("names", strcmp(rv_vxlan_verdict_name(RV_VXLAN_DROP_UNKNOWN_VNI), "unknown_vni") == 0 &&
                     strcmp(rv_vxlan_verdict_name(200), "invalid") == 0);
  printf("],\"failed\":%d}\n", g_failed);
  rv_tunnel_table_free(t);
  delete vt;
  (void)o;
  return g_failed ? 1 : 0;
}

// ---- pcap modes -------------------------------------------------------------------------------
int do_encap(const Opts& o) {
  std::vector<Frame> in, out;
  if (!rvt::read_pcap(o.in, &in)) rvt::die("cannot read pcap ", o.in.c_str());
  rv_vxlan_stats st{};
  for (const auto& f : in) {
    rte_mbuf* m = mbuf_from(f);
    uint32_t fh = o.flow_hash;
    if (rv_vxlan_encap_burst_peer(&m, 1, o.local, o.peer, &o.vni, o.has_flow_hash ? &fh : nullptr,
                                  nullptr, &st) == 1)
      out.push_back(frame_of(m));
    rte_pktmbuf_free(m);
  }
  if (!rvt::write_pcap(o.out, out)) rvt::die("cannot write ", o.out.c_str());
  printf("{\"frames\":%zu,", in.size());
  print_counters(st);
  printf("}\n");
  return 0;
}

int do_decap(const Opts& o) {
  std::vector<Frame> in, out;
  if (!rvt::read_pcap(o.in, &in)) rvt::die("cannot read pcap ", o.in.c_str());
  rv_tunnel_table* t = make_tunnels(o);
  rv_vxlan_vni_table* vt = make_vnis(o);
  rv_vxlan_stats st{};
  std::vector<rte_mbuf*> ms;
  for (const auto& f : in) ms.push_back(mbuf_from(f));
  const size_t n = ms.size();
  std::vector<uint32_t> vo(n);
  std::vector<uint8_t> vd(n);
  std::vector<rte_be32_t> src(n);
  for (size_t b = 0; b < n; b += 32) {
    uint16_t k = uint16_t(std::min<size_t>(32, n - b));
    rv_vxlan_decap_burst(&ms[b], k, o.local, t, vt, &vo[b], &vd[b], &src[b], &st);
  }
  printf("{\"frames\":%zu,\"verdicts\":[", n);
  for (size_t i = 0; i < n; i++) printf("%s\"%s\"", i ? "," : "", rv_vxlan_verdict_name(vd[i]));
  printf("],\"vnis\":[");
  for (size_t i = 0; i < n; i++) printf("%s%u", i ? "," : "", vo[i]);
  printf("],");
  print_counters(st);
  printf("}\n");
  for (size_t i = 0; i < n; i++) {
    if (vd[i] == RV_VXLAN_OK) out.push_back(frame_of(ms[i]));
    rte_pktmbuf_free(ms[i]);
  }
  if (!o.out.empty() && !rvt::write_pcap(o.out, out)) rvt::die("cannot write ", o.out.c_str());
  rv_tunnel_table_free(t);
  delete vt;
  return 0;
}

// ---- fuzz ---------------------------------------------------------------------------------------
int do_fuzz(const Opts& o) {
  std::mt19937_64 rng(o.seed);
  rv_tunnel_table* t = make_tunnels(o);
  rv_vxlan_vni_table* vt = make_vnis(o);
  rv_vxlan_stats st{};
  // a valid template frame from the first registered host to us
  Frame inner = inner_udp(80, 4242);
  rte_mbuf* tm = mbuf_from(inner);
  rv_vxlan_local from{o.local.mac, o.reg.empty() ? o.local.ip : o.reg[0].first};
  rv_vxlan_peer to{o.local.mac, o.local.ip};
  rv_vxlan_encap_burst_peer(&tm, 1, from, to, &o.vni, nullptr, nullptr, nullptr);
  Frame tmpl = frame_of(tm);
  rte_pktmbuf_free(tm);

  const uint16_t B = 32;
  rte_mbuf* ms[B];
  uint32_t vo[B];
  uint8_t vd[B];
  uint64_t done = 0, ok_len_bad = 0;
  while (done < o.count) {
    uint16_t k = uint16_t(std::min<uint64_t>(B, o.count - done));
    for (uint16_t i = 0; i < k; i++) {
      Frame f;
      uint64_t r = rng();
      switch (r % 4) {
        case 0: {  // pure random bytes, random length 0..200
          f.resize(rng() % 201);
          for (auto& b : f) b = uint8_t(rng());
          break;
        }
        case 1: {  // template with 1..4 random byte flips
          f = tmpl;
          int flips = 1 + int(rng() % 4);
          for (int j = 0; j < flips; j++) f[size_t(rng() % f.size())] = uint8_t(rng());
          break;
        }
        case 2: {  // template truncated / extended at a random length
          f = tmpl;
          f.resize(rng() % (tmpl.size() + 40), uint8_t(rng()));
          break;
        }
        default: {  // template with random length fields / header bytes 14..50
          f = tmpl;
          size_t pos = 14 + rng() % 36;
          f[pos] = uint8_t(rng());
          if (rng() & 1) f[pos + 1 < f.size() ? pos + 1 : pos] = uint8_t(rng());
          break;
        }
      }
      ms[i] = mbuf_from(f);
    }
    rv_vxlan_decap_burst(ms, k, o.local, t, vt, vo, vd, nullptr, &st);
    for (uint16_t i = 0; i < k; i++) {
      if (vd[i] == RV_VXLAN_OK && rte_pktmbuf_pkt_len(ms[i]) < 14) ok_len_bad++;
    }
    // re-encapsulate whatever came out (exercises encap on arbitrary frames too)
    rv_vxlan_encap_burst_peer(ms, k, o.local, o.peer, vo, nullptr, nullptr, &st);
    for (uint16_t i = 0; i < k; i++) rte_pktmbuf_free(ms[i]);
    done += k;
  }
  uint64_t sum = 0;
  for (int i = 0; i < RV_VXLAN_VERDICT_COUNT; i++) sum += st.decap[i];
  printf("{\"frames\":%llu,\"counted\":%llu,\"ok_but_short\":%llu,\"pool_in_use\":%u,",
         (unsigned long long)done, (unsigned long long)sum, (unsigned long long)ok_len_bad,
         rte_mempool_in_use_count(g_pool));
  print_counters(st);
  printf("}\n");
  rv_tunnel_table_free(t);
  delete vt;
  return 0;
}

// ---- bench: encap + decap in memory on one core -------------------------------------------------
int do_bench(const Opts& o) {
  rv_tunnel_table* t = rv_tunnel_table_create("rvt_bench", 64, SOCKET_ID_ANY);
  rv_vxlan_local A = o.local;
  A.ip = rte_cpu_to_be_32(0xc0a80001);
  rv_vxlan_local B = o.local;
  B.ip = rte_cpu_to_be_32(0xc0a80002);
  rv_tunnel_table_set(t, A.ip, A.mac);
  rv_vxlan_peer toB{B.mac, B.ip};
  auto* vt = new rv_vxlan_vni_table();
  vt->set_path(1, 4);
  const uint16_t BURST = 32;
  const int NB = 16;  // 512 mbufs in rotation (an RX ring's worth), so the data is not all in L1
  std::vector<rte_mbuf*> ms(size_t(BURST) * NB);
  Frame in = inner_udp(o.size < 60 ? 60 : o.size, 1);
  for (auto& m : ms) m = mbuf_from(in);
  uint32_t vni[BURST], fh[BURST], vo[BURST];
  uint8_t vd[BURST];
  for (int i = 0; i < BURST; i++) { vni[i] = rv_vni_make(1, 1); fh[i] = uint32_t(i * 7919); }
  rv_vxlan_stats st{};
  const uint64_t hz = rte_get_tsc_hz();
  timespec c0{}, c1{};
  clock_gettime(CLOCK_THREAD_CPUTIME_ID, &c0);
  const uint64_t t0 = rte_rdtsc();
  const uint64_t until = t0 + uint64_t((o.seconds > 0 ? o.seconds : 1.0) * double(hz));
  uint64_t pkts = 0, bad = 0;
  uint64_t now = t0;
  int b = 0;
  while (now < until) {
    for (int rep = 0; rep < 64; rep++) {
      rte_mbuf** p = &ms[size_t(b) * BURST];
      rv_vxlan_encap_burst_peer(p, BURST, A, toB, vni, fh, nullptr, &st);
      uint16_t ok = rv_vxlan_decap_burst(p, BURST, B, t, vt, vo, vd, nullptr, &st);
      bad += BURST - ok;
      pkts += BURST;
      b = (b + 1) % NB;
    }
    now = rte_rdtsc();
  }
  double secs = double(now - t0) / double(hz);
  clock_gettime(CLOCK_THREAD_CPUTIME_ID, &c1);
  double cpu = double(c1.tv_sec - c0.tv_sec) + double(c1.tv_nsec - c0.tv_nsec) / 1e9;
  // mpps: wall clock; mpps_cpu: per second of CPU time this thread actually got (the machine is
  // shared: on a loaded host the wall-clock figure measures the scheduler, not the code)
  printf("{\"packets\":%llu,\"seconds\":%.4f,\"cpu_seconds\":%.4f,\"mpps\":%.3f,\"mpps_cpu\":%.3f,"
         "\"ns_per_packet_cpu\":%.2f,\"failed\":%llu,\"inner_size\":%zu}\n",
         (unsigned long long)pkts, secs, cpu, double(pkts) / secs / 1e6, double(pkts) / cpu / 1e6,
         cpu * 1e9 / double(pkts), (unsigned long long)bad, in.size());
  for (auto* m : ms) rte_pktmbuf_free(m);
  rv_tunnel_table_free(t);
  delete vt;
  return bad ? 1 : 0;
}

// ---- gateway over af_packet ports ---------------------------------------------------------------
int port_setup(uint16_t port) {
  rte_eth_conf conf{};
  if (rte_eth_dev_configure(port, 1, 1, &conf) != 0) return -1;
  if (rte_eth_rx_queue_setup(port, 0, 512, rte_eth_dev_socket_id(port), nullptr, g_pool) != 0) return -1;
  if (rte_eth_tx_queue_setup(port, 0, 512, rte_eth_dev_socket_id(port), nullptr) != 0) return -1;
  if (rte_eth_dev_start(port) != 0) return -1;
  rte_eth_promiscuous_enable(port);
  return 0;
}

int do_gateway(const Opts& o) {
  uint16_t plain = RTE_MAX_ETHPORTS, tun = RTE_MAX_ETHPORTS;
  uint16_t pid;
  RTE_ETH_FOREACH_DEV(pid) {
    char name[RTE_ETH_NAME_MAX_LEN];
    rte_eth_dev_get_name_by_port(pid, name);
    if (o.plain == name) plain = pid;
    if (o.tunnel == name) tun = pid;
  }
  if (plain == RTE_MAX_ETHPORTS || tun == RTE_MAX_ETHPORTS)
    rvt::die("ports not found (name the vdevs, e.g. --vdev net_af_packet0,iface=... and --plain net_af_packet0)");
  if (port_setup(plain) || port_setup(tun)) rvt::die("port setup failed");
  rv_tunnel_table* t = make_tunnels(o);
  rv_vxlan_vni_table* vt = make_vnis(o);
  rv_vxlan_stats st{};
  uint64_t plain_rx = 0, tun_rx = 0, plain_tx = 0, tun_tx = 0, tx_drop = 0, not_vxlan_freed = 0;
  printf("READY\n");
  fflush(stdout);
  const uint64_t hz = rte_get_tsc_hz();
  const uint64_t until = o.seconds > 0 ? rte_rdtsc() + uint64_t(o.seconds * double(hz)) : UINT64_MAX;
  rte_mbuf* b[32];
  rte_mbuf* okb[32];
  uint32_t vni[32], vo[32];
  uint8_t vd[32], okf[32];
  for (int i = 0; i < 32; i++) vni[i] = o.vni;
  while (!g_stop && rte_rdtsc() < until) {
    uint16_t n = rte_eth_rx_burst(plain, 0, b, 32);
    if (n) {
      plain_rx += n;
      rv_vxlan_encap_burst_peer(b, n, o.local, o.peer, vni, nullptr, okf, &st);
      uint16_t k = 0;
      for (uint16_t i = 0; i < n; i++) {
        if (okf[i]) okb[k++] = b[i];
        else rte_pktmbuf_free(b[i]);
      }
      uint16_t s = rte_eth_tx_burst(tun, 0, okb, k);
      tun_tx += s;
      for (uint16_t i = s; i < k; i++) { rte_pktmbuf_free(okb[i]); tx_drop++; }
    }
    n = rte_eth_rx_burst(tun, 0, b, 32);
    if (n) {
      tun_rx += n;
      rv_vxlan_decap_burst(b, n, o.local, t, vt, vo, vd, nullptr, &st);
      uint16_t k = 0;
      for (uint16_t i = 0; i < n; i++) {
        if (vd[i] == RV_VXLAN_OK) okb[k++] = b[i];
        else {
          if (vd[i] == RV_VXLAN_NOT_VXLAN) not_vxlan_freed++;
          rte_pktmbuf_free(b[i]);
        }
      }
      uint16_t s = rte_eth_tx_burst(plain, 0, okb, k);
      plain_tx += s;
      for (uint16_t i = s; i < k; i++) { rte_pktmbuf_free(okb[i]); tx_drop++; }
    }
  }
  printf("{\"plain_rx\":%llu,\"plain_tx\":%llu,\"tunnel_rx\":%llu,\"tunnel_tx\":%llu,\"tx_drop\":%llu,"
         "\"not_vxlan\":%llu,",
         (unsigned long long)plain_rx, (unsigned long long)plain_tx, (unsigned long long)tun_rx,
         (unsigned long long)tun_tx, (unsigned long long)tx_drop, (unsigned long long)not_vxlan_freed);
  print_counters(st);
  printf("}\n");
  fflush(stdout);
  rte_eth_dev_stop(plain);
  rte_eth_dev_stop(tun);
  rte_eth_dev_close(plain);
  rte_eth_dev_close(tun);
  rv_tunnel_table_free(t);
  delete vt;
  return 0;
}

// ---- hop: both ends of one VXLAN hop in one loop (benchmark) ----------------------------------
// --in A: plain frames from the sender → encap → --tx B (underlay); --rx C (underlay) → decap →
// --out D (plain, to the receiver). Port names are vdev names.
uint16_t port_by_name(const std::string& n) {
  uint16_t pid;
  RTE_ETH_FOREACH_DEV(pid) {
    char name[RTE_ETH_NAME_MAX_LEN];
    rte_eth_dev_get_name_by_port(pid, name);
    if (n == name) return pid;
  }
  rvt::die("no such port ", n.c_str());
}

int do_hop(const Opts& o) {
  uint16_t a = port_by_name(o.in), b = port_by_name(o.tx_port), c = port_by_name(o.rx_port), d = port_by_name(o.out);
  for (uint16_t p : {a, b, c, d})
    if (port_setup(p)) rvt::die("port setup failed");
  rv_tunnel_table* t = make_tunnels(o);
  rv_vxlan_vni_table* vt = make_vnis(o);
  rv_vxlan_stats st{};
  // the receiving end is "the peer": its address is the decap-side local address
  rv_vxlan_local rx_local{o.peer.mac, o.peer.ip};
  uint64_t fwd = 0, out = 0, drop = 0;
  printf("READY\n");
  fflush(stdout);
  const uint64_t hz = rte_get_tsc_hz();
  const uint64_t until = o.seconds > 0 ? rte_rdtsc() + uint64_t(o.seconds * double(hz)) : UINT64_MAX;
  rte_mbuf* bufs[32];
  uint32_t vni[32], vo[32];
  uint8_t vd[32];
  for (int i = 0; i < 32; i++) vni[i] = o.vni;
  while (!g_stop && rte_rdtsc() < until) {
    uint16_t n = rte_eth_rx_burst(a, 0, bufs, 32);
    if (n) {
      uint16_t k = rv_vxlan_encap_burst_peer(bufs, n, o.local, o.peer, vni, nullptr, nullptr, &st);
      (void)k;
      uint16_t s = rte_eth_tx_burst(b, 0, bufs, n);
      fwd += s;
      for (uint16_t i = s; i < n; i++) { rte_pktmbuf_free(bufs[i]); drop++; }
    }
    n = rte_eth_rx_burst(c, 0, bufs, 32);
    if (n) {
      rv_vxlan_decap_burst(bufs, n, rx_local, t, vt, vo, vd, nullptr, &st);
      uint16_t k = 0;
      for (uint16_t i = 0; i < n; i++) {
        if (vd[i] == RV_VXLAN_OK) bufs[k++] = bufs[i];
        else rte_pktmbuf_free(bufs[i]);
      }
      uint16_t s = rte_eth_tx_burst(d, 0, bufs, k);
      out += s;
      for (uint16_t i = s; i < k; i++) { rte_pktmbuf_free(bufs[i]); drop++; }
    }
  }
  printf("{\"encapsulated_sent\":%llu,\"decapsulated_sent\":%llu,\"tx_drop\":%llu,",
         (unsigned long long)fwd, (unsigned long long)out, (unsigned long long)drop);
  print_counters(st);
  printf("}\n");
  fflush(stdout);
  for (uint16_t p : {a, b, c, d}) { rte_eth_dev_stop(p); rte_eth_dev_close(p); }
  rv_tunnel_table_free(t);
  delete vt;
  return 0;
}

// ---- blast: send --count UDP frames of --size bytes out of port --out as fast as possible ------
int do_blast(const Opts& o) {
  uint16_t p = port_by_name(o.out);
  if (port_setup(p)) rvt::die("port setup failed");
  Frame f = inner_udp(o.size < 60 ? 60 : o.size, 1);
  memcpy(&f[0], o.peer.mac.addr_bytes, 6);
  memcpy(&f[6], o.local.mac.addr_bytes, 6);
  const uint64_t hz = rte_get_tsc_hz();
  uint64_t sent = 0, tries = 0;
  printf("READY\n");
  fflush(stdout);
  const uint64_t t0 = rte_rdtsc();
  const uint64_t until = o.seconds > 0 ? t0 + uint64_t(o.seconds * double(hz)) : UINT64_MAX;
  rte_mbuf* bufs[32];
  while (sent < o.count && !g_stop && rte_rdtsc() < until) {
    uint16_t n = uint16_t(std::min<uint64_t>(32, o.count - sent));
    if (rte_pktmbuf_alloc_bulk(g_pool, bufs, n) != 0) continue;
    for (uint16_t i = 0; i < n; i++) {
      uint8_t* d = reinterpret_cast<uint8_t*>(rte_pktmbuf_append(bufs[i], uint16_t(f.size())));
      memcpy(d, f.data(), f.size());
      d[35] = uint8_t(sent + i);  // vary the source port: several flows
    }
    uint16_t s = rte_eth_tx_burst(p, 0, bufs, n);
    for (uint16_t i = s; i < n; i++) rte_pktmbuf_free(bufs[i]);
    sent += s;
    tries++;
  }
  double secs = double(rte_rdtsc() - t0) / double(hz);
  printf("{\"sent\":%llu,\"seconds\":%.4f,\"pps\":%.0f}\n", (unsigned long long)sent, secs, double(sent) / secs);
  fflush(stdout);
  rte_eth_dev_stop(p);
  rte_eth_dev_close(p);
  return 0;
}

Opts parse(int argc, char** argv) {
  Opts o;
  if (argc < 2) rvt::die("usage: vxlan_tool [EAL] -- <selftest|encap|decap|fuzz|bench|gateway> ...");
  o.mode = argv[1];
  rvt::parse_mac("02:00:00:00:00:02", &o.local.mac);
  rvt::parse_ip("192.168.50.2", &o.local.ip);
  rvt::parse_mac("02:00:00:00:00:01", &o.peer.mac);
  rvt::parse_ip("192.168.50.1", &o.peer.ip);
  for (int i = 2; i < argc; i++) {
    std::string a = argv[i];
    auto val = [&]() -> const char* {
      if (i + 1 >= argc) rvt::die("missing value for ", a.c_str());
      return argv[++i];
    };
    if (a == "--in") o.in = val();
    else if (a == "--out") o.out = val();
    else if (a == "--plain") o.plain = val();
    else if (a == "--tunnel") o.tunnel = val();
    else if (a == "--tx") o.tx_port = val();
    else if (a == "--rx") o.rx_port = val();
    else if (a == "--local-mac") { if (!rvt::parse_mac(val(), &o.local.mac)) rvt::die("bad mac"); }
    else if (a == "--local-ip") { if (!rvt::parse_ip(val(), &o.local.ip)) rvt::die("bad ip"); }
    else if (a == "--peer-mac") { if (!rvt::parse_mac(val(), &o.peer.mac)) rvt::die("bad mac"); }
    else if (a == "--peer-ip") { if (!rvt::parse_ip(val(), &o.peer.ip)) rvt::die("bad ip"); }
    else if (a == "--vni") o.vni = uint32_t(strtoul(val(), nullptr, 0));
    else if (a == "--flow-hash") { o.has_flow_hash = true; o.flow_hash = uint32_t(strtoul(val(), nullptr, 0)); }
    else if (a == "--count") o.count = strtoull(val(), nullptr, 0);
    else if (a == "--seed") o.seed = strtoull(val(), nullptr, 0);
    else if (a == "--seconds") o.seconds = atof(val());
    else if (a == "--size") o.size = uint32_t(strtoul(val(), nullptr, 0));
    else if (a == "--register") {
      std::string v = val();
      size_t eq = v.find('=');
      uint32_t ip;
      rte_ether_addr mac;
      if (eq == std::string::npos || !rvt::parse_ip(v.substr(0, eq).c_str(), &ip) ||
          !rvt::parse_mac(v.substr(eq + 1).c_str(), &mac))
        rvt::die("bad --register IP=MAC: ", v.c_str());
      o.reg.push_back({ip, mac});
    } else if (a == "--path") {
      unsigned id, len;
      if (sscanf(val(), "%u:%u", &id, &len) != 2 || id > 65535 || len > 255) rvt::die("bad --path ID:LEN");
      o.paths.push_back({uint16_t(id), uint8_t(len)});
    } else rvt::die("unknown option ", a.c_str());
  }
  return o;
}

}  // namespace

int main(int argc, char** argv) {
  int used = rte_eal_init(argc, argv);
  if (used < 0) rvt::die("rte_eal_init failed");
  argc -= used;
  argv += used;
  Opts o = parse(argc, argv);
  signal(SIGINT, on_signal);
  signal(SIGTERM, on_signal);
  g_pool = rte_pktmbuf_pool_create("rvt_pool", 8191, 256, 0, RTE_MBUF_DEFAULT_BUF_SIZE, SOCKET_ID_ANY);
  if (!g_pool) rvt::die("mempool create failed");
  int rc;
  if (o.mode == "selftest") rc = selftest(o);
  else if (o.mode == "encap") rc = do_encap(o);
  else if (o.mode == "decap") rc = do_decap(o);
  else if (o.mode == "fuzz") rc = do_fuzz(o);
  else if (o.mode == "bench") rc = do_bench(o);
  else if (o.mode == "gateway") rc = do_gateway(o);
  else if (o.mode == "hop") rc = do_hop(o);
  else if (o.mode == "blast") rc = do_blast(o);
  else rvt::die("unknown mode ", o.mode.c_str());
  fflush(stdout);
  rte_mempool_free(g_pool);
  rte_eal_cleanup();
  return rc;
}
