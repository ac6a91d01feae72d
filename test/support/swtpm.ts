// A software TPM 2.0 (Debian's swtpm) for QEMU: `-tpmdev emulator` over a UNIX control socket,
// presented to the firmware as a TIS device (or a CRB one). The TPM's state lives in a directory the caller
// keeps, so consecutive QEMU runs (reboots) see the same NV indices, as a real TPM would.
//
//   await withSwtpm(stateDir, (qemuArgs) => bootUntilExit(disk, vars, { extraArgs: qemuArgs }));
//
// withTpm12StandIn gives a TPM 1.2 instead: what test boots present when they need no TPM
// (test/support/qemu.ts). OVMF probes the TIS registers at 0xFED40000 at every boot; QEMU reads
// an empty address as 0, which OVMF takes for a TPM that is not ready, and it waits out its TIS
// timeouts: 1.2-1.6 s of every boot (docs/ci.md). A TPM 1.2 answers at once, and OVMF offers
// EFI_TCG2_PROTOCOL for a TPM 2.0 only, so D0, which uses TPM 2.0 through TCG2 alone, sees no
// TPM either way (ev=epoch_floor tpm=none, ev=measured state=absent reason=no_tcg2).
//
// swtpm runs in its own process group for exactly one callback: it is killed (SIGKILL to the
// group) when the callback ends, throws or outlives timeoutMs, and when the test process exits.
import { spawn } from 'node:child_process';
import fs from 'node:fs';
import net from 'node:net';
import path from 'node:path';

const SOCKET_WAIT_MS = 10_000;

/**
 * device: the interface QEMU presents the TPM on (TIS/FIFO by default, or CRB). fn also gets the
 * control socket, for readPcr() (test/support/tpm2-tools.ts) once QEMU was killed.
 */
export async function withSwtpm<T>(
  stateDir: string,
  fn: (qemuArgs: string[], ctrlSocket: string) => Promise<T>,
  o: { timeoutMs?: number; device?: 'tpm-tis' | 'tpm-crb' } = {},
): Promise<T> {
  return runSwtpm(stateDir, 'ctrl', fn, o);
}

/** A TPM 1.2 on the TIS interface for one QEMU run (see the header): fn gets QEMU's arguments. */
export async function withTpm12StandIn<T>(
  stateDir: string,
  fn: (qemuArgs: string[]) => Promise<T>,
  o: { timeoutMs?: number } = {},
): Promise<T> {
  return runSwtpm(stateDir, 'ctrl', fn, { ...o, tpm12: true });
}

/**
 * Sends raw TPM 2.0 commands (hex) to the TPM whose state is in stateDir, as a host OS or a tool
 * would before D0 boots (e.g. to leave an index D0 must not trust), and returns each response
 * (hex). The TPM is started up (TPM2_Startup(CLEAR)) by swtpm itself.
 */
export async function tpmCommands(stateDir: string, commands: string[]): Promise<string[]> {
  return runSwtpm(stateDir, 'server', async (_args, sock) => {
    const out: string[] = [];
    const c = await connectWhenListening(sock);
    try {
      for (const hex of commands) {
        c.write(Buffer.from(hex.replace(/\s+/g, ''), 'hex'));
        out.push((await readResponse(c)).toString('hex'));
      }
    } finally {
      c.destroy();
    }
    return out;
  });
}

/**
 * A connection to swtpm's socket. The socket file appears at bind(), a moment before swtpm
 * listens: a connect in between is refused (seen under load), so refusals are retried until
 * SOCKET_WAIT_MS.
 */
async function connectWhenListening(sock: string): Promise<net.Socket> {
  const started = Date.now();
  for (;;) {
    const c = net.createConnection(sock);
    try {
      await new Promise<void>((resolve, reject) =>
        c.once('connect', resolve).once('error', reject),
      );
      return c;
    } catch (e) {
      c.destroy();
      const code = (e as NodeJS.ErrnoException).code;
      if ((code !== 'ECONNREFUSED' && code !== 'ENOENT') || Date.now() - started > SOCKET_WAIT_MS)
        throw e;
      await new Promise((r) => setTimeout(r, 50));
    }
  }
}

/** One response: the 10-byte header's size field says how many bytes to wait for. */
function readResponse(c: net.Socket): Promise<Buffer> {
  return new Promise((resolve, reject) => {
    let buf = Buffer.alloc(0);
    const timer = setTimeout(() => done(new Error('no TPM response within 10 s')), 10_000);
    const onData = (d: Buffer) => {
      buf = Buffer.concat([buf, d]);
      if (buf.length >= 6 && buf.length >= buf.readUInt32BE(2)) done();
    };
    const onClose = () => done(new Error(`TPM connection closed after ${buf.length} bytes`));
    const done = (e?: Error) => {
      clearTimeout(timer);
      c.off('data', onData).off('close', onClose);
      if (e) reject(e);
      else resolve(buf);
    };
    c.on('data', onData).on('close', onClose);
  });
}

async function runSwtpm<T>(
  stateDir: string,
  mode: 'ctrl' | 'server',
  fn: (qemuArgs: string[], sock: string) => Promise<T>,
  o: { timeoutMs?: number; device?: 'tpm-tis' | 'tpm-crb'; tpm12?: boolean } = {},
): Promise<T> {
  fs.mkdirSync(stateDir, { recursive: true });
  const sock = path.join(stateDir, `swtpm-${mode}.sock`);
  fs.rmSync(sock, { force: true });
  const child = spawn(
    'swtpm',
    [
      'socket',
      ...(o.tpm12 ? [] : ['--tpm2']),
      '--tpmstate',
      `dir=${stateDir}`,
      mode === 'ctrl' ? '--ctrl' : '--server',
      `type=unixio,path=${sock}`,
      '--flags',
      mode === 'ctrl' ? 'startup-clear' : 'not-need-init,startup-clear',
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
    // The file appears at bind(), a moment before listen(): QEMU, which connects once, would
    // fail on a refused connection. A connection that succeeds and closes leaves swtpm waiting
    // for the next one.
    if (mode === 'ctrl') (await connectWhenListening(sock)).destroy();
    return await fn(
      [
        '-chardev',
        `socket,id=chrtpm,path=${sock}`,
        '-tpmdev',
        'emulator,id=tpm0,chardev=chrtpm',
        '-device',
        `${o.device ?? 'tpm-tis'},tpmdev=tpm0`,
      ],
      sock,
    );
  } finally {
    clearTimeout(hard);
    kill();
    await exited;
    process.removeListener('exit', kill);
  }
}
