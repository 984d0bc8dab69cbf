import type { V1Secret } from '@kubernetes/client-node';
import type { Logger } from 'pino';
import { LEGACY_SECRET_FINALIZER } from '../../api/types.ts';
import type { Clock } from '../../runtime/clock.ts';
import type { SecretStore } from '../shared/ports.ts';

export interface LegacyFinalizerDeps {
  /** The managed Secrets' cache (metadata only). */
  secretCache: { list(): V1Secret[] };
  secrets: Pick<SecretStore, 'removeFinalizer'>;
  inScope: (namespace: string) => boolean;
  clock: Clock;
  logger: Logger;
  /** How often the cache is scanned again (0: only at start). */
  periodMs: number;
}

/**
 * Takes LEGACY_SECRET_FINALIZER off every managed Secret that still carries it, whether or not
 * its resource exists: earlier versions made the Secret a record that had to outlive its
 * resource; this one records keys in status only, so no Secret may wait for the operator (an
 * uninstall must never leave Secrets that cannot be deleted). Nothing is judged and nothing in
 * Ops Manager is touched: a Secret names no key the operator acts on. The resource's own
 * reconcile strips its Secret too; this pass covers Secrets whose resource is gone.
 */
export class LegacySecretFinalizerStripper {
  private timer: unknown;
  private running = false;

  constructor(private readonly deps: LegacyFinalizerDeps) {}

  start(): void {
    this.running = true;
    void this.scan();
  }

  stop(): Promise<void> {
    this.running = false;
    if (this.timer !== undefined) this.deps.clock.clearTimeout(this.timer);
    this.timer = undefined;
    return Promise.resolve();
  }

  /** One pass over the cache; failures are logged and retried at the next pass. Returns how many were stripped. */
  async scan(): Promise<number> {
    let stripped = 0;
    for (const secret of this.deps.secretCache.list()) {
      if (!this.running) break;
      const ns = secret.metadata?.namespace ?? '';
      if (!(secret.metadata?.finalizers ?? []).includes(LEGACY_SECRET_FINALIZER) || !this.deps.inScope(ns)) continue;
      try {
        await this.deps.secrets.removeFinalizer(secret, LEGACY_SECRET_FINALIZER);
        stripped++;
      } catch (err) {
        this.deps.logger.warn({ namespace: ns, secret: secret.metadata?.name, err: (err as Error).message }, 'could not remove the finalizer of an earlier version from a Secret; retrying at the next scan');
      }
    }
    if (stripped > 0) this.deps.logger.info({ stripped }, 'removed the finalizer of an earlier version from Secrets');
    if (this.running && this.deps.periodMs > 0) this.timer = this.deps.clock.setTimeout(() => void this.scan(), this.deps.periodMs);
    return stripped;
  }
}
