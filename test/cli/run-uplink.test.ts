// `d0 run --uplink` / `--forward` / `--cpus`: strict parsing of the option text, and the QEMU
// command line it builds (the e1000 on QEMU's user network, host ports bound to 127.0.0.1 only;
// -smp with one host thread per CPU). No QEMU runs.
import { strict as assert } from 'node:assert';
import * as fs from 'node:fs';
import * as os from 'node:os';
import * as path from 'node:path';
import { QEMU_USER_NET, qemuCommand, uplinkArgs } from '../../builder/disk/qemu';
import { parseForward, uplinkFromFlags } from '../../cli/commands/run-uplink';
import { CliError, type Io } from '../../cli/io';
import { main } from '../../cli/main';

describe('d0 run: --uplink and --forward', () => {
  it('parses tcp and udp forwards', () => {
    assert.deepEqual(parseForward('tcp:8080:80'), {
      protocol: 'tcp',
      hostPort: 8080,
      uplinkPort: 80,
    });
    assert.deepEqual(parseForward('udp:5353:53'), {
      protocol: 'udp',
      hostPort: 5353,
      uplinkPort: 53,
    });
    assert.deepEqual(parseForward('tcp:65535:1'), {
      protocol: 'tcp',
      hostPort: 65535,
      uplinkPort: 1,
    });
  });

  it('refuses every malformed value with a message naming --forward and the text', () => {
    for (const bad of [
      '',
      'tcp',
      'tcp:8080',
      'tcp:8080:80:1',
      'TCP:8080:80',
      'sctp:8080:80',
      'tcp::80',
      'tcp:8080:',
      'tcp:-1:80',
      'tcp:0:80',
      'tcp:8080:0',
      'tcp:65536:80',
      'tcp:8080:123456',
      'tcp:08080:80',
      'tcp: 8080:80',
      'tcp:8080:80 ',
      'tcp:0x50:80',
      'tcp:1.5:80',
      '127.0.0.1:8080:80',
      'tcp:127.0.0.1:8080:80',
    ]) {
      assert.throws(
        () => parseForward(bad),
        (e: unknown) =>
          e instanceof CliError &&
          e.message.startsWith('--forward: ') &&
          e.message.includes(JSON.stringify(bad)),
        bad,
      );
    }
  });

  it('--forward implies --uplink; neither gives no NIC; a host port forwarded twice is refused', () => {
    assert.equal(uplinkFromFlags(undefined, undefined), undefined);
    assert.equal(uplinkFromFlags(false, []), undefined);
    assert.deepEqual(uplinkFromFlags(true, undefined), { forwards: [] });
    assert.deepEqual(uplinkFromFlags(undefined, ['tcp:8080:80', 'udp:8080:53']), {
      forwards: [
        { protocol: 'tcp', hostPort: 8080, uplinkPort: 80 },
        { protocol: 'udp', hostPort: 8080, uplinkPort: 53 },
      ],
    });
    assert.throws(
      () => uplinkFromFlags(true, ['tcp:8080:80', 'tcp:8080:81']),
      (e: unknown) =>
        e instanceof CliError && e.message === '--forward: host tcp port 8080 is forwarded twice',
    );
  });

  it('--cpus: -smp N with one host thread per CPU (thread=multi), nothing added for one', () => {
    const base = { disk: 'd.img', vars: 'v.fd' };
    const one = qemuCommand(base);
    assert.equal(one.includes('-smp'), false);
    assert.deepEqual(one.slice(0, 2), ['-accel', 'tcg']);
    assert.deepEqual(qemuCommand({ ...base, cpus: 1 }), one);
    const four = qemuCommand({ ...base, cpus: 4 });
    assert.deepEqual(four.slice(0, 2), ['-accel', 'tcg,thread=multi']);
    assert.deepEqual(four.slice(four.indexOf('-smp'), four.indexOf('-smp') + 2), ['-smp', '4']);
    assert.deepEqual(
      qemuCommand({ ...base, cpus: 2, accel: 'tcg' }).slice(0, 2),
      ['-accel', 'tcg'],
      'an explicit accel wins',
    );
  });

  it('d0 run --cpus refuses anything but 1..32 before QEMU starts (exit 2)', async () => {
    const dir = fs.mkdtempSync(path.join(os.tmpdir(), 'd0-run-cpus-'));
    try {
      const disk = path.join(dir, 'd.img');
      fs.writeFileSync(disk, Buffer.alloc(4096));
      for (const bad of ['0', '33', '-1', '2x', '', '1.5']) {
        const err: string[] = [];
        const io: Io = { out: () => {}, err: (l) => err.push(l), env: {} };
        const code = await main(['run', disk, `--cpus=${bad}`], io);
        assert.equal(code, 2, `--cpus ${JSON.stringify(bad)}: ${err.join('\n')}`);
        assert.ok(
          err.some((l) => l.includes(`--cpus: ${bad} is not 1..32 CPUs`)),
          err.join('\n'),
        );
        assert.doesNotMatch(err.join('\n'), /GPT|disk image/, 'refused before the disk is read');
        assert.equal(fs.existsSync(`${disk}.vars.fd`), false, 'nothing written');
      }
    } finally {
      fs.rmSync(dir, { recursive: true, force: true });
    }
  });

  it('builds the uplink NIC on the one QEMU command line, host side on 127.0.0.1', () => {
    const base = { disk: 'd.img', vars: 'v.fd' };
    const plain = qemuCommand(base);
    assert.equal(plain.includes('-netdev'), false, 'no NIC without --uplink');
    assert.deepEqual(plain.slice(plain.indexOf('-net'), plain.indexOf('-net') + 2), [
      '-net',
      'none',
    ]);
    const up = qemuCommand({
      ...base,
      uplink: {
        forwards: [
          { protocol: 'tcp', hostPort: 8080, uplinkPort: 80 },
          { protocol: 'udp', hostPort: 5353, uplinkPort: 53 },
        ],
      },
    });
    assert.deepEqual(up.slice(0, plain.length), plain, 'the uplink only adds arguments');
    assert.deepEqual(up.slice(plain.length), [
      '-netdev',
      'user,id=uplink0,net=10.0.2.0/24,hostfwd=tcp:127.0.0.1:8080-10.0.2.15:80,hostfwd=udp:127.0.0.1:5353-10.0.2.15:53',
      '-device',
      'e1000,netdev=uplink0,romfile=',
    ]);
    assert.deepEqual(uplinkArgs({ forwards: [] }), [
      '-netdev',
      'user,id=uplink0,net=10.0.2.0/24',
      '-device',
      'e1000,netdev=uplink0,romfile=',
    ]);
    // The tests' network: restricted to QEMU itself, with guestfwd to their own servers.
    assert.deepEqual(
      uplinkArgs({
        forwards: [],
        restrict: true,
        guestForwards: [{ ip: '10.0.2.100', port: 80, hostPort: 4000 }],
      }),
      [
        '-netdev',
        'user,id=uplink0,net=10.0.2.0/24,restrict=on,guestfwd=tcp:10.0.2.100:80-tcp:127.0.0.1:4000',
        '-device',
        'e1000,netdev=uplink0,romfile=',
      ],
    );
    assert.deepEqual(QEMU_USER_NET, {
      net: '10.0.2.0/24',
      guestIp4: '10.0.2.15/24',
      gateway: '10.0.2.2',
    });
  });

  it('d0 run refuses a bad --forward with exit 2 before looking at the disk', async () => {
    const dir = fs.mkdtempSync(path.join(os.tmpdir(), 'd0-run-uplink-'));
    try {
      const disk = path.join(dir, 'disk.img');
      fs.writeFileSync(disk, Buffer.alloc(4096)); // no GPT: checkDisk would refuse it next
      const err: string[] = [];
      const io: Io = { out: () => {}, err: (l) => err.push(l), env: {} };
      const code = await main(['run', disk, '--forward', 'tcp:8080:99999'], io);
      assert.equal(code, 2);
      assert.match(
        err.join('\n'),
        /--forward: "tcp:8080:99999": uplink port 99999 is not a port 1\.\.65535/,
      );
      assert.doesNotMatch(err.join('\n'), /GPT|disk image/);
    } finally {
      fs.rmSync(dir, { recursive: true, force: true });
    }
  });

  it('d0 run refuses a --leave-running file in a missing directory before booting', async () => {
    const dir = fs.mkdtempSync(path.join(os.tmpdir(), 'd0-run-leave-'));
    try {
      const disk = path.join(dir, 'disk.img');
      fs.writeFileSync(disk, Buffer.alloc(4096));
      const err: string[] = [];
      const io: Io = { out: () => {}, err: (l) => err.push(l), env: {} };
      const code = await main(
        ['run', disk, '--leave-running', path.join(dir, 'no-such-dir', 'qemu.pid')],
        io,
      );
      assert.equal(code, 2);
      assert.match(
        err.join('\n'),
        /--leave-running: ".*no-such-dir\/qemu\.pid" is not a file in an existing directory/,
      );
    } finally {
      fs.rmSync(dir, { recursive: true, force: true });
    }
  });
});
