import { expect } from 'chai';
import type { KubernetesObject } from '@kubernetes/client-node';
import type { ChangeHandler, ChangeKind, Informer } from '../../src/runtime/informer.ts';
import { PerNamespaceInformer, scopedInformer } from '../../src/runtime/per-namespace-informer.ts';
import { FakeClock } from './fake-clock.ts';
import { configMap, fakeInformer } from './fake-list-watch.ts';

/** An informer of one namespace that records what it was asked and lets the test push changes and sync. */
class RecordingInformer implements Informer<KubernetesObject> {
  readonly calls: string[] = [];
  private readonly store = new Map<string, KubernetesObject>();
  private readonly handlers: Array<ChangeHandler<KubernetesObject>> = [];
  private synced = false;
  private readonly waiters: Array<() => void> = [];

  constructor(readonly name: string) {}

  onChange(handler: ChangeHandler<KubernetesObject>): void {
    this.handlers.push(handler);
  }

  hasSynced(): boolean {
    return this.synced;
  }

  get(namespace: string, name: string): KubernetesObject | undefined {
    this.calls.push(`get ${namespace}/${name}`);
    return this.store.get(`${namespace}/${name}`);
  }

  list(namespace?: string): KubernetesObject[] {
    this.calls.push(`list ${namespace ?? '*'}`);
    return [...this.store.values()].filter((o) => namespace === undefined || o.metadata?.namespace === namespace);
  }

  get size(): number {
    return this.store.size;
  }

  start(): Promise<void> {
    this.calls.push('start');
    return Promise.resolve();
  }

  stop(): Promise<void> {
    this.calls.push('stop');
    return Promise.resolve();
  }

  waitForSync(signal?: AbortSignal): Promise<void> {
    this.calls.push('waitForSync');
    if (this.synced) return Promise.resolve();
    return new Promise((resolve, reject) => {
      signal?.addEventListener('abort', () => reject(new Error(`${this.name}: aborted`)), { once: true });
      this.waiters.push(resolve);
    });
  }

  sync(): void {
    this.synced = true;
    for (const w of this.waiters.splice(0)) w();
  }

  push(kind: ChangeKind, obj: KubernetesObject): void {
    const key = `${obj.metadata?.namespace ?? ''}/${obj.metadata?.name ?? ''}`;
    const old = this.store.get(key);
    if (kind === 'delete') this.store.delete(key);
    else this.store.set(key, obj);
    for (const h of this.handlers) h(obj, kind, old);
  }
}

/** A composite over `namespaces`, with the recording informer made for each. */
interface Composite {
  informer: PerNamespaceInformer<KubernetesObject>;
  of: Map<string, RecordingInformer>;
}

function composite(namespaces: string[]): Composite {
  const of = new Map<string, RecordingInformer>();
  const informer = new PerNamespaceInformer<KubernetesObject>('things', namespaces, (ns) => {
    const child = new RecordingInformer(`things-${ns}`);
    of.set(ns, child);
    return child;
  });
  return { informer, of };
}

const nameOf = (o: KubernetesObject): string => `${o.metadata?.namespace}/${o.metadata?.name}`;
const names = (objs: KubernetesObject[]): string[] => objs.map(nameOf).sort();

describe('scopedInformer: which informer a watch scope gets', () => {
  const cases: Array<{ namespaces: string[]; made: Array<string | undefined>; composite: boolean }> = [
    { namespaces: [], made: [undefined], composite: false },
    { namespaces: ['a'], made: ['a'], composite: false },
    { namespaces: ['a', 'a'], made: ['a'], composite: false },
    { namespaces: ['a', 'b'], made: ['a', 'b'], composite: true },
    { namespaces: ['b', 'a', 'b', 'c'], made: ['b', 'a', 'c'], composite: true },
  ];
  for (const c of cases) {
    it(`[${c.namespaces.join(',')}]: one watch for each of ${JSON.stringify(c.made)}`, () => {
      const made: Array<string | undefined> = [];
      const children: RecordingInformer[] = [];
      const informer = scopedInformer<KubernetesObject>('things', c.namespaces, (ns) => {
        made.push(ns);
        const child = new RecordingInformer(`things-${ns ?? 'all'}`);
        children.push(child);
        return child;
      });
      expect(made).to.deep.equal(c.made);
      expect(informer instanceof PerNamespaceInformer).to.equal(c.composite);
      if (!c.composite) expect(informer).to.equal(children[0]);
      else expect((informer as PerNamespaceInformer<KubernetesObject>).namespaces).to.deep.equal(c.made);
      expect(informer.name).to.equal(c.composite ? 'things' : children[0]?.name);
    });
  }
});

