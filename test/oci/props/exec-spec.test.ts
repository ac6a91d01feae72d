// Property tests: the exec spec (encoding; image config + overrides -> spec).
import assert from 'node:assert/strict';
import path from 'node:path';
import fc from 'fast-check';
import { ImageError } from '../../../core/image/errors';
import type { Meta } from '../../../core/image/layer-entry';
import { decodeExecSpec, encodeExecSpec, ExecSpecError } from '../../../core/image/exec-spec';
import { execSpecFromConfig } from '../../../core/image/image-config';
import { applyLayer, emptyRoot, type DirInode, type FileInode } from '../../../core/image/rootfs-tree';
import { RUNS } from './support';

describe('oci properties: exec spec', () => {
  const text = fc.string({ unit: 'binary', maxLength: 30 });
  const value = text.filter((t) => !t.includes('\0'));
  const name = value.filter((t) => t !== '' && !t.includes('='));
  const spec = fc.record({
    args: fc.array(value, { minLength: 1, maxLength: 4 }).filter((a) => a[0] !== ''),
    env: fc.array(fc.tuple(name, value).map(([n, v]) => `${n}=${v}`), { maxLength: 4 }),
    cwd: value.map((v) => '/' + v),
    uid: fc.nat(), gid: fc.nat(), groups: fc.array(fc.nat(), { maxLength: 3 }),
    path: fc.option(value.filter((v) => v !== ''), { nil: undefined }),
  });

  it('encode refuses what PID1 could not honour: NUL anywhere, env without NAME=, a relative cwd', () => {
    fc.assert(fc.property(spec, fc.nat(3), value, (s, which, v) => {
      const bad = [
        { ...s, args: [...s.args, `${v}\0`] },
        { ...s, env: [...s.env, `=${v}`] },
        { ...s, cwd: v.startsWith('/') ? `x${v}` : v },
        { ...s, path: `${v}\0` },
      ][which];
      assert.throws(() => encodeExecSpec(bad), ExecSpecError);
    }), RUNS);
  });

  it('decode(utf8(encode(s))) == s, one line per value whatever the bytes (no value can add a line)', () => {
    fc.assert(fc.property(spec, (s) => {
      const encoded = encodeExecSpec(s).toString('utf8');
      const lines = encoded.split('\n');
      assert.equal(lines.length - 1, 1 + s.args.length + s.env.length + 4 + (s.path === undefined ? 0 : 1));
      for (const l of lines.slice(1, -1)) assert.match(l, /^(arg|env|cwd|uid|gid|groups|path)( |$)/);
      const back = decodeExecSpec(Buffer.from(encoded, 'utf8').toString('utf8'));
      assert.deepEqual({ ...back }, JSON.parse(JSON.stringify(s)));
    }), RUNS);
  });

  // A small image: /bin/sh, /etc/passwd and /etc/group (their text random around a valid core).
  function tree(passwd: string, group: string): { root: DirInode; read: (f: FileInode) => Buffer } {
    const files = [Buffer.alloc(0), Buffer.from(passwd), Buffer.from(group)];
    const m = (): Meta => ({ mode: 0o755, uid: 0, gid: 0, mtime: 0, xattrs: new Map() });
    const root = emptyRoot();
    applyLayer(root, { label: 'layer 0', diffId: '', storedDigest: '', warnings: [], entries: [
      { kind: 'dir', parts: ['bin'], ...m() }, { kind: 'file', parts: ['bin', 'sh'], start: 0, size: 0, ...m() },
      { kind: 'dir', parts: ['etc'], ...m() }, { kind: 'dir', parts: ['home'], ...m() },
      { kind: 'file', parts: ['etc', 'passwd'], start: 1, size: files[1].length, ...m() },
      { kind: 'file', parts: ['etc', 'group'], start: 2, size: files[2].length, ...m() },
    ] });
    return { root, read: (f) => files[f.start] };
  }
  const dbLine = fc.oneof(
    fc.constantFrom('root:x:0:0:root:/root:/bin/sh', 'app:x:1000:1000::/home/app:/bin/sh', 'odd:x:7:zz:odd:/:/bin/sh', 'short:x:8', 'neg:x:9:-1', '# comment', ''),
    fc.array(fc.oneof(fc.constantFrom('app', 'x', '5', '', 'extra'), text), { maxLength: 7 }).map((f) => f.join(':')),
  );
  const groupLine = fc.oneof(fc.constantFrom('root:x:0:', 'app:x:1000:', 'extra:x:5:app,odd', 'bad:x:q:app', 'big:x:99999999999:app'), text);
  const list = fc.oneof(fc.constant(undefined), fc.constant(null), fc.array(fc.oneof(fc.constantFrom('/bin/sh', 'sh', '-c', 'bin/sh'), text), { maxLength: 3 }), fc.anything());
  const config = fc.record({
    Entrypoint: list, Cmd: list, Env: fc.oneof(list, fc.array(fc.constantFrom('A=b', 'PATH=/bin', 'HOME=/x', 'PATH=', '=x', 'noeq'), { maxLength: 3 })),
    WorkingDir: fc.oneof(fc.constantFrom(undefined, '', '/', '/bin', '/nope', 'rel', '/bin/sh'), text),
    User: fc.oneof(fc.constantFrom(undefined, '', 'root', 'app', 'odd', 'short', 'neg', '1000', '1000:5', 'app:extra', 'app:bad', 'nobody', '0:0', 'a:b:c', '99999999999'), text),
    Labels: fc.anything(), Volumes: fc.anything(),
  }, { requiredKeys: [] });
  const overrides = fc.record({
    args: fc.array(fc.constantFrom('/bin/sh', 'x'), { maxLength: 2 }), entrypoint: fc.array(fc.constantFrom('sh', '/bin/sh'), { minLength: 1, maxLength: 2 }),
    env: fc.array(fc.constantFrom('A=1', 'PATH=/bin', 'bad'), { maxLength: 2 }), cwd: fc.constantFrom('/', '/bin', 'rel'), user: fc.constantFrom('root', 'app', '0', 'app:extra'),
  }, { requiredKeys: [] });

  it('execSpecFromConfig: any config and overrides give a spec with whole ids and a resolved argv, or an ImageError', () => {
    fc.assert(fc.property(config, overrides, fc.array(dbLine, { maxLength: 5 }), fc.array(groupLine, { maxLength: 4 }), (c, ov, pw, gr) => {
      const { root, read } = tree(pw.join('\n') + '\n', gr.join('\n') + '\n');
      let r;
      try {
        r = execSpecFromConfig({ architecture: 'amd64', os: 'linux', config: c as Record<string, unknown> }, root, ov, 'img', read);
      } catch (e) {
        assert(e instanceof ImageError, String(e));
        assert(['FORMAT_INVALID', 'COMMAND_MISSING', 'USER_UNKNOWN', 'OVERRIDE_INVALID'].includes(e.code), e.code);
        return;
      }
      const { spec } = r;
      for (const id of [spec.uid, spec.gid, ...spec.groups]) assert(Number.isInteger(id) && id >= 0 && id <= 0xffffffff, `id ${id}`);
      assert(spec.groups.includes(spec.gid));
      const entry = ov.entrypoint ?? ((c.Entrypoint as string[] | null | undefined) ?? []);
      const cmd = ov.args ?? (ov.entrypoint ? [] : ((c.Cmd as string[] | null | undefined) ?? []));
      assert.deepEqual(spec.args, [...entry, ...cmd]);
      assert(spec.env.some((e) => e.startsWith('PATH=')), 'a PATH, the image\'s or Docker\'s default');
      assert(spec.cwd.startsWith('/'));
      assert.equal(spec.path, spec.args[0].includes('/') ? path.posix.resolve(spec.cwd, spec.args[0]) : spec.path);
      assert(spec.path === '/bin/sh' || spec.path === '/bin/sh/', spec.path);
    }), { numRuns: 1000 });
  });
});
