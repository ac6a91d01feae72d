// What a site publishes: the builds in builds/, each host's pointer and the build it names, and
// what interrupted publishes left behind. Read only; with a public key, each pointer's signature
// is checked as a host would check it.
import fs from 'node:fs';
import path from 'node:path';
import { errorCode } from '../../core/errors';
import { manifestName } from '../../core/naming';
import { verifyManifest } from '../../core/sign';
import { decodeManifest } from '../../core/tlv/decode';
import { PublishError } from './errors';
import { hostIdProblem } from './host-id';
import {
  BUILDS_DIR,
  buildEntryUuid,
  decodePointer,
  HOSTS_DIR,
  pointerEntryHost,
  publishedBuildDir,
} from './layout';

export interface HostPointer {
  readonly host: string;
  /** `<site>/hosts/<host>.d0ptr` */
  readonly file: string;
  /** The build the pointer names (its manifest's build_uuid); undefined when it does not decode. */
  readonly uuid?: string;
  /** Given a public key: whether the pointer's signature verifies over its TLV; else undefined. */
  readonly verified?: boolean;
  /** builds/<uuid>/ holds this very manifest (the same TLV bytes). */
  readonly published: boolean;
  /**
   * The first thing wrong, undefined when nothing is: bad_host_id, then D0's reasons in D0's
   * order (pointer_short bytes=N, bad_signature, tlv:<code>), then build_not_published or
   * build_manifest_differs (builds/<uuid>/ holds another manifest).
   */
  readonly problem?: string;
}

export interface PublishedBuild {
  readonly uuid: string;
  /** `<site>/builds/<uuid>` */
  readonly dir: string;
  /** The hosts whose pointer names this build, sorted. */
  readonly hosts: readonly string[];
}

export interface Publication {
  readonly site: string;
  /** Sorted by UUID, so oldest first. */
  readonly builds: readonly PublishedBuild[];
  /** Sorted by host. */
  readonly hosts: readonly HostPointer[];
  /** What a publisher killed half-way left (builds/.staging-*, hosts/.*.tmp): no host reads it. */
  readonly leftovers: readonly string[];
}

const entries = (dir: string) =>
  fs.existsSync(dir) ? fs.readdirSync(dir, { withFileTypes: true }) : [];

/** One pointer, its problems in the order D0 meets them (pull/target.h), then the site's own. */
function readPointer(
  site: string,
  host: string,
  file: string,
  publicKey?: Uint8Array,
): HostPointer {
  const bytes = fs.readFileSync(file);
  const p = decodePointer(bytes);
  const badHost = hostIdProblem(host) ? 'bad_host_id' : undefined;
  if (!p)
    return {
      host,
      file,
      published: false,
      problem: badHost ?? `pointer_short bytes=${bytes.length}`,
    };
  const verified = publicKey ? verifyManifest(p.sig, p.tlv, publicKey) : undefined;
  const badSig = verified === false ? 'bad_signature' : undefined;
  let uuid: string;
  try {
    uuid = decodeManifest(p.tlv).header.build_uuid;
  } catch (e) {
    const problem = badHost ?? badSig ?? `tlv:${errorCode(e) ?? 'ERROR'}`;
    return {
      host,
      file,
      ...(verified !== undefined ? { verified } : {}),
      published: false,
      problem,
    };
  }
  const onSite = path.join(publishedBuildDir(site, uuid), manifestName(uuid));
  const published = fs.existsSync(onSite) && fs.readFileSync(onSite).equals(p.tlv);
  const problem =
    badHost ??
    badSig ??
    (!fs.existsSync(onSite)
      ? 'build_not_published'
      : !published
        ? 'build_manifest_differs'
        : undefined);
  return { host, file, uuid, verified, published, ...(problem ? { problem } : {}) };
}

/**
 * Reads the publication at `site`: PUBLISH_SITE when it is no directory, or one with neither
 * builds/ nor hosts/ (not a publication: most likely the wrong directory).
 */
export function readPublication(site: string, publicKey?: Uint8Array): Publication {
  if (!fs.statSync(site, { throwIfNoEntry: false })?.isDirectory())
    throw new PublishError('PUBLISH_SITE', `${site}: no such directory`);
  if (![BUILDS_DIR, HOSTS_DIR].some((d) => fs.existsSync(path.join(site, d))))
    throw new PublishError(
      'PUBLISH_SITE',
      `${site}: not a publication directory (neither ${BUILDS_DIR}/ nor ${HOSTS_DIR}/ in it)`,
    );
  const leftovers: string[] = [];
  const hosts: HostPointer[] = [];
  for (const e of entries(path.join(site, HOSTS_DIR))) {
    const file = path.join(site, HOSTS_DIR, e.name);
    const host = pointerEntryHost(e.name);
    if (e.name.startsWith('.') && e.name.endsWith('.tmp')) leftovers.push(file);
    else if (host !== undefined && e.isFile()) hosts.push(readPointer(site, host, file, publicKey));
  }
  hosts.sort((a, b) => (a.host < b.host ? -1 : 1));
  const builds: PublishedBuild[] = [];
  for (const e of entries(path.join(site, BUILDS_DIR))) {
    const uuid = buildEntryUuid(e.name);
    if (e.name.startsWith('.staging-')) leftovers.push(path.join(site, BUILDS_DIR, e.name));
    else if (uuid && e.isDirectory())
      builds.push({
        uuid,
        dir: publishedBuildDir(site, uuid),
        hosts: hosts.filter((h) => h.uuid === uuid).map((h) => h.host),
      });
  }
  builds.sort((a, b) => (a.uuid < b.uuid ? -1 : 1));
  return { site, builds, hosts, leftovers: leftovers.sort() };
}
