// Hostile tar structure: unknown and GNU typeflags, GNU sparse pax keys, bad and odd checksums,
// non-octal and base-256 numbers, truncated archives and gzip streams, malformed pax records,
// oversized metadata records; and archive-level tricks in docker save tars and OCI layouts (layer
// names and digests that climb out). Each is refused with FORMAT_INVALID / ENTRY_INVALID naming
// the layer (and the entry when the header could be read), or accepted where tar accepts it.
import assert from 'node:assert/strict';
import crypto from 'node:crypto';
import fs from 'node:fs';
import path from 'node:path';
import zlib from 'node:zlib';
import { craftLayer, imageConfig, paxRecords, rawEntry, rawTar, writeOciLayout, type RawEntry } from '../../support/oci-pack';
import { BASE, hostileSuite, withBase } from '../../support/hostile-harness';
import { TYPE } from '../../support/ext4-raw';

/** Overwrites bytes of the header at block `index` and recomputes its checksum unless told not to. */
function patch(tar: Buffer, index: number, off: number, bytes: Buffer | string, fixSum = true): Buffer {
  const b = Buffer.from(tar);
  const at = index * 512;
  Buffer.from(bytes as string, typeof bytes === 'string' ? 'latin1' : undefined).copy(b, at + off);
  if (fixSum) {
    b.fill(0x20, at + 148, at + 156);
    let sum = 0;
    for (let i = 0; i < 512; i++) sum += b[at + i];
    b.write(sum.toString(8).padStart(6, '0') + '\0 ', at + 148, 'latin1');
  }
  return b;
}

const BASE_BLOCKS = rawTar(BASE, { end: false }).length / 512;
const unreadable = (what: RegExp) => new RegExp(`not a readable layer: ${what.source}`);

