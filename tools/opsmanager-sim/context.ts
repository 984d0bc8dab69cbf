import type { ApiKey, SimState } from './state.ts';

export interface Ctx {
  params: Record<string, string>;
  query: URLSearchParams;
  /** Raw request body, '' when none. */
  body: string;
  caller: ApiKey;
  callerAddress: string;
  state: SimState;
  /** `http(s)://host/api/public/v1.0`, the prefix of every `links[].href`. */
  apiBase: string;
  now: () => number;
}

export interface Reply {
  status: number;
  /** undefined: empty body (DELETE answers). */
  body?: unknown;
  /** The handler changed state: persist it. */
  changed?: boolean;
}

export type Handler = (ctx: Ctx) => Reply;
