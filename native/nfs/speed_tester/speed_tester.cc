// speed_tester: in-memory load generator (OpenNetVM's speed tester, on the rackvisor NF API).
// Creates --count packets of --size bytes (UDP/IPv4, flows varied by --flows) tagged with service
// path --path, index 0, and sends them. Packets that come back to it (the path ends at the speed
// tester again, e.g. path [st, nf2, ..., st]) are counted and re-sent: the loop measures the chain.
// With --rate R (pps) or --total T it is a load generator: it sends T packets in total, paced to R.
// Reports "speed_tester: <secs> s <pkts> pkts <mpps> Mpps lat_avg_us <x>" every --print-every seconds
// and a final JSON line {"rx":..,"tx":..,"mpps":..,"lat_avg_us":..} on stdout.
// Usage: speed_tester [EAL] -- --instance N --path P [--count 2048] [--size 64] [--flows 16]
//        [--duration S] [--warmup S] [--print-every S] [--latency] [--total T] [--rate R] [--busy]
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <rte_cycles.h>
#include <rte_ether.h>
#include <rte_ip.h>
#include <rte_udp.h>
#include <rte_hash_crc.h>
#include "nf.h"

struct st {
  uint32_t count = 2048, size = 64, flows = 16;
  uint16_t path = 1;
  double duration = 0, every = 1;
  bool latency = false;
  uint64_t total = 0, rate = 0;
  uint64_t sent = 0, rx = 0, last_rx = 0, start = 0, last_print = 0, lat_sum = 0, lat_n = 0;
  uint64_t first_rx_tsc = 0, measured_rx = 0;
  double warmup = 0;
  uint64_t warm_tsc = 0, warm_rx = 0;
};

static bool build(rv_nf *nf, st *s, rte_mbuf *m, uint32_t i) {
  uint32_t size = s->size < 60 ? 60 : s->size;
  char *p = rte_pktmbuf_append(m, (uint16_t)size);
  if (!p) return false;
  memset(p, 0, size);
  auto *eth = (rte_ether_hdr *)p;
  eth->ether_type = rte_cpu_to_be_16(RTE_ETHER_TYPE_IPV4);
  eth->src_addr.addr_bytes[0] = 0x02;
  eth->dst_addr.addr_bytes[0] = 0x02;
  eth->dst_addr.addr_bytes[5] = 0x01;
  auto *ip = (rte_ipv4_hdr *)(eth + 1);
  ip->version_ihl = 0x45;
  ip->total_length = rte_cpu_to_be_16((uint16_t)(size - sizeof(rte_ether_hdr)));
  ip->time_to_live = 64;
  ip->next_proto_id = IPPROTO_UDP;
  ip->src_addr = rte_cpu_to_be_32(0x0a000001 + (i % s->flows));
  ip->dst_addr = rte_cpu_to_be_32(0x0a000101);
  ip->hdr_checksum = rte_ipv4_cksum(ip);
  auto *udp = (rte_udp_hdr *)(ip + 1);
  udp->src_port = rte_cpu_to_be_16((uint16_t)(1024 + i % s->flows));
  udp->dst_port = rte_cpu_to_be_16(9);
  udp->dgram_len = rte_cpu_to_be_16((uint16_t)(size - sizeof(rte_ether_hdr) - sizeof(rte_ipv4_hdr)));
  rv_meta *mt = rv_meta_of(m);
  memset(mt, 0, sizeof *mt);
  mt->action = RV_ACT_NEXT;
  mt->path_id = s->path;
  mt->index = 0;
  mt->flow_hash = rte_hash_crc_4byte(i % s->flows, 0x9e3779b9);
  mt->in_port = 0xffff;
  mt->flags = RV_MF_GENERATED | RV_MF_CLASSIFIED;
  (void)nf;
  return true;
}

static inline void stamp(rte_mbuf *m, uint64_t now) {
  *(uint64_t *)(rte_pktmbuf_mtod(m, char *) + 42) = now;  // UDP payload
}

static void handle(rte_mbuf **pkts, uint16_t n, rv_nf *, void *user) {
  st *s = static_cast<st *>(user);
  if (unlikely(s->first_rx_tsc == 0)) s->first_rx_tsc = rte_rdtsc();
  s->rx += n;
  uint64_t now = s->latency ? rte_rdtsc() : 0;
  for (uint16_t i = 0; i < n; i++) {
    rv_meta *m = rv_meta_of(pkts[i]);
    if (s->latency) {
      s->lat_sum += now - *(uint64_t *)(rte_pktmbuf_mtod(pkts[i], char *) + 42);
      s->lat_n++;
      stamp(pkts[i], now);
    }
    if (s->total) {
      m->action = RV_ACT_DROP;  // generator mode: what comes back is consumed
    } else {
      m->index = 0;
      m->hops = 0;
    }
  }
}

