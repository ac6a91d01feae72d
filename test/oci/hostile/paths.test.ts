// Hostile entry paths: '..' in every spelling the tar format allows (ustar name, prefix field, pax
// path, GNU long name, hardlink targets), absolute paths, and writes through symlinked parents
// planted in the same layer, a lower layer, through a hardlink or by whiteout-and-recreate. Each
// is refused with the layer and the path named, or (names that only look like traversal) kept
// byte-exact; nothing outside the work dir is touched.
import assert from 'node:assert/strict';
import { rawTar } from '../../support/oci-pack';
import { hostileSuite, withBase } from '../../support/hostile-harness';
import { S_IFMT, TYPE } from '../../support/ext4-raw';

describe('oci hostile: traversal, absolute paths, symlinked parents', function () {
  this.timeout(60_000);
  const ctx = hostileSuite();

  describe("'..' in many spellings is refused (ENTRY_UNSAFE)", () => {
    const spellings: [string, string][] = [
      ['dotdot-leading', '../pwned'],
      ['dotdot-deep', '../../../../../../../../pwned'],
      ['dotdot-middle', 'etc/../../pwned'],
      ['dotdot-dot-slash', './../pwned'],
      ['dotdot-double-slash', '..//..//pwned'],
      ['dotdot-trailing', 'etc/..'],
      ['dotdot-alone', '..'],
    ];
    for (const [name, entry] of spellings)
      it(`${name}: "${entry}"`, async () => {
        await ctx.h.refused(name, [withBase([{ name: 'etc/', type: '5' }, { name: entry, content: 'pwned' }])], {
          code: 'ENTRY_UNSAFE', mention: /contains '\.\.'/, layer: 0,
        });
      });

    it('climbing to the canary by its own path', async () => {
      const h = ctx.h;
      await h.refused('dotdot-canary', [withBase([{ name: `${h.up}/passwd`, content: 'pwned' }])], {
        code: 'ENTRY_UNSAFE', mention: new RegExp(`"(\\.\\./)+${h.canary.slice(1)}/passwd" contains '\\.\\.'`), layer: 0,
      });
    });

    it('in the ustar prefix field', async () => {
      await ctx.h.refused('dotdot-prefix', [withBase([{ name: 'pwned', prefix: '../..', content: 'x' }])], {
        code: 'ENTRY_UNSAFE', mention: /"\.\.\/\.\.\/pwned" contains '\.\.'/, layer: 0,
      });
    });

    it('in a pax path record over a harmless ustar name', async () => {
      await ctx.h.refused('dotdot-pax', [withBase([{ name: 'harmless', pax: [['path', '../../pwned']], content: 'x' }])], {
        code: 'ENTRY_UNSAFE', mention: /"\.\.\/\.\.\/pwned"/, layer: 0,
      });
    });

    it('in a GNU long name', async () => {
      await ctx.h.refused('dotdot-gnu-longname', [withBase([{ name: 'harmless', longName: '../'.repeat(40) + 'pwned', content: 'x' }])], {
        code: 'ENTRY_UNSAFE', mention: /"(\.\.\/){40}pwned" contains '\.\.'/, layer: 0,
      });
    });

    it('in a second layer (the message names layer 1)', async () => {
      await ctx.h.refused('dotdot-layer1', [withBase([]), rawTar([{ name: 'a/../../pwned', content: 'x' }])], {
        code: 'ENTRY_UNSAFE', mention: /"a\/\.\.\/\.\.\/pwned"/, layer: 1,
      });
    });
  });

  it('names that only look like traversal are kept byte-exact: "...", "..\\x", ".. ", "..a"', async () => {
    const names = ['...', '..\\x', '.. ', '..a', '.\u00e9.'];
    const img = await ctx.h.accepted('dotdot-lookalikes', [withBase(names.map((n, i) => ({ name: `look/${n}`, content: `n${i}` })))]);
    const look = img.ls(img.get(['look']).ino);
    assert.deepEqual([...look.keys()].sort(), [...names].sort());
    names.forEach((n, i) => assert.equal(img.content(look.get(n)!.ino).toString(), `n${i}`));
  });

  describe('absolute paths are refused (ENTRY_UNSAFE)', () => {
    it('/etc/passwd', async () => {
      await ctx.h.refused('abs-etc-passwd', [withBase([{ name: '/etc/passwd', content: 'pwned' }])], {
        code: 'ENTRY_UNSAFE', mention: /absolute path "\/etc\/passwd"/, layer: 0,
      });
    });
    it("the canary's own path, with a double slash", async () => {
      const p = `//${ctx.h.canary.slice(1)}/passwd`;
      await ctx.h.refused('abs-canary', [withBase([{ name: p, content: 'pwned' }])], {
        code: 'ENTRY_UNSAFE', mention: /absolute path "\/\/.*\/passwd"/, layer: 0,
      });
    });
    it('in a pax path record', async () => {
      await ctx.h.refused('abs-pax', [withBase([{ name: 'ok', pax: [['path', `${ctx.h.canary}/etc/shadow`]], content: 'x' }])], {
        code: 'ENTRY_UNSAFE', mention: /absolute path ".*\/etc\/shadow"/, layer: 0,
      });
    });
    it('in a GNU long name (a directory)', async () => {
      await ctx.h.refused('abs-gnu-dir', [withBase([{ name: 'ok/', type: '5', longName: `${ctx.h.canary}/newdir/` }])], {
        code: 'ENTRY_UNSAFE', mention: /absolute path ".*\/newdir\/"/, layer: 0,
      });
    });
    it('in the ustar prefix field', async () => {
      await ctx.h.refused('abs-prefix', [withBase([{ name: 'passwd', prefix: ctx.h.canary, content: 'x' }])], {
        code: 'ENTRY_UNSAFE', mention: /absolute path ".*\/passwd"/, layer: 0,
      });
    });
  });

  describe('symlinked parents are never written through (ENTRY_UNSAFE)', () => {
    it('a symlink to the canary, then a file under it (same layer)', async () => {
      await ctx.h.refused('symparent-same', [withBase([
        { name: 'escape', type: '2', linkname: ctx.h.canary },
        { name: 'escape/passwd', content: 'pwned' },
      ])], { code: 'ENTRY_UNSAFE', mention: /entry \/escape\/passwd: parent \/escape is a symlink/, layer: 0 });
    });

    it('a relative symlink climbing out, then a directory under it', async () => {
      await ctx.h.refused('symparent-relative', [withBase([
        { name: 'up', type: '2', linkname: ctx.h.up },
        { name: 'up/newdir/', type: '5' },
      ])], { code: 'ENTRY_UNSAFE', mention: /parent \/up is a symlink/, layer: 0 });
    });

    it('a symlink planted by a lower layer', async () => {
      await ctx.h.refused('symparent-lower', [
        withBase([{ name: 'etc', type: '2', linkname: `${ctx.h.canary}/etc` }]),
        rawTar([{ name: 'etc/shadow', content: 'pwned' }]),
      ], { code: 'ENTRY_UNSAFE', mention: /entry \/etc\/shadow: parent \/etc is a symlink/, layer: 1 });
    });

    it('a symlink two levels up in a lower layer', async () => {
      await ctx.h.refused('symparent-deep', [
        withBase([{ name: 'a/', type: '5' }, { name: 'a/b', type: '2', linkname: '/' }]),
        rawTar([{ name: 'a/b/c/d/pwned', content: 'x' }]),
      ], { code: 'ENTRY_UNSAFE', mention: /parent \/a\/b is a symlink/, layer: 1 });
    });

    it('a hardlink to a symlink used as a parent', async () => {
      await ctx.h.refused('symparent-via-hardlink', [withBase([
        { name: 's', type: '2', linkname: ctx.h.canary },
        { name: 'h', type: '1', linkname: 's' },
        { name: 'h/passwd', content: 'pwned' },
      ])], { code: 'ENTRY_UNSAFE', mention: /parent \/h is a symlink/, layer: 0 });
    });

    it('whiteout of a lower directory, recreated as a symlink, then written through', async () => {
      await ctx.h.refused('symparent-whiteout-recreate', [
        withBase([{ name: 'd/', type: '5' }, { name: 'd/keep', content: 'k' }]),
        rawTar([
          { name: '.wh.d', content: '' },
          { name: 'd', type: '2', linkname: ctx.h.canary },
          { name: 'd/passwd', content: 'pwned' },
        ]),
      ], { code: 'ENTRY_UNSAFE', mention: /entry \/d\/passwd: parent \/d is a symlink/, layer: 1 });
    });

    it('a whiteout through a symlinked parent', async () => {
      await ctx.h.refused('symparent-whiteout-through', [
        withBase([{ name: 's', type: '2', linkname: ctx.h.canary }]),
        rawTar([{ name: 's/.wh.passwd', content: '' }]),
      ], { code: 'ENTRY_UNSAFE', mention: /entry \/s\/passwd: parent \/s is a symlink/, layer: 1 });
    });

    it('a symlink pointing at itself used as a parent', async () => {
      await ctx.h.refused('symparent-loop', [withBase([{ name: 'loop', type: '2', linkname: 'loop' }, { name: 'loop/x', content: 'x' }])], {
        code: 'ENTRY_UNSAFE', mention: /parent \/loop is a symlink/, layer: 0,
      });
    });
  });

  it('symlinks pointing out of the tree are stored as they are, never followed', async () => {
    const h = ctx.h;
    const targets: [string, string][] = [['abs', `${h.canary}/passwd`], ['rel', `${h.up}/passwd`], ['etc', '/etc/shadow'], ['nl', '/x\nwrite /etc/passwd y']];
    const img = await h.accepted('symlink-out-of-tree', [withBase(targets.map(([n, t]) => ({ name: `l/${n}`, type: '2', linkname: t.length > 100 ? 'x' : t, pax: t.length > 100 ? [['linkpath', t]] : [] })))]);
    const dir = img.ls(img.get(['l']).ino);
    for (const [n, t] of targets) {
      const e = dir.get(n)!;
      assert.equal(e.mode & S_IFMT, TYPE.symlink);
      assert.equal(img.target(e.ino), t, n);
    }
    assert.equal(img.lookup(['y']), undefined);
  });

  it('a path whose lower-layer parent is a regular file is refused (ENTRY_INVALID)', async () => {
    await ctx.h.refused('parent-is-file', [withBase([{ name: 'f', content: 'x' }]), rawTar([{ name: 'f/g', content: 'y' }])], {
      code: 'ENTRY_INVALID', mention: /entry \/f\/g: parent \/f is not a directory/, layer: 1,
    });
  });
});
