// load_balancer NF: Maglev over backends, destination rewrite (logic in load_balancer.cc).
// Usage: load_balancer [EAL] -- --instance N --vip A.B.C.D[:PORT] [--proto tcp|udp]
//          --backend IP [--backend IP ...] [--table-size PRIME] [--print-every S] [--busy]
// CONFIG message "backends=IP,IP,..." replaces the backend set (Maglev: few flows move).
#include <cstdio>
#include <sstream>
#include <string>
#include <vector>

#include "../nf_pkt.h"
#include "load_balancer.h"
#include "nf_app.h"

namespace {

struct LoadBalancerNf : nfapp::App {
  rvnf::LoadBalancer lb;

  bool init(rv_nf*, std::string* err) override {
    rvnf::LbConfig cfg;
    return rvnf::lb_parse_args(argc, argv, &cfg, err) && lb.init(cfg, err);
  }

  void batch(rte_mbuf** pkts, uint16_t n, rv_nf*) {
    nfapp::Frames f(pkts, n);
    lb.process(f.data, f.lens, n, nullptr);
  }

  void config(rv_nf* nf, const std::string& text) override {
    if (text.rfind("backends=", 0) != 0) return;
    std::vector<uint32_t> bs;
    std::stringstream ss(text.substr(9));
    for (std::string item; std::getline(ss, item, ',');) {
      uint32_t ip;
      if (!rvnf::parse_ip(item.c_str(), &ip)) { rv_nf_send_msg(nf, RV_MSG_LOG, nullptr, "load_balancer: bad backend list"); return; }
      bs.push_back(ip);
    }
    std::string err;
    if (!lb.set_backends(bs, &err)) rv_nf_send_msg(nf, RV_MSG_LOG, nullptr, ("load_balancer: " + err).c_str());
    else rv_nf_send_msg(nf, RV_MSG_LOG, nullptr, "load_balancer: backends updated");
  }

  void stats(rv_nf* nf) override {
    const auto& st = lb.stats();
    printf("load_balancer[%u]: to_vip %lu from_backend %lu other %lu |", rv_nf_instance(nf), st.to_vip,
           st.from_backend, st.other);
    for (size_t i = 0; i < lb.per_backend().size(); i++) printf(" b%zu=%lu", i, lb.per_backend()[i]);
    printf("\n");
    fflush(stdout);
  }
};

}  // namespace

int main(int argc, char** argv) { return nfapp::run<LoadBalancerNf>(argc, argv, "load_balancer"); }
