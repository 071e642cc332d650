// rackvisor NF library implementation (see nf.h).
#include "nf.h"

#include <errno.h>
#include <signal.h>
#include <string.h>
#include <unistd.h>
#include <time.h>
#include <sched.h>
#include <string>
#include <vector>

#include <rte_eal.h>
#include <rte_cycles.h>
#include <rte_memzone.h>
#include <rte_lcore.h>
#include <rte_pause.h>
#include <rte_prefetch.h>
#include <rte_errno.h>

int rv_meta_offset = -1;

struct rv_nf {
  uint16_t instance;
  uint16_t service;
  uint32_t generation;
  struct rv_shm *shm;
  struct rv_nf_slot *slot;
  struct rte_ring *rx, *tx, *msg, *mmsg;
  struct rte_ring *dx;             // direct hand-offs from the upstream NF (see rv_direct in shared.h)
  uint16_t dx_dest[4];             // instances this NF handed packets to lately (woken when it idles)
  struct rte_mempool *pool;
  volatile int stop;
  bool own_eal;
  bool detached;
  bool count_bytes = true;
  uint64_t last_stats;
};

static struct rv_nf *g_signal_nf;
static void on_signal(int) {
  if (g_signal_nf) g_signal_nf->stop = 1;
}

static bool has_arg(const std::vector<std::string> &a, const char *prefix) {
  for (auto &s : a)
    if (s.rfind(prefix, 0) == 0) return true;
  return false;
}

int rv_nf_init(int argc, char **argv, struct rv_nf **out) {
  *out = nullptr;
  int dd = -1;
  for (int i = 1; i < argc; i++)
    if (strcmp(argv[i], "--") == 0) { dd = i; break; }
  int eal_end = dd < 0 ? argc : dd;
  std::vector<std::string> eal;
  eal.push_back(argc > 0 ? argv[0] : "rv-nf");
  for (int i = 1; i < eal_end; i++) eal.push_back(argv[i]);
  if (!has_arg(eal, "--proc-type")) eal.push_back("--proc-type=secondary");
  if (!has_arg(eal, "--no-telemetry") && !has_arg(eal, "--telemetry")) eal.push_back("--no-telemetry");
  if (!has_arg(eal, "--no-pci") && !has_arg(eal, "-a") && !has_arg(eal, "--allow")) eal.push_back("--no-pci");
  if (!has_arg(eal, "-l") && !has_arg(eal, "--lcores") && !has_arg(eal, "-c")) {
    // Each NF process gets its own lcore id (RV_NF_LCORE_BASE + instance): mempool per-lcore caches
    // live in shared memory and are indexed by lcore id, so two processes on one id would corrupt a
    // cache (mbufs handed out twice). The thread still floats over every CPU.
    int inst = -1;
    for (int k = dd < 0 ? argc : dd + 1; k + 1 < argc; k++)
      if (strcmp(argv[k], "--instance") == 0 || strcmp(argv[k], "-n") == 0) {
        inst = atoi(argv[k + 1]);
        break;
      }
    if (inst > 0 && RV_NF_LCORE_BASE + inst >= RTE_MAX_LCORE) {
      fprintf(stderr, "rv-nf: instance %d has no lcore id of its own (max %d); give -l/--lcores\n", inst,
              RTE_MAX_LCORE - 1 - RV_NF_LCORE_BASE);
      return -1;
    }
    long n = sysconf(_SC_NPROCESSORS_ONLN);
    eal.push_back("--lcores=" + std::to_string(inst > 0 ? RV_NF_LCORE_BASE + inst : 0) + "@(0-" +
                  std::to_string(n > 1 ? n - 1 : 0) + ")");
  }
  if (!has_arg(eal, "--log-level")) eal.push_back("--log-level=lib.eal:warning");
  std::vector<char *> eargv;
  for (auto &s : eal) eargv.push_back(const_cast<char *>(s.c_str()));
  eargv.push_back(nullptr);
  int ret = rte_eal_init((int)eal.size(), eargv.data());
  if (ret < 0) {
    fprintf(stderr, "rv-nf: rte_eal_init failed: %s\n", rte_strerror(rte_errno));
    return -1;
  }
  // NF args after "--": --instance N [--service S] ...; the rest is the NF's own.
  int instance = -1;
  int i = dd < 0 ? argc : dd + 1;
  int consumed_to = dd < 0 ? argc - 1 : dd;  // argv[consumed_to] becomes the NF's argv[0]
  while (i < argc) {
    if ((strcmp(argv[i], "--instance") == 0 || strcmp(argv[i], "-n") == 0) && i + 1 < argc) {
      instance = atoi(argv[i + 1]);
      i += 2;
      consumed_to = i - 1;
    } else if (strcmp(argv[i], "--service") == 0 && i + 1 < argc) {
      i += 2;  // informative only: the slot says which service the instance serves
      consumed_to = i - 1;
    } else {
      break;
    }
  }
  if (instance <= 0 || instance >= RV_MAX_NF) {
    fprintf(stderr, "rv-nf: missing or bad --instance (1..%d) after --\n", RV_MAX_NF - 1);
    rte_eal_cleanup();
    return -1;
  }
  struct rv_nf *nf = rv_nf_attach((uint16_t)instance);
  if (!nf) {
    rte_eal_cleanup();
    return -1;
  }
  nf->own_eal = true;
  g_signal_nf = nf;
  signal(SIGINT, on_signal);
  signal(SIGTERM, on_signal);
  *out = nf;
  argv[consumed_to] = argv[0];
  return consumed_to;
}

