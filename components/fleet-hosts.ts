// A Fleet's hosts: each one a disk to write, or, with the fleet's updateServer, a host that pulls
// its build and is reset through its BMC; and the check, in the program, that every host fits the
// way the fleet rolls out.
import type * as pulumi from '@pulumi/pulumi';
import type { EspSlotTarget } from '../provider/esp-slot-writer';
import type { HostRolloutBmc } from '../provider/host-rollout';
import type { RolloutStep } from './rollout';
import type { SiteHostArgs } from './site';

/**
 * A host of a fleet: a disk to write (`target`), or, with the fleet's `updateServer`, a host that
 * pulls its build (`mac` and `bmc`).
 */
export interface FleetHostArgs extends Omit<SiteHostArgs, 'target'> {
  /** The host's name; its EspSlotWriter, or with `updateServer` its HostRollout, is `<site>-<name>`. */
  readonly name: string;
  /**
   * Without `updateServer`: where the host's build is written (an A/B disk image or block
   * device). Not given with `updateServer`.
   */
  readonly target?: pulumi.Input<EspSlotTarget>;
  /**
   * With `updateServer`: the MAC of the NIC the host pulls through, lowercase with dashes
   * (`52-54-00-12-34-56`).
   */
  readonly mac?: pulumi.Input<string>;
  /**
   * With `updateServer`: the host's BMC, through which it is reset (Redfish). A host without one
   * is rolled out with the CLI's `d0 rollout`.
   */
  readonly bmc?: HostRolloutBmc;
}

/**
 * Refuses, in the program, a host the chosen way cannot roll out: without updateServer one with
 * no target, with it one with a target, no mac or no bmc, or a MAC given twice.
 */
export function checkFleetHosts(
  fleet: string,
  updateServer: boolean,
  steps: readonly RolloutStep[],
  hostOf: (b: RolloutStep) => FleetHostArgs,
): void {
  const macs = new Map<string, string>();
  for (const step of steps) {
    const h = hostOf(step);
    const where = `Fleet ${fleet}: host ${h.name} of site ${step.site}`;
    if (!updateServer) {
      if (h.target === undefined)
        throw new Error(
          `${where} has no target (give its disk, or the fleet's updateServer and the host's mac and bmc)`,
        );
      continue;
    }
    if (h.target !== undefined)
      throw new Error(
        `${where}: target is for writing a disk; with updateServer a host pulls its build (give mac and bmc)`,
      );
    if (h.mac === undefined)
      throw new Error(
        `${where} has no mac (the MAC of the NIC it pulls through: its pointer's name)`,
      );
    if (h.bmc === undefined)
      throw new Error(
        `${where} has no bmc: Pulumi resets hosts through their BMC and cannot wait for a reset by hand; roll such a host out with \`d0 rollout\``,
      );
    if (typeof h.mac === 'string') {
      const other = macs.get(h.mac);
      if (other) throw new Error(`${where}: mac ${h.mac} is also host ${other}'s`);
      macs.set(h.mac, `${h.name} of site ${step.site}`);
    }
  }
}
