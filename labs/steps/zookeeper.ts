// A private standalone ZooKeeper on loopback for the lab's cluster state.
import { join } from 'node:path';
import { fourLetter, startZooKeeper } from '../lib/zookeeper.js';
import type { LabStep } from '../lab/context.js';

export const zookeeper: LabStep = {
  name: 'zookeeper',
  title: 'start a private ZooKeeper (standalone, loopback, own data dir)',
  fix: 'see the log named above; is java installed (`java -version`)? if the port is taken, pass --zk-port 0',
  async up(ctx) {
    const dir = join(ctx.config.stateDir, 'zookeeper');
    const zk = await startZooKeeper({ dir, ledger: ctx.ledger, ...(ctx.config.zkPort ? { port: ctx.config.zkPort } : {}) });
    ctx.info.zookeeper = { port: zk.port, connectString: zk.connectString, dir };
    return `${zk.connectString} (pid ${zk.pid})`;
  },
  async status(ctx) {
    const zk = ctx.info.zookeeper;
    if (!zk) return [{ resource: 'zookeeper', health: 'fail', detail: 'not started' }];
    const ok = (await fourLetter(zk.port, 'ruok')) === 'imok';
    const mode = /Mode: (\w+)/.exec(await fourLetter(zk.port, 'srvr'))?.[1] ?? '?';
    return [{ resource: `zookeeper ${zk.connectString}`, health: ok ? 'ok' : 'fail', detail: ok ? `ruok → imok, mode ${mode}` : `no answer to ruok; log: ${zk.dir}/zookeeper.log` }];
  },
};
