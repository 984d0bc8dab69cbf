import type { V1Lease } from '@kubernetes/client-node';
import type { LeaseClient } from '../../src/runtime/leader-election.ts';

/** What one candidate's requests do: answer, fail with a status, or never answer. */
export type LeaseBehaviour = 'ok' | 'fail' | 'hang';

/** An error shaped as the clients' (the HTTP status as `code`). */
function apiError(code: number): Error & { code: number } {
  return Object.assign(new Error(`HTTP ${code}`), { code });
}

/**
 * One Lease in memory with the API server's optimistic concurrency (a replace with a stale
 * resourceVersion is a 409), shared by several candidates, each with its own client whose
 * requests can be made to fail or hang.
 */
export class FakeLeaseStore {
  lease: V1Lease | undefined;
  /** Every write that reached the store, in order, with the holder it named. */
  readonly writes: Array<{ by: string; holder: string | undefined }> = [];
  private rv = 0;

  client(by: string, behaviour: () => LeaseBehaviour = () => 'ok'): LeaseClient {
    const gate = async (): Promise<void> => {
      const b = behaviour();
      if (b === 'fail') throw apiError(503);
      if (b === 'hang') await new Promise<never>(() => undefined);
    };
    return {
      readNamespacedLease: async () => {
        await gate();
        if (!this.lease) throw apiError(404);
        return structuredClone(this.lease);
      },
      createNamespacedLease: async ({ body }) => {
        await gate();
        if (this.lease) throw apiError(409);
        return this.store(by, body);
      },
      replaceNamespacedLease: async ({ body }) => {
        await gate();
        if (body.metadata?.resourceVersion !== this.lease?.metadata?.resourceVersion) throw apiError(409);
        return this.store(by, body);
      },
    };
  }

  /** Someone else writes the Lease (e.g. a third holder, or a test taking it away). */
  takeOver(holder: string, nowMs: number, leaseDurationSeconds: number): void {
    const time = new Date(nowMs);
    const spec = { ...this.lease?.spec, holderIdentity: holder, renewTime: time, leaseDurationSeconds };
    this.store('test', { metadata: this.lease?.metadata, spec });
  }

  get holder(): string | undefined {
    return this.lease?.spec?.holderIdentity;
  }

  private store(by: string, body: V1Lease): V1Lease {
    this.rv += 1;
    this.lease = structuredClone({ ...body, metadata: { ...body.metadata, resourceVersion: String(this.rv) } });
    this.writes.push({ by, holder: this.lease.spec?.holderIdentity });
    return structuredClone(this.lease);
  }
}
