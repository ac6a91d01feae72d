// A stand-in for a server's BMC in tests: a small Redfish service of the tests' own (node:http, or
// node:https with a given key and certificate, on 127.0.0.1 at an ephemeral port). No real Redfish
// implementation runs here: the usual emulator, sushy-tools, comes from PyPI, which this machine
// cannot reach. So this serves just what a reboot through a BMC uses, as DSP0266 shapes it:
//
//   GET  /redfish/v1                                   the service root (no auth, as the spec says)
//   GET  /redfish/v1/Systems                           the systems, one member by default: d0-host-1
//   GET  /redfish/v1/Systems/<id>                      Id, PowerState, Actions["#ComputerSystem.Reset"]
//                                                      with its target and ResetType@Redfish.
//                                                      AllowableValues (or an @Redfish.ActionInfo)
//   GET  /redfish/v1/Systems/<id>/ResetActionInfo      the ActionInfo, when asked for
//   POST /redfish/v1/Systems/<id>/Actions/ComputerSystem.Reset   {"ResetType": ...}: awaits the
//                                                      test's onReset(resetType, id), then 204; an
//                                                      unknown or disallowed type 400, onReset
//                                                      throwing 500
//
// With a username or password configured, every request but the service root needs that Basic
// auth: 401 and a Redfish error body otherwise. Every request is recorded (method, path, body,
// Authorization header, whether auth was ok, the status sent). A test can make it fail (status N
// with a Redfish error body: its message in @Message.ExtendedInfo, or in error.message alone) or
// stall (the request is read and never answered), for every path or one, every time or the next
// `times`. close() destroys every connection, stalled ones included.
//
// qmpCommand() is the other half of a reboot under test: it sends one command to a QEMU's QMP
// socket (onReset: () => qmpCommand(sock, 'system_reset') resets an emulated host).
import http from 'node:http';
import https from 'node:https';
import net from 'node:net';

export const DEFAULT_SYSTEM = 'd0-host-1';
export const RESET_TYPES_ALLOWED = [
  'On',
  'ForceOff',
  'ForceRestart',
  'GracefulRestart',
  'PowerCycle',
] as const;

export interface RedfishBmcOptions {
  /** The ComputerSystem ids (default [DEFAULT_SYSTEM]). */
  readonly systems?: readonly string[];
  /** Basic auth required when either is set. */
  readonly username?: string;
  readonly password?: string;
  /** Called for each accepted reset, before it is answered 204; a throw answers 500. */
  readonly onReset?: (resetType: string, system: string) => void | Promise<void>;
  /** The allowed reset types (default RESET_TYPES_ALLOWED); null: the BMC does not say. */
  readonly allowableValues?: readonly string[] | null;
  /** Give the allowed types through @Redfish.ActionInfo instead of inline. */
  readonly actionInfo?: boolean;
  /** HTTPS with this key and certificate (PEM). */
  readonly tls?: { readonly key: string | Buffer; readonly cert: string | Buffer };
}

export type BmcFault = (
  | {
      readonly status: number;
      readonly message?: string;
      /** Put the message in @Message.ExtendedInfo (default) or in error.message alone. */
      readonly extendedInfo?: boolean;
    }
  | { readonly stall: true }
) & {
  /** Only this path ('/redfish/v1/Systems'); default every path. */
  readonly path?: string;
  /** Only the next `times` matching requests; default every one until cleared. */
  readonly times?: number;
};

export interface BmcRequest {
  readonly method: string;
  readonly path: string;
  readonly body: string;
  readonly authorization?: string;
  /** The request carried the configured credentials (true when none are configured). */
  readonly authOk: boolean;
  /** The status sent; 0 while unanswered (a stall). */
  status: number;
}

const ROOT = '/redfish/v1';
const SYSTEMS = `${ROOT}/Systems`;
const RESET_SUFFIX = '/Actions/ComputerSystem.Reset';
const INFO_SUFFIX = '/ResetActionInfo';
const BODY_MAX = 64 * 1024;

/** A Redfish error body, as DSP0266 shapes it. */
export function redfishError(
  message: string,
  opts: { messageId?: string; extendedInfo?: boolean } = {},
): object {
  const messageId = opts.messageId ?? 'Base.1.8.GeneralError';
  return {
    error: {
      code: messageId,
      message: opts.extendedInfo === false ? message : 'See @Message.ExtendedInfo for details.',
      ...(opts.extendedInfo === false
        ? {}
        : {
            '@Message.ExtendedInfo': [
              {
                '@odata.type': '#Message.v1_1_1.Message',
                MessageId: messageId,
                Message: message,
                Severity: 'Critical',
                Resolution: 'None.',
              },
            ],
          }),
    },
  };
}

