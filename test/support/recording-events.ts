import type { EventSink, EventTarget } from '../../src/controllers/shared/ports.ts';

export interface RecordedEvent {
  namespace: string;
  name: string;
  uid: string;
  type: 'Normal' | 'Warning';
  reason: string;
  message: string;
}

/** An EventSink that keeps every Event, for assertions; like the runtime's recorder it never throws. */
export class RecordingEvents implements EventSink {
  readonly events: RecordedEvent[] = [];

  record(obj: EventTarget, type: 'Normal' | 'Warning', reason: string, message: string): Promise<void> {
    const m = obj.metadata ?? {};
    this.events.push({ namespace: m.namespace ?? '', name: m.name ?? '', uid: m.uid ?? '', type, reason, message });
    return Promise.resolve();
  }
}
