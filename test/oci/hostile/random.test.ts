// Random multi-layer archives (fast-check): files at block-size edges, xattr sets around the
// in-inode and block limits, symlinks around the fast/slow boundary, hardlinks, devices, fifos,
// whiteouts and opaque directories, over a handful of names. Each image must pass `e2fsck -fn`
// and hold what a simple model of layer application says: every file's bytes, every symlink's
// target, nothing that was whited out. The containment checks of the harness run after each.
import assert from 'node:assert/strict';
import crypto from 'node:crypto';
import fc from 'fast-check';
import { rawTar, type RawEntry } from '../../support/oci-pack';
import { BASE, hostileSuite } from '../../support/hostile-harness';
import { S_IFMT, TYPE, type RawDirent, type RawImage } from '../../support/ext4-raw';

type Node = { kind: 'file'; content: Buffer } | { kind: 'dir' } | { kind: 'symlink'; target: string } | { kind: 'char' | 'fifo' };
type Op =
  | { op: 'file'; dir: string[]; name: string; size: number; xattrs: number[] }
  | { op: 'dir'; dir: string[] }
  | { op: 'symlink'; dir: string[]; name: string; len: number }
  | { op: 'hardlink'; dir: string[]; name: string; pick: number }
  | { op: 'char' | 'fifo'; dir: string[]; name: string }
  | { op: 'wide'; dir: string[]; count: number; len: number }
  | { op: 'whiteout'; pick: number }
  | { op: 'opaque'; pick: number };

const dirPath = fc.array(fc.constantFrom('d0', 'd1', '\xe9'), { maxLength: 2 });
const size = fc.oneof(fc.constantFrom(0, 1, 4095, 4096, 4097, 8192, 12289), fc.nat(20_000));
// Value sizes around what fits in the inode (96 bytes in all) and in one block.
const xattrSizes = fc.array(fc.oneof(fc.constantFrom(0, 1, 52, 56, 60, 1000, 2000), fc.nat(400)), { maxLength: 3 }).filter((a) => a.reduce((x, y) => x + y, 0) <= 3900);
const op: fc.Arbitrary<Op> = fc.oneof(
  { weight: 5, arbitrary: fc.record({ op: fc.constant('file' as const), dir: dirPath, name: fc.constantFrom('f0', 'f1', 'f\n2'), size, xattrs: xattrSizes }) },
  { weight: 2, arbitrary: fc.record({ op: fc.constant('dir' as const), dir: dirPath.filter((d) => d.length > 0) }) },
  { weight: 2, arbitrary: fc.record({ op: fc.constant('symlink' as const), dir: dirPath, name: fc.constantFrom('s0', 's1'), len: fc.constantFrom(1, 59, 60, 61, 300) }) },
  { weight: 2, arbitrary: fc.record({ op: fc.constant('hardlink' as const), dir: dirPath, name: fc.constantFrom('h0', 'h1'), pick: fc.nat() }) },
  { weight: 1, arbitrary: fc.record({ op: fc.constantFrom('char' as const, 'fifo' as const), dir: dirPath, name: fc.constantFrom('c0', 'p0') }) },
  // Many long names: directories over several blocks.
  { weight: 1, arbitrary: fc.record({ op: fc.constant('wide' as const), dir: dirPath, count: fc.nat(120), len: fc.integer({ min: 200, max: 255 }) }) },
  { weight: 2, arbitrary: fc.record({ op: fc.constant('whiteout' as const), pick: fc.nat() }) },
  { weight: 1, arbitrary: fc.record({ op: fc.constant('opaque' as const), pick: fc.nat() }) },
);

const bytes = (seed: string, n: number) => {
  const out = Buffer.alloc(n);
  for (let off = 0, i = 0; off < n; i++) off += crypto.createHash('sha256').update(`${seed}:${i}`).digest().copy(out, off);
  return out;
};

