/**
 * A kubeconfig (or the in-cluster files) that cannot be used as written. Raised at start, before
 * any request: a field the operator does not understand is refused here, never ignored.
 */
export class KubeConfigError extends Error {
  readonly code = 'INVALID_KUBECONFIG' as const;
  /** The offending field as a path, e.g. `users[u].user.as-groups`, when one field is to blame. */
  readonly field: string | undefined;

  constructor(message: string, opts?: { cause?: unknown; field?: string }) {
    super(message, opts?.cause === undefined ? undefined : { cause: opts.cause });
    this.name = 'KubeConfigError';
    this.field = opts?.field;
  }
}
