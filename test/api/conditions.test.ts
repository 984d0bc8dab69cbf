import { expect } from 'chai';
import { ConditionType, Reason, findCondition, setCondition, type ConditionInput } from '../../src/api/conditions.ts';
import type { Condition } from '../../src/api/types.ts';

const earlier = '2026-01-01T00:00:00Z';
const now = new Date('2026-02-03T04:05:06.789Z');
const nowText = '2026-02-03T04:05:06Z';

function cond(type: string, status: Condition['status'], reason: string, lastTransitionTime = earlier): Condition {
  return { type, status, reason, message: `${type} ${status}`, lastTransitionTime, observedGeneration: 1 };
}

describe('setCondition', () => {
  const cases: Array<{
    name: string;
    before: Condition[] | undefined;
    set: ConditionInput;
    want: Condition[];
  }> = [
    {
      name: 'adds to an absent list, stamped now at second precision',
      before: undefined,
      set: { type: 'Ready', status: 'True', reason: Reason.Provisioned, message: 'ok', observedGeneration: 2 },
      want: [{ type: 'Ready', status: 'True', reason: 'Provisioned', message: 'ok', observedGeneration: 2, lastTransitionTime: nowText }],
    },
    {
      name: 'appends a new type after the existing ones',
      before: [cond('Ready', 'True', 'Provisioned')],
      set: { type: 'SecretSynced', status: 'False', reason: Reason.SecretConflict, message: 'taken' },
      want: [
        cond('Ready', 'True', 'Provisioned'),
        { type: 'SecretSynced', status: 'False', reason: 'SecretConflict', message: 'taken', lastTransitionTime: nowText },
      ],
    },
    {
      name: 'keeps lastTransitionTime when only reason, message and generation change',
      before: [cond('Ready', 'False', 'OpsManagerUnreachable')],
      set: { type: 'Ready', status: 'False', reason: Reason.RateLimited, message: 'slow down', observedGeneration: 5 },
      want: [{ type: 'Ready', status: 'False', reason: 'RateLimited', message: 'slow down', observedGeneration: 5, lastTransitionTime: earlier }],
    },
    {
      name: 'moves lastTransitionTime when the status flips',
      before: [cond('Ready', 'False', 'Progressing')],
      set: { type: 'Ready', status: 'True', reason: Reason.Provisioned, message: 'ok', observedGeneration: 1 },
      want: [{ type: 'Ready', status: 'True', reason: 'Provisioned', message: 'ok', observedGeneration: 1, lastTransitionTime: nowText }],
    },
    {
      name: 'treats Unknown as a status of its own',
      before: [cond('Ready', 'True', 'Provisioned')],
      set: { type: 'Ready', status: 'Unknown', reason: Reason.Progressing, message: '' },
      want: [{ type: 'Ready', status: 'Unknown', reason: 'Progressing', message: '', lastTransitionTime: nowText }],
    },
    {
      name: 'replaces in place, leaving the order and the other types alone',
      before: [cond('KeyProvisioned', 'True', 'Provisioned'), cond('Ready', 'True', 'Provisioned'), cond('SecretSynced', 'True', 'SecretSynced')],
      set: { type: 'Ready', status: 'False', reason: Reason.SecretConflict, message: 'x', observedGeneration: 1 },
      want: [
        cond('KeyProvisioned', 'True', 'Provisioned'),
        { type: 'Ready', status: 'False', reason: 'SecretConflict', message: 'x', observedGeneration: 1, lastTransitionTime: nowText },
        cond('SecretSynced', 'True', 'SecretSynced'),
      ],
    },
    {
      name: 'bounds the message: 1024 characters at most, ending in an ellipsis',
      before: undefined,
      set: { type: 'Ready', status: 'False', reason: Reason.Conflict, message: `Ops Manager said: ${'x'.repeat(5000)}` },
      want: [{ type: 'Ready', status: 'False', reason: 'Conflict', message: `Ops Manager said: ${'x'.repeat(1005)}…`, lastTransitionTime: nowText }],
    },
    {
      name: 'strips control characters from the message, line breaks becoming spaces',
      before: undefined,
      set: { type: 'Ready', status: 'False', reason: Reason.Conflict, message: 'one\r\ntwo\u001b[0m\u0000' },
      want: [{ type: 'Ready', status: 'False', reason: 'Conflict', message: 'one two[0m', lastTransitionTime: nowText }],
    },
    {
      name: 'drops an observedGeneration the new condition does not carry',
      before: [cond('Ready', 'True', 'Provisioned')],
      set: { type: 'Ready', status: 'True', reason: Reason.Provisioned, message: 'ok' },
      want: [{ type: 'Ready', status: 'True', reason: 'Provisioned', message: 'ok', lastTransitionTime: earlier }],
    },
  ];

  for (const c of cases) {
    it(c.name, () => {
      expect(setCondition(c.before, c.set, now)).to.deep.equal(c.want);
    });
  }

  it('ignores a lastTransitionTime passed in and does not modify its input', () => {
    const before = [cond('Ready', 'False', 'Progressing')];
    const snapshot = structuredClone(before);
    const passed = { ...cond('Ready', 'True', 'Provisioned'), lastTransitionTime: '1999-01-01T00:00:00Z' };
    const after = setCondition(before, passed, now);
    expect(after[0]?.lastTransitionTime).to.equal(nowText);
    expect(before).to.deep.equal(snapshot);
    expect(after).to.not.equal(before);
  });
});

describe('findCondition', () => {
  it('finds by type and answers undefined for a missing type or list', () => {
    const list = [cond('Ready', 'True', 'Provisioned'), cond('SecretSynced', 'False', 'SecretConflict')];
    expect(findCondition(list, ConditionType.SecretSynced)?.reason).to.equal('SecretConflict');
    expect(findCondition(list, ConditionType.KeyProvisioned)).to.equal(undefined);
    expect(findCondition(undefined, ConditionType.Ready)).to.equal(undefined);
  });
});
