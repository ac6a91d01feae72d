// The Deployment resource: one signed build of a site (see impl/deployment.ts).
import * as path from 'node:path';
import * as pulumi from '@pulumi/pulumi';
import type { ContainerSpec, ReportSpec, UpdateSpec } from '../core/site/spec';
import type { Container } from './container';
import { loadImpl } from './load';
import { projectPath } from './project-path';
import type { Network } from './network';

type Impl = typeof import('./impl/deployment');
const impl = () => loadImpl<Impl>('deployment');

export const deploymentProvider: pulumi.dynamic.ResourceProvider = {
  check: (olds, news) => impl().check(olds, news),
  diff: (id, olds, news) => Promise.resolve(impl().diff(id, olds, news)),
  create: (inputs) => impl().create(inputs),
  update: (id, olds, news) => impl().update(id, olds, news),
  read: (id, props) => impl().read(id, props),
  delete: (id, props) => Promise.resolve(impl().remove(id, props)),
};

/** A Secure Boot db key pair as two absolute file paths (never their contents). */
export interface SecureBootFiles {
  /** The db private key: unencrypted PEM RSA, mode 0600 (`d0 secure-boot keys`: db.key). */
  readonly key: pulumi.Input<string>;
  /** Its X.509 certificate, PEM or DER (db.crt), the one enrolled in the hosts' db. */
  readonly cert: pulumi.Input<string>;
}

export interface DeploymentArgs {
  readonly network: Network;
  readonly containers: readonly Container[];
  /**
   * The Ed25519 signing key's 32-byte seed as 64 hex digits (what `d0 keygen` writes), as a
   * secret, e.g. `config.requireSecret("signingKey")`. Only its public key is kept in state.
   */
  readonly signingKey: pulumi.Input<string>;
  /**
   * Anti-rollback epoch: hosts refuse a build with a lower one than they committed, or one more
   * than 65536 above it (`proto/SEMANTICS.md`): a small counter, not a date.
   */
  readonly securityEpoch: pulumi.Input<number>;
  /**
   * Site name in the manifest header (also seeds derived MACs).
   * @default the resource name
   */
  readonly site?: pulumi.Input<string>;
  /**
   * Where build directories go (`<outDir>/<buildUuid>/`).
   * @default "<project directory>/.d0/builds" (see projectDir)
   */
  readonly outDir?: pulumi.Input<string>;
  /**
   * How D0's EFI is compiled: `docker` (pinned toolchain image), `host`, or `auto`.
   * @default "auto"
   */
  readonly kernelMode?: pulumi.Input<'auto' | 'docker' | 'host'>;
  /**
   * The site's Secure Boot db key and certificate, as absolute file paths (e.g. from
   * `d0 secure-boot keys`: `db.key`, unencrypted PEM RSA, mode 0600, and `db.crt`). D0 is then
   * signed with sbsign in the build's slot tree, so every EspSlotWriter writes a signed D0. Only
   * the paths and the certificate's fingerprint are kept in state; the key is read from its file
   * at build time, never by the engine.
   * @default unsigned
   */
  readonly secureBoot?: pulumi.Input<SecureBootFiles>;
  /**
   * Where the hosts pull their next build from at reboot (docs/update-server.md): the update
   * server's URL as the hosts reach it, `http://host[:port]/path/` (the publication directory an
   * UpdatePublication writes), and the pull's bound. A build without it is never pulled past:
   * its hosts pull nothing while they run it.
   * @default no pulls
   */
  readonly update?: pulumi.Input<UpdateSpec>;
  /**
   * The syslog collector the hosts report to (`a.b.c.d:port`, RFC 5424 over UDP; docs/fleet.md,
   * "Reports"); needs the network's uplink. A HostRollout reads the hosts' verdicts there.
   * @default no reports
   */
  readonly report?: pulumi.Input<ReportSpec>;
}

/** Container specs keyed by name; a second container with a taken name is keyed `name#2`. */
function byName(specs: ContainerSpec[]): Record<string, ContainerSpec> {
  const out: Record<string, ContainerSpec> = {};
  for (const s of specs) {
    let key = s.name;
    for (let i = 2; key in out; i++) key = `${s.name}#${i}`;
    out[key] = s;
  }
  return out;
}

export class Deployment extends pulumi.dynamic.Resource {
  /** The build's UUIDv7 (also the resource id): a new one for every new build. */
  declare readonly buildUuid: pulumi.Output<string>;
  /** Host memory this build needs, MiB: firmware and D0, the guest kernel, every VM's RAM, disk and overlay. */
  declare readonly hostMemoryMiB: pulumi.Output<number>;
  declare readonly manifestSha256: pulumi.Output<string>;
  declare readonly publicKey: pulumi.Output<string>;
  declare readonly buildDir: pulumi.Output<string>;
  /** The slot tree: exactly the files an ESP slot receives. */
  declare readonly slotDir: pulumi.Output<string>;
  declare readonly artifacts: pulumi.Output<Record<string, unknown>>;
  /** SHA-256 fingerprint of the Secure Boot db certificate D0 is signed for (unset: unsigned). */
  declare readonly secureBootCertSha256: pulumi.Output<string | undefined>;

  constructor(name: string, args: DeploymentArgs, opts?: pulumi.CustomResourceOptions) {
    const props = {
      site: args.site ?? name,
      network: args.network.spec,
      containers: pulumi.all(args.containers.map((c) => c.spec)).apply(byName),
      signingKey: pulumi.secret(args.signingKey),
      securityEpoch: args.securityEpoch,
      outDir: args.outDir ?? projectPath(path.join('.d0', 'builds')),
      kernelMode: args.kernelMode ?? 'auto',
      secureBoot: args.secureBoot,
      update: args.update,
      report: args.report,
      secureBootCertSha256: undefined,
      buildUuid: undefined,
      hostMemoryMiB: undefined,
      manifestSha256: undefined,
      publicKey: undefined,
      buildDir: undefined,
      slotDir: undefined,
      artifacts: undefined,
    };
    const dependsOn = [args.network, ...args.containers];
    super(
      deploymentProvider,
      name,
      props,
      { ...opts, dependsOn: [...toArray(opts?.dependsOn), ...dependsOn] },
      'd0',
      'Deployment',
    );
  }
}

function toArray(d: pulumi.CustomResourceOptions['dependsOn']): pulumi.Input<pulumi.Resource>[] {
  if (d === undefined) return [];
  return Array.isArray(d) ? d : [d as pulumi.Input<pulumi.Resource>];
}
