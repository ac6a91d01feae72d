// A site's update server for tests (docs/update-server.md): a node:http server on 127.0.0.1 (an
// ephemeral port) serving a publication directory read-only, recording every request, with
// faults a test sets per path at any time to play a hostile or failing server:
//   { status: N }        answer N with a short text body (file or not);
//   { stallAfter: B }    Content-Length of the whole file, B bytes of it, then nothing more while
//                        the connection stays open (until close(), or holdMs, then destroyed);
//   { closeAfter: B }    Content-Length of the whole file, B bytes of it, then the socket is
//                        destroyed (the server vanishes mid-download);
//   { body: bytes }      these bytes instead of the file, with their own Content-Length (a
//                        truncated or altered file served as if it were whole).
// A fault applies to every request of its path, or to the next `times` ones. stallAfter and
// closeAfter need the file (without it: 404); with B >= its size there is nothing to cut and the
// file is served whole.
//
// What it serves: GET only (405 otherwise, Allow: GET); a regular file under the root, else 404
// (a directory too: no listing); a target with a ".." segment, or one that resolves (symlinks
// included) outside the root, 403; a target that is not an absolute path or not valid
// percent-encoding, 400.
//
// Bounded: no node:http request or header timeout applies (an emulated host's firmware may open
// its connection long before it sends a request, and be slow to send it), but a connection idle
// for holdMs is destroyed, and so is a stalled one after holdMs; close() destroys every
// connection at once, so a test's `after` can always clean up.
import fs from 'node:fs';
import http from 'node:http';
import type net from 'node:net';
import path from 'node:path';
import { pipeline, type Duplex } from 'node:stream';

export type Fault = (
  | { readonly status: number }
  | { readonly stallAfter: number }
  | { readonly closeAfter: number }
  | { readonly body: Buffer }
) & {
  /** Apply to the next `times` requests of the path only (default: every request until cleared). */
  readonly times?: number;
};

export interface ServedRequest {
  readonly method: string;
  /** The request target as received. */
  readonly target: string;
  /** The target's path, decoded and normalised ('/hosts/<host>.d0ptr'); the target when refused. */
  readonly path: string;
  /** The status sent (0 until the response starts). */
  status: number;
  /** Body bytes handed to the connection. */
  bytes: number;
  /** The response ended without its whole body: a fault cut it, close() ran, or the client left. */
  cut: boolean;
  /** The response is over, whole or cut. */
  done: boolean;
  /** The fault that shaped the response. */
  readonly fault?: Fault;
  /** A request node's parser refused (answered 400, connection closed): its error code. */
  readonly malformed?: string;
}

export interface UpdateServerOptions {
  /** How long an idle or stalled connection is kept before it is destroyed, ms (default 300 s). */
  readonly holdMs?: number;
}

