// Hostile names and shapes: non-UTF-8 bytes and newlines in names (kept byte-exact, as Docker
// keeps them), NUL, names and paths past ext4's and the converter's limits, lost+found and /.d0
// (reserved names), 10,000 entries in one directory, and a tree exactly at maxDepth and one past.
import assert from 'node:assert/strict';
import { debugfs, S_IFMT, TYPE } from '../../support/ext4-raw';
import { rawTar, type RawEntry } from '../../support/oci-pack';
import { hostileSuite, withBase } from '../../support/hostile-harness';

describe('oci hostile: names, reserved names, wide and deep trees', function () {
  this.timeout(120_000);
  const ctx = hostileSuite();

  it('names with byte 0xE9, invalid UTF-8 and newlines are kept byte-exact (files, dirs, symlink targets, whiteouts)', async () => {
    const e9 = 'caf\xe9';
    const img = await ctx.h.accepted('names-bytes', [
      withBase([
        { name: `${e9}/`, type: '5', mode: 0o750 },
        { name: `${e9}/\xff\xfe\xc3(`, content: 'bad utf-8' },
        { name: `${e9}/line\nbreak`, content: 'nl' },
        { name: '\nleading', content: 'lead' },
        { name: 'gone\xe9', content: 'removed by the upper layer' },
        { name: 'link\xe9', type: '2', linkname: `${e9}/line\nbreak` },
        { name: 'pax', pax: [['path', `${e9}/from-pax-\xe9\n`]], content: 'pax' },
      ]),
      rawTar([{ name: '.wh.gone\xe9', content: '' }]),
    ]);
    const root = img.ls(2);
    assert.deepEqual([...root.keys()].sort(), ['\nleading', '.d0', 'bin', e9, 'link\xe9', 'lost+found'].sort());
    assert.equal(root.get(e9)!.mode, TYPE.dir | 0o750);
    const dir = img.ls(root.get(e9)!.ino);
    assert.deepEqual([...dir.keys()].sort(), ['\xff\xfe\xc3(', 'from-pax-\xe9\n', 'line\nbreak'].sort());
    assert.equal(img.content(dir.get('line\nbreak')!.ino).toString(), 'nl');
    assert.equal(img.content(dir.get('from-pax-\xe9\n')!.ino).toString(), 'pax');
    assert.equal(img.target(root.get('link\xe9')!.ino), `${e9}/line\nbreak`);
  });

  it('a file named like a debugfs script ("x\\nwrite passwd y") is one file, byte-exact', async () => {
    // A name cannot hold '/': these are commands relative to debugfs's cwd (the root).
    const names = ['x\nwrite passwd y', 'x\ndump .d0 pwned', 'q" "\nrm bin\nmknod z c 1 1'];
    const img = await ctx.h.accepted('names-debugfs-injection', [withBase(names.map((n, i) => ({ name: `inj/${n}`, content: `c${i}` })))]);
    const inj = img.ls(img.get(['inj']).ino);
    assert.deepEqual([...inj.keys()].sort(), [...names].sort());
    names.forEach((n, i) => assert.equal(img.content(inj.get(n)!.ino).toString(), `c${i}`));
    assert.deepEqual([...img.ls(2).keys()].sort(), ['.d0', 'bin', 'inj', 'lost+found']);
    assert.notEqual(img.lookup(['bin', 'sh']), undefined);
  });

  it('a 255-byte name is accepted byte-exact; 256 bytes is refused (ENTRY_INVALID)', async () => {
    const n255 = '\xe9'.repeat(255);
    const img = await ctx.h.accepted('name-255', [withBase([{ name: n255, content: 'x' }])]);
    assert.equal(img.get([n255]).mode & S_IFMT, TYPE.file);
    await ctx.h.refused('name-256', [withBase([{ name: 'a/' + 'n'.repeat(256), content: 'x' }])], {
      code: 'ENTRY_INVALID', mention: /name "n{40}\.\.\." longer than 255 bytes/, layer: 0,
    });
  });

  it('a whiteout of a 255-byte name (".wh." + 255 bytes, as Docker writes it) removes the lower file; ".wh." + 256 is refused', async () => {
    const long = 'L'.repeat(250) + '\xe9'.repeat(5);
    const img = await ctx.h.accepted('whiteout-255', [withBase([{ name: `d/${long}`, content: 'x' }, { name: `d/keep`, content: 'k' }]), rawTar([{ name: `d/.wh.${long}`, content: '' }])]);
    assert.deepEqual([...img.ls(img.get(['d']).ino).keys()], ['keep']);
    await ctx.h.refused('whiteout-256', [withBase([]), rawTar([{ name: `d/.wh.${'L'.repeat(256)}`, content: '' }])], {
      code: 'ENTRY_INVALID', mention: /name "\.wh\.L{36}\.\.\." longer than 255 bytes/, layer: 1,
    });
  });

  it('a path longer than 4096 bytes is refused (ENTRY_INVALID)', async () => {
    await ctx.h.refused('path-4097', [withBase([{ name: 'p/'.repeat(2048) + 'x', content: 'x' }])], {
      code: 'ENTRY_INVALID', mention: /path longer than 4096 bytes/, layer: 0,
    });
  });

  it('a NUL byte in a pax path is refused (ENTRY_INVALID)', async () => {
    await ctx.h.refused('name-nul', [withBase([{ name: 'ok', pax: [['path', 'a\x00b']], content: 'x' }])], {
      code: 'ENTRY_INVALID', mention: /path contains a NUL byte/, layer: 0,
    });
  });

  it('uid beyond 32 bits (pax) is refused (ENTRY_INVALID)', async () => {
    await ctx.h.refused('uid-2^32', [withBase([{ name: 'u', content: 'x', pax: [['uid', '4294967296']] }])], {
      code: 'ENTRY_INVALID', mention: /entry "u": uid\/gid out of range/, layer: 0,
    });
  });

  it('a hostile /etc/passwd and /etc/group (gid "zz", a group id past 2^32) give whole ids in the exec spec', async () => {
    const img = await ctx.h.accepted('passwd-odd-ids', [withBase([
      { name: 'etc/', type: '5' },
      { name: 'etc/passwd', content: 'root:x:0:0::/root:/bin/sh\napp:x:1000:zz::/home/app:/bin/sh\n' },
      { name: 'etc/group', content: 'big:x:99999999999:app\nextra:x:5:app\n' },
    ])], { config: { Cmd: ['/bin/sh'], User: 'app' } });
    const spec = img.result.meta.execSpec;
    assert.deepEqual([spec.uid, spec.gid, spec.groups], [1000, 0, [0, 5]]);
  });

  describe('lost+found', () => {
    it('a regular file named lost+found is refused (ENTRY_INVALID)', async () => {
      await ctx.h.refused('lost+found-file', [withBase([{ name: 'lost+found', content: 'mine' }])], {
        code: 'ENTRY_INVALID', mention: /\/lost\+found is a file; ext4 reserves that name for a directory/, layer: null,
      });
    });

    it('a symlink named lost+found is refused (ENTRY_INVALID)', async () => {
      await ctx.h.refused('lost+found-symlink', [withBase([{ name: 'lost+found', type: '2', linkname: ctx.h.canary }])], {
        code: 'ENTRY_INVALID', mention: /\/lost\+found is a symlink/, layer: null,
      });
    });

    it("the image's own lost+found directory is kept: its mode, owner and contents", async () => {
      const img = await ctx.h.accepted('lost+found-own', [withBase([
        { name: 'lost+found/', type: '5', mode: 0o755, uid: 1000, gid: 1001 },
        { name: 'lost+found/kept', content: 'kept' },
      ])]);
      const lf = img.get(['lost+found']);
      assert.equal(lf.ino, 11, 'ext4 wants lost+found at inode 11');
      assert.equal(lf.mode, TYPE.dir | 0o755);
      assert.deepEqual([lf.uid, lf.gid], [1000, 1001]);
      assert.equal(img.content(img.get(['lost+found', 'kept']).ino).toString(), 'kept');
    });

    it('a lower-layer lost+found file whited out by an upper layer gives the default directory', async () => {
      const img = await ctx.h.accepted('lost+found-whiteout', [withBase([{ name: 'lost+found', content: 'x' }]), rawTar([{ name: '.wh.lost+found', content: '' }])]);
      const lf = img.get(['lost+found']);
      assert.equal(lf.mode, TYPE.dir | 0o700);
      assert.equal(img.ls(lf.ino).size, 0);
    });
  });

  describe('/.d0 is reserved (ENTRY_INVALID)', () => {
    const cases: [string, RawEntry[]][] = [
      ['d0-dir', [{ name: '.d0/', type: '5' }]],
      ['d0-file', [{ name: '.d0', content: 'x' }]],
      ['d0-nested', [{ name: './.d0/init', content: 'evil init', mode: 0o755 }]],
      ['d0-symlink', [{ name: '.d0', type: '2', linkname: '/etc' }]],
    ];
    for (const [name, entries] of cases)
      it(name, async () => {
        await ctx.h.refused(name, [withBase(entries)], { code: 'ENTRY_INVALID', mention: /the image already contains \/\.d0, which D0 reserves/, layer: null });
      });
  });

  it('10,000 entries in one directory are accepted', async () => {
    const entries: RawEntry[] = [{ name: 'wide/', type: '5' }];
    for (let i = 0; i < 10_000; i++) entries.push({ name: `wide/f${String(i).padStart(5, '0')}`, content: i % 1000 === 0 ? `n${i}` : undefined });
    const img = await ctx.h.accepted('wide-10000', [withBase(entries)]);
    const wide = img.ls(img.get(['wide']).ino);
    assert.equal(wide.size, 10_000);
    assert.equal(img.content(wide.get('f09000')!.ino).toString(), 'n9000');
    assert.equal(wide.get('f09999')!.size, 0);
  });

  it("directories with 64,998 and 64,999 subdirectories: link counts at ext4's edge (65,000, then 1 for 'too many')", async () => {
    const entries: RawEntry[] = [];
    for (const [dir, n] of [['w1', 64_998], ['w2', 64_999]] as const) {
      entries.push({ name: `${dir}/`, type: '5' });
      for (let i = 0; i < n; i++) entries.push({ name: `${dir}/${i}/`, type: '5' });
    }
    const img = await ctx.h.accepted('subdirs-65000', [withBase(entries)]); // e2fsck -fn checks every count
    assert.equal(img.links(img.get(['w1']).ino), 65_000);
    assert.equal(img.links(img.get(['w2']).ino), 1);
  });

  it('a tree exactly maxDepth (1024) deep is accepted; 1025 is refused (LIMIT_EXCEEDED)', async () => {
    const deep = 'd/'.repeat(1023) + 'leaf';
    const img = await ctx.h.accepted('depth-1024', [withBase([{ name: deep, content: 'bottom', mode: 0o600, uid: 9 }])]);
    // A path the test made itself: plain characters only.
    const st = debugfs(img.file, [`stat /${deep}`]);
    assert.match(st, /Type: regular\s+Mode:\s+0600/);
    assert.match(st, /User:\s+9/);
    assert.equal(debugfs(img.file, [`cat /${deep}`]), 'bottom');
    await ctx.h.refused('depth-1025', [withBase([{ name: 'd/'.repeat(1024) + 'leaf', content: 'x' }])], {
      code: 'LIMIT_EXCEEDED', mention: /1025 path components, more than 1024 \(maxDepth\)/, layer: 0,
    });
  });
});
