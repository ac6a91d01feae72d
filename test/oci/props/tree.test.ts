// Property tests: the merged tree (random layer sequences: only ImageError, whiteouts and opaque
// markers remove lower-layer entries only, nothing else of a lower layer is lost) and resolveInTree.
import assert from 'node:assert/strict';
import fc from 'fast-check';
import { ImageError } from '../../../core/image/errors';
import type { LayerEntry, LayerRecord, Meta } from '../../../core/image/layer-entry';
import { applyLayer, emptyRoot, resolveInTree, type DirInode, type Inode } from '../../../core/image/rootfs-tree';

describe('oci properties: the merged tree (applyLayer)', () => {
  type Kind = 'file' | 'dir' | 'symlink' | 'hardlink' | 'char' | 'fifo' | 'whiteout' | 'opaque';
  const part = fc.constantFrom('a', 'b', 'c');
  const parts = fc.array(part, { minLength: 1, maxLength: 3 });
  const meta = (): Meta => ({ mode: 0o644, uid: 0, gid: 0, mtime: 0, xattrs: new Map() });
  const entry = fc.tuple(fc.constantFrom<Kind>('file', 'dir', 'dir', 'symlink', 'hardlink', 'char', 'fifo', 'whiteout', 'opaque'), fc.oneof({ weight: 9, arbitrary: parts }, { weight: 1, arbitrary: fc.constant([] as string[]) }), parts)
    .map(([kind, p, target]): LayerEntry => {
      switch (kind) {
        case 'file': return { kind, parts: p, start: 0, size: 0, ...meta() };
        case 'dir': return { kind, parts: p, ...meta() };
        case 'symlink': return { kind, parts: p, target: '/a', ...meta() };
        case 'hardlink': return { kind, parts: p, target, ...meta() };
        case 'char': return { kind, parts: p, major: 1, minor: 3, ...meta() };
        case 'fifo': return { kind, parts: p, ...meta() };
        case 'whiteout': return { kind, parts: p };
        case 'opaque': return { kind, parts: p };
      }
    })
    .filter((e) => e.parts.length > 0 || e.kind === 'dir' || e.kind === 'opaque');
  // As the layer reader guarantees: no two entries of one layer at one path (markers apart).
  const tag = (e: LayerEntry) => (e.kind === 'opaque' ? 'opq:' : e.kind === 'whiteout' ? 'wh:' : '') + e.parts.join('/');
  const layer = fc.uniqueArray(entry, { selector: tag, maxLength: 10 });

  /** Every path of the tree -> its node. */
  function paths(root: DirInode): Map<string, Inode> {
    const out = new Map<string, Inode>();
    const stack: [DirInode, string[]][] = [[root, []]];
    while (stack.length) {
      const [dir, at] = stack.pop()!;
      for (const [n, child] of dir.children) {
        assert(n !== '' && n !== '.' && n !== '..' && !n.includes('/'));
        const p = [...at, n];
        out.set(p.join('/'), child);
        if (child.kind === 'dir') stack.push([child, p]);
      }
    }
    return out;
  }
  const isPrefix = (a: string[], b: string[]) => a.length <= b.length && a.every((x, i) => x === b[i]);

  it('random layer sequences: only ImageError; whiteouts and opaque markers remove lower entries only; nothing else of a lower layer is lost', () => {
    fc.assert(fc.property(fc.array(layer, { minLength: 1, maxLength: 4 }), (layers) => {
      const root = emptyRoot();
      for (const [i, entries] of layers.entries()) {
        const before = paths(root);
        const rec: LayerRecord = { label: `layer ${i}`, diffId: '', storedDigest: '', entries, warnings: [] };
        try {
          applyLayer(root, rec);
        } catch (e) {
          assert(e instanceof ImageError, String(e));
          assert.match(e.message, new RegExp(`^layer ${i}: entry /`));
          return;
        }
        const after = paths(root);
        const items = entries.filter((e) => e.kind !== 'whiteout' && e.kind !== 'opaque');
        // A whiteout hides what lower layers had, and only that: what this layer adds at or under it stays.
        for (const w of entries.filter((e) => e.kind === 'whiteout'))
          if (!items.some((e) => isPrefix(w.parts, e.parts))) assert(!after.has(w.parts.join('/')), `whiteout of ${w.parts.join('/')} kept it`);
        // An opaque directory holds only what this layer put in it.
        for (const o of entries.filter((e) => e.kind === 'opaque')) {
          const d = o.parts.length ? after.get(o.parts.join('/')) : root;
          if (d?.kind !== 'dir') continue;
          for (const n of d.children.keys())
            assert(items.some((e) => isPrefix([...o.parts, n], e.parts)), `${n} survived an opaque marker on /${o.parts.join('/')}`);
        }
        // Every entry of this layer is there, unless a later entry replaced an ancestor by a non-directory.
        items.forEach((e, k) => {
          if (e.parts.length === 0) return;
          const replaced = items.slice(k + 1).some((l) => l.kind !== 'dir' && l.parts.length < e.parts.length && isPrefix(l.parts, e.parts));
          if (replaced) return;
          const node = after.get(e.parts.join('/'));
          assert(node, `entry /${e.parts.join('/')} missing`);
          if (e.kind !== 'hardlink') assert.equal(node.kind, e.kind);
          else assert.notEqual(node.kind, 'dir');
        });
        // Lower entries this layer neither hid nor replaced are the same nodes.
        for (const [p, node] of before) {
          const q = p.split('/');
          const hidden = entries.some((e) =>
            (e.kind === 'whiteout' && isPrefix(e.parts, q)) ||
            (e.kind === 'opaque' && e.parts.length < q.length && isPrefix(e.parts, q)) ||
            (e.kind !== 'whiteout' && e.kind !== 'opaque' && isPrefix(e.parts, q) && (e.kind !== 'dir' || e.parts.length === q.length)));
          if (!hidden) assert.equal(after.get(p), node, `lower entry /${p} lost or replaced`);
        }
      }
    }), { numRuns: 2000 });
  });
});