/** The path a target names, normalised, or the status refusing it (400 malformed, 403 '..'). */
function targetPath(target: string): { path?: string; status?: number } {
  const raw = target.split(/[?#]/, 1)[0];
  if (!raw.startsWith('/')) return { status: 400 };
  let decoded: string;
  try {
    decoded = decodeURIComponent(raw);
  } catch {
    return { status: 400 };
  }
  if (decoded.includes('\0') || decoded.includes('\\')) return { status: 400 };
  if (decoded.split('/').includes('..')) return { status: 403 };
  return { path: path.posix.normalize(decoded) };
}

function checkFault(f: Fault): void {
  const count = (n: unknown) => Number.isSafeInteger(n) && (n as number) >= 0;
  const ok =
    'status' in f
      ? Number.isInteger(f.status) && f.status >= 200 && f.status <= 599
      : 'stallAfter' in f
        ? count(f.stallAfter)
        : 'closeAfter' in f
          ? count(f.closeAfter)
          : Buffer.isBuffer(f.body);
  if (!ok || (f.times !== undefined && !(count(f.times) && f.times > 0)))
    throw new Error(`update server: not a fault: ${JSON.stringify(f)}`);
}

export class UpdateServer {
  readonly requests: ServedRequest[] = [];
  private readonly faults = new Map<string, Fault>();
  private readonly sockets = new Set<net.Socket>();
  private readonly timers = new Set<NodeJS.Timeout>();
  private readonly waiters = new Set<() => void>();
  private closed = false;

  private constructor(
    readonly root: string,
    private readonly realRoot: string,
    private readonly server: http.Server,
    readonly port: number,
    private readonly holdMs: number,
  ) {}

  /** Serves `root` (a directory) on 127.0.0.1 at an ephemeral port. */
  static async start(root: string, opts: UpdateServerOptions = {}): Promise<UpdateServer> {
    const realRoot = fs.realpathSync(root);
    if (!fs.statSync(realRoot).isDirectory())
      throw new Error(`update server: ${root} is not a directory`);
    const holdMs = opts.holdMs ?? 300_000;
    // 0 disables node's request and header timeouts; holdMs bounds idle connections instead.
    const server = http.createServer({ requestTimeout: 0, headersTimeout: 0 });
    server.keepAliveTimeout = holdMs;
    server.timeout = holdMs;
    await new Promise<void>((resolve, reject) => {
      server.once('error', reject);
      server.listen(0, '127.0.0.1', () => resolve());
    });
    const s = new UpdateServer(
      root,
      realRoot,
      server,
      (server.address() as net.AddressInfo).port,
      holdMs,
    );
    server.on('connection', (sock) => {
      s.sockets.add(sock);
      sock.on('close', () => s.sockets.delete(sock));
      if (s.closed) sock.destroy();
    });
    server.on('request', (req, res) => s.serve(req, res));
    server.on('clientError', (err: NodeJS.ErrnoException, sock) => s.malformed(err, sock));
    return s;
  }

  /** `http://127.0.0.1:<port><p>` */
  url(p = '/'): string {
    return `http://127.0.0.1:${this.port}${p.startsWith('/') ? p : `/${p}`}`;
  }

  /** Sets the fault of a path, replacing its previous one: '/builds/<uuid>/VM/vmlinuz-<uuid>'. */
  setFault(p: string, fault: Fault): void {
    checkFault(fault);
    this.faults.set(this.key(p), fault);
  }

  clearFault(p: string): void {
    this.faults.delete(this.key(p));
  }

  clearFaults(): void {
    this.faults.clear();
  }

  /** The requests of a path, in arrival order. */
  requestsFor(p: string): ServedRequest[] {
    const k = this.key(p);
    return this.requests.filter((r) => r.path === k);
  }

  /** Body bytes sent for a path, over all its requests. */
  bytesServed(p: string): number {
    return this.requestsFor(p).reduce((n, r) => n + r.bytes, 0);
  }

  /** Resolves once pred(requests) holds (checked now and at each change); rejects after timeoutMs. */
  waitFor(
    pred: (requests: readonly ServedRequest[]) => boolean,
    timeoutMs = 10_000,
  ): Promise<void> {
    return new Promise((resolve, reject) => {
      const check = () => {
        if (!pred(this.requests)) return;
        this.waiters.delete(check);
        clearTimeout(timer);
        resolve();
      };
      const timer = setTimeout(() => {
        this.waiters.delete(check);
        const seen = this.requests.map(
          (r) =>
            `${r.method || '?'} ${r.path || r.malformed} ${r.status} bytes=${r.bytes}${r.cut ? ' cut' : ''}${r.done ? '' : ' open'}`,
        );
        reject(
          new Error(
            `update server: condition not met within ${timeoutMs} ms; requests: ${seen.join(', ') || 'none'}`,
          ),
        );
      }, timeoutMs);
      this.waiters.add(check);
      check();
    });
  }

  /** Destroys every connection (stalled ones included) and stops listening. Idempotent. */
  async close(): Promise<void> {
    this.closed = true;
    for (const t of this.timers) clearTimeout(t);
    this.timers.clear();
    for (const s of this.sockets) s.destroy();
    if (!this.server.listening) return;
    await new Promise<void>((resolve) => this.server.close(() => resolve()));
  }

  private key(p: string): string {
    const t = targetPath(p.startsWith('/') ? p : `/${p}`);
    if (!t.path)
      throw new Error(`update server: ${JSON.stringify(p)} is not a path under the root`);
    return t.path;
  }

  private changed(): void {
    for (const w of [...this.waiters]) w();
  }

  /** The fault for a path, counting down a `times` fault. */
  private takeFault(p: string): Fault | undefined {
    const f = this.faults.get(p);
    if (f?.times !== undefined) {
      if (f.times <= 1) this.faults.delete(p);
      else this.faults.set(p, { ...f, times: f.times - 1 });
    }
    return f;
  }

  /** A request node's parser refused never reaches serve(): recorded, and answered as node would. */
  private malformed(err: NodeJS.ErrnoException, sock: Duplex): void {
    if (err.code === 'ECONNRESET' || !sock.writable) return void sock.destroy();
    const code = err.code ?? 'ERROR';
    this.requests.push({
      method: '',
      target: '',
      path: '',
      status: 400,
      bytes: 0,
      cut: false,
      done: true,
      malformed: code,
    });
    sock.end('HTTP/1.1 400 Bad Request\r\nConnection: close\r\nContent-Length: 0\r\n\r\n');
    this.changed();
  }

  private serve(req: http.IncomingMessage, res: http.ServerResponse): void {
    const target = req.url ?? '';
    const t = targetPath(target);
    const fault = t.path !== undefined && req.method === 'GET' ? this.takeFault(t.path) : undefined;
    const rec: ServedRequest = {
      method: req.method ?? '',
      target,
      path: t.path ?? target,
      status: 0,
      bytes: 0,
      cut: false,
      done: false,
      ...(fault ? { fault } : {}),
    };
    this.requests.push(rec);
    let length: number | undefined; // the Content-Length sent
    // A write after the client left or close() ran fails on the response: the record says so.
    res.on('error', () => {});
    res.on('finish', () => {
      rec.done = true;
      this.changed();
    });
    res.on('close', () => {
      // A client that read the whole body may close before this side has ended the response
      // (the file stream's end still on its way): what counts is whether every byte of the
      // Content-Length was handed to the socket.
      const handedOver = rec.bytes === length && res.writableLength === 0;
      if (!res.writableFinished && !handedOver) rec.cut = true;
      rec.done = true;
      this.changed();
    });
    const head = (status: number, headers: http.OutgoingHttpHeaders) => {
      length = Number(headers['Content-Length']);
      rec.status = status;
      res.writeHead(status, headers);
      this.changed();
    };
    const short = (status: number, extra: http.OutgoingHttpHeaders = {}) => {
      const body = `${status} ${http.STATUS_CODES[status] ?? ''}\n`;
      head(status, {
        'Content-Type': 'text/plain',
        'Content-Length': Buffer.byteLength(body),
        ...extra,
      });
      res.end(body);
    };
    if (req.method !== 'GET') return short(405, { Allow: 'GET' });
    if (t.path === undefined) return short(t.status!);
    if (fault && 'status' in fault) return short(fault.status);
    if (fault && 'body' in fault) {
      head(200, {
        'Content-Type': 'application/octet-stream',
        'Content-Length': fault.body.length,
      });
      rec.bytes = fault.body.length;
      res.end(fault.body);
      return;
    }
    this.serveFile(t.path, rec, res, head, short, fault).catch(() => {
      if (!res.headersSent) short(500);
      else res.destroy();
    });
  }

  private async serveFile(
    p: string,
    rec: ServedRequest,
    res: http.ServerResponse,
    head: (status: number, headers: http.OutgoingHttpHeaders) => void,
    short: (status: number) => void,
    fault: Fault | undefined,
  ): Promise<void> {
    const file = await this.resolve(p);
    if (typeof file === 'number') return short(file);
    const size = (await fs.promises.stat(file)).size;
    const cutAt =
      fault && 'stallAfter' in fault
        ? fault.stallAfter
        : fault && 'closeAfter' in fault
          ? fault.closeAfter
          : undefined;
    head(200, { 'Content-Type': 'application/octet-stream', 'Content-Length': size });
    if (cutAt === undefined || cutAt >= size) {
      const rs = fs.createReadStream(file);
      rs.on('data', (chunk) => {
        rec.bytes += chunk.length;
      });
      pipeline(rs, res, () => {});
      return;
    }
    const part = Buffer.alloc(cutAt);
    const fd = await fs.promises.open(file, 'r');
    try {
      await fd.read(part, 0, cutAt, 0);
    } finally {
      await fd.close();
    }
    rec.bytes = cutAt;
    // The callback runs once the bytes (and the header) are handed to the kernel: only then is
    // the connection cut or left hanging, so the client has received exactly cutAt bytes.
    res.write(part, () => {
      if (this.closed || 'closeAfter' in fault!) return void res.socket?.destroy();
      const timer = setTimeout(() => res.socket?.destroy(), this.holdMs);
      this.timers.add(timer);
      res.once('close', () => {
        clearTimeout(timer);
        this.timers.delete(timer);
      });
    });
  }

  /** The real path of a regular file under the root, or the status refusing it. */
  private async resolve(p: string): Promise<string | number> {
    let real: string;
    try {
      real = await fs.promises.realpath(path.join(this.realRoot, p));
    } catch {
      return 404;
    }
    const rel = path.relative(this.realRoot, real);
    if (rel === '..' || rel.startsWith(`..${path.sep}`) || path.isAbsolute(rel)) return 403;
    const st = await fs.promises.stat(real);
    return st.isFile() ? real : 404;
  }
}
