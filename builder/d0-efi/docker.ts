// Building kernel/ inside the pinned toolchain image (kernel/Dockerfile FROM the project's
// builder base image). The toolchain image is built once per (Dockerfile, base) and tagged
// d0-kernel-toolchain:<hash>; each kernel build is a throw-away container that receives the
// sources and the public key as a tar (no bind mounts, so a remote engine works too), runs make
// with no network, and hands back BOOTX64.EFI.
import crypto from 'node:crypto';
import type { EventEmitter } from 'node:events';
import fs from 'node:fs';
import path from 'node:path';
import type Dockerode from 'dockerode';
import tar from 'tar-stream';
import { ensureBaseImage, KERNEL_BASE } from '../docker/base-image';
import { followProgress, imageExists } from '../docker/engine';
import { KERNEL_DIR, kernelSourceFiles } from './sources';

export const TOOLCHAIN_REPO = 'd0-kernel-toolchain';

export async function ensureToolchainImage(
  docker: Dockerode,
  kernelDir = KERNEL_DIR,
  log: (line: string) => void = () => {},
): Promise<string> {
  const base = await ensureBaseImage(docker, KERNEL_BASE, log);
  const dockerfile = fs.readFileSync(path.join(kernelDir, 'Dockerfile'));
  const hash = crypto.createHash('sha256').update(dockerfile).update('\0').update(base).digest('hex').slice(0, 16);
  const tag = `${TOOLCHAIN_REPO}:${hash}`;
  if (await imageExists(docker, tag)) return tag;
  log(`docker build ${tag} FROM ${base}`);
  const stream = await docker.buildImage(
    { context: kernelDir, src: ['Dockerfile'] },
    { t: tag, buildargs: { BASE: base }, networkmode: 'none', rm: true, forcerm: true },
  );
  await followProgress(docker, stream);
  if (!(await imageExists(docker, tag))) throw new Error(`docker build did not create ${tag}`);
  return tag;
}

function sourceTar(kernelDir: string, keyFileText: string): Promise<Buffer> {
  const pack = tar.pack();
  for (const rel of kernelSourceFiles(kernelDir)) {
    const abs = path.join(kernelDir, rel);
    const mode = fs.statSync(abs).mode & 0o777;
    pack.entry({ name: `src/kernel/${rel}`, mode, mtime: new Date(0) }, fs.readFileSync(abs));
  }
  pack.entry({ name: 'src/signing.pub', mode: 0o644, mtime: new Date(0) }, keyFileText);
  pack.finalize();
  return streamToBuffer(pack);
}

function streamToBuffer(s: EventEmitter): Promise<Buffer> {
  return new Promise((resolve, reject) => {
    const chunks: Buffer[] = [];
    s.on('data', (c: Buffer) => void chunks.push(c));
    s.on('end', () => resolve(Buffer.concat(chunks)));
    s.on('error', reject);
  });
}

/** The one regular file in a tar stream (docker's getArchive of a file). */
function singleFileFromTar(archive: NodeJS.ReadableStream): Promise<Buffer> {
  return new Promise((resolve, reject) => {
    const extract = tar.extract();
    let found: Buffer | undefined;
    extract.on('entry', (header, stream, next) => {
      streamToBuffer(stream).then((data) => {
        if (header.type === 'file' && !found) found = data;
        next();
      }, reject);
    });
    extract.on('finish', () => (found ? resolve(found) : reject(new Error('no file in the archive'))));
    extract.on('error', reject);
    archive.on('error', reject); // pipe() does not pass the source's errors on
    archive.pipe(extract);
  });
}

/** Demultiplexes a container's log buffer (8-byte frame headers) into text. */
function demux(buf: Buffer): string {
  let out = '';
  for (let i = 0; i + 8 <= buf.length; ) {
    const n = buf.readUInt32BE(i + 4);
    out += buf.subarray(i + 8, i + 8 + n).toString('utf8');
    i += 8 + n;
  }
  return out;
}

export async function buildInDocker(
  docker: Dockerode,
  keyFileText: string,
  kernelDir = KERNEL_DIR,
  log: (line: string) => void = () => {},
): Promise<Buffer> {
  const image = await ensureToolchainImage(docker, kernelDir, log);
  const container = await docker.createContainer({
    Image: image,
    Cmd: ['make', '--no-print-directory', 'PUBKEY=/src/signing.pub', 'BUILD=/src/build'],
    WorkingDir: '/src/kernel',
    NetworkDisabled: true,
    HostConfig: { NetworkMode: 'none' },
  });
  try {
    await container.putArchive(await sourceTar(kernelDir, keyFileText), { path: '/' });
    await container.start();
    const { StatusCode } = (await container.wait()) as { StatusCode: number };
    if (StatusCode !== 0) {
      const logs = demux((await container.logs({ stdout: true, stderr: true })) as unknown as Buffer);
      throw new Error(`kernel build in ${image} failed (exit ${StatusCode}): ${logs.trim().slice(-4000)}`);
    }
    return await singleFileFromTar(await container.getArchive({ path: '/src/build/efi/BOOTX64.EFI' }));
  } finally {
    await container.remove({ force: true, v: true }).catch(() => {});
  }
}
