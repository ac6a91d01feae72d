// Site: one site's network, containers, signed build and the hosts it is written to.
import * as pulumi from '@pulumi/pulumi';
import type { ReportSpec, UpdateSpec } from '../core/site/spec';
import { Container, type ContainerArgs } from '../provider/container';
import { Deployment, type SecureBootFiles } from '../provider/deployment';
import { EspSlotWriter, type EspSlotTarget } from '../provider/esp-slot-writer';
import { Network, type NetworkArgs } from '../provider/network';

/** A container of a site: its manifest name plus the Container arguments. */
export interface SiteContainerArgs extends ContainerArgs {
  /** The VM's name in the manifest; the Pulumi resource is named `<site>-<name>`. */
  readonly name: string;
}

export interface SiteHostArgs {
  /** The host's name; its writer resource is named `<site>-<name>`. */
  readonly name: string;
  /** Where the host's build is written: an A/B disk image file or block device. */
  readonly target: pulumi.Input<EspSlotTarget>;
  /**
   * The build the host's D0 has committed (from its log): its slot is never written.
   * @default see EspSlotWriterArgs.activeUuid
   */
  readonly activeUuid?: pulumi.Input<string>;
  /**
   * An OVMF VARS file with the host's D0 NV state (the dev loop under QEMU).
   * @default see EspSlotWriterArgs.ovmfVars
   */
  readonly ovmfVars?: pulumi.Input<string>;
}

export interface SiteArgs {
  /** The site's bridge. */
  readonly network: NetworkArgs;
  readonly containers: readonly SiteContainerArgs[];
  /** The signing key seed (64 hex digits) as a secret; see provider/signing-key.ts. */
  readonly signingKey: pulumi.Input<string>;
  /** Anti-rollback epoch of the site's builds. */
  readonly securityEpoch: pulumi.Input<number>;
  /**
   * Hosts that receive the build, each through its own EspSlotWriter.
   * @default [] (build only)
   */
  readonly hosts?: readonly SiteHostArgs[];
  /**
   * Site name in the manifest.
   * @default the component's name
   */
  readonly site?: pulumi.Input<string>;
  /**
   * Where build directories go.
   * @default "<project directory>/.d0/builds" (see projectDir)
   */
  readonly outDir?: pulumi.Input<string>;
  /**
   * How D0's EFI is compiled.
   * @default "auto"
   */
  readonly kernelMode?: pulumi.Input<'auto' | 'docker' | 'host'>;
  /**
   * The site's Secure Boot db key and certificate (absolute paths): every host's D0 is signed.
   * See Deployment.secureBoot and docs/secure-boot.md.
   * @default unsigned
   */
  readonly secureBoot?: pulumi.Input<SecureBootFiles>;
  /**
   * Where the site's hosts pull their next build from (Deployment.update).
   * @default no pulls
   */
  readonly update?: pulumi.Input<UpdateSpec>;
  /**
   * The syslog collector the site's hosts report to (Deployment.report).
   * @default no reports
   */
  readonly report?: pulumi.Input<ReportSpec>;
}

export class Site extends pulumi.ComponentResource {
  readonly network: Network;
  readonly containers: Container[];
  readonly deployment: Deployment;
  /** Host name -> its writer. */
  readonly writers: Record<string, EspSlotWriter>;
  readonly buildUuid: pulumi.Output<string>;
  readonly manifestSha256: pulumi.Output<string>;
  readonly publicKey: pulumi.Output<string>;
  private readonly siteName: string;

  constructor(name: string, args: SiteArgs, opts?: pulumi.ComponentResourceOptions) {
    super('d0:index:Site', name, {}, opts);
    this.siteName = name;
    const child = { parent: this };
    this.network = new Network(`${name}-net`, args.network, child);
    this.containers = args.containers.map((c) => new Container(`${name}-${c.name}`, c, child));
    this.deployment = new Deployment(
      `${name}-build`,
      {
        network: this.network,
        containers: this.containers,
        signingKey: args.signingKey,
        securityEpoch: args.securityEpoch,
        site: args.site ?? name,
        outDir: args.outDir,
        kernelMode: args.kernelMode,
        secureBoot: args.secureBoot,
        update: args.update,
        report: args.report,
      },
      child,
    );
    this.writers = {};
    for (const h of args.hosts ?? []) this.addHost(h);
    this.buildUuid = this.deployment.buildUuid;
    this.manifestSha256 = this.deployment.manifestSha256;
    this.publicKey = this.deployment.publicKey;
    this.registerOutputs({
      buildUuid: this.buildUuid,
      manifestSha256: this.manifestSha256,
      publicKey: this.publicKey,
    });
  }

  /** Adds a host's writer (used by Fleet to order writers across sites). */
  addHost(h: SiteHostArgs, opts: { dependsOn?: pulumi.Resource[] } = {}): EspSlotWriter {
    if (h.name in this.writers)
      throw new Error(`Site ${this.siteName}: host ${h.name} is listed twice`);
    const w = new EspSlotWriter(
      `${this.siteName}-${h.name}`,
      {
        deployment: this.deployment,
        target: h.target,
        activeUuid: h.activeUuid,
        ovmfVars: h.ovmfVars,
      },
      { parent: this, dependsOn: opts.dependsOn },
    );
    this.writers[h.name] = w;
    return w;
  }
}
