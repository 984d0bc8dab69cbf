import { StringDecoder } from 'node:string_decoder';

export type WatchEventType = 'ADDED' | 'MODIFIED' | 'DELETED' | 'BOOKMARK' | 'ERROR';

export interface WatchEvent<T> {
  type: WatchEventType;
  object: T;
}

const TYPES = new Set<string>(['ADDED', 'MODIFIED', 'DELETED', 'BOOKMARK', 'ERROR']);

export class WatchDecodeError extends Error {
  readonly code = 'WATCH_DECODE';
}

/**
 * Splits a watch's newline-delimited JSON into events. Chunks end anywhere, mid-line and
 * mid-character (a UTF-8 sequence split across two chunks), so bytes are kept until a newline.
 */
export class WatchDecoder<T> {
  private readonly text = new StringDecoder('utf8');
  private pending = '';

  /** The events completed by this chunk. */
  push(chunk: Buffer | string): Array<WatchEvent<T>> {
    this.pending += typeof chunk === 'string' ? chunk : this.text.write(chunk);
    const lines = this.pending.split('\n');
    this.pending = lines.pop() ?? '';
    return lines.flatMap((l) => decodeLine<T>(l));
  }

  /** The last event, if the stream ended without a newline after it. */
  end(): Array<WatchEvent<T>> {
    const rest = this.pending + this.text.end();
    this.pending = '';
    return decodeLine<T>(rest);
  }
}

function decodeLine<T>(line: string): Array<WatchEvent<T>> {
  const trimmed = line.trim();
  if (trimmed === '') return [];
  let e: { type?: unknown; object?: unknown };
  try {
    e = JSON.parse(trimmed) as { type?: unknown; object?: unknown };
  } catch (err) {
    throw new WatchDecodeError(`watch sent a line that is not JSON (${trimmed.length} bytes)`, { cause: err });
  }
  if (typeof e?.type !== 'string' || !TYPES.has(e.type) || typeof e.object !== 'object' || e.object === null) {
    throw new WatchDecodeError(`watch sent an event of unknown shape (type ${String(e?.type)})`);
  }
  return [{ type: e.type as WatchEventType, object: e.object as T }];
}
