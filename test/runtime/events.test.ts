import { expect } from 'chai';
import type { EventsV1Event } from '@kubernetes/client-node';
import { KubeClient } from '../../src/kube/kube-client.ts';
import { EventRecorder, type EventsClient } from '../../src/runtime/events.ts';
import { FakeClock } from './fake-clock.ts';
import { silentLogger } from './fake-list-watch.ts';

class FakeEvents {
  created: EventsV1Event[] = [];
  patches: Array<{ name: string; body: unknown }> = [];
  failCreate = false;
  patchStatus: number | undefined;

  client(): EventsClient {
    return {
      createNamespacedEvent: ({ body }: { body: EventsV1Event }): Promise<EventsV1Event> => {
        if (this.failCreate) return Promise.reject(Object.assign(new Error('forbidden'), { code: 403 }));
        this.created.push(body);
        return Promise.resolve(structuredClone(body));
      },
      patchNamespacedEvent: ({ name, body }: { name: string; body: unknown }) => {
        if (this.patchStatus) return Promise.reject(Object.assign(new Error('patch failed'), { code: this.patchStatus }));
        this.patches.push({ name, body });
        return Promise.resolve({} as EventsV1Event);
      },
    };
  }
}

const key = { apiVersion: 'omkeys.io/v1alpha1', kind: 'OpsManagerApiKey', metadata: { namespace: 'team-a', name: 'billing', uid: 'u-1' } };

describe('EventRecorder', () => {
  let clock: FakeClock;
  let fake: FakeEvents;
  let recorder: EventRecorder;
  let logs: string[];
  beforeEach(() => {
    clock = new FakeClock();
    fake = new FakeEvents();
    logs = [];
    recorder = new EventRecorder({ kube: new KubeClient({ server: 'http://127.0.0.1:1' }), component: 'omkeys', instance: 'omkeys-1', clock, logger: silentLogger(logs), client: fake.client(), dedupeWindowMs: 60_000 });
  });

  it('creates an events.k8s.io/v1 Event regarding the object', async () => {
    await recorder.record(key, 'Normal', 'Provisioned', 'created key abcdefgh');
    expect(fake.created).to.have.length(1);
    const ev = fake.created[0]!;
    expect(ev).to.deep.include({ reportingController: 'omkeys', reportingInstance: 'omkeys-1', reason: 'Provisioned', action: 'Provisioned', note: 'created key abcdefgh', type: 'Normal' });
    expect(ev.metadata?.namespace).to.equal('team-a');
    expect(ev.metadata?.name).to.match(/^billing\./);
    expect(ev.regarding).to.include({ kind: 'OpsManagerApiKey', name: 'billing', uid: 'u-1' });
  });

  const notes = [
    { name: 'a long note is cut to 1 kB with an ellipsis', message: 'x'.repeat(5000), want: `${'x'.repeat(1021)}…` },
    { name: 'multi-byte text is cut by bytes, the limit the API server applies', message: 'é'.repeat(1000), want: `${'é'.repeat(510)}…` },
    { name: 'control characters are stripped, line breaks become spaces', message: 'a\r\nb\u001b[1mc\u0000', want: 'a b[1mc' },
  ];
  for (const t of notes) {
    it(`note: ${t.name}`, async () => {
      await recorder.record(key, 'Warning', 'Conflict', t.message);
      const note = fake.created[0]?.note ?? '';
      expect(note).to.equal(t.want);
      expect(Buffer.byteLength(note)).to.be.at.most(1024);
    });
  }

  it('remembers an Event by a digest, and forgets Events past the window when a new one comes', async () => {
    await recorder.record(key, 'Warning', 'OpsManagerUnreachable', `connect ECONNREFUSED ${'x'.repeat(900)}`);
    const entries = (recorder as unknown as { entries: Map<string, unknown> }).entries;
    expect([...entries.keys()][0]).to.have.length.below(50);
    await clock.advance(61_000);
    await recorder.record(key, 'Warning', 'Other', 'another failure');
    expect(entries.size).to.equal(1);
  });

  it('folds repeats into a series instead of new Events', async () => {
    await recorder.record(key, 'Warning', 'OpsManagerUnreachable', 'connect ECONNREFUSED');
    await clock.advance(1000);
    await Promise.all([recorder.record(key, 'Warning', 'OpsManagerUnreachable', 'connect ECONNREFUSED'), recorder.record(key, 'Warning', 'OpsManagerUnreachable', 'connect ECONNREFUSED')]);
    expect(fake.created).to.have.length(1);
    expect(fake.patches.length).to.be.within(1, 2);
    expect(fake.patches.every((p) => p.name === fake.created[0]!.metadata!.name)).to.equal(true);
    const counts = fake.patches.map((p) => (p.body as Array<{ value: { count: number } }>)[0]!.value.count);
    expect(counts.at(-1)).to.equal(3);
    await recorder.record(key, 'Warning', 'OpsManagerUnreachable', 'another message');
    expect(fake.created).to.have.length(2);
  });

  it('starts a new Event once the window has passed or the old one is gone', async () => {
    await recorder.record(key, 'Normal', 'Rotated', 'rotated');
    await clock.advance(60_001);
    await recorder.record(key, 'Normal', 'Rotated', 'rotated');
    expect(fake.created).to.have.length(2);
    fake.patchStatus = 404;
    await recorder.record(key, 'Normal', 'Rotated', 'rotated');
    expect(fake.created).to.have.length(3);
  });

  it('never throws; it logs instead', async () => {
    fake.failCreate = true;
    await recorder.record(key, 'Warning', 'X', 'y');
    expect(logs.join('')).to.include('could not record event');
  });
});
