import type { V1Secret } from '@kubernetes/client-node';
import type { Logger } from 'pino';
import { LEGACY_SECRET_FINALIZER } from '../../api/types.ts';
import type { Clock } from '../../runtime/clock.ts';
import type { SecretStore } from '../shared/ports.ts';

export interface LegacyFinalizerDeps {
  /** The managed Secrets' cache (metadata only); a Secret that arrives or changes carrying the finalizer is stripped at once. */
  secretCache: { list(): V1Secret[]; onChange(handler: (obj: V1Secret, kind: 'add' | 'update' | 'delete') => void): void };
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

  constructor(private readonly deps: LegacyFinalizerDeps) {
    deps.secretCache.onChange((secret, kind) => {
      if (this.running && kind !== 'delete' && this.carries(secret)) void this.strip(secret);
    });
  }

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
      if (this.carries(secret) && (await this.strip(secret))) stripped++;
    }
    if (stripped > 0) this.deps.logger.info({ stripped }, 'removed the finalizer of an earlier version from Secrets');
    if (this.running && this.deps.periodMs > 0) this.timer = this.deps.clock.setTimeout(() => void this.scan(), this.deps.periodMs);
    return stripped;
  }

  private carries(secret: V1Secret): boolean {
    return (secret.metadata?.finalizers ?? []).includes(LEGACY_SECRET_FINALIZER) && this.deps.inScope(secret.metadata?.namespace ?? '');
  }

  /** One JSON patch tested against the list read; a failure (a list changed since, say) waits for the next event or scan. */
  private async strip(secret: V1Secret): Promise<boolean> {
    try {
      await this.deps.secrets.removeFinalizer(secret, LEGACY_SECRET_FINALIZER);
      return true;
    } catch (err) {
      const where = { namespace: secret.metadata?.namespace, secret: secret.metadata?.name, err: (err as Error).message };
      this.deps.logger.warn(where, 'could not remove the finalizer of an earlier version from a Secret; retrying at the next scan');
      return false;
    }
  }
}
