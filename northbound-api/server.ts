// startApi: listen and serve the northbound app. Used by `rackvisor controller --api-port P`.
import { randomBytes } from 'node:crypto';
import type { AddressInfo } from 'node:net';
import type { Server } from 'node:http';
import { createApp, type ApiOptions } from './app.js';
import type { ApiDeps } from './ports.js';

export interface StartApiOptions extends ApiOptions, ApiDeps {
  port: number;
  host?: string;
}

export interface RunningApi {
  url: string;
  port: number;
  /** The bearer token in force (generated when none was given nor in RACKVISOR_API_TOKEN). */
  token: string;
  tokenGenerated: boolean;
  server: Server;
  close(): Promise<void>;
}

export async function startApi(opts: StartApiOptions): Promise<RunningApi> {
  const envToken = process.env.RACKVISOR_API_TOKEN;
  const given = opts.token ?? (envToken && envToken.length > 0 ? envToken : undefined);
  const token = given ?? randomBytes(24).toString('base64url');
  const { switches, cluster, pipeline, scaling, metrics, port, host = '127.0.0.1', ...rest } = opts;
  const app = createApp({ switches, cluster, pipeline, scaling, metrics }, { ...rest, token });
  const server = await new Promise<Server>((resolve, reject) => {
    const s = app.listen(port, host, (err?: Error) => {
      if (err) reject(err);
      else resolve(s);
    });
    s.once('error', reject);
  });
  const addr = server.address() as AddressInfo;
  const shownHost = addr.family === 'IPv6' ? `[${addr.address}]` : addr.address;
  return {
    url: `http://${shownHost}:${addr.port}`,
    port: addr.port,
    token,
    tokenGenerated: given === undefined,
    server,
    close: () =>
      new Promise<void>((resolve, reject) => {
        server.closeAllConnections?.();
        server.close((err) => (err ? reject(err) : resolve()));
      }),
  };
}
