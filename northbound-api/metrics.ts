// Prometheus metrics (prom-client), one Registry per app (no global state, so several apps can live
// in one process, e.g. in tests). OpenFlow and NF figures are pulled from the MetricsFeed at scrape
// time; API latency is observed per request, labelled by the OpenAPI route template.
import client from 'prom-client';
import type { MetricsFeed } from './ports.js';

export interface ApiMetrics {
  registry: client.Registry;
  observeRequest(method: string, route: string, status: number, seconds: number): void;
}

export function createMetrics(feed: MetricsFeed | undefined, opts: { defaultMetrics?: boolean } = {}): ApiMetrics {
  const registry = new client.Registry();
  if (opts.defaultMetrics !== false) client.collectDefaultMetrics({ register: registry, prefix: 'rackvisor_api_' });

  const latency = new client.Histogram({
    name: 'rackvisor_api_request_duration_seconds',
    help: 'Northbound API request latency by method, route template and status',
    labelNames: ['method', 'route', 'status'] as const,
    buckets: [0.001, 0.0025, 0.005, 0.01, 0.025, 0.05, 0.1, 0.25, 0.5, 1, 2.5, 5, 10],
    registers: [registry],
  });

  new client.Counter({
    name: 'rackvisor_openflow_messages_total',
    help: 'OpenFlow messages exchanged with switches, by direction (in = from switch) and message type',
    labelNames: ['direction', 'type'] as const,
    registers: [registry],
    collect() {
      const counts = feed?.ofMessages?.();
      this.reset();
      if (!counts) return;
      for (const [type, n] of Object.entries(counts.in)) this.inc({ direction: 'in', type }, n);
      for (const [type, n] of Object.entries(counts.out)) this.inc({ direction: 'out', type }, n);
    },
  });

  new client.Gauge({
    name: 'rackvisor_openflow_sessions',
    help: 'Connected OpenFlow switch sessions',
    registers: [registry],
    collect() {
      this.set(feed?.ofSessions?.() ?? 0);
    },
  });

  new client.Gauge({
    name: 'rackvisor_nf_packets_per_second',
    help: 'Per NF instance packet rate as last published by its host agent',
    labelNames: ['host', 'instance', 'service'] as const,
    registers: [registry],
    async collect() {
      this.reset();
      for (const s of (await feed?.nfRates?.()) ?? []) this.set({ host: s.host, instance: s.instance, service: s.service }, s.pps);
    },
  });

  new client.Gauge({
    name: 'rackvisor_nf_packets',
    help: 'Per NF instance packet counters (rx, tx, drop) as last published by its host agent',
    labelNames: ['host', 'instance', 'service', 'direction'] as const,
    registers: [registry],
    async collect() {
      this.reset();
      for (const s of (await feed?.nfRates?.()) ?? []) {
        const l = { host: s.host, instance: s.instance, service: s.service };
        this.set({ ...l, direction: 'rx' }, s.rxPkts);
        this.set({ ...l, direction: 'tx' }, s.txPkts);
        this.set({ ...l, direction: 'drop' }, s.dropPkts);
      }
    },
  });

  new client.Gauge({
    name: 'rackvisor_nf_ring_fill',
    help: 'Per NF instance RX ring occupancy (0..1)',
    labelNames: ['host', 'instance', 'service'] as const,
    registers: [registry],
    async collect() {
      this.reset();
      for (const s of (await feed?.nfRates?.()) ?? []) this.set({ host: s.host, instance: s.instance, service: s.service }, s.ringFill);
    },
  });

  return {
    registry,
    observeRequest(method, route, status, seconds) {
      latency.observe({ method, route, status: String(status) }, seconds);
    },
  };
}
