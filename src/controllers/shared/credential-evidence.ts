import type { OpsManagerClient, OpsManagerClientOptions } from '../../opsmanager/client.ts';

export type OnRequest = NonNullable<OpsManagerClientOptions['onRequest']>;

interface Latest {
  at: number;
  proves: boolean;
}

/**
 * What the answers through each connection's client last said of its credential: a 2xx proves
 * it authenticates; a 401 may disprove it. Only the latest such answer counts: a Digest
 * challenge (also a 401, answered a moment later) reads as unproven meanwhile, which costs at
 * most a probe. Lets the connection controller skip probing a credential its keys just used.
 */
export class CredentialEvidence {
  private readonly latest = new WeakMap<OpsManagerClient, { last?: Latest }>();

  constructor(private readonly now: () => number) {}

  /** Makes a client with `make`, given the onRequest hook that records its answers (then calls `next`). */
  track(make: (onRequest: OnRequest) => OpsManagerClient, next?: OnRequest): OpsManagerClient {
    const record: { last?: Latest } = {};
    const client = make((info) => {
      const status = info.status;
      const proves = typeof status === 'number' && status >= 200 && status < 300;
      if (proves || status === 401) record.last = { at: this.now(), proves };
      next?.(info);
    });
    this.latest.set(client, record);
    return client;
  }

  /** When an answer through `client` last proved its credential, no 401 since; undefined: none did. */
  provenAt(client: OpsManagerClient): number | undefined {
    const last = this.latest.get(client)?.last;
    return last?.proves ? last.at : undefined;
  }
}