export class RedfishBmc {
  readonly requests: BmcRequest[] = [];
  /** Each reset taken, in order. */
  readonly resets: { readonly system: string; readonly resetType: string }[] = [];
  /** PowerState per system: On at the start, Off after ForceOff, On after any other reset. */
  readonly powerStates = new Map<string, string>();
  private readonly faults: BmcFault[] = [];
  private readonly sockets = new Set<net.Socket>();
  private closed = false;

  private constructor(
    private readonly server: http.Server,
    readonly url: string,
    private readonly opts: RedfishBmcOptions,
  ) {
    for (const id of this.systems) this.powerStates.set(id, 'On');
  }

  static async start(opts: RedfishBmcOptions = {}): Promise<RedfishBmc> {
    const server = opts.tls
      ? https.createServer({ key: opts.tls.key, cert: opts.tls.cert })
      : http.createServer();
    await new Promise<void>((resolve, reject) => {
      server.once('error', reject);
      server.listen(0, '127.0.0.1', () => resolve());
    });
    const port = (server.address() as net.AddressInfo).port;
    const bmc = new RedfishBmc(server, `${opts.tls ? 'https' : 'http'}://127.0.0.1:${port}`, opts);
    server.on('connection', (sock: net.Socket) => {
      bmc.sockets.add(sock);
      sock.on('close', () => bmc.sockets.delete(sock));
      if (bmc.closed) sock.destroy();
    });
    server.on('request', (req: http.IncomingMessage, res: http.ServerResponse) =>
      bmc.receive(req, res),
    );
    return bmc;
  }

  get systems(): readonly string[] {
    return this.opts.systems ?? [DEFAULT_SYSTEM];
  }

  /** The path of a system's Reset action. */
  resetPath(system = this.systems[0]): string {
    return `${SYSTEMS}/${encodeURIComponent(system)}${RESET_SUFFIX}`;
  }

  /** Adds a fault; the first matching fault shapes a request. */
  setFault(fault: BmcFault): void {
    this.faults.push(fault);
  }

  clearFaults(): void {
    this.faults.length = 0;
  }

  /** Destroys every connection (stalled ones included) and stops listening. Idempotent. */
  async close(): Promise<void> {
    this.closed = true;
    for (const s of this.sockets) s.destroy();
    if (!this.server.listening) return;
    await new Promise<void>((resolve) => this.server.close(() => resolve()));
  }

  private takeFault(path: string): BmcFault | undefined {
    const at = this.faults.findIndex((f) => f.path === undefined || f.path === path);
    if (at < 0) return undefined;
    const f = this.faults[at];
    if (f.times !== undefined) {
      if (f.times <= 1) this.faults.splice(at, 1);
      else this.faults[at] = { ...f, times: f.times - 1 };
    }
    return f;
  }

  private authOk(authorization: string | undefined): boolean {
    const { username, password } = this.opts;
    if (username === undefined && password === undefined) return true;
    const expected = Buffer.from(`${username ?? ''}:${password ?? ''}`, 'utf8').toString('base64');
    return authorization === `Basic ${expected}`;
  }

  private receive(req: http.IncomingMessage, res: http.ServerResponse): void {
    const chunks: Buffer[] = [];
    let size = 0;
    req.on('data', (c: Buffer) => {
      size += c.length;
      if (size <= BODY_MAX) chunks.push(c);
    });
    req.on('end', () => {
      const path = (req.url ?? '').split('?')[0];
      const authorization = req.headers.authorization;
      const rec: BmcRequest = {
        method: req.method ?? '',
        path,
        body: Buffer.concat(chunks).toString('utf8'),
        ...(authorization !== undefined ? { authorization } : {}),
        authOk: this.authOk(authorization),
        status: 0,
      };
      this.requests.push(rec);
      res.on('error', () => {});
      this.answer(rec, res).catch((e: Error) => {
        if (!res.headersSent) this.send(rec, res, 500, redfishError(`stand-in: ${e.message}`));
      });
    });
  }

  private send(rec: BmcRequest, res: http.ServerResponse, status: number, body?: object): void {
    rec.status = status;
    const text = body === undefined ? '' : JSON.stringify(body);
    res.writeHead(status, {
      ...(text ? { 'Content-Type': 'application/json; charset=utf-8' } : {}),
      'Content-Length': Buffer.byteLength(text),
      'OData-Version': '4.0',
      ...(status === 401 ? { 'WWW-Authenticate': 'Basic realm="stand-in BMC"' } : {}),
    });
    res.end(text);
  }

