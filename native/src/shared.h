// rackvisor shared-memory contract between the manager (DPDK primary) and NFs (secondaries).
// Everything here lives in hugepage memory named by the constants below; each host manager has its
// own --file-prefix, so the names never clash between managers.
#pragma once
#include <stdint.h>
#include <stdio.h>
#include <rte_common.h>

#define RV_MAX_NF 128        // instance ids 1..RV_MAX_NF-1 (0 = none)
#define RV_NF_LCORE_BASE 2   // NF instance i runs as lcore RV_NF_LCORE_BASE + i (the manager uses 0..2)
#define RV_MAX_SERVICES 256  // service ids 1..255 (0 = none)
#define RV_MAX_PATHS 1024    // service path ids 1..1023 (0 = none)
#define RV_MAX_PATH_LEN 16
#define RV_MAX_PORTS 16
#define RV_SHM_NAME "rv_shm"        // memzone: struct rv_shm
#define RV_POOL_NAME "rv_pktmbuf"   // the one packet mempool
#define RV_SHM_MAGIC 0x72763031u    // "rv01"
#define RV_MSG_SIZE 128
#define RV_MAGLEV_M 251      // prime; per-service Maglev lookup table size
#define RV_MAX_HOPS 64       // NF hops a packet may take (loop guard)
#define RV_WAKE_BATCH 256    // packets waiting before a sleeping NF is woken by its producer

// Ring names, from the instance id, so a secondary finds its rings:
//   rv_nf<id>_rx   manager -> NF packets   (SP/SC, manager lcore produces)
//   rv_nf<id>_tx   NF -> manager packets   (SP/SC, manager lcore consumes)
//   rv_nf<id>_msg  manager -> NF messages  (SP/SC, elements of struct rv_msg)
//   rv_nf<id>_mmsg NF -> manager messages  (SP/SC, elements of struct rv_msg)
//   rv_nf<id>_dx   direct hand-off: upstream NF -> NF packets (SP/SC: only the one producer the
//                  manager names in rv_direct.from[id] may enqueue; see struct rv_direct)
static inline void rv_ring_name(char *buf, size_t len, unsigned id, const char *kind) {
  snprintf(buf, len, "rv_nf%u_%s", id, kind);
}

enum rv_nf_state : uint32_t {
  RV_NF_FREE = 0,
  RV_NF_CREATED = 1,   // rings exist, waiting for the process to attach
  RV_NF_STARTING = 2,  // attached, initialising
  RV_NF_RUNNING = 3,   // ready: receives traffic
  RV_NF_STOPPING = 4,  // leaving: no new traffic
  RV_NF_DEAD = 5,      // gone (exit seen, pid gone or stopped); rings drained
};

enum rv_msg_type : uint16_t {
  // manager -> NF
  RV_MSG_STOP = 1,
  RV_MSG_SCALE = 2,    // arg[0] = desired instance count of the NF's service (advisory)
  RV_MSG_CONFIG = 3,   // data = NUL-terminated text (key=value ...), NF specific
  // NF -> manager
  RV_MSG_STARTING = 16,
  RV_MSG_READY = 17,
  RV_MSG_STOPPING = 18,
  RV_MSG_STATS = 19,   // arg[0]=rx arg[1]=tx arg[2]=dropped by NF arg[3]=tx ring full retries
  RV_MSG_LOG = 20,     // data = text
};

struct rv_msg {
  uint16_t type;
  uint16_t instance;
  uint32_t len;       // bytes used in data
  uint64_t arg[4];
  char data[RV_MSG_SIZE - 40];
};
static_assert(sizeof(rv_msg) == RV_MSG_SIZE, "rv_msg size");

// One slot per NF instance, in the shared memzone. Fields are written by exactly one side.
// nf_flags: the NF never feeds a dx ring nor is fed through one (the manager grants it none). TS NFs set
// it: a JS batch loop fed directly by a sleeping/waking NF ran 6-7 Mpps against 9-11 fed by the manager.
#define RV_NF_FLAG_NO_DIRECT 1u

