// The members of a tar file (docker save output, an OCI layout packed as a tar), found by reading
// headers and seeking past contents: a 300 MB archive is indexed in a few reads, so the config
// (the cache key) is known before any layer is opened and layers can be read in the config's
// order wherever the writer put them.
import fs from 'node:fs';
import { applyPax, isZeroBlock, parseHeader, parsePax, TarFormatError } from '../../core/image/tar-header';
import { MAX_META_BYTES } from './tar-reader';

export interface TarMember {
  offset: number; // of the content
  size: number;
}

export interface TarIndex {
  files: Map<string, TarMember>;
  /** Symlinked members (docker save reuses a layer.tar this way), resolved relative to the link. */
  links: Map<string, string>;
}

const MAX_MEMBERS = 100_000;
const clean = (name: string) => name.replace(/^(\.\/)+/, '');

function readAt(fd: number, offset: number, size: number): Buffer {
  const b = Buffer.alloc(size);
  let got = 0;
  while (got < size) {
    const n = fs.readSync(fd, b, got, size - got, offset + got);
    if (n === 0) break;
    got += n;
  }
  return got === size ? b : b.subarray(0, got);
}

export function indexTar(file: string): TarIndex {
  const fd = fs.openSync(file, 'r');
  try {
    const total = fs.fstatSync(fd).size;
    if (total < 512) throw new TarFormatError(`${total} bytes, shorter than one tar header`);
    const index: TarIndex = { files: new Map(), links: new Map() };
    let pos = 0;
    let pax = new Map<string, string>();
    let longName: string | undefined;
    const meta = (size: number) => {
      if (size > MAX_META_BYTES) throw new TarFormatError(`a metadata record of ${size} bytes`);
      return readAt(fd, pos + 512, size);
    };
    for (let count = 0; pos + 512 <= total; count++) {
      if (count > MAX_MEMBERS) throw new TarFormatError(`more than ${MAX_MEMBERS} members`);
      const block = readAt(fd, pos, 512);
      if (isZeroBlock(block)) break;
      const h = parseHeader(block);
      if (pos + 512 + h.size > total) throw new TarFormatError(`member "${h.name.slice(0, 100)}" runs past the end of the file`);
      if (h.type === 'pax') for (const [k, v] of parsePax(meta(h.size))) pax.set(k, v);
      else if (h.type === 'gnu-longname') longName = meta(h.size).toString('latin1').replace(/\0+$/, '');
      else if (h.type !== 'pax-global' && h.type !== 'gnu-longlink') {
        applyPax(h, pax);
        if (longName) h.name = longName; // over a pax path, as tar-reader.ts (and Go) take it
        const name = clean(h.name);
        if (h.type === 'file') index.files.set(name, { offset: pos + 512, size: h.size });
        else if (h.type === 'symlink') index.links.set(name, joinRelative(name, h.linkname));
        pax = new Map();
        longName = undefined;
      }
      // After the pax records are applied: their size overrides the header's (Go's archive/tar
      // writes 0 there for members of 8 GiB and more, as docker save does for such layers).
      const next = pos + 512 + Math.ceil(h.size / 512) * 512;
      if (next > total) throw new TarFormatError(`member "${h.name.slice(0, 100)}" runs past the end of the file`);
      pos = next;
    }
    // Bytes left that cannot hold a header: the file was cut inside one.
    if (pos < total && pos + 512 > total) throw new TarFormatError(`ends inside a header at byte ${pos}`);
    return index;
  } finally {
    fs.closeSync(fd);
  }
}

function joinRelative(from: string, target: string): string {
  const parts = from.split('/').slice(0, -1);
  for (const p of target.split('/')) {
    if (p === '..') parts.pop();
    else if (p !== '.' && p !== '') parts.push(p);
  }
  return parts.join('/');
}

/** A member by name, following member symlinks (bounded). */
export function member(index: TarIndex, name: string): TarMember | undefined {
  let n = clean(name);
  for (let i = 0; i < 8 && index.links.has(n); i++) n = index.links.get(n)!;
  return index.files.get(n);
}

export { readAt };