struct rv_nf *rv_nf_attach(uint16_t instance_id) {
  const struct rte_memzone *mz = rte_memzone_lookup(RV_SHM_NAME);
  if (!mz) {
    fprintf(stderr, "rv-nf: no manager memzone %s (is the manager running with this --file-prefix?)\n", RV_SHM_NAME);
    return nullptr;
  }
  struct rv_shm *shm = (struct rv_shm *)mz->addr;
  if (shm->magic != RV_SHM_MAGIC || instance_id == 0 || instance_id >= RV_MAX_NF) {
    fprintf(stderr, "rv-nf: bad shared memory or instance id %u\n", instance_id);
    return nullptr;
  }
  struct rv_nf_slot *slot = &shm->slots[instance_id];
  if (slot->state != RV_NF_CREATED) {
    fprintf(stderr, "rv-nf: instance %u is not waiting for a process (state %u)\n", instance_id, slot->state);
    return nullptr;
  }
  if (rv_meta_lookup() < 0) {
    fprintf(stderr, "rv-nf: metadata dynfield %s not registered\n", RV_META_DYNFIELD_NAME);
    return nullptr;
  }
  auto *nf = new rv_nf();
  nf->instance = instance_id;
  nf->service = slot->service_id;
  nf->generation = slot->generation;
  nf->shm = shm;
  nf->slot = slot;
  char name[RTE_RING_NAMESIZE];
  rv_ring_name(name, sizeof name, instance_id, "rx");
  nf->rx = rte_ring_lookup(name);
  rv_ring_name(name, sizeof name, instance_id, "tx");
  nf->tx = rte_ring_lookup(name);
  rv_ring_name(name, sizeof name, instance_id, "msg");
  nf->msg = rte_ring_lookup(name);
  rv_ring_name(name, sizeof name, instance_id, "mmsg");
  nf->mmsg = rte_ring_lookup(name);
  rv_ring_name(name, sizeof name, instance_id, "dx");
  nf->dx = rte_ring_lookup(name);
  nf->pool = rte_mempool_lookup(RV_POOL_NAME);
  if (!nf->rx || !nf->tx || !nf->msg || !nf->mmsg || !nf->dx || !nf->pool) {
    fprintf(stderr, "rv-nf: rings/mempool of instance %u not found\n", instance_id);
    delete nf;
    return nullptr;
  }
  slot->pid = getpid();
  slot->rx = slot->tx = slot->drop = slot->tx_retry = slot->rx_bytes = slot->tx_bytes = 0;
  slot->nf_flags = 0;
  slot->dx_out = slot->dx_full = 0;
  slot->heartbeat_tsc = rte_rdtsc();
  __atomic_store_n(&slot->state, RV_NF_STARTING, __ATOMIC_RELEASE);
  rv_nf_send_msg(nf, RV_MSG_STARTING, nullptr, slot->name);
  nf->last_stats = rte_rdtsc();
  return nf;
}

void rv_nf_set_no_direct(struct rv_nf *nf) { __atomic_or_fetch(&nf->slot->nf_flags, RV_NF_FLAG_NO_DIRECT, __ATOMIC_RELEASE); }

void rv_nf_ready(struct rv_nf *nf) {
  nf->slot->heartbeat_tsc = rte_rdtsc();
  __atomic_store_n(&nf->slot->state, RV_NF_RUNNING, __ATOMIC_RELEASE);
  rv_nf_send_msg(nf, RV_MSG_READY, nullptr, nullptr);
}

void rv_nf_stop(struct rv_nf *nf) { nf->stop = 1; }
bool rv_nf_stopping(const struct rv_nf *nf) {
  return nf->stop || nf->shm->shutting_down || nf->slot->generation != nf->generation;
}