  private async answer(rec: BmcRequest, res: http.ServerResponse): Promise<void> {
    const isRoot = rec.path === ROOT || rec.path === `${ROOT}/`;
    if (!isRoot && !rec.authOk)
      return this.send(
        rec,
        res,
        401,
        redfishError(
          'The authentication credentials included with this request are missing or invalid.',
          {
            messageId: 'Base.1.8.AccessDenied',
          },
        ),
      );
    const fault = this.takeFault(rec.path);
    if (fault && 'stall' in fault) return; // read, never answered: close() ends it
    if (fault)
      return this.send(
        rec,
        res,
        fault.status,
        redfishError(fault.message ?? 'The stand-in BMC was told to fail.', {
          extendedInfo: fault.extendedInfo,
        }),
      );
    const route = this.route(rec.path);
    if (!route)
      return this.send(
        rec,
        res,
        404,
        redfishError(`No resource at ${rec.path}.`, {
          messageId: 'Base.1.8.ResourceMissingAtURI',
        }),
      );
    const post = route.kind === 'reset';
    if (rec.method !== (post ? 'POST' : 'GET'))
      return this.send(
        rec,
        res,
        405,
        redfishError(`${rec.method} is not allowed here.`, {
          messageId: 'Base.1.8.OperationNotAllowed',
        }),
      );
    if (route.kind === 'reset') return this.reset(rec, res, route.system);
    this.send(rec, res, 200, route.body());
  }

  private route(
    path: string,
  ): { kind: 'get'; body: () => object } | { kind: 'reset'; system: string } | undefined {
    const p = path.replace(/\/$/, '');
    if (p === ROOT) return { kind: 'get', body: () => this.serviceRoot() };
    if (p === SYSTEMS) return { kind: 'get', body: () => this.collection() };
    for (const id of this.systems) {
      const base = `${SYSTEMS}/${encodeURIComponent(id)}`;
      if (p === base) return { kind: 'get', body: () => this.system(id) };
      if (p === base + RESET_SUFFIX) return { kind: 'reset', system: id };
      if (p === base + INFO_SUFFIX && this.opts.actionInfo)
        return { kind: 'get', body: () => this.actionInfo(id) };
    }
    return undefined;
  }

  private get allowed(): readonly string[] | null {
    return this.opts.allowableValues === undefined
      ? RESET_TYPES_ALLOWED
      : this.opts.allowableValues;
  }

  private serviceRoot(): object {
    return {
      '@odata.id': ROOT,
      '@odata.type': '#ServiceRoot.v1_5_0.ServiceRoot',
      Id: 'RootService',
      Name: 'Stand-in BMC',
      RedfishVersion: '1.6.0',
      Systems: { '@odata.id': SYSTEMS },
    };
  }

  private collection(): object {
    return {
      '@odata.id': SYSTEMS,
      '@odata.type': '#ComputerSystemCollection.ComputerSystemCollection',
      Name: 'Computer System Collection',
      Members: this.systems.map((id) => ({ '@odata.id': `${SYSTEMS}/${encodeURIComponent(id)}` })),
      'Members@odata.count': this.systems.length,
    };
  }

  private system(id: string): object {
    const base = `${SYSTEMS}/${encodeURIComponent(id)}`;
    const allowed = this.allowed;
    const action: Record<string, unknown> = { target: base + RESET_SUFFIX };
    if (this.opts.actionInfo) action['@Redfish.ActionInfo'] = base + INFO_SUFFIX;
    else if (allowed) action['ResetType@Redfish.AllowableValues'] = allowed;
    return {
      '@odata.id': base,
      '@odata.type': '#ComputerSystem.v1_13_0.ComputerSystem',
      Id: id,
      Name: `Stand-in system ${id}`,
      PowerState: this.powerStates.get(id),
      Actions: { '#ComputerSystem.Reset': action },
    };
  }

  private actionInfo(id: string): object {
    const allowed = this.allowed;
    return {
      '@odata.id': `${SYSTEMS}/${encodeURIComponent(id)}${INFO_SUFFIX}`,
      '@odata.type': '#ActionInfo.v1_1_2.ActionInfo',
      Id: 'ResetActionInfo',
      Parameters: [
        {
          Name: 'ResetType',
          Required: true,
          DataType: 'String',
          ...(allowed ? { AllowableValues: allowed } : {}),
        },
      ],
    };
  }

