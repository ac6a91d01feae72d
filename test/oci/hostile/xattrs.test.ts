// Hostile extended attributes (pax SCHILY.xattr.* and LIBARCHIVE.xattr.*): names and values with
// NUL, newline, quotes, spaces and non-UTF-8 bytes; namespaces Linux would refuse; values and
// sets too large; and the historic debugfs script injection through an xattr name, which must
// now come out as one attribute, byte for byte, with nothing on the host touched.
import assert from 'node:assert/strict';
import { rawTar, type RawEntry } from '../../support/oci-pack';
import { hostileSuite, withBase } from '../../support/hostile-harness';

const hex = (m: Map<string, Buffer>) => new Map([...m].map(([k, v]) => [Buffer.from(k, 'latin1').toString('hex'), v.toString('hex')]));
const b = (s: string) => Buffer.from(s, 'latin1');

describe('oci hostile: extended attributes', function () {
  this.timeout(60_000);
  const ctx = hostileSuite();

  it('names with newline, quotes, spaces, backslash and byte 0xE9 in user. are kept byte-exact, values with NUL/newline/0xFF too', async () => {
    const attrs: [string, Buffer][] = [
      ['user.a\nb', b('v\n1')],
      ['user.q"q\'', b('"quoted" \'v\'')],
      ['user.with space', b('v 3')],
      ['user.back\\slash', b('\\x41\\')],
      ['user.\xe9t\xe9', b('\xe9\x00\xff\x00')],
      ['user.long-but-printable-name\n', b('\x00'.repeat(10))],
      ['user.empty', Buffer.alloc(0)],
      ['trusted.t', b('t')],
      ['security.capability', Buffer.from('0100000200200000000000000000000000000000', 'hex')],
    ];
    const on = (name: string, type = '0'): RawEntry => ({ name, type, content: type === '0' ? 'x' : undefined, linkname: type === '2' ? 'f' : undefined, pax: attrs.map(([k, v]) => [`SCHILY.xattr.${k}`, v]) });
    const img = await ctx.h.accepted('xattr-bytes', [withBase([on('f'), on('d/', '5'), on('s', '2')])]);
    for (const p of ['f', 'd', 's']) assert.deepEqual(hex(img.xattrs(img.get([p]).ino)), hex(new Map(attrs)), p);
  });

  it('LIBARCHIVE.xattr names (percent-encoded) and values (base64) are decoded byte-exact', async () => {
    const img = await ctx.h.accepted('xattr-libarchive', [withBase([{
      name: 'f', content: 'x',
      pax: [['LIBARCHIVE.xattr.user.%0A%E9%22x', Buffer.from('\x00\xe9\n', 'latin1').toString('base64')], ['LIBARCHIVE.xattr.user.plain', Buffer.from('p').toString('base64')]],
    }])]);
    assert.deepEqual(hex(img.xattrs(img.get(['f']).ino)), hex(new Map([['user.\n\xe9"x', b('\x00\xe9\n')], ['user.plain', b('p')]])));
  });

  it('the historic debugfs injection (newline + "write"/"dump" in a name) is stored as one attribute, byte-exact', async () => {
    const h = ctx.h;
    const names = [
      'user.x\nwrite /etc/passwd y',
      `user.x\ndump / ${h.canary}/pwned`,
      'user.x" \nea_set / user.evil 1\n"',
      'user.x\nrm /bin/sh\nmknod /dev/z c 1 1',
    ];
    const img = await h.accepted('xattr-debugfs-injection', [withBase([{ name: 'f', content: 'x', pax: names.map((n, i) => [`SCHILY.xattr.${n}`, `v${i}`]) }])]);
    assert.deepEqual(hex(img.xattrs(img.get(['f']).ino)), hex(new Map(names.map((n, i) => [n, b(`v${i}`)]))));
    assert.equal(img.lookup(['y']), undefined, 'no file written from the host');
    assert.equal(img.lookup(['dev', 'z']), undefined);
    assert.notEqual(img.lookup(['bin', 'sh']), undefined);
    assert.equal(img.xattrs(2).size, 0, 'nothing set on the root');
  });

  const refusedNames: [string, string, RegExp][] = [
    ['xattr-name-nul', 'user.a\x00b', /"user\.a\\x00b": an extended attribute name contains a NUL byte/],
    ['xattr-namespace-unknown', 'foo.bar', /"foo\.bar": extended attribute namespace of "foo\.bar" is not one Linux stores/],
    ['xattr-namespace-system', 'system.foo', /namespace of "system\.foo" is not one Linux stores/],
    ['xattr-namespace-only', 'user.', /"user\." has nothing after its namespace/],
    ['xattr-name-256', 'user.' + 'n'.repeat(256), /longer than 255 bytes/],
    // Linux's limit (XATTR_NAME_MAX) is on the whole name, prefix included: setxattr/getxattr refuse 256.
    ['xattr-name-full-256', 'user.' + 'n'.repeat(251), /longer than 255 bytes/],
    ['xattr-acl-garbage', 'system.posix_acl_access', /system\.posix_acl_access: not a version 2 POSIX ACL/],
  ];
  for (const [name, attr, mention] of refusedNames)
    it(`${name} is refused (ENTRY_INVALID), naming the layer and the file`, async () => {
      await ctx.h.refused(name, [withBase([{ name: 'etc/', type: '5' }, { name: 'etc/victim', content: 'x', pax: [[`SCHILY.xattr.${attr}`, 'garbage']] }])], {
        code: 'ENTRY_INVALID', mention: new RegExp(`entry "etc/victim": extended attribute .*${mention.source}`), layer: 0,
      });
    });

  it('a name of exactly 255 bytes, prefix included, is accepted', async () => {
    const name = 'trusted.' + '\xe9'.repeat(247);
    const img = await ctx.h.accepted('xattr-name-full-255', [withBase([{ name: 'f', content: 'x', pax: [[`SCHILY.xattr.${name}`, 'v']] }])]);
    assert.deepEqual(hex(img.xattrs(img.get(['f']).ino)), hex(new Map([[name, b('v')]])));
  });

  it('a POSIX ACL in the VFS format is stored in ext4\'s own form', async () => {
    const acl = Buffer.alloc(4 + 4 * 8);
    acl.writeUInt32LE(2, 0);
    [[0x01, 6, 0xffffffff], [0x02, 5, 1000], [0x04, 4, 0xffffffff], [0x10, 5, 0xffffffff], [0x20, 0, 0xffffffff]].slice(0, 4).forEach(([tag, perm, id], i) => {
      acl.writeUInt16LE(tag, 4 + i * 8);
      acl.writeUInt16LE(perm, 6 + i * 8);
      acl.writeUInt32LE(id, 8 + i * 8);
    });
    const img = await ctx.h.accepted('xattr-acl', [withBase([{ name: 'f', content: 'x', pax: [['SCHILY.xattr.system.posix_acl_access', acl]] }])]);
    // debugfs lists the ext4 form: version 1, 4-byte entries for the owner/group/mask classes, 8 for a named user.
    const disk = '01000000' + '01000600' + '02000500e8030000' + '04000400' + '10000500';
    assert.deepEqual(hex(img.xattrs(img.get(['f']).ino)), new Map([[Buffer.from('system.posix_acl_access').toString('hex'), disk]]));
  });

  it('a 64 KiB value is refused (LIMIT_EXCEEDED, maxXattrValueBytes 4000)', async () => {
    await ctx.h.refused('xattr-64k', [withBase([{ name: 'big', content: 'x', pax: [['SCHILY.xattr.user.big', Buffer.alloc(65536, 0x41)]] }])], {
      code: 'LIMIT_EXCEEDED', mention: /entry "big": extended attribute "user\.big" has 65536 bytes, more than 4000 \(maxXattrValueBytes\)/, layer: 0,
    });
  });

  it('a value of exactly 4000 bytes is accepted (it lives in an xattr block)', async () => {
    const v = Buffer.alloc(4000);
    for (let i = 0; i < v.length; i++) v[i] = (i * 7) & 0xff;
    const img = await ctx.h.accepted('xattr-4000', [withBase([{ name: 'f', content: 'x', pax: [['SCHILY.xattr.user.v', v]] }])]);
    assert.deepEqual(img.xattrs(img.get(['f']).ino).get('user.v'), v);
  });

  it('attributes too large together for one block are refused (LIMIT_EXCEEDED)', async () => {
    const pax: [string, Buffer][] = [1, 2, 3].map((i) => [`SCHILY.xattr.user.part${i}`, Buffer.alloc(1500, i)]);
    await ctx.h.refused('xattr-set-too-large', [withBase([{ name: 'fat', content: 'x', pax }])], {
      code: 'LIMIT_EXCEEDED', mention: /entry "fat": its extended attributes do not fit in one 4096-byte ext4 block/, layer: 0,
    });
  });

  it('attributes merged from a hardlink header into a full set are refused on the merged tree (LIMIT_EXCEEDED)', async () => {
    await ctx.h.refused('xattr-set-via-hardlink', [
      withBase([{ name: 'f', content: 'x', pax: [['SCHILY.xattr.user.a', Buffer.alloc(2500)]] }]),
      rawTar([{ name: 'g', type: '1', linkname: 'f', pax: [['SCHILY.xattr.user.b', Buffer.alloc(2500)]] }]),
    ], { code: 'LIMIT_EXCEEDED', mention: /\/(f|g): its extended attributes do not fit/, layer: null });
  });
});
