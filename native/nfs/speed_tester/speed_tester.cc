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
#include "nf_app.h"

static inline void stamp(rte_mbuf *m, uint64_t now) {
  *(uint64_t *)(rte_pktmbuf_mtod(m, char *) + 42) = now;  // UDP payload
}

struct SpeedTester : nfapp::App {
  uint32_t count = 2048, size = 64, flows = 16;
  uint16_t path = 1;
  double duration = 0;
  bool latency = false;
  uint64_t total = 0, rate = 0;
  uint64_t sent = 0, rx = 0, last_rx = 0, t_start = 0, lat_sum = 0, lat_n = 0;
  uint64_t first_rx_tsc = 0;
  double warmup = 0;
  uint64_t warm_tsc = 0, warm_rx = 0;

  SpeedTester() {
    every = 1;
    strict_args = true;
  }

  bool arg(int argc, char **argv, int &i) override {
    const char *a = argv[i];
    bool v = i + 1 < argc;
    if (!strcmp(a, "--path") && v) path = (uint16_t)atoi(argv[++i]);
    else if (!strcmp(a, "--count") && v) count = (uint32_t)atoi(argv[++i]);
    else if (!strcmp(a, "--size") && v) size = (uint32_t)atoi(argv[++i]);
    else if (!strcmp(a, "--flows") && v) flows = (uint32_t)atoi(argv[++i]);
    else if (!strcmp(a, "--duration") && v) duration = atof(argv[++i]);
    else if (!strcmp(a, "--total") && v) total = strtoull(argv[++i], nullptr, 10);
    else if (!strcmp(a, "--rate") && v) rate = strtoull(argv[++i], nullptr, 10);
    else if (!strcmp(a, "--latency")) latency = true;
    else if (!strcmp(a, "--warmup") && v) warmup = atof(argv[++i]);
    else if (!strcmp(a, "--burst") && v) burst = (uint16_t)atoi(argv[++i]);
    else return false;
    return true;
  }

  bool init(rv_nf *nf, std::string *) override {
    if (flows == 0) flows = 1;
    if (size > 1500) size = 1500;
    rv_nf_count_bytes(nf, latency);  // the tester never touches packets otherwise
    rv_nf_ready(nf);
    return true;
  }

  void start(rv_nf *nf, uint64_t now) override {
    t_start = now;
    if (!total) send_new(nf, count);  // the circulating packets
  }

  bool build(rte_mbuf *m, uint32_t i) {
    uint32_t len = size < 60 ? 60 : size;
    char *p = rte_pktmbuf_append(m, (uint16_t)len);
    if (!p) return false;
    memset(p, 0, len);
    auto *eth = (rte_ether_hdr *)p;
    eth->ether_type = rte_cpu_to_be_16(RTE_ETHER_TYPE_IPV4);
    eth->src_addr.addr_bytes[0] = 0x02;
    eth->dst_addr.addr_bytes[0] = 0x02;
    eth->dst_addr.addr_bytes[5] = 0x01;
    auto *ip = (rte_ipv4_hdr *)(eth + 1);
    ip->version_ihl = 0x45;
    ip->total_length = rte_cpu_to_be_16((uint16_t)(len - sizeof(rte_ether_hdr)));
    ip->time_to_live = 64;
    ip->next_proto_id = IPPROTO_UDP;
    ip->src_addr = rte_cpu_to_be_32(0x0a000001 + (i % flows));
    ip->dst_addr = rte_cpu_to_be_32(0x0a000101);
    ip->hdr_checksum = rte_ipv4_cksum(ip);
    auto *udp = (rte_udp_hdr *)(ip + 1);
    udp->src_port = rte_cpu_to_be_16((uint16_t)(1024 + i % flows));
    udp->dst_port = rte_cpu_to_be_16(9);
    udp->dgram_len = rte_cpu_to_be_16((uint16_t)(len - sizeof(rte_ether_hdr) - sizeof(rte_ipv4_hdr)));
    rv_meta *mt = rv_meta_of(m);
    memset(mt, 0, sizeof *mt);
    mt->action = RV_ACT_NEXT;
    mt->path_id = path;
    mt->index = 0;
    mt->flow_hash = rte_hash_crc_4byte(i % flows, 0x9e3779b9);
    mt->in_port = 0xffff;
    mt->flags = RV_MF_GENERATED | RV_MF_CLASSIFIED;
    return true;
  }

