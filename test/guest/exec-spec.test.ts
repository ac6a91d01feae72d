import assert from 'node:assert/strict';
import { encodeExecSpec, escapeExecValue } from '../../core/image/exec-spec';

describe('exec spec encoder', () => {
  it('writes the header, keys in contract order and a final newline', () => {
    const b = encodeExecSpec({ args: ['/bin/sh', '-c', 'echo hi'], env: ['A=1'], cwd: '/srv', uid: 1000, gid: 100, groups: [10, 20], path: '/bin/busybox' });
    assert.equal(
      b.toString('utf8'),
      'd0-exec 1\narg /bin/sh\narg -c\narg echo hi\nenv A=1\ncwd /srv\nuid 1000\ngid 100\ngroups 10 20\npath /bin/busybox\n',
    );
    assert.equal(encodeExecSpec({ args: ['x'], groups: [] }).toString(), 'd0-exec 1\narg x\ngroups\n');
  });

  it('escapes backslash, newline and control bytes, and leaves UTF-8 alone', () => {
    assert.equal(escapeExecValue('a\\b\nc\td\x7fé€'), 'a\\\\b\\nc\\x09d\\x7fé€');
  });

  it('refuses what the guest would refuse, naming the field', () => {
    assert.throws(() => encodeExecSpec({ args: [] }), /args: at least argv\[0\]/);
    assert.throws(() => encodeExecSpec({ args: [''] }), /args\[0\] is empty/);
    assert.throws(() => encodeExecSpec({ args: ['a\0b'] }), /args\[0\]: contains a NUL/);
    assert.throws(() => encodeExecSpec({ args: ['x'], env: ['NOEQ'] }), /env\[0\]: expected NAME=VALUE/);
    assert.throws(() => encodeExecSpec({ args: ['x'], env: ['=v'] }), /env\[0\]/);
    assert.throws(() => encodeExecSpec({ args: ['x'], cwd: 'rel' }), /cwd: "rel" is not absolute/);
    assert.throws(() => encodeExecSpec({ args: ['x'], uid: -1 }), /uid: -1 is not an id/);
    assert.throws(() => encodeExecSpec({ args: ['x'], gid: 4294967295 }), /gid: 4294967295/);
    assert.throws(() => encodeExecSpec({ args: ['x'], groups: [1, 1.5] }), /groups\[1\]/);
    assert.throws(() => encodeExecSpec({ args: ['x'], path: '' }), /path: empty/);
    assert.throws(() => encodeExecSpec({ args: ['x'.repeat(1 << 20)] }), /the limit is 1048576/);
  });
});