static uint64_t send_new(rv_nf *nf, st *s, uint64_t want) {
  rte_mbuf *pkts[RV_NF_BURST];
  uint64_t done = 0;
  while (done < want) {
    uint16_t b = (uint16_t)(want - done < RV_NF_BURST ? want - done : RV_NF_BURST);
    if (rte_pktmbuf_alloc_bulk(rv_nf_pool(nf), pkts, b) != 0) break;
    uint64_t now = rte_rdtsc();
    for (uint16_t i = 0; i < b; i++) {
      build(nf, s, pkts[i], (uint32_t)(s->sent + done + i));
      if (s->latency) stamp(pkts[i], now);
    }
    done += rv_nf_send(nf, pkts, b);
  }
  s->sent += done;
  return done;
}

static int tick(rv_nf *nf, uint64_t now, void *user) {
  st *s = static_cast<st *>(user);
  uint64_t hz = rv_nf_tsc_hz(nf);
  if (s->total && s->sent < s->total) {
    uint64_t allowed = s->total;
    if (s->rate) {
      uint64_t by_time = (uint64_t)((double)(now - s->start) / hz * s->rate) + 1;
      if (by_time < allowed) allowed = by_time;
    }
    if (allowed > s->sent) send_new(nf, s, allowed - s->sent);
  }
  if (s->every > 0 && now - s->last_print >= (uint64_t)(s->every * hz)) {
    double secs = (double)(now - s->last_print) / hz;
    printf("speed_tester: %.1f s %lu pkts %.3f Mpps lat_avg_us %.2f\n", (double)(now - s->start) / hz, s->rx,
           (s->rx - s->last_rx) / secs / 1e6, s->lat_n ? (double)s->lat_sum / s->lat_n / hz * 1e6 : 0.0);
    fflush(stdout);
    s->last_print = now;
    s->last_rx = s->rx;
  }
  if (!s->warm_tsc && s->warmup > 0 && now - s->start >= (uint64_t)(s->warmup * hz)) {
    s->warm_tsc = now;
    s->warm_rx = s->rx;
  }
  if (s->duration > 0 && now - s->start >= (uint64_t)((s->duration + s->warmup) * hz)) return 1;
  return 0;
}

int main(int argc, char **argv) {
  rv_nf *nf;
  int used = rv_nf_init(argc, argv, &nf);
  if (used < 0) return 1;
  argc -= used;
  argv += used;
  st s;
  rv_nf_ops ops{};
  for (int i = 1; i < argc; i++) {
    const char *a = argv[i];
    bool v = i + 1 < argc;
    if (!strcmp(a, "--path") && v) s.path = (uint16_t)atoi(argv[++i]);
    else if (!strcmp(a, "--count") && v) s.count = (uint32_t)atoi(argv[++i]);
    else if (!strcmp(a, "--size") && v) s.size = (uint32_t)atoi(argv[++i]);
    else if (!strcmp(a, "--flows") && v) s.flows = (uint32_t)atoi(argv[++i]);
    else if (!strcmp(a, "--duration") && v) s.duration = atof(argv[++i]);
    else if (!strcmp(a, "--print-every") && v) s.every = atof(argv[++i]);
    else if (!strcmp(a, "--total") && v) s.total = strtoull(argv[++i], nullptr, 10);
    else if (!strcmp(a, "--rate") && v) s.rate = strtoull(argv[++i], nullptr, 10);
    else if (!strcmp(a, "--latency")) s.latency = true;
    else if (!strcmp(a, "--warmup") && v) s.warmup = atof(argv[++i]);
    else if (!strcmp(a, "--busy")) ops.busy_poll = true;
    else if (!strcmp(a, "--burst") && v) ops.burst = (uint16_t)atoi(argv[++i]);
    else { fprintf(stderr, "speed_tester: unknown argument %s\n", a); rv_nf_fini(nf); return 2; }
  }
  if (s.flows == 0) s.flows = 1;
  if (s.size > 1500) s.size = 1500;
  ops.batch = handle;
  ops.tick = tick;
  ops.user = &s;
  rv_nf_count_bytes(nf, s.latency);  // the tester never touches packets otherwise
  rv_nf_ready(nf);
  s.start = s.last_print = rte_rdtsc();
  if (!s.total) send_new(nf, &s, s.count);  // the circulating packets
  rv_nf_run(nf, &ops);
  uint64_t end = rte_rdtsc(), hz = rv_nf_tsc_hz(nf);
  uint64_t from = s.warm_tsc ? s.warm_tsc : (s.first_rx_tsc ? s.first_rx_tsc : s.start);
  uint64_t counted = s.rx - (s.warm_tsc ? s.warm_rx : 0);
  double secs = (double)(end - from) / hz;
  printf("{\"rx\":%lu,\"tx\":%lu,\"secs\":%.3f,\"mpps\":%.4f,\"lat_avg_us\":%.3f}\n", s.rx, s.sent, secs,
         secs > 0 ? counted / secs / 1e6 : 0.0, s.lat_n ? (double)s.lat_sum / s.lat_n / hz * 1e6 : 0.0);
  fflush(stdout);
  rv_nf_fini(nf);
  return 0;
}
