// The test update server, driven by node's own HTTP client: files served whole and recorded,
// 404/405 and no listing, every way out of the root refused, and each fault (status, altered
// body, a connection cut or stalled after some bytes) as a client sees it; close() always ends
// every connection.
import { strict as assert } from 'node:assert';
import crypto from 'node:crypto';
import fs from 'node:fs';
import http from 'node:http';
import os from 'node:os';
import path from 'node:path';
import { UpdateServer } from './update-server';

interface Got {
  status?: number;
  headers?: http.IncomingHttpHeaders;
  body: Buffer;
  /** The body arrived whole (Content-Length bytes) and the response ended. */
  complete: boolean;
  error?: string;
}

/** One request with node's client, as raw as it allows (the target is sent unnormalised). */
function request(port: number, target: string, method = 'GET', timeoutMs = 5000): Promise<Got> {
  return new Promise((resolve) => {
    const chunks: Buffer[] = [];
    const got: Got = { body: Buffer.alloc(0), complete: false };
    const done = (error?: string) => {
      clearTimeout(timer);
      resolve({ ...got, body: Buffer.concat(chunks), ...(error ? { error } : {}) });
    };
    const req = http.request(
      { host: '127.0.0.1', port, path: target, method, agent: false },
      (res) => {
        got.status = res.statusCode;
        got.headers = res.headers;
        res.on('data', (c: Buffer) => chunks.push(c));
        res.on('end', () => {
          got.complete = res.complete;
          done();
        });
        res.on('error', (e) => done((e as NodeJS.ErrnoException).code ?? e.message));
      },
    );
    req.on('error', (e) => done((e as NodeJS.ErrnoException).code ?? e.message));
    const timer = setTimeout(() => {
      req.destroy();
      done('client timeout');
    }, timeoutMs);
    req.end();
  });
}

/** A GET watched as it arrives: the bytes so far, and whether the connection closed. */
function watch(port: number, target: string) {
  const state = { status: 0, length: -1, bytes: 0, closed: false, error: '' };
  const req = http.get({ host: '127.0.0.1', port, path: target, agent: false }, (res) => {
    state.status = res.statusCode ?? 0;
    state.length = Number(res.headers['content-length']);
    res.on('data', (c: Buffer) => (state.bytes += c.length));
    res.on('error', (e) => (state.error = (e as NodeJS.ErrnoException).code ?? e.message));
    res.on('close', () => (state.closed = true));
  });
  req.on('error', (e) => {
    state.error = (e as NodeJS.ErrnoException).code ?? e.message;
    state.closed = true;
  });
  return { state, req };
}

const sleep = (ms: number) => new Promise((r) => setTimeout(r, ms));

/** Polls cond every 10 ms for at most ms. */
async function until(cond: () => boolean, ms = 5000): Promise<void> {
  for (const end = Date.now() + ms; !cond(); await sleep(10))
    if (Date.now() > end) throw new Error('condition not met in time');
}

