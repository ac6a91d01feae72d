// TCP peers of the network tests, on 127.0.0.1 only:
//   - HttpPeer: a server that answers every HTTP request with a fixed page (HTTP/1.0 with a
//     Content-Length, so a client knows where the body ends) and records what arrived. It is a
//     plain TCP server, not node:http, because QEMU's guestfwd connects to it when QEMU starts and
//     a guest's request may come minutes later on that same connection: no idle timeout applies.
//   - freePort(): a port nothing listens on right now (for QEMU's hostfwd).
//   - httpGet(): one bounded GET from the test (the "curl" of the tests), never throwing.
import net from 'node:net';

export class HttpPeer {
  /** Bytes received on each connection, in arrival order. */
  readonly received: Buffer[] = [];
  private readonly server = net.createServer((sock) => this.serve(sock));
  private readonly sockets = new Set<net.Socket>();
  port = 0;

  constructor(private readonly body: string) {}

  async start(): Promise<this> {
    await new Promise<void>((resolve) => this.server.listen(0, '127.0.0.1', resolve));
    this.port = (this.server.address() as net.AddressInfo).port;
    return this;
  }

  /** The HTTP requests received (their request lines), across connections. */
  get requests(): string[] {
    return this.received.flatMap((b) => [...b.toString('latin1').matchAll(/^(GET|POST|HEAD|PUT) \S+ HTTP\/1\.[01]/gm)].map((m) => m[0]));
  }

  private serve(sock: net.Socket) {
    const i = this.received.push(Buffer.alloc(0)) - 1;
    this.sockets.add(sock);
    sock.on('close', () => this.sockets.delete(sock));
    sock.on('error', () => {});
    sock.on('data', (chunk) => {
      this.received[i] = Buffer.concat([this.received[i], chunk]).subarray(0, 64 * 1024);
      if (this.received[i].includes('\r\n\r\n')) {
        sock.end(`HTTP/1.0 200 OK\r\nContent-Type: text/plain\r\nContent-Length: ${Buffer.byteLength(this.body)}\r\nConnection: close\r\n\r\n${this.body}`);
      }
    });
  }

  async stop(): Promise<void> {
    for (const s of this.sockets) s.destroy();
    await new Promise<void>((resolve) => this.server.close(() => resolve()));
  }
}

export async function freePort(): Promise<number> {
  const s = net.createServer();
  await new Promise<void>((resolve) => s.listen(0, '127.0.0.1', resolve));
  const port = (s.address() as net.AddressInfo).port;
  await new Promise<void>((resolve) => s.close(() => resolve()));
  return port;
}

export interface HttpResult {
  status?: number;
  body?: string;
  error?: string;
  ms: number;
}

/** GET http://127.0.0.1:port/path within timeoutMs; the status and body, or what went wrong. */
export async function httpGet(port: number, urlPath = '/', timeoutMs = 5000): Promise<HttpResult> {
  const t0 = Date.now();
  try {
    const r = await fetch(`http://127.0.0.1:${port}${urlPath}`, { signal: AbortSignal.timeout(timeoutMs) });
    return { status: r.status, body: await r.text(), ms: Date.now() - t0 };
  } catch (e) {
    const err = e as Error & { cause?: Error };
    return { error: `${err.name}: ${err.cause?.message ?? err.message}`, ms: Date.now() - t0 };
  }
}
