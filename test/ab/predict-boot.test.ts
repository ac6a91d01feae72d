// predictBoot (builder/disk/status.ts), the model of D0's slot choice (kernel/boot/efi/ab/ab.c),
// on synthetic slot readings: the committed rules the power-cut and replay tests rely on, and the
// first-boot rule (a disk never booted runs its newest verified build first, slot A as fallback).
// first-boot-newest.test.ts checks the real D0 against the same rule under QEMU.
import assert from 'node:assert/strict';
import type { D0AbState } from '../../builder/disk/ovmf-vars';
import { predictBoot, type SlotStatus } from '../../builder/disk/status';

const U1 = '01900000-0000-7000-8000-000000000001';
const U2 = '01900000-0000-7000-8000-000000000002';

function slot(letter: 'A' | 'B', uuid?: string, o: Partial<SlotStatus> = {}): SlotStatus {
  const ok = uuid !== undefined;
  return {
    letter,
    uuid,
    epoch: ok ? 3n : undefined,
    signed: ok,
    verified: ok,
    reason: ok ? undefined : 'no_manifest',
    offset: letter === 'A' ? 1 << 20 : 41 << 20,
    size: 40 << 20,
    ...o,
  };
}

const blank: D0AbState = { triesLeft: 0, epoch: 0n };
const committed = (lastGood: string, o: Partial<D0AbState> = {}): D0AbState => ({
  lastGood,
  triesLeft: 0,
  epoch: 3n,
  ...o,
});
const pick = (p: ReturnType<typeof predictBoot>) => [p.slot, p.uuid, p.verified, p.path];

describe('predictBoot: the model of D0 slot choice', () => {
  describe('never booted (nothing committed)', () => {
    it('U1 in A, newer U2 in B: U2 runs first (trial, commit), with or without a VARS state', () => {
      const slots = [slot('A', U1), slot('B', U2)];
      for (const st of [undefined, blank])
        assert.deepEqual(pick(predictBoot(slots, st)), [
          'B',
          U2,
          true,
          'first boot: trial, commit',
        ]);
    });

    it('U2 fails a digest: the trial rolls back and U1 in A commits itself', () => {
      const slots = [
        slot('A', U1),
        slot('B', U2, { verified: false, reason: 'digest_mismatch path=VM/x' }),
      ];
      assert.deepEqual(pick(predictBoot(slots)), [
        'A',
        U1,
        true,
        'first boot: trial, rollback (digest_mismatch path=VM/x), commit',
      ]);
    });

    it('U2 refused by the precheck (bad signature, epoch below the floor): U1 runs', () => {
      const badSig = [
        slot('A', U1),
        slot('B', U2, { signed: false, verified: false, reason: 'bad_signature' }),
      ];
      assert.deepEqual(pick(predictBoot(badSig)), [
        'A',
        U1,
        true,
        'first boot: candidate refused (bad_signature), commit',
      ]);
      const low = [slot('A', U1), slot('B', U2, { epoch: 1n })];
      assert.equal(predictBoot(low, { ...blank, epoch: 2n }).uuid, U1);
      assert.equal(predictBoot(low, { ...blank, epoch: 1n }).uuid, U2);
    });

    it('U2 already marked bad, or older than U1: U1 runs without a trial', () => {
      assert.deepEqual(pick(predictBoot([slot('A', U1), slot('B', U2)], { ...blank, bad: U2 })), [
        'A',
        U1,
        true,
        'first boot: no candidate, commit',
      ]);
      assert.deepEqual(pick(predictBoot([slot('A', U2), slot('B', U1)])), [
        'A',
        U2,
        true,
        'first boot: no candidate, commit',
      ]);
    });

    it('A does not verify but B is newer and does: B (the trial starts before A verifies itself)', () => {
      const slots = [
        slot('A', U1, { verified: false, reason: 'digest_mismatch path=VM/y' }),
        slot('B', U2),
      ];
      assert.equal(predictBoot(slots).uuid, U2);
      const alone = [
        slot('A', U1, { verified: false, reason: 'digest_mismatch path=VM/y' }),
        slot('B'),
      ];
      assert.deepEqual(pick(predictBoot(alone)), [
        'A',
        U1,
        false,
        'first boot: no candidate, boot fails',
      ]);
    });

    it('slot A empty: nothing the model can name', () => {
      assert.deepEqual(pick(predictBoot([slot('A'), slot('B', U2)])), [
        undefined,
        undefined,
        false,
        'first boot: slot A holds no build',
      ]);
    });
  });

  describe('committed', () => {
    it('last good U1 in A, newer U2 in B: trial, commit; in B the model follows the committed slot', () => {
      assert.deepEqual(pick(predictBoot([slot('A', U1), slot('B', U2)], committed(U1))), [
        'B',
        U2,
        true,
        'trial, commit',
      ]);
      // U2 committed in B: U1 in A is older, nothing is tried (not the first-boot slot A).
      assert.deepEqual(pick(predictBoot([slot('A', U1), slot('B', U2)], committed(U2))), [
        'B',
        U2,
        true,
        'no candidate',
      ]);
    });

    it('a candidate that fails verification or the precheck leaves the last good build', () => {
      const unverified = slot('B', U2, { verified: false, reason: 'digest_mismatch path=VM/x' });
      assert.deepEqual(pick(predictBoot([slot('A', U1), unverified], committed(U1))), [
        'A',
        U1,
        true,
        'trial, rollback (digest_mismatch path=VM/x)',
      ]);
      assert.deepEqual(
        pick(predictBoot([slot('A', U1), slot('B', U2, { epoch: 2n })], committed(U1))),
        ['A', U1, true, 'candidate refused (epoch_below)'],
      );
    });

    it('the last good build fails: the other slot runs as the fallback, unless it is bad or fails too', () => {
      const broken = { signed: false, verified: false, reason: 'bad_signature' };
      // U2 committed in B and refused by its own D0; U1 (older) in A is the fallback entry.
      assert.deepEqual(pick(predictBoot([slot('A', U1), slot('B', U2, broken)], committed(U2))), [
        'A',
        U1,
        true,
        'no candidate, last good build fails (bad_signature): fallback',
      ]);
      assert.deepEqual(
        pick(predictBoot([slot('A', U1), slot('B', U2, broken)], committed(U2, { bad: U1 }))),
        ['B', U2, false, 'no candidate, last good build fails (bad_signature), no fallback'],
      );
      assert.deepEqual(
        pick(predictBoot([slot('A', U1, broken), slot('B', U2, broken)], committed(U2))),
        ['B', U2, false, 'no candidate, last good build fails (bad_signature), no fallback'],
      );
      assert.deepEqual(pick(predictBoot([slot('A'), slot('B', U2, broken)], committed(U2))), [
        'B',
        U2,
        false,
        'no candidate, last good build fails (bad_signature), no fallback',
      ]);
    });

    it('the last good build on no slot', () => {
      const p = predictBoot([slot('A', U2), slot('B')], committed(U1));
      assert.deepEqual(pick(p), [undefined, undefined, false, 'last good build on no slot']);
    });
  });
});
