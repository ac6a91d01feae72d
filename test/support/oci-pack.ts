// Independent writers of image formats for tests: layer tars crafted entry by entry (tar-stream),
// an OCI image layout written from the spec (index.json, manifest, config, blobs/sha256), and a
// docker-save tar repackaged as an OCI layout. They share no code with builder/oci.
import crypto from 'node:crypto';
import fs from 'node:fs';
import path from 'node:path';
import zlib from 'node:zlib';
import tar from 'tar-stream';

export interface CraftEntry {
  name: string;
  type?: 'file' | 'directory' | 'symlink' | 'link' | 'character-device' | 'block-device' | 'fifo';
  content?: string | Buffer;
  mode?: number;
  uid?: number;
  gid?: number;
  linkname?: string;
  devmajor?: number;
  devminor?: number;
  pax?: Record<string, string>;
  size?: number; // lie about the size (hostile archives)
}

export async function craftLayer(entries: CraftEntry[]): Promise<Buffer> {
  const pack = tar.pack();
  const chunks: Buffer[] = [];
  pack.on('data', (c: unknown) => {
    chunks.push(c as Buffer);
  });
  const done = new Promise<void>((r) => pack.on('end', () => r()));
  for (const e of entries) {
    const body = e.content === undefined ? undefined : Buffer.from(e.content);
    const type = e.type ?? 'file';
    const header = {
      name: e.name, type, mode: e.mode ?? (type === 'directory' ? 0o755 : 0o644), uid: e.uid ?? 0, gid: e.gid ?? 0,
      mtime: new Date(1_600_000_000_000), linkname: e.linkname, devmajor: e.devmajor, devminor: e.devminor,
      size: e.size ?? body?.length ?? 0, pax: e.pax,
    } as tar.Header;
    await new Promise<void>((resolve, reject) => {
      if (body && e.size === undefined) pack.entry(header, body, (err) => (err ? reject(err) : resolve()));
      else {
        const s = pack.entry(header, (err) => (err ? reject(err) : resolve()));
        (s as unknown as { end(): void }).end();
      }
    });
  }
  pack.finalize();
  await done;
  return Buffer.concat(chunks);
}

const sha = (b: Buffer) => 'sha256:' + crypto.createHash('sha256').update(b).digest('hex');

function putBlob(dir: string, bytes: Buffer): string {
  const digest = sha(bytes);
  fs.mkdirSync(path.join(dir, 'blobs', 'sha256'), { recursive: true });
  fs.writeFileSync(path.join(dir, 'blobs', 'sha256', digest.slice(7)), bytes);
  return digest;
}

export function imageConfig(layers: Buffer[], config: Record<string, unknown> = {}): Buffer {
  return Buffer.from(JSON.stringify({
    architecture: 'amd64', os: 'linux', config,
    rootfs: { type: 'layers', diff_ids: layers.map(sha) },
  }));
}

/** An OCI layout in dir; layers gzip-compressed when gzip is set. Returns the config digest. */
export function writeOciLayout(dir: string, layers: Buffer[], configBytes: Buffer, opts: { gzip?: boolean; ref?: string } = {}): string {
  const layerDescs = layers.map((l) => {
    const stored = opts.gzip ? zlib.gzipSync(l) : l;
    return {
      mediaType: opts.gzip ? 'application/vnd.oci.image.layer.v1.tar+gzip' : 'application/vnd.oci.image.layer.v1.tar',
      digest: putBlob(dir, stored), size: stored.length,
    };
  });
  const configDigest = putBlob(dir, configBytes);
  const manifest = Buffer.from(JSON.stringify({
    schemaVersion: 2, mediaType: 'application/vnd.oci.image.manifest.v1+json',
    config: { mediaType: 'application/vnd.oci.image.config.v1+json', digest: configDigest, size: configBytes.length },
    layers: layerDescs,
  }));
  const md = putBlob(dir, manifest);
  fs.writeFileSync(path.join(dir, 'oci-layout'), JSON.stringify({ imageLayoutVersion: '1.0.0' }));
  fs.writeFileSync(path.join(dir, 'index.json'), JSON.stringify({
    schemaVersion: 2,
    manifests: [{
      mediaType: 'application/vnd.oci.image.manifest.v1+json', digest: md, size: manifest.length,
      platform: { os: 'linux', architecture: 'amd64' },
      ...(opts.ref ? { annotations: { 'org.opencontainers.image.ref.name': opts.ref } } : {}),
    }],
  }));
  return configDigest;
}

/** A docker-save tar (manifest.json, <hex>.json, <n>/layer.tar) of the given layers. */
export async function writeDockerArchive(file: string, layers: Buffer[], configBytes: Buffer): Promise<void> {
  const cfgName = sha(configBytes).slice(7) + '.json';
  const entries: CraftEntry[] = [{ name: cfgName, content: configBytes }];
  layers.forEach((l, i) => entries.push({ name: `layer${i}/layer.tar`, content: l }));
  entries.push({ name: 'manifest.json', content: JSON.stringify([{ Config: cfgName, RepoTags: ['crafted:1'], Layers: layers.map((_, i) => `layer${i}/layer.tar`) }]) });
  fs.writeFileSync(file, await craftLayer(entries));
}

/** Repackages a docker-save tar into an OCI layout dir (gzip layers), from the spec. */
export async function dockerSaveToOci(saveTar: string, dir: string): Promise<void> {
  const files = new Map<string, Buffer>();
  const links = new Map<string, string>();
  const extract = tar.extract();
  fs.createReadStream(saveTar).pipe(extract);
  for await (const item of extract) {
    const e = item as unknown as NodeJS.ReadableStream & { header: tar.Header; resume(): void };
    if (e.header.type === 'symlink') links.set(e.header.name, path.posix.join(path.posix.dirname(e.header.name), e.header.linkname!));
    const chunks: Buffer[] = [];
    for await (const c of e) chunks.push(c as Buffer);
    if (e.header.type === 'file') files.set(e.header.name, Buffer.concat(chunks));
  }
  const [m] = JSON.parse(files.get('manifest.json')!.toString()) as { Config: string; Layers: string[] }[];
  const layers = m.Layers.map((l) => files.get(links.get(l) ?? l)!);
  writeOciLayout(dir, layers, files.get(m.Config)!, { gzip: true });
}
