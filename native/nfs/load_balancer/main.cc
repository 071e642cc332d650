// load_balancer NF: Maglev over backends, destination rewrite (logic in load_balancer.cc).
// Usage: load_balancer [EAL] -- --instance N --vip A.B.C.D[:PORT] [--proto tcp|udp]
//          --backend IP [--backend IP ...] [--table-size PRIME] [--print-every S] [--busy]
// CONFIG message "backends=IP,IP,..." replaces the backend set (Maglev: few flows move).
#include <cstdio>
#include <cstdlib>
#include <cstring>
#include <memory>
#include <sstream>
#include <string>

#include <rte_cycles.h>

#include "../nf_pkt.h"
#include "load_balancer.h"
#include "nf.h"

namespace {
struct State { rvnf::LoadBalancer lb; double every = 0; uint64_t last_print = 0; };

void handle(rte_mbuf** pkts, uint16_t n, rv_nf*, void* user) {
  State* s = static_cast<State*>(user);
  uint8_t* data[256];
  uint32_t lens[256];
  for (uint16_t i = 0; i < n; i++) {
    data[i] = rte_pktmbuf_mtod(pkts[i], uint8_t*);
    lens[i] = rte_pktmbuf_data_len(pkts[i]);
  }
  s->lb.process(data, lens, n, nullptr);
}

void print_stats(State& s, rv_nf* nf) {
  const auto& st = s.lb.stats();
  printf("load_balancer[%u]: to_vip %lu from_backend %lu other %lu |", rv_nf_instance(nf), st.to_vip,
         st.from_backend, st.other);
  for (size_t i = 0; i < s.lb.per_backend().size(); i++) printf(" b%zu=%lu", i, s.lb.per_backend()[i]);
  printf("\n");
  fflush(stdout);
}

int on_msg(const rv_msg* msg, rv_nf* nf, void* user) {
  State* s = static_cast<State*>(user);
  if (msg->type != RV_MSG_CONFIG) return 0;
  std::string text(msg->data, strnlen(msg->data, sizeof msg->data));
  if (text.rfind("backends=", 0) != 0) return 0;
  std::vector<uint32_t> bs;
  std::stringstream ss(text.substr(9));
  for (std::string item; std::getline(ss, item, ',');) {
    uint32_t ip;
    if (!rvnf::parse_ip(item.c_str(), &ip)) { rv_nf_send_msg(nf, RV_MSG_LOG, nullptr, "load_balancer: bad backend list"); return 0; }
    bs.push_back(ip);
  }
  std::string err;
  if (!s->lb.set_backends(bs, &err)) rv_nf_send_msg(nf, RV_MSG_LOG, nullptr, ("load_balancer: " + err).c_str());
  else rv_nf_send_msg(nf, RV_MSG_LOG, nullptr, "load_balancer: backends updated");
  return 0;
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
  for (int i = 1; i < argc; i++) {
    if (!strcmp(argv[i], "--print-every") && i + 1 < argc) s.every = atof(argv[++i]);
    else if (!strcmp(argv[i], "--busy")) ops.busy_poll = true;
  }
  rvnf::LbConfig cfg;
  std::string err;
  if (!rvnf::lb_parse_args(argc, argv, &cfg, &err) || !s.lb.init(cfg, &err)) {
    fprintf(stderr, "load_balancer: %s\n", err.c_str());
    sp.reset();
    rv_nf_fini(nf);
    return 1;
  }
  s.last_print = rte_rdtsc();
  ops.batch = handle;
  ops.msg = on_msg;
  ops.tick = tick;
  ops.user = &s;
  rv_nf_run(nf, &ops);
  print_stats(s, nf);
  sp.reset();
  rv_nf_fini(nf);
  return 0;
}
