// Hostile links, special files and layer bookkeeping: hardlinks out of the tree, to missing files,
// to directories, through symlinks, hardlink headers with their own mode and owner; device nodes
// (large numbers) and fifos; duplicate entries; whiteouts of "." and ".."; opaque markers in odd
// places; the root entry itself.
import assert from 'node:assert/strict';
import { rawTar, type RawEntry } from '../../support/oci-pack';
import { hostileSuite, withBase } from '../../support/hostile-harness';
import { S_IFMT, TYPE } from '../../support/ext4-raw';

describe('oci hostile: links, devices, duplicates, whiteouts', function () {
  this.timeout(60_000);
  const ctx = hostileSuite();

  describe('hardlinks', () => {
    it('out of the tree by ".." is refused (ENTRY_UNSAFE)', async () => {
      await ctx.h.refused('hardlink-dotdot', [withBase([{ name: 'leak', type: '1', linkname: '../../../etc/shadow' }])], {
        code: 'ENTRY_UNSAFE', mention: /entry "leak": hardlink target "\.\.\/\.\.\/\.\.\/etc\/shadow" contains '\.\.'/, layer: 0,
      });
    });

    it("out of the tree by a pax linkpath to the canary's path is a missing target (ENTRY_INVALID)", async () => {
      await ctx.h.refused('hardlink-abs-canary', [withBase([{ name: 'leak', type: '1', linkname: 'x', pax: [['linkpath', `${ctx.h.canary}/passwd`]] }])], {
        code: 'ENTRY_INVALID', mention: /entry \/leak: hardlink target \/tmp\/d0-canary-\w+\/passwd does not exist/, layer: 0,
      });
    });

    it('to a missing file is refused (ENTRY_INVALID)', async () => {
      await ctx.h.refused('hardlink-missing', [withBase([{ name: 'leak', type: '1', linkname: 'nothere' }])], {
        code: 'ENTRY_INVALID', mention: /entry \/leak: hardlink target \/nothere does not exist/, layer: 0,
      });
    });

    it('to a file that appears later in the same layer is refused (ENTRY_INVALID)', async () => {
      await ctx.h.refused('hardlink-forward', [withBase([{ name: 'early', type: '1', linkname: 'late' }, { name: 'late', content: 'x' }])], {
        code: 'ENTRY_INVALID', mention: /entry \/early: hardlink target \/late does not exist/, layer: 0,
      });
    });

    it('to a file this layer whites out is refused (ENTRY_INVALID)', async () => {
      await ctx.h.refused('hardlink-whited-out', [withBase([{ name: 'f', content: 'x' }]), rawTar([{ name: '.wh.f', content: '' }, { name: 'g', type: '1', linkname: 'f' }])], {
        code: 'ENTRY_INVALID', mention: /entry \/g: hardlink target \/f does not exist/, layer: 1,
      });
    });

    it('to a directory is refused (ENTRY_INVALID)', async () => {
      await ctx.h.refused('hardlink-dir', [withBase([{ name: 'd/', type: '5' }, { name: 'dl', type: '1', linkname: 'd' }])], {
        code: 'ENTRY_INVALID', mention: /entry \/dl: hardlink to directory \/d/, layer: 0,
      });
    });

    it('to the root is refused (ENTRY_INVALID)', async () => {
      await ctx.h.refused('hardlink-root', [withBase([{ name: 'r', type: '1', linkname: './' }])], {
        code: 'ENTRY_INVALID', mention: /entry \/r: hardlink to directory \//, layer: 0,
      });
    });

    it('through a symlinked directory is refused (ENTRY_UNSAFE)', async () => {
      await ctx.h.refused('hardlink-through-symlink', [withBase([{ name: 'd', type: '2', linkname: '/etc' }, { name: 'leak', type: '1', linkname: 'd/passwd' }])], {
        code: 'ENTRY_UNSAFE', mention: /hardlink target \/d\/passwd\): parent \/d is a symlink/, layer: 0,
      });
    });

    it('without a target is refused (ENTRY_INVALID)', async () => {
      await ctx.h.refused('hardlink-empty', [withBase([{ name: 'h', type: '1', linkname: '' }])], {
        code: 'ENTRY_INVALID', mention: /entry "h": hardlink without a target/, layer: 0,
      });
    });

    it('more than 65,000 links to one file (ext4 and Linux refuse more) are refused (LIMIT_EXCEEDED); 65,000 are accepted', async () => {
      const links = (n: number): RawEntry[] => [{ name: 'f', content: 'x' }, { name: 'h/', type: '5' }, ...Array.from({ length: n - 1 }, (_, i) => ({ name: `h/${i}`, type: '1', linkname: 'f' }))];
      const img = await ctx.h.accepted('hardlinks-65000', [withBase(links(65_000))]);
      assert.equal(img.links(img.get(['f']).ino), 65_000);
      await ctx.h.refused('hardlinks-65001', [withBase(links(65_001))], {
        code: 'LIMIT_EXCEEDED', mention: /\/h\/\d+: more than 65000 hard links to one file/, layer: null,
      });
    });

    it("a link header's own mode, uid and gid apply to the shared inode (as Docker does); '/'-rooted targets stay in the image", async () => {
      const img = await ctx.h.accepted('hardlink-own-meta', [
        withBase([{ name: 'f', content: 'shared', mode: 0o644, uid: 1, gid: 2 }]),
        rawTar([
          { name: 'g', type: '1', linkname: '/f', mode: 0o4751, uid: 1000, gid: 1001, pax: [['SCHILY.xattr.user.from-link', 'L']] },
          { name: 'sym', type: '2', linkname: 'f' },
          { name: 'hs', type: '1', linkname: 'sym' },
        ]),
      ]);
      const f = img.get(['f']);
      const g = img.get(['g']);
      assert.equal(f.ino, g.ino, 'one inode');
      assert.equal(img.links(f.ino), 2);
      assert.equal(f.mode, TYPE.file | 0o4751);
      assert.deepEqual([f.uid, f.gid], [1000, 1001]);
      assert.equal(img.content(g.ino).toString(), 'shared');
      assert.deepEqual([...img.xattrs(f.ino)].map(([k, v]) => [k, v.toString()]), [['user.from-link', 'L']]);
      const hs = img.get(['hs']);
      assert.equal(hs.ino, img.get(['sym']).ino);
      assert.equal(hs.mode & S_IFMT, TYPE.symlink);
      assert.equal(img.links(hs.ino), 2);
    });
  });

  describe('symlink targets, ids and times', () => {
    it('targets of 59, 60, 61 (fast/slow boundary) and 4095 bytes are kept byte-exact; 32-bit ids and far-future times are stored', async () => {
      const lens = [1, 59, 60, 61, 4095];
      const img = await ctx.h.accepted('symlink-lengths-ids', [withBase([
        ...lens.map((n): RawEntry => ({ name: `s${n}`, type: '2', linkname: 'x', pax: [['linkpath', '\xe9'.repeat(n)]] })),
        { name: 'ids', content: 'x', uid: 4294967295, gid: 65536, mtime: 2n ** 40n },
        { name: 'pax-time', content: 'y', pax: [['mtime', '99999999999999.5'], ['uid', '70000']] },
      ])]);
      for (const n of lens) assert.equal(img.target(img.get([`s${n}`]).ino), '\xe9'.repeat(n), `s${n}`);
      const ids = img.get(['ids']);
      assert.deepEqual([ids.uid, ids.gid], [4294967295, 65536]);
      assert.match(img.stat(ids.ino), /mtime: 0x7fffffff:00000003 -- .* 2446/, 'clamped to the last time ext4 holds');
      assert.equal(img.get(['pax-time']).uid, 70000);
    });

    const bad: [string, RawEntry, RegExp][] = [
      ['symlink-nul', { name: 's', type: '2', linkname: 'x', pax: [['linkpath', 'ok\x00/etc/passwd']] }, /entry "s": symlink target contains a NUL byte/],
      ['symlink-4096', { name: 's', type: '2', linkname: 'x', pax: [['linkpath', 'l'.repeat(4096)]] }, /entry "s": symlink target longer than 4095 bytes/],
      ['symlink-empty', { name: 's', type: '2', linkname: '' }, /entry "s": symlink without a target/],
    ];
    for (const [name, entry, mention] of bad)
      it(`${name} is refused (ENTRY_INVALID)`, async () => {
        await ctx.h.refused(name, [withBase([entry])], { code: 'ENTRY_INVALID', mention, layer: 0 });
      });
  });

  describe('devices and fifos', () => {
    it('char, block (largest numbers ext4 holds) and fifo nodes are stored, never created on the host', async () => {
      const img = await ctx.h.accepted('devices', [withBase([
        { name: 'dev/', type: '5' },
        { name: 'dev/null', type: '3', devmajor: 1, devminor: 3, mode: 0o666 },
        { name: 'dev/big', type: '4', devmajor: 0xfff, devminor: 0xfffff, mode: 0o600, uid: 6, gid: 6 },
        { name: 'dev/mid', type: '4', devmajor: 259, devminor: 70000 },
        { name: 'dev/fifo', type: '6', mode: 0o620 },
        { name: 'dev/fifo-link', type: '1', linkname: 'dev/fifo', mode: 0o620 },
      ])]);
      const dev = img.ls(img.get(['dev']).ino);
      assert.equal(dev.get('null')!.mode, TYPE.char | 0o666);
      assert.deepEqual(img.device(dev.get('null')!.ino), [1, 3]);
      assert.equal(dev.get('big')!.mode, TYPE.block | 0o600);
      assert.deepEqual(img.device(dev.get('big')!.ino), [0xfff, 0xfffff]);
      assert.deepEqual(img.device(dev.get('mid')!.ino), [259, 70000]);
      assert.equal(dev.get('fifo')!.mode, TYPE.fifo | 0o620);
      assert.equal(dev.get('fifo-link')!.ino, dev.get('fifo')!.ino);
    });

    const tooBig: [string, string, number | bigint, number | bigint, RegExp][] = [
      ['device-major-4096', '4', 0x1000, 0, /device 4096:0 out of range/],
      ['device-minor-2^20', '3', 0, 0x100000, /device 0:1048576 out of range/],
      ['device-major-base256', '3', 2n ** 40n, 1, /device 1099511627776:1 out of range/],
    ];
    for (const [name, type, major, minor, mention] of tooBig)
      it(`${name} is refused (ENTRY_INVALID)`, async () => {
        await ctx.h.refused(name, [withBase([{ name: 'dev/x', type, devmajor: major, devminor: minor }])], {
          code: 'ENTRY_INVALID', mention: new RegExp(`entry "dev/x": ${mention.source}`), layer: 0,
        });
      });
  });

  describe('duplicates', () => {
    const dups: [string, string, string, RegExp][] = [
      ['dup-same', 'etc/x', 'etc/x', /duplicate entry \/etc\/x/],
      ['dup-dot-slash', 'etc/x', './etc//x', /duplicate entry \/etc\/x/],
      ['dup-file-then-dir', 'etc/x', 'etc/x/', /duplicate entry \/etc\/x/],
    ];
    for (const [name, a, b, mention] of dups)
      it(`"${a}" then "${b}" in one layer is refused (ENTRY_INVALID)`, async () => {
        await ctx.h.refused(name, [withBase([{ name: 'etc/', type: '5' }, { name: a, content: 'a' }, { name: b, type: b.endsWith('/') ? '5' : '0', content: b.endsWith('/') ? undefined : 'b' }])], {
          code: 'ENTRY_INVALID', mention, layer: 0,
        });
      });

    it('two whiteouts of one name in one layer are refused (ENTRY_INVALID)', async () => {
      await ctx.h.refused('dup-whiteout', [withBase([]), rawTar([{ name: '.wh.x', content: '' }, { name: './.wh.x', content: '' }])], {
        code: 'ENTRY_INVALID', mention: /duplicate entry \/x/, layer: 1,
      });
    });

    it('the same name in two layers: the upper wins, the lower content is gone', async () => {
      const img = await ctx.h.accepted('dup-across-layers', [withBase([{ name: 'x', content: 'lower', uid: 1 }]), rawTar([{ name: 'x', type: '2', linkname: 'elsewhere' }])]);
      const x = img.get(['x']);
      assert.equal(x.mode & S_IFMT, TYPE.symlink);
      assert.equal(img.target(x.ino), 'elsewhere');
    });
  });

  describe('whiteouts and opaque markers', () => {
    for (const [name, entry, shown] of [['whiteout-dot', '.wh..', '.'], ['whiteout-dotdot', 'etc/.wh...', '..'], ['whiteout-empty', '.wh.', '']])
      it(`"${entry}" is refused (ENTRY_UNSAFE)`, async () => {
        await ctx.h.refused(name, [withBase([{ name: 'etc/', type: '5' }]), rawTar([{ name: entry, content: '' }])], {
          code: 'ENTRY_UNSAFE', mention: new RegExp(`whiteout of "${shown.replace(/\./g, '\\.')}"`), layer: 1,
        });
      });

    it('opaque markers in odd places: the root, a file, a symlink, a missing dir, as a directory entry; aufs metadata ignored', async () => {
      const img = await ctx.h.accepted('opaque-odd', [
        withBase([{ name: 'gone', content: 'lower' }, { name: 'f', content: 'file' }, { name: 's', type: '2', linkname: ctx.h.canary }, { name: 'd/', type: '5' }, { name: 'd/kept-by-upper', content: 'old' }]),
        rawTar([
          { name: 'f/.wh..wh..opq', content: '' },
          { name: 's/.wh..wh..opq', content: '' },
          { name: 'missing/.wh..wh..opq', content: '' },
          { name: 'd/.wh..wh..opq/', type: '5' },
          { name: '.wh..wh.plnk/', type: '5' },
          { name: '.wh..wh.aufs', content: '' },
          { name: 'd/new', content: 'new' },
        ]),
        rawTar([{ name: '.wh..wh..opq', content: '' }, ...[{ name: 'bin/', type: '5' }, { name: 'bin/sh', content: '#!/bin/true\n', mode: 0o755 }], { name: 'top', content: 't' }]),
      ]);
      const root = img.ls(2);
      assert.deepEqual([...root.keys()].sort(), ['.d0', 'bin', 'lost+found', 'top'], 'a root opaque marker hides every lower entry');
      assert.equal(img.result.meta.warnings.filter((w) => /aufs metadata entry ignored/.test(w)).length, 2);
    });

    it('opaque markers and whiteouts act on lower layers only, whatever their place in the tar', async () => {
      const img = await ctx.h.accepted('opaque-order', [
        withBase([{ name: 'd/', type: '5' }, { name: 'd/old', content: 'o' }, { name: 'x', content: 'lower' }]),
        rawTar([{ name: 'd/new', content: 'n' }, { name: 'x', content: 'upper' }, { name: 'd/.wh..wh..opq', content: '' }, { name: '.wh.x', content: '' }, { name: '.wh.nothere', content: '' }, { name: 'nodir/.wh.y', content: '' }]),
      ]);
      assert.deepEqual([...img.ls(img.get(['d']).ino).keys()], ['new']);
      assert.equal(img.content(img.get(['x']).ino).toString(), 'upper');
    });

    it('whiteout of the image root path "./.wh..d0" removes nothing of D0 and the build succeeds', async () => {
      const img = await ctx.h.accepted('whiteout-d0', [withBase([]), rawTar([{ name: '.wh..d0', content: '' }])]);
      assert.equal(img.get(['.d0', 'init']).mode & S_IFMT, TYPE.file);
    });
  });

  describe('the root entry', () => {
    it("'./' sets the root's mode and owner", async () => {
      const img = await ctx.h.accepted('root-entry', [withBase([{ name: './', type: '5', mode: 0o1777, uid: 7, gid: 8 }])]);
      const st = img.stat(2);
      assert.match(st, /Mode:\s+01777/);
      assert.match(st, /User:\s+7\s+Group:\s+8/);
    });

    it('a root that is not a directory is refused (ENTRY_INVALID)', async () => {
      await ctx.h.refused('root-file', [withBase([{ name: './', type: '0', content: 'x' }])], { code: 'ENTRY_INVALID', mention: /the root must be a directory/, layer: 0 });
    });
  });
});
