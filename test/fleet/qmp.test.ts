// qmpCommand (test/support/redfish-bmc.ts) against a real QEMU, paused before its first
// instruction (-S: no disk, no firmware run): the handshake, query-status, system_reset, a command
// QEMU does not know; then a whole reboot through the stand-in BMC, whose reset action resets
// that QEMU, as the pull tests reboot an emulated host. QEMU runs in its own process group, killed
// after each test whatever happened, and at the latest HARD_LIMIT_MS after it started.
import { strict as assert } from 'node:assert';
import { spawn, type ChildProcess } from 'node:child_process';
import fs from 'node:fs';
import net from 'node:net';
import os from 'node:os';
import path from 'node:path';
import { resetHost } from '../../builder/fleet/redfish';
import { qmpCommand, RedfishBmc, type QmpReply } from '../support/redfish-bmc';

const HARD_LIMIT_MS = 20_000;

interface PausedQemu {
  readonly socket: string;
  readonly child: ChildProcess;
  stderr: string;
}

/** Runs fn against a paused QEMU with a QMP socket; always kills QEMU's process group after. */
async function withPausedQemu<T>(fn: (vm: PausedQemu) => Promise<T>): Promise<T> {
  const dir = fs.mkdtempSync(path.join(os.tmpdir(), 'd0-qmp-'));
  const socket = path.join(dir, 'qmp.sock');
  const child = spawn(
    'qemu-system-x86_64',
    [
      '-machine',
      'q35',
      '-accel',
      'tcg',
      '-display',
      'none',
      '-serial',
      'none',
      '-monitor',
      'none',
      '-nodefaults',
      '-qmp',
      `unix:${socket},server=on,wait=off`,
      '-S',
    ],
    { detached: true, stdio: ['ignore', 'ignore', 'pipe'] },
  );
  const vm: PausedQemu = { socket, child, stderr: '' };
  child.stderr!.setEncoding('utf8').on('data', (c: string) => (vm.stderr += c));
  const exited = new Promise<void>((resolve) => child.once('exit', () => resolve()));
  const kill = () => {
    try {
      process.kill(-child.pid!, 'SIGKILL');
    } catch {
      /* already gone */
    }
  };
  const limit = setTimeout(kill, HARD_LIMIT_MS);
  const failed = new Promise<never>((_, reject) => {
    child.once('error', reject);
    child.once('exit', (code, signal) =>
      reject(new Error(`QEMU exited (${code ?? signal}) during the test: ${vm.stderr}`)),
    );
  });
  failed.catch(() => {});
  try {
    return await Promise.race([fn(vm), failed]);
  } finally {
    clearTimeout(limit);
    if (child.exitCode === null && child.signalCode === null) kill();
    await exited;
    fs.rmSync(dir, { recursive: true, force: true });
  }
}

describe('fleet: QMP helper against a paused QEMU', function () {
  this.timeout(HARD_LIMIT_MS + 10_000);

  it('query-status answers prelaunch; system_reset and an unknown command get their replies', async () => {
    await withPausedQemu(async (vm) => {
      const status = await qmpCommand(vm.socket, 'query-status');
      const { status: state, running } = status.return as { status: string; running: boolean };
      assert.deepEqual({ state, running }, { state: 'prelaunch', running: false });
      assert.deepEqual(await qmpCommand(vm.socket, 'system_reset'), { return: {}, id: 'd0-test' });
      const unknown = await qmpCommand(vm.socket, 'no-such-command');
      assert.equal(unknown.error?.class, 'CommandNotFound');
      // One client at a time: each call's connection is closed, so the next one gets in.
      assert.equal(
        ((await qmpCommand(vm.socket, 'query-status')).return as { running: boolean }).running,
        false,
      );
    });
  });

  it('a reboot through the stand-in BMC resets the QEMU behind it', async () => {
    await withPausedQemu(async (vm) => {
      const replies: QmpReply[] = [];
      const bmc = await RedfishBmc.start({
        username: 'admin',
        password: 'qmp-test-secret',
        onReset: async (type) => {
          assert.equal(type, 'ForceRestart');
          const reply = await qmpCommand(vm.socket, 'system_reset');
          replies.push(reply);
          if (reply.error) throw new Error(reply.error.desc);
        },
      });
      try {
        const r = await resetHost({ url: bmc.url, username: 'admin', password: 'qmp-test-secret' });
        assert.equal(r.status, 204);
        assert.deepEqual(replies, [{ return: {}, id: 'd0-test' }]);
      } finally {
        await bmc.close();
      }
    });
  });

  it('a socket that never answers ends within the timeout', async () => {
    const dir = fs.mkdtempSync(path.join(os.tmpdir(), 'd0-qmp-'));
    const socket = path.join(dir, 'silent.sock');
    const held: net.Socket[] = [];
    const server = net.createServer((s) => void held.push(s));
    await new Promise<void>((r) => server.listen(socket, r));
    try {
      const t0 = Date.now();
      await assert.rejects(
        qmpCommand(socket, 'query-status', { timeoutMs: 300 }),
        /no reply to query-status within 300 ms/,
      );
      assert.ok(Date.now() - t0 < 2000);
      await assert.rejects(
        qmpCommand(path.join(dir, 'absent.sock'), 'query-status', { timeoutMs: 200 }),
        /cannot connect \(ENOENT\)/,
      );
    } finally {
      for (const s of held) s.destroy();
      await new Promise<void>((r) => server.close(() => r()));
      fs.rmSync(dir, { recursive: true, force: true });
    }
  });
});
