import type { V1Secret } from '@kubernetes/client-node';
import { ANNOTATION_CREATE_PENDING, LEGACY_SECRET_FINALIZER, type OpsManagerApiKey } from '../../api/types.ts';
import { isNotFound } from '../../kube/api-errors.ts';
import type { OpsManagerClient } from '../../opsmanager/client.ts';
import { ConflictError, InvalidRequestError, NotFoundError } from '../../opsmanager/errors.ts';
import { withFinalizer, withoutFinalizer } from '../shared/finalizers.ts';
import type { ConfigMapStore, EventSink, ObjectStore, SecretStore, StepHook } from '../shared/ports.ts';
import type { Connection } from '../shared/connections.ts';
import type { KeyListCache } from '../shared/key-list-cache.ts';
import { markValue } from './facts.ts';
import { deleteKeyOrUnassign } from './remote.ts';
import { CREATED, type AfterCreate, type Created, type KeyRef, type Plan, type Step, type Tally } from './plan.ts';

export interface ActDeps {
  keys: ObjectStore<OpsManagerApiKey>;
  secrets: SecretStore;
  /** For spec.opsManagerConfigMap. */
  configMaps?: ConfigMapStore;
  events: EventSink;
  /** Shared key lists (see gather): told about every key the plan writes to. */
  keyLists?: KeyListCache;
  /** Called before and after each step (`before-create`, `after-secret-write`…): failpoints and crash tests. */
  onStep?: StepHook;
  /** Told about project roles given to a key (none: taken out of the project), so that the bindings' project cache stays current. */
  onAssigned?: (client: OpsManagerClient, projectId: string, keyId: string, roles: string[]) => void;
  /** Told the tally of each step that was carried out (metrics); a step that failed tells nothing. */
  onCounted?: (tally: Tally) => void;
}

export type Outcome =
  | { ok: true; obj: OpsManagerApiKey }
  /** `obj` is the latest copy of the resource (after the writes that did succeed). */
  | { ok: false; obj: OpsManagerApiKey; step: Step; error: unknown };

interface Run {
  obj: OpsManagerApiKey;
  created?: Created;
  conn: Connection | undefined;
}

/** Carries out a plan, step by step, in order; the first failure stops it. No choices are made here. */
export async function act(deps: ActDeps, plan: Plan, obj: OpsManagerApiKey, conn: Connection | undefined): Promise<Outcome> {
  const run: Run = { obj, conn };
  for (const step of plan.steps) {
    const point = kebab(step.kind);
    deps.onStep?.('opsmanagerapikey', `before-${point}`);
    noteKeyWrite(deps, run, step);
    try {
      await perform(deps, run, step);
    } catch (err) {
      return { ok: false, obj: run.obj, step, error: err };
    }
    if (step.kind === 'Create') noteKeyWrite(deps, run, step);
    if (step.counts) deps.onCounted?.(step.counts);
    deps.onStep?.('opsmanagerapikey', `after-${point}`);
  }
  return { ok: true, obj: run.obj };
}

/** Shared key lists no longer speak for a key the plan writes to (noted before the write: it may apply and still fail). */
function noteKeyWrite(deps: ActDeps, run: Run, step: Step): void {
  if (!deps.keyLists || !run.conn) return;
  const ref: KeyRef | undefined = 'keyId' in step ? step.keyId : step.kind === 'Create' ? CREATED : undefined;
  if (ref === undefined || (typeof ref !== 'string' && !run.created)) return;
  deps.keyLists.noteWritten(run.conn.client, keyId(run, ref));
}

function kebab(kind: string): string {
  return kind.replace(/[A-Z]/g, (c, i: number) => (i > 0 ? '-' : '') + c.toLowerCase());
}

function client(run: Run): OpsManagerClient {
  if (!run.conn) throw new Error('internal: the plan writes to Ops Manager but no connection was gathered');
  return run.conn.client;
}

function after<T>(run: Run, v: AfterCreate<T>): T {
  if (typeof v !== 'function') return v;
  if (!run.created) throw new Error('internal: a step needs the created key before the Create step ran');
  return (v as (c: Created) => T)(run.created);
}

function keyId(run: Run, ref: KeyRef): string {
  if (typeof ref === 'string') return ref;
  if (!run.created) throw new Error('internal: a step needs the created key before the Create step ran');
  return run.created.id;
}

