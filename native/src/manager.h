// rackvisor host manager: the DPDK primary of its host (see native/README.md).
// One Manager per process (EAL is once per process). Control methods run on Node's main thread;
// the packet loops run on DPDK worker lcores (rte_eal_remote_launch), never on Node's thread.
#pragma once
#include <stdint.h>

#include <atomic>
#include <mutex>
#include <string>
#include <vector>

#include "meta.h"
#include "shared.h"
#include "vxlan.h"

struct rte_hash;
struct rte_rcu_qsbr;
struct rte_ring;
struct rte_mempool;
struct rte_memzone;

namespace rv {

// Every reason the manager drops a packet has a counter.
enum DropReason {
  DR_NO_PATH = 0,      // flow classified to no path / unknown path id
  DR_NO_INSTANCE,      // service has no live instance here and no remote host
  DR_RING_FULL,        // NF RX ring full (manager never waits)
  DR_TX_FULL,          // port TX queue full
  DR_BAD_ACTION,       // NF returned an unknown action
  DR_BAD_PORT,         // OUT to a port that does not exist
  DR_LOOP,             // more than RV_MAX_HOPS NF hops
  DR_NF_DEAD,          // drained from a dead NF's rings
  DR_VXLAN,            // bad VXLAN frame (detail in vxlan counters)
  DR_ENCAP,            // VXLAN encapsulation impossible (no headroom)
  DR_COUNT
};
extern const char *const kDropNames[DR_COUNT];

constexpr uint32_t MAGLEV_M = RV_MAGLEV_M;  // (RV_MAX_HOPS, RV_WAKE_BATCH: shared.h, NFs use them too)
constexpr uint16_t NO_PORT = 0xffff;
constexpr int MGR_BURST = 64;
// the manager lcore's idle nap bounds (manager.cc, lcore_main: adaptive to the traffic waiting on the ports)
constexpr long NAP_MIN_NS = 5000;
constexpr long NAP_MAX_NS = 500000;
constexpr int MAX_RULES = 64;
constexpr int MAX_LCORES = 2;

struct FlowKey {
  uint32_t sip, dip;  // network order
  uint16_t sport, dport;
  uint8_t proto;
  uint8_t pad[3];
};
static_assert(sizeof(FlowKey) == 16, "FlowKey");

struct FlowEntry {
  uint64_t last_tsc;
  uint64_t pkts;
  uint16_t path;
  uint8_t is_static;
  uint8_t used;
};

struct Rule {  // policy classifier (first match on a flow-table miss); all fields host order
  uint32_t sip, smask, dip, dmask;
  uint16_t sport_lo, sport_hi, dport_lo, dport_hi;
  uint8_t proto;  // 0 = any
  uint16_t path;
};

struct PathEnt {
  uint8_t len;
  uint16_t out_port;  // where the frame leaves at the end (NO_PORT = uplink)
  uint16_t svc[RV_MAX_PATH_LEN];
};

struct SvcEnt {
  uint16_t n;                // local routable instances
  uint16_t table[MAGLEV_M];  // Maglev lookup table: slot -> instance id
  uint8_t remote;            // 1: no local instance, go to `peer` in VXLAN
  rv_vxlan_peer peer;
};

// Immutable routing snapshot, swapped atomically and reclaimed with rte_rcu_qsbr.
struct Route {
  PathEnt paths[RV_MAX_PATHS];
  SvcEnt svcs[RV_MAX_SERVICES];
  rte_ring *nf_rx[RV_MAX_NF];
  rte_ring *nf_tx[RV_MAX_NF];
  rte_ring *nf_dx[RV_MAX_NF];  // direct hand-off rings (the manager only checks them to wake sleepers)
  uint16_t poll[RV_MAX_NF];
  uint16_t n_poll;
  Rule rules[MAX_RULES];
  uint16_t n_rules;
  uint16_t default_path;
  uint16_t uplink;
  uint16_t nports;
  uint16_t port_ids[RV_MAX_PORTS];
  bool vxlan;
};

struct alignas(64) LcoreStats {
  uint64_t drops[DR_COUNT];
  uint64_t port_rx[RV_MAX_PORTS];
  uint64_t port_tx[RV_MAX_PORTS];
  uint64_t loops, busy_loops, naps, routed, classified, flow_inserts, flow_expired, flow_table_full, vxlan_out;
  rv_vxlan_stats vx;
};

struct Lcore;

struct Cmd {  // control -> RX lcore (flow table is single-writer: the RX lcore)
  enum Type { ADD, DEL, LOOKUP, CLEAR } type;
  FlowKey key;
  uint16_t path;
  int result;
  uint64_t pkts;
  std::atomic<int> done{0};
};

struct InstInfo {
  bool exists = false;
  bool routed = false;   // in its service's Maglev table
  bool polled = false;   // TX ring polled by the manager
  bool dead_reported = false;
  bool unresponsive = false;
  rte_ring *rx = nullptr, *tx = nullptr, *msg = nullptr, *mmsg = nullptr;
};

struct Event {
  uint16_t instance;
  std::string type;  // starting, ready, stopping, stats, log, dead, unresponsive, responsive
  uint64_t args[4];
  std::string text;
};

struct ManagerConfig {
  std::vector<std::string> ports;  // EAL device names (vdevs given on the EAL line) or ring:NAME
  uint32_t nb_mbufs = 16383;
  uint32_t ring_size = 1024;
  uint32_t flow_entries = 65536;
  double flow_idle_s = 30;
  int nlcores = 1;  // 1: one lcore does RX+TX; 2: RX lcore + TX lcore
  bool busy_poll = false;
  bool direct = true;  // NF -> NF direct hand-off for local next hops (false: every hop through the manager)
  double hb_timeout_s = 3;
};

struct PortInfo {
  uint16_t id;
  std::string name;
  rte_ring *ring_in = nullptr, *ring_out = nullptr;  // ring:NAME test ports
};

class Manager {
 public:
  static Manager *instance();
  // EAL
  static int eal_init(const std::vector<std::string> &args, std::string &err);
  static bool eal_up();
  int start(const ManagerConfig &cfg, std::string &err);
  void stop();  // stops lcores, marks shutting down
  bool running() const { return running_; }

