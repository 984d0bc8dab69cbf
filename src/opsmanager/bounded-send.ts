import type { IncomingHttpHeaders } from 'node:http';
import type { Got } from 'got';
import { ResponseTooLargeError } from './errors.ts';

/** One HTTP answer, its body read up to a bound. */
export interface Answer {
  statusCode: number;
  headers: IncomingHttpHeaders;
  body: string;
}

export interface SendInput {
  method: string;
  headers: Record<string, string>;
  body?: string;
  /** got's `timeout.request`: from sending until the body's end. */
  timeoutMs: number;
  /** Most bytes of a 2xx body: past it the call fails with ResponseTooLargeError. */
  maxBytes: number;
  /** Most bytes kept of any other body: past it the rest is dropped and the status still tells. */
  maxErrorBytes: number;
}

/**
 * Sends one request and reads the answer as a stream, stopping at the bound: got has no option
 * that bounds a body (its promise form buffers it whole), so the stream is read here and the
 * request destroyed, with its socket, as soon as the bound is passed. A Content-Length already
 * past the bound stops it before any of the body is read.
 */
export function sendBounded(got: Got, url: string, what: string, i: SendInput): Promise<Answer> {
  const stream = got.stream(url, {
    method: i.method as 'GET',
    headers: i.headers,
    ...(i.body !== undefined ? { body: i.body } : {}),
    timeout: { request: i.timeoutMs },
  });
  // In stream form got waits for a DELETE's body to be written to it; there is none.
  if (i.body === undefined && i.method !== 'GET') stream.end();
  return new Promise<Answer>((resolve, reject) => {
    let settled = false;
    let head: { statusCode: number; headers: IncomingHttpHeaders } | undefined;
    let limit = i.maxBytes;
    let ok = true;
    let size = 0;
    const chunks: Buffer[] = [];
    const finish = (err: Error | undefined, answer?: Answer): void => {
      if (settled) return;
      settled = true;
      if (err !== undefined) reject(err);
      else if (answer !== undefined) resolve(answer);
    };
    const answer = (): Answer => ({
      statusCode: head?.statusCode ?? 0,
      headers: head?.headers ?? {},
      body: Buffer.concat(chunks).toString('utf8'),
    });
    const tooLarge = (): void => {
      stream.destroy();
      finish(new ResponseTooLargeError(what, limit, { status: head?.statusCode ?? 0 }));
    };
    stream.once('response', (res: { statusCode: number; headers: IncomingHttpHeaders }) => {
      head = { statusCode: res.statusCode, headers: res.headers };
      ok = res.statusCode >= 200 && res.statusCode < 300;
      if (!ok) limit = Math.min(i.maxBytes, i.maxErrorBytes);
      const declared = Number(res.headers['content-length']);
      if (ok && Number.isFinite(declared) && declared > limit) tooLarge();
    });
    stream.on('data', (chunk: Buffer) => {
      if (settled) return;
      size += chunk.length;
      if (size <= limit) {
        chunks.push(chunk);
        return;
      }
      if (ok) {
        tooLarge();
        return;
      }
      chunks.push(chunk.subarray(0, chunk.length - (size - limit)));
      stream.destroy();
      finish(undefined, answer());
    });
    stream.once('end', () => finish(undefined, answer()));
    stream.once('error', (err: Error) => finish(err));
  });
}
