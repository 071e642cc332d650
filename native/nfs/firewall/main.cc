// firewall NF: rte_acl 5-tuple rules + optional connection tracking (logic in firewall.cc).
// Usage: firewall [EAL] -- --instance N [--rules FILE] [--print-every S] [--busy]
// CONFIG message "rules=/path/to/file" reloads the rules (a new ACL is built, then swapped in).
// Without --rules every frame passes (empty policy, default allow).
#include <cstdio>
#include <cstring>
#include <fstream>
#include <memory>
#include <sstream>
#include <string>

#include <unistd.h>

#include <rte_cycles.h>

#include "firewall.h"
#include "nf_app.h"

namespace {

struct FirewallNf : nfapp::App {
  std::unique_ptr<rvnf::Firewall> fw;
  std::string rules;
  unsigned generation = 0;
  uint64_t last_expire = 0;

  bool load(const std::string& path, rv_nf* nf, std::string* err) {
    rvnf::FwConfig cfg;
    if (!path.empty()) {
      std::ifstream f(path);
      if (!f) { *err = "cannot read " + path; return false; }
      std::stringstream ss;
      ss << f.rdbuf();
      if (!rvnf::fw_parse(ss.str(), &cfg, err)) return false;
    }
    auto next = std::make_unique<rvnf::Firewall>();
    char name[32];
    // names live in the shared tailqs of the whole host: pid makes a restarted instance not collide
    snprintf(name, sizeof name, "fw%u_%d_%u", rv_nf_instance(nf), int(getpid()), generation++);
    if (!next->init(cfg, name, rte_get_tsc_hz(), err)) return false;
    fw = std::move(next);
    return true;
  }

  bool arg(int argc, char** argv, int& i) override {
    if (!strcmp(argv[i], "--rules") && i + 1 < argc) rules = argv[++i];
    else return false;
    return true;
  }

  bool init(rv_nf* nf, std::string* err) override { return load(rules, nf, err); }

  void start(rv_nf*, uint64_t now) override { last_expire = now; }

  void batch(rte_mbuf** pkts, uint16_t n, rv_nf*) {
    nfapp::Frames f(pkts, n);
    uint8_t allow[256];
    fw->classify(f.data, f.lens, n, allow, rte_rdtsc());
    nfapp::drop_unless(pkts, n, allow);
  }

  void config(rv_nf* nf, const std::string& text) override {
    if (text.rfind("rules=", 0) != 0) return;
    std::string err;
    if (load(text.substr(6), nf, &err)) rv_nf_send_msg(nf, RV_MSG_LOG, nullptr, "firewall: rules reloaded");
    else rv_nf_send_msg(nf, RV_MSG_LOG, nullptr, ("firewall: reload failed: " + err).substr(0, 80).c_str());
  }

  int tick(rv_nf* nf, uint64_t now) override {
    if (now - last_expire > rv_nf_tsc_hz(nf) / 10) {
      fw->expire(now, 1024);
      last_expire = now;
    }
    return 0;
  }

  void stats(rv_nf* nf) override {
    const auto& st = fw->stats();
    printf("firewall[%u]: allowed %lu dropped %lu default %lu nonip %lu ct_hits %lu ct_entries %u\n",
           rv_nf_instance(nf), st.allowed, st.dropped, st.default_hits, st.nonip, st.ct_hits, fw->ct_count());
    const auto& hits = fw->rule_hits();
    for (size_t i = 0; i < hits.size(); i++)
      printf("firewall[%u]:   rule %zu hits %lu  | %s\n", rv_nf_instance(nf), i, hits[i],
             fw->config().rules[i].text.c_str());
    fflush(stdout);
  }
};

}  // namespace

int main(int argc, char** argv) { return nfapp::run<FirewallNf>(argc, argv, "firewall"); }