  private async reset(rec: BmcRequest, res: http.ServerResponse, system: string): Promise<void> {
    let resetType: unknown;
    try {
      resetType = (JSON.parse(rec.body) as { ResetType?: unknown }).ResetType;
    } catch {
      resetType = undefined;
    }
    const allowed = this.allowed ?? RESET_TYPES_ALLOWED;
    if (typeof resetType !== 'string' || !allowed.includes(resetType))
      return this.send(
        rec,
        res,
        400,
        redfishError(
          `The value ${JSON.stringify(resetType)} for ResetType is not in the list of acceptable values.`,
          {
            messageId: 'Base.1.8.ActionParameterValueNotInList',
          },
        ),
      );
    try {
      await this.opts.onReset?.(resetType, system);
    } catch (e) {
      return this.send(rec, res, 500, redfishError(`The reset failed: ${(e as Error).message}`));
    }
    this.resets.push({ system, resetType });
    this.powerStates.set(system, resetType === 'ForceOff' ? 'Off' : 'On');
    this.send(rec, res, 204);
  }
}

/** A QMP reply: `return` on success, `error` ({class, desc}) when QEMU refused the command. */
export interface QmpReply {
  readonly return?: unknown;
  readonly error?: { readonly class: string; readonly desc: string };
}

/**
 * Connects to a QEMU's QMP unix socket (retrying while it is not there yet), does the
 * qmp_capabilities handshake, sends one command and returns QEMU's reply to it (events are
 * skipped). The whole exchange is bounded by timeoutMs (default 10 s); the connection is closed
 * after.
 */
export async function qmpCommand(
  socketPath: string,
  command: string,
  opts: { arguments?: object; timeoutMs?: number } = {},
): Promise<QmpReply> {
  const timeoutMs = opts.timeoutMs ?? 10_000;
  const deadline = Date.now() + timeoutMs;
  const sock = await connectUnix(socketPath, deadline);
  return new Promise<QmpReply>((resolve, reject) => {
    let buffered = '';
    let step: 'greeting' | 'capabilities' | 'command' = 'greeting';
    let done = false;
    const finish = (err: Error | undefined, reply?: QmpReply) => {
      if (done) return;
      done = true;
      clearTimeout(timer);
      sock.destroy();
      if (err) reject(err);
      else resolve(reply!);
    };
    const timer = setTimeout(
      () => finish(new Error(`QMP ${socketPath}: no reply to ${command} within ${timeoutMs} ms`)),
      Math.max(0, deadline - Date.now()),
    );
    const send = (msg: object) => sock.write(`${JSON.stringify(msg)}\n`);
    const onMessage = (msg: Record<string, unknown>) => {
      if ('event' in msg) return;
      if (step === 'greeting') {
        if (!('QMP' in msg)) return finish(new Error(`QMP ${socketPath}: no greeting`));
        step = 'capabilities';
        return send({ execute: 'qmp_capabilities' });
      }
      if (step === 'capabilities') {
        if (!('return' in msg))
          return finish(new Error(`QMP ${socketPath}: handshake refused: ${JSON.stringify(msg)}`));
        step = 'command';
        return send({
          execute: command,
          ...(opts.arguments ? { arguments: opts.arguments } : {}),
          id: 'd0-test',
        });
      }
      if ('return' in msg || 'error' in msg) finish(undefined, msg as QmpReply);
    };
    sock.setEncoding('utf8');
    sock.on('data', (chunk: string) => {
      buffered += chunk;
      let nl: number;
      while (!done && (nl = buffered.indexOf('\n')) >= 0) {
        const line = buffered.slice(0, nl).trim();
        buffered = buffered.slice(nl + 1);
        if (!line) continue;
        try {
          onMessage(JSON.parse(line) as Record<string, unknown>);
        } catch (e) {
          return finish(
            new Error(`QMP ${socketPath}: not JSON: ${line} (${(e as Error).message})`),
          );
        }
      }
    });
    sock.on('error', (e) => finish(e));
    sock.on('close', () =>
      finish(new Error(`QMP ${socketPath}: closed before the reply to ${command}`)),
    );
  });
}

/** A connection to a unix socket, retried every 50 ms while it is missing or refuses. */
async function connectUnix(socketPath: string, deadline: number): Promise<net.Socket> {
  for (;;) {
    try {
      return await new Promise<net.Socket>((resolve, reject) => {
        const sock = net.createConnection(socketPath);
        sock.once('connect', () => {
          sock.removeListener('error', reject);
          resolve(sock);
        });
        sock.once('error', reject);
      });
    } catch (e) {
      const code = (e as NodeJS.ErrnoException).code;
      if ((code !== 'ENOENT' && code !== 'ECONNREFUSED') || Date.now() > deadline)
        throw new Error(`QMP ${socketPath}: cannot connect (${code ?? (e as Error).message})`);
      await new Promise((r) => setTimeout(r, 50));
    }
  }
}