describe('oci properties: resolveInTree', () => {
  const m = (): Meta => ({ mode: 0o755, uid: 0, gid: 0, mtime: 0, xattrs: new Map() });
  const name = fc.constantFrom('a', 'b', 'c');
  const target = fc.tuple(fc.boolean(), fc.array(fc.constantFrom('a', 'b', 'c', '..', '.', ''), { maxLength: 5 })).map(([abs, p]) => (abs ? '/' : '') + p.join('/') || '.');
  const entry = fc.tuple(fc.constantFrom('dir', 'dir', 'file', 'symlink'), fc.array(name, { minLength: 1, maxLength: 3 }), target)
    .map(([kind, parts, t]): LayerEntry => (kind === 'symlink' ? { kind, parts, target: t, ...m() } : kind === 'file' ? { kind, parts, start: 0, size: 0, ...m() } : { kind: 'dir', parts, ...m() }));

  /** The walk written plainly: names from the root, a symlink's target joined to the rest, 40 links. */
  function reference(root: DirInode, absPath: string, hops = 0): Inode | undefined {
    if (hops > 40) return undefined;
    const at = (names: string[]) => names.reduce<Inode | undefined>((n, p) => (n?.kind === 'dir' ? n.children.get(p) : undefined), root);
    const parts = absPath.split('/').filter((p) => p !== '' && p !== '.');
    const names: string[] = [];
    for (let i = 0; i < parts.length; i++) {
      if (at(names)?.kind !== 'dir') return undefined; // a file with components after it (ENOTDIR)
      if (parts[i] === '..') {
        names.pop();
        continue;
      }
      const node = at([...names, parts[i]]);
      if (node === undefined) return undefined;
      if (node.kind === 'symlink') {
        const base = node.target.startsWith('/') ? node.target : '/' + [...names, node.target].join('/');
        return reference(root, [base, ...parts.slice(i + 1)].join('/'), hops + 1);
      }
      names.push(parts[i]);
    }
    return at(names);
  }

  it('agrees with the plain walk on random trees of directories, files and symlinks (loops, "..", absolute targets)', () => {
    fc.assert(fc.property(fc.uniqueArray(entry, { selector: (e) => e.parts.join('/'), maxLength: 12 }), fc.array(fc.constantFrom('a', 'b', 'c', '..', '.'), { maxLength: 6 }), (entries, q) => {
      const root = emptyRoot();
      try {
        applyLayer(root, { label: 'layer 0', diffId: '', storedDigest: '', warnings: [], entries });
      } catch (e) {
        if (e instanceof ImageError) return;
        throw e;
      }
      const p = '/' + q.join('/');
      assert.equal(resolveInTree(root, p), reference(root, p), p);
    }), { numRuns: 3000 });
  });
});