int rv_nf_send_msg(struct rv_nf *nf, uint16_t type, const uint64_t *args, const char *text) {
  struct rv_msg m;
  memset(&m, 0, sizeof m);
  m.type = type;
  m.instance = nf->instance;
  if (args)
    for (int i = 0; i < 4; i++) m.arg[i] = args[i];
  if (text) {
    size_t l = strnlen(text, sizeof m.data - 1);
    memcpy(m.data, text, l);
    m.len = (uint32_t)l;
  }
  return rte_ring_enqueue_elem(nf->mmsg, &m, sizeof m) == 0 ? 0 : -1;
}

int rv_nf_poll_msg(struct rv_nf *nf, struct rv_msg *out) {
  if (rte_ring_dequeue_elem(nf->msg, out, sizeof *out) != 0) return 0;
  if (out->type == RV_MSG_STOP) nf->stop = 1;
  return 1;
}

void rv_nf_heartbeat(struct rv_nf *nf) {
  uint64_t now = rte_rdtsc();
  nf->slot->heartbeat_tsc = now;
  if (now - nf->last_stats > nf->shm->tsc_hz) {
    nf->last_stats = now;
    // the manager (primary) gone: nobody serves our rings any more, leave
    if (nf->shm->manager_pid > 0 && nf->shm->manager_pid != getpid() && kill(nf->shm->manager_pid, 0) != 0 && errno == ESRCH) {
      fprintf(stderr, "rv-nf: manager pid %d is gone, stopping\n", nf->shm->manager_pid);
      nf->stop = 1;
    }
    uint64_t a[4] = {nf->slot->rx, nf->slot->tx, nf->slot->drop, nf->slot->tx_retry};
    rv_nf_send_msg(nf, RV_MSG_STATS, a, nullptr);
  }
}

uint16_t rv_nf_recv(struct rv_nf *nf, struct rte_mbuf **pkts, uint16_t max) {
  // direct hand-offs first (the chain's steady state), then what the manager sent
  uint16_t n = (uint16_t)rte_ring_sc_dequeue_burst(nf->dx, (void **)pkts, max, nullptr);
  if (n < max) n += (uint16_t)rte_ring_sc_dequeue_burst(nf->rx, (void **)pkts + n, max - n, nullptr);
  nf->slot->rx += n;
  if (nf->count_bytes && n) {
    uint64_t b = 0;
    for (uint16_t i = 0; i < n; i++) b += pkts[i]->pkt_len;
    nf->slot->rx_bytes += b;
  }
  return n;
}

// Quiescent point: this NF holds no direct-hand-off grant it read before (seq_cst: later reads of
// rv_direct.from come after the store, so a manager that saw the counter move sees us re-read).
static inline void quiesce(struct rv_nf *nf) { __atomic_fetch_add(&nf->slot->qs, 1, __ATOMIC_SEQ_CST); }

#define RV_DX_DESTS 4
struct dx_batch {
  uint16_t inst[RV_DX_DESTS];
  uint16_t n[RV_DX_DESTS];
  struct rte_mbuf *m[RV_DX_DESTS][256];
  int nd;
};

// NEXT packets whose next hop's instance granted this NF its dx ring leave the chunk into `b` (index
// and hops advanced as the manager would); the rest stay in keep[0..return).
static uint16_t pick_direct(struct rv_nf *nf, struct rte_mbuf **keep, uint16_t k, struct dx_batch *b) {
  const struct rv_direct *d = &nf->shm->direct;
  const uint16_t me = nf->instance;
  uint16_t stay = 0;
  b->nd = 0;
  for (uint16_t i = 0; i < k; i++) {
    struct rte_mbuf *m = keep[i];
    struct rv_meta *mt = rv_meta_of(m);
    uint16_t p = mt->path_id;
    uint8_t idx = (uint8_t)(mt->index + 1);
    if (mt->action == RV_ACT_NEXT && p < RV_MAX_PATHS && idx < d->path_len[p] && idx < RV_MAX_PATH_LEN && mt->hops < RV_MAX_HOPS) {
      uint16_t svc = d->path_svc[p][idx];
      uint16_t x = svc < RV_MAX_SERVICES ? d->svc_inst[svc][((uint64_t)mt->flow_hash * RV_MAGLEV_M) >> 32] : 0;
      if (x && x < RV_MAX_NF && d->from[x] == me) {
        int j = 0;
        while (j < b->nd && b->inst[j] != x) j++;
        if (j < RV_DX_DESTS) {
          if (j == b->nd) {
            b->inst[j] = x;
            b->n[j] = 0;
            b->nd++;
          }
          mt->index = idx;
          mt->hops++;
          b->m[j][b->n[j]++] = m;
          continue;
        }
      }
    }
    keep[stay++] = m;
  }
  return stay;
}

