// The built-in NFs' logic classes (native/nfs/<nf>/<nf>.cc), exercised by native/build/test/nf_logic_test
// on byte-array frames in a private EAL: rte_acl firewall with conntrack, NAT with port pools and
// reverse mapping, Maglev load balancer, rte_lpm router with a Flowstream-style split table,
// Aho-Corasick payload scan. Each check compares against an independently computed expectation
// (checksums recomputed from scratch, brute-force string search, the unsplit routing table).
import test from 'ava';
import { buildTestPrograms, runProgram, NF_LOGIC_TEST } from '../vxlan/helpers.js';

interface Checks { checks: { name: string; ok: boolean; detail: string }[]; failed: number }

test.before(async () => {
  await buildTestPrograms();
});

const expected: Record<string, string[]> = {
  firewall: ['fw.classify_5tuple_prefix_ranges_first_match', 'fw.rule_hits', 'fw.batch_240', 'fw.ct_reply_allowed',
    'fw.ct_idle_expired', 'fw.20000_rules', 'fw.parse_bad_keyword', 'fw.parse_bad_prefix'],
  nat: ['nat.out_udp', 'nat.out_udp_checksums', 'nat.in_reverse', 'nat.in_no_mapping_dropped', 'nat.icmp_echo',
    'nat.pool_exhausted', 'nat.expire', 'nat.port_reused', 'nat.parse_bad'],
  lb: ['lb.maglev_balanced', 'lb.maglev_minimal_disruption', 'lb.vip_rewritten_consistently', 'lb.checksums',
    'lb.reply_source_is_vip', 'lb.table_size_must_be_prime'],
  lpm: ['lpm.longest_match', 'lpm.verdicts', 'lpm.ttl_decremented_checksum_ok', 'lpm.split_same_answers',
    'lpm.split_smaller_tables', 'lpm.wrong_shard', 'lpm.parse_undefined_hop'],
  scan: ['scan.find', 'scan.frames_drop', 'scan.alert_nocase', 'scan.random_crosscheck', 'scan.parse_unterminated'],
};

for (const [nf, names] of Object.entries(expected)) {
  test(`${nf} logic`, async (t) => {
    const r = await runProgram<Checks>(NF_LOGIC_TEST, nf, [], { allowFail: true, ealExtra: ['-m', '512'] });
    t.deepEqual(r.checks.filter((c) => !c.ok), [], 'every check passes');
    t.is(r.failed, 0);
    const ran = new Set(r.checks.map((c) => c.name));
    for (const n of names) t.true(ran.has(n), `check ${n} ran`);
  });
}
