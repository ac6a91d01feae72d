// Fleet: several sites, each with its own build, and their hosts rolled out in batches (an
// optional canary batch first, then batches of batchSize; ./rollout.ts), in one of two ways:
// - With `updateServer`: each site's build is published into the update server's directory (an
//   UpdatePublication per site) and each host is moved to it by a HostRollout: its pointer
//   written, a reset through its BMC, and its verdict read from the site's collector. Every
//   HostRollout of a batch depends on every HostRollout of the previous batch, so `pulumi up`
//   starts batch k+1 only once every host of batch k reported the commit of its build, and a
//   rollback, refusal or silence there fails that HostRollout and stops the rollout: later
//   batches are neither pointed at the build nor reset (./fleet-rollout.ts).
// - Without it: each host's disk is written by an EspSlotWriter, and the writers of a batch depend
//   on every writer of the previous batch, so batch k+1 is written once batch k is *written*:
//   the engine cannot see those hosts' health, which is D0's, on each host.
import * as pulumi from '@pulumi/pulumi';
import type { SecureBootFiles } from '../provider/deployment';
import type { EspSlotWriter } from '../provider/esp-slot-writer';
import type { HostRollout } from '../provider/host-rollout';
import type { UpdatePublication } from '../provider/update-publication';
import { checkFleetHosts, type FleetHostArgs } from './fleet-hosts';
import { rollOutThroughUpdateServer, type FleetUpdateServerArgs } from './fleet-rollout';
import { rolloutBatches, type RolloutStep } from './rollout';
import { Site, type SiteArgs, type SiteHostArgs } from './site';

export type { FleetHostArgs } from './fleet-hosts';
export type { FleetUpdateServerArgs } from './fleet-rollout';

export interface FleetSiteArgs extends Omit<
  SiteArgs,
  'signingKey' | 'securityEpoch' | 'hosts' | 'kernelMode' | 'outDir'
> {
  readonly name: string;
  /** The site's hosts, in rollout order. */
  readonly hosts: readonly FleetHostArgs[];
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
   * Hosts per batch (after the canary batch, when there is one).
   * @default 1
   */
  readonly batchSize?: number;
  /**
   * The size of a first batch, the canary, before batches of batchSize.
   * @default no canary batch
   */
  readonly canary?: number;
  /**
   * Roll out through the update server, gated on each host's health: each site's build is
   * published there and each host (with `mac` and `bmc`) is pointed at it, reset and awaited; a
   * batch starts once every host of the one before committed its build.
   * @default none: each host's `target` disk is written (EspSlotWriter)
   */
  readonly updateServer?: FleetUpdateServerArgs;
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
  /** Writers per batch, in rollout order (none with `updateServer`). */
  readonly batches: EspSlotWriter[][];
  /** With `updateServer`: each site's publication of its build, by site name. */
  readonly publications: Record<string, UpdatePublication>;
  /** With `updateServer`: the HostRollouts per batch, in rollout order. */
  readonly rollouts: HostRollout[][];
  readonly buildUuids: pulumi.Output<Record<string, string>>;

  constructor(name: string, args: FleetArgs, opts?: pulumi.ComponentResourceOptions) {
    super('d0:index:Fleet', name, {}, opts);
    const names = args.sites.map((s) => s.name);
    const twice = names.find((n, i) => names.indexOf(n) !== i);
    if (twice !== undefined) throw new Error(`Fleet ${name}: site ${twice} is listed twice`);
    // The order and every host are checked before any resource is made.
    const plan = rolloutBatches(
      args.sites.flatMap((s) => s.hosts.map((h) => ({ site: s.name, host: h.name }))),
      args.batchSize ?? 1,
      args.canary,
    );
    const hostArgs = new Map(
      args.sites.flatMap((s) => s.hosts.map((h) => [`${s.name}/${h.name}`, h] as const)),
    );
    const hostOf = (b: RolloutStep) => hostArgs.get(`${b.site}/${b.host}`)!;
    checkFleetHosts(name, args.updateServer !== undefined, plan.flat(), hostOf);
    this.sites = {};
    for (const s of args.sites) {
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
          update: s.update,
          report: s.report,
        },
        { parent: this },
      );
    }
    this.batches = [];
    this.publications = {};
    this.rollouts = [];
    if (args.updateServer) {
      const r = rollOutThroughUpdateServer(
        this.sites,
        plan,
        (b) => {
          const h = hostOf(b);
          return { name: h.name, mac: h.mac!, bmc: h.bmc! };
        },
        args.updateServer,
      );
      this.publications = r.publications;
      this.rollouts = r.rollouts;
    } else {
      for (const batch of plan) {
        const previous = this.batches[this.batches.length - 1] ?? [];
        this.batches.push(
          batch.map((b) =>
            this.sites[b.site].addHost(hostOf(b) as SiteHostArgs, { dependsOn: previous }),
          ),
        );
      }
    }
    const uuids = Object.entries(this.sites).map(([n, s]) =>
      s.buildUuid.apply((u) => [n, u] as const),
    );
    this.buildUuids = pulumi.all(uuids).apply((l) => Object.fromEntries(l));
    this.registerOutputs({ buildUuids: this.buildUuids });
  }
}
