// monitor: counts packets and bytes per batch, prints a line every --print-every seconds (0 = never),
// forwards everything (action NEXT). Usage: monitor [EAL] -- --instance N [--print-every S] [--busy]
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include "nf_app.h"

struct Monitor : nfapp::App {
  uint64_t pkts = 0, bytes = 0, last_pkts = 0;

  bool arg(int argc, char **argv, int &i) override {
    if (!strcmp(argv[i], "--burst") && i + 1 < argc) burst = (uint16_t)atoi(argv[++i]);
    else return false;
    return true;
  }

  void batch(rte_mbuf **p, uint16_t n, rv_nf *) {
    uint64_t b = 0;
    for (uint16_t i = 0; i < n; i++) b += p[i]->pkt_len;
    pkts += n;
    bytes += b;
  }

  void report(rv_nf *nf, uint64_t, double secs) override {
    printf("monitor[%u]: %lu pkts %lu bytes %.0f pps\n", rv_nf_instance(nf), pkts, bytes, (pkts - last_pkts) / secs);
    fflush(stdout);
    last_pkts = pkts;
  }

  void finish(rv_nf *nf) override {
    printf("monitor[%u]: done %lu pkts %lu bytes\n", rv_nf_instance(nf), pkts, bytes);
  }
};

int main(int argc, char **argv) { return nfapp::run<Monitor>(argc, argv, "monitor"); }
