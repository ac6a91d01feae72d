// A BMC target checked and turned into what each request needs: the origin to send to, the URL
// errors name (scheme, host and port only), the Basic credentials and the secrets no message may
// hold. Refused (BMC_TARGET) before anything is sent: a URL that is not http(s)://host[:port],
// credentials inside the URL, a username with ':' (Basic cannot carry it), a system id that is
// blank, '.' or '..', or holds '/' or a control character, a timeout that is not a positive
// number of milliseconds.
import { FleetError } from './errors';

export interface BmcTarget {
  /** The BMC: http(s)://host[:port] (a trailing '/' is accepted; no path, query or fragment). */
  readonly url: string;
  /** The ComputerSystem id; default: the only member of /redfish/v1/Systems. */
  readonly system?: string;
  readonly username?: string;
  /** Sent with Basic auth; never logged, never in an error message. */
  readonly password?: string;
  /** Accept a TLS certificate that does not verify (BMCs ship self-signed ones). */
  readonly insecure?: boolean;
}

export const DEFAULT_TIMEOUT_MS = 15_000;

/** What each request to one BMC needs. */
export interface BmcConnection {
  /** `http(s)://host[:port]`: where requests go, and how errors name the BMC. */
  readonly origin: string;
  readonly https: boolean;
  /** The host to connect to (IPv6 without brackets) and its port. */
  readonly hostname: string;
  readonly port: number;
  /** The Authorization header value, when credentials were given. */
  readonly authorization?: string;
  readonly insecure: boolean;
  /** The bound of every request, ms. */
  readonly timeoutMs: number;
  /** Strings no error message may contain: the password and the Basic token. */
  readonly secrets: readonly string[];
}

function refuse(message: string): never {
  throw new FleetError('BMC_TARGET', message);
}

export function bmcConnection(target: BmcTarget, timeoutMs = DEFAULT_TIMEOUT_MS): BmcConnection {
  let url: URL;
  try {
    url = new URL(target.url);
  } catch {
    // The text is the caller's own, but it may hold credentials: not repeated.
    return refuse('BMC url: not a URL (expected http(s)://host[:port])');
  }
  if (url.protocol !== 'http:' && url.protocol !== 'https:')
    refuse(`BMC url: ${url.protocol} is not http: or https:`);
  const origin = `${url.protocol}//${url.host}`;
  if (url.username || url.password)
    refuse(`BMC ${origin}: credentials belong in username and password, not in the url`);
  if ((url.pathname !== '/' && url.pathname !== '') || url.search || url.hash)
    refuse(`BMC ${origin}: the url is the BMC's address alone, without a path, query or fragment`);
  const system = target.system;
  if (
    system !== undefined &&
    (!system.trim() || /[/\p{Cc}\p{Cf}]/u.test(system) || /^\.\.?$/.test(system))
  )
    refuse(
      `BMC ${origin}: system must be a ComputerSystem id (not blank, '.' or '..', no '/' or control characters)`,
    );
  if (target.username?.includes(':'))
    refuse(`BMC ${origin}: a username with ':' cannot be sent with Basic auth`);
  if (!Number.isFinite(timeoutMs) || timeoutMs <= 0 || timeoutMs > 2 ** 31 - 1)
    refuse(`BMC ${origin}: timeoutMs must be a positive number of milliseconds`);

  const https = url.protocol === 'https:';
  const credentials = target.username !== undefined || target.password !== undefined;
  const token = credentials
    ? Buffer.from(`${target.username ?? ''}:${target.password ?? ''}`, 'utf8').toString('base64')
    : undefined;
  return {
    origin,
    https,
    hostname: url.hostname.replace(/^\[(.*)\]$/, '$1'),
    port: url.port ? Number(url.port) : https ? 443 : 80,
    ...(token ? { authorization: `Basic ${token}` } : {}),
    insecure: target.insecure === true,
    timeoutMs,
    secrets: [target.password, token].filter((s): s is string => !!s),
  };
}
