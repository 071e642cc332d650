// monitor: counts packets and bytes per batch, prints a line every --print-every seconds (0 = never),
// forwards everything (action NEXT). Usage: monitor [EAL] -- --instance N [--print-every S] [--busy]
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <rte_cycles.h>
#include "nf.h"

struct mon {
  uint64_t pkts = 0, bytes = 0, last_pkts = 0, last_print = 0;
  double every = 0;
};

static void handle(rte_mbuf **pkts, uint16_t n, rv_nf *, void *user) {
  mon *m = static_cast<mon *>(user);
  uint64_t b = 0;
  for (uint16_t i = 0; i < n; i++) b += pkts[i]->pkt_len;
  m->pkts += n;
  m->bytes += b;
}

static int tick(rv_nf *nf, uint64_t now, void *user) {
  mon *m = static_cast<mon *>(user);
  if (m->every > 0 && now - m->last_print >= (uint64_t)(m->every * rv_nf_tsc_hz(nf))) {
    double secs = (double)(now - m->last_print) / rv_nf_tsc_hz(nf);
    printf("monitor[%u]: %lu pkts %lu bytes %.0f pps\n", rv_nf_instance(nf), m->pkts, m->bytes,
           (m->pkts - m->last_pkts) / secs);
    fflush(stdout);
    m->last_print = now;
    m->last_pkts = m->pkts;
  }
  return 0;
}

int main(int argc, char **argv) {
  rv_nf *nf;
  int used = rv_nf_init(argc, argv, &nf);
  if (used < 0) return 1;
  argc -= used;
  argv += used;
  mon m;
  rv_nf_ops ops{};
  for (int i = 1; i < argc; i++) {
    if (!strcmp(argv[i], "--print-every") && i + 1 < argc) m.every = atof(argv[++i]);
    else if (!strcmp(argv[i], "--busy")) ops.busy_poll = true;
    else if (!strcmp(argv[i], "--burst") && i + 1 < argc) ops.burst = (uint16_t)atoi(argv[++i]);
  }
  m.last_print = rte_rdtsc();
  ops.batch = handle;
  ops.tick = tick;
  ops.user = &m;
  rv_nf_run(nf, &ops);
  printf("monitor[%u]: done %lu pkts %lu bytes\n", rv_nf_instance(nf), m.pkts, m.bytes);
  rv_nf_fini(nf);
  return 0;
}