describe('oci hostile: tar format', function () {
  this.timeout(60_000);
  const ctx = hostileSuite();

  describe('typeflags', () => {
    for (const [flag, label] of [['S', 'S'], ['V', 'V'], ['M', 'M'], ['D', 'D'], ['N', 'N'], ['\x01', '\\x01']])
      it(`typeflag '${label}' is refused (ENTRY_INVALID), naming the entry`, async () => {
        await ctx.h.refused(`typeflag-${flag.charCodeAt(0)}`, [withBase([{ name: 'odd', type: flag, content: 'x' }])], {
          code: 'ENTRY_INVALID', mention: new RegExp(`entry "odd": unsupported tar entry type '${label.replace(/\\/g, '\\\\')}'`), layer: 0,
        });
      });

    it("GNU sparse pax keys on a regular file are refused (FORMAT_INVALID), naming the entry", async () => {
      await ctx.h.refused('pax-gnu-sparse', [withBase([{ name: 'sparse', content: 'x', pax: [['GNU.sparse.major', '1'], ['GNU.sparse.minor', '0'], ['GNU.sparse.realsize', '1099511627776']] }])], {
        code: 'FORMAT_INVALID', mention: unreadable(/.*"sparse".*GNU sparse files are not supported/), layer: 0,
      });
    });

    it("a GNU 'K' long link name carrying '..' for a hardlink is refused (ENTRY_UNSAFE)", async () => {
      const longLink = rawEntry({ name: '././@LongLink', type: 'K', content: '../'.repeat(30) + 'etc/shadow\0' });
      const tar = Buffer.concat([rawTar(BASE, { end: false }), longLink, rawTar([{ name: 'leak', type: '1', linkname: 'short' }])]);
      await ctx.h.refused('gnu-longlink-dotdot', [tar], { code: 'ENTRY_UNSAFE', mention: /entry "leak": hardlink target "(\.\.\/){30}etc\/shadow" contains '\.\.'/, layer: 0 });
    });
  });

  it("a GNU long name and a pax path on one entry: the GNU name wins, as in Go's archive/tar (Docker)", async () => {
    const img = await ctx.h.accepted('gnu-longname-over-pax-path', [withBase([
      { name: 'ustar-name', longName: 'gnu-name', pax: [['path', 'pax-name']], content: 'which name?' },
      { name: 'l', type: '2', linkname: 'ustar-target', pax: [['linkpath', 'pax-target']] },
    ])]);
    assert.equal(img.content(img.get(['gnu-name']).ino).toString(), 'which name?');
    assert.equal(img.lookup(['pax-name']), undefined);
    assert.equal(img.target(img.get(['l']).ino), 'pax-target');
  });

  it("an old-style ('\\0') entry named \"x/\" is a directory and an empty GNU long name is ignored, as in Go's archive/tar", async () => {
    const img = await ctx.h.accepted('legacy-dir-empty-longname', [withBase([
      { name: 'legacy/', type: '\0', mode: 0o711 },
      { name: 'legacy/inside', content: 'in' },
      { name: 'kept-name', longName: '', content: 'k' },
    ])]);
    assert.equal(img.get(['legacy']).mode, TYPE.dir | 0o711);
    assert.equal(img.content(img.get(['legacy', 'inside']).ino).toString(), 'in');
    assert.equal(img.content(img.get(['kept-name']).ino).toString(), 'k');
  });

  it("GNU-format headers have no prefix field (bytes 345.. are times there); a star header's prefix is 131 bytes: names as Go reads them", async () => {
    const gnu = (name: string, at345: string): RawEntry => ({ name, content: name, patch: [[257, Buffer.from('ustar  \0')], [345, Buffer.from(at345)]] });
    const star = 'p'.repeat(131);
    const img = await ctx.h.accepted('gnu-no-prefix', [withBase([
      { name: 'etc/', type: '5' },
      gnu('passwd', 'etc'),
      gnu('atime', '14544652327\0'),
      { name: 'x', prefix: star, content: 'star', patch: [[476, Buffer.from('1\0')], [508, Buffer.from('tar\0')]] },
    ])]);
    assert.equal(img.content(img.get(['passwd']).ino).toString(), 'passwd');
    assert.equal(img.lookup(['etc', 'passwd']), undefined, 'not moved under /etc by bytes of a time field');
    assert.equal(img.content(img.get(['atime']).ino).toString(), 'atime');
    assert.equal(img.content(img.get([star, 'x']).ino).toString(), 'star');
  });

  describe('checksums and numbers', () => {
    it('a wrong header checksum is refused (FORMAT_INVALID)', async () => {
      await ctx.h.refused('checksum-bad', [withBase([{ name: 'x', content: 'x', checksum: 'bad' }])], {
        code: 'FORMAT_INVALID', mention: unreadable(/header checksum mismatch/), layer: 0,
      });
    });

    it('a checksum field that is not octal is refused (FORMAT_INVALID)', async () => {
      const tar = patch(withBase([{ name: 'x', content: 'x' }]), BASE_BLOCKS, 148, '9z9z9z\0 ', false);
      await ctx.h.refused('checksum-not-octal', [tar], { code: 'FORMAT_INVALID', mention: unreadable(/checksum field "9z9z9z" is not octal/), layer: 0 });
    });

    it("a signed-byte checksum (old tars) is accepted, and the name's high bytes kept", async () => {
      const img = await ctx.h.accepted('checksum-signed', [withBase([{ name: 'sum\xe9\xff', content: 'signed', checksum: 'signed' }])]);
      assert.equal(img.content(img.get(['sum\xe9\xff']).ino).toString(), 'signed');
    });

    it('a mode field that is not octal is refused (FORMAT_INVALID)', async () => {
      const tar = patch(withBase([{ name: 'x', content: 'x' }]), BASE_BLOCKS, 100, '0009999\0');
      await ctx.h.refused('mode-not-octal', [tar], { code: 'FORMAT_INVALID', mention: unreadable(/mode field "0009999" is not octal/), layer: 0 });
    });

    it('a negative base-256 mtime is refused (FORMAT_INVALID)', async () => {
      await ctx.h.refused('mtime-negative-base256', [withBase([{ name: 'x', content: 'x', mtime: -1n }])], {
        code: 'FORMAT_INVALID', mention: unreadable(/negative mtime/), layer: 0,
      });
    });

    it('a base-256 size beyond 2^53 is refused (FORMAT_INVALID)', async () => {
      await ctx.h.refused('size-base256-huge', [withBase([{ name: 'x', size: 2n ** 80n }])], {
        code: 'FORMAT_INVALID', mention: unreadable(/size \d+ is out of range/), layer: 0,
      });
    });

    it('an absurd base-256 size (2^50) is refused before a byte is written (LIMIT_EXCEEDED)', async () => {
      await ctx.h.refused('size-absurd', [withBase([{ name: 'huge', size: 2n ** 50n }])], {
        code: 'LIMIT_EXCEEDED', mention: /entry "huge": size 1125899906842624 exceeds the \d+-byte file limit \(maxFileBytes\)/, layer: 0,
      });
    });
  });

  describe('truncation', () => {
    it('an archive cut inside a header is refused (FORMAT_INVALID)', async () => {
      const tar = withBase([{ name: 'x', content: 'x' }], { end: false });
      await ctx.h.refused('truncated-header', [tar.subarray(0, tar.length - 1024 + 300)], { code: 'FORMAT_INVALID', mention: unreadable(/the archive ends inside a header/), layer: 0 });
    });

    it('an archive cut inside an entry (its size lies) is refused (FORMAT_INVALID)', async () => {
      await ctx.h.refused('truncated-content', [withBase([{ name: 'x', content: 'only ten b', size: 100_000 }], { end: false })], {
        code: 'FORMAT_INVALID', mention: unreadable(/the archive ends \d+ bytes before the end of an entry/), layer: 0,
      });
    });

    it('an archive cut inside a pax record is refused (FORMAT_INVALID)', async () => {
      const pax = rawEntry({ name: 'x', content: 'x', pax: [['path', 'p'.repeat(3000)]] });
      const tar = Buffer.concat([rawTar(BASE, { end: false }), pax.subarray(0, 1024)]);
      await ctx.h.refused('truncated-pax', [tar], { code: 'FORMAT_INVALID', mention: unreadable(/the archive ends inside a (header|metadata record)/), layer: 0 });
    });

    it('a gzip stream cut short is refused (FORMAT_INVALID)', async () => {
      const tar = withBase([{ name: 'x', content: crypto.randomBytes(100_000) }]);
      const gz = zlib.gzipSync(tar);
      await ctx.h.refused('truncated-gzip', [tar], { code: 'FORMAT_INVALID', mention: unreadable(/unexpected end of file/), layer: 0 }, { blobs: [gz.subarray(0, gz.length >> 1)] });
    });

    it('random bytes are refused (FORMAT_INVALID)', async () => {
      const junk = crypto.createHash('sha512').update('junk').digest();
      const bytes = Buffer.concat(Array.from({ length: 64 }, () => junk));
      await ctx.h.refused('random-bytes', [bytes], { code: 'FORMAT_INVALID', mention: unreadable(/header checksum mismatch|not octal/), layer: 0 });
    });

    it('an archive without its end-of-archive blocks, and an empty layer, are accepted', async () => {
      const img = await ctx.h.accepted('no-end-blocks', [withBase([{ name: 'last', content: 'last' }], { end: false }), Buffer.alloc(0)]);
      assert.equal(img.content(img.get(['last']).ino).toString(), 'last');
    });
  });

  describe('malformed pax records (FORMAT_INVALID)', () => {
    const bodies: [string, Buffer, RegExp][] = [
      ['pax-len-not-digits', Buffer.from('1a path=x\n'), /malformed pax record length/],
      ['pax-len-no-space', Buffer.from('12path=xxxxx\n'), /malformed pax record length/],
      ['pax-len-too-long', Buffer.from('99 path=x\n'), /malformed pax record/],
      ['pax-len-zero', Buffer.from('0 path=x\n'), /malformed pax record/],
      ['pax-len-25-digits', Buffer.from('0000000000000000000000011 p=x\n'), /malformed pax record length/],
      ['pax-no-newline', Buffer.from('11 path=xyz'), /malformed pax record/],
      ['pax-no-key', Buffer.from('8 =xyzw\n'), /pax record without a key/],
      ['pax-no-equals', Buffer.from('11 pathxyz\n'), /pax record without a key/],
    ];
    for (const [name, body, mention] of bodies)
      it(`${name}: ${JSON.stringify(body.toString('latin1'))}`, async () => {
        await ctx.h.refused(name, [withBase([{ name: 'x', content: 'x', paxBody: body }])], { code: 'FORMAT_INVALID', mention: unreadable(mention), layer: 0 });
      });

    const values: [string, string, string, RegExp][] = [
      ['pax-uid-negative', 'uid', '-1', /pax uid "-1" is not a whole number/],
      ['pax-size-exponent', 'size', '1e3', /pax size "1e3" is not a whole number/],
      ['pax-size-huge', 'size', '9'.repeat(30), /pax size "9+" is not a whole number/],
      ['pax-mtime-text', 'mtime', 'yesterday', /pax mtime "yesterday" is not a number/],
    ];
    for (const [name, key, value, mention] of values)
      it(`${name}: ${key}=${value.slice(0, 12)}`, async () => {
        await ctx.h.refused(name, [withBase([{ name: 'x', content: 'x', pax: [[key, value]] }])], {
          code: 'FORMAT_INVALID', mention: unreadable(new RegExp(`.*"x".*${mention.source}`)), layer: 0,
        });
      });

    it('a pax record larger than 1 MiB is refused before it is read whole', async () => {
      await ctx.h.refused('pax-over-1mib', [withBase([{ name: 'x', content: 'x', pax: [['comment', 'c'.repeat((1 << 20) + 1)]] }])], {
        code: 'FORMAT_INVALID', mention: unreadable(/a x metadata record of \d+ bytes \(limit 1048576\)/), layer: 0,
      });
    });

    it('a GNU long name larger than 1 MiB is refused', async () => {
      await ctx.h.refused('gnu-longname-over-1mib', [withBase([{ name: 'x', content: 'x', longName: 'n/'.repeat(600_000) }])], {
        code: 'FORMAT_INVALID', mention: unreadable(/a L metadata record of \d+ bytes/), layer: 0,
      });
    });

    it("a global pax header's path and a pax comment with any bytes are ignored; odd pax mtimes are clamped", async () => {
      const global = rawEntry({ name: 'g', type: 'g', content: paxRecords([['path', '../../../pwned'], ['uid', '0']]) });
      const tar = Buffer.concat([global, rawTar([...BASE, { name: 'own', content: 'o', pax: [['comment', '\x00\xff\n=\n'], ['mtime', '-5.25'], ['atime', 'garbage']] }])]);
      const img = await ctx.h.accepted('pax-global-ignored', [tar]);
      assert.equal(img.content(img.get(['own']).ino).toString(), 'o');
      assert.match(img.stat(img.get(['own']).ino), /mtime: 0x00000000/);
      assert.equal(img.lookup(['pwned']), undefined);
    });
  });

  describe('archive-level tricks', () => {
    const files = (entries: [string, Buffer | string][]) => craftLayer(entries.map(([name, content]) => ({ name, content })));

    async function refusedSource(name: string, make: (file: string) => Promise<string>, mention: RegExp) {
      const source = await make(path.join(ctx.h.root, `${name}.tar`));
      await ctx.h.refusedSource(name, source, { code: 'FORMAT_INVALID', mention, layer: null });
    }

    it('docker save: a layer listed as "../../../etc/passwd" is not read from the host', async () => {
      await refusedSource('docker-archive-layer-dotdot', async (file) => {
        const layer = withBase([]);
        const cfg = imageConfig([layer], { Cmd: ['/bin/sh'] });
        const cfgName = crypto.createHash('sha256').update(cfg).digest('hex') + '.json';
        fs.writeFileSync(file, await files([[cfgName, cfg], ['manifest.json', JSON.stringify([{ Config: cfgName, Layers: ['../../../etc/passwd'] }])]]));
        return `docker-archive:${file}`;
      }, /layer \.\.\/\.\.\/\.\.\/etc\/passwd is listed but not in the archive/);
    });

    it('docker save: a layer.tar that is a symlink member climbing out is not followed to the host', async () => {
      await refusedSource('docker-archive-layer-symlink', async (file) => {
        const layer = withBase([]);
        const cfg = imageConfig([layer], { Cmd: ['/bin/sh'] });
        const cfgName = crypto.createHash('sha256').update(cfg).digest('hex') + '.json';
        const tar = await craftLayer([
          { name: cfgName, content: cfg },
          { name: 'l/layer.tar', type: 'symlink', linkname: `../../../../../../..${ctx.h.canary}/passwd` },
          { name: 'manifest.json', content: JSON.stringify([{ Config: cfgName, Layers: ['l/layer.tar'] }]) },
        ]);
        fs.writeFileSync(file, tar);
        return `docker-archive:${file}`;
      }, /layer l\/layer\.tar is listed but not in the archive/);
    });

    it('docker save: a hostile layer is refused through this source too (ENTRY_UNSAFE, layer named by its member)', async () => {
      await ctx.h.refused('docker-archive-dotdot', [withBase([]), rawTar([{ name: '../../pwned', content: 'x' }])], {
        code: 'ENTRY_UNSAFE', mention: /docker-archive:.*: layer 1 \(layer1\/layer\.tar\): entry "\.\.\/\.\.\/pwned" contains '\.\.'|contains '\.\.'/, layer: 1,
      }, { source: 'docker-archive' });
    });

    it('docker save: a member whose size is only in a pax record (ustar size 0, as Go writes members of 8 GiB and more) is read whole', async () => {
      const layer = withBase([{ name: 'paxsize', content: 'sized by pax' }]);
      const cfg = imageConfig([layer], { Cmd: ['/bin/sh'] });
      const cfgName = crypto.createHash('sha256').update(cfg).digest('hex') + '.json';
      const file = path.join(ctx.h.root, 'docker-archive-pax-size.tar');
      fs.writeFileSync(file, rawTar([
        { name: cfgName, content: cfg },
        { name: 'l/layer.tar', content: layer, size: 0, pax: [['size', String(layer.length)]] },
        { name: 'manifest.json', content: JSON.stringify([{ Config: cfgName, RepoTags: ['pax:size'], Layers: ['l/layer.tar'] }]) },
      ]));
      const img = await ctx.h.acceptedSource('docker-archive-pax-size', `docker-archive:${file}`);
      assert.equal(img.content(img.get(['paxsize']).ino).toString(), 'sized by pax');
    });

    it('OCI layout: a layer blob that is a symlink to a device or to a host file is not read into an image', async () => {
      for (const [name, target, code, mention] of [
        ['oci-blob-symlink-dev-zero', '/dev/zero', 'FORMAT_INVALID', /layer 0 .*: blob sha256:[0-9a-f]{64} is missing/],
        // Read as a layer and refused (it is no tar; had it been one, its digest would not match).
        ['oci-blob-symlink-host-file', `${ctx.h.canary}/passwd`, 'FORMAT_INVALID', /layer 0 .*: not a readable layer/],
        // A readable tar elsewhere on the host: converted, then refused by its digest, the work image removed.
        ['oci-blob-symlink-host-tar', path.join(ctx.h.root, 'elsewhere.tar'), 'DIGEST_MISMATCH', /layer 0 .*: blob sha256:[0-9a-f]{64} has sha256 sha256:[0-9a-f]{64}/],
      ] as const) {
        fs.writeFileSync(path.join(ctx.h.root, 'elsewhere.tar'), withBase([{ name: 'host', content: 'from the host' }]));
        const dir = path.join(ctx.h.root, `${name}-layout`);
        fs.mkdirSync(dir);
        const layer = withBase([{ name: 'x', content: 'x' }]);
        writeOciLayout(dir, [layer], imageConfig([layer], { Cmd: ['/bin/sh'] }));
        const blob = path.join(dir, 'blobs', 'sha256', crypto.createHash('sha256').update(layer).digest('hex'));
        fs.rmSync(blob);
        fs.symlinkSync(target, blob);
        await ctx.h.refusedSource(name, `oci:${dir}`, { code, mention, layer: 0 });
      }
    });

    it('OCI layout: a layer digest that climbs out of blobs/ is refused', async () => {
      const dir = path.join(ctx.h.root, 'oci-digest-dotdot-layout');
      fs.mkdirSync(dir);
      const layer = withBase([]);
      writeOciLayout(dir, [layer], imageConfig([layer], { Cmd: ['/bin/sh'] }));
      const blobs = path.join(dir, 'blobs', 'sha256');
      const index = JSON.parse(fs.readFileSync(path.join(dir, 'index.json'), 'utf8'));
      const manifest = JSON.parse(fs.readFileSync(path.join(blobs, index.manifests[0].digest.slice(7)), 'utf8'));
      manifest.layers[0].digest = `sha256:../../../../..${ctx.h.canary}/passwd`;
      const mBytes = Buffer.from(JSON.stringify(manifest));
      const md = crypto.createHash('sha256').update(mBytes).digest('hex');
      fs.writeFileSync(path.join(blobs, md), mBytes);
      index.manifests[0] = { ...index.manifests[0], digest: `sha256:${md}`, size: mBytes.length };
      fs.writeFileSync(path.join(dir, 'index.json'), JSON.stringify(index));
      await ctx.h.refusedSource('oci-digest-dotdot', `oci:${dir}`, { code: 'FORMAT_INVALID', mention: /unsupported or malformed digest "sha256:\.\.\//, layer: 0 });
    });
  });
});
