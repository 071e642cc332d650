// nflib/nf_app.h — the frame every built-in NF's main() shares (C++17, header only, on nf.h).
//
// A native NF says only what it does; nfapp::run does the wiring:
//
//   struct Counter : nfapp::App {
//     uint64_t pkts = 0;
//     void batch(rte_mbuf** pkts, uint16_t n, rv_nf* nf) { this->pkts += n; }  // required, not virtual
//     void stats(rv_nf* nf) override { printf("counter[%u]: %lu\n", rv_nf_instance(nf), pkts); }
//   };
//   int main(int argc, char** argv) { return nfapp::run<Counter>(argc, argv, "counter"); }
//
// nfapp::run<A>(argc, argv, name):
//   1. rv_nf_init (EAL secondary attach; exit 1 when it fails), then creates the A — after EAL, because
//      it may hold DPDK memory, and it is destroyed before rv_nf_fini;
//   2. parses the options every NF takes, `--print-every S` (App::every) and `--busy` (App::busy), and
//      hands each other argument to A::arg; an argument nobody takes is ignored, or with
//      App::strict_args "<name>: unknown argument X" on stderr and exit 2;
//   3. A::init (false: "<name>: <err>" on stderr, exit 1), A::start(now);
//   4. rv_nf_run with A::batch (called directly, no virtual call per batch), CONFIG messages →
//      A::config(text), ticks → A::tick then, every `every` seconds, A::report (default A::stats);
//   5. A::finish (default A::stats), destroys the A, rv_nf_fini, exit 0.
#pragma once
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include <memory>
#include <string>
#include <type_traits>

#include <rte_cycles.h>

#include "nf.h"

namespace nfapp {

class App {
 public:
  virtual ~App() = default;

  // An argument that is not a common option: consume it (advance i past a value) and return true,
  // or return false when it is not this NF's. argc/argv below are also set before the first call.
  virtual bool arg(int argc, char** argv, int& i) { return false; }
  // After the arguments, before traffic. false with *err: the NF exits 1.
  virtual bool init(rv_nf* nf, std::string* err) { return true; }
  // Just before the loop; `now` = rte_rdtsc(), also the start of the first report period.
  virtual void start(rv_nf* nf, uint64_t now) {}
  // The text of a CONFIG message from the manager.
  virtual void config(rv_nf* nf, const std::string& text) {}
  // About every millisecond of loop time (see rv_nf_tick_fn); nonzero stops the NF.
  virtual int tick(rv_nf* nf, uint64_t now) { return 0; }
  // The NF's counters on stdout (periodic report and at exit, unless those are overridden).
  virtual void stats(rv_nf* nf) {}
  // Every `every` seconds; `secs` = the time since the previous report (or start).
  virtual void report(rv_nf* nf, uint64_t now, double secs) { stats(nf); }
  // After the loop ended.
  virtual void finish(rv_nf* nf) { stats(nf); }

  double every = 0;          // --print-every S (0 = never)
  bool busy = false;         // --busy: never sleep when idle (rv_nf_ops::busy_poll)
  uint16_t burst = 0;        // rv_nf_ops::burst (0 = RV_NF_BURST); an NF may offer its own option
  bool strict_args = false;  // an unknown argument is an error (exit 2) instead of being ignored
  int argc = 0;              // the NF's own arguments (argv[0] kept), after the EAL ones
  char** argv = nullptr;
  uint64_t last_report = 0;
};

// The first segment of each packet of a batch as (pointer, length) arrays: what the NF logic classes
// take. Only the n entries are written (no zeroing per batch).
struct Frames {
  Frames(rte_mbuf* const* pkts, uint16_t n) {
    for (uint16_t i = 0; i < n; i++) {
      data[i] = rte_pktmbuf_mtod(pkts[i], uint8_t*);
      lens[i] = rte_pktmbuf_data_len(pkts[i]);
    }
  }
  uint8_t* data[256];
  uint32_t lens[256];
};

// A logic class's per-frame verdict (nonzero = pass) onto the packets: DROP where it is 0, the rest
// keep the action nflib preset (NEXT).
inline void drop_unless(rte_mbuf* const* pkts, uint16_t n, const uint8_t* pass) {
  for (uint16_t i = 0; i < n; i++)
    if (!pass[i]) rv_meta_of(pkts[i])->action = RV_ACT_DROP;
}

namespace detail {

inline int on_msg(const rv_msg* msg, rv_nf* nf, void* user) {
  if (msg->type != RV_MSG_CONFIG) return 0;
  static_cast<App*>(user)->config(nf, std::string(msg->data, strnlen(msg->data, sizeof msg->data)));
  return 0;
}

inline int on_tick(rv_nf* nf, uint64_t now, void* user) {
  App* a = static_cast<App*>(user);
  int rc = a->tick(nf, now);
  const uint64_t hz = rv_nf_tsc_hz(nf);
  if (a->every > 0 && now - a->last_report >= uint64_t(a->every * double(hz))) {
    a->report(nf, now, double(now - a->last_report) / double(hz));
    a->last_report = now;
  }
  return rc;
}

inline int run(int argc, char** argv, const char* name, std::unique_ptr<App> (*make)(), rv_nf_batch_fn batch) {
  rv_nf* nf;
  int used = rv_nf_init(argc, argv, &nf);
  if (used < 0) return 1;
  argc -= used;
  argv += used;
  std::unique_ptr<App> app = make();
  app->argc = argc;
  app->argv = argv;
  for (int i = 1; i < argc; i++) {
    if (!strcmp(argv[i], "--print-every") && i + 1 < argc) app->every = atof(argv[++i]);
    else if (!strcmp(argv[i], "--busy")) app->busy = true;
    else if (!app->arg(argc, argv, i) && app->strict_args) {
      fprintf(stderr, "%s: unknown argument %s\n", name, argv[i]);
      app.reset();
      rv_nf_fini(nf);
      return 2;
    }
  }
  std::string err;
  if (!app->init(nf, &err)) {
    fprintf(stderr, "%s: %s\n", name, err.c_str());
    app.reset();
    rv_nf_fini(nf);
    return 1;
  }
  rv_nf_ops ops{};
  ops.batch = batch;
  ops.msg = on_msg;
  ops.tick = on_tick;
  ops.user = app.get();
  ops.busy_poll = app->busy;
  ops.burst = app->burst;
  const uint64_t now = rte_rdtsc();
  app->last_report = now;
  app->start(nf, now);
  rv_nf_run(nf, &ops);
  app->finish(nf);
  app.reset();
  rv_nf_fini(nf);
  return 0;
}

}  // namespace detail

template <class A>
int run(int argc, char** argv, const char* name) {
  static_assert(std::is_base_of_v<App, A>, "an NF derives from nfapp::App");
  return detail::run(
      argc, argv, name, []() -> std::unique_ptr<App> { return std::make_unique<A>(); },
      [](rte_mbuf** pkts, uint16_t n, rv_nf* nf, void* user) {
        static_cast<A*>(static_cast<App*>(user))->batch(pkts, n, nf);
      });
}

}  // namespace nfapp
