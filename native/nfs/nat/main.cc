// nat NF: source NAT (NAPT) of an inside prefix behind one external address (logic in nat.cc).
// Usage: nat [EAL] -- --instance N --external A.B.C.D --inside P/L [--ports LO-HI] [--timeout S]
//                     [--max N] [--drop-other] [--print-every S] [--busy]
#include <cstdio>
#include <cstdlib>
#include <cstring>
#include <memory>
#include <string>

#include <unistd.h>

#include <rte_cycles.h>

#include "nat.h"
#include "nf.h"

namespace {
struct State { rvnf::Nat nat; double every = 0; uint64_t last_print = 0, last_expire = 0; };

void handle(rte_mbuf** pkts, uint16_t n, rv_nf*, void* user) {
  State* s = static_cast<State*>(user);
  uint8_t* data[256];
  uint32_t lens[256];
  uint8_t pass[256];
  for (uint16_t i = 0; i < n; i++) {
    data[i] = rte_pktmbuf_mtod(pkts[i], uint8_t*);
    lens[i] = rte_pktmbuf_data_len(pkts[i]);
  }
  s->nat.process(data, lens, n, pass, rte_rdtsc());
  for (uint16_t i = 0; i < n; i++)
    if (!pass[i]) rv_meta_of(pkts[i])->action = RV_ACT_DROP;
}

void print_stats(State& s, rv_nf* nf) {
  const auto& st = s.nat.stats();
  printf("nat[%u]: out %lu in %lu in_no_mapping %lu out_no_port %lu untranslatable %lu mappings %u expired %lu\n",
         rv_nf_instance(nf), st.out_translated, st.in_translated, st.in_no_mapping, st.out_no_port,
         st.untranslatable, s.nat.mappings(), st.expired);
  fflush(stdout);
}

int tick(rv_nf* nf, uint64_t now, void* user) {
  State* s = static_cast<State*>(user);
  const uint64_t hz = rv_nf_tsc_hz(nf);
  if (now - s->last_expire > hz / 10) { s->nat.expire(now, 1024); s->last_expire = now; }
  if (s->every > 0 && now - s->last_print >= uint64_t(s->every * double(hz))) { print_stats(*s, nf); s->last_print = now; }
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
  for (int i = 1; i < argc; i++) {
    if (!strcmp(argv[i], "--print-every") && i + 1 < argc) s.every = atof(argv[++i]);
    else if (!strcmp(argv[i], "--busy")) ops.busy_poll = true;
  }
  rvnf::NatConfig cfg;
  std::string err;
  char name[32];
  snprintf(name, sizeof name, "nat%u_%d", rv_nf_instance(nf), int(getpid()));  // unique host-wide
  if (!rvnf::nat_parse_args(argc, argv, &cfg, &err) || !s.nat.init(cfg, name, rte_get_tsc_hz(), &err)) {
    fprintf(stderr, "nat: %s\n", err.c_str());
    sp.reset();
    rv_nf_fini(nf);
    return 1;
  }
  s.last_print = s.last_expire = rte_rdtsc();
  ops.batch = handle;
  ops.tick = tick;
  ops.user = &s;
  rv_nf_run(nf, &ops);
  print_stats(s, nf);
  sp.reset();
  rv_nf_fini(nf);
  return 0;
}
