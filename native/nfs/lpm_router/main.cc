// lpm_router NF: rte_lpm IPv4 forwarding, optionally one shard of a split table (logic in
// lpm_router.cc). Usage: lpm_router [EAL] -- --instance N --table FILE [--print-every S] [--busy]
// Verdicts map to actions: OUT → RV_ACT_OUT (destination = port), NEXT → RV_ACT_NEXT, else DROP.
#include <cstdio>
#include <cstdlib>
#include <cstring>
#include <memory>
#include <fstream>
#include <sstream>
#include <string>

#include <unistd.h>

#include <rte_cycles.h>

#include "lpm_router.h"
#include "nf.h"

// gcc cannot see that route()/process() only read the n entries written just before.
#pragma GCC diagnostic ignored "-Wmaybe-uninitialized"

namespace {
struct State { rvnf::LpmRouter r; double every = 0; uint64_t last_print = 0; };

void handle(rte_mbuf** pkts, uint16_t n, rv_nf*, void* user) {
  if (n == 0) return;
  State* s = static_cast<State*>(user);
  uint8_t* data[256];
  uint32_t lens[256];
  uint8_t verdict[256];
  uint16_t port[256];
  for (uint16_t i = 0; i < n; i++) {
    data[i] = rte_pktmbuf_mtod(pkts[i], uint8_t*);
    lens[i] = rte_pktmbuf_data_len(pkts[i]);
  }
  s->r.route(data, lens, n, verdict, port);
  for (uint16_t i = 0; i < n; i++) {
    rv_meta* m = rv_meta_of(pkts[i]);
    if (verdict[i] == rvnf::LPM_OUT) { m->action = RV_ACT_OUT; m->destination = port[i]; }
    else if (verdict[i] == rvnf::LPM_NEXT) m->action = RV_ACT_NEXT;
    else m->action = RV_ACT_DROP;
  }
}

void print_stats(State& s, rv_nf* nf) {
  const auto& st = s.r.stats();
  printf("lpm_router[%u]: routes %u out %lu next %lu no_route %lu ttl %lu drop %lu wrong_shard %lu\n",
         rv_nf_instance(nf), s.r.routes_loaded(), st.out, st.next, st.no_route, st.ttl, st.drop_hop, st.wrong_shard);
  fflush(stdout);
}

int tick(rv_nf* nf, uint64_t now, void* user) {
  State* s = static_cast<State*>(user);
  if (s->every > 0 && now - s->last_print >= uint64_t(s->every * double(rv_nf_tsc_hz(nf)))) {
    print_stats(*s, nf);
    s->last_print = now;
  }
  return 0;
}
}  // namespace

int main(int argc, char** argv) {
  rv_nf* nf;
  int used = rv_nf_init(argc, argv, &nf);
  if (used < 0) return 1;
  argc -= used;
  argv += used;
  auto sp = std::make_unique<State>();  // released before rv_nf_fini: it may hold DPDK memory
  State& s = *sp;
  rv_nf_ops ops{};
  std::string table;
  for (int i = 1; i < argc; i++) {
    if (!strcmp(argv[i], "--table") && i + 1 < argc) table = argv[++i];
    else if (!strcmp(argv[i], "--print-every") && i + 1 < argc) s.every = atof(argv[++i]);
    else if (!strcmp(argv[i], "--busy")) ops.busy_poll = true;
  }
  std::string err;
  rvnf::LpmConfig cfg;
  std::ifstream f(table);
  std::stringstream ss;
  if (f) ss << f.rdbuf();
  char name[32];
  snprintf(name, sizeof name, "lpm%u_%d", rv_nf_instance(nf), int(getpid()));  // unique host-wide
  if (table.empty() || !f) err = "--table FILE is required and readable";
  if (!err.empty() || !rvnf::lpm_parse(ss.str(), &cfg, &err) || !s.r.init(cfg, name, &err)) {
    fprintf(stderr, "lpm_router: %s\n", err.c_str());
    sp.reset();
    rv_nf_fini(nf);
    return 1;
  }
  s.last_print = rte_rdtsc();
  ops.batch = handle;
  ops.tick = tick;
  ops.user = &s;
  rv_nf_run(nf, &ops);
  print_stats(s, nf);
  sp.reset();
  rv_nf_fini(nf);
  return 0;
}
