// A firewall service's REST configuration (cluster/schemas.ts FirewallConfig, set with
// PUT /api/v1/services/{name}) rendered into the rules file of the native firewall NF
// (native/nfs/firewall/firewall.h: `default`, `nonip`, `conntrack`, `allow|drop [proto ..] [src ..]
// [dst ..] [sport ..] [dport ..]`, first match wins). The host agent writes it for every firewall
// instance it starts and on every change of the service's configuration (host/agent.ts).
import type { FirewallConfig, FirewallRuleRecord } from '../cluster/schemas.js';

const PROTO_NAMES: Readonly<Record<number, string>> = { 1: 'icmp', 6: 'tcp', 17: 'udp' };
const OCTET = '(25[0-5]|2[0-4][0-9]|1?[0-9]?[0-9])';
const PREFIX = new RegExp(`^(${OCTET}\\.){3}${OCTET}(/([0-9]|[12][0-9]|3[0-2]))?$`);

const isInt = (v: unknown, max: number): v is number => typeof v === 'number' && Number.isInteger(v) && v >= 0 && v <= max;

/** One rule in the firewall's words (`drop proto udp src 10.0.0.0/8 dport 53`); throws on a value the NF would refuse
 *  or misread (so nothing but a well-formed token ever reaches the file). */
export function firewallRuleLine(r: FirewallRuleRecord): string {
  if (r.action !== 'allow' && r.action !== 'drop') throw new Error(`firewall rule: action ${String(r.action)} is not allow|drop`);
  const w: string[] = [r.action];
  if (r.ipProto !== undefined && r.ipProto !== null) {
    if (!isInt(r.ipProto, 255)) throw new Error(`firewall rule: ipProto ${String(r.ipProto)} is not 0..255`);
    w.push('proto', PROTO_NAMES[r.ipProto] ?? String(r.ipProto));
  }
  for (const [word, v] of [['src', r.ipSrc], ['dst', r.ipDst]] as const) {
    if (v === undefined || v === null) continue;
    if (typeof v !== 'string' || !PREFIX.test(v)) throw new Error(`firewall rule: ${word} ${String(v)} is not an IPv4 address or prefix`);
    w.push(word, v);
  }
  for (const [word, v] of [['sport', r.tpSrc], ['dport', r.tpDst]] as const) {
    if (v === undefined || v === null) continue;
    if (!isInt(v, 65535)) throw new Error(`firewall rule: ${word} ${String(v)} is not 0..65535`);
    if (r.ipProto !== 6 && r.ipProto !== 17) throw new Error(`firewall rule: ${word} needs ipProto 6 (TCP) or 17 (UDP)`);
    w.push(word, String(v));
  }
  return w.join(' ');
}

/** The whole rules file. Non-IPv4 frames are outside the REST rule model (chains steer IPv4 only): they pass
 *  (`nonip allow`), as with the NF's own default. `stateless: false` turns connection tracking on. */
export function renderFirewallRules(fw: FirewallConfig): string {
  if (fw.defaultAction !== 'allow' && fw.defaultAction !== 'drop') throw new Error(`firewall: defaultAction ${String(fw.defaultAction)} is not allow|drop`);
  const lines = [
    '# rendered by the rackvisor host agent from the service\'s config.firewall (REST)',
    `default ${fw.defaultAction}`,
    'nonip allow',
    `conntrack ${fw.stateless === false ? 'on' : 'off'}`,
    ...fw.rules.map(firewallRuleLine),
  ];
  return lines.join('\n') + '\n';
}
