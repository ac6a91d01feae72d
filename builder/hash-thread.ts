// SHA-256 on a worker thread, beside the thread that reads, parses and writes the bytes. A cold
// image build hashes every layer (its diff_id) and then the whole image (the digest the manifest
// signs): on the converting thread that time adds to the conversion; on a second core the layers'
// share overlaps it, and the image's read-back overlaps its hashing.
//
// Bytes cross in a fixed ring of SLOTS shared slots of SLOT bytes: a layer's chunk is copied into
// a free slot, a file is read straight into one; the worker hashes a slot and gives it back.
// Memory is the ring's 16 MiB whatever the size of what is hashed, and nothing is allocated per
// chunk (no garbage for the collector).
import fs from 'node:fs';
import { Worker } from 'node:worker_threads';

const SLOT = 1 << 20;
const SLOTS = 16;

// The worker's whole program: one hash per stream id; each slot is handed back once hashed; the
// digest is sent when a stream ends.
const WORKER = `
const { parentPort, workerData } = require('node:worker_threads');
const crypto = require('node:crypto');
const ring = workerData;
const hashes = new Map();
parentPort.on('message', (m) => {
  let h = hashes.get(m.id);
  if (!h) hashes.set(m.id, (h = crypto.createHash('sha256')));
  if (m.len > 0) h.update(new Uint8Array(ring, m.slot * ${SLOT}, m.len));
  if (m.end) {
    hashes.delete(m.id);
    parentPort.postMessage({ slot: m.slot, id: m.id, hex: h.digest('hex') });
  } else {
    parentPort.postMessage({ slot: m.slot });
  }
});
`;

interface Reply {
  /** The slot hashed, now free; -1 when none was used. */
  slot: number;
  id?: number;
  hex?: string;
}

/** One byte stream being hashed on the worker. */
export interface StreamHash {
  /** Takes a copy of chunk; a promise when it had to wait for a free slot. */
  update(chunk: Uint8Array): Promise<void> | undefined;
  digest(): Promise<string>;
}

export class HashThread {
  private readonly ring = new SharedArrayBuffer(SLOT * SLOTS);
  private readonly worker: Worker;
  private readonly free: number[] = [];
  private waiting: ((slot: number) => void)[] = [];
  private readonly digests = new Map<
    number,
    { resolve: (hex: string) => void; reject: (e: Error) => void }
  >();
  private nextId = 0;
  private failed?: Error;

  constructor() {
    for (let i = 0; i < SLOTS; i++) this.free.push(i);
    this.worker = new Worker(WORKER, { eval: true, workerData: this.ring });
    this.worker.on('message', (r: Reply) => {
      if (r.slot >= 0) this.release(r.slot);
      if (r.id !== undefined && r.hex !== undefined) {
        this.digests.get(r.id)?.resolve(r.hex);
        this.digests.delete(r.id);
      }
    });
    this.worker.on('error', (err) => {
      this.failed = err;
      for (const d of this.digests.values()) d.reject(err);
      this.digests.clear();
      const w = this.waiting;
      this.waiting = [];
      for (const wake of w) wake(-1);
    });
  }

  private release(slot: number): void {
    const next = this.waiting.shift();
    if (next) next(slot);
    else this.free.push(slot);
  }

  /** A free slot, at once when there is one. */
  private slot(): number | Promise<number> {
    if (this.failed) throw this.failed;
    const s = this.free.pop();
    if (s !== undefined) return s;
    return new Promise<number>((resolve, reject) =>
      this.waiting.push((got) => (got < 0 ? reject(this.failed!) : resolve(got))),
    );
  }

  private view(slot: number): Uint8Array {
    return new Uint8Array(this.ring, slot * SLOT, SLOT);
  }

  private send(id: number, slot: number, len: number): void {
    this.worker.postMessage({ id, slot, len, end: false });
  }

  private finish(id: number, slot: number, len: number): Promise<string> {
    if (this.failed) return Promise.reject(this.failed);
    return new Promise<string>((resolve, reject) => {
      this.digests.set(id, { resolve, reject });
      this.worker.postMessage({ id, slot, len, end: true });
    });
  }

  stream(): StreamHash {
    const id = this.nextId++;
    let slot = -1;
    let used = 0;
    /** Copies what the slot in hand takes of chunk from `at` on, sends the slot once full; the new `at`. */
    const put = (chunk: Uint8Array, at: number): number => {
      const n = Math.min(chunk.length - at, SLOT - used);
      this.view(slot).set(chunk.subarray(at, at + n), used);
      used += n;
      if (used === SLOT) {
        this.send(id, slot, used);
        slot = -1;
        used = 0;
      }
      return at + n;
    };
    const fill = async (chunk: Uint8Array, at: number): Promise<void> => {
      while (at < chunk.length) {
        if (slot < 0) {
          const s = this.slot();
          slot = typeof s === 'number' ? s : await s;
        }
        at = put(chunk, at);
      }
    };
    return {
      update: (chunk) => {
        // Without a promise while a slot is at hand or free: the common case.
        for (let at = 0; at < chunk.length;) {
          if (slot < 0) {
            if (this.failed || this.free.length === 0) return fill(chunk, at);
            slot = this.free.pop()!;
          }
          at = put(chunk, at);
        }
        return undefined;
      },
      digest: () => this.finish(id, slot, used),
    };
  }

  /** A whole open file from offset 0, read on this thread straight into the ring. */
  async fd(fd: number): Promise<string> {
    const id = this.nextId++;
    for (let pos = 0; ;) {
      const got = this.slot();
      const slot = typeof got === 'number' ? got : await got;
      const n = fs.readSync(fd, this.view(slot), 0, SLOT, pos);
      if (n === 0) return this.finish(id, slot, 0);
      this.send(id, slot, n);
      pos += n;
    }
  }

  close(): Promise<number> {
    return this.worker.terminate();
  }
}
