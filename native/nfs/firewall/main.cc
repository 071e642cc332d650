// firewall NF: rte_acl 5-tuple rules + optional connection tracking (logic in firewall.cc).
// Usage: firewall [EAL] -- --instance N [--rules FILE] [--print-every S] [--busy]
// CONFIG message "rules=/path/to/file" reloads the rules (a new ACL is built, then swapped in).
// Without --rules every frame passes (empty policy, default allow).
#include <cstdio>
#include <cstdlib>
#include <cstring>
#include <fstream>
#include <memory>
#include <sstream>
#include <string>

#include <unistd.h>

#include <rte_cycles.h>

#include "firewall.h"
#include "nf.h"

namespace {

struct State {
  std::unique_ptr<rvnf::Firewall> fw;
  unsigned generation = 0;
  double every = 0;
  uint64_t last_print = 0, last_expire = 0;
};

bool load(State* s, const std::string& path, rv_nf* nf, std::string* err) {
  rvnf::FwConfig cfg;
  if (!path.empty()) {
    std::ifstream f(path);
    if (!f) { *err = "cannot read " + path; return false; }
    std::stringstream ss;
    ss << f.rdbuf();
    if (!rvnf::fw_parse(ss.str(), &cfg, err)) return false;
  }
  auto fw = std::make_unique<rvnf::Firewall>();
  char name[32];
  // names live in the shared tailqs of the whole host: pid makes a restarted instance not collide
  snprintf(name, sizeof name, "fw%u_%d_%u", rv_nf_instance(nf), int(getpid()), s->generation++);
  if (!fw->init(cfg, name, rte_get_tsc_hz(), err)) return false;
  s->fw = std::move(fw);
  return true;
}

void print_stats(const State& s, rv_nf* nf) {
  const auto& st = s.fw->stats();
  printf("firewall[%u]: allowed %lu dropped %lu default %lu nonip %lu ct_hits %lu ct_entries %u\n",
         rv_nf_instance(nf), st.allowed, st.dropped, st.default_hits, st.nonip, st.ct_hits,
         s.fw->ct_count());
  const auto& hits = s.fw->rule_hits();
  for (size_t i = 0; i < hits.size(); i++)
    printf("firewall[%u]:   rule %zu hits %lu  | %s\n", rv_nf_instance(nf), i, hits[i],
           s.fw->config().rules[i].text.c_str());
  fflush(stdout);
}

void handle(rte_mbuf** pkts, uint16_t n, rv_nf*, void* user) {
  State* s = static_cast<State*>(user);
  uint8_t* data[256];
  uint32_t lens[256];
  uint8_t allow[256];
  for (uint16_t i = 0; i < n; i++) {
    data[i] = rte_pktmbuf_mtod(pkts[i], uint8_t*);
    lens[i] = rte_pktmbuf_data_len(pkts[i]);
  }
  s->fw->classify(data, lens, n, allow, rte_rdtsc());
  for (uint16_t i = 0; i < n; i++)
    if (!allow[i]) rv_meta_of(pkts[i])->action = RV_ACT_DROP;
}

int on_msg(const rv_msg* msg, rv_nf* nf, void* user) {
  State* s = static_cast<State*>(user);
  if (msg->type != RV_MSG_CONFIG) return 0;
  std::string text(msg->data, strnlen(msg->data, sizeof msg->data));
  if (text.rfind("rules=", 0) == 0) {
    std::string err;
    if (load(s, text.substr(6), nf, &err)) rv_nf_send_msg(nf, RV_MSG_LOG, nullptr, "firewall: rules reloaded");
    else rv_nf_send_msg(nf, RV_MSG_LOG, nullptr, ("firewall: reload failed: " + err).substr(0, 80).c_str());
  }
  return 0;
}

int tick(rv_nf* nf, uint64_t now, void* user) {
  State* s = static_cast<State*>(user);
  const uint64_t hz = rv_nf_tsc_hz(nf);
  if (now - s->last_expire > hz / 10) {
    s->fw->expire(now, 1024);
    s->last_expire = now;
  }
  if (s->every > 0 && now - s->last_print >= uint64_t(s->every * double(hz))) {
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
  std::string rules;
  for (int i = 1; i < argc; i++) {
    if (!strcmp(argv[i], "--rules") && i + 1 < argc) rules = argv[++i];
    else if (!strcmp(argv[i], "--print-every") && i + 1 < argc) s.every = atof(argv[++i]);
    else if (!strcmp(argv[i], "--busy")) ops.busy_poll = true;
  }
  std::string err;
  if (!load(&s, rules, nf, &err)) {
    fprintf(stderr, "firewall: %s\n", err.c_str());
    sp.reset();
    rv_nf_fini(nf);
    return 1;
  }
  s.last_print = s.last_expire = rte_rdtsc();
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