async function perform(deps: ActDeps, run: Run, step: Step): Promise<void> {
  switch (step.kind) {
    case 'AddFinalizer':
      run.obj = await deps.keys.replace(withFinalizer(run.obj));
      return;
    case 'RemoveFinalizer':
      try {
        run.obj = await deps.keys.replace(withoutFinalizer(run.obj));
      } catch (err) {
        if (!isNotFound(err)) throw err;
      }
      return;
    case 'PendingMark': {
      const annotations = { ...run.obj.metadata.annotations, [ANNOTATION_CREATE_PENDING]: markValue(step.mark) };
      run.obj = await deps.keys.replace(withFinalizer({ ...run.obj, metadata: { ...run.obj.metadata, annotations } }));
      return;
    }
    case 'StatusWrite':
      run.obj = await deps.keys.replaceStatus({ ...run.obj, status: after(run, step.status) });
      return;
    case 'Create': {
      const body = { desc: step.desc, roles: step.roles };
      const c = 'projectId' in step.scope ? await client(run).createProjectKey(step.scope.projectId, body) : await client(run).createOrgKey(step.scope.orgId, body);
      run.created = { id: c.id, publicKey: c.publicKey, privateKey: c.privateKey };
      return;
    }
    case 'AccessListAdd':
      await client(run).addAccessList(step.orgId, keyId(run, step.keyId), step.entries);
      return;
    case 'AccessListRemove':
      await client(run).deleteAccessListEntry(step.orgId, step.keyId, step.cidr);
      return;
    case 'KeyUpdate':
      await client(run).updateOrgKey(step.orgId, keyId(run, step.keyId), { ...(step.desc !== undefined ? { desc: step.desc } : {}), ...(step.roles ? { roles: step.roles } : {}) });
      return;
    case 'ProjectAssign':
      return projectAssign(deps, run, step);
    case 'ProjectUnassign':
      try {
        await client(run).unassignProjectKey(step.projectId, step.keyId);
      } catch (err) {
        // Already out of the project (or the project is gone): what the step wants.
        if (!(err instanceof NotFoundError)) throw err;
      }
      deps.onAssigned?.(client(run), step.projectId, step.keyId, []);
      return;
    case 'KeyDelete':
      return keyDelete(deps, run, step);
    case 'SecretWrite':
      await secretWrite(deps, step.current, after(run, step.desired));
      return;
    case 'ReleaseSecret':
      await deps.secrets.releaseOwner(step.current, step.ownerUid);
      return;
    case 'StripSecretFinalizer':
      await deps.secrets.removeFinalizer(step.current, LEGACY_SECRET_FINALIZER);
      return;
    case 'ConfigMapWrite':
      if (!deps.configMaps) throw new Error('internal: the plan writes a ConfigMap but the operator has no ConfigMap access');
      if (step.current) await deps.configMaps.update(step.current, step.desired);
      else await deps.configMaps.create(step.desired);
      return;
    case 'Event':
      await deps.events.record(run.obj, step.type, step.reason, after(run, step.message));
      return;
  }
}

async function projectAssign(deps: ActDeps, run: Run, step: Extract<Step, { kind: 'ProjectAssign' }>): Promise<void> {
  const id = keyId(run, step.keyId);
  try {
    await client(run).assignProjectKey(step.projectId, id, step.roles);
  } catch (err) {
    const refusal = err instanceof NotFoundError || err instanceof ConflictError || err instanceof InvalidRequestError;
    if (step.tolerateRefusal && refusal) return;
    throw err;
  }
  deps.onAssigned?.(client(run), step.projectId, id, step.roles);
}

async function keyDelete(deps: ActDeps, run: Run, step: Extract<Step, { kind: 'KeyDelete' }>): Promise<void> {
  await deleteKeyOrUnassign(client(run), step, (reason, message) => deps.events.record(run.obj, 'Warning', reason, message));
}

/** A Secret that appeared since gather read none is not overwritten: the create fails (409) and the next round decides. */
async function secretWrite(deps: ActDeps, current: V1Secret | undefined, desired: V1Secret): Promise<void> {
  if (current) await deps.secrets.update(current, desired);
  else await deps.secrets.create(desired);
}
