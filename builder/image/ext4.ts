// Staging directory + plan -> ext4 image, reproducibly: our own mke2fs.conf, fixed block and
// inode sizes, UUID and directory hash seed derived from the build key, every filesystem time
// from a fixed epoch (E2FSPROGS_FAKE_TIME), every inode's metadata from the image (debugfs).
import { spawnSync } from 'node:child_process';
import fs from 'node:fs';
import path from 'node:path';
import { fail } from '../oci/errors';
import type { Plan } from './materialize';

export const FS_EPOCH = 946684800; // 2000-01-01T00:00:00Z: superblock and journal times
const BLOCK = 4096;
const JOURNAL_MIB = 4;
export const MKE2FS_CONF = path.join(__dirname, 'mke2fs.conf');

export interface SizePolicy {
  /** Free space for the container to write into, on top of the 10 % / 16 MiB slack. */
  headroomMiB: number;
}

/** Blocks for the image: content + metadata + max(10 %, 16 MiB) + requested headroom, in MiB steps. */
export function imageBlocks(plan: Plan, inodes: number, policy: SizePolicy): number {
  const inodeTable = Math.ceil((inodes * 256) / BLOCK);
  const groups = Math.ceil((plan.dataBlocks + inodeTable) / 32768) + 1;
  const meta = inodeTable + JOURNAL_MIB * 256 + groups * 4 + 64;
  const slack = Math.max(Math.ceil(plan.dataBlocks * 0.1), 16 * 256);
  const total = plan.dataBlocks + meta + slack + policy.headroomMiB * 256;
  return Math.ceil(total / 256) * 256;
}

export function inodeCount(plan: Plan, policy: SizePolicy): number {
  // Room for what the container creates: a quarter more, at least 1024, and more with headroom.
  return plan.inodes + Math.max(1024, Math.ceil(plan.inodes / 4)) + policy.headroomMiB * 16;
}

function run(cmd: string, args: string[], env: NodeJS.ProcessEnv): string {
  const r = spawnSync(cmd, args, { env, encoding: 'utf8', maxBuffer: 64 * 2 ** 20 });
  if (r.error) fail('TOOL_FAILED', `${cmd}: ${r.error.message}`);
  if (r.status !== 0) fail('TOOL_FAILED', `${cmd} exited with ${r.status}: ${(r.stderr || r.stdout).trim().slice(-2000)}`);
  return `${r.stdout}\n${r.stderr}`;
}

export function toolEnv(): NodeJS.ProcessEnv {
  return {
    PATH: `/usr/sbin:/sbin:${process.env.PATH ?? '/usr/bin:/bin'}`,
    LC_ALL: 'C',
    MKE2FS_CONFIG: MKE2FS_CONF,
    E2FSPROGS_FAKE_TIME: String(FS_EPOCH),
    SOURCE_DATE_EPOCH: String(FS_EPOCH),
  };
}

export function toolVersions(): string {
  const r = spawnSync('mke2fs', ['-V'], { env: toolEnv(), encoding: 'utf8' });
  if (r.error) fail('TOOL_FAILED', `mke2fs not found (Debian package e2fsprogs): ${r.error.message}`);
  return (r.stdout + r.stderr).trim();
}

export interface Ext4Inputs {
  stage: string;
  out: string;
  plan: Plan;
  uuid: string;
  hashSeed: string;
  scriptFile: string;
  policy: SizePolicy;
}

export function makeExt4(i: Ext4Inputs): void {
  const env = toolEnv();
  const inodes = inodeCount(i.plan, i.policy);
  const blocks = imageBlocks(i.plan, inodes, i.policy);
  fs.rmSync(i.out, { force: true });
  fs.writeFileSync(i.out, '');
  fs.truncateSync(i.out, blocks * BLOCK);
  run(
    'mke2fs',
    ['-q', '-F', '-t', 'ext4', '-b', String(BLOCK), '-I', '256', '-N', String(inodes), '-m', '0', '-L', 'd0-rootfs',
      '-J', `size=${JOURNAL_MIB}`, '-U', i.uuid,
      '-E', `hash_seed=${i.hashSeed},root_owner=0:0,nodiscard,lazy_itable_init=1`,
      '-d', i.stage, i.out, String(blocks)],
    env,
  );
  fs.writeFileSync(i.scriptFile, [...i.plan.create, ...i.plan.meta, ''].join('\n'));
  const output = run('debugfs', ['-w', '-f', i.scriptFile, i.out], env);
  // debugfs reports command failures on stderr but exits 0: any line that is not the banner,
  // an echoed command or an inode allocation notice is an error.
  const bad = output
    .split('\n')
    .filter((l) => l.trim() !== '' && !/^debugfs( \d|:)/.test(l) && !/^Allocated inode: \d+$/.test(l));
  if (bad.length) fail('TOOL_FAILED', `debugfs: ${bad.slice(0, 5).join('; ')}`);
}