// Enqueue each destination's packets on its dx ring; what does not fit goes back (meta restored) to
// keep[] for the TX ring: the NF never waits on another NF (no deadlock on a cycle of full rings).
static uint16_t flush_direct(struct rv_nf *nf, struct dx_batch *b, struct rte_mbuf **keep, uint16_t k) {
  const struct rv_direct *d = &nf->shm->direct;
  uint64_t out = 0;
  for (int j = 0; j < b->nd; j++) {
    uint16_t x = b->inst[j];
    struct rte_ring *r = d->ring[x];
    unsigned ok = r ? rte_ring_sp_enqueue_burst(r, (void **)b->m[j], b->n[j], nullptr) : 0;
    struct rv_nf_slot *xs = &nf->shm->slots[x];
    if (ok) {
      xs->dx_enq += ok;
      out += ok;
      // like the manager: wake a sleeping NF once a batch worth waits (the rest when we idle)
      if (unlikely(xs->sleeping) && rte_ring_count(r) >= RV_WAKE_BATCH) rv_wake_if_sleeping(&xs->sleeping);
      if (nf->dx_dest[x & 3] != x) nf->dx_dest[x & 3] = x;
    }
    if (unlikely(ok < b->n[j])) {
      nf->slot->dx_full += b->n[j] - ok;
      for (unsigned i = ok; i < b->n[j]; i++) {
        struct rv_meta *mt = rv_meta_of(b->m[j][i]);
        mt->index--;
        mt->hops--;
        keep[k++] = b->m[j][i];
      }
    }
  }
  nf->slot->dx_out += out;
  return k;
}

static uint16_t send_chunk(struct rv_nf *nf, struct rte_mbuf **pkts, uint16_t n) {
  struct rte_mbuf *keep[256];
  uint16_t k = 0, dropped = 0;
  uint64_t bytes = 0;
  for (uint16_t i = 0; i < n; i++) {
    struct rte_mbuf *m = pkts[i];
    uint8_t a = rv_meta_of(m)->action;
    if (unlikely(a == RV_ACT_DROP || a == RV_ACT_NONE || a > RV_ACT_DROP)) {
      rte_pktmbuf_free(m);
      dropped++;
    } else {
      if (nf->count_bytes) bytes += m->pkt_len;
      keep[k++] = m;
    }
  }
  nf->slot->tx_bytes += bytes;
  nf->slot->drop += dropped;
  uint16_t direct = 0;
  if (k && nf->slot->dx_grants) {  // no grant (1-NF loops, first hops of most chains): no per-packet lookup
    struct dx_batch b;
    uint16_t stay = pick_direct(nf, keep, k, &b);
    if (b.nd) {
      direct = (uint16_t)(k - stay);
      k = flush_direct(nf, &b, keep, stay);
      direct = (uint16_t)(direct - (k - stay));
    }
  }
  uint16_t sent = 0;
  while (sent < k) {
    sent += (uint16_t)rte_ring_enqueue_burst(nf->tx, (void **)keep + sent, k - sent, nullptr);
    if (sent < k) {
      nf->slot->tx_retry++;
      rv_wake_if_sleeping(&nf->shm->mgr_sleeping);
      if (rv_nf_stopping(nf)) {
        rte_pktmbuf_free_bulk(keep + sent, k - sent);
        nf->slot->drop += k - sent;
        break;
      }
      rte_pause();
    }
  }
  nf->slot->tx += sent + direct;
  if (sent) rv_wake_if_sleeping(&nf->shm->mgr_sleeping);
  return (uint16_t)(sent + direct);
}

uint16_t rv_nf_send(struct rv_nf *nf, struct rte_mbuf **pkts, uint16_t n) {
  uint16_t sent = 0;
  for (uint16_t off = 0; off < n; off += 256) {
    uint16_t c = (uint16_t)(n - off < 256 ? n - off : 256);
    sent += send_chunk(nf, pkts + off, c);
  }
  quiesce(nf);
  return sent;
}

