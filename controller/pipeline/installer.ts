// Installs a compiled pipeline on one switch: read what the switch has (flow stats + group descriptions), diff,
// send the minimal change in ordered barrier-confirmed batches. The only I/O part of controller/pipeline/.
import type { OfMessage, OFPFlowStatsReply, OFPGroupDescStatsReply } from '../../openflow/index.js';
import type { SwitchHandle } from '../api.js';
import type { CompiledPipeline } from './compile.js';
import { diffToBatches, flowStatsRequest, fromFlowStats, fromGroupDesc, groupDescRequest } from './ofmsg.js';
import { diffPipeline, diffSize, type PipelineDiff, type ReconcileOptions, type SwitchPipelineState } from './reconcile.js';

export interface InstallResult {
  diff: PipelineDiff;
  /** number of flow_mod + group_mod messages sent */
  changes: number;
  /** true when the switch state was read (not taken from the cache) */
  readSwitch: boolean;
  ms: number;
}

export async function readPipelineState(sw: Pick<SwitchHandle, 'request'>): Promise<SwitchPipelineState> {
  const [flowReplies, groupReplies] = await Promise.all([sw.request(flowStatsRequest()), sw.request(groupDescRequest())]);
  const flows = flowReplies.flatMap((m: OfMessage) => (m.kind === 'OFPFlowStatsReply' ? (m as OFPFlowStatsReply).body : [])).map(fromFlowStats);
  const groups = groupReplies.flatMap((m: OfMessage) => (m.kind === 'OFPGroupDescStatsReply' ? (m as OFPGroupDescStatsReply).body : [])).map(fromGroupDesc);
  return { flows, groups };
}

/**
 * Keeps one switch in line with the desired pipeline. After a successful install the desired state is cached as
 * "what the switch has", so the next install diffs against memory (fast path, e.g. failover); the switch is read
 * again on the first install, after any error, and whenever `audit` is asked for.
 */
export class PipelineInstaller {
  private cache: SwitchPipelineState | null = null;
  private chain: Promise<unknown> = Promise.resolve();

  constructor(
    readonly sw: Pick<SwitchHandle, 'request' | 'sendBatch' | 'dpid'>,
    private readonly opts: ReconcileOptions & { timeoutMs?: number } = {},
  ) {}

  /** Forget the cache: the next install reads the switch. */
  invalidate(): void {
    this.cache = null;
  }

  /** Installs (serialised: concurrent calls run one after the other, each against the previous result). */
  install(desired: CompiledPipeline, opts: { audit?: boolean } = {}): Promise<InstallResult> {
    const run = this.chain.then(() => this.installNow(desired, opts.audit === true));
    this.chain = run.catch(() => undefined);
    return run;
  }

  private async installNow(desired: CompiledPipeline, audit: boolean): Promise<InstallResult> {
    const t0 = performance.now();
    const readSwitch = audit || this.cache === null;
    try {
      const current = readSwitch ? await readPipelineState(this.sw) : this.cache!;
      const want: SwitchPipelineState = { flows: desired.flows, groups: desired.groups };
      const diff = diffPipeline(want, current, this.opts);
      const batches = diffToBatches(diff);
      for (const b of batches) await this.sw.sendBatch(b, { barrier: true, ...(this.opts.timeoutMs ? { timeoutMs: this.opts.timeoutMs } : {}) });
      this.cache = want;
      return { diff, changes: diffSize(diff), readSwitch, ms: performance.now() - t0 };
    } catch (e) {
      this.cache = null;
      throw e;
    }
  }
}
