// A small client of the controller's northbound REST API, used by the lab's demo step and by the end-to-end tests
// (they drive the platform through REST only). Errors carry the status and the problem+json detail.
export class RestError extends Error {
  constructor(readonly status: number, message: string) { super(message); }
}

export class RestClient {
  constructor(readonly base: string, readonly token?: string) {}

  async call<T = unknown>(method: string, path: string, body?: unknown, opts: { timeoutMs?: number } = {}): Promise<T> {
    const headers: Record<string, string> = { accept: 'application/json' };
    if (this.token) headers.authorization = `Bearer ${this.token}`;
    if (body !== undefined) headers['content-type'] = 'application/json';
    let res: Response;
    try {
      res = await fetch(this.base + path, { method, headers, body: body === undefined ? undefined : JSON.stringify(body), signal: AbortSignal.timeout(opts.timeoutMs ?? 10_000) });
    } catch (e) {
      throw new RestError(0, `${method} ${this.base}${path}: ${(e as Error).message}`);
    }
    const text = await res.text();
    let json: unknown = undefined;
    try { json = text ? JSON.parse(text) : undefined; } catch { json = text; }
    if (!res.ok) {
      const p = json as { title?: string; detail?: string } | undefined;
      throw new RestError(res.status, `${method} ${path}: ${res.status} ${p?.title ?? res.statusText}: ${p?.detail ?? text}`);
    }
    return json as T;
  }

  get<T = unknown>(path: string): Promise<T> { return this.call<T>('GET', path); }
  post<T = unknown>(path: string, body: unknown): Promise<T> { return this.call<T>('POST', path, body); }
  put<T = unknown>(path: string, body: unknown): Promise<T> { return this.call<T>('PUT', path, body); }
  delete<T = unknown>(path: string): Promise<T> { return this.call<T>('DELETE', path); }

  /** Creates (POST) or, if it exists (409), replaces (PUT) a named resource under a collection. */
  async upsert<T = unknown>(collection: string, name: string, body: unknown): Promise<T> {
    try { return await this.post<T>(collection, body); } catch (e) {
      if (e instanceof RestError && e.status === 409) return this.put<T>(`${collection}/${encodeURIComponent(name)}`, body);
      throw e;
    }
  }
}

/** Shapes of the /api/v1 answers the lab reads (see openapi.yaml). */
export interface ApiInstance { id: string; service: string; serviceId: number; host: string; index: number; state: string; pid?: number; startedAt: number }
export interface ApiInstanceStats { host: string; instance: string; service: string; t: number; seq: number; rxPkts: number; txPkts: number; dropPkts: number; rxBytes: number; txBytes: number; pps: number; ringFill: number }
export interface ApiHost { id: string; mac: string; tunnelIp: string; switch: { dpid: string; port: number } }
export interface ApiSwitch { dpid: string; role?: string | null; ports: unknown[] }
export interface ApiChain { name: string; tenant: string; services: string[]; match: Record<string, unknown>; pathId?: number }
