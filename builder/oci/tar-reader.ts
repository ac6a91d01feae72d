// Streaming tar reader: headers (pax and GNU long names folded in) are handed to `onEntry`, which
// returns a sink for the entry's content or nothing to skip it; content is passed through in the
// chunks it arrives in, never gathered. Metadata records are bounded (MAX_META_BYTES). After the
// end-of-archive blocks the rest of the stream is drained, so a digest taken upstream covers
// every byte.
import { applyPax, isZeroBlock, parseHeader, parsePax, TarFormatError, type RawHeader } from './tar-header';

export const MAX_META_BYTES = 1 << 20;

export interface TarEntry {
  header: RawHeader;
  pax: Map<string, string>;
}

export type ContentSink = (chunk: Buffer) => void;

class Bytes {
  private buf: Buffer = Buffer.alloc(0);
  private off = 0;
  constructor(private readonly it: AsyncIterator<Buffer>) {}

  private get available() {
    return this.buf.length - this.off;
  }

  private async more(): Promise<boolean> {
    const next = await this.it.next();
    if (next.done) return false;
    const chunk = next.value as Buffer;
    this.buf = this.available ? Buffer.concat([this.buf.subarray(this.off), chunk]) : chunk;
    this.off = 0;
    return true;
  }

  /** Exactly n bytes, or null at a clean end of stream (no byte of them read). */
  async take(n: number): Promise<Buffer | null> {
    while (this.available < n) {
      if (!(await this.more())) {
        if (this.available === 0) return null;
        throw new TarFormatError('the archive ends inside a header');
      }
    }
    const out = this.buf.subarray(this.off, this.off + n);
    this.off += n;
    return out;
  }

  /** Passes n bytes to sink in the chunks they come in. */
  async pass(n: number, sink: ContentSink | undefined): Promise<void> {
    let left = n;
    while (left > 0) {
      if (this.available === 0 && !(await this.more())) throw new TarFormatError(`the archive ends ${left} bytes before the end of an entry`);
      const k = Math.min(left, this.available);
      sink?.(this.buf.subarray(this.off, this.off + k));
      this.off += k;
      left -= k;
    }
  }

  async drain(): Promise<void> {
    this.off = this.buf.length;
    while (await this.more()) this.off = this.buf.length;
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
    if (longName !== undefined) h.name = longName;
    if (longLink !== undefined) h.linkname = longLink;
    applyPax(h, pax);
    const sink = onEntry({ header: h, pax });
    // Only regular files carry content; a size on any other type is skipped as tar does.
    await bytes.pass(h.size, h.type === 'file' ? sink : undefined);
    await bytes.pass(padding(h.size), undefined);
    pax = new Map();
    longName = longLink = undefined;
  }
}