struct rv_nf_slot {
  // written by the manager (control thread)
  volatile uint32_t state;
  uint16_t instance_id;
  uint16_t service_id;
  uint32_t generation;        // bumped on every create, so a stale process notices
  uint32_t ring_size;
  volatile uint32_t dx_grants;  // dx rings this instance may feed (rv_direct.from[x] == it): 0 = nflib skips the per-packet check
  char name[32];
  // written by the NF process (own cache line)
  alignas(64) volatile int32_t pid;
  volatile uint32_t nf_flags;      // RV_NF_FLAG_*, set before READY
  volatile uint64_t heartbeat_tsc;  // refreshed by the NF loop
  volatile uint64_t rx;             // packets dequeued from the RX ring
  volatile uint64_t tx;             // packets enqueued on the TX ring
  volatile uint64_t drop;           // packets the NF dropped (action DROP)
  volatile uint64_t tx_retry;       // TX ring full (NF waited)
  volatile uint64_t rx_bytes;
  volatile uint64_t tx_bytes;
  volatile uint64_t dx_out;         // of `tx`: packets handed straight to the next NF's dx ring
  volatile uint64_t dx_full;        // direct hand-offs refused by a full dx ring (sent via the manager)
  volatile uint64_t qs;             // quiescent counter: bumped (seq_cst) after every send and idle step
  // written by this instance's direct producer (the NF named in rv_direct.from[this id])
  alignas(64) volatile uint64_t dx_enq;  // packets put on this NF's dx ring
  // written by the manager lcores (own cache line: no false sharing with the NF's counters)
  alignas(64) volatile uint64_t rx_enq;         // packets put on this NF's RX ring
  volatile uint64_t rx_full;        // packets dropped because its RX ring was full
  volatile uint64_t tx_deq;         // packets taken from its TX ring
  // futex word: 1 while the NF sleeps waiting for packets; the manager clears it and wakes the NF
  // after putting packets on its RX ring (shared-core mode: idle NFs do not burn CPU)
  alignas(64) volatile uint32_t sleeping;
} __rte_cache_aligned;

// Direct hand-off (NF -> NF on the same host). For a NEXT packet whose next hop's instance X (chosen
// by the same Maglev table the manager uses) names this NF in from[X], nflib enqueues it straight on
// X's dx ring instead of its own TX ring; everything else (OUT, TONF, end of path, remote or absent
// next service, loop guard, a full dx ring) goes to the manager as before. The manager grants from[X]
// only to the ONE routed instance that precedes X's service on every path through it (never X
// itself), so each dx ring has a single producer. Written only by the manager's control thread, in
// place, one aligned 16-bit/pointer store per entry: a reader sees an old or a new value, and any 0
// sends the packet to the manager. Revoking a grant = from[X] := 0, then X's ring is not given to
// another producer until the old one passed a quiescent point (its slot's `qs` moved) or is dead.
struct rv_direct {
  volatile uint8_t path_len[RV_MAX_PATHS];
  volatile uint16_t path_svc[RV_MAX_PATHS][RV_MAX_PATH_LEN];
  volatile uint16_t svc_inst[RV_MAX_SERVICES][RV_MAGLEV_M];  // Maglev slot -> routed local instance (0 = none)
  volatile uint16_t from[RV_MAX_NF];                         // the producer allowed on rv_nf<id>_dx (0 = none)
  struct rte_ring *volatile ring[RV_MAX_NF];                 // rv_nf<id>_dx (same address in every process)
};

struct rv_shm {
  uint32_t magic;
  uint32_t version;
  int32_t manager_pid;
  int32_t meta_offset;
  uint64_t tsc_hz;
  volatile uint32_t shutting_down;
  uint32_t max_nf;
  // futex word: 1 while a manager lcore sleeps; an NF that enqueued on its TX ring wakes it
  alignas(64) volatile uint32_t mgr_sleeping;
  alignas(64) struct rv_nf_slot slots[RV_MAX_NF];
  alignas(64) struct rv_direct direct;
};

#include <linux/futex.h>
#include <sys/syscall.h>
#include <time.h>
#include <unistd.h>
#include <limits.h>
// Shared (not PRIVATE) futexes: the words live in hugepage memory mapped by several processes.
static inline void rv_futex_wait(volatile uint32_t *addr, uint32_t val, long timeout_ns) {
  struct timespec ts = {timeout_ns / 1000000000L, timeout_ns % 1000000000L};
  syscall(SYS_futex, (uint32_t *)addr, FUTEX_WAIT, val, &ts, nullptr, 0);
}
static inline void rv_futex_wake(volatile uint32_t *addr) {
  syscall(SYS_futex, (uint32_t *)addr, FUTEX_WAKE, INT_MAX, nullptr, nullptr, 0);
}
// After publishing work for a possibly sleeping peer: wake it if asleep. No fence on this hot path:
// a wake-up missed in the store->load reordering window only costs the sleeper its timeout (the
// sleeper always sleeps with a timeout: NF 1 ms, manager 5-500 us; the manager re-checks every
// sleeping NF with a fence whenever it runs out of work).
static inline void rv_wake_if_sleeping(volatile uint32_t *word) {
  if (__builtin_expect(*word != 0, 0)) {
    *word = 0;
    rv_futex_wake(word);
  }
}
