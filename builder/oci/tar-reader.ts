// Streaming tar reader: headers (pax and GNU long names folded in) are handed to `onEntry`, which
// returns a sink for the entry's content or nothing to skip it; content is passed through in the
// chunks it arrives in, never gathered. Metadata records are bounded (MAX_META_BYTES). After the
// end-of-archive blocks the rest of the stream is drained, so a digest taken upstream covers
// every byte.
import { applyPax, isZeroBlock, parseHeader, parsePax, TarFormatError, type RawHeader } from '../../core/image/tar-header';

export const MAX_META_BYTES = 1 << 20;

export interface TarEntry {
  header: RawHeader;
  pax: Map<string, string>;
}

export type ContentSink = (chunk: Buffer) => void;

/**
 * Reads from a stream of chunks without joining them: content passes through as subarrays of
 * the chunks that came in, and only a header that straddles two chunks is copied (512 bytes).
 * Joining leftovers to each new chunk would allocate a megabyte per chunk and let the garbage
 * outrun the collector (peak RSS grew with the image).
 */
class Bytes {
  private cur: Buffer = Buffer.alloc(0);
  private off = 0;
  constructor(private readonly it: AsyncIterator<Buffer>) {}

  private async more(): Promise<boolean> {
    const next = await this.it.next();
    if (next.done) return false;
    this.cur = next.value as Buffer;
    this.off = 0;
    return true;
  }

  /** Exactly n bytes, or null at a clean end of stream (no byte of them read). */
  async take(n: number): Promise<Buffer | null> {
    if (this.cur.length - this.off >= n) {
      const out = this.cur.subarray(this.off, this.off + n);
      this.off += n;
      return out;
    }
    const out = Buffer.alloc(n);
    let got = 0;
    while (got < n) {
      if (this.off === this.cur.length && !(await this.more())) {
        if (got === 0) return null;
        throw new TarFormatError('the archive ends inside a header');
      }
      const k = Math.min(n - got, this.cur.length - this.off);
      this.cur.copy(out, got, this.off, this.off + k);
      this.off += k;
      got += k;
    }
    return out;
  }

  /** Passes n bytes to sink in the chunks they come in. */
  async pass(n: number, sink: ContentSink | undefined): Promise<void> {
    let left = n;
    while (left > 0) {
      if (this.off === this.cur.length && !(await this.more())) throw new TarFormatError(`the archive ends ${left} bytes before the end of an entry`);
      const k = Math.min(left, this.cur.length - this.off);
      sink?.(this.cur.subarray(this.off, this.off + k));
      this.off += k;
      left -= k;
    }
  }

  async drain(): Promise<void> {
    this.off = this.cur.length;
    while (await this.more()) this.off = this.cur.length;
  }
}

const padding = (size: number) => (512 - (size % 512)) % 512;

export async function readTar(source: AsyncIterable<Buffer>, onEntry: (e: TarEntry) => ContentSink | undefined): Promise<void> {
  const bytes = new Bytes(source[Symbol.asyncIterator]());
  let pax = new Map<string, string>();
  let longName: string | undefined;
  let longLink: string | undefined;
  const meta = async (h: RawHeader): Promise<Buffer> => {
    if (h.size > MAX_META_BYTES) throw new TarFormatError(`a ${h.flag} metadata record of ${h.size} bytes (limit ${MAX_META_BYTES})`);
    const b = h.size ? await bytes.take(h.size) : Buffer.alloc(0);
    if (b === null) throw new TarFormatError('the archive ends inside a metadata record');
    await bytes.pass(padding(h.size), undefined);
    return Buffer.from(b);
  };
  for (;;) {
    const block = await bytes.take(512);
    if (block === null) break;
    if (isZeroBlock(block)) {
      await bytes.drain();
      break;
    }
    const h = parseHeader(block);
    switch (h.type) {
      case 'pax':
        for (const [k, v] of parsePax(await meta(h))) pax.set(k, v);
        continue;
      case 'pax-global':
        await meta(h); // global records: Docker writes none; their defaults are not honoured
        continue;
      case 'gnu-longname':
        longName = (await meta(h)).toString('latin1').replace(/\0+$/, '');
        continue;
      case 'gnu-longlink':
        longLink = (await meta(h)).toString('latin1').replace(/\0+$/, '');
        continue;
    }
    applyPax(h, pax);
    // As Go's archive/tar (Docker's reader) does: a GNU long name or link that is not empty wins
    // over a pax path or linkpath, and an old-style ('\0') regular file named "x/" is a directory.
    if (longName) h.name = longName;
    if (longLink) h.linkname = longLink;
    if (h.flag === '\0' && h.name.endsWith('/')) h.type = 'dir';
    const sink = onEntry({ header: h, pax });
    // Only regular files carry content; a size on any other type is skipped as tar does.
    await bytes.pass(h.size, h.type === 'file' ? sink : undefined);
    await bytes.pass(padding(h.size), undefined);
    pax = new Map();
    longName = longLink = undefined;
  }
}
