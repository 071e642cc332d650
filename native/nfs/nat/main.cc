// nat NF: source NAT (NAPT) of an inside prefix behind one external address (logic in nat.cc).
// Usage: nat [EAL] -- --instance N --external A.B.C.D --inside P/L [--ports LO-HI] [--timeout S]
//                     [--max N] [--drop-other] [--print-every S] [--busy]
#include <cstdio>
#include <string>

#include <unistd.h>

#include <rte_cycles.h>

#include "nat.h"
#include "nf_app.h"

namespace {

struct NatNf : nfapp::App {
  rvnf::Nat nat;
  uint64_t last_expire = 0;

  bool init(rv_nf* nf, std::string* err) override {
    rvnf::NatConfig cfg;
    char name[32];
    snprintf(name, sizeof name, "nat%u_%d", rv_nf_instance(nf), int(getpid()));  // unique host-wide
    return rvnf::nat_parse_args(argc, argv, &cfg, err) && nat.init(cfg, name, rte_get_tsc_hz(), err);
  }

  void start(rv_nf*, uint64_t now) override { last_expire = now; }

  void batch(rte_mbuf** pkts, uint16_t n, rv_nf*) {
    nfapp::Frames f(pkts, n);
    uint8_t pass[256];
    nat.process(f.data, f.lens, n, pass, rte_rdtsc());
    nfapp::drop_unless(pkts, n, pass);
  }

  int tick(rv_nf* nf, uint64_t now) override {
    if (now - last_expire > rv_nf_tsc_hz(nf) / 10) { nat.expire(now, 1024); last_expire = now; }
    return 0;
  }

  void stats(rv_nf* nf) override {
    const auto& st = nat.stats();
    printf("nat[%u]: out %lu in %lu in_no_mapping %lu out_no_port %lu untranslatable %lu mappings %u expired %lu\n",
           rv_nf_instance(nf), st.out_translated, st.in_translated, st.in_no_mapping, st.out_no_port,
           st.untranslatable, nat.mappings(), st.expired);
    fflush(stdout);
  }
};

}  // namespace

int main(int argc, char** argv) { return nfapp::run<NatNf>(argc, argv, "nat"); }
