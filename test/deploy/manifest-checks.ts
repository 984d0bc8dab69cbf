// Checks shared by the plain manifests (deploy/) and the Helm chart (charts/omkeys/).
import { readFileSync } from 'node:fs';
import type { V1ClusterRole, V1ClusterRoleBinding, V1Container, V1Deployment, V1PodDisruptionBudget, V1Role, V1RoleBinding, V1SecurityContext, V1Service, V1ServiceAccount } from '@kubernetes/client-node';
import { parseAllDocuments } from 'yaml';
import { parseConfig, type OperatorConfig } from '../../src/operator/config.ts';

/** A parsed manifest; narrowed to its client-node model by find(). */
export type Obj = { kind?: string; metadata?: { name?: string; namespace?: string } };

interface Kinds {
  Deployment: V1Deployment;
  Service: V1Service;
  ServiceAccount: V1ServiceAccount;
  ClusterRole: V1ClusterRole;
  ClusterRoleBinding: V1ClusterRoleBinding;
  Role: V1Role;
  RoleBinding: V1RoleBinding;
  PodDisruptionBudget: V1PodDisruptionBudget;
}

export function yamlDocs(file: string): Obj[] {
  return parseAllDocuments(readFileSync(file, 'utf8'))
    .map((d) => {
      if (d.errors.length > 0) throw new Error(`${file}: ${d.errors.map((e) => e.message).join('; ')}`);
      return d.toJS() as Obj | null;
    })
    .filter((d): d is Obj => d !== null);
}

export function find<K extends keyof Kinds>(objs: Obj[], kind: K, name?: string): Kinds[K] {
  const o = objs.find((x) => x.kind === kind && (name === undefined || x.metadata?.name === name));
  if (!o) throw new Error(`no ${kind}${name ? ` ${name}` : ''}`);
  return o as Kinds[K];
}

/** The pod spec and its single container. */
export function podOf(d: V1Deployment): { pod: NonNullable<NonNullable<V1Deployment['spec']>['template']['spec']>; container: V1Container } {
  const pod = d.spec?.template.spec;
  const container = pod?.containers[0];
  if (!pod || !container) throw new Error('Deployment without a container');
  return { pod, container };
}

/**
 * Feeds a container's env to parseConfig the way the pod would (downward-API values filled in)
 * and records which variables parseConfig read: an OMKEYS_* variable it never reads is not a
 * setting, whatever its value.
 */
export function configFromContainer(container: V1Container, pod: { name: string; namespace: string }): { config: OperatorConfig; env: Record<string, string>; unread: string[] } {
  const env: Record<string, string> = {};
  for (const e of container.env ?? []) {
    if (e.valueFrom) {
      const field = e.valueFrom.fieldRef?.fieldPath;
      if (field === 'metadata.name') env[e.name] = pod.name;
      else if (field === 'metadata.namespace') env[e.name] = pod.namespace;
      else throw new Error(`unexpected valueFrom in ${e.name}`);
    } else {
      if (typeof e.value !== 'string') throw new Error(`env ${e.name} must be a string, got ${JSON.stringify(e.value)}`);
      env[e.name] = e.value;
    }
  }
  const forParse = { ...env };
  const read = new Set<string>();
  const tracked = new Proxy(forParse, {
    get(target, key) {
      if (typeof key === 'string') read.add(key);
      return target[key as string];
    },
  });
  const config = parseConfig(tracked, [], 'test-host');
  const unread = Object.keys(env).filter((k) => k.startsWith('OMKEYS_') && !read.has(k));
  return { config, env, unread };
}

export function expectedContainerSecurity(): V1SecurityContext {
  return {
    allowPrivilegeEscalation: false,
    readOnlyRootFilesystem: true,
    runAsNonRoot: true,
    capabilities: { drop: ['ALL'] },
    seccompProfile: { type: 'RuntimeDefault' },
  };
}