  uint64_t send_new(rv_nf *nf, uint64_t want) {
    rte_mbuf *pkts[RV_NF_BURST];
    uint64_t done = 0;
    while (done < want) {
      uint16_t b = (uint16_t)(want - done < RV_NF_BURST ? want - done : RV_NF_BURST);
      if (rte_pktmbuf_alloc_bulk(rv_nf_pool(nf), pkts, b) != 0) break;
      uint64_t now = rte_rdtsc();
      for (uint16_t i = 0; i < b; i++) {
        build(pkts[i], (uint32_t)(sent + done + i));
        if (latency) stamp(pkts[i], now);
      }
      done += rv_nf_send(nf, pkts, b);
    }
    sent += done;
    return done;
  }

  void batch(rte_mbuf **pkts, uint16_t n, rv_nf *) {
    if (unlikely(first_rx_tsc == 0)) first_rx_tsc = rte_rdtsc();
    rx += n;
    uint64_t now = latency ? rte_rdtsc() : 0;
    for (uint16_t i = 0; i < n; i++) {
      rv_meta *m = rv_meta_of(pkts[i]);
      if (latency) {
        lat_sum += now - *(uint64_t *)(rte_pktmbuf_mtod(pkts[i], char *) + 42);
        lat_n++;
        stamp(pkts[i], now);
      }
      if (total) {
        m->action = RV_ACT_DROP;  // generator mode: what comes back is consumed
      } else {
        m->index = 0;
        m->hops = 0;
      }
    }
  }

  int tick(rv_nf *nf, uint64_t now) override {
    uint64_t hz = rv_nf_tsc_hz(nf);
    if (total && sent < total) {
      uint64_t allowed = total;
      if (rate) {
        uint64_t by_time = (uint64_t)((double)(now - t_start) / hz * rate) + 1;
        if (by_time < allowed) allowed = by_time;
      }
      if (allowed > sent) send_new(nf, allowed - sent);
    }
    if (!warm_tsc && warmup > 0 && now - t_start >= (uint64_t)(warmup * hz)) {
      warm_tsc = now;
      warm_rx = rx;
    }
    if (duration > 0 && now - t_start >= (uint64_t)((duration + warmup) * hz)) return 1;
    return 0;
  }

  void report(rv_nf *nf, uint64_t now, double secs) override {
    uint64_t hz = rv_nf_tsc_hz(nf);
    printf("speed_tester: %.1f s %lu pkts %.3f Mpps lat_avg_us %.2f\n", (double)(now - t_start) / hz, rx,
           (rx - last_rx) / secs / 1e6, lat_n ? (double)lat_sum / lat_n / hz * 1e6 : 0.0);
    fflush(stdout);
    last_rx = rx;
  }

  void finish(rv_nf *nf) override {
    uint64_t end = rte_rdtsc(), hz = rv_nf_tsc_hz(nf);
    uint64_t from = warm_tsc ? warm_tsc : (first_rx_tsc ? first_rx_tsc : t_start);
    uint64_t counted = rx - (warm_tsc ? warm_rx : 0);
    double secs = (double)(end - from) / hz;
    printf("{\"rx\":%lu,\"tx\":%lu,\"secs\":%.3f,\"mpps\":%.4f,\"lat_avg_us\":%.3f}\n", rx, sent, secs,
           secs > 0 ? counted / secs / 1e6 : 0.0, lat_n ? (double)lat_sum / lat_n / hz * 1e6 : 0.0);
    fflush(stdout);
  }
};

int main(int argc, char **argv) { return nfapp::run<SpeedTester>(argc, argv, "speed_tester"); }