describe('support: test update server', function () {
  let tmp: string;
  let root: string;
  let server: UpdateServer;
  const big = crypto.randomBytes(300_000);
  const FILE = '/builds/u/VM/disk.img';
  const SECRET = 'the bytes outside the root';

  before(() => {
    tmp = fs.mkdtempSync(path.join(os.tmpdir(), 'd0-update-server-'));
    root = path.join(tmp, 'site');
    fs.mkdirSync(path.join(root, 'builds', 'u', 'VM'), { recursive: true });
    fs.mkdirSync(path.join(root, 'hosts'));
    fs.writeFileSync(path.join(root, FILE), big);
    fs.writeFileSync(path.join(root, 'hosts', '52-54-00-12-34-56.d0ptr'), 'pointer');
    fs.writeFileSync(path.join(tmp, 'secret'), SECRET);
    fs.symlinkSync(path.join(tmp, 'secret'), path.join(root, 'link-out'));
    fs.symlinkSync(tmp, path.join(root, 'dir-out'));
  });
  beforeEach(async () => {
    server = await UpdateServer.start(root);
  });
  afterEach(() => server.close());
  after(() => fs.rmSync(tmp, { recursive: true, force: true }));

  it('serves a file whole and records the request', async () => {
    const r = await request(server.port, FILE);
    assert.equal(r.status, 200);
    assert.equal(r.headers!['content-length'], String(big.length));
    assert.ok(r.complete && r.body.equals(big));
    await server.waitFor((reqs) => reqs.every((q) => q.done));
    assert.deepEqual(server.requests, [
      {
        method: 'GET',
        target: FILE,
        path: FILE,
        status: 200,
        bytes: big.length,
        cut: false,
        done: true,
      },
    ]);
    assert.equal(server.bytesServed(FILE), big.length);
    assert.equal(server.url(FILE), `http://127.0.0.1:${server.port}${FILE}`);
  });

  it('404 for a missing file and for a directory (no listing); 405 for anything but GET', async () => {
    for (const t of ['/nothing', '/builds/u/VM/other.img', '/', '/builds/', '/builds/u'])
      assert.equal((await request(server.port, t)).status, 404, t);
    for (const m of ['HEAD', 'POST', 'PUT', 'DELETE']) {
      const r = await request(server.port, FILE, m);
      assert.equal(r.status, 405, m);
      assert.equal(r.headers!.allow, 'GET');
    }
    await server.waitFor((reqs) => reqs.length === 9 && reqs.every((q) => q.done));
    assert.equal(server.bytesServed(FILE), 0);
  });

  it('refuses every way out of the root, links included, and never serves what is outside', async () => {
    const refused: [string, number][] = [
      ['/../secret', 403],
      ['/builds/../../secret', 403],
      ['/%2e%2e/secret', 403],
      ['/..%2fsecret', 403],
      ['/builds/u/..%2F..%2F..%2Fsecret', 403],
      ['/link-out', 403],
      ['/dir-out/secret', 403],
      ['/%zz', 400],
      ['/a%00b', 400],
      ['/..\\secret', 400],
      ['secret', 400],
    ];
    for (const [t, status] of refused) {
      const r = await request(server.port, t);
      assert.equal(r.status, status, t);
      assert.ok(!r.body.toString('latin1').includes(SECRET), t);
    }
    // Normalised paths that stay inside are served.
    assert.equal((await request(server.port, '/builds/./u//VM/disk.img')).status, 200);
    assert.equal(
      (await request(server.port, '/hosts/52-54-00-12-34-56%2Ed0ptr')).body.toString(),
      'pointer',
    );
    await server.waitFor((reqs) => reqs.every((q) => q.done));
    // Refused by the server (the target as path), by the root check (the normalised path), or
    // by node's parser (not an absolute path: recorded as malformed).
    assert.deepEqual(
      server.requests.slice(0, refused.length).map((q) => [q.path, q.status, q.malformed]),
      refused.map(([t, s]) => (t === 'secret' ? ['', 400, 'HPE_INVALID_URL'] : [t, s, undefined])),
    );
    assert.equal(server.requestsFor('/builds/u/VM/disk.img').length, 1);
  });

  it('{ status } answers that status with a short body, for the next `times` requests only', async () => {
    server.setFault(FILE, { status: 503, times: 2 });
    for (let i = 0; i < 2; i++) {
      const r = await request(server.port, FILE);
      assert.equal(r.status, 503);
      assert.equal(r.body.toString(), '503 Service Unavailable\n');
    }
    assert.equal((await request(server.port, FILE)).status, 200);
    // Also for a file that does not exist, and until cleared without `times`.
    server.setFault('/nothing', { status: 500 });
    assert.equal((await request(server.port, '/nothing')).status, 500);
    assert.equal((await request(server.port, '/nothing')).status, 500);
    server.clearFault('nothing');
    assert.equal((await request(server.port, '/nothing')).status, 404);
    await server.waitFor((reqs) => reqs.every((q) => q.done));
    assert.deepEqual(
      server.requestsFor(FILE).map((q) => [q.status, q.fault]),
      [
        [503, { status: 503, times: 2 }],
        [503, { status: 503, times: 1 }],
        [200, undefined],
      ],
    );
  });

  it('{ body } serves other bytes with their own Content-Length (truncated, altered)', async () => {
    const truncated = big.subarray(0, 1000);
    server.setFault(FILE, { body: truncated });
    const r = await request(server.port, FILE);
    assert.equal(r.status, 200);
    assert.equal(r.headers!['content-length'], '1000');
    assert.ok(r.complete && r.body.equals(truncated));
    const altered = Buffer.from(big);
    altered[5] ^= 1;
    server.setFault(FILE, { body: altered });
    assert.ok((await request(server.port, FILE)).body.equals(altered));
    server.clearFaults();
    assert.ok((await request(server.port, FILE)).body.equals(big));
    await server.waitFor((reqs) => reqs.every((q) => q.done));
    assert.deepEqual(
      server.requests.map((q) => [q.bytes, q.cut]),
      [
        [1000, false],
        [big.length, false],
        [big.length, false],
      ],
    );
  });

  for (const at of [0, 1, 70_000]) {
    it(`{ closeAfter: ${at} } sends the whole Content-Length, ${at} bytes, then cuts the connection`, async () => {
      server.setFault(FILE, { closeAfter: at });
      const r = await request(server.port, FILE);
      assert.equal(r.status, 200);
      assert.equal(r.headers!['content-length'], String(big.length));
      assert.equal(r.complete, false);
      assert.ok(r.error, 'the client saw no error');
      assert.ok(r.body.equals(big.subarray(0, at)), `got ${r.body.length} bytes`);
      await server.waitFor((reqs) => reqs[0].done);
      assert.deepEqual([server.requests[0].bytes, server.requests[0].cut], [at, true]);
    });
  }

  it('{ closeAfter } at or past the size: nothing to cut, the file is served whole', async () => {
    server.setFault(FILE, { closeAfter: big.length });
    const r = await request(server.port, FILE);
    assert.ok(r.complete && r.body.equals(big));
  });

  it('{ stallAfter } sends some bytes, then nothing while the connection stays open, until close()', async () => {
    server.setFault(FILE, { stallAfter: 5000 });
    const { state } = watch(server.port, FILE);
    await until(() => state.bytes === 5000);
    assert.equal(state.length, big.length);
    await sleep(300);
    assert.deepEqual([state.bytes, state.closed], [5000, false]);
    assert.deepEqual([server.requests[0].bytes, server.requests[0].done], [5000, false]);
    // Other paths are still served meanwhile.
    assert.equal((await request(server.port, '/hosts/52-54-00-12-34-56.d0ptr')).status, 200);
    const t0 = Date.now();
    await server.close();
    assert.ok(Date.now() - t0 < 2000, 'close() waited for the stalled connection');
    await until(() => state.closed);
    assert.equal(state.bytes, 5000);
    assert.deepEqual([server.requests[0].cut, server.requests[0].done], [true, true]);
  });

  it('{ stallAfter } is bounded: after holdMs the stalled connection is destroyed', async () => {
    const bounded = await UpdateServer.start(root, { holdMs: 200 });
    try {
      bounded.setFault(FILE, { stallAfter: 10 });
      const { state } = watch(bounded.port, FILE);
      await until(() => state.closed, 3000);
      assert.equal(state.bytes, 10);
      await bounded.waitFor((reqs) => reqs[0].done);
      assert.equal(bounded.requests[0].cut, true);
    } finally {
      await bounded.close();
    }
  });

  it('a fault set while a download runs applies to the next request; idle keep-alive connections end with close()', async () => {
    const agent = new http.Agent({ keepAlive: true, maxSockets: 1 });
    const get = (t: string) =>
      new Promise<number>((resolve, reject) => {
        http
          .get({ host: '127.0.0.1', port: server.port, path: t, agent }, (res) => {
            let n = 0;
            res.on('data', (c: Buffer) => {
              if (n === 0) server.setFault(FILE, { closeAfter: 3 });
              n += c.length;
            });
            res.on('end', () => resolve(n));
            res.on('error', reject);
          })
          .on('error', reject);
      });
    assert.equal(await get(FILE), big.length);
    await assert.rejects(get(FILE));
    assert.equal(server.bytesServed(FILE), big.length + 3);
    // One more request leaves a keep-alive connection idle in the agent; close() ends it.
    server.clearFaults();
    assert.equal(await get('/hosts/52-54-00-12-34-56.d0ptr'), 7);
    const t0 = Date.now();
    await server.close();
    assert.ok(Date.now() - t0 < 2000);
    agent.destroy();
    const after = await request(server.port, FILE, 'GET', 2000);
    assert.equal(after.error, 'ECONNREFUSED');
  });

  it('refuses a malformed fault and a fault path outside the root', () => {
    assert.throws(() => server.setFault(FILE, { status: 99 }), /not a fault/);
    assert.throws(() => server.setFault(FILE, { stallAfter: -1 }), /not a fault/);
    assert.throws(() => server.setFault(FILE, { closeAfter: 1, times: 0 }), /not a fault/);
    assert.throws(() => server.setFault('/../x', { status: 500 }), /not a path under the root/);
  });
});
