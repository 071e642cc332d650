// The renderer of a service's REST firewall rules into the native firewall's rules file
// (host/firewall-rules.ts) against what the NF's parser accepts (native/nfs/firewall fw_parse: keyword
// lines, `key value` pairs, proto names or 0..255, IPv4 prefixes, single ports). The same text running in
// a real firewall NF is tested in firewall-config.test.ts.
import test from 'ava';
import { firewallRuleLine, renderFirewallRules } from '../../host/firewall-rules.js';
import { parseRule } from '../../cli/commands/api-client.js';
import type { FirewallConfig, FirewallRuleRecord } from '../../cluster/schemas.js';

/** fw_parse's grammar, line by line (native/nfs/firewall/firewall.cc): returns the error or null. */
function nfParseError(text: string): string | null {
  const lines = text.split('\n');
  for (let n = 0; n < lines.length; n++) {
    const t = lines[n].replace(/#.*/, '').trim().split(/\s+/).filter(Boolean);
    if (!t.length) continue;
    const bad = (m: string): string => `line ${n + 1}: ${m}`;
    if (t[0] === 'default' || t[0] === 'nonip') { if (t.length !== 2 || !['allow', 'drop'].includes(t[1])) return bad('allow|drop'); continue; }
    if (t[0] === 'conntrack') { if (t.length !== 2 || !['on', 'off'].includes(t[1])) return bad('on|off'); continue; }
    if (t[0] !== 'allow' && t[0] !== 'drop') return bad(`keyword ${t[0]}`);
    for (let i = 1; i < t.length; i += 2) {
      const [k, v] = [t[i], t[i + 1]];
      if (v === undefined) return bad(`missing value for ${k}`);
      if (k === 'proto') { if (!['any', 'tcp', 'udp', 'icmp'].includes(v) && !(/^\d+$/.test(v) && Number(v) <= 255)) return bad(`proto ${v}`); }
      else if (k === 'src' || k === 'dst') {
        const m = /^(\d+)\.(\d+)\.(\d+)\.(\d+)(?:\/(\d+))?$/.exec(v);
        if (v !== 'any' && (!m || m.slice(1, 5).some((o) => Number(o) > 255) || Number(m[5] ?? 32) > 32)) return bad(`prefix ${v}`);
      } else if (k === 'sport' || k === 'dport') { if (!/^\d+$/.test(v) || Number(v) > 65535) return bad(`port ${v}`); }
      else return bad(`field ${k}`);
    }
  }
  return null;
}

test('rules in the NF\'s words, the lines its own parser test accepts', (t) => {
  t.is(firewallRuleLine({ action: 'drop', ipProto: 6, ipSrc: '10.1.2.0/24', tpDst: 22 }), 'drop proto tcp src 10.1.2.0/24 dport 22');
  t.is(firewallRuleLine({ action: 'allow', ipProto: 6, ipDst: '10.9.0.0/16', tpDst: 22 }), 'allow proto tcp dst 10.9.0.0/16 dport 22');
  t.is(firewallRuleLine({ action: 'allow', ipProto: 1 }), 'allow proto icmp');
  t.is(firewallRuleLine({ action: 'drop', ipProto: 17, ipSrc: '10.0.0.1', ipDst: '10.0.0.2', tpSrc: 1000, tpDst: 53 }), 'drop proto udp src 10.0.0.1 dst 10.0.0.2 sport 1000 dport 53');
  t.is(firewallRuleLine({ action: 'drop', ipProto: 47 }), 'drop proto 47');
  t.is(firewallRuleLine({ action: 'allow' }), 'allow');
});

test('the whole file: default, nonip, conntrack from stateless, rules in order; accepted by the parser grammar', (t) => {
  const fw: FirewallConfig = {
    rules: [{ action: 'drop', ipProto: 17, tpDst: 53 }, { action: 'allow', ipSrc: '10.0.0.0/8' }],
    defaultAction: 'drop', stateless: true, offload: false,
  };
  const text = renderFirewallRules(fw);
  t.deepEqual(text.split('\n').filter((l) => l && !l.startsWith('#')), ['default drop', 'nonip allow', 'conntrack off', 'drop proto udp dport 53', 'allow src 10.0.0.0/8']);
  t.true(text.endsWith('\n'));
  t.is(nfParseError(text), null);
  t.regex(renderFirewallRules({ ...fw, stateless: false }), /^conntrack on$/m);
  t.regex(renderFirewallRules({ ...fw, rules: [], defaultAction: 'allow' }), /^default allow$/m);
  t.is(nfParseError(renderFirewallRules({ ...fw, rules: [] })), null);
  // the checker itself refuses what fw_parse refuses
  t.truthy(nfParseError('drop src 10.0.0.0/33'));
  t.truthy(nfParseError('drop dport'));
  t.truthy(nfParseError('frobnicate'));
});

test('round trip with the CLI\'s parser of the same words (rackvisor services firewall --rule)', (t) => {
  const rules: FirewallRuleRecord[] = [
    { action: 'drop', ipProto: 17, tpDst: 53 },
    { action: 'allow', ipProto: 6, ipSrc: '192.168.1.7', ipDst: '10.0.0.0/8', tpSrc: 1024, tpDst: 443 },
    { action: 'drop', ipProto: 132 },
    { action: 'allow' },
  ];
  for (const r of rules) t.deepEqual(parseRule(firewallRuleLine(r)), r as unknown as Record<string, unknown>);
});

test('values the NF would refuse or misread are refused (no token injection into the file)', (t) => {
  const bad: Array<[FirewallRuleRecord, RegExp]> = [
    [{ action: 'drop', ipSrc: '10.0.0.1 dport 5' }, /src .* is not an IPv4/],
    [{ action: 'drop', ipDst: '10.0.0.0/33' }, /dst .* is not an IPv4/],
    [{ action: 'drop', ipSrc: '10.0.0.256' }, /not an IPv4/],
    [{ action: 'drop', ipSrc: '10.0.0.1\nallow' }, /not an IPv4/],
    [{ action: 'drop', ipProto: 256 }, /ipProto 256/],
    [{ action: 'drop', ipProto: 6, tpDst: 70000 }, /dport 70000/],
    [{ action: 'drop', tpDst: 53 }, /dport needs ipProto 6 \(TCP\) or 17 \(UDP\)/],
    [{ action: 'drop', ipProto: 1, tpSrc: 8 }, /sport needs ipProto/],
    [{ action: 'reject' as 'drop' }, /action reject/],
  ];
  for (const [r, m] of bad) t.throws(() => firewallRuleLine(r), { message: m }, JSON.stringify(r));
  t.throws(() => renderFirewallRules({ rules: [], defaultAction: 'deny' as 'drop', stateless: true, offload: false }), { message: /defaultAction deny/ });
});
