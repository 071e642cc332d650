// A private hugetlbfs mount for the host managers (DPDK --huge-dir), recorded and unmounted on down.
import { join } from 'node:path';
import { hugepageStats, mountHugetlbfs } from '../lib/hugepages.js';
import { isMounted } from '../lib/ledger.js';
import type { LabStep } from '../lab/context.js';

export const hugepages: LabStep = {
  name: 'hugepages',
  title: 'mount a private hugetlbfs for the host managers',
  fix: 'reserve hugepages (`echo 512 > /proc/sys/vm/nr_hugepages`) and check `mount -t hugetlbfs`',
  async up(ctx) {
    const dir = join(ctx.config.stateDir, 'hugepages');
    await mountHugetlbfs(dir, ctx.ledger);
    ctx.info.hugepages = { dir };
    const hp = hugepageStats();
    return `${dir} (${hp.free}/${hp.total} pages free)`;
  },
  async status(ctx) {
    const h = ctx.info.hugepages;
    if (!h) return [{ resource: 'hugetlbfs', health: 'fail', detail: 'not mounted' }];
    const ok = isMounted(h.dir);
    const hp = hugepageStats();
    return [{ resource: `hugetlbfs ${h.dir}`, health: ok ? 'ok' : 'fail', detail: ok ? `mounted, ${hp.free}/${hp.total} pages free` : 'not mounted' }];
  },
};
