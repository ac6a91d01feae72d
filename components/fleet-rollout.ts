// A Fleet's rollout through the update server: each site's build published once (an
// UpdatePublication, `<site>-publication`), then one HostRollout per host (`<site>-<host>`), both
// children of the host's Site. Every HostRollout of a batch depends on every HostRollout of the
// batch before, i.e. on those hosts having reported the commit of their build: a rollback, a
// refusal or silence in batch k fails its HostRollout, and the engine never starts batch k+1.
import type * as pulumi from '@pulumi/pulumi';
import { HostRollout, type HostRolloutBmc } from '../provider/host-rollout';
import { UpdatePublication } from '../provider/update-publication';
import type { RolloutStep } from './rollout';
import type { Site } from './site';

export interface FleetUpdateServerArgs {
  /**
   * The publication directory every site's build is published into (absolute path): the
   * directory the update server serves, named by the builds' `update.url`.
   */
  readonly site: string;
  /** The syslog collector's file of the hosts' reports (absolute path; docs/fleet.md). */
  readonly reportsFile: string;
  /**
   * Each host's time from its reset to its verdict, seconds.
   * @default 600
   */
  readonly timeoutSeconds?: number;
  /**
   * The Redfish reset sent to each host's BMC.
   * @default "ForceRestart"
   */
  readonly resetType?: 'ForceRestart' | 'GracefulRestart' | 'PowerCycle' | 'On';
}

/** A host as the rollout needs it (fleet.ts has checked that mac and bmc are there). */
export interface PullingHost {
  readonly name: string;
  readonly mac: pulumi.Input<string>;
  readonly bmc: HostRolloutBmc;
}

export interface FleetRollout {
  readonly publications: Record<string, UpdatePublication>;
  readonly rollouts: HostRollout[][];
}

/** The publications and the HostRollouts of the plan, batch by batch. */
export function rollOutThroughUpdateServer(
  sites: Record<string, Site>,
  plan: readonly (readonly RolloutStep[])[],
  hostOf: (step: RolloutStep) => PullingHost,
  server: FleetUpdateServerArgs,
): FleetRollout {
  const publications: Record<string, UpdatePublication> = {};
  for (const [name, site] of Object.entries(sites))
    publications[name] = new UpdatePublication(
      `${name}-publication`,
      { site: server.site, deployment: site.deployment },
      { parent: site },
    );
  const rollouts: HostRollout[][] = [];
  for (const batch of plan) {
    const previous = rollouts[rollouts.length - 1] ?? [];
    rollouts.push(
      batch.map((step) => {
        const host = hostOf(step);
        return new HostRollout(
          `${step.site}-${step.host}`,
          {
            publication: publications[step.site],
            host: { name: host.name, mac: host.mac, bmc: host.bmc },
            reportsFile: server.reportsFile,
            timeoutSeconds: server.timeoutSeconds,
            resetType: server.resetType,
          },
          { parent: sites[step.site], dependsOn: previous },
        );
      }),
    );
  }
  return { publications, rollouts };
}
