// The image build's SHA-256 on a worker thread (builder/hash-thread.ts): the same digests as
// node:crypto on this thread, whatever the chunking, with streams interleaved, past the ring's
// size without waiting, and for whole files of every size around a slot's.
import assert from 'node:assert/strict';
import crypto from 'node:crypto';
import fs from 'node:fs';
import os from 'node:os';
import path from 'node:path';
import { HashThread } from '../../builder/hash-thread';

const MiB = 1 << 20;
const sha = (b: Uint8Array) => crypto.createHash('sha256').update(b).digest('hex');

/** Deterministic bytes (a counter under AES would do; this is enough to tell offsets apart). */
function bytes(n: number, seed: number): Buffer {
  const b = Buffer.allocUnsafe(n);
  let x = seed >>> 0 || 1;
  for (let i = 0; i < n; i++) {
    x ^= x << 13;
    x ^= x >>> 17;
    x ^= x << 5;
    b[i] = x & 0xff;
  }
  return b;
}

describe('oci: SHA-256 on the hash thread', function () {
  this.timeout(60_000);
  let thread: HashThread;
  let tmp: string;
  beforeEach(() => {
    thread = new HashThread();
  });
  afterEach(async () => {
    await thread.close();
  });
  before(() => {
    tmp = fs.mkdtempSync(path.join(os.tmpdir(), 'd0-hash-thread-'));
  });
  after(() => fs.rmSync(tmp, { recursive: true, force: true }));

  it('digests streams of any chunking like node:crypto, interleaved', async () => {
    const data = bytes(5 * MiB + 3, 7);
    const cuts = [1, 511, 512, MiB - 1, MiB, MiB + 1, 3 * MiB];
    const streams = cuts.map(() => thread.stream());
    // Feed every stream in turn, each in chunks of its own size.
    const at = cuts.map(() => 0);
    for (let busy = true; busy;) {
      busy = false;
      for (const [i, cut] of cuts.entries()) {
        if (at[i] >= data.length) continue;
        busy = true;
        const end = Math.min(data.length, at[i] + cut);
        await streams[i].update(data.subarray(at[i], end));
        at[i] = end;
      }
    }
    const want = sha(data);
    for (const [i, s] of streams.entries())
      assert.equal(await s.digest(), want, `chunks of ${cuts[i]}`);
  });

  it('takes more than the ring holds, waiting only when it must', async () => {
    const data = bytes(40 * MiB, 11);
    const s = thread.stream();
    const waits: Promise<void>[] = [];
    for (let at = 0; at < data.length; at += MiB) {
      const w = s.update(data.subarray(at, at + MiB));
      if (w) {
        waits.push(w);
        await w;
      }
    }
    // 40 MiB through a 16 MiB ring: some updates had to wait for the worker.
    assert.ok(waits.length > 0);
    assert.equal(await s.digest(), sha(data));
  });

  it('digests an empty stream', async () => {
    assert.equal(await thread.stream().digest(), sha(Buffer.alloc(0)));
  });

  it('digests whole files of every size around a slot', async () => {
    for (const size of [0, 1, MiB - 1, MiB, MiB + 1, 3 * MiB + 5, 20 * MiB]) {
      const file = path.join(tmp, `f-${size}`);
      const data = bytes(size, size + 1);
      fs.writeFileSync(file, data);
      const fd = fs.openSync(file, 'r');
      try {
        assert.equal(await thread.fd(fd), sha(data), `${size} bytes`);
      } finally {
        fs.closeSync(fd);
      }
    }
  });

  it('takes a copy: the caller may change its buffer once update returns', async () => {
    const data = bytes(2 * MiB + 9, 3);
    const before = sha(data);
    const a = thread.stream();
    await a.update(data);
    data[MiB + 17] ^= 1;
    const b = thread.stream();
    await b.update(data);
    assert.equal(await a.digest(), before);
    assert.equal(await b.digest(), sha(data));
    assert.notEqual(before, sha(data));
  });
});
