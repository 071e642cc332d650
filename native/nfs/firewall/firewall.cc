// Firewall NF logic (see firewall.h).
#include "firewall.h"

#include <cerrno>
#include <cstddef>
#include <cstring>
#include <sstream>

#include <rte_acl.h>
#include <rte_byteorder.h>
#include <rte_hash.h>
#include <rte_hash_crc.h>

#include "../nf_config.h"
#include "../nf_pkt.h"

namespace rvnf {
namespace {

enum { F_PROTO, F_SRC, F_DST, F_SPORT, F_DPORT, F_NUM };

// The ACL input: one 16-byte key per packet; addresses and ports in network order (rte_acl wants
// rule values in host order and input data in network order).
struct AclKey {
  uint8_t proto;
  uint8_t pad[3];
  uint32_t src;
  uint32_t dst;
  uint16_t sport;
  uint16_t dport;
};
static_assert(sizeof(AclKey) == 16, "AclKey");

RTE_ACL_RULE_DEF(FwAclRule, F_NUM);

const rte_acl_field_def kDefs[F_NUM] = {
    {RTE_ACL_FIELD_TYPE_BITMASK, sizeof(uint8_t), F_PROTO, 0, offsetof(AclKey, proto)},
    {RTE_ACL_FIELD_TYPE_MASK, sizeof(uint32_t), F_SRC, 1, offsetof(AclKey, src)},
    {RTE_ACL_FIELD_TYPE_MASK, sizeof(uint32_t), F_DST, 2, offsetof(AclKey, dst)},
    {RTE_ACL_FIELD_TYPE_RANGE, sizeof(uint16_t), F_SPORT, 3, offsetof(AclKey, sport)},
    {RTE_ACL_FIELD_TYPE_RANGE, sizeof(uint16_t), F_DPORT, 3, offsetof(AclKey, dport)},
};

// Direction-independent connection key: the lower (ip, port) endpoint first.
struct CtKey {
  uint32_t a_ip, b_ip;
  uint16_t a_port, b_port;
  uint8_t proto;
  uint8_t pad[3];
};
static_assert(sizeof(CtKey) == 16, "CtKey");

CtKey ct_key(const Pkt& p) {
  CtKey k{};
  bool swap = p.src > p.dst || (p.src == p.dst && p.sport > p.dport);
  k.a_ip = swap ? p.dst : p.src;
  k.b_ip = swap ? p.src : p.dst;
  k.a_port = swap ? p.dport : p.sport;
  k.b_port = swap ? p.sport : p.dport;
  k.proto = p.proto;
  return k;
}

bool parse_port_range(const std::string& s, uint16_t* lo, uint16_t* hi) {
  if (s == "any") { *lo = 0; *hi = 0xFFFF; return true; }
  unsigned a, b;
  char x;
  if (sscanf(s.c_str(), "%u-%u%c", &a, &b, &x) == 2 && a <= b && b <= 0xFFFF) {
    *lo = uint16_t(a); *hi = uint16_t(b); return true;
  }
  if (sscanf(s.c_str(), "%u%c", &a, &x) == 1 && a <= 0xFFFF) {
    *lo = *hi = uint16_t(a); return true;
  }
  return false;
}

}  // namespace

bool fw_parse(const std::string& text, FwConfig* cfg, std::string* err) {
  ConfigLines lines(text);
  auto fail = [&](const std::string& m) { return lines.fail(err, m); };
  for (std::string line; lines.next(&line);) {
    std::string body = ConfigLines::uncomment(line);
    std::vector<std::string> t = ConfigLines::words(body);
    if (t.empty()) continue;
    const std::string& kw = t[0];
    if (kw == "default" || kw == "nonip") {
      if (t.size() != 2 || (t[1] != "allow" && t[1] != "drop")) return fail(kw + " needs allow|drop");
      (kw == "default" ? cfg->default_allow : cfg->nonip_allow) = t[1] == "allow";
      continue;
    }
    if (kw == "conntrack") {
      if (t.size() < 2 || (t[1] != "on" && t[1] != "off")) return fail("conntrack needs on|off");
      cfg->conntrack = t[1] == "on";
      for (size_t i = 2; i < t.size(); i += 2) {
        if (i + 1 >= t.size()) return fail("missing value for " + t[i]);
        char* end = nullptr;
        double v = strtod(t[i + 1].c_str(), &end);
        if (*end || v <= 0) return fail("bad value " + t[i + 1]);
        if (t[i] == "timeout") cfg->ct_timeout_s = v;
        else if (t[i] == "size" && v >= 8 && v <= (1 << 24)) cfg->ct_size = uint32_t(v);
        else return fail("unknown conntrack option " + t[i]);
      }
      continue;
    }
    if (kw != "allow" && kw != "drop") return fail("unknown keyword " + kw);
    FwRule r;
    r.allow = kw == "allow";
    r.text = body;
    for (size_t i = 1; i < t.size(); i += 2) {
      if (i + 1 >= t.size()) return fail("missing value for " + t[i]);
      const std::string& k = t[i];
      const std::string& v = t[i + 1];
      if (k == "proto") {
        if (v == "any") r.proto = -1;
        else if (v == "tcp") r.proto = PROTO_TCP;
        else if (v == "udp") r.proto = PROTO_UDP;
        else if (v == "icmp") r.proto = PROTO_ICMP;
        else {
          char* end = nullptr;
          long n = strtol(v.c_str(), &end, 10);
          if (*end || n < 0 || n > 255) return fail("bad proto " + v);
          r.proto = int(n);
        }
      } else if (k == "src" || k == "dst") {
        uint32_t ip = 0;
        uint8_t len = 0;
        if (v != "any" && !parse_prefix(v.c_str(), &ip, &len)) return fail("bad prefix " + v);
        (k == "src" ? r.src : r.dst) = ip;
        (k == "src" ? r.src_len : r.dst_len) = len;
      } else if (k == "sport" || k == "dport") {
        if (!parse_port_range(v, k == "sport" ? &r.sport_lo : &r.dport_lo, k == "sport" ? &r.sport_hi : &r.dport_hi))
          return fail("bad port range " + v);
      } else {
        return fail("unknown field " + k);
      }
    }
    cfg->rules.push_back(r);
  }
  return true;
}

Firewall::~Firewall() {
  if (acl_) rte_acl_free(acl_);
  if (ct_) rte_hash_free(ct_);
}

bool Firewall::init(const FwConfig& cfg, const std::string& name, uint64_t tsc_hz, std::string* err) {
  cfg_ = cfg;
  hits_.assign(cfg.rules.size(), 0);
  ct_timeout_ = uint64_t(cfg.ct_timeout_s * double(tsc_hz));
  if (!cfg.rules.empty()) {
    rte_acl_param prm{};
    std::string an = name + "_acl";
    prm.name = an.c_str();
    prm.socket_id = SOCKET_ID_ANY;
    prm.rule_size = RTE_ACL_RULE_SZ(F_NUM);
    prm.max_rule_num = uint32_t(cfg.rules.size());
    acl_ = rte_acl_create(&prm);
    if (!acl_) { if (err) *err = "rte_acl_create failed"; return false; }
    std::vector<FwAclRule> rules(cfg.rules.size());
    for (size_t i = 0; i < cfg.rules.size(); i++) {
      const FwRule& r = cfg.rules[i];
      FwAclRule& a = rules[i];
      memset(&a, 0, sizeof a);
      a.data.category_mask = 1;
      a.data.priority = int32_t(RTE_ACL_MAX_PRIORITY - i);  // first rule wins
      a.data.userdata = uint32_t(i + 1);
      a.field[F_PROTO].value.u8 = r.proto < 0 ? 0 : uint8_t(r.proto);
      a.field[F_PROTO].mask_range.u8 = r.proto < 0 ? 0 : 0xFF;
      a.field[F_SRC].value.u32 = r.src;
      a.field[F_SRC].mask_range.u32 = r.src_len;
      a.field[F_DST].value.u32 = r.dst;
      a.field[F_DST].mask_range.u32 = r.dst_len;
      a.field[F_SPORT].value.u16 = r.sport_lo;
      a.field[F_SPORT].mask_range.u16 = r.sport_hi;
      a.field[F_DPORT].value.u16 = r.dport_lo;
      a.field[F_DPORT].mask_range.u16 = r.dport_hi;
    }
    int rc = rte_acl_add_rules(acl_, reinterpret_cast<const rte_acl_rule*>(rules.data()),
                               uint32_t(rules.size()));
    if (rc != 0) { if (err) *err = "rte_acl_add_rules failed: " + std::to_string(rc); return false; }
    rte_acl_config bc{};
    bc.num_categories = 1;
    bc.num_fields = F_NUM;
    memcpy(bc.defs, kDefs, sizeof kDefs);
    rc = rte_acl_build(acl_, &bc);
    if (rc != 0) { if (err) *err = "rte_acl_build failed: " + std::to_string(rc); return false; }
  }
  if (cfg.conntrack) {
    rte_hash_parameters hp{};
    std::string hn = name + "_ct";
    hp.name = hn.c_str();
    hp.entries = cfg.ct_size;
    hp.key_len = sizeof(CtKey);
    hp.hash_func = rte_hash_crc;
    hp.socket_id = SOCKET_ID_ANY;
    ct_ = rte_hash_create(&hp);
    if (!ct_) { if (err) *err = "rte_hash_create (conntrack) failed"; return false; }
    ct_seen_.assign(size_t(rte_hash_max_key_id(ct_)) + 1, 0);
  }
  return true;
}

uint32_t Firewall::ct_count() const { return ct_ ? uint32_t(rte_hash_count(ct_)) : 0; }

void Firewall::classify(uint8_t* const* frames, const uint32_t* lens, uint16_t n, uint8_t* allow,
                        uint64_t now, uint8_t* reason_out, int32_t* rule_out) {
  constexpr uint16_t kMax = 64;
  for (uint16_t base = 0; base < n; base += kMax) {
    const uint16_t cnt = uint16_t(n - base < kMax ? n - base : kMax);
    Pkt pk[kMax];
    AclKey keys[kMax];
    const uint8_t* kptr[kMax];
    uint16_t idx[kMax];
    uint32_t res[kMax];
    CtKey ck[kMax];
    const void* ckp[kMax];
    int32_t cpos[kMax];
    uint16_t cidx[kMax];
    uint16_t nk = 0, nc = 0;
    for (uint16_t j = 0; j < cnt; j++) {
      const uint16_t i = uint16_t(base + j);
      if (rule_out) rule_out[i] = -1;
      if (!parse(frames[i], lens[i], &pk[j])) {
        allow[i] = cfg_.nonip_allow ? 1 : 0;
        if (reason_out) reason_out[i] = FW_NONIP;
        stats_.nonip++;
        continue;
      }
      if (ct_ && pk[j].has_ports) {
        ck[nc] = ct_key(pk[j]);
        ckp[nc] = &ck[nc];
        cidx[nc++] = j;
      }
      allow[i] = 2;  // undecided
    }
    // Connection tracking first: an established flow passes whatever the rules say.
    if (nc) {
      rte_hash_lookup_bulk(ct_, ckp, nc, cpos);
      for (uint16_t c = 0; c < nc; c++) {
        const uint16_t i = uint16_t(base + cidx[c]);
        if (cpos[c] < 0) continue;
        uint64_t& seen = ct_seen_[size_t(cpos[c])];
        if (now - seen > ct_timeout_) {  // idled out
          rte_hash_del_key(ct_, &ck[c]);
          stats_.ct_expired++;
          continue;
        }
        seen = now;
        allow[i] = 1;
        if (reason_out) reason_out[i] = FW_CONNTRACK;
        stats_.ct_hits++;
      }
    }
    for (uint16_t j = 0; j < cnt; j++) {
      const uint16_t i = uint16_t(base + j);
      if (allow[i] != 2) continue;
      AclKey& k = keys[nk];
      k.proto = pk[j].proto;
      k.pad[0] = k.pad[1] = k.pad[2] = 0;
      k.src = rte_cpu_to_be_32(pk[j].src);
      k.dst = rte_cpu_to_be_32(pk[j].dst);
      k.sport = rte_cpu_to_be_16(pk[j].sport);
      k.dport = rte_cpu_to_be_16(pk[j].dport);
      kptr[nk] = reinterpret_cast<const uint8_t*>(&k);
      idx[nk++] = j;
    }
    if (nk) {
      if (acl_) rte_acl_classify(acl_, kptr, res, nk, 1);
      else memset(res, 0, sizeof(uint32_t) * nk);
    }
    for (uint16_t q = 0; q < nk; q++) {
      const uint16_t j = idx[q];
      const uint16_t i = uint16_t(base + j);
      bool ok;
      if (res[q] == 0) {
        ok = cfg_.default_allow;
        stats_.default_hits++;
        if (reason_out) reason_out[i] = FW_DEFAULT;
      } else {
        const uint32_t r = res[q] - 1;
        hits_[r]++;
        ok = cfg_.rules[r].allow;
        if (reason_out) reason_out[i] = FW_RULE;
        if (rule_out) rule_out[i] = int32_t(r);
      }
      if (ok && ct_ && pk[j].has_ports && res[q] != 0) {
        CtKey key = ct_key(pk[j]);
        int32_t pos = rte_hash_add_key(ct_, &key);
        if (pos >= 0) {
          ct_seen_[size_t(pos)] = now;
          stats_.ct_inserts++;
        } else {
          stats_.ct_full++;
        }
      }
      allow[i] = ok ? 1 : 0;
    }
  }
  for (uint16_t i = 0; i < n; i++) (allow[i] ? stats_.allowed : stats_.dropped)++;
}

uint32_t Firewall::expire(uint64_t now, uint32_t budget) {
  if (!ct_) return 0;
  uint32_t removed = 0;
  const void* key;
  void* data;
  for (uint32_t v = 0; v < budget; v++) {
    int32_t pos = rte_hash_iterate(ct_, &key, &data, &iter_);
    if (pos < 0) { iter_ = 0; break; }
    if (now - ct_seen_[size_t(pos)] > ct_timeout_) {
      CtKey k;
      memcpy(&k, key, sizeof k);
      rte_hash_del_key(ct_, &k);
      removed++;
    }
  }
  stats_.ct_expired += removed;
  return removed;
}

}  // namespace rvnf
