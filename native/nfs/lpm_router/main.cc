// lpm_router NF: rte_lpm IPv4 forwarding, optionally one shard of a split table (logic in
// lpm_router.cc). Usage: lpm_router [EAL] -- --instance N --table FILE [--print-every S] [--busy]
// Verdicts map to actions: OUT → RV_ACT_OUT (destination = port), NEXT → RV_ACT_NEXT, else DROP.
#include <cstdio>
#include <cstring>
#include <fstream>
#include <sstream>
#include <string>

#include <unistd.h>

#include "lpm_router.h"
#include "nf_app.h"

// gcc cannot see that route()/process() only read the n entries written just before.
#pragma GCC diagnostic ignored "-Wmaybe-uninitialized"

namespace {

struct LpmRouterNf : nfapp::App {
  rvnf::LpmRouter r;
  std::string table;

  bool arg(int argc, char** argv, int& i) override {
    if (!strcmp(argv[i], "--table") && i + 1 < argc) table = argv[++i];
    else return false;
    return true;
  }

  bool init(rv_nf* nf, std::string* err) override {
    rvnf::LpmConfig cfg;
    std::ifstream f(table);
    std::stringstream ss;
    if (f) ss << f.rdbuf();
    char name[32];
    snprintf(name, sizeof name, "lpm%u_%d", rv_nf_instance(nf), int(getpid()));  // unique host-wide
    if (table.empty() || !f) { *err = "--table FILE is required and readable"; return false; }
    return rvnf::lpm_parse(ss.str(), &cfg, err) && r.init(cfg, name, err);
  }

  void batch(rte_mbuf** pkts, uint16_t n, rv_nf*) {
    if (n == 0) return;
    nfapp::Frames f(pkts, n);
    uint8_t verdict[256];
    uint16_t port[256];
    r.route(f.data, f.lens, n, verdict, port);
    for (uint16_t i = 0; i < n; i++) {
      rv_meta* m = rv_meta_of(pkts[i]);
      if (verdict[i] == rvnf::LPM_OUT) { m->action = RV_ACT_OUT; m->destination = port[i]; }
      else if (verdict[i] == rvnf::LPM_NEXT) m->action = RV_ACT_NEXT;
      else m->action = RV_ACT_DROP;
    }
  }

  void stats(rv_nf* nf) override {
    const auto& st = r.stats();
    printf("lpm_router[%u]: routes %u out %lu next %lu no_route %lu ttl %lu drop %lu wrong_shard %lu\n",
           rv_nf_instance(nf), r.routes_loaded(), st.out, st.next, st.no_route, st.ttl, st.drop_hop, st.wrong_shard);
    fflush(stdout);
  }
};

}  // namespace

int main(int argc, char** argv) { return nfapp::run<LpmRouterNf>(argc, argv, "lpm_router"); }
