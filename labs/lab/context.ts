// What a lab step sees. Steps are small modules (labs/steps/*.ts) listed in labs/steps.ts; the lab
// runs them in order on `up`, asks each for its health on `status`, and tears everything down from
// the ledger on `down` (a step needs no down code if it records what it creates).
import type { Ledger } from '../lib/ledger.js';
import type { LabConfig } from './config.js';
import type { Topology } from './topology.js';

export interface LabInfo {
  topology: Topology;
  zookeeper?: { port: number; connectString: string; dir: string };
  ovs?: { dir: string; db: string };
  hugepages?: { dir: string };
  /** Free-form facts later steps publish (e.g. controller REST URL); shown by `lab status`. */
  extra: Record<string, string>;
}

export interface LabContext {
  readonly config: LabConfig;
  readonly ledger: Ledger;
  /** Persisted in the state file after every step. */
  readonly info: LabInfo;
  /** Names of the steps in this lab (e.g. fabric-check skips itself when a controller step exists). */
  readonly stepNames: readonly string[];
  log(msg: string): void;
}

export type Health = 'ok' | 'fail' | 'info';
export interface StatusLine { resource: string; health: Health; detail: string }

export interface LabStep {
  /** Short id, shown in progress lines. */
  name: string;
  /** One line: what it does. */
  title: string;
  /** How to fix the usual failure of this step (shown with the error). */
  fix: string;
  /** Does the work; returns a one-line detail for the progress line. */
  up(ctx: LabContext): Promise<string>;
  /** Health of what this step made. */
  status?(ctx: LabContext): Promise<StatusLine[]>;
  /** Lines for the live view of `lab run` (e.g. per-NF rates), printed every interval. */
  live?(ctx: LabContext): Promise<string[]>;
}
