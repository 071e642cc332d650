// rackvisor native addon (node-addon-api): the manager's control API and the TypeScript NF API.
// Every call here is batched control (config, stats, a batch of packets): no per-packet JS calls.
#include <napi.h>

#include <arpa/inet.h>
#include <string.h>
#include <sched.h>

#include <rte_eal.h>
#include <rte_ethdev.h>
#include <rte_hash_crc.h>
#include <rte_lcore.h>
#include <rte_mempool.h>
#include <rte_ring.h>
#include <rte_cycles.h>
#include <rte_pause.h>

#include "../nflib/nf.h"
#include "manager.h"

using namespace rv;

namespace {

Manager *M() { return Manager::instance(); }

void check(Napi::Env env, bool ok, const std::string &msg) {
  if (!ok) throw Napi::Error::New(env, msg);
}

std::vector<std::string> str_array(const Napi::Value &v) {
  std::vector<std::string> out;
  Napi::Array a = v.As<Napi::Array>();
  for (uint32_t i = 0; i < a.Length(); i++) out.push_back(a.Get(i).As<Napi::String>().Utf8Value());
  return out;
}

uint32_t get_u32(const Napi::Object &o, const char *k, uint32_t def) {
  return o.Has(k) && o.Get(k).IsNumber() ? o.Get(k).As<Napi::Number>().Uint32Value() : def;
}
double get_f64(const Napi::Object &o, const char *k, double def) {
  return o.Has(k) && o.Get(k).IsNumber() ? o.Get(k).As<Napi::Number>().DoubleValue() : def;
}

uint32_t parse_ip(Napi::Env env, const Napi::Value &v) {  // -> network order
  if (v.IsNumber()) return htonl(v.As<Napi::Number>().Uint32Value());
  in_addr a;
  std::string s = v.As<Napi::String>().Utf8Value();
  check(env, inet_pton(AF_INET, s.c_str(), &a) == 1, "bad IPv4 address: " + s);
  return a.s_addr;
}

rte_ether_addr parse_mac(Napi::Env env, const Napi::Value &v) {
  rte_ether_addr m{};
  std::string s = v.As<Napi::String>().Utf8Value();
  unsigned b[6];
  check(env, sscanf(s.c_str(), "%x:%x:%x:%x:%x:%x", &b[0], &b[1], &b[2], &b[3], &b[4], &b[5]) == 6, "bad MAC: " + s);
  for (int i = 0; i < 6; i++) m.addr_bytes[i] = (uint8_t)b[i];
  return m;
}

FlowKey parse_tuple(Napi::Env env, const Napi::Object &o) {
  FlowKey k;
  memset(&k, 0, sizeof k);
  k.sip = parse_ip(env, o.Get("src"));
  k.dip = parse_ip(env, o.Get("dst"));
  k.sport = htons((uint16_t)get_u32(o, "sport", 0));
  k.dport = htons((uint16_t)get_u32(o, "dport", 0));
  k.proto = (uint8_t)get_u32(o, "proto", 0);
  return k;
}

const char *state_name(uint32_t s) {
  switch (s) {
    case RV_NF_FREE: return "free";
    case RV_NF_CREATED: return "created";
    case RV_NF_STARTING: return "starting";
    case RV_NF_RUNNING: return "running";
    case RV_NF_STOPPING: return "stopping";
    case RV_NF_DEAD: return "dead";
  }
  return "unknown";
}

// ------------------------------------------------------------------ EAL / manager

Napi::Value EalInit(const Napi::CallbackInfo &info) {
  std::string err;
  check(info.Env(), Manager::eal_init(str_array(info[0]), err) == 0, err);
  return Napi::Number::New(info.Env(), rte_eal_process_type() == RTE_PROC_PRIMARY ? 0 : 1);
}

Napi::Value EalCleanup(const Napi::CallbackInfo &info) {
  if (M()->running()) M()->stop();
  return Napi::Number::New(info.Env(), rte_eal_cleanup());
}

Napi::Value ManagerStart(const Napi::CallbackInfo &info) {
  Napi::Env env = info.Env();
  Napi::Object o = info[0].As<Napi::Object>();
  ManagerConfig c;
  if (o.Has("ports")) c.ports = str_array(o.Get("ports"));
  c.nb_mbufs = get_u32(o, "mbufs", c.nb_mbufs);
  c.ring_size = get_u32(o, "ringSize", c.ring_size);
  c.flow_entries = get_u32(o, "flowEntries", c.flow_entries);
  c.flow_idle_s = get_f64(o, "flowIdleMs", c.flow_idle_s * 1000) / 1000.0;
  c.nlcores = (int)get_u32(o, "lcores", 1);
  c.hb_timeout_s = get_f64(o, "heartbeatTimeoutMs", c.hb_timeout_s * 1000) / 1000.0;
  c.busy_poll = o.Has("busyPoll") && o.Get("busyPoll").ToBoolean();
  if (o.Has("directHandoff") && !o.Get("directHandoff").IsUndefined()) c.direct = o.Get("directHandoff").ToBoolean();
  std::string err;
  check(env, M()->start(c, err) == 0, err);
  Napi::Object r = Napi::Object::New(env);
  Napi::Array ports = Napi::Array::New(env);
  uint32_t i = 0;
  for (auto &p : M()->ports()) {
    Napi::Object po = Napi::Object::New(env);
    po.Set("id", p.id);
    po.Set("name", p.name);
    ports.Set(i++, po);
  }
  r.Set("ports", ports);
  r.Set("lcores", M()->lcore_layout());
  r.Set("metaOffset", rv_meta_offset);
  return r;
}

Napi::Value ManagerStop(const Napi::CallbackInfo &info) {
  M()->stop();
  return info.Env().Undefined();
}

Napi::Value CreateInstance(const Napi::CallbackInfo &info) {
  std::string err;
  int rc = M()->create_instance((uint16_t)info[0].As<Napi::Number>().Uint32Value(),
                                (uint16_t)info[1].As<Napi::Number>().Uint32Value(),
                                info.Length() > 2 && info[2].IsString() ? info[2].As<Napi::String>().Utf8Value() : "",
                                info.Length() > 3 && info[3].IsNumber() ? info[3].As<Napi::Number>().Uint32Value() : 0,
                                err);
  check(info.Env(), rc == 0, err);
  return info.Env().Undefined();
}

Napi::Value DestroyInstance(const Napi::CallbackInfo &info) {
  return Napi::Number::New(info.Env(), M()->destroy_instance((uint16_t)info[0].As<Napi::Number>().Uint32Value()));
}

Napi::Value SendMessage(const Napi::CallbackInfo &info) {
  uint64_t a[4] = {0, 0, 0, 0};
  if (info.Length() > 2 && info[2].IsArray()) {
    Napi::Array arr = info[2].As<Napi::Array>();
    for (uint32_t i = 0; i < arr.Length() && i < 4; i++) a[i] = (uint64_t)arr.Get(i).As<Napi::Number>().Int64Value();
  }
  std::string text = info.Length() > 3 && info[3].IsString() ? info[3].As<Napi::String>().Utf8Value() : "";
  return Napi::Number::New(info.Env(), M()->send_msg((uint16_t)info[0].As<Napi::Number>().Uint32Value(),
                                                     (uint16_t)info[1].As<Napi::Number>().Uint32Value(), a, text));
}

Napi::Value InstanceExited(const Napi::CallbackInfo &info) {
  M()->instance_exited((uint16_t)info[0].As<Napi::Number>().Uint32Value(),
                       info.Length() > 1 && info[1].IsNumber() ? info[1].As<Napi::Number>().Int32Value() : 0);
  return info.Env().Undefined();
}

Napi::Value PollControl(const Napi::CallbackInfo &info) {
  Napi::Env env = info.Env();
  auto ev = M()->poll_control();
  Napi::Array out = Napi::Array::New(env, ev.size());
  for (size_t i = 0; i < ev.size(); i++) {
    Napi::Object o = Napi::Object::New(env);
    o.Set("instance", ev[i].instance);
    o.Set("type", ev[i].type);
    Napi::Array a = Napi::Array::New(env, 4);
    for (uint32_t j = 0; j < 4; j++) a.Set(j, Napi::Number::New(env, (double)ev[i].args[j]));
    o.Set("args", a);
    o.Set("text", ev[i].text);
    out.Set((uint32_t)i, o);
  }
  return out;
}

Napi::Value SetPath(const Napi::CallbackInfo &info) {
  std::vector<uint16_t> svcs;
  Napi::Array a = info[1].As<Napi::Array>();
  for (uint32_t i = 0; i < a.Length(); i++) svcs.push_back((uint16_t)a.Get(i).As<Napi::Number>().Uint32Value());
  uint16_t out = info.Length() > 2 && info[2].IsNumber() ? (uint16_t)info[2].As<Napi::Number>().Uint32Value() : NO_PORT;
  int rc = M()->set_path((uint16_t)info[0].As<Napi::Number>().Uint32Value(), svcs, out);
  check(info.Env(), rc == 0, "setPath: bad path id or services (path 1..1023, <=16 services 1..255)");
  return info.Env().Undefined();
}

Napi::Value DeletePath(const Napi::CallbackInfo &info) {
  return Napi::Number::New(info.Env(), M()->delete_path((uint16_t)info[0].As<Napi::Number>().Uint32Value()));
}

Napi::Value SetDefaultPath(const Napi::CallbackInfo &info) {
  M()->set_default_path((uint16_t)info[0].As<Napi::Number>().Uint32Value());
  return info.Env().Undefined();
}

uint32_t prefix_mask(uint32_t len) { return len == 0 ? 0 : (len >= 32 ? 0xffffffffu : ~((1u << (32 - len)) - 1)); }

Napi::Value SetRules(const Napi::CallbackInfo &info) {
  Napi::Env env = info.Env();
  std::vector<Rule> rules;
  Napi::Array a = info[0].As<Napi::Array>();
  for (uint32_t i = 0; i < a.Length(); i++) {
    Napi::Object o = a.Get(i).As<Napi::Object>();
    Rule r{};
    r.smask = prefix_mask(get_u32(o, "srcPrefix", o.Has("src") ? 32 : 0));
    r.dmask = prefix_mask(get_u32(o, "dstPrefix", o.Has("dst") ? 32 : 0));
    r.sip = o.Has("src") ? ntohl(parse_ip(env, o.Get("src"))) & r.smask : 0;
    r.dip = o.Has("dst") ? ntohl(parse_ip(env, o.Get("dst"))) & r.dmask : 0;
    r.proto = (uint8_t)get_u32(o, "proto", 0);
    r.sport_lo = (uint16_t)get_u32(o, "sportLo", 0);
    r.sport_hi = (uint16_t)get_u32(o, "sportHi", 65535);
    r.dport_lo = (uint16_t)get_u32(o, "dportLo", 0);
    r.dport_hi = (uint16_t)get_u32(o, "dportHi", 65535);
    r.path = (uint16_t)get_u32(o, "path", 0);
    rules.push_back(r);
  }
  check(env, M()->set_rules(rules) == 0, "setRules: at most 64 rules");
  return env.Undefined();
}

Napi::Value SetVxlanLocal(const Napi::CallbackInfo &info) {
  rv_vxlan_local l{};
  if (!info[0].IsNull() && !info[0].IsUndefined()) {
    l.mac = parse_mac(info.Env(), info[0]);
    l.ip = parse_ip(info.Env(), info[1]);
  }
  M()->set_vxlan_local(l);
  return info.Env().Undefined();
}

Napi::Value SetTunnel(const Napi::CallbackInfo &info) {
  bool remove = info.Length() > 2 && info[2].ToBoolean();
  rte_ether_addr mac{};
  if (!remove) mac = parse_mac(info.Env(), info[1]);
  return Napi::Number::New(info.Env(), M()->set_tunnel(parse_ip(info.Env(), info[0]), mac, remove));
}

Napi::Value SetRemoteService(const Napi::CallbackInfo &info) {
  rv_vxlan_peer p{};
  bool on = info[1].ToBoolean();
  if (on) {
    p.mac = parse_mac(info.Env(), info[2]);
    p.ip = parse_ip(info.Env(), info[3]);
  }
  return Napi::Number::New(info.Env(), M()->set_remote_service((uint16_t)info[0].As<Napi::Number>().Uint32Value(), on, p));
}

Napi::Value PickInstance(const Napi::CallbackInfo &info) {
  return Napi::Number::New(info.Env(), M()->pick_instance((uint16_t)info[0].As<Napi::Number>().Uint32Value(),
                                                           info[1].As<Napi::Number>().Uint32Value()));
}

Napi::Value FlowHash(const Napi::CallbackInfo &info) {
  FlowKey k = parse_tuple(info.Env(), info[0].As<Napi::Object>());
  return Napi::Number::New(info.Env(), rte_hash_crc(&k, sizeof k, 0x9747b28c));
}

Napi::Value FlowOp(const Napi::CallbackInfo &info, Cmd::Type t) {
  Napi::Env env = info.Env();
  Cmd *c = new Cmd();  // leaked only if the lcore never answers (timeout)
  c->type = t;
  if (t != Cmd::CLEAR) c->key = parse_tuple(env, info[0].As<Napi::Object>());
  if (t == Cmd::ADD) c->path = (uint16_t)info[1].As<Napi::Number>().Uint32Value();
  int rc = M()->flow_cmd(*c);
  if (rc == -ETIMEDOUT) throw Napi::Error::New(env, "flow table command timed out (manager lcore not running?)");
  Napi::Value out;
  if (t == Cmd::LOOKUP) {
    if (rc < 0) {
      out = env.Null();
    } else {
      Napi::Object o = Napi::Object::New(env);
      o.Set("path", c->path);
      o.Set("pkts", Napi::Number::New(env, (double)c->pkts));
      out = o;
    }
  } else {
    out = Napi::Number::New(env, rc);
  }
  delete c;
  return out;
}
Napi::Value FlowAdd(const Napi::CallbackInfo &i) { return FlowOp(i, Cmd::ADD); }
Napi::Value FlowDel(const Napi::CallbackInfo &i) { return FlowOp(i, Cmd::DEL); }
Napi::Value FlowLookup(const Napi::CallbackInfo &i) { return FlowOp(i, Cmd::LOOKUP); }
Napi::Value FlowClear(const Napi::CallbackInfo &i) { return FlowOp(i, Cmd::CLEAR); }
Napi::Value FlowCount(const Napi::CallbackInfo &info) {
  return Napi::Number::New(info.Env(), (double)M()->flow_count());
}

Napi::Value RingInject(const Napi::CallbackInfo &info) {
  Napi::Buffer<uint8_t> data = info[1].As<Napi::Buffer<uint8_t>>();
  Napi::Uint32Array lens = info[2].As<Napi::Uint32Array>();
  uint64_t total = 0;
  for (size_t i = 0; i < lens.ElementLength(); i++) total += lens[i];
  check(info.Env(), total <= data.Length(), "ringInject: lengths exceed the buffer");
  int rc = M()->ring_inject((uint16_t)info[0].As<Napi::Number>().Uint32Value(), data.Data(), lens.Data(),
                            (uint32_t)lens.ElementLength(), 0);
  check(info.Env(), rc >= 0, "ringInject: not a ring port");
  return Napi::Number::New(info.Env(), rc);
}

Napi::Object meta_obj(Napi::Env env, const rv_meta &m) {
  Napi::Object o = Napi::Object::New(env);
  o.Set("action", m.action);
  o.Set("index", m.index);
  o.Set("destination", m.destination);
  o.Set("pathId", m.path_id);
  o.Set("flags", m.flags);
  o.Set("flowHash", Napi::Number::New(env, m.flow_hash));
  o.Set("inPort", m.in_port);
  o.Set("hops", m.hops);
  return o;
}

Napi::Value RingCollect(const Napi::CallbackInfo &info) {
  Napi::Env env = info.Env();
  std::vector<std::string> frames;
  std::vector<rv_meta> metas;
  uint32_t max = info.Length() > 1 ? info[1].As<Napi::Number>().Uint32Value() : 1u << 20;
  int rc = M()->ring_collect((uint16_t)info[0].As<Napi::Number>().Uint32Value(), frames, metas, max);
  check(env, rc >= 0, "ringCollect: not a ring port");
  Napi::Array fa = Napi::Array::New(env, frames.size()), ma = Napi::Array::New(env, metas.size());
  for (size_t i = 0; i < frames.size(); i++) {
    fa.Set((uint32_t)i, Napi::Buffer<uint8_t>::Copy(env, (const uint8_t *)frames[i].data(), frames[i].size()));
    ma.Set((uint32_t)i, meta_obj(env, metas[i]));
  }
  Napi::Object o = Napi::Object::New(env);
  o.Set("frames", fa);
  o.Set("metas", ma);
  return o;
}

Napi::Value Stats(const Napi::CallbackInfo &info) {
  Napi::Env env = info.Env();
  Manager *m = M();
  check(env, m->running(), "manager not running");
  LcoreStats s;
  m->sum_stats(s);
  Napi::Object o = Napi::Object::New(env);
  o.Set("tsc", Napi::Number::New(env, (double)rte_rdtsc()));
  o.Set("timeNs", Napi::Number::New(env, (double)rte_rdtsc() / (double)m->tsc_hz() * 1e9));
  Napi::Object drops = Napi::Object::New(env);
  for (int d = 0; d < DR_COUNT; d++) drops.Set(kDropNames[d], Napi::Number::New(env, (double)s.drops[d]));
  uint64_t nf_drop = 0;
  Napi::Array nfs = Napi::Array::New(env);
  uint32_t k = 0;
  uint64_t now = rte_rdtsc(), hz = m->tsc_hz();
  for (uint16_t id = 1; id < RV_MAX_NF; id++) {
    const InstInfo &I = m->inst(id);
    if (!I.exists) continue;
    const rv_nf_slot &sl = m->shm()->slots[id];
    nf_drop += sl.drop;
    Napi::Object n = Napi::Object::New(env);
    n.Set("instance", id);
    n.Set("service", sl.service_id);
    n.Set("name", std::string(sl.name));
    n.Set("state", state_name(sl.state));
    n.Set("pid", sl.pid);
    n.Set("rx", Napi::Number::New(env, (double)sl.rx));
    n.Set("tx", Napi::Number::New(env, (double)sl.tx));
    n.Set("dropped", Napi::Number::New(env, (double)sl.drop));
    n.Set("txRetry", Napi::Number::New(env, (double)sl.tx_retry));
    n.Set("rxBytes", Napi::Number::New(env, (double)sl.rx_bytes));
    n.Set("txBytes", Napi::Number::New(env, (double)sl.tx_bytes));
    // packets put on its input (manager RX ring + direct hand-offs) / taken from its output (TX ring + direct)
    n.Set("rxEnqueued", Napi::Number::New(env, (double)(sl.rx_enq + sl.dx_enq)));
    n.Set("rxRingFull", Napi::Number::New(env, (double)sl.rx_full));
    n.Set("txDequeued", Napi::Number::New(env, (double)(sl.tx_deq + sl.dx_out)));
    n.Set("directIn", Napi::Number::New(env, (double)sl.dx_enq));
    n.Set("directOut", Napi::Number::New(env, (double)sl.dx_out));
    n.Set("directFull", Napi::Number::New(env, (double)sl.dx_full));
    n.Set("directFrom", m->shm()->direct.from[id]);
    // rxRing = its whole input backlog (what the agent's ring fill and autoscaling read): RX + dx ring
    unsigned dxn = m->shm()->direct.ring[id] ? rte_ring_count(m->shm()->direct.ring[id]) : 0;
    n.Set("dxRing", dxn);
    n.Set("rxRing", (I.rx ? rte_ring_count(I.rx) : 0) + dxn);
    n.Set("txRing", I.tx ? rte_ring_count(I.tx) : 0);
    n.Set("ringSize", sl.ring_size);
    n.Set("heartbeatAgeMs", sl.heartbeat_tsc && now > sl.heartbeat_tsc ? (double)(now - sl.heartbeat_tsc) * 1000.0 / hz : 0.0);
    n.Set("routed", I.routed && !I.unresponsive);
    n.Set("unresponsive", I.unresponsive);
    nfs.Set(k++, n);
  }
  drops.Set("nf_drop", Napi::Number::New(env, (double)nf_drop));
  o.Set("drops", drops);
  o.Set("nfs", nfs);
  Napi::Array ports = Napi::Array::New(env);
  for (size_t i = 0; i < m->ports().size(); i++) {
    const PortInfo &p = m->ports()[i];
    Napi::Object po = Napi::Object::New(env);
    po.Set("id", p.id);
    po.Set("name", p.name);
    po.Set("rx", Napi::Number::New(env, (double)s.port_rx[i]));
    po.Set("tx", Napi::Number::New(env, (double)s.port_tx[i]));
    rte_eth_stats es{};
    if (rte_eth_stats_get(p.id, &es) == 0) {
      po.Set("imissed", Napi::Number::New(env, (double)es.imissed));
      po.Set("ierrors", Napi::Number::New(env, (double)es.ierrors));
      po.Set("oerrors", Napi::Number::New(env, (double)es.oerrors));
      po.Set("rxNoMbuf", Napi::Number::New(env, (double)es.rx_nombuf));
    }
    ports.Set((uint32_t)i, po);
  }
  o.Set("ports", ports);
  Napi::Object fl = Napi::Object::New(env);
  fl.Set("active", Napi::Number::New(env, (double)m->flow_count()));
  fl.Set("inserted", Napi::Number::New(env, (double)s.flow_inserts));
  fl.Set("expired", Napi::Number::New(env, (double)s.flow_expired));
  fl.Set("tableFull", Napi::Number::New(env, (double)s.flow_table_full));
  o.Set("flows", fl);
  Napi::Object vx = Napi::Object::New(env);
  vx.Set("encapOk", Napi::Number::New(env, (double)s.vx.encap_ok));
  vx.Set("encapNoHeadroom", Napi::Number::New(env, (double)s.vx.encap_no_headroom));
  vx.Set("sent", Napi::Number::New(env, (double)s.vxlan_out));
  Napi::Object dec = Napi::Object::New(env);
  for (int v = 0; v < RV_VXLAN_VERDICT_COUNT; v++)
    dec.Set(rv_vxlan_verdict_name((uint8_t)v), Napi::Number::New(env, (double)s.vx.decap[v]));
  vx.Set("decap", dec);
  o.Set("vxlan", vx);
  Napi::Object lc = Napi::Object::New(env);
  lc.Set("layout", m->lcore_layout());
  lc.Set("loops", Napi::Number::New(env, (double)s.loops));
  lc.Set("busyLoops", Napi::Number::New(env, (double)s.busy_loops));
  lc.Set("naps", Napi::Number::New(env, (double)s.naps));
  lc.Set("routed", Napi::Number::New(env, (double)s.routed));
  lc.Set("classified", Napi::Number::New(env, (double)s.classified));
  o.Set("lcores", lc);
  Napi::Object pool = Napi::Object::New(env);
  pool.Set("size", m->pool()->size);
  pool.Set("available", rte_mempool_avail_count(m->pool()));
  o.Set("pool", pool);
  return o;
}

// ------------------------------------------------------------------ TypeScript NF API

struct TsNf {
  rv_nf *nf = nullptr;
  rte_mbuf *held[256];
  uint16_t nheld = 0;
  uint8_t *base = nullptr;
  size_t len = 0;
};
std::vector<TsNf *> g_nfs;

void pool_range_cb(rte_mempool *, void *opaque, rte_mempool_memhdr *h, unsigned) {
  uintptr_t *r = static_cast<uintptr_t *>(opaque);
  uintptr_t a = (uintptr_t)h->addr, b = a + h->len;
  if (r[0] == 0 || a < r[0]) r[0] = a;
  if (b > r[1]) r[1] = b;
}

Napi::Value nf_handle(Napi::Env env, rv_nf *nf) {
  check(env, nf != nullptr, "NF attach failed (see stderr)");
  rv_nf_set_no_direct(nf);  // a JS batch loop is better fed by the manager (shared.h, RV_NF_FLAG_NO_DIRECT)
  TsNf *t = new TsNf();
  t->nf = nf;
  uintptr_t r[2] = {0, 0};
  rte_mempool_mem_iter(rv_nf_pool(nf), pool_range_cb, r);
  t->base = (uint8_t *)r[0];
  t->len = r[1] - r[0];
  g_nfs.push_back(t);
  Napi::Object o = Napi::Object::New(env);
  o.Set("handle", (uint32_t)(g_nfs.size() - 1));
  o.Set("instance", rv_nf_instance(nf));
  o.Set("service", rv_nf_service(nf));
  o.Set("metaOffset", rv_meta_offset);
  return o;
}

TsNf *get_nf(const Napi::CallbackInfo &info) {
  uint32_t h = info[0].As<Napi::Number>().Uint32Value();
  if (h >= g_nfs.size() || !g_nfs[h] || !g_nfs[h]->nf) throw Napi::Error::New(info.Env(), "bad NF handle");
  return g_nfs[h];
}

Napi::Value NfInit(const Napi::CallbackInfo &info) {
  std::vector<std::string> args = str_array(info[0]);
  std::vector<char *> argv;
  for (auto &a : args) argv.push_back(const_cast<char *>(a.c_str()));
  argv.push_back(nullptr);
  rv_nf *nf = nullptr;
  int rc = rv_nf_init((int)args.size(), argv.data(), &nf);
  check(info.Env(), rc >= 0 && nf, "rv_nf_init failed (see stderr)");
  return nf_handle(info.Env(), nf);
}

Napi::Value NfAttach(const Napi::CallbackInfo &info) {
  check(info.Env(), Manager::eal_up(), "EAL not initialised in this process");
  return nf_handle(info.Env(), rv_nf_attach((uint16_t)info[0].As<Napi::Number>().Uint32Value()));
}

Napi::Value NfPoolView(const Napi::CallbackInfo &info) {
  TsNf *t = get_nf(info);
  // zero-copy: the packet mempool's memory (mbuf headers, metadata and data) as one ArrayBuffer
  return Napi::ArrayBuffer::New(info.Env(), t->base, t->len);
}

Napi::Value NfRecv(const Napi::CallbackInfo &info) {
  TsNf *t = get_nf(info);
  check(info.Env(), t->nheld == 0, "nfRecv: send the previous batch first");
  Napi::Uint32Array offs = info[1].As<Napi::Uint32Array>();
  Napi::Uint16Array lens = info[2].As<Napi::Uint16Array>();
  Napi::Uint32Array moffs = info[3].As<Napi::Uint32Array>();
  size_t max = std::min({offs.ElementLength(), lens.ElementLength(), moffs.ElementLength(), (size_t)256});
  uint16_t n = rv_nf_recv(t->nf, t->held, (uint16_t)max);
  if (n == 0 && info.Length() > 4 && info[4].IsNumber()) {
    // wait natively (spin, then yield the CPU) up to waitUs for packets: cheaper than an event-loop turn
    uint64_t hz = rte_get_tsc_hz(), end = rte_rdtsc() + (uint64_t)(info[4].As<Napi::Number>().DoubleValue() * hz / 1e6);
    unsigned idle = 0;
    while (n == 0 && rte_rdtsc() < end && !rv_nf_stopping(t->nf)) {
      rv_nf_idle_wait(t->nf, ++idle, false);  // pause, yield, then futex sleep until the manager wakes us
      n = rv_nf_recv(t->nf, t->held, (uint16_t)max);
    }
  }
  uint32_t *o = offs.Data(), *mo = moffs.Data();
  uint16_t *l = lens.Data();
  for (uint16_t i = 0; i < n; i++) {
    rte_mbuf *m = t->held[i];
    rv_meta *mt = rv_meta_of(m);
    mt->action = RV_ACT_NEXT;
    o[i] = (uint32_t)(rte_pktmbuf_mtod(m, uint8_t *) - t->base);
    l[i] = m->data_len;
    mo[i] = (uint32_t)((uint8_t *)mt - t->base);
  }
  t->nheld = n;
  return Napi::Number::New(info.Env(), n);
}

Napi::Value NfSend(const Napi::CallbackInfo &info) {
  TsNf *t = get_nf(info);
  uint16_t n = t->nheld;
  if (info.Length() > 1 && info[1].IsTypedArray()) {
    Napi::Uint8Array act = info[1].As<Napi::Uint8Array>();
    check(info.Env(), act.ElementLength() >= n, "nfSend: actions shorter than the batch");
    for (uint16_t i = 0; i < n; i++) rv_meta_of(t->held[i])->action = act[i];
  }
  if (info.Length() > 2 && info[2].IsTypedArray()) {
    Napi::Uint16Array d = info[2].As<Napi::Uint16Array>();
    check(info.Env(), d.ElementLength() >= n, "nfSend: destinations shorter than the batch");
    for (uint16_t i = 0; i < n; i++) rv_meta_of(t->held[i])->destination = d[i];
  }
  uint16_t sent = rv_nf_send(t->nf, t->held, n);
  t->nheld = 0;
  return Napi::Number::New(info.Env(), sent);
}

Napi::Value NfReady(const Napi::CallbackInfo &info) {
  rv_nf_ready(get_nf(info)->nf);
  return info.Env().Undefined();
}

Napi::Value NfHeartbeat(const Napi::CallbackInfo &info) {
  rv_nf_heartbeat(get_nf(info)->nf);
  return info.Env().Undefined();
}

Napi::Value NfStopping(const Napi::CallbackInfo &info) {
  return Napi::Boolean::New(info.Env(), rv_nf_stopping(get_nf(info)->nf));
}

Napi::Value NfPollMsg(const Napi::CallbackInfo &info) {
  Napi::Env env = info.Env();
  rv_msg m;
  if (!rv_nf_poll_msg(get_nf(info)->nf, &m)) return env.Null();
  Napi::Object o = Napi::Object::New(env);
  o.Set("type", m.type);
  Napi::Array a = Napi::Array::New(env, 4);
  for (uint32_t j = 0; j < 4; j++) a.Set(j, Napi::Number::New(env, (double)m.arg[j]));
  o.Set("args", a);
  o.Set("text", std::string(m.data, strnlen(m.data, sizeof m.data)));
  return o;
}

Napi::Value NfSendMsg(const Napi::CallbackInfo &info) {
  uint64_t a[4] = {0, 0, 0, 0};
  if (info.Length() > 2 && info[2].IsArray()) {
    Napi::Array arr = info[2].As<Napi::Array>();
    for (uint32_t i = 0; i < arr.Length() && i < 4; i++) a[i] = (uint64_t)arr.Get(i).As<Napi::Number>().Int64Value();
  }
  std::string text = info.Length() > 3 && info[3].IsString() ? info[3].As<Napi::String>().Utf8Value() : "";
  return Napi::Number::New(info.Env(), rv_nf_send_msg(get_nf(info)->nf, (uint16_t)info[1].As<Napi::Number>().Uint32Value(),
                                                      a, text.c_str()));
}

Napi::Value NfStats(const Napi::CallbackInfo &info) {
  Napi::Env env = info.Env();
  rv_nf_slot *s = rv_nf_slot_of(get_nf(info)->nf);
  Napi::Object o = Napi::Object::New(env);
  o.Set("rx", Napi::Number::New(env, (double)s->rx));
  o.Set("tx", Napi::Number::New(env, (double)s->tx));
  o.Set("dropped", Napi::Number::New(env, (double)s->drop));
  return o;
}

Napi::Value NfClose(const Napi::CallbackInfo &info) {  // (handle, cleanupEal)
  TsNf *t = get_nf(info);
  if (t->nheld) {  // never leak a batch
    rte_pktmbuf_free_bulk(t->held, t->nheld);
    t->nheld = 0;
  }
  bool fini = info.Length() > 1 && info[1].ToBoolean();
  if (fini) rv_nf_fini(t->nf);
  else rv_nf_detach(t->nf);
  t->nf = nullptr;
  return info.Env().Undefined();
}

Napi::Object Init(Napi::Env env, Napi::Object exports) {
#define F(n) exports.Set(#n, Napi::Function::New(env, n))
  // names are lowerCamel in JS
  exports.Set("ealInit", Napi::Function::New(env, EalInit));
  exports.Set("ealCleanup", Napi::Function::New(env, EalCleanup));
  exports.Set("managerStart", Napi::Function::New(env, ManagerStart));
  exports.Set("managerStop", Napi::Function::New(env, ManagerStop));
  exports.Set("createInstance", Napi::Function::New(env, CreateInstance));
  exports.Set("destroyInstance", Napi::Function::New(env, DestroyInstance));
  exports.Set("sendMessage", Napi::Function::New(env, SendMessage));
  exports.Set("instanceExited", Napi::Function::New(env, InstanceExited));
  exports.Set("pollControl", Napi::Function::New(env, PollControl));
  exports.Set("setPath", Napi::Function::New(env, SetPath));
  exports.Set("deletePath", Napi::Function::New(env, DeletePath));
  exports.Set("setDefaultPath", Napi::Function::New(env, SetDefaultPath));
  exports.Set("setRules", Napi::Function::New(env, SetRules));
  exports.Set("setVxlanLocal", Napi::Function::New(env, SetVxlanLocal));
  exports.Set("setTunnel", Napi::Function::New(env, SetTunnel));
  exports.Set("setRemoteService", Napi::Function::New(env, SetRemoteService));
  exports.Set("pickInstance", Napi::Function::New(env, PickInstance));
  exports.Set("flowHash", Napi::Function::New(env, FlowHash));
  exports.Set("flowAdd", Napi::Function::New(env, FlowAdd));
  exports.Set("flowDel", Napi::Function::New(env, FlowDel));
  exports.Set("flowLookup", Napi::Function::New(env, FlowLookup));
  exports.Set("flowClear", Napi::Function::New(env, FlowClear));
  exports.Set("flowCount", Napi::Function::New(env, FlowCount));
  exports.Set("ringInject", Napi::Function::New(env, RingInject));
  exports.Set("ringCollect", Napi::Function::New(env, RingCollect));
  exports.Set("stats", Napi::Function::New(env, Stats));
  exports.Set("nfInit", Napi::Function::New(env, NfInit));
  exports.Set("nfAttach", Napi::Function::New(env, NfAttach));
  exports.Set("nfPoolView", Napi::Function::New(env, NfPoolView));
  exports.Set("nfRecv", Napi::Function::New(env, NfRecv));
  exports.Set("nfSend", Napi::Function::New(env, NfSend));
  exports.Set("nfReady", Napi::Function::New(env, NfReady));
  exports.Set("nfHeartbeat", Napi::Function::New(env, NfHeartbeat));
  exports.Set("nfStopping", Napi::Function::New(env, NfStopping));
  exports.Set("nfPollMsg", Napi::Function::New(env, NfPollMsg));
  exports.Set("nfSendMsg", Napi::Function::New(env, NfSendMsg));
  exports.Set("nfStats", Napi::Function::New(env, NfStats));
  exports.Set("nfClose", Napi::Function::New(env, NfClose));
#undef F
  return exports;
}

}  // namespace

NODE_API_MODULE(rackvisor_native, Init)