// Idle policy. busy_poll: spin briefly, then yield the CPU. Otherwise (shared cores: more data-plane
// threads than CPUs) one pause, one yield, then sleep on the slot's futex until the manager or the
// direct producer puts packets on a ring (or 1 ms passes: heartbeat, messages, tick). Spinning 32
// pauses and yielding 32 times first (as before) only burnt the time slice a producer on the same CPU
// needed: 5-NF chain, paired runs, median CPU per looped packet 120 -> 90 ns.
void rv_nf_idle_wait(struct rv_nf *nf, unsigned idle, bool busy) {
  quiesce(nf);
  if (idle == 1) {  // out of work: wake the NFs we handed packets to (they wait for a batch otherwise)
    for (int j = 0; j < 4; j++) {
      uint16_t x = nf->dx_dest[j];
      if (!x) continue;
      struct rte_ring *r = nf->shm->direct.ring[x];
      if (nf->shm->slots[x].sleeping && r && !rte_ring_empty(r)) rv_wake_if_sleeping(&nf->shm->slots[x].sleeping);
    }
  }
  if (busy ? idle < 32 : idle < 2) {
    rte_pause();
  } else if (busy || idle < 3) {
    sched_yield();
  } else {
    __atomic_store_n(&nf->slot->sleeping, 1, __ATOMIC_SEQ_CST);
    if (rte_ring_empty(nf->rx) && rte_ring_empty(nf->dx) && !nf->stop) rv_futex_wait(&nf->slot->sleeping, 1, 1000000L);
    __atomic_store_n(&nf->slot->sleeping, 0, __ATOMIC_RELAXED);
  }
}

int rv_nf_run(struct rv_nf *nf, const struct rv_nf_ops *ops) {
  uint16_t burst = ops->burst ? ops->burst : RV_NF_BURST;
  if (burst > 256) burst = 256;
  struct rte_mbuf *pkts[256];
  if (nf->slot->state != RV_NF_RUNNING) rv_nf_ready(nf);
  uint64_t hz = nf->shm->tsc_hz, last_tick = rte_rdtsc();
  uint64_t tick_every = hz / 1000;
  unsigned idle = 0;
  uint32_t iter = 0;
  while (!rv_nf_stopping(nf)) {
    uint16_t n = rv_nf_recv(nf, pkts, burst);
    if (n) {
      idle = 0;
      for (uint16_t i = 0; i < n; i++) rte_prefetch0(rv_meta_of(pkts[i]));  // last written by the manager's core
      for (uint16_t i = 0; i < n; i++) rv_meta_of(pkts[i])->action = RV_ACT_NEXT;
      ops->batch(pkts, n, nf, ops->user);
      rv_nf_send(nf, pkts, n);
    }
    if ((++iter & 63) == 0 || n == 0) {
      uint64_t now = rte_rdtsc();
      if (now - last_tick >= tick_every || n == 0) {
        last_tick = now;
        rv_nf_heartbeat(nf);
        struct rv_msg m;
        while (rv_nf_poll_msg(nf, &m)) {
          if (m.type != RV_MSG_STOP && ops->msg && ops->msg(&m, nf, ops->user)) nf->stop = 1;
        }
        if (ops->tick && ops->tick(nf, now, ops->user)) nf->stop = 1;
      }
    }
    if (n == 0) {
      rv_nf_idle_wait(nf, ++idle, ops->busy_poll);
    }
  }
  return 0;
}

void rv_nf_detach(struct rv_nf *nf) {
  if (nf->detached) return;
  nf->detached = true;
  if (nf->slot->generation == nf->generation) {
    uint64_t a[4] = {nf->slot->rx, nf->slot->tx, nf->slot->drop, nf->slot->tx_retry};
    rv_nf_send_msg(nf, RV_MSG_STATS, a, nullptr);
    rv_nf_send_msg(nf, RV_MSG_STOPPING, a, nullptr);
    __atomic_store_n(&nf->slot->state, RV_NF_STOPPING, __ATOMIC_RELEASE);
  }
}

void rv_nf_fini(struct rv_nf *nf) {
  rv_nf_detach(nf);
  bool own = nf->own_eal;
  if (g_signal_nf == nf) g_signal_nf = nullptr;
  delete nf;
  if (own) rte_eal_cleanup();
}

void rv_nf_count_bytes(struct rv_nf *nf, bool on) { nf->count_bytes = on; }
uint16_t rv_nf_instance(const struct rv_nf *nf) { return nf->instance; }
uint16_t rv_nf_service(const struct rv_nf *nf) { return nf->service; }
struct rte_mempool *rv_nf_pool(const struct rv_nf *nf) { return nf->pool; }
struct rv_nf_slot *rv_nf_slot_of(const struct rv_nf *nf) { return nf->slot; }
uint64_t rv_nf_tsc_hz(const struct rv_nf *nf) { return nf->shm->tsc_hz; }
