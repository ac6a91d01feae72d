// The bench's HTTP client on 127.0.0.1 (the QEMU hostfwd in front of either path): one fresh TCP
// connection per request (no keep-alive, so every request pays the connection set-up a new
// client pays), the body counted and dropped, every request bounded in time.
import http from 'node:http';

export interface Fetched {
  status: number;
  bytes: number;
  /** Request start -> last body byte, host clock. */
  ms: number;
}

/** GET http://127.0.0.1:port<urlPath>; rejects on a connection error or after timeoutMs. */
export function fetchCounted(port: number, urlPath: string, timeoutMs: number): Promise<Fetched> {
  const t0 = performance.now();
  return new Promise((resolve, reject) => {
    const req = http.get(
      { host: '127.0.0.1', port, path: urlPath, agent: false, headers: { connection: 'close' } },
      (res) => {
        let bytes = 0;
        res.on('data', (chunk: Buffer) => {
          bytes += chunk.length;
        });
        res.on('end', () => {
          clearTimeout(timer);
          resolve({ status: res.statusCode ?? 0, bytes, ms: performance.now() - t0 });
        });
        res.on('error', fail);
      },
    );
    const timer = setTimeout(
      () => fail(new Error(`no complete answer within ${timeoutMs} ms`)),
      timeoutMs,
    );
    function fail(e: Error) {
      clearTimeout(timer);
      req.destroy();
      reject(new Error(`GET 127.0.0.1:${port}${urlPath}: ${e.message}`));
    }
    req.on('error', fail);
  });
}

/** The same GET, which must answer 200 with `bytes` bytes when given. */
export async function fetchOk(
  port: number,
  urlPath: string,
  timeoutMs: number,
  bytes?: number,
): Promise<Fetched> {
  const r = await fetchCounted(port, urlPath, timeoutMs);
  if (r.status !== 200) throw new Error(`GET 127.0.0.1:${port}${urlPath}: status ${r.status}`);
  if (bytes !== undefined && r.bytes !== bytes)
    throw new Error(`GET 127.0.0.1:${port}${urlPath}: ${r.bytes} bytes, expected ${bytes}`);
  return r;
}

/** Polls GET / every 2 s (each attempt bounded) until it answers 200; fails after deadlineMs or when gone() says the server's machine has ended. */
export async function waitServing(
  port: number,
  deadlineMs: number,
  gone: () => string | undefined,
): Promise<void> {
  const end = Date.now() + deadlineMs;
  let last = 'no attempt';
  for (;;) {
    const why = gone();
    if (why) throw new Error(`waiting for 127.0.0.1:${port} to serve: ${why}`);
    try {
      await fetchOk(port, '/', 10_000);
      return;
    } catch (e) {
      last = (e as Error).message;
    }
    if (Date.now() > end)
      throw new Error(`127.0.0.1:${port} did not serve within ${deadlineMs} ms; last: ${last}`);
    await new Promise((r) => setTimeout(r, 2000));
  }
}
