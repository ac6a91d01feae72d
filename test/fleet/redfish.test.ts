// The Redfish client (builder/fleet/redfish.ts) against the stand-in BMC (test/support/
// redfish-bmc.ts): discovery, what it POSTs and with which auth, the reset types a BMC allows
// (inline or through an ActionInfo), and every way a reset fails: credentials missing or refused,
// a BMC error (its message cleaned and capped), a stall, no listener, a system not found or not
// named, TLS, a target refused before anything is sent, answers that are not Redfish. No error
// ever holds the password.
import { strict as assert } from 'node:assert';
import { execFileSync } from 'node:child_process';
import fs from 'node:fs';
import http from 'node:http';
import type net from 'node:net';
import os from 'node:os';
import path from 'node:path';
import { FleetError } from '../../builder/fleet/errors';
import { powerState, resetHost, RESET_TYPES, type BmcTarget } from '../../builder/fleet/redfish';
import { errorCode } from '../../core/errors';
import { DEFAULT_SYSTEM, RedfishBmc, type RedfishBmcOptions } from '../support/redfish-bmc';

const USER = 'root';
const PASSWORD = 'Tr0ub4dor&3-not-logged';
const basic = (user: string, password: string) =>
  `Basic ${Buffer.from(`${user}:${password}`).toString('base64')}`;
const SYSTEMS = '/redfish/v1/Systems';
// C0 and C1 controls, DEL, and the format characters (bidirectional overrides, zero-width).
const UNPRINTABLE = /[\p{Cc}\p{Cf}\u2028\u2029]/u;

/** The FleetError a promise rejects with, checked for its code. */
async function fleetError(p: Promise<unknown>, code: string): Promise<FleetError> {
  try {
    await p;
  } catch (e) {
    assert.ok(e instanceof FleetError, `not a FleetError: ${String(e)}`);
    assert.equal(errorCode(e), code, e.message);
    return e;
  }
  assert.fail(`expected ${code}, got no error`);
}

