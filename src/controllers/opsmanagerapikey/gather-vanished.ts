import type { OpsManagerApiKey } from '../../api/types.ts';
import { isNotFound } from '../../kube/api-errors.ts';
import type { ObjectStore } from '../shared/ports.ts';

/**
 * Whether the resource is gone for good, by a live read: no object by its name, or one with
 * another uid (deleted and made again; a uid is never reused). Any other failure is thrown.
 */
export async function resourceGone(keys: Pick<ObjectStore<OpsManagerApiKey>, 'get'>, obj: Pick<OpsManagerApiKey, 'metadata'>): Promise<boolean> {
  try {
    const live = await keys.get(obj.metadata.namespace ?? '', obj.metadata.name ?? '');
    return live.metadata.uid !== obj.metadata.uid;
  } catch (err) {
    if (isNotFound(err)) return true;
    throw err;
  }
}
