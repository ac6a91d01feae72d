// One HTTP exchange with a BMC (node:http / node:https, a fresh connection each: no agent keeps
// a socket), and what an answer that is not the one expected means. Every request is bounded by
// the connection's timeoutMs (AbortSignal.timeout) from its start to the end of the body; a body
// is read up to BODY_MAX bytes. Requests carry `Accept: application/json`, `OData-Version: 4.0`
// and, with credentials, Basic auth; a POST carries its JSON body.
//
// Failures (FleetError, the message naming the BMC's origin, the method and the path):
// BMC_UNREACHABLE no connection; BMC_TIMEOUT no whole answer within timeoutMs (for a POST: the
// BMC may have acted on it); BMC_TLS a certificate that does not verify or a failed handshake;
// BMC_PROTOCOL a body over BODY_MAX. answerError() turns an unexpected status into BMC_AUTH
// (401, 403), BMC_PROTOCOL (a redirect, another 1xx-3xx) or BMC_REFUSED (>= 400), quoting the
// Redfish error message when the body has one.
import http from 'node:http';
import https from 'node:https';
import type { BmcConnection } from './bmc-target';
import { quote, redfishErrorMessage } from './bmc-text';
import { FleetError } from './errors';

/** The largest body read from a BMC: a Redfish resource is a few kB. */
export const BODY_MAX = 1 << 20;

export interface RedfishAnswer {
  readonly status: number;
  /** The body parsed as JSON; undefined when empty or not JSON. */
  readonly json: unknown;
  /** The Location header, quoted (a redirect's target). */
  readonly location?: string;
}

// Node's codes for a certificate that does not verify and for a TLS handshake that failed.
const TLS_CODE = /CERT|SELF_SIGNED|UNABLE_TO_(GET|VERIFY)|^ERR_TLS|^ERR_SSL|^EPROTO$/;

export function redfishRequest(
  conn: BmcConnection,
  method: 'GET' | 'POST',
  path: string,
  body?: unknown,
): Promise<RedfishAnswer> {
  const what = `BMC ${conn.origin}: ${method} ${quote(path)}`;
  const payload = body === undefined ? undefined : Buffer.from(JSON.stringify(body), 'utf8');
  const headers: http.OutgoingHttpHeaders = {
    Accept: 'application/json',
    'OData-Version': '4.0',
    ...(conn.authorization ? { Authorization: conn.authorization } : {}),
    ...(payload
      ? { 'Content-Type': 'application/json; charset=utf-8', 'Content-Length': payload.length }
      : {}),
  };
  const signal = AbortSignal.timeout(conn.timeoutMs);
  return new Promise<RedfishAnswer>((resolve, reject) => {
    let settled = false;
    const fail = (e: FleetError) => {
      if (settled) return;
      settled = true;
      req.destroy();
      reject(e);
    };
    const onTimeout = () =>
      fail(
        new FleetError(
          'BMC_TIMEOUT',
          `${what}: no answer within ${conn.timeoutMs} ms` +
            (method === 'POST' ? ' (the BMC may still have acted on it)' : ''),
        ),
      );
    const options: https.RequestOptions = {
      method,
      hostname: conn.hostname,
      port: conn.port,
      path,
      headers,
      agent: false,
      ...(conn.https ? { rejectUnauthorized: !conn.insecure } : {}),
    };
    const req = (conn.https ? https : http).request(options, (res) => {
      const chunks: Buffer[] = [];
      let size = 0;
      res.on('data', (chunk: Buffer) => {
        size += chunk.length;
        if (size > BODY_MAX)
          fail(
            new FleetError(
              'BMC_PROTOCOL',
              `${what}: answer body over ${BODY_MAX} bytes`,
              res.statusCode,
            ),
          );
        else chunks.push(chunk);
      });
      res.on('error', () => {
        if (signal.aborted) onTimeout();
        else fail(new FleetError('BMC_UNREACHABLE', `${what}: the connection ended mid-answer`));
      });
      res.on('end', () => {
        if (settled) return;
        settled = true;
        const text = Buffer.concat(chunks).toString('utf8');
        let json: unknown;
        try {
          json = text.trim() ? JSON.parse(text) : undefined;
        } catch {
          json = undefined;
        }
        const location = res.headers.location;
        resolve({
          status: res.statusCode ?? 0,
          json,
          ...(location ? { location: quote(location) } : {}),
        });
      });
    });
    req.on('error', (e: NodeJS.ErrnoException) => {
      if (signal.aborted) return onTimeout();
      const code = e.code ?? 'ERROR';
      if (TLS_CODE.test(code))
        return fail(
          new FleetError(
            'BMC_TLS',
            `${what}: TLS failed (${code}: ${quote(e.message)})` +
              (conn.insecure ? '' : '; a BMC with a self-signed certificate needs insecure: true'),
          ),
        );
      fail(new FleetError('BMC_UNREACHABLE', `${what}: no connection (${code})`));
    });
    signal.addEventListener('abort', onTimeout, { once: true });
    req.end(payload);
  });
}

/** The error for an answer whose status is not the one expected. */
export function answerError(
  conn: BmcConnection,
  method: string,
  path: string,
  answer: RedfishAnswer,
): FleetError {
  const { status } = answer;
  const reason = http.STATUS_CODES[status] ?? 'unknown status';
  const message = redfishErrorMessage(answer.json);
  const said = `BMC ${conn.origin}: ${method} ${quote(path)} answered ${status} ${reason}`;
  const quoted = message ? `: ${message}` : '';
  if (status === 401 || status === 403) {
    const hint = conn.authorization
      ? ' (the credentials were refused)'
      : ' (no credentials were given: set username and password)';
    return new FleetError('BMC_AUTH', `${said}${hint}${quoted}`, status);
  }
  if (status >= 300 && status < 400)
    return new FleetError(
      'BMC_PROTOCOL',
      `${said}${answer.location ? ` (to ${answer.location})` : ''}: redirects are not followed, ` +
        'give the BMC url it redirects to',
      status,
    );
  if (status < 400) return new FleetError('BMC_PROTOCOL', `${said}, unexpected here`, status);
  return new FleetError('BMC_REFUSED', `${said}${quoted}`, status);
}
