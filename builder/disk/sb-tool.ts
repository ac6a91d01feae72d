// Runs one of the Secure Boot tools (sbsign, sbverify, openssl, efitools) for secure-boot.ts and
// secure-boot-keys.ts. Contract:
// - arguments are an argv array, never a shell line; file paths only, never key bytes;
// - the child has a session of its own (detached: no controlling terminal) and an empty, closed
//   stdin, so OpenSSL can never open /dev/tty or wait for a passphrase (an encrypted key fails);
// - a missing tool is D0Error SB_TOOL naming its Debian package; any other outcome resolves with
//   the exit code and stderr for the caller to judge (stdout is dropped: openssl's key progress).
import { execFile } from 'node:child_process';
import { D0Error } from '../../core/errors';

/** The Debian package each tool comes from (named when the tool is missing). */
const PACKAGE: Record<string, string> = {
  sbsign: 'sbsigntool',
  sbverify: 'sbsigntool',
  openssl: 'openssl',
  'cert-to-efi-sig-list': 'efitools',
  'sign-efi-sig-list': 'efitools',
};

export interface ToolResult {
  code: number;
  stderr: string;
}

export function runSbTool(tool: string, args: string[], why?: string): Promise<ToolResult> {
  return new Promise((resolve, reject) => {
    // `detached` is a spawn option execFile passes on (its typings leave it out).
    const opts = { timeout: 120_000, detached: true };
    const child = execFile(tool, args, opts, (err, _out, stderr) => {
      const e = err as (NodeJS.ErrnoException & { code?: unknown }) | null;
      if (e && e.code === 'ENOENT')
        return reject(
          new D0Error(
            'SB_TOOL',
            `${tool} is not installed (Debian package ${PACKAGE[tool] ?? 'unknown'})${why ? `: ${why}` : ''}`,
          ),
        );
      resolve({ code: e ? (typeof e.code === 'number' ? e.code : 1) : 0, stderr: String(stderr) });
    });
    child.stdin?.end();
  });
}

/** The last line of a tool's stderr, at most 200 characters (none of these tools prints key bytes). */
export function lastLine(stderr: string): string {
  return stderr.trim().split('\n').pop()?.slice(0, 200) || '(no message)';
}