describe('fleet: Redfish client against the stand-in BMC', function () {
  this.timeout(20_000);
  const bmcs: RedfishBmc[] = [];
  const start = async (opts: RedfishBmcOptions = {}) => {
    const bmc = await RedfishBmc.start(opts);
    bmcs.push(bmc);
    return bmc;
  };
  afterEach(async () => {
    await Promise.all(bmcs.splice(0).map((b) => b.close()));
  });

  it('finds the only system, POSTs {"ResetType"} to its Reset target with Basic auth', async () => {
    const seen: string[] = [];
    const bmc = await start({
      username: USER,
      password: PASSWORD,
      onReset: (type, system) => void seen.push(`${system} ${type}`),
    });
    const result = await resetHost({ url: bmc.url, username: USER, password: PASSWORD }, {});
    assert.deepEqual(result, { system: DEFAULT_SYSTEM, resetType: 'ForceRestart', status: 204 });
    assert.deepEqual(seen, [`${DEFAULT_SYSTEM} ForceRestart`]);
    assert.deepEqual(
      bmc.requests.map((r) => `${r.method} ${r.path} ${r.status}`),
      [`GET ${SYSTEMS} 200`, `GET ${SYSTEMS}/${DEFAULT_SYSTEM} 200`, `POST ${bmc.resetPath()} 204`],
    );
    assert.deepEqual(JSON.parse(bmc.requests[2].body), { ResetType: 'ForceRestart' });
    for (const r of bmc.requests) {
      assert.equal(r.authorization, basic(USER, PASSWORD), `${r.method} ${r.path}`);
      assert.ok(r.authOk);
    }
  });

  it('sends each reset type asked for, to the system named among several', async () => {
    const bmc = await start({ systems: ['blade-1', 'blade-2', 'blade 3'] });
    for (const resetType of RESET_TYPES) {
      const r = await resetHost({ url: `${bmc.url}/`, system: 'blade 3' }, { resetType });
      assert.deepEqual(r, { system: 'blade 3', resetType, status: 204 });
    }
    assert.deepEqual(
      bmc.resets,
      RESET_TYPES.map((resetType) => ({ system: 'blade 3', resetType })),
    );
    assert.ok(bmc.requests.every((r) => r.authorization === undefined));
    assert.ok(
      bmc.requests
        .filter((r) => r.method === 'POST')
        .every((r) => r.path === bmc.resetPath('blade 3')),
    );
  });

  it('refuses a reset type the BMC does not allow, naming the allowed ones, and sends nothing', async () => {
    const bmc = await start({ allowableValues: ['On', 'ForceOff'] });
    const e = await fleetError(
      resetHost({ url: bmc.url }, { resetType: 'PowerCycle' }),
      'BMC_RESET_TYPE',
    );
    assert.match(e.message, /does not allow reset type PowerCycle \(allowed: On, ForceOff\)/);
    assert.match(e.message, new RegExp(`BMC ${bmc.url}: system ${DEFAULT_SYSTEM}`));
    assert.ok(!bmc.requests.some((r) => r.method === 'POST'));
    assert.equal((await resetHost({ url: bmc.url }, { resetType: 'On' })).status, 204);
  });

  it("reads the allowed types from the action's @Redfish.ActionInfo when given there", async () => {
    const bmc = await start({ actionInfo: true, allowableValues: ['On', 'ForceRestart'] });
    await fleetError(
      resetHost({ url: bmc.url }, { resetType: 'GracefulRestart' }),
      'BMC_RESET_TYPE',
    );
    assert.equal((await resetHost({ url: bmc.url })).status, 204);
    assert.ok(bmc.requests.some((r) => r.path === `${SYSTEMS}/${DEFAULT_SYSTEM}/ResetActionInfo`));
  });

  it('sends any reset type when the BMC does not say which it allows', async () => {
    const bmc = await start({ allowableValues: null });
    assert.equal((await resetHost({ url: bmc.url }, { resetType: 'PowerCycle' })).status, 204);
  });

  it('401 without credentials says none were given; with a wrong password, that they were refused', async () => {
    const bmc = await start({ username: USER, password: PASSWORD });
    const none = await fleetError(resetHost({ url: bmc.url }), 'BMC_AUTH');
    assert.equal(none.status, 401);
    assert.match(
      none.message,
      new RegExp(`^BMC ${bmc.url}: GET ${SYSTEMS} answered 401 Unauthorized`),
    );
    assert.match(none.message, /no credentials were given/);
    assert.match(none.message, /credentials included with this request are missing or invalid/);

    const wrong = 'Wr0ng-' + PASSWORD;
    const refused = await fleetError(
      resetHost({ url: bmc.url, username: USER, password: wrong }),
      'BMC_AUTH',
    );
    assert.match(refused.message, /the credentials were refused/);
    for (const secret of [wrong, PASSWORD, basic(USER, wrong).slice(6)]) {
      assert.ok(!refused.message.includes(secret), refused.message);
      assert.ok(!String(refused.stack).includes(secret));
    }
    assert.ok(bmc.requests.every((r) => !r.authOk));
    assert.equal(bmc.resets.length, 0);
  });

  it('a BMC that echoes the password back never gets it into the error', async () => {
    const bmc = await start({ username: USER, password: PASSWORD });
    bmc.setFault({
      status: 400,
      message: `bad request from ${USER}:${PASSWORD} (${basic(USER, PASSWORD)})`,
    });
    const e = await fleetError(
      resetHost({ url: bmc.url, username: USER, password: PASSWORD }),
      'BMC_REFUSED',
    );
    assert.ok(!e.message.includes(PASSWORD), e.message);
    assert.ok(!e.message.includes(basic(USER, PASSWORD).slice(6)), e.message);
    assert.match(e.message, /bad request from root:\*\*\*/);
  });

  it("a 500 on the reset shows the BMC's ExtendedInfo message, control characters stripped, capped", async () => {
    const bmc = await start();
    const hostile = `\x1b[2J\x1b[31mPSU 2 failed\r\n\x07\u202eboard\x00 7 ${'x'.repeat(5000)}`;
    bmc.setFault({ status: 500, message: hostile, path: bmc.resetPath() });
    const e = await fleetError(resetHost({ url: bmc.url }), 'BMC_REFUSED');
    assert.equal(e.status, 500);
    assert.match(
      e.message,
      new RegExp(`^BMC ${bmc.url}: POST ${bmc.resetPath()} answered 500 Internal Server Error: `),
    );
    assert.match(e.message, /\[2J \[31mPSU 2 failed board 7 x+\.\.\.$/);
    assert.ok(!UNPRINTABLE.test(e.message), JSON.stringify(e.message));
    assert.ok(e.message.length < 400, `${e.message.length} characters`);
    assert.equal(bmc.resets.length, 0);
  });

  it('quotes error.message when the body has no ExtendedInfo', async () => {
    const bmc = await start();
    bmc.setFault({ status: 503, message: 'BMC busy\tupdating firmware', extendedInfo: false });
    const e = await fleetError(resetHost({ url: bmc.url }), 'BMC_REFUSED');
    assert.match(
      e.message,
      /GET \/redfish\/v1\/Systems answered 503 Service Unavailable: BMC busy updating firmware$/,
    );
  });

  it('a stalled BMC ends within the timeout; a stalled reset says it may have happened', async () => {
    const bmc = await start();
    bmc.setFault({ stall: true });
    let t0 = Date.now();
    const e = await fleetError(resetHost({ url: bmc.url }, { timeoutMs: 400 }), 'BMC_TIMEOUT');
    const took = Date.now() - t0;
    assert.ok(took >= 350 && took < 2000, `${took} ms`);
    assert.match(
      e.message,
      new RegExp(`^BMC ${bmc.url}: GET ${SYSTEMS}: no answer within 400 ms$`),
    );

    bmc.clearFaults();
    bmc.setFault({ stall: true, path: bmc.resetPath() });
    t0 = Date.now();
    const post = await fleetError(resetHost({ url: bmc.url }, { timeoutMs: 400 }), 'BMC_TIMEOUT');
    assert.ok(Date.now() - t0 < 2500, `${Date.now() - t0} ms`);
    assert.match(
      post.message,
      /POST .*no answer within 400 ms \(the BMC may still have acted on it\)/,
    );
    await fleetError(powerState({ url: bmc.url }, { timeoutMs: 300 }), 'BMC_SYSTEM').catch(
      () => {},
    );
  });

  it('a port nobody listens on is BMC_UNREACHABLE', async () => {
    const server = http.createServer();
    await new Promise<void>((r) => server.listen(0, '127.0.0.1', r));
    const port = (server.address() as net.AddressInfo).port;
    await new Promise<void>((r) => server.close(() => r()));
    const e = await fleetError(
      resetHost({ url: `http://127.0.0.1:${port}`, username: USER, password: PASSWORD }),
      'BMC_UNREACHABLE',
    );
    assert.equal(
      e.message,
      `BMC http://127.0.0.1:${port}: GET ${SYSTEMS}: no connection (ECONNREFUSED)`,
    );
  });

  it('several systems and none named: refused, naming their ids; nothing reset', async () => {
    const bmc = await start({ systems: ['node-a', 'node-b'] });
    const e = await fleetError(resetHost({ url: bmc.url }), 'BMC_SYSTEM');
    assert.match(e.message, /has 2 systems \(node-a, node-b\): name one with system/);
    assert.deepEqual(
      bmc.requests.map((r) => r.path),
      [SYSTEMS],
    );
  });

  it('a system id the BMC does not have: refused, naming the ones it has', async () => {
    const bmc = await start();
    const e = await fleetError(resetHost({ url: bmc.url, system: 'd0-host-9' }), 'BMC_SYSTEM');
    assert.match(
      e.message,
      new RegExp(`no system "d0-host-9" in ${SYSTEMS} \\(it has: ${DEFAULT_SYSTEM}\\)`),
    );
    assert.equal(bmc.resets.length, 0);
  });

  it("powerState reads the system's PowerState", async () => {
    const bmc = await start({ systems: ['x', 'y'] });
    bmc.powerStates.set('y', 'Off');
    assert.equal(await powerState({ url: bmc.url, system: 'x' }), 'On');
    assert.equal(await powerState({ url: bmc.url, system: 'y' }), 'Off');
  });

  it('refuses a target before sending anything, without repeating credentials', async () => {
    const bmc = await start();
    const cases: [BmcTarget, RegExp][] = [
      [{ url: 'bmc-1.example' }, /not a URL/],
      [{ url: 'ftp://127.0.0.1' }, /ftp: is not http: or https:/],
      [
        { url: `http://${USER}:${PASSWORD}@127.0.0.1:1` },
        /credentials belong in username and password/,
      ],
      [{ url: `${bmc.url}/redfish/v1` }, /without a path/],
      [{ url: `${bmc.url}?x=1` }, /without a path, query/],
      [{ url: bmc.url, system: 'a/b' }, /must be a ComputerSystem id/],
      [{ url: bmc.url, system: '' }, /must be a ComputerSystem id/],
      [{ url: bmc.url, system: '..' }, /must be a ComputerSystem id/],
      [{ url: bmc.url, system: 'a\nb' }, /must be a ComputerSystem id/],
      [{ url: bmc.url, username: 'a:b', password: PASSWORD }, /username with ':'/],
    ];
    for (const [target, re] of cases) {
      const e = await fleetError(resetHost(target), 'BMC_TARGET');
      assert.match(e.message, re);
      assert.ok(!e.message.includes(PASSWORD), e.message);
    }
    await fleetError(resetHost({ url: bmc.url }, { timeoutMs: 0 }), 'BMC_TARGET');
    await fleetError(resetHost({ url: bmc.url }, { resetType: 'ForceOff' as 'On' }), 'BMC_TARGET');
    assert.equal(bmc.requests.length, 0);
  });
});

describe('fleet: Redfish client over TLS', function () {
  this.timeout(30_000);
  let dir: string;
  let bmc: RedfishBmc;
  before(async () => {
    dir = fs.mkdtempSync(path.join(os.tmpdir(), 'd0-bmc-tls-'));
    const key = path.join(dir, 'key.pem');
    const cert = path.join(dir, 'cert.pem');
    // A self-signed certificate for 127.0.0.1, as BMCs ship them.
    execFileSync(
      'openssl',
      [
        'req',
        '-x509',
        '-newkey',
        'ec',
        '-pkeyopt',
        'ec_paramgen_curve:prime256v1',
        '-nodes',
        '-keyout',
        key,
        '-out',
        cert,
        '-days',
        '2',
        '-subj',
        '/CN=127.0.0.1',
        '-addext',
        'subjectAltName=IP:127.0.0.1',
      ],
      { stdio: 'ignore' },
    );
    bmc = await RedfishBmc.start({
      tls: { key: fs.readFileSync(key), cert: fs.readFileSync(cert) },
      username: USER,
      password: PASSWORD,
    });
  });
  after(async () => {
    await bmc?.close();
    if (dir) fs.rmSync(dir, { recursive: true, force: true });
  });

  it('refuses a self-signed certificate, pointing at insecure, before sending credentials', async () => {
    assert.match(bmc.url, /^https:/);
    const e = await fleetError(
      resetHost({ url: bmc.url, username: USER, password: PASSWORD }),
      'BMC_TLS',
    );
    assert.match(e.message, /self-signed|SELF_SIGNED/);
    assert.match(e.message, /needs insecure: true$/);
    assert.equal(bmc.requests.length, 0);
  });

  it('resets through it with insecure: true', async () => {
    const r = await resetHost({ url: bmc.url, username: USER, password: PASSWORD, insecure: true });
    assert.deepEqual(r, { system: DEFAULT_SYSTEM, resetType: 'ForceRestart', status: 204 });
    assert.ok(bmc.requests.every((q) => q.authOk));
  });
});

describe('fleet: Redfish client against answers that are not Redfish', function () {
  this.timeout(20_000);
  let server: http.Server;
  let url: string;
  const routes = new Map<string, (res: http.ServerResponse) => void>();
  const json = (body: unknown) => (res: http.ServerResponse) => {
    res.writeHead(200, { 'Content-Type': 'application/json' });
    res.end(JSON.stringify(body));
  };
  before(async () => {
    server = http.createServer((req, res) => {
      const route = routes.get(req.url ?? '');
      if (route) return route(res);
      res.writeHead(404).end();
    });
    await new Promise<void>((r) => server.listen(0, '127.0.0.1', r));
    url = `http://127.0.0.1:${(server.address() as net.AddressInfo).port}`;
  });
  afterEach(() => routes.clear());
  after(() => new Promise<void>((r) => server.close(() => r())));

  it('HTML instead of JSON: BMC_PROTOCOL', async () => {
    routes.set(SYSTEMS, (res) =>
      res.writeHead(200, { 'Content-Type': 'text/html' }).end('<html>login</html>'),
    );
    const e = await fleetError(resetHost({ url }), 'BMC_PROTOCOL');
    assert.match(e.message, /answered 200 without a JSON object/);
  });

  it('a member link to another host is not followed (credentials stay with the BMC)', async () => {
    routes.set(
      SYSTEMS,
      json({ Members: [{ '@odata.id': 'http://198.51.100.7/redfish/v1/Systems/1' }] }),
    );
    const e = await fleetError(
      resetHost({ url, username: USER, password: PASSWORD }),
      'BMC_PROTOCOL',
    );
    assert.match(
      e.message,
      /link "http:\/\/198\.51\.100\.7\/redfish\/v1\/Systems\/1" is not a path under \/redfish\/ on this BMC/,
    );
  });

  it('a system without a Reset action, and one without PowerState: BMC_PROTOCOL', async () => {
    routes.set(SYSTEMS, json({ Members: [{ '@odata.id': `${SYSTEMS}/1` }] }));
    routes.set(`${SYSTEMS}/1`, json({ Id: '1', Actions: {} }));
    const e = await fleetError(resetHost({ url }), 'BMC_PROTOCOL');
    assert.match(e.message, /system 1: Actions\["#ComputerSystem.Reset"\]\.target: link missing/);
    const p = await fleetError(powerState({ url }), 'BMC_PROTOCOL');
    assert.match(p.message, /system 1 has no PowerState/);
  });

  it('a redirect is named, not followed', async () => {
    routes.set(SYSTEMS, (res) =>
      res.writeHead(301, { Location: 'https://bmc-1.example/redfish/v1/Systems' }).end(),
    );
    const e = await fleetError(resetHost({ url }), 'BMC_PROTOCOL');
    assert.match(
      e.message,
      /answered 301 Moved Permanently \(to https:\/\/bmc-1\.example\/redfish\/v1\/Systems\): redirects are not followed/,
    );
  });

  it('a body over 1 MiB is cut off', async () => {
    routes.set(SYSTEMS, (res) => {
      res.writeHead(200, { 'Content-Type': 'application/json' });
      res.end(Buffer.alloc(2 << 20, 0x20));
    });
    await fleetError(resetHost({ url }), 'BMC_PROTOCOL');
  });
});
