// Reading a PCR of a swtpm that QEMU used, with tpm2-tools (Debian's tpm2-tools, tpm2-tss's `cmd:`
// TCTI) through swtpm-data-relay.py: the way an attestation tool on the host would read it.
//
// PCRs are volatile: call this inside withSwtpm()'s callback (same swtpm process), after QEMU was
// killed (withQemu kills it with SIGKILL; a QEMU that exits on its own sends swtpm CMD_SHUTDOWN).
import { execFile } from 'node:child_process';
import path from 'node:path';

const RELAY = path.join(__dirname, 'swtpm-data-relay.py');

/** The SHA-256 bank's value of PCR pcr, lowercase hex (64 digits). */
export async function readPcrSha256(ctrlSocket: string, pcr: number): Promise<string> {
  const { stdout, stderr } = await new Promise<{ stdout: string; stderr: string }>(
    (resolve, reject) =>
      execFile(
        'tpm2_pcrread',
        // The socket path goes into the TCTI configuration string, which tpm2-tss splits on
        // spaces and hands to a shell: refuse anything but a plain path.
        ['-T', `cmd:python3 ${RELAY} ${safePath(ctrlSocket)}`, `sha256:${pcr}`],
        { timeout: 60_000, killSignal: 'SIGKILL' },
        (err, stdout, stderr) =>
          err
            ? reject(new Error(`tpm2_pcrread: ${err.message}\n${stderr}`))
            : resolve({ stdout, stderr }),
      ),
  );
  const m = new RegExp(`^\\s*${pcr}\\s*:\\s*0x([0-9A-Fa-f]{64})\\s*$`, 'm').exec(stdout);
  if (!m) throw new Error(`tpm2_pcrread printed no sha256 PCR ${pcr}:\n${stdout}\n${stderr}`);
  return m[1].toLowerCase();
}

function safePath(p: string): string {
  if (!/^[A-Za-z0-9_./+-]+$/.test(p) || !/^[A-Za-z0-9_./+-]+$/.test(RELAY))
    throw new Error(`${JSON.stringify(p)}: not a plain path for a TCTI command line`);
  return p;
}
