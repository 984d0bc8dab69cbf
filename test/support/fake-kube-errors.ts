// The errors FakeKube throws: what the real API server's answers look like to src/kube, and
// the refusal of a crashed operator instance's writes.

/** An error as src/kube/api-errors.ts recognises one: the HTTP status as a numeric `code`. */
export class KubeApiError extends Error {
  constructor(
    readonly code: number,
    message: string,
  ) {
    super(message);
    this.name = 'KubeApiError';
  }
}

/** A write through an adapter of an operator instance that was fenced off (crashed). */
export class FencedError extends Error {
  constructor() {
    super('fenced: this operator instance has crashed and may not write');
    this.name = 'FencedError';
  }
}
