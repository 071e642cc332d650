#include <cstring>
#include "../nfs/firewall/firewall.h"
#include "../nfs/nf_pkt.h"
#include "tests_nf.h"

using namespace rvnf;

namespace {
struct Run {
  std::vector<uint8_t> allow;
  std::vector<uint8_t> reason;
  std::vector<int32_t> rule;
};
Run run(Firewall& fw, std::vector<Frame>& frames, uint64_t now) {
  std::vector<uint8_t*> d;
  std::vector<uint32_t> l;
  for (auto& f : frames) { d.push_back(f.data()); l.push_back(uint32_t(f.size())); }
  Run r;
  r.allow.resize(frames.size());
  r.reason.resize(frames.size());
  r.rule.resize(frames.size());
  fw.classify(d.data(), l.data(), uint16_t(frames.size()), r.allow.data(), now, r.reason.data(), r.rule.data());
  return r;
}
}  // namespace

void test_firewall() {
  std::string err;
  FwConfig bad;
  check("fw.parse_bad_keyword", !fw_parse("allow proto tcp\nfrobnicate\n", &bad, &err) && err.find("line 2") == 0, err);
  check("fw.parse_bad_prefix", !fw_parse("drop src 10.0.0.0/33", &bad, &err), err);
  check("fw.parse_bad_range", !fw_parse("drop dport 90-80", &bad, &err), err);
  check("fw.parse_bad_proto", !fw_parse("drop proto 300", &bad, &err), err);
  check("fw.parse_missing_value", !fw_parse("drop dport", &bad, &err), err);

  const char* rules =
      "# test policy\n"
      "default drop\n"
      "nonip allow\n"
      "drop proto tcp src 10.1.2.0/24 dport 22          # ssh from a bad subnet\n"
      "allow proto tcp dst 10.9.0.0/16 dport 22\n"
      "allow proto udp src 10.0.0.0/8 dport 5000-5010\n"
      "allow proto icmp\n"
      "allow proto tcp src 192.168.1.7 sport 1024-65535 dport 443\n";
  FwConfig cfg;
  bool ok = fw_parse(rules, &cfg, &err);
  check("fw.parse", ok && cfg.rules.size() == 5 && !cfg.default_allow && cfg.nonip_allow, err);
  Firewall fw;
  check("fw.init", fw.init(cfg, "t_fw1", 1000, &err), err);
  std::vector<Frame> fr = {
      make_frame(PROTO_TCP, "10.1.2.3", 40000, "10.9.1.1", 22),    // 0 rule0 drop (first match)
      make_frame(PROTO_TCP, "10.1.3.3", 40000, "10.9.1.1", 22),    // 1 rule1 allow
      make_frame(PROTO_TCP, "10.1.3.3", 40000, "10.8.1.1", 22),    // 2 default drop
      make_frame(PROTO_UDP, "10.200.0.1", 1234, "8.8.8.8", 5000),  // 3 rule2 allow (lo edge)
      make_frame(PROTO_UDP, "10.200.0.1", 1234, "8.8.8.8", 5010),  // 4 rule2 allow (hi edge)
      make_frame(PROTO_UDP, "10.200.0.1", 1234, "8.8.8.8", 5011),  // 5 default drop
      make_frame(PROTO_UDP, "11.0.0.1", 1234, "8.8.8.8", 5005),    // 6 default drop (src outside /8)
      make_frame(PROTO_ICMP, "1.2.3.4", 7, "5.6.7.8", 0),          // 7 rule3 allow
      make_frame(PROTO_TCP, "192.168.1.7", 1024, "1.1.1.1", 443),  // 8 rule4 allow
      make_frame(PROTO_TCP, "192.168.1.7", 1023, "1.1.1.1", 443),  // 9 default drop (sport)
      make_frame(PROTO_TCP, "192.168.1.8", 2000, "1.1.1.1", 443),  // 10 default drop (host)
  };
  Frame arp(42, 0);
  arp[12] = 0x08; arp[13] = 0x06;
  fr.push_back(arp);                                               // 11 non-IP allow
  Run r = run(fw, fr, 1);
  const uint8_t want_allow[] = {0, 1, 0, 1, 1, 0, 0, 1, 1, 0, 0, 1};
  const int32_t want_rule[] = {0, 1, -1, 2, 2, -1, -1, 3, 4, -1, -1, -1};
  int wrong = 0;
  std::string det;
  for (size_t i = 0; i < fr.size(); i++) {
    if (r.allow[i] != want_allow[i] || r.rule[i] != want_rule[i]) {
      wrong++;
      det += "#" + std::to_string(i) + " allow=" + std::to_string(r.allow[i]) + " rule=" + std::to_string(r.rule[i]) + " ";
    }
  }
  check("fw.classify_5tuple_prefix_ranges_first_match", wrong == 0, det);
  const auto& h = fw.rule_hits();
  check("fw.rule_hits", h.size() == 5 && h[0] == 1 && h[1] == 1 && h[2] == 2 && h[3] == 1 && h[4] == 1);
  check("fw.stats", fw.stats().allowed == 6 && fw.stats().dropped == 6 && fw.stats().default_hits == 5 && fw.stats().nonip == 1);

  // a big batch (> 64, several classify chunks) gives the same answers
  std::vector<Frame> big;
  for (int k = 0; k < 20; k++) for (auto& f : fr) big.push_back(f);
  Run rb = run(fw, big, 2);
  int wb = 0;
  for (size_t i = 0; i < big.size(); i++) if (rb.allow[i] != want_allow[i % fr.size()]) wb++;
  check("fw.batch_240", wb == 0, std::to_string(wb));

  // connection tracking: outbound allowed by a rule → the reply passes although the rules drop it
  FwConfig ct;
  ok = fw_parse("default drop\nconntrack on timeout 5 size 1024\nallow proto tcp src 10.0.0.0/8 dport 80\n", &ct, &err);
  Firewall f2;
  check("fw.ct_init", ok && f2.init(ct, "t_fw2", 1000, &err), err);
  std::vector<Frame> reply = {make_frame(PROTO_TCP, "93.184.216.34", 80, "10.0.0.5", 33333)};
  std::vector<Frame> out = {make_frame(PROTO_TCP, "10.0.0.5", 33333, "93.184.216.34", 80)};
  Run a = run(f2, reply, 1000);
  check("fw.ct_reply_before_dropped", a.allow[0] == 0);
  Run b = run(f2, out, 1000);
  check("fw.ct_out_allowed", b.allow[0] == 1 && f2.ct_count() == 1);
  Run c = run(f2, reply, 2000);
  check("fw.ct_reply_allowed", c.allow[0] == 1 && c.reason[0] == FW_CONNTRACK);
  // idle 5 s (5000 ticks at hz=1000) → expired
  Run d = run(f2, reply, 2000 + 5001);
  check("fw.ct_idle_expired", d.allow[0] == 0 && f2.stats().ct_expired == 1);
  run(f2, out, 10000);
  check("fw.ct_expire_sweep", f2.ct_count() == 1 && f2.expire(20000, 100) == 1 && f2.ct_count() == 0);

  // empty policy: everything passes
  Firewall f3;
  FwConfig empty;
  check("fw.empty_policy", f3.init(empty, "t_fw3", 1000, &err) && run(f3, fr, 1).allow == std::vector<uint8_t>(fr.size(), 1));

  // 20000 rules build and still classify right (last rule reachable)
  std::string many = "default drop\n";
  for (int i = 0; i < 20000; i++) {
    char line[96];
    snprintf(line, sizeof line, "allow proto udp src 172.%d.%d.0/24 dport %d\n", 16 + (i >> 8) % 16, i & 255, 1000 + i % 500);
    many += line;
  }
  FwConfig mc;
  Firewall f4;
  ok = fw_parse(many, &mc, &err) && f4.init(mc, "t_fw4", 1000, &err);
  int last = 19999;
  char src[32];
  snprintf(src, sizeof src, "172.%d.%d.9", 16 + (last >> 8) % 16, last & 255);
  std::vector<Frame> mf = {make_frame(PROTO_UDP, src, 1, "1.1.1.1", uint16_t(1000 + last % 500)),
                           make_frame(PROTO_UDP, src, 1, "1.1.1.1", uint16_t(1000 + (last + 1) % 500))};
  Run rm = run(f4, mf, 1);
  check("fw.20000_rules", ok && rm.allow[0] == 1 && rm.allow[1] == 0, err);
}
