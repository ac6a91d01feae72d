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

/**
 * An OCI layout in dir; layers gzip-compressed when gzip is set. `blobs[i]`, when given, is stored
 * for layer i as it is (a pre-compressed bomb, a zstd frame, a cut gzip stream). Returns the config
 * digest.
 */
export function writeOciLayout(
  dir: string, layers: Buffer[], configBytes: Buffer, opts: { gzip?: boolean; ref?: string; blobs?: (Buffer | undefined)[] } = {},
): string {
  const layerDescs = layers.map((l, i) => {
    const given = opts.blobs?.[i];
    const stored = given ?? (opts.gzip ? zlib.gzipSync(l) : l);
    return {
      mediaType: opts.gzip || given ? 'application/vnd.oci.image.layer.v1.tar+gzip' : 'application/vnd.oci.image.layer.v1.tar',
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

/**
 * One tar entry written byte by byte, for archives tar-stream will not write: names, link targets
 * and pax records as raw bytes ("binary" strings, one char per byte), any typeflag, base-256
 * numbers, lying sizes, bad checksums, malformed pax bodies, GNU long names, ustar prefixes.
 */
export interface RawEntry {
  name: string; // binary string; longer than 100 bytes: carried in a pax "path" record
  type?: string; // typeflag character, default '0'
  linkname?: string; // longer than 100 bytes: carried in a pax "linkpath" record
  content?: Buffer | string; // strings as binary
  /** The size the header declares (default: the content's length). */
  size?: number | bigint;
  mode?: number;
  uid?: number | bigint;
  gid?: number | bigint;
  mtime?: number | bigint;
  devmajor?: number | bigint;
  devminor?: number | bigint;
  /** pax records for this entry (an 'x' record before it), keys and values as binary strings. */
  pax?: [string, string | Buffer][];
  /** A raw 'x' record body, well-formed or not. */
  paxBody?: Buffer;
  /** A GNU 'L' record carrying the name. */
  longName?: string;
  prefix?: string; // ustar prefix field
  /** 'bad': a wrong checksum; 'signed': the sum of signed bytes (old tars). */
  checksum?: 'bad' | 'signed';
  /** Raw bytes placed over the header at the given offsets (the checksum is computed after). */
  patch?: [number, Buffer][];
}

const bin = (s: string | Buffer) => (typeof s === 'string' ? Buffer.from(s, 'latin1') : s);

/** Octal when it fits the field, else GNU base-256. */
export function putNumeric(b: Buffer, off: number, len: number, v: number | bigint): void {
  const n = BigInt(v);
  const octal = n.toString(8);
  if (n >= 0n && octal.length < len) {
    b.write(octal.padStart(len - 1, '0') + '\0', off, 'latin1');
    return;
  }
  let x = n < 0n ? (1n << BigInt(8 * len)) + n : n;
  for (let i = len - 1; i >= 0; i--) {
    b[off + i] = Number(x & 0xffn);
    x >>= 8n;
  }
  b[off] |= 0x80;
}

export function paxRecords(records: [string, string | Buffer][]): Buffer {
  return Buffer.concat(records.map(([k, v]) => {
    const body = Buffer.concat([Buffer.from(' '), bin(k), Buffer.from('='), bin(v), Buffer.from('\n')]);
    let len = body.length + 1;
    while (String(len).length + body.length !== len) len = String(len).length + body.length;
    return Buffer.concat([Buffer.from(String(len)), body]);
  }));
}

function block(h: RawEntry, name: string, type: string, size: number | bigint): Buffer {
  const b = Buffer.alloc(512);
  bin(name).subarray(0, 100).copy(b, 0);
  putNumeric(b, 100, 8, h.mode ?? (type === '5' ? 0o755 : 0o644));
  putNumeric(b, 108, 8, h.uid ?? 0);
  putNumeric(b, 116, 8, h.gid ?? 0);
  putNumeric(b, 124, 12, size);
  putNumeric(b, 136, 12, h.mtime ?? 1_600_000_000);
  b.write(type, 156, 'latin1');
  bin(h.linkname ?? '').subarray(0, 100).copy(b, 157);
  b.write('ustar\x0000', 257, 'latin1');
  putNumeric(b, 329, 8, h.devmajor ?? 0);
  putNumeric(b, 337, 8, h.devminor ?? 0);
  if (h.prefix !== undefined) bin(h.prefix).subarray(0, 155).copy(b, 345);
  for (const [off, bytes] of h.patch ?? []) bytes.copy(b, off);
  b.fill(0x20, 148, 156);
  let sum = 0;
  for (const c of b) sum += h.checksum === 'signed' && c > 127 ? c - 256 : c;
  if (h.checksum === 'bad') sum += 1;
  if (sum < 0) throw new RangeError('a negative signed checksum cannot be written in octal');
  b.write(sum.toString(8).padStart(6, '0') + '\0 ', 148, 'latin1');
  return b;
}

const padded = (b: Buffer) => Buffer.concat([b, Buffer.alloc((512 - (b.length % 512)) % 512)]);

/** The header blocks (and padded content) of one entry. */
export function rawEntry(e: RawEntry): Buffer {
  const out: Buffer[] = [];
  const pax = [...(e.pax ?? [])];
  if (e.name.length > 100 && e.longName === undefined && !pax.some(([k]) => k === 'path')) pax.unshift(['path', e.name]);
  if ((e.linkname ?? '').length > 100 && !pax.some(([k]) => k === 'linkpath')) pax.push(['linkpath', e.linkname!]);
  if (e.paxBody) out.push(block({ name: 'PaxHeader' }, 'PaxHeader', 'x', e.paxBody.length), padded(e.paxBody));
  if (pax.length) {
    const body = paxRecords(pax);
    out.push(block({ name: 'PaxHeader' }, 'PaxHeader', 'x', body.length), padded(body));
  }
  if (e.longName !== undefined) {
    const body = Buffer.concat([bin(e.longName), Buffer.alloc(1)]);
    out.push(block({ name: '././@LongLink' }, '././@LongLink', 'L', body.length), padded(body));
  }
  const content = e.content === undefined ? Buffer.alloc(0) : bin(e.content);
  out.push(block(e, e.name, e.type ?? '0', e.size ?? content.length), padded(content));
  return Buffer.concat(out);
}

/** A whole tar of raw entries, ended by two zero blocks unless `end` is false. */
export function rawTar(entries: RawEntry[], opts: { end?: boolean } = {}): Buffer {
  return Buffer.concat([...entries.map(rawEntry), opts.end === false ? Buffer.alloc(0) : Buffer.alloc(1024)]);
}
