// payload_scan NF: Aho-Corasick string match on payloads, drop or alert (logic in payload_scan.cc).
// Usage: payload_scan [EAL] -- --instance N --patterns FILE [--print-every S] [--busy]
// Alerts are printed and sent to the manager as LOG messages (at most 10 per second).
#include <cstdio>
#include <cstdlib>
#include <cstring>
#include <memory>
#include <fstream>
#include <sstream>
#include <string>

#include <rte_cycles.h>

#include "../nf_pkt.h"
#include "nf.h"
#include "payload_scan.h"

// gcc cannot see that route()/process() only read the n entries written just before.
#pragma GCC diagnostic ignored "-Wmaybe-uninitialized"

namespace {
struct State {
  rvnf::PayloadScan scan;
  double every = 0;
  uint64_t last_print = 0, window_start = 0;
  uint32_t alerts_in_window = 0;
  rv_nf* nf = nullptr;
};

void alert(State* s, const uint8_t* frame, uint32_t len, int32_t m) {
  uint64_t now = rte_rdtsc();
  if (now - s->window_start > rte_get_tsc_hz()) { s->window_start = now; s->alerts_in_window = 0; }
  if (++s->alerts_in_window > 10) return;
  rvnf::Pkt p;
  char text[96];
  if (rvnf::parse(const_cast<uint8_t*>(frame), len, &p))
    snprintf(text, sizeof text, "payload_scan: %s %u.%u.%u.%u:%u>%u.%u.%u.%u:%u",
             s->scan.config().patterns[size_t(m)].name.c_str(), p.src >> 24, (p.src >> 16) & 255,
             (p.src >> 8) & 255, p.src & 255, p.sport, p.dst >> 24, (p.dst >> 16) & 255, (p.dst >> 8) & 255,
             p.dst & 255, p.dport);
  else
    snprintf(text, sizeof text, "payload_scan: %s (non-IPv4 frame)", s->scan.config().patterns[size_t(m)].name.c_str());
  printf("%s%s\n", text, s->scan.config().drop ? " dropped" : " alert");
  fflush(stdout);
  rv_nf_send_msg(s->nf, RV_MSG_LOG, nullptr, text);
}

void handle(rte_mbuf** pkts, uint16_t n, rv_nf*, void* user) {
  if (n == 0) return;
  State* s = static_cast<State*>(user);
  uint8_t* data[256];
  uint32_t lens[256];
  uint8_t pass[256];
  int32_t match[256];
  for (uint16_t i = 0; i < n; i++) {
    data[i] = rte_pktmbuf_mtod(pkts[i], uint8_t*);
    lens[i] = rte_pktmbuf_data_len(pkts[i]);
  }
  s->scan.process(data, lens, n, pass, match);
  for (uint16_t i = 0; i < n; i++) {
    if (match[i] >= 0) alert(s, data[i], lens[i], match[i]);
    if (!pass[i]) rv_meta_of(pkts[i])->action = RV_ACT_DROP;
  }
}

void print_stats(State& s, rv_nf* nf) {
  const auto& st = s.scan.stats();
  printf("payload_scan[%u]: scanned %lu matched %lu dropped %lu alerts %lu |", rv_nf_instance(nf), st.scanned,
         st.matched, st.dropped, st.alerts);
  for (size_t i = 0; i < s.scan.hits().size(); i++)
    printf(" %s=%lu", s.scan.config().patterns[i].name.c_str(), s.scan.hits()[i]);
  printf("\n");
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
  s.nf = nf;
  rv_nf_ops ops{};
  std::string file;
  for (int i = 1; i < argc; i++) {
    if (!strcmp(argv[i], "--patterns") && i + 1 < argc) file = argv[++i];
    else if (!strcmp(argv[i], "--print-every") && i + 1 < argc) s.every = atof(argv[++i]);
    else if (!strcmp(argv[i], "--busy")) ops.busy_poll = true;
  }
  std::string err;
  rvnf::ScanConfig cfg;
  std::ifstream f(file);
  std::stringstream ss;
  if (f) ss << f.rdbuf();
  if (file.empty() || !f) err = "--patterns FILE is required and readable";
  if (!err.empty() || !rvnf::scan_parse(ss.str(), &cfg, &err) || !s.scan.init(cfg, &err)) {
    fprintf(stderr, "payload_scan: %s\n", err.c_str());
    sp.reset();
    rv_nf_fini(nf);
    return 1;
  }
  s.last_print = s.window_start = rte_rdtsc();
  ops.batch = handle;
  ops.tick = tick;
  ops.user = &s;
  rv_nf_run(nf, &ops);
  print_stats(s, nf);
  sp.reset();
  rv_nf_fini(nf);
  return 0;
}
