// The OpenFlow channel over TLS (self-signed CA, server and switch certificates made with openssl; mutual TLS
// rejects a switch without a certificate), and `rackvisor controller` as a process: it prints switch
// connect/disconnect lines and stops on SIGTERM.
import test from 'ava';
import { spawn } from 'node:child_process';
import { mkdtempSync, readFileSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { execFileSync } from 'node:child_process';
import { Controller } from '../../controller/index.js';
import { freePort } from '../../labs/lib/ports.js';
import { FakeSwitch } from './helpers/fake-switch.js';

function makePki(dir: string): void {
  const ossl = (...args: string[]): void => { execFileSync('openssl', args, { cwd: dir, stdio: 'ignore' }); };
  ossl('req', '-x509', '-newkey', 'rsa:2048', '-nodes', '-keyout', 'ca.key', '-out', 'ca.pem', '-days', '2', '-subj', '/CN=rackvisor-test-ca');
  for (const name of ['ctrl', 'switch']) {
    ossl('req', '-newkey', 'rsa:2048', '-nodes', '-keyout', `${name}.key`, '-out', `${name}.csr`, '-subj', `/CN=${name === 'ctrl' ? 'localhost' : 'switch1'}`);
    ossl('x509', '-req', '-in', `${name}.csr`, '-CA', 'ca.pem', '-CAkey', 'ca.key', '-CAcreateserial', '-out', `${name}.pem`, '-days', '2');
  }
}

test('TLS channel with mutual authentication: a certified switch comes up, one without a certificate does not', async (t) => {
  const dir = mkdtempSync(join(tmpdir(), 'rvc-tls-'));
  t.teardown(() => rmSync(dir, { recursive: true, force: true }));
  makePki(dir);
  const f = (n: string): Buffer => readFileSync(join(dir, n));
  const ctrl = new Controller({ host: '127.0.0.1', port: 0, log: () => undefined, tls: { cert: f('ctrl.pem'), key: f('ctrl.key'), ca: f('ca.pem') } });
  await ctrl.start();
  try {
    const up = ctrl.waitFor('switch-up', (s) => s.dpid === 9n);
    const sw = new FakeSwitch({ port: ctrl.port, dpid: 9n, tls: { ca: f('ca.pem'), cert: f('switch.pem'), key: f('switch.key'), servername: 'localhost' } });
    await up;
    const parts = await ctrl.session(9n)!.request({ kind: 'OFPPortDescStatsRequest', flags: 0 });
    t.is(parts[0].kind, 'OFPPortDescStatsReply');
    sw.close();
    const anon = new FakeSwitch({ port: ctrl.port, dpid: 10n, tls: { ca: f('ca.pem'), servername: 'localhost' } });
    await anon.waitClosed(5000);
    t.is(ctrl.session(10n), undefined);
  } finally {
    await ctrl.stop();
  }
});

test('rackvisor controller prints switch connect/disconnect and exits on SIGTERM', async (t) => {
  const port = await freePort();
  const child = spawn(process.execPath, ['--import', 'tsx', 'cli/main.ts', 'controller', '--listen', `127.0.0.1:${port}`], { cwd: join(import.meta.dirname, '..', '..'), stdio: ['ignore', 'pipe', 'pipe'] });
  t.teardown(() => { if (child.exitCode === null) child.kill('SIGKILL'); });
  let out = '';
  child.stdout.on('data', (d: Buffer) => { out += d.toString(); });
  child.stderr.on('data', (d: Buffer) => { out += d.toString(); });
  const waitOut = async (re: RegExp, ms = 20_000): Promise<void> => {
    const end = Date.now() + ms;
    while (!re.test(out)) {
      if (Date.now() > end || child.exitCode !== null) throw new Error(`no ${re} in output: ${out}`);
      await new Promise((r) => setTimeout(r, 50));
    }
  };
  await waitOut(/OpenFlow 1\.3 TCP on 127\.0\.0\.1:\d+, L2 learning app \(no ZooKeeper: plain OpenFlow controller\)/);
  const sw = new FakeSwitch({ port, dpid: 0x42n });
  await waitOut(/switch 0000000000000042 connected from 127\.0\.0\.1:\d+ \(2 ports/);
  await sw.next((m) => m.type === 14); // the L2 app's table-miss flow
  sw.close();
  await waitOut(/switch 0000000000000042 disconnected: connection closed by the switch/);
  const exited = new Promise<number | null>((r) => child.once('exit', (code) => r(code)));
  child.kill('SIGTERM');
  t.is(await exited, 0);
});
