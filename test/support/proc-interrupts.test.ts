// interruptCount reads the first CPU's column of a /proc/interrupts row, as Linux 6.1 prints it.
import assert from 'node:assert/strict';
import { interruptCount } from './proc-interrupts';

const SAMPLE = [
  '           CPU0       ',
  '  0:         61   IO-APIC   2-edge      timer',
  '  5:         34   IO-APIC   5-edge      virtio0',
  ' 15:          7   IO-APIC  15-edge      x',
  'LOC:        182   Local timer interrupts',
  'ERR:          0',
].join('\n');

describe('support: /proc/interrupts rows', () => {
  it('finds numbered and named rows, and only whole row names', () => {
    assert.equal(interruptCount(SAMPLE, 'LOC'), 182);
    assert.equal(interruptCount(SAMPLE, '0'), 61);
    assert.equal(interruptCount(SAMPLE, '5'), 34);
    assert.equal(interruptCount(SAMPLE, '15'), 7);
    assert.equal(interruptCount(SAMPLE, 'ERR'), 0);
    assert.equal(interruptCount(SAMPLE, '1'), undefined); // not " 15:"
    assert.equal(interruptCount(SAMPLE, 'NMI'), undefined);
  });
});
