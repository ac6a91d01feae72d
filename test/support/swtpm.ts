// A software TPM 2.0 (Debian's swtpm) for QEMU: `-tpmdev emulator` over a UNIX control socket,
// presented to the firmware as a TIS device. The TPM's state lives in a directory the caller
// keeps, so consecutive QEMU runs (reboots) see the same NV indices, as a real TPM would.
//
//   await withSwtpm(stateDir, (qemuArgs) => bootUntilExit(disk, vars, { extraArgs: qemuArgs }));
//
// swtpm runs in its own process group for exactly one callback: it is killed (SIGKILL to the
// group) when the callback ends, throws or outlives timeoutMs, and when the test process exits.
import { spawn } from 'node:child_process';
import fs from 'node:fs';
import path from 'node:path';

const SOCKET_WAIT_MS = 10_000;

export async function withSwtpm<T>(
  stateDir: string,
  fn: (qemuArgs: string[]) => Promise<T>,
  o: { timeoutMs?: number } = {},
): Promise<T> {
  fs.mkdirSync(stateDir, { recursive: true });
  const sock = path.join(stateDir, 'swtpm.sock');
  fs.rmSync(sock, { force: true });
  const child = spawn(
    'swtpm',
    [
      'socket',
      '--tpm2',
      '--tpmstate',
      `dir=${stateDir}`,
      '--ctrl',
      `type=unixio,path=${sock}`,
      '--flags',
      'startup-clear',
    ],
    { detached: true, stdio: ['ignore', 'ignore', 'pipe'] },
  );
  let stderr = '';
  child.stderr!.on('data', (d: Buffer) => (stderr += d.toString()));
  const exited = new Promise<void>((resolve) => child.once('exit', () => resolve()));
  let gone = false;
  void exited.then(() => (gone = true));
  const kill = () => {
    try {
      if (child.pid && !gone) process.kill(-child.pid, 'SIGKILL');
    } catch {
      /* already gone */
    }
  };
  process.once('exit', kill);
  const hard = setTimeout(kill, o.timeoutMs ?? 600_000);
  try {
    const started = Date.now();
    while (!fs.existsSync(sock)) {
      if (gone) throw new Error(`swtpm exited before creating ${sock}: ${stderr}`);
      if (Date.now() - started > SOCKET_WAIT_MS)
        throw new Error(`swtpm did not create ${sock} within ${SOCKET_WAIT_MS} ms: ${stderr}`);
      await new Promise((r) => setTimeout(r, 50));
    }
    return await fn([
      '-chardev',
      `socket,id=chrtpm,path=${sock}`,
      '-tpmdev',
      'emulator,id=tpm0,chardev=chrtpm',
      '-device',
      'tpm-tis,tpmdev=tpm0',
    ]);
  } finally {
    clearTimeout(hard);
    kill();
    await exited;
    process.removeListener('exit', kill);
  }
}
