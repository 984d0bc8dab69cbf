import type { Logger } from 'pino';
import { statusOf } from '../../runtime/errors.ts';

/**
 * Which cluster this operator runs in, as the uid of its kube-system namespace: made once when
 * the cluster is made, the same for every operator in it, different in every other cluster
 * (two clusters may share namespace names, never that uid). The pending tag carries it so that
 * the janitor judges only its own cluster's keys. Read once; the value never changes.
 *
 * A refusal (403: RBAC without `get` on namespaces/kube-system; 404) is final: new keys keep
 * the tag without namespace and cluster, and the janitor judges nothing, as before it existed.
 * Any other failure is thrown, and the next call reads again.
 */
export class ClusterIdentity {
  private value: string | undefined;
  private settled = false;
  private inFlight: Promise<string | undefined> | undefined;

  constructor(private readonly opts: { read: () => Promise<{ metadata?: { uid?: string } }>; logger: Logger }) {}

  /** The identity if it was read already (undefined before, or after a refusal). */
  known(): string | undefined {
    return this.value;
  }

  async resolve(): Promise<string | undefined> {
    if (this.settled) return this.value;
    this.inFlight ??= this.readOnce().finally(() => {
      this.inFlight = undefined;
    });
    return this.inFlight;
  }

  private async readOnce(): Promise<string | undefined> {
    try {
      const ns = await this.opts.read();
      this.value = ns.metadata?.uid || undefined;
    } catch (err) {
      const status = statusOf(err);
      if (status !== 403 && status !== 404) throw err;
      this.opts.logger.error({ status }, 'cannot read namespace kube-system (RBAC: get on namespaces/kube-system): keys are tagged without their cluster, and tagged keys of resources lost during their create are not cleaned up');
    }
    this.settled = true;
    return this.value;
  }
}
