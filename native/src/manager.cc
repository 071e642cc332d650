// rackvisor host manager (see manager.h, native/README.md).
#include "manager.h"

#include <errno.h>
#include <stdlib.h>
#include <signal.h>
#include <string.h>
#include <time.h>
#include <sched.h>
#include <unistd.h>

#include <algorithm>
#include <fstream>

#include <rte_cycles.h>
#include <rte_eal.h>
#include <rte_errno.h>
#include <rte_ethdev.h>
#include <rte_eth_ring.h>
#include <rte_ether.h>
#include <rte_hash.h>
#include <rte_hash_crc.h>
#include <rte_ip.h>
#include <rte_lcore.h>
#include <rte_malloc.h>
#include <rte_memzone.h>
#include <rte_mempool.h>
#include <rte_pause.h>
#include <rte_prefetch.h>
#include <rte_rcu_qsbr.h>
#include <rte_ring.h>

namespace rv {

const char *const kDropNames[DR_COUNT] = {"no_path",  "no_instance", "ring_full", "tx_full", "bad_action",
                                          "bad_port", "loop",        "nf_dead",   "vxlan",   "encap"};

enum Role { ROLE_RX = 1, ROLE_TX = 2 };

struct Lcore {
  Manager *mgr;
  unsigned lcore_id;
  unsigned idx;  // QSBR thread id and port TX queue
  int role;
  LcoreStats st;
  // per-destination buffers, flushed at the end of every burst
  rte_mbuf *ibuf[RV_MAX_NF][MGR_BURST];
  uint16_t in[RV_MAX_NF];
  uint16_t itouched[RV_MAX_NF];
  uint16_t nit;
  rte_mbuf *pbuf[RV_MAX_PORTS][MGR_BURST];
  uint16_t pn[RV_MAX_PORTS];
  // VXLAN out
  rte_mbuf *vbuf[MGR_BURST];
  const rv_vxlan_peer *vpeer[MGR_BURST];
  uint32_t vvni[MGR_BURST];
  uint32_t vhash[MGR_BURST];
  uint16_t vn;
  uint64_t next_expire;
  volatile int finished;
};

static Manager *g_mgr;
static bool g_eal_up;

Manager *Manager::instance() {
  if (!g_mgr) g_mgr = new Manager();
  return g_mgr;
}

bool Manager::eal_up() { return g_eal_up; }

int Manager::eal_init(const std::vector<std::string> &args, std::string &err) {
  if (g_eal_up) {
    err = "EAL already initialised in this process (rte_eal_init is once per process)";
    return -1;
  }
  std::vector<char *> argv;
  for (auto &a : args) argv.push_back(const_cast<char *>(a.c_str()));
  argv.push_back(nullptr);
  int rc = rte_eal_init((int)args.size(), argv.data());
  if (rc < 0) {
    err = std::string("rte_eal_init failed: ") + rte_strerror(rte_errno);
    return -1;
  }
  g_eal_up = true;
  return 0;
}

uint64_t Manager::tsc_hz() const { return rte_get_tsc_hz(); }

static int lcore_trampoline(void *arg) {
  Lcore *L = static_cast<Lcore *>(arg);
  return L->mgr->lcore_main(*L);
}

static rte_ring *mk_ring(const char *name, unsigned size, unsigned flags) {
  rte_ring *r = rte_ring_lookup(name);
  if (r) rte_ring_free(r);
  return rte_ring_create(name, size, (int)rte_socket_id(), flags);
}

int Manager::start(const ManagerConfig &cfg, std::string &err) {
  if (!g_eal_up) {
    err = "EAL not initialised";
    return -1;
  }
  if (running_) {
    err = "manager already running";
    return -1;
  }
  if (rte_eal_process_type() != RTE_PROC_PRIMARY) {
    err = "the manager must be the DPDK primary process";
    return -1;
  }
  cfg_ = cfg;
  if (cfg_.nlcores < 1) cfg_.nlcores = 1;
  if (cfg_.nlcores > MAX_LCORES) cfg_.nlcores = MAX_LCORES;
  if (rv_meta_register() < 0) {
    err = std::string("rte_mbuf_dynfield_register: ") + rte_strerror(rte_errno);
    return -1;
  }
  pool_ = rte_pktmbuf_pool_create(RV_POOL_NAME, cfg_.nb_mbufs, 256, 0, RTE_MBUF_DEFAULT_BUF_SIZE, (int)rte_socket_id());
  if (!pool_) {
    err = std::string("rte_pktmbuf_pool_create: ") + rte_strerror(rte_errno);
    return -1;
  }
  mz_ = rte_memzone_reserve(RV_SHM_NAME, sizeof(rv_shm), (int)rte_socket_id(), 0);
  if (!mz_) {
    err = std::string("rte_memzone_reserve: ") + rte_strerror(rte_errno);
    return -1;
  }
  shm_ = static_cast<rv_shm *>(mz_->addr);
  memset(shm_, 0, sizeof *shm_);
  shm_->version = 1;
  shm_->manager_pid = getpid();
  shm_->meta_offset = rv_meta_offset;
  shm_->tsc_hz = rte_get_tsc_hz();
  shm_->max_nf = RV_MAX_NF;
  __atomic_store_n(&shm_->magic, RV_SHM_MAGIC, __ATOMIC_RELEASE);

  // flow table: single writer (the RX lcore), so no concurrency flags are needed
  rte_hash_parameters hp{};
  hp.name = "rv_flows";
  hp.entries = cfg_.flow_entries < 1024 ? 1024 : cfg_.flow_entries;
  hp.key_len = sizeof(FlowKey);
  hp.hash_func = rte_hash_crc;
  hp.hash_func_init_val = 0;
  hp.socket_id = (int)rte_socket_id();
  flows_ = rte_hash_create(&hp);
  if (!flows_) {
    err = std::string("rte_hash_create: ") + rte_strerror(rte_errno);
    return -1;
  }
  // positions returned by rte_hash_add_key are < entries (+ per-lcore cache slack)
  uint32_t nents = hp.entries * 2 + 1024;
  flow_ents_ = static_cast<FlowEntry *>(rte_zmalloc("rv_flow_ents", sizeof(FlowEntry) * nents, 64));
  n_flow_ents_ = nents;
  idle_tsc_ = (uint64_t)(cfg_.flow_idle_s * rte_get_tsc_hz());
  cmd_ring_ = mk_ring("rv_cmd", 256, RING_F_SC_DEQ);
  tunnels_ = rv_tunnel_table_create("rv_tunnels", 256, (int)rte_socket_id());
  vnis_ = new rv_vxlan_vni_table();

  // ports
  nlcores_ = cfg_.nlcores;
  ports_.clear();
  for (auto &dev : cfg_.ports) {
    PortInfo pi;
    pi.name = dev;
    uint16_t pid;
    if (dev.rfind("ring:", 0) == 0) {
      std::string n = dev.substr(5);
      std::string a = "rvp_" + n + "_in", b = "rvp_" + n + "_out";
      pi.ring_in = mk_ring(a.c_str(), 4096, RING_F_SP_ENQ | RING_F_SC_DEQ);
      pi.ring_out = mk_ring(b.c_str(), 8192, RING_F_SC_DEQ);
      if (!pi.ring_in || !pi.ring_out) {
        err = "ring port " + dev + ": " + rte_strerror(rte_errno);
        return -1;
      }
      rte_ring *txr[MAX_LCORES] = {pi.ring_out, pi.ring_out};
      int p = rte_eth_from_rings(("net_rvring_" + n).c_str(), &pi.ring_in, 1, txr, (unsigned)nlcores_, (unsigned)rte_socket_id());
      if (p < 0) {
        err = "rte_eth_from_rings " + dev + ": " + rte_strerror(rte_errno);
        return -1;
      }
      pid = (uint16_t)p;
    } else {
      std::string name = dev.substr(0, dev.find(','));
      if (rte_eth_dev_get_port_by_name(name.c_str(), &pid) != 0) {
        err = "no DPDK port named " + name + " (give it as a vdev/allow on the EAL line)";
        return -1;
      }
    }
    rte_eth_conf conf{};
    if (rte_eth_dev_configure(pid, 1, (uint16_t)nlcores_, &conf) < 0) {
      err = "rte_eth_dev_configure " + dev;
      return -1;
    }
    uint16_t nrx = 1024, ntx = 1024;
    rte_eth_dev_adjust_nb_rx_tx_desc(pid, &nrx, &ntx);
    if (rte_eth_rx_queue_setup(pid, 0, nrx, rte_eth_dev_socket_id(pid), nullptr, pool_) < 0) {
      err = "rte_eth_rx_queue_setup " + dev;
      return -1;
    }
    for (int q = 0; q < nlcores_; q++)
      if (rte_eth_tx_queue_setup(pid, (uint16_t)q, ntx, rte_eth_dev_socket_id(pid), nullptr) < 0) {
        err = "rte_eth_tx_queue_setup " + dev;
        return -1;
      }
    if (rte_eth_dev_start(pid) < 0) {
      err = "rte_eth_dev_start " + dev;
      return -1;
    }
    rte_eth_promiscuous_enable(pid);
    pi.id = pid;
    ports_.push_back(pi);
    if (ports_.size() >= RV_MAX_PORTS) break;
  }

  // QSBR for route snapshots
  size_t sz = rte_rcu_qsbr_get_memsize(MAX_LCORES);
  qsv_ = static_cast<rte_rcu_qsbr *>(rte_zmalloc("rv_qsbr", sz, RTE_CACHE_LINE_SIZE));
  rte_rcu_qsbr_init(qsv_, MAX_LCORES);
  route_.store(build_route());

  // lcores: the workers EAL gave us (Node's thread is the main lcore and never runs a loop)
  stop_ = false;
  unsigned lc;
  int k = 0;
  RTE_LCORE_FOREACH_WORKER(lc) {
    if (k >= nlcores_) break;
    Lcore *L = static_cast<Lcore *>(rte_zmalloc("rv_lcore", sizeof(Lcore), 64));
    L->mgr = this;
    L->lcore_id = lc;
    L->idx = (unsigned)k;
    L->role = nlcores_ == 1 ? (ROLE_RX | ROLE_TX) : (k == 0 ? ROLE_RX : ROLE_TX);
    lcores_[k++] = L;
  }
  if (k < nlcores_) {
    err = "not enough worker lcores (give --lcores with " + std::to_string(nlcores_) + " workers)";
    return -1;
  }
  for (int i = 0; i < nlcores_; i++) {
    rte_rcu_qsbr_thread_register(qsv_, lcores_[i]->idx);
    if (rte_eal_remote_launch(lcore_trampoline, lcores_[i], lcores_[i]->lcore_id) != 0) {
      err = "rte_eal_remote_launch failed";
      return -1;
    }
  }
  running_ = true;
  return 0;
}

std::string Manager::lcore_layout() const {
  std::string s;
  for (int i = 0; i < nlcores_; i++) {
    if (!s.empty()) s += ", ";
    s += "lcore " + std::to_string(lcores_[i]->lcore_id) + ": ";
    s += lcores_[i]->role == (ROLE_RX | ROLE_TX) ? "rx+tx" : (lcores_[i]->role == ROLE_RX ? "rx" : "tx");
  }
  return s;
}

void Manager::stop() {
  if (!running_) return;
  if (shm_) shm_->shutting_down = 1;
  for (uint16_t id = 1; id < RV_MAX_NF; id++)
    if (inst_[id].exists) send_msg(id, RV_MSG_STOP, nullptr, "");
  stop_ = true;
  for (int i = 0; i < nlcores_; i++) rte_eal_wait_lcore(lcores_[i]->lcore_id);
  for (auto &p : ports_) {
    rte_eth_dev_stop(p.id);
    rte_eth_dev_close(p.id);
  }
  running_ = false;
}

// ---------------------------------------------------------------- control: routing snapshots

static void maglev_fill(SvcEnt &s, const std::vector<uint16_t> &ids) {
  s.n = (uint16_t)ids.size();
  if (ids.empty()) return;
  const uint32_t M = MAGLEV_M;
  std::vector<uint32_t> offset(ids.size()), skip(ids.size()), next(ids.size(), 0);
  for (size_t i = 0; i < ids.size(); i++) {
    uint32_t key = ids[i];
    offset[i] = rte_hash_crc_4byte(key, 0xdeadbeef) % M;
    skip[i] = rte_hash_crc_4byte(key, 0x0badcafe) % (M - 1) + 1;
  }
  std::vector<int> entry(M, -1);
  uint32_t filled = 0;
  while (true) {
    for (size_t i = 0; i < ids.size(); i++) {
      uint32_t c = (offset[i] + next[i] * skip[i]) % M;
      while (entry[c] >= 0) {
        next[i]++;
        c = (offset[i] + next[i] * skip[i]) % M;
      }
      entry[c] = (int)i;
      next[i]++;
      if (++filled == M) goto done;
    }
  }
done:
  for (uint32_t j = 0; j < M; j++) s.table[j] = ids[(size_t)entry[j]];
}

// The snapshot lives in the process heap, not in DPDK memory: only this process's lcores read it, and
// a hugepage allocation may have to grow the heap, which needs every secondary (NF) to answer a sync
// request — with an NF just killed that failed and rte_zmalloc returned NULL (a crash here).
Route *Manager::build_route() {
  void *mem = nullptr;
  if (posix_memalign(&mem, 64, sizeof(Route)) != 0) abort();  // out of process memory: nothing sane left to do
  Route *r = static_cast<Route *>(mem);
  memset(r, 0, sizeof *r);
  memcpy(r->paths, paths_, sizeof paths_);
  std::vector<uint16_t> per[RV_MAX_SERVICES];
  for (uint16_t id = 1; id < RV_MAX_NF; id++) {
    const InstInfo &I = inst_[id];
    if (!I.exists) continue;
    if (I.routed && !I.unresponsive) per[shm_->slots[id].service_id].push_back(id);
    if (I.polled) r->poll[r->n_poll++] = id;
    r->nf_rx[id] = I.rx;
    r->nf_tx[id] = I.tx;
    r->nf_dx[id] = dx_[id];
  }
  for (int s = 0; s < RV_MAX_SERVICES; s++) {
    maglev_fill(r->svcs[s], per[s]);
    if (per[s].empty() && remote_[s].on) {
      r->svcs[s].remote = 1;
      r->svcs[s].peer = remote_[s].peer;
    }
  }
  r->n_rules = (uint16_t)std::min<size_t>(rules_.size(), MAX_RULES);
  for (uint16_t i = 0; i < r->n_rules; i++) r->rules[i] = rules_[i];
  r->default_path = default_path_;
  r->uplink = ports_.empty() ? NO_PORT : ports_[0].id;
  r->nports = (uint16_t)ports_.size();
  for (size_t i = 0; i < ports_.size(); i++) r->port_ids[i] = ports_[i].id;
  r->vxlan = vxlan_on_;
  return r;
}

void Manager::publish() {
  Route *nr = build_route();
  Route *old = route_.exchange(nr, std::memory_order_acq_rel);
  if (running_) rte_rcu_qsbr_synchronize(qsv_, RTE_QSBR_THRID_INVALID);
  free(old);
  update_direct(nr);
}

// ---------------------------------------------------------------- control: direct hand-off (NF -> NF)

// Copies the paths and Maglev tables the NFs route with (entry by entry, only what changed), works out
// which instance may feed which dx ring, then lets advance_direct() revoke and grant.
void Manager::update_direct(const Route *r) {
  auto no_direct = [this](uint16_t id) { return (shm_->slots[id].nf_flags & RV_NF_FLAG_NO_DIRECT) != 0; };
  rv_direct &d = shm_->direct;
  for (int p = 0; p < RV_MAX_PATHS; p++) {
    const PathEnt &pe = r->paths[p];
    if (pe.len < d.path_len[p]) d.path_len[p] = pe.len;  // shrink before the entries change, grow after
    for (int i = 0; i < RV_MAX_PATH_LEN; i++)
      if (d.path_svc[p][i] != pe.svc[i]) d.path_svc[p][i] = pe.svc[i];
    if (pe.len != d.path_len[p]) d.path_len[p] = pe.len;
  }
  for (int s = 0; s < RV_MAX_SERVICES; s++) {
    const SvcEnt &se = r->svcs[s];
    for (uint32_t j = 0; j < MAGLEV_M; j++) {
      uint16_t v = se.n ? se.table[j] : 0;
      if (d.svc_inst[s][j] != v) d.svc_inst[s][j] = v;
    }
  }
  // routed instances per service (the ones in the Maglev tables)
  std::vector<uint16_t> per[RV_MAX_SERVICES];
  for (uint16_t id = 1; id < RV_MAX_NF; id++)
    if (inst_[id].exists && inst_[id].routed && !inst_[id].unresponsive) per[shm_->slots[id].service_id].push_back(id);
  // X may be fed directly by A when A is the one routed instance preceding X's service on every path
  // through it (hop i-1 -> i, i >= 1; hop 0 and packets from TONF/VXLAN come through the manager)
  uint16_t up[RV_MAX_NF] = {};
  bool several[RV_MAX_NF] = {};
  for (int p = 1; p < RV_MAX_PATHS; p++) {
    const PathEnt &pe = paths_[p];
    for (int i = 1; i < pe.len; i++)
      for (uint16_t x : per[pe.svc[i]])
        for (uint16_t a : per[pe.svc[i - 1]]) {
          if (!up[x]) up[x] = a;
          else if (up[x] != a) several[x] = true;
        }
  }
  for (uint16_t x = 1; x < RV_MAX_NF; x++)
    dx_want_[x] = (cfg_.direct && dx_[x] && up[x] && up[x] != x && !several[x] && !no_direct(x) && !no_direct(up[x])) ? up[x] : 0;  // never to itself
  advance_direct();
}

// One step for every dx ring: revoke a grant that is no longer wanted (from := 0, remember the old
// producer's quiescent counter), wait (across calls: poll_control calls again) until that producer
// moved its counter or is dead, then give the ring to the wanted producer. A producer that died
// inside an enqueue may have moved the ring's head without its tail: reset the head (nobody
// produces on the ring at that point) so the next producer starts where the consumer stops.
void Manager::advance_direct() {
  rv_direct &d = shm_->direct;
  for (uint16_t x = 1; x < RV_MAX_NF; x++) {
    uint16_t cur = d.from[x], want = dx_want_[x];
    DxRevoke &rk = dx_revoke_[x];
    if (cur && cur != want) {
      d.from[x] = 0;
      __atomic_thread_fence(__ATOMIC_SEQ_CST);  // the store before reading the producer's counter
      rk.producer = cur;
      rk.qs = shm_->slots[cur].qs;
      cur = 0;
    }
    if (rk.producer) {
      const rv_nf_slot &ps = shm_->slots[rk.producer];
      bool alive = inst_[rk.producer].exists && ps.state != RV_NF_DEAD && ps.state != RV_NF_FREE && pid_alive(ps.pid);
      if (alive && ps.qs == rk.qs) continue;  // may still be inside an enqueue on x's ring
      rk.producer = 0;
      dx_[x]->prod.head = dx_[x]->prod.tail;
      uint32_t st = shm_->slots[x].state;
      if (!inst_[x].exists || st == RV_NF_DEAD) drain_ring(dx_[x], ctl_drops_[DR_NF_DEAD]);  // late hand-offs to a dead NF
    }
    if (want && !cur) {
      dx_[x]->prod.head = dx_[x]->prod.tail;
      __atomic_store_n(&d.from[x], want, __ATOMIC_RELEASE);
    }
  }
  // after the grants moved: a producer sees its count rise only once from[] names it (a stale 0 only
  // sends through the manager; a stale count only costs the per-packet check)
  uint32_t grants[RV_MAX_NF] = {};
  for (uint16_t x = 1; x < RV_MAX_NF; x++)
    if (d.from[x] && d.from[x] < RV_MAX_NF) grants[d.from[x]]++;
  for (uint16_t a = 1; a < RV_MAX_NF; a++)
    if (shm_->slots[a].dx_grants != grants[a]) __atomic_store_n(&shm_->slots[a].dx_grants, grants[a], __ATOMIC_RELEASE);
}

int Manager::set_path(uint16_t id, const std::vector<uint16_t> &svcs, uint16_t out_port) {
  if (id == 0 || id >= RV_MAX_PATHS || svcs.size() > RV_MAX_PATH_LEN) return -EINVAL;
  for (auto s : svcs)
    if (s == 0 || s >= RV_MAX_SERVICES) return -EINVAL;
  std::lock_guard<std::mutex> g(mu_);
  PathEnt &p = paths_[id];
  p.len = (uint8_t)svcs.size();
  p.out_port = out_port;
  for (size_t i = 0; i < svcs.size(); i++) p.svc[i] = svcs[i];
  vnis_->set_path(id, p.len);
  publish();
  return 0;
}

int Manager::delete_path(uint16_t id) {
  if (id == 0 || id >= RV_MAX_PATHS) return -EINVAL;
  std::lock_guard<std::mutex> g(mu_);
  paths_[id] = PathEnt{};
  vnis_->remove_path(id);
  publish();
  return 0;
}

void Manager::set_default_path(uint16_t id) {
  std::lock_guard<std::mutex> g(mu_);
  default_path_ = id;
  publish();
}

int Manager::set_rules(const std::vector<Rule> &rules) {
  if (rules.size() > MAX_RULES) return -EINVAL;
  std::lock_guard<std::mutex> g(mu_);
  rules_ = rules;
  publish();
  return 0;
}

int Manager::set_remote_service(uint16_t svc, bool enable, const rv_vxlan_peer &peer) {
  if (svc == 0 || svc >= RV_MAX_SERVICES) return -EINVAL;
  std::lock_guard<std::mutex> g(mu_);
  remote_[svc].on = enable;
  remote_[svc].peer = peer;
  publish();
  return 0;
}

int Manager::set_vxlan_local(const rv_vxlan_local &local) {
  std::lock_guard<std::mutex> g(mu_);
  vx_local_ = local;
  vxlan_on_ = local.ip != 0;
  publish();
  return 0;
}

int Manager::set_tunnel(uint32_t ip_be, const rte_ether_addr &mac, bool remove) {
  if (!tunnels_) return -ENODEV;
  return remove ? rv_tunnel_table_remove(tunnels_, ip_be) : rv_tunnel_table_set(tunnels_, ip_be, mac);
}

int Manager::pick_instance(uint16_t svc, uint32_t hash) const {
  const Route *r = route_.load(std::memory_order_acquire);
  if (!r || svc == 0 || svc >= RV_MAX_SERVICES || r->svcs[svc].n == 0) return 0;
  return r->svcs[svc].table[((uint64_t)hash * MAGLEV_M) >> 32];
}

// ---------------------------------------------------------------- control: NF instances

int Manager::create_instance(uint16_t id, uint16_t service, const std::string &name, uint32_t ring_size,
                             std::string &err) {
  if (!running_) {
    err = "manager not running";
    return -1;
  }
  if (id == 0 || id >= RV_MAX_NF || service == 0 || service >= RV_MAX_SERVICES) {
    err = "instance id must be 1.." + std::to_string(RV_MAX_NF - 1) + ", service 1..255";
    return -1;
  }
  std::lock_guard<std::mutex> g(mu_);
  InstInfo &I = inst_[id];
  if (I.exists) {
    uint32_t st = shm_->slots[id].state;
    if (st != RV_NF_DEAD && st != RV_NF_CREATED) {
      err = "instance " + std::to_string(id) + " is in use";
      return -1;
    }
  }
  if (ring_size == 0) ring_size = cfg_.ring_size;
  uint32_t rs = rte_align32pow2(ring_size);
  char n[RTE_RING_NAMESIZE];
  // drop any previous rings of this id (after a death they are no longer referenced by a route)
  I = InstInfo{};
  rv_ring_name(n, sizeof n, id, "rx");
  I.rx = mk_ring(n, rs, RING_F_SC_DEQ);  // MP enqueue: RX and TX lcores may both feed an NF
  rv_ring_name(n, sizeof n, id, "tx");
  I.tx = mk_ring(n, rs, RING_F_SP_ENQ | RING_F_SC_DEQ);
  rv_ring_name(n, sizeof n, id, "msg");
  { rte_ring *o = rte_ring_lookup(n); if (o) rte_ring_free(o); }
  I.msg = rte_ring_create_elem(n, sizeof(rv_msg), 64, (int)rte_socket_id(), RING_F_SP_ENQ | RING_F_SC_DEQ);
  rv_ring_name(n, sizeof n, id, "mmsg");
  { rte_ring *o = rte_ring_lookup(n); if (o) rte_ring_free(o); }
  I.mmsg = rte_ring_create_elem(n, sizeof(rv_msg), 256, (int)rte_socket_id(), RING_F_SP_ENQ | RING_F_SC_DEQ);
  if (!dx_[id]) {  // kept for the manager's lifetime (see manager.h), reused by the id's next instance
    rv_ring_name(n, sizeof n, id, "dx");
    dx_[id] = mk_ring(n, rs, RING_F_SP_ENQ | RING_F_SC_DEQ);
  } else {
    drain_ring(dx_[id], ctl_drops_[DR_NF_DEAD]);
  }
  if (!I.rx || !I.tx || !I.msg || !I.mmsg || !dx_[id]) {
    err = std::string("ring create: ") + rte_strerror(rte_errno);
    return -1;
  }
  shm_->direct.ring[id] = dx_[id];
  I.exists = true;
  rv_nf_slot &s = shm_->slots[id];
  uint32_t gen = s.generation + 1;
  memset((void *)&s, 0, sizeof s);
  s.generation = gen;
  s.instance_id = id;
  s.service_id = service;
  s.ring_size = rs;
  snprintf(s.name, sizeof s.name, "%s", name.c_str());
  __atomic_store_n(&s.state, RV_NF_CREATED, __ATOMIC_RELEASE);
  publish();
  return 0;
}

void Manager::drain_ring(rte_ring *r, uint64_t &count) {
  if (!r) return;
  void *objs[64];
  unsigned n;
  while ((n = rte_ring_dequeue_burst(r, objs, 64, nullptr)) > 0) {
    rte_pktmbuf_free_bulk(reinterpret_cast<rte_mbuf **>(objs), n);
    count += n;
  }
}

int Manager::destroy_instance(uint16_t id) {
  if (id == 0 || id >= RV_MAX_NF) return -EINVAL;
  std::lock_guard<std::mutex> g(mu_);
  InstInfo &I = inst_[id];
  if (!I.exists) return -ENOENT;
  uint32_t st = shm_->slots[id].state;
  if (st == RV_NF_STARTING || st == RV_NF_RUNNING || st == RV_NF_STOPPING) {
    int pid = shm_->slots[id].pid;
    if (pid > 0 && pid_alive(pid)) return -EBUSY;
  }
  I.routed = I.polled = false;
  publish();
  drain_ring(I.rx, ctl_drops_[DR_NF_DEAD]);
  drain_ring(I.tx, ctl_drops_[DR_NF_DEAD]);
  drain_ring(dx_[id], ctl_drops_[DR_NF_DEAD]);  // the ring itself stays (see manager.h)
  rte_ring_free(I.rx);
  rte_ring_free(I.tx);
  rte_ring_free(I.msg);
  rte_ring_free(I.mmsg);
  I = InstInfo{};
  shm_->slots[id].generation++;
  __atomic_store_n(&shm_->slots[id].state, RV_NF_FREE, __ATOMIC_RELEASE);
  return 0;
}

int Manager::send_msg(uint16_t id, uint16_t type, const uint64_t *args, const std::string &text) {
  if (id == 0 || id >= RV_MAX_NF || !inst_[id].exists) return -ENOENT;
  rv_msg m;
  memset(&m, 0, sizeof m);
  m.type = type;
  m.instance = id;
  if (args)
    for (int i = 0; i < 4; i++) m.arg[i] = args[i];
  size_t l = std::min(text.size(), sizeof m.data - 1);
  memcpy(m.data, text.data(), l);
  m.len = (uint32_t)l;
  return rte_ring_enqueue_elem(inst_[id].msg, &m, sizeof m) == 0 ? 0 : -ENOBUFS;
}

bool Manager::pid_alive(int pid) const {
  if (pid <= 0) return false;
  if (kill(pid, 0) != 0 && errno == ESRCH) return false;
  // a zombie is dead for us
  std::ifstream f("/proc/" + std::to_string(pid) + "/stat");
  std::string line;
  if (!std::getline(f, line)) return false;
  size_t p = line.rfind(')');
  if (p != std::string::npos && p + 2 < line.size() && (line[p + 2] == 'Z' || line[p + 2] == 'X')) return false;
  return true;
}

void Manager::mark_dead(uint16_t id, const char *why, std::vector<Event> &ev) {
  InstInfo &I = inst_[id];
  I.routed = I.polled = false;
  publish();  // after this no lcore touches its rings
  uint64_t before = ctl_drops_[DR_NF_DEAD];
  drain_ring(I.rx, ctl_drops_[DR_NF_DEAD]);
  drain_ring(I.tx, ctl_drops_[DR_NF_DEAD]);
  __atomic_store_n(&shm_->slots[id].state, RV_NF_DEAD, __ATOMIC_RELEASE);
  // its dx ring: what is there now; a live upstream may still hand off until its grant's revoke
  // completes, advance_direct() drains those
  drain_ring(dx_[id], ctl_drops_[DR_NF_DEAD]);
  if (!I.dead_reported) {
    I.dead_reported = true;
    Event e{id, "dead", {ctl_drops_[DR_NF_DEAD] - before, (uint64_t)shm_->slots[id].pid, 0, 0}, why};
    ev.push_back(e);
  }
}

void Manager::instance_exited(uint16_t id, int pid) {
  if (id == 0 || id >= RV_MAX_NF || !inst_[id].exists) return;
  std::lock_guard<std::mutex> g(mu_);
  // a late exit notice of an earlier process of this id must not kill its successor
  if (pid > 0 && shm_->slots[id].pid != pid) return;
  std::vector<Event> ev;
  uint32_t st = shm_->slots[id].state;
  if (st != RV_NF_DEAD && st != RV_NF_FREE) mark_dead(id, "process exited", ev);
  inst_[id].dead_reported = false;  // poll_control reports it
}

std::vector<Event> Manager::poll_control() {
  std::vector<Event> ev;
  if (!running_) return ev;
  std::lock_guard<std::mutex> g(mu_);
  bool changed = false;
  uint64_t now = rte_rdtsc(), hz = rte_get_tsc_hz();
  for (uint16_t id = 1; id < RV_MAX_NF; id++) {
    InstInfo &I = inst_[id];
    if (!I.exists) continue;
    rv_nf_slot &s = shm_->slots[id];
    rv_msg m;
    while (rte_ring_dequeue_elem(I.mmsg, &m, sizeof m) == 0) {
      Event e;
      e.instance = id;
      switch (m.type) {
        case RV_MSG_STARTING: e.type = "starting"; break;
        case RV_MSG_READY: e.type = "ready"; break;
        case RV_MSG_STOPPING: e.type = "stopping"; break;
        case RV_MSG_STATS: e.type = "stats"; break;
        case RV_MSG_LOG: e.type = "log"; break;
        default: e.type = "msg" + std::to_string(m.type);
      }
      memcpy(e.args, m.arg, sizeof e.args);
      e.text.assign(m.data, strnlen(m.data, std::min<size_t>(m.len, sizeof m.data)));
      ev.push_back(e);
    }
    uint32_t st = s.state;
    if (st == RV_NF_DEAD) {
      if (!I.dead_reported) {
        I.dead_reported = true;
        ev.push_back(Event{id, "dead", {0, (uint64_t)s.pid, 0, 0}, "process exited"});
      }
      continue;
    }
    bool want_poll = st == RV_NF_STARTING || st == RV_NF_RUNNING || st == RV_NF_STOPPING;
    bool want_route = st == RV_NF_RUNNING;
    if (want_poll && !pid_alive(s.pid)) {
      mark_dead(id, "pid gone", ev);
      continue;
    }
    if (st == RV_NF_RUNNING) {
      bool stale = hz && now > s.heartbeat_tsc && (now - s.heartbeat_tsc) > (uint64_t)(cfg_.hb_timeout_s * hz);
      if (stale != I.unresponsive) {
        I.unresponsive = stale;
        changed = true;
        ev.push_back(Event{id, stale ? "unresponsive" : "responsive", {0, 0, 0, 0}, ""});
      }
    }
    if (want_poll != I.polled || want_route != I.routed) {
      I.polled = want_poll;
      I.routed = want_route;
      changed = true;
    }
  }
  if (changed) publish();
  else advance_direct();  // revokes waiting for their old producer's quiescence
  return ev;
}

// ---------------------------------------------------------------- flow table commands

int Manager::flow_cmd(Cmd &c) {
  if (!running_) return -ENODEV;
  c.done.store(0);
  Cmd *p = &c;
  if (rte_ring_mp_enqueue(cmd_ring_, p) != 0) return -ENOBUFS;
  uint64_t deadline = rte_rdtsc() + rte_get_tsc_hz() * 2;
  while (!c.done.load(std::memory_order_acquire)) {
    if (rte_rdtsc() > deadline) return -ETIMEDOUT;  // (the lcore would still write c: keep it alive)
    struct timespec ts = {0, 20000};
    nanosleep(&ts, nullptr);
  }
  return c.result;
}

uint64_t Manager::flow_count() const { return nflows_.load(std::memory_order_relaxed); }

void Manager::run_cmds() {
  void *objs[16];
  unsigned n = rte_ring_sc_dequeue_burst(cmd_ring_, objs, 16, nullptr);
  for (unsigned i = 0; i < n; i++) {
    Cmd *c = static_cast<Cmd *>(objs[i]);
    int rc = 0;
    switch (c->type) {
      case Cmd::ADD: {
        int32_t pos = rte_hash_add_key(flows_, &c->key);
        if (pos < 0) { rc = pos; break; }
        FlowEntry &e = flow_ents_[pos];
        if (!e.used) nflows_.fetch_add(1, std::memory_order_relaxed);
        e.used = 1;
        e.path = c->path;
        e.is_static = 1;
        e.pkts = 0;
        e.last_tsc = rte_rdtsc();
        rc = pos;
        break;
      }
      case Cmd::DEL: {
        int32_t pos = rte_hash_del_key(flows_, &c->key);
        if (pos >= 0) {
          flow_ents_[pos].used = 0;
          nflows_.fetch_sub(1, std::memory_order_relaxed);
        }
        rc = pos;
        break;
      }
      case Cmd::LOOKUP: {
        int32_t pos = rte_hash_lookup(flows_, &c->key);
        if (pos >= 0) {
          c->path = flow_ents_[pos].path;
          c->pkts = flow_ents_[pos].pkts;
        }
        rc = pos;
        break;
      }
      case Cmd::CLEAR:
        rte_hash_reset(flows_);
        memset(flow_ents_, 0, sizeof(FlowEntry) * n_flow_ents_);
        nflows_.store(0);
        rc = 0;
        break;
    }
    c->result = rc;
    c->done.store(1, std::memory_order_release);
  }
}

// Idle expiry, called every 10 ms on the RX lcore: looks at the next EXPIRE_SLOTS positions of the flow table (wrapping
// around), so each call costs the same whatever the table's size or fill. (rte_hash_iterate, used before, walks every
// empty slot until it has found its quota of live entries: with a few flows in the 64 Ki table each call scanned the
// whole table, ~19 % of the CPU of a lightly loaded manager.) The default table (132 Ki positions) is swept in 0.65 s.
void Manager::expire_flows(Lcore &L, uint64_t now) {
  constexpr uint32_t EXPIRE_SLOTS = 2048;
  for (uint32_t i = 0; i < EXPIRE_SLOTS; i++) {
    uint32_t pos = expire_pos_;
    expire_pos_ = pos + 1 >= n_flow_ents_ ? 0 : pos + 1;
    FlowEntry &e = flow_ents_[pos];
    if (!e.used || e.is_static || now - e.last_tsc <= idle_tsc_) continue;
    void *kp;
    if (rte_hash_get_key_with_position(flows_, (int32_t)pos, &kp) == 0) {
      FlowKey k;
      memcpy(&k, kp, sizeof k);
      rte_hash_del_key(flows_, &k);
    }
    e.used = 0;
    nflows_.fetch_sub(1, std::memory_order_relaxed);
    L.st.flow_expired++;
  }
}

// ---------------------------------------------------------------- lcore: packet path

static inline void flush_inst(Lcore &L, const Route *r, uint16_t inst, rv_shm *shm) {
  uint16_t n = L.in[inst];
  if (!n) return;
  unsigned ok = rte_ring_enqueue_burst(r->nf_rx[inst], (void **)L.ibuf[inst], n, nullptr);
  if (unlikely(ok < n)) {
    rte_pktmbuf_free_bulk(L.ibuf[inst] + ok, n - ok);
    L.st.drops[DR_RING_FULL] += n - ok;
    shm->slots[inst].rx_full += n - ok;
  }
  shm->slots[inst].rx_enq += ok;
  L.in[inst] = 0;
  // wake a sleeping NF only once a batch worth of packets waits (fewer context switches when cores
  // are shared); the rest is woken when the manager runs out of work (wake_pending)
  if (ok && unlikely(shm->slots[inst].sleeping) && rte_ring_count(r->nf_rx[inst]) >= RV_WAKE_BATCH)
    rv_wake_if_sleeping(&shm->slots[inst].sleeping);
}

static inline void flush_port(Lcore &L, uint16_t pidx, uint16_t port) {
  uint16_t n = L.pn[pidx];
  if (!n) return;
  uint16_t ok = rte_eth_tx_burst(port, (uint16_t)L.idx, L.pbuf[pidx], n);
  if (unlikely(ok < n)) {
    rte_pktmbuf_free_bulk(L.pbuf[pidx] + ok, n - ok);
    L.st.drops[DR_TX_FULL] += n - ok;
  }
  L.st.port_tx[pidx] += ok;
  L.pn[pidx] = 0;
}

static inline int port_index(const Route *r, uint16_t port) {
  for (uint16_t i = 0; i < r->nports; i++)
    if (r->port_ids[i] == port) return i;
  return -1;
}

struct Ctx {
  Lcore &L;
  const Route *r;
  rv_shm *shm;
  const rv_vxlan_local &vx;
};

static void flush_vxlan(Ctx &c) {
  Lcore &L = c.L;
  if (!L.vn) return;
  uint8_t ok[MGR_BURST];
  rv_vxlan_encap_burst(L.vbuf, L.vn, c.vx, L.vpeer, L.vvni, L.vhash, ok, &L.st.vx);
  int up = port_index(c.r, c.r->uplink);
  for (uint16_t i = 0; i < L.vn; i++) {
    if (!ok[i] || up < 0) {
      rte_pktmbuf_free(L.vbuf[i]);
      L.st.drops[DR_ENCAP]++;
      continue;
    }
    L.st.vxlan_out++;
    L.pbuf[up][L.pn[up]++] = L.vbuf[i];
    if (L.pn[up] == MGR_BURST) flush_port(L, (uint16_t)up, c.r->uplink);
  }
  L.vn = 0;
}

static inline void to_port(Ctx &c, rte_mbuf *m, uint16_t port) {
  int pidx = port_index(c.r, port);
  if (unlikely(pidx < 0)) {
    rte_pktmbuf_free(m);
    c.L.st.drops[DR_BAD_PORT]++;
    return;
  }
  c.L.pbuf[pidx][c.L.pn[pidx]++] = m;
  if (c.L.pn[pidx] == MGR_BURST) flush_port(c.L, (uint16_t)pidx, port);
}

// Send m to an instance of service svc (meta already says path/index).
static inline void to_service(Ctx &c, rte_mbuf *m, rv_meta *mt, uint16_t svc) {
  const SvcEnt &s = c.r->svcs[svc];
  if (likely(s.n)) {
    if (unlikely(++mt->hops > RV_MAX_HOPS)) {
      rte_pktmbuf_free(m);
      c.L.st.drops[DR_LOOP]++;
      return;
    }
    uint16_t inst = s.table[((uint64_t)mt->flow_hash * MAGLEV_M) >> 32];
    Lcore &L = c.L;
    if (L.in[inst] == 0) L.itouched[L.nit++] = inst;
    L.ibuf[inst][L.in[inst]++] = m;
    if (L.in[inst] == MGR_BURST) flush_inst(L, c.r, inst, c.shm);
    L.st.routed++;
  } else if (s.remote && c.r->vxlan) {
    Lcore &L = c.L;
    L.vbuf[L.vn] = m;
    L.vpeer[L.vn] = &s.peer;
    L.vvni[L.vn] = rv_vni_make(mt->path_id, mt->index);
    L.vhash[L.vn] = mt->flow_hash;
    if (++L.vn == MGR_BURST) flush_vxlan(c);
  } else {
    rte_pktmbuf_free(m);
    c.L.st.drops[DR_NO_INSTANCE]++;
  }
}

static void flush_all(Ctx &c) {
  Lcore &L = c.L;
  flush_vxlan(c);
  for (uint16_t i = 0; i < L.nit; i++) flush_inst(L, c.r, L.itouched[i], c.shm);
  L.nit = 0;
  for (uint16_t p = 0; p < c.r->nports; p++) flush_port(L, p, c.r->port_ids[p]);
}

static inline uint32_t flow_hash_key(const FlowKey &k) { return rte_hash_crc(&k, sizeof k, 0x9747b28c); }

static inline bool parse_key(rte_mbuf *m, FlowKey &k) {
  if (unlikely(m->data_len < 34)) return false;
  const uint8_t *p = rte_pktmbuf_mtod(m, const uint8_t *);
  uint16_t et = (uint16_t)(p[12] << 8 | p[13]);
  if (et != RTE_ETHER_TYPE_IPV4) return false;
  const rte_ipv4_hdr *ip = reinterpret_cast<const rte_ipv4_hdr *>(p + 14);
  uint32_t ihl = (ip->version_ihl & 0xf) * 4u;
  memset(&k, 0, sizeof k);
  k.sip = ip->src_addr;
  k.dip = ip->dst_addr;
  k.proto = ip->next_proto_id;
  bool first = (rte_be_to_cpu_16(ip->fragment_offset) & RTE_IPV4_HDR_OFFSET_MASK) == 0;
  if (first && (k.proto == IPPROTO_TCP || k.proto == IPPROTO_UDP || k.proto == IPPROTO_SCTP) &&
      m->data_len >= 14 + ihl + 4) {
    const uint16_t *ports = reinterpret_cast<const uint16_t *>(p + 14 + ihl);
    k.sport = ports[0];
    k.dport = ports[1];
  }
  return true;
}

static inline bool rule_match(const Rule &ru, const FlowKey &k) {
  uint32_t s = rte_be_to_cpu_32(k.sip), d = rte_be_to_cpu_32(k.dip);
  uint16_t sp = rte_be_to_cpu_16(k.sport), dp = rte_be_to_cpu_16(k.dport);
  return (s & ru.smask) == ru.sip && (d & ru.dmask) == ru.dip && (ru.proto == 0 || ru.proto == k.proto) &&
         sp >= ru.sport_lo && sp <= ru.sport_hi && dp >= ru.dport_lo && dp <= ru.dport_hi;
}

uint16_t Manager::classify(Lcore &L, const Route *r, const FlowKey &k, uint64_t now, bool *hit) {
  int32_t pos = rte_hash_lookup(flows_, &k);
  if (pos >= 0) {
    FlowEntry &e = flow_ents_[pos];
    e.last_tsc = now;
    e.pkts++;
    *hit = true;
    return e.path;
  }
  *hit = false;
  uint16_t path = r->default_path;
  for (uint16_t i = 0; i < r->n_rules; i++)
    if (rule_match(r->rules[i], k)) {
      path = r->rules[i].path;
      break;
    }
  pos = rte_hash_add_key(flows_, &k);
  if (pos >= 0) {
    FlowEntry &e = flow_ents_[pos];
    if (!e.used) nflows_.fetch_add(1, std::memory_order_relaxed);
    e.used = 1;
    e.is_static = 0;
    e.path = path;
    e.pkts = 1;
    e.last_tsc = now;
    L.st.flow_inserts++;
  } else {
    L.st.flow_table_full++;
  }
  return path;
}

bool Manager::rx_port(Lcore &L, const Route *r, uint16_t pidx) {
  rte_mbuf *pkts[MGR_BURST];
  uint16_t port = r->port_ids[pidx];
  uint16_t n = rte_eth_rx_burst(port, 0, pkts, MGR_BURST);
  if (!n) return false;
  L.st.port_rx[pidx] += n;
  Ctx c{L, r, shm_, vx_local_};
  uint8_t verdict[MGR_BURST];
  uint32_t vni[MGR_BURST];
  if (r->vxlan) {
    rv_vxlan_decap_burst(pkts, n, vx_local_, tunnels_, vnis_, vni, verdict, nullptr, &L.st.vx);
  } else {
    memset(verdict, RV_VXLAN_NOT_VXLAN, n);
  }
  uint64_t now = rte_rdtsc();
  for (uint16_t i = 0; i < n; i++) {
    rte_mbuf *m = pkts[i];
    rv_meta *mt = rv_meta_of(m);
    memset(mt, 0, sizeof *mt);
    mt->in_port = port;
    if (verdict[i] >= RV_VXLAN_DROP_FIRST) {
      rte_pktmbuf_free(m);
      L.st.drops[DR_VXLAN]++;
      continue;
    }
    FlowKey k;
    bool ip = parse_key(m, k);
    if (ip) {
      mt->flow_hash = flow_hash_key(k);
    } else {
      const uint8_t *p = rte_pktmbuf_mtod(m, const uint8_t *);
      mt->flow_hash = m->data_len >= 12 ? rte_hash_crc(p, 12, 0x9747b28c) : 0;
      mt->flags |= RV_MF_NO_FLOW;
    }
    uint16_t path;
    if (verdict[i] == RV_VXLAN_OK) {
      path = rv_vni_path(vni[i]);
      mt->index = rv_vni_index(vni[i]);
      mt->flags |= RV_MF_FROM_VXLAN | RV_MF_CLASSIFIED;
    } else if (ip) {
      bool hit;
      path = classify(L, r, k, now, &hit);
      mt->flags |= RV_MF_CLASSIFIED;
    } else {
      path = r->default_path;
    }
    const PathEnt &pe = r->paths[path < RV_MAX_PATHS ? path : 0];
    if (unlikely(path == 0 || pe.len == 0 || mt->index >= pe.len)) {
      rte_pktmbuf_free(m);
      L.st.drops[DR_NO_PATH]++;
      continue;
    }
    mt->path_id = path;
    L.st.classified++;
    to_service(c, m, mt, pe.svc[mt->index]);
  }
  flush_all(c);
  return true;
}

// Routes what the NFs put on their TX rings; returns how many packets it took.
unsigned Manager::tx_nfs(Lcore &L, const Route *r) {
  unsigned busy = 0;
  Ctx c{L, r, shm_, vx_local_};
  rte_mbuf *pkts[MGR_BURST];
  for (uint16_t k = 0; k < r->n_poll; k++) {
    uint16_t inst = r->poll[k];
    unsigned n = rte_ring_sc_dequeue_burst(r->nf_tx[inst], (void **)pkts, MGR_BURST, nullptr);
    if (!n) continue;
    busy += n;
    shm_->slots[inst].tx_deq += n;
    // the metadata lines were last written by the NF's core: request them all before using any
    for (unsigned i = 0; i < n; i++) rte_prefetch0(RTE_MBUF_DYNFIELD(pkts[i], rv_meta_offset, void *));
    for (unsigned i = 0; i < n; i++) {
      rte_mbuf *m = pkts[i];
      rv_meta *mt = rv_meta_of(m);
      switch (mt->action) {
        case RV_ACT_NEXT: {
          const PathEnt &pe = r->paths[mt->path_id < RV_MAX_PATHS ? mt->path_id : 0];
          uint8_t idx = (uint8_t)(mt->index + 1);
          if (unlikely(mt->path_id == 0 || pe.len == 0)) {
            rte_pktmbuf_free(m);
            L.st.drops[DR_NO_PATH]++;
          } else if (idx >= pe.len) {
            to_port(c, m, pe.out_port != NO_PORT ? pe.out_port : r->uplink);
          } else {
            mt->index = idx;
            to_service(c, m, mt, pe.svc[idx]);
          }
          break;
        }
        case RV_ACT_TONF: {
          uint16_t s = mt->destination;
          if (unlikely(s == 0 || s >= RV_MAX_SERVICES)) {
            rte_pktmbuf_free(m);
            L.st.drops[DR_NO_INSTANCE]++;
            break;
          }
          const PathEnt &pe = r->paths[mt->path_id < RV_MAX_PATHS ? mt->path_id : 0];
          for (uint8_t j = mt->index; j < pe.len; j++)  // continue the path after s if s is on it
            if (pe.svc[j] == s) {
              mt->index = j;
              break;
            }
          to_service(c, m, mt, s);
          break;
        }
        case RV_ACT_OUT:
          to_port(c, m, mt->destination);
          break;
        default:
          rte_pktmbuf_free(m);
          L.st.drops[DR_BAD_ACTION]++;
      }
    }
  }
  if (busy) flush_all(c);
  return busy;
}

int Manager::lcore_main(Lcore &L) {
  rte_rcu_qsbr_thread_online(qsv_, L.idx);
  uint64_t hz = rte_get_tsc_hz();
  uint64_t next_slow = rte_rdtsc();
  unsigned idle = 0;
  long nap = NAP_MIN_NS;  // adaptive nap (see the idle policy below)
  bool napped = false;    // the previous loop ended in a nap
  while (!stop_) {
    const Route *r = route_.load(std::memory_order_acquire);
    bool busy = false;
    if (L.role & ROLE_RX) {
      uint64_t rx0 = 0, rx1 = 0;
      for (uint16_t p = 0; p < r->nports; p++) rx0 += L.st.port_rx[p];
      for (uint16_t p = 0; p < r->nports; p++) busy |= rx_port(L, r, p);
      if (napped) {  // what piled up on the ports while we slept sets the next nap
        for (uint16_t p = 0; p < r->nports; p++) rx1 += L.st.port_rx[p];
        if (rx1 - rx0 >= (uint64_t)MGR_BURST) nap = std::max(nap / 2, NAP_MIN_NS);
        else if (rx1 - rx0 < (uint64_t)MGR_BURST / 4) nap = std::min(nap * 2, NAP_MAX_NS);
      }
    }
    unsigned from_nfs = (L.role & ROLE_TX) ? tx_nfs(L, r) : 0;
    busy |= from_nfs > 0;
    if (napped && !(L.role & ROLE_RX)) nap = busy ? NAP_MIN_NS : std::min(nap * 2, NAP_MAX_NS);  // TX-only lcore: NFs wake it
    // RX+TX lcore: heavy NF traffic (half a burst from the NFs in one loop) counts like a full port
    // burst, back to short naps and the yield phase; otherwise an NF loop (speed tester -> manager ->
    // tester) paid a futex wake-up per batch: 1-NF loop 20-28 -> 4-5 Mpps with the port-only rule
    if (from_nfs >= (unsigned)MGR_BURST / 2 && (L.role & ROLE_RX)) nap = NAP_MIN_NS;
    napped = false;
    L.st.loops++;
    if (busy) L.st.busy_loops++;
    if (L.role & ROLE_RX) {
      uint64_t now = rte_rdtsc();
      if (now >= next_slow || !busy) {
        if (!rte_ring_empty(cmd_ring_)) run_cmds();
        if (now >= next_slow) {
          next_slow = now + hz / 100;  // 10 ms
          if (idle_tsc_) expire_flows(L, now);
        }
      }
    }
    if (!busy) {  // out of work: wake sleeping NFs that have packets waiting
      __atomic_thread_fence(__ATOMIC_SEQ_CST);
      for (uint16_t k = 0; k < r->n_poll; k++) {
        uint16_t id = r->poll[k];
        if (shm_->slots[id].sleeping && (!rte_ring_empty(r->nf_rx[id]) || (r->nf_dx[id] && !rte_ring_empty(r->nf_dx[id]))))
          rv_wake_if_sleeping(&shm_->slots[id].sleeping);
      }
    }
    // Idle policy (the machine's cores are shared): spin 32 polls; then, while traffic is heavy (the nap is at its
    // minimum), sched_yield up to 128 polls; then nap on the futex, woken early by an NF that put packets on its TX
    // ring. Ports cannot wake us (af_packet has no RX interrupt), so the nap adapts to them: it doubles when a nap
    // ended with under a quarter burst waiting (idle or light traffic: fewer, fuller wake-ups) and halves when it
    // ended with a full burst, between NAP_MIN_NS and NAP_MAX_NS (the latency a port adds at light load).
    if (busy) {
      idle = 0;
    } else if (++idle < 32) {
      rte_pause();
    } else if (cfg_.busy_poll || (idle < 128 && nap == NAP_MIN_NS)) {
      sched_yield();  // cores are shared with NFs: let a runnable one have this CPU
    } else {
      __atomic_store_n(&shm_->mgr_sleeping, 1, __ATOMIC_SEQ_CST);
      bool empty = true;
      for (uint16_t k = 0; k < r->n_poll && empty; k++) empty = rte_ring_empty(r->nf_tx[r->poll[k]]);
      if (empty && !stop_) {
        rv_futex_wait(&shm_->mgr_sleeping, 1, nap);
        napped = true;
        L.st.naps++;
      }
      __atomic_store_n(&shm_->mgr_sleeping, 0, __ATOMIC_RELAXED);
    }
    rte_rcu_qsbr_quiescent(qsv_, L.idx);  // r is not used after this point
  }
  rte_rcu_qsbr_thread_offline(qsv_, L.idx);
  rte_rcu_qsbr_thread_unregister(qsv_, L.idx);
  L.finished = 1;
  return 0;
}

void Manager::sum_stats(LcoreStats &out) const {
  memset(&out, 0, sizeof out);
  for (int i = 0; i < nlcores_; i++) {
    const LcoreStats &s = lcores_[i]->st;
    for (int d = 0; d < DR_COUNT; d++) out.drops[d] += s.drops[d];
    for (int p = 0; p < RV_MAX_PORTS; p++) {
      out.port_rx[p] += s.port_rx[p];
      out.port_tx[p] += s.port_tx[p];
    }
    out.loops += s.loops;
    out.busy_loops += s.busy_loops;
    out.naps += s.naps;
    out.routed += s.routed;
    out.classified += s.classified;
    out.flow_inserts += s.flow_inserts;
    out.flow_expired += s.flow_expired;
    out.flow_table_full += s.flow_table_full;
    out.vxlan_out += s.vxlan_out;
    rv_vxlan_stats_add(out.vx, s.vx);
  }
  for (int d = 0; d < DR_COUNT; d++) out.drops[d] += ctl_drops_[d];
}

// ---------------------------------------------------------------- ring ports (tests, benches)

int Manager::ring_inject(uint16_t port, const uint8_t *data, const uint32_t *lens, uint32_t n, uint16_t) {
  rte_ring *in = nullptr;
  for (auto &p : ports_)
    if (p.id == port) in = p.ring_in;
  if (!in) return -ENODEV;
  uint32_t off = 0, done = 0;
  while (done < n) {
    rte_mbuf *m = rte_pktmbuf_alloc(pool_);
    if (!m) break;
    char *d = rte_pktmbuf_append(m, (uint16_t)lens[done]);
    if (!d) {
      rte_pktmbuf_free(m);
      return -EINVAL;
    }
    memcpy(d, data + off, lens[done]);
    m->port = port;
    unsigned tries = 0;
    while (rte_ring_sp_enqueue(in, m) != 0) {  // wait for the manager to take them (bounded)
      struct timespec ts = {0, 10000};
      nanosleep(&ts, nullptr);
      if (++tries > 200000) {
        rte_pktmbuf_free(m);
        return (int)done;
      }
    }
    off += lens[done];
    done++;
  }
  return (int)done;
}

int Manager::ring_collect(uint16_t port, std::vector<std::string> &out, std::vector<rv_meta> &metas, uint32_t max) {
  rte_ring *o = nullptr;
  for (auto &p : ports_)
    if (p.id == port) o = p.ring_out;
  if (!o) return -ENODEV;
  void *objs[64];
  while (out.size() < max) {
    unsigned want = (unsigned)std::min<size_t>(64, max - out.size());
    unsigned n = rte_ring_sc_dequeue_burst(o, objs, want, nullptr);
    if (!n) break;
    for (unsigned i = 0; i < n; i++) {
      rte_mbuf *m = static_cast<rte_mbuf *>(objs[i]);
      std::string s(rte_pktmbuf_pkt_len(m), '\0');
      const void *d = rte_pktmbuf_read(m, 0, rte_pktmbuf_pkt_len(m), &s[0]);
      if (d != s.data()) memcpy(&s[0], d, s.size());
      out.push_back(std::move(s));
      metas.push_back(*rv_meta_of(m));
      rte_pktmbuf_free(m);
    }
  }
  return (int)out.size();
}

}  // namespace rv
