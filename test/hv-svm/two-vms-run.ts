// Boots one D0 build whose manifest has several VMs, all running the same tiny guest kernel, and
// returns D0's events once it halts (every VM stopped). Shared by the two-VM and virtqueue tests.
// QEMU TCG with -cpu EPYC (SVM + NPT); the run has a hard timeout and QEMU is always killed.
import assert from 'node:assert/strict';
import fs from 'node:fs';
import os from 'node:os';
import path from 'node:path';
import { buildEspDisk } from '../../builder/disk/esp';
import { assertContiguous, type D0Event } from '../support/events';
import { withQemu } from '../support/qemu';
import { makeVmsSlot, slotFiles, type VmSpec } from './slot';
import { tinyBzImage } from './tiny-kernel';
import { testD0 } from '../support/test-d0';

export const RUN_TIMEOUT_MS = 180_000;
/** Host RAM for QEMU: OVMF plus each VM's RAM and its 16 MiB disk overlay. */
const HOST_MEM_MB = 512;

export interface D0Build {
  dir: string;
  efi: Buffer;
  secretKey: Uint8Array;
}

/** D0 for the test key (test/support/test-d0.ts: cached) and a new temp dir. */
export async function buildD0(prefix: string): Promise<D0Build> {
  const dir = fs.mkdtempSync(path.join(os.tmpdir(), prefix));
  const { key, efi: d0Efi } = await testD0();
  return { dir, efi: d0Efi, secretKey: key.secretKey };
}

/** Boots the build with one VM per spec running `code`; the events up to ev=halt. */
export async function runVms(b: D0Build, code: number[], vms: VmSpec[]): Promise<D0Event[]> {
  const slot = makeVmsSlot(b.secretKey, tinyBzImage(code), vms);
  const esp = path.join(b.dir, 'esp.img');
  await buildEspDisk(esp, [{ name: 'ESP_A', label: 'D0_A', files: slotFiles(slot, b.efi) }]);
  return withQemu(
    { disk: esp, cpu: 'EPYC', memMb: HOST_MEM_MB, timeoutMs: RUN_TIMEOUT_MS },
    async (vm) => {
      await vm.waitFor('halt');
      const events = [...vm.events];
      assertContiguous(events);
      return events;
    },
  );
}

/** Index of the only event matching pred; fails (listing every event) unless there is exactly one. */
export function indexOfOnly(
  events: D0Event[],
  pred: (e: D0Event) => boolean,
  what: string,
): number {
  const hits = events.flatMap((e, i) => (pred(e) ? [i] : []));
  assert.equal(hits.length, 1, `expected one ${what}, got ${hits.length}:\n${dump(events)}`);
  return hits[0];
}

/** The console lines of one VM as [index in events, line]. */
export function consoleOf(events: D0Event[], vm: string): Array<[number, string]> {
  return events.flatMap((e, i) =>
    e.ev === 'console' && e.fields.vm === vm ? [[i, e.fields.line] as [number, string]] : [],
  );
}

export const dump = (events: D0Event[]) => events.map((e) => e.raw).join('\n');
