// payload_scan NF: Aho-Corasick string match on payloads, drop or alert (logic in payload_scan.cc).
// Usage: payload_scan [EAL] -- --instance N --patterns FILE [--print-every S] [--busy]
// Alerts are printed and sent to the manager as LOG messages (at most 10 per second).
#include <cstdio>
#include <cstring>
#include <fstream>
#include <sstream>
#include <string>

#include <rte_cycles.h>

#include "../nf_pkt.h"
#include "nf_app.h"
#include "payload_scan.h"

// gcc cannot see that route()/process() only read the n entries written just before.
#pragma GCC diagnostic ignored "-Wmaybe-uninitialized"

namespace {

struct PayloadScanNf : nfapp::App {
  rvnf::PayloadScan scan;
  std::string file;
  uint64_t window_start = 0;
  uint32_t alerts_in_window = 0;

  bool arg(int argc, char** argv, int& i) override {
    if (!strcmp(argv[i], "--patterns") && i + 1 < argc) file = argv[++i];
    else return false;
    return true;
  }

  bool init(rv_nf*, std::string* err) override {
    rvnf::ScanConfig cfg;
    std::ifstream f(file);
    std::stringstream ss;
    if (f) ss << f.rdbuf();
    if (file.empty() || !f) { *err = "--patterns FILE is required and readable"; return false; }
    return rvnf::scan_parse(ss.str(), &cfg, err) && scan.init(cfg, err);
  }

  void start(rv_nf*, uint64_t now) override { window_start = now; }

  void alert(rv_nf* nf, const uint8_t* frame, uint32_t len, int32_t m) {
    uint64_t now = rte_rdtsc();
    if (now - window_start > rte_get_tsc_hz()) { window_start = now; alerts_in_window = 0; }
    if (++alerts_in_window > 10) return;
    rvnf::Pkt p;
    char text[96];
    if (rvnf::parse(const_cast<uint8_t*>(frame), len, &p))
      snprintf(text, sizeof text, "payload_scan: %s %u.%u.%u.%u:%u>%u.%u.%u.%u:%u",
               scan.config().patterns[size_t(m)].name.c_str(), p.src >> 24, (p.src >> 16) & 255,
               (p.src >> 8) & 255, p.src & 255, p.sport, p.dst >> 24, (p.dst >> 16) & 255, (p.dst >> 8) & 255,
               p.dst & 255, p.dport);
    else
      snprintf(text, sizeof text, "payload_scan: %s (non-IPv4 frame)", scan.config().patterns[size_t(m)].name.c_str());
    printf("%s%s\n", text, scan.config().drop ? " dropped" : " alert");
    fflush(stdout);
    rv_nf_send_msg(nf, RV_MSG_LOG, nullptr, text);
  }

  void batch(rte_mbuf** pkts, uint16_t n, rv_nf* nf) {
    if (n == 0) return;
    nfapp::Frames f(pkts, n);
    uint8_t pass[256];
    int32_t match[256];
    scan.process(f.data, f.lens, n, pass, match);
    for (uint16_t i = 0; i < n; i++)
      if (match[i] >= 0) alert(nf, f.data[i], f.lens[i], match[i]);
    nfapp::drop_unless(pkts, n, pass);
  }

  void stats(rv_nf* nf) override {
    const auto& st = scan.stats();
    printf("payload_scan[%u]: scanned %lu matched %lu dropped %lu alerts %lu |", rv_nf_instance(nf), st.scanned,
           st.matched, st.dropped, st.alerts);
    for (size_t i = 0; i < scan.hits().size(); i++)
      printf(" %s=%lu", scan.config().patterns[i].name.c_str(), scan.hits()[i]);
    printf("\n");
    fflush(stdout);
  }
};

}  // namespace

int main(int argc, char** argv) { return nfapp::run<PayloadScanNf>(argc, argv, "payload_scan"); }
