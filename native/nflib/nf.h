// rackvisor NF library (C++17): what a native network function links (native/build/libnf.a).
//
// An NF is a DPDK secondary process attached to its host manager's shared memory. Minimal NF:
//
//   #include "nf.h"
//   static void handle(rte_mbuf **pkts, uint16_t n, rv_nf *nf, void *user) {
//     for (uint16_t i = 0; i < n; i++) { rv_meta *m = rv_meta_of(pkts[i]);  // action = NEXT preset
//       if (...) m->action = RV_ACT_DROP; }
//   }
//   int main(int argc, char **argv) {
//     rv_nf *nf; int used = rv_nf_init(argc, argv, &nf); if (used < 0) return 1;
//     argc -= used; argv += used;                       // NF-specific args remain (argv[0] kept)
//     rv_nf_ops ops{}; ops.batch = handle;
//     int rc = rv_nf_run(nf, &ops);                     // until a STOP message or SIGINT/SIGTERM
//     rv_nf_fini(nf); return rc;
//   }
//
// C++ NFs can instead derive nfapp::App (nf_app.h): main() becomes nfapp::run<MyNf>(argc, argv, name).
//
// Command line:  <nf> [EAL args] -- --instance <id> [--service <id>] [NF args...]
//   EAL args must name the manager's --file-prefix. nflib adds --proc-type=secondary,
//   --no-telemetry, --no-pci and --lcores <2+instance>@(all cpus) when they are absent: an NF never
//   pins itself to one core unless asked (-l/--lcores), and every NF has an lcore id of its own (the
//   mempool's per-lcore caches are shared memory indexed by lcore id; instances 1..125).
//
// Per batch nflib presets every packet's meta.action = NEXT, calls ops.batch, then frees DROP packets
// (counted in the slot's `drop`), and enqueues the rest on the TX ring (waiting, never dropping, while
// the ring is full: back-pressure stays inside the NF; the manager never blocks on an NF).
// Messages (STOP, SCALE, CONFIG) are read between batches; STOP ends rv_nf_run. A heartbeat and
// the counters are kept in the NF's shared slot; a STATS message goes to the manager every second.
#pragma once
#include <stdint.h>
#include <rte_mbuf.h>
#include <rte_ring.h>
#include <rte_mempool.h>
#include "../src/meta.h"
#include "../src/shared.h"

#define RV_NF_BURST 32

struct rv_nf;  // opaque handle

typedef void (*rv_nf_batch_fn)(struct rte_mbuf **pkts, uint16_t n, struct rv_nf *nf, void *user);
// Return nonzero from a message handler to stop the NF (STOP is handled by nflib before it).
typedef int (*rv_nf_msg_fn)(const struct rv_msg *msg, struct rv_nf *nf, void *user);
// Called about every millisecond of loop time and whenever the RX ring was empty; `now` = rte_rdtsc().
// Return nonzero to stop the NF (e.g. a load generator that finished).
typedef int (*rv_nf_tick_fn)(struct rv_nf *nf, uint64_t now, void *user);

struct rv_nf_ops {
  rv_nf_batch_fn batch;  // required
  rv_nf_msg_fn msg;      // optional
  rv_nf_tick_fn tick;    // optional
  void *user;
  uint16_t burst;        // 0 = RV_NF_BURST (max 256)
  bool busy_poll;        // true: never sleep when idle (benchmarks); false: back off up to 100 us
};

// EAL init (secondary) + attach. Returns the number of argv entries consumed (like rte_eal_init,
// with argv[used] becoming the new argv[0]... i.e. pass argc-used, argv+used to your own parser),
// or -1 with a message on stderr.
int rv_nf_init(int argc, char **argv, struct rv_nf **out);
// Attach to instance `instance_id` in a process whose EAL is already up (primary or secondary):
// finds the shared memzone, the mempool and the four rings; marks the slot STARTING, sends STARTING.
struct rv_nf *rv_nf_attach(uint16_t instance_id);
// Marks RUNNING and sends READY (rv_nf_run does it; poll-style users call it themselves).
// Before rv_nf_ready: no direct NF -> NF hand-off to or from this NF (everything goes through the
// manager). The TypeScript NF API calls it.
void rv_nf_set_no_direct(struct rv_nf *nf);
void rv_nf_ready(struct rv_nf *nf);
// Batch loop until stop. Returns 0.
int rv_nf_run(struct rv_nf *nf, const struct rv_nf_ops *ops);
// Ask the loop to stop (async-signal-safe).
void rv_nf_stop(struct rv_nf *nf);
bool rv_nf_stopping(const struct rv_nf *nf);
// Sends STOPPING, marks the slot, detaches. Does NOT call rte_eal_cleanup (rv_nf_fini does).
void rv_nf_detach(struct rv_nf *nf);
// rv_nf_detach + rte_eal_cleanup.
void rv_nf_fini(struct rv_nf *nf);

// Poll-style primitives (the TS NF API and generators use these).
uint16_t rv_nf_recv(struct rv_nf *nf, struct rte_mbuf **pkts, uint16_t max);  // RX ring dequeue
// Applies each packet's meta.action: DROP -> freed and counted; others -> TX ring (waits while full,
// unless the NF is stopping, then drops). Returns how many were enqueued.
uint16_t rv_nf_send(struct rv_nf *nf, struct rte_mbuf **pkts, uint16_t n);
// Reads one message for this NF (0 = none). STOP also sets the stop flag.
int rv_nf_poll_msg(struct rv_nf *nf, struct rv_msg *out);
// Sends a message to the manager (non-blocking; returns -1 if the ring is full).
int rv_nf_send_msg(struct rv_nf *nf, uint16_t type, const uint64_t *args, const char *text);
void rv_nf_heartbeat(struct rv_nf *nf);
// One step of the idle policy after `idle` consecutive empty polls: one pause, one sched_yield, then
// sleep on the slot futex until the manager or the direct producer wakes it (at most 1 ms); busy:
// 32 pauses, then sched_yield, never sleep.
void rv_nf_idle_wait(struct rv_nf *nf, unsigned idle, bool busy);
// Byte counters (rx_bytes/tx_bytes in the slot) read pkt_len, i.e. the mbuf's first cache line; an NF
// that never touches its packets (a pure forwarder or generator) may turn them off. Default on.
void rv_nf_count_bytes(struct rv_nf *nf, bool on);

// Accessors.
uint16_t rv_nf_instance(const struct rv_nf *nf);
uint16_t rv_nf_service(const struct rv_nf *nf);
struct rte_mempool *rv_nf_pool(const struct rv_nf *nf);
struct rv_nf_slot *rv_nf_slot_of(const struct rv_nf *nf);
uint64_t rv_nf_tsc_hz(const struct rv_nf *nf);
