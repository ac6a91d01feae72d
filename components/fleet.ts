// Fleet: several sites, each with its own build, and their hosts rolled out in batches: the
// writers of each batch depend on every writer of the previous batch, so `pulumi up` writes
// batch 1 only after batch 0 is written. (The engine cannot see a host's health: a batch is done
// when its slots are written. Health and rollback are D0's, on each host.)
import * as pulumi from '@pulumi/pulumi';
import type { SecureBootFiles } from '../provider/deployment';
import type { EspSlotWriter } from '../provider/esp-slot-writer';
import { rolloutBatches } from './rollout';
import { Site, type SiteArgs, type SiteHostArgs } from './site';

export interface FleetSiteArgs extends Omit<
  SiteArgs,
  'signingKey' | 'securityEpoch' | 'hosts' | 'kernelMode' | 'outDir'
> {
  readonly name: string;
  /** The site's hosts, in rollout order. */
  readonly hosts: readonly SiteHostArgs[];
  /**
   * The site's epoch.
   * @default the fleet's securityEpoch
   */
  readonly securityEpoch?: pulumi.Input<number>;
}

export interface FleetArgs {
  /** Sites in rollout order. */
  readonly sites: readonly FleetSiteArgs[];
  /** The signing key seed (64 hex digits) as a secret; see provider/signing-key.ts. */
  readonly signingKey: pulumi.Input<string>;
  readonly securityEpoch: pulumi.Input<number>;
  /**
   * Hosts written per batch.
   * @default 1
   */
  readonly batchSize?: number;
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
   * The Secure Boot db key and certificate (absolute paths) of every site that names none.
   * @default unsigned
   */
  readonly secureBoot?: pulumi.Input<SecureBootFiles>;
}

export class Fleet extends pulumi.ComponentResource {
  readonly sites: Record<string, Site>;
  /** Writers per batch, in rollout order. */
  readonly batches: EspSlotWriter[][];
  readonly buildUuids: pulumi.Output<Record<string, string>>;

  constructor(name: string, args: FleetArgs, opts?: pulumi.ComponentResourceOptions) {
    super('d0:index:Fleet', name, {}, opts);
    this.sites = {};
    for (const s of args.sites) {
      if (s.name in this.sites) throw new Error(`Fleet ${name}: site ${s.name} is listed twice`);
      this.sites[s.name] = new Site(
        s.name,
        {
          network: s.network,
          containers: s.containers,
          site: s.site,
          signingKey: args.signingKey,
          securityEpoch: s.securityEpoch ?? args.securityEpoch,
          outDir: args.outDir,
          kernelMode: args.kernelMode,
          secureBoot: s.secureBoot ?? args.secureBoot,
        },
        { parent: this },
      );
    }
    const plan = rolloutBatches(
      args.sites.flatMap((s) => s.hosts.map((h) => ({ site: s.name, host: h.name }))),
      args.batchSize ?? 1,
    );
    const hostArgs = new Map(
      args.sites.flatMap((s) => s.hosts.map((h) => [`${s.name}/${h.name}`, h] as const)),
    );
    this.batches = [];
    for (const batch of plan) {
      const previous = this.batches[this.batches.length - 1] ?? [];
      this.batches.push(
        batch.map((b) =>
          this.sites[b.site].addHost(hostArgs.get(`${b.site}/${b.host}`)!, { dependsOn: previous }),
        ),
      );
    }
    const uuids = Object.entries(this.sites).map(([n, s]) =>
      s.buildUuid.apply((u) => [n, u] as const),
    );
    this.buildUuids = pulumi.all(uuids).apply((l) => Object.fromEntries(l));
    this.registerOutputs({ buildUuids: this.buildUuids });
  }
}