  // NF instances
  int create_instance(uint16_t id, uint16_t service, const std::string &name, uint32_t ring_size, std::string &err);
  int destroy_instance(uint16_t id);
  int send_msg(uint16_t id, uint16_t type, const uint64_t *args, const std::string &text);
  void instance_exited(uint16_t id, int pid = 0);  // pid > 0: only if that process is the slot's
  std::vector<Event> poll_control();

  // routing
  int set_path(uint16_t id, const std::vector<uint16_t> &svcs, uint16_t out_port);
  int delete_path(uint16_t id);
  void set_default_path(uint16_t id);
  int set_rules(const std::vector<Rule> &rules);
  int set_remote_service(uint16_t svc, bool enable, const rv_vxlan_peer &peer);
  int set_vxlan_local(const rv_vxlan_local &local);
  int set_tunnel(uint32_t ip_be, const rte_ether_addr &mac, bool remove);
  int pick_instance(uint16_t svc, uint32_t hash) const;

  // flow table (through the RX lcore)
  int flow_cmd(Cmd &c);
  uint64_t flow_count() const;

  // ring ports (tests)
  int ring_inject(uint16_t port, const uint8_t *data, const uint32_t *lens, uint32_t n, uint16_t path_hint);
  int ring_collect(uint16_t port, std::vector<std::string> &out, std::vector<rv_meta> &metas, uint32_t max);

  // stats
  const std::vector<PortInfo> &ports() const { return ports_; }
  void sum_stats(LcoreStats &out) const;
  uint64_t ctl_drops(int r) const { return ctl_drops_[r]; }
  rv_shm *shm() const { return shm_; }
  rte_mempool *pool() const { return pool_; }
  const InstInfo &inst(uint16_t id) const { return inst_[id]; }
  uint64_t tsc_hz() const;
  std::string lcore_layout() const;

  // lcore side (public for the launch trampoline)
  int lcore_main(Lcore &L);

 private:
  void publish();
  Route *build_route();
  void mark_dead(uint16_t id, const char *why, std::vector<Event> &ev);
  void drain_ring(rte_ring *r, uint64_t &count);
  bool pid_alive(int pid) const;
  // direct hand-off (NF -> NF): publish the tables and wanted grants, then revoke/grant step by step
  void update_direct(const Route *r);
  void advance_direct();

  // lcore helpers
  bool rx_port(Lcore &L, const Route *r, uint16_t pidx);
  unsigned tx_nfs(Lcore &L, const Route *r);
  void run_cmds();
  void expire_flows(Lcore &L, uint64_t now);
  uint16_t classify(Lcore &L, const Route *r, const FlowKey &k, uint64_t now, bool *hit);

  bool running_ = false;
  ManagerConfig cfg_;
  rte_mempool *pool_ = nullptr;
  const rte_memzone *mz_ = nullptr;
  rv_shm *shm_ = nullptr;
  std::vector<PortInfo> ports_;
  std::atomic<Route *> route_{nullptr};
  rte_rcu_qsbr *qsv_ = nullptr;
  Lcore *lcores_[MAX_LCORES] = {};
  int nlcores_ = 0;
  volatile bool stop_ = false;
  rte_hash *flows_ = nullptr;
  FlowEntry *flow_ents_ = nullptr;
  uint32_t n_flow_ents_ = 0;
  std::atomic<uint64_t> nflows_{0};
  uint32_t expire_pos_ = 0;
  uint64_t idle_tsc_ = 0;
  rte_ring *cmd_ring_ = nullptr;

  // control-side model (Node's thread only)
  std::mutex mu_;
  InstInfo inst_[RV_MAX_NF];
  PathEnt paths_[RV_MAX_PATHS] = {};
  struct RemoteSvc { bool on = false; rv_vxlan_peer peer{}; } remote_[RV_MAX_SERVICES];
  std::vector<Rule> rules_;
  uint16_t default_path_ = 0;
  uint64_t ctl_drops_[DR_COUNT] = {};
  rv_vxlan_local vx_local_{};
  bool vxlan_on_ = false;
  rv_tunnel_table *tunnels_ = nullptr;
  rv_vxlan_vni_table *vnis_ = nullptr;
  // direct hand-off: dx rings live as long as the manager (an id's ring is reused by its next
  // instance), so a late producer can never write into freed memory
  rte_ring *dx_[RV_MAX_NF] = {};
  uint16_t dx_want_[RV_MAX_NF] = {};  // the grant the current configuration wants (0 = none)
  struct DxRevoke { uint16_t producer = 0; uint64_t qs = 0; } dx_revoke_[RV_MAX_NF];  // waiting for quiescence
};

}  // namespace rv