/** Turns ops into layer tars, and applies them to the model as Docker would (whiteouts and opaque markers first). */
function build(layers: Op[][]): { tars: Buffer[]; model: Map<string, Node> } {
  let model = new Map<string, Node>();
  const tars: Buffer[] = [];
  const removeFrom = (m: Map<string, Node>, p: string, self: boolean) => {
    for (const k of [...m.keys()]) if (k.startsWith(p + '/') || (self && k === p)) m.delete(k);
  };
  layers.forEach((ops, li) => {
    const lower = [...model.keys()];
    // Pass 1: the markers, applied to the model first.
    const markers: string[] = [];
    for (const o of ops) {
      if (o.op === 'whiteout' && lower.length) {
        const p = lower[o.pick % lower.length];
        const parts = p.split('/');
        const name = [...parts.slice(0, -1), `.wh.${parts[parts.length - 1]}`].join('/');
        if (p !== 'bin' && !p.startsWith('bin/') && !markers.includes(name)) markers.push(name);
      }
      const dirs = lower.filter((k) => model.get(k)!.kind === 'dir' && k !== 'bin');
      if (o.op === 'opaque' && dirs.length) {
        const name = `${dirs[o.pick % dirs.length]}/.wh..wh..opq`;
        if (!markers.includes(name)) markers.push(name);
      }
    }
    const next = new Map(model);
    for (const m of markers) {
      if (m.endsWith('/.wh..wh..opq')) removeFrom(next, m.slice(0, -'/.wh..wh..opq'.length), false);
      else removeFrom(next, m.replace(/(^|\/)\.wh\.([^/]*)$/, '$1$2'), true);
    }
    // Pass 2: the entries, in order; one per path (the reader refuses duplicates).
    const entries: RawEntry[] = li === 0 ? [...BASE] : [];
    const seen = new Set<string>(li === 0 ? ['bin', 'bin/sh'] : []);
    const set = (p: string, n: Node) => {
      const parts = p.split('/');
      for (let i = 1; i < parts.length; i++) {
        const q = parts.slice(0, i).join('/');
        if (next.get(q)?.kind !== 'dir') {
          removeFrom(next, q, true);
          next.set(q, { kind: 'dir' });
        }
      }
      if (n.kind !== 'dir' || next.get(p)?.kind !== 'dir') removeFrom(next, p, true);
      if (n.kind !== 'dir' || !next.has(p)) next.set(p, n);
    };
    ops.forEach((o, k) => {
      if (o.op === 'whiteout' || o.op === 'opaque') return;
      if (o.op === 'wide') {
        for (let i = 0; i < o.count; i++) {
          const p = [...o.dir, `${i}`.padStart(o.len, 'w')].join('/');
          if (seen.has(p)) continue;
          seen.add(p);
          entries.push({ name: p, content: '' });
          set(p, { kind: 'file', content: Buffer.alloc(0) });
        }
        return;
      }
      const p = o.op === 'dir' ? o.dir.join('/') : [...o.dir, o.name].join('/');
      if (seen.has(p)) return;
      switch (o.op) {
        case 'file': {
          const content = bytes(`${li}:${k}`, o.size);
          entries.push({ name: p, content, pax: o.xattrs.map((n, i) => [`SCHILY.xattr.user.x${i}`, bytes(`x${li}:${k}:${i}`, n)]) });
          set(p, { kind: 'file', content });
          break;
        }
        case 'dir':
          entries.push({ name: `${p}/`, type: '5', mode: 0o750 });
          set(p, { kind: 'dir' });
          break;
        case 'symlink': {
          const target = '\xe9'.repeat(o.len);
          entries.push({ name: p, type: '2', linkname: o.len > 100 ? 'x' : target, pax: o.len > 100 ? [['linkpath', target]] : [] });
          set(p, { kind: 'symlink', target });
          break;
        }
        case 'hardlink': {
          // To a file that exists when the link is applied: a surviving lower one or one made earlier here.
          const files = [...next.keys()].filter((q) => next.get(q)!.kind === 'file' && q !== p);
          if (!files.length) return;
          const target = files[o.pick % files.length];
          entries.push({ name: p, type: '1', linkname: target });
          set(p, next.get(target)!);
          break;
        }
        case 'char':
        case 'fifo':
          entries.push({ name: p, type: o.op === 'char' ? '3' : '6', devmajor: 1, devminor: 5 });
          set(p, { kind: o.op });
          break;
      }
      seen.add(p);
    });
    model = next;
    tars.push(rawTar([...markers.map((name) => ({ name, content: '' })), ...entries]));
  });
  return { tars, model };
}

/** Every path of the image (binary names) -> its directory entry, by one `ls -p <ino>` per directory. */
function walk(img: RawImage): Map<string, RawDirent> {
  const out = new Map<string, RawDirent>();
  const dirs: [number, string][] = [[2, '']];
  while (dirs.length) {
    const [ino, at] = dirs.pop()!;
    for (const [name, e] of img.ls(ino)) {
      const p = at ? `${at}/${name}` : name;
      if (!at && (name === '.d0' || name === 'lost+found')) continue;
      out.set(p, e);
      if ((e.mode & S_IFMT) === TYPE.dir) dirs.push([e.ino, p]);
    }
  }
  return out;
}

function check(img: RawImage, model: Map<string, Node>): void {
  const tree = walk(img);
  assert.deepEqual([...tree.keys()].sort(), [...new Set(['bin', 'bin/sh', ...model.keys()])].sort(), 'the image holds exactly the paths the layers leave');
  for (const [p, n] of model) {
    const e = tree.get(p)!;
    const want = { file: TYPE.file, dir: TYPE.dir, symlink: TYPE.symlink, char: TYPE.char, fifo: TYPE.fifo }[n.kind];
    assert.equal(e.mode & S_IFMT, want, `/${p}: type`);
    if (n.kind === 'file') {
      assert.equal(e.size, n.content.length, `/${p}: size`);
      if (n.content.length) assert(img.content(e.ino).equals(n.content), `/${p}: content`);
    }
    if (n.kind === 'symlink') assert.equal(img.target(e.ino), n.target, `/${p}: target`);
  }
  // Paths the model links to one node are one inode, and only those.
  const inoOf = new Map<Node, number>();
  for (const [p, n] of model) {
    if (n.kind !== 'file') continue;
    const ino = tree.get(p)!.ino;
    if (inoOf.has(n)) assert.equal(ino, inoOf.get(n), `/${p}: hardlinked`);
    else {
      assert(![...inoOf.values()].includes(ino), `/${p}: shares an inode it should not`);
      inoOf.set(n, ino);
    }
  }
}

describe('oci hostile: random multi-layer archives', function () {
  this.timeout(300_000);
  const ctx = hostileSuite();
  let n = 0;

  it('build, pass e2fsck -fn and hold what the layers say (12 random archives)', async () => {
    await fc.assert(
      fc.asyncProperty(fc.array(fc.array(op, { minLength: 1, maxLength: 12 }), { minLength: 1, maxLength: 3 }), async (layers) => {
        const { tars, model } = build(layers);
        const img = await ctx.h.accepted(`random-${n++}`, tars, { gzip: n % 2 === 0 });
        check(img, model);
      }),
      { numRuns: Number(process.env.D0_RANDOM_RUNS ?? 12) },
    );
  });
});
