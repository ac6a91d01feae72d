// Progress reaches the Pulumi CLI while resources are created, through the real engine
// (rollout-program.ts: one container, one Deployment, one EspSlotWriter) and its default
// non-interactive output (`up --yes --skip-preview --non-interactive`, as scripts and CI run it):
//   up on a new stack -> `Container web: image: X of T MiB of layers read` lines, bytes
//     non-decreasing and the last at the archive's layer size, then the conversion's steps, then
//     `EspSlotWriter host-01: slot A: ...` (the disk laid out whole)
//   up with a new image -> conversion lines again, then slot B written chunk by chunk: the first
//     and last lines at least, bytes non-decreasing, the last equal to the slot's size
// Each image is new to the build cache (a unique variant), so it is converted, not served cached.
import assert from 'node:assert/strict';
import path from 'node:path';
import { ENGINE_BUILD_TIMEOUT_MS, type PulumiWorkspace } from '../support/pulumi';
import { writeBusyboxArchive } from '../provider/fixture-image';
import { rolloutWorkspace, writeRolloutSite } from './rollout-program';
import { engineEnv, SECRET } from './site-program';

const MIB = /(\d+\.\d) of (\d+\.\d) MiB/;

/** Index of the engine's row for a resource's step (`Container web created`). */
function row(lines: Array<{ at: number; line: string }>, re: RegExp): number {
  const r = lines.find((l) => re.test(l.line));
  assert.ok(r, `no row ${re}`);
  return r.at;
}

/** The lines of `text` matching `re`, with their index in the whole output. */
function linesOf(text: string, re: RegExp): Array<{ at: number; line: string }> {
  return text
    .split('\n')
    .map((line, at) => ({ at, line: line.trim() }))
    .filter((l) => re.test(l.line));
}

/** Asserts `N of T MiB` lines count up to T and returns their (done, total) pairs. */
function countsUp(lines: Array<{ line: string }>, what: string): Array<[number, number]> {
  assert.ok(lines.length >= 1, `no ${what} lines`);
  const pairs = lines.map(({ line }) => {
    const m = MIB.exec(line);
    assert.ok(m, `${what}: ${line}`);
    return [Number(m[1]), Number(m[2])] as [number, number];
  });
  for (let i = 1; i < pairs.length; i++) {
    assert.ok(
      pairs[i][0] >= pairs[i - 1][0],
      `${what} went back: ${lines.map((l) => l.line).join(' | ')}`,
    );
    assert.equal(pairs[i][1], pairs[0][1], `${what}: the total changed`);
  }
  const [done, total] = pairs[pairs.length - 1];
  assert.ok(total > 0, `${what}: total ${total}`);
  assert.equal(done, total, `${what}: the last line is not the total`);
  return pairs;
}

describe('Pulumi engine: image conversion and slot write progress in the output of up', function () {
  this.timeout(1_200_000);
  let ws: PulumiWorkspace;
  let disk: string;
  const up = async (): Promise<string> => {
    const r = await ws.pulumiOk(['up', '--yes', '--skip-preview', '--non-interactive'], {
      ...engineEnv,
      timeoutMs: 600_000,
    });
    const out = r.stdout + '\n' + r.stderr;
    assert.ok(!out.includes(SECRET), 'the signing key is in the output');
    // The engine shows each line as it comes (on the stack's row, between the resource's
    // `creating`/`updating` and `created`/`updated` rows), then again under Diagnostics: the live
    // part is what is checked.
    const cut = out.indexOf('\nDiagnostics:');
    assert.ok(cut > 0, out);
    return out.slice(0, cut);
  };
  const image = (name: string) =>
    writeBusyboxArchive(path.join(ws.root, `${name}.tar`), `${name}-${process.pid}-${Date.now()}`);

  before(async function () {
    this.timeout(ENGINE_BUILD_TIMEOUT_MS);
    ws = await rolloutWorkspace();
    disk = path.join(ws.root, 'host-01.img');
  });
  after(() => ws?.dispose());

  it('a new stack: the image conversion counts up to the layers size, then slot A is written', async () => {
    writeRolloutSite(ws, await image('v1'), disk);
    const out = await up();
    const layers = linesOf(out, /Container web: image: .* MiB of layers read/);
    const pairs = countsUp(layers, 'layers');
    // The busybox layer is about 2 MiB: more than 1, less than 8.
    assert.ok(pairs[0][1] > 1 && pairs[0][1] < 8, `layers total ${pairs[0][1]} MiB`);
    const digest = linesOf(out, /Container web: image: hashing the disk image/);
    assert.equal(digest.length, 1, out);
    assert.ok(
      digest[0].at > layers[layers.length - 1].at,
      'the digest step came before the layers',
    );
    const slot = linesOf(out, /EspSlotWriter host-01: slot A: .* MiB written/);
    countsUp(slot, 'slot A');
    assert.ok(slot[0].at > digest[0].at, 'the slot was written before the image was converted');
    // Shown while the resource is being created, not after.
    const all = linesOf(out, /./);
    assert.ok(layers[0].at > row(all, /Container web creating/), out);
    assert.ok(digest[0].at < row(all, /Container web created/), out);
    assert.ok(slot[0].at > row(all, /EspSlotWriter host-01 creating/), out);
    assert.ok(slot[slot.length - 1].at < row(all, /EspSlotWriter host-01 created/), out);
  });

  it('a new image: converted again, then slot B written chunk by chunk up to its size', async () => {
    writeRolloutSite(ws, await image('v2'), disk);
    const out = await up();
    const layers = linesOf(out, /Container web: image: .* MiB of layers read/);
    countsUp(layers, 'layers');
    const slot = linesOf(out, /EspSlotWriter host-01: slot B: .* MiB written/);
    const pairs = countsUp(slot, 'slot B');
    assert.ok(
      slot[0].at > layers[layers.length - 1].at,
      'slot B was written before the conversion',
    );
    // The first chunk is its own line (a phase's start is never held back): 1 MiB of the slot.
    assert.equal(pairs[0][0], 1.0, slot.map((l) => l.line).join(' | '));
    assert.equal(
      linesOf(out, /EspSlotWriter host-01: slot A:/).length,
      0,
      'slot A was written again',
    );
    const all = linesOf(out, /./);
    assert.ok(slot[0].at > row(all, /EspSlotWriter host-01 updating/), out);
    assert.ok(slot[slot.length - 1].at < row(all, /EspSlotWriter host-01 updated/), out);
  });
});
