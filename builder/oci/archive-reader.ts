// One pass over a tar of an image (docker save output, or an OCI layout packed as a tar). Members
// arrive in whatever order the writer chose and the index/manifest may come last, so every layer
// is read as it passes (readLayer) and small JSON members are kept; the caller resolves the
// image from them afterwards. Every member's sha256 is computed on the way.
import crypto from 'node:crypto';
import { Readable } from 'node:stream';
import { pipeline } from 'node:stream/promises';
import tar from 'tar-stream';
import { fail, ImageError } from './errors';
import type { LayerRecord } from './layer-entry';
import { readLayer, type LayerReadOptions } from './layer-reader';
import { ScratchFull } from './limits';

export interface ArchiveMembers {
  json: Map<string, { bytes: Buffer; sha256: string }>;
  layers: Map<string, LayerRecord>; // by member name
  links: Map<string, string>; // symlinked members (docker save reuses layer.tar this way)
}

const isTarHeader = (b: Buffer) =>
  b.length >= 512 && (b.subarray(257, 262).toString('latin1') === 'ustar' || b.subarray(0, 512).every((x) => x === 0));
const looksLikeLayer = (b: Buffer) => (b[0] === 0x1f && b[1] === 0x8b) || b.readUInt32BE(0) === 0x28b52ffd || isTarHeader(b);

export async function readImageArchive(
  stream: Readable,
  archive: string,
  opts: Omit<LayerReadOptions, 'label'> & { maxJsonBytes: number },
): Promise<ArchiveMembers> {
  const members: ArchiveMembers = { json: new Map(), layers: new Map(), links: new Map() };
  const extract = tar.extract();
  const feeding = pipeline(stream, extract);
  feeding.catch(() => {});
  try {
    for await (const item of extract) {
      const entry = item as unknown as Readable & { header: tar.Header };
      const h = entry.header;
      const name = h.name.replace(/^\.\//, '');
      if (h.type === 'symlink' && h.linkname) {
        members.links.set(name, joinRelative(name, h.linkname));
      } else if (h.type === 'file' || h.type === 'contiguous-file') {
        const label = `${archive}: ${name}`;
        const size = h.size ?? 0;
        if (size <= opts.maxJsonBytes) {
          const bytes = await collect(entry);
          const sha256 = crypto.createHash('sha256').update(bytes).digest('hex');
          if (bytes.length >= 4 && looksLikeLayer(bytes))
            members.layers.set(name, await readLayer(Readable.from([bytes]), { ...opts, label }));
          else members.json.set(name, { bytes, sha256 });
        } else {
          members.layers.set(name, await readLayer(entry, { ...opts, label }));
        }
      }
      entry.resume();
    }
    await feeding;
  } catch (err) {
    stream.destroy();
    extract.destroy();
    await feeding.catch(() => {});
    if (err instanceof ImageError || err instanceof ScratchFull) throw err;
    fail('FORMAT_INVALID', `${archive}: not a readable image archive: ${(err as Error).message}`);
  }
  return members;
}

async function collect(s: AsyncIterable<Buffer>): Promise<Buffer> {
  const chunks: Buffer[] = [];
  for await (const c of s) chunks.push(c);
  return Buffer.concat(chunks);
}

function joinRelative(from: string, target: string): string {
  const parts = from.split('/').slice(0, -1);
  for (const p of target.split('/')) {
    if (p === '..') parts.pop();
    else if (p !== '.' && p !== '') parts.push(p);
  }
  return parts.join('/');
}

export function memberLayer(m: ArchiveMembers, name: string, archive: string): LayerRecord {
  let n = name.replace(/^\.\//, '');
  for (let i = 0; i < 8 && m.links.has(n); i++) n = m.links.get(n)!;
  const layer = m.layers.get(n);
  if (!layer) fail('FORMAT_INVALID', `${archive}: layer ${name} is listed but not in the archive`);
  return layer;
}

export function memberJson(m: ArchiveMembers, name: string, archive: string): { value: unknown; sha256: string } {
  const member = m.json.get(name.replace(/^\.\//, ''));
  if (!member) fail('FORMAT_INVALID', `${archive}: ${name} is missing`);
  try {
    return { value: JSON.parse(member.bytes.toString('utf8')), sha256: member.sha256 };
  } catch (err) {
    return fail('FORMAT_INVALID', `${archive}: ${name} is not valid JSON: ${(err as Error).message}`);
  }
}