describe('PerNamespaceInformer', () => {
  it('reads from the informer of the namespace asked, and from every one when none is named', () => {
    const { informer, of } = composite(['a', 'b']);
    of.get('a')?.push('add', configMap('a', 'x'));
    of.get('a')?.push('add', configMap('a', 'y'));
    of.get('b')?.push('add', configMap('b', 'x'));
    const table: Array<[string, () => unknown, unknown, Record<string, string[]>]> = [
      ['get a/x', () => informer.get('a', 'x')?.metadata?.namespace, 'a', { a: ['get a/x'], b: [] }],
      ['get b/x', () => informer.get('b', 'x')?.metadata?.namespace, 'b', { a: [], b: ['get b/x'] }],
      ['get b/y (absent)', () => informer.get('b', 'y'), undefined, { a: [], b: ['get b/y'] }],
      ['get c/x (not watched)', () => informer.get('c', 'x'), undefined, { a: [], b: [] }],
      ['list a', () => names(informer.list('a')), ['a/x', 'a/y'], { a: ['list a'], b: [] }],
      ['list c (not watched)', () => informer.list('c'), [], { a: [], b: [] }],
      ['list all', () => names(informer.list()), ['a/x', 'a/y', 'b/x'], { a: ['list *'], b: ['list *'] }],
      ['size', () => informer.size, 3, { a: [], b: [] }],
    ];
    for (const [what, read, want, calls] of table) {
      for (const child of of.values()) child.calls.length = 0;
      expect(read(), what).to.deep.equal(want);
      expect({ a: of.get('a')?.calls, b: of.get('b')?.calls }, `${what}: calls`).to.deep.equal(calls);
    }
  });

  it('hands every namespace\'s changes to each handler, with the old object', () => {
    const { informer, of } = composite(['a', 'b']);
    const seen: string[] = [];
    informer.onChange((obj, kind, old) => seen.push(`${kind} ${nameOf(obj)} ${old?.metadata?.resourceVersion ?? '-'}`));
    informer.onChange((obj, kind) => seen.push(`second ${kind} ${obj.metadata?.namespace}`));
    of.get('a')?.push('add', configMap('a', 'x', '1'));
    of.get('b')?.push('add', configMap('b', 'x', '1'));
    of.get('a')?.push('update', configMap('a', 'x', '2'));
    of.get('b')?.push('delete', configMap('b', 'x', '3'));
    expect(seen).to.deep.equal([
      'add a/x -', 'second add a', 'add b/x -', 'second add b',
      'update a/x 1', 'second update a', 'delete b/x 1', 'second delete b',
    ]);
  });

  it('starts and stops every namespace\'s informer', async () => {
    const { informer, of } = composite(['a', 'b', 'c']);
    await informer.start();
    await informer.stop();
    const both = ['start', 'stop'];
    expect([...of].map(([ns, c]) => [ns, c.calls])).to.deep.equal([['a', both], ['b', both], ['c', both]]);
  });

  it('has synced only once every namespace has, and waitForSync resolves then', async () => {
    const { informer, of } = composite(['a', 'b']);
    let done = false;
    const waiting = informer.waitForSync().then(() => {
      done = true;
    });
    const steps: Array<[string | undefined, boolean]> = [[undefined, false], ['a', false], ['b', true]];
    for (const [ns, synced] of steps) {
      if (ns) of.get(ns)?.sync();
      // Every promise callback queued by now runs before the next macrotask.
      await new Promise<void>((resolve) => setImmediate(resolve));
      expect(informer.hasSynced(), `after ${ns ?? 'nothing'} synced`).to.equal(synced);
      expect(done, `waitForSync after ${ns ?? 'nothing'} synced`).to.equal(synced);
    }
    await waiting;
    expect(of.get('a')?.calls).to.deep.equal(['waitForSync']);
  });

  it('waitForSync fails when aborted while a namespace has not synced', async () => {
    const { informer, of } = composite(['a', 'b']);
    of.get('a')?.sync();
    const abort = new AbortController();
    const waiting = informer.waitForSync(abort.signal);
    abort.abort();
    let failure: unknown;
    await waiting.catch((e: unknown) => {
      failure = e;
    });
    expect((failure as Error | undefined)?.message).to.equal('things-b: aborted');
  });

  it('over ManagedInformers: each namespace\'s list+watch fills one cache the handlers see whole', async () => {
    const clock = new FakeClock();
    const children = new Map<string, ReturnType<typeof fakeInformer<KubernetesObject>>>();
    const informer = new PerNamespaceInformer<KubernetesObject>('configmaps', ['a', 'b'], (ns) => {
      const path = `/api/v1/namespaces/${ns}/configmaps`;
      const child = fakeInformer<KubernetesObject>(clock, `configmaps-${ns}`, { path });
      children.set(ns, child);
      return child.informer;
    });
    const seen: string[] = [];
    informer.onChange((obj, kind) => seen.push(`${kind} ${nameOf(obj)} (${informer.size})`));
    await informer.start();
    expect(informer.hasSynced()).to.equal(true);
    children.get('a')?.lw.emit('add', configMap('a', 'x'));
    children.get('b')?.lw.emit('add', configMap('b', 'x'));
    children.get('b')?.lw.emit('delete', configMap('b', 'x'));
    expect(seen).to.deep.equal(['add a/x (1)', 'add b/x (2)', 'delete b/x (1)']);
    expect(names(informer.list())).to.deep.equal(['a/x']);
    await informer.stop();
    expect([...children.values()].map((c) => [c.lw.starts, c.lw.stops])).to.deep.equal([[1, 1], [1, 1]]);
  });
});
