// The EspSlotWriter resource: writes a Deployment's build onto one host's A/B disk, into the
// INACTIVE slot (the running build's slot is never written). impl/esp-slot-writer.ts has the
// whole contract: first deployment, how the active slot is known, what is refused.
import * as pulumi from '@pulumi/pulumi';
import type { Deployment } from './deployment';
import type { NextBoot, SlotReading } from './impl/esp-slot-read';
import { loadImpl } from './load';

type Impl = typeof import('./impl/esp-slot-writer');
const impl = () => loadImpl<Impl>('esp-slot-writer');
const reader = () => loadImpl<typeof import('./impl/esp-slot-read')>('esp-slot-read');

export const espSlotWriterProvider: pulumi.dynamic.ResourceProvider = {
  check: (olds, news) => Promise.resolve(impl().check(olds, news)),
  diff: (id, olds, news) => Promise.resolve(impl().diff(id, olds, news)),
  create: (inputs) => impl().create(inputs),
  update: (id, olds, news) => impl().update(id, olds, news),
  read: (id, props) => reader().read(id, props),
  delete: (id, props) => Promise.resolve(impl().remove(id, props)),
};

export interface EspSlotTarget {
  /**
   * A disk image file (absolute path; its directory must exist). When it does not exist, a fresh
   * A/B disk is laid out with the build in slot A; when it exists, it must be an A/B disk D0 made.
   */
  readonly diskImage?: string;
  /**
   * A block device (absolute path) that already holds a D0 A/B disk; the writer never lays out
   * a device (write a `d0 disk build` image to it once).
   */
  readonly blockDevice?: string;
}

export interface EspSlotWriterArgs {
  readonly deployment: Deployment;
  /** Exactly one of diskImage or blockDevice. */
  readonly target: pulumi.Input<EspSlotTarget>;
  /**
   * The UUID of the build D0 on the host has committed (its `commit`/`slot_choice` log): the
   * slot holding it is never written.
   * @default the active slot from D0's NV state (ovmfVars), else the only slot whose build verifies
   */
  readonly activeUuid?: pulumi.Input<string>;
  /**
   * An OVMF VARS file holding D0's NV state (the dev loop under QEMU).
   * @default "<diskImage>.vars.fd" when that file exists (what `d0 run` keeps)
   */
  readonly ovmfVars?: pulumi.Input<string>;
}

export class EspSlotWriter extends pulumi.dynamic.Resource {
  /** The build now on the target. */
  declare readonly writtenUuid: pulumi.Output<string>;
  /** The slot holding it: "A" or "B". */
  declare readonly slot: pulumi.Output<'A' | 'B'>;
  /** SHA-256 of that slot partition's bytes. */
  declare readonly slotSha256: pulumi.Output<string>;
  /** Size of the slot partition in bytes. */
  declare readonly bytes: pulumi.Output<number>;
  /** False when the build was already on the slot and nothing was written. */
  declare readonly wrote: pulumi.Output<boolean>;
  /**
   * Each slot of the target as last read (by `up` or `pulumi refresh`): the build it holds,
   * whether D0 would run it and why not, and its role where D0's NV state is known. See
   * impl/esp-slot-read.ts.
   */
  declare readonly slots: pulumi.Output<Partial<Record<'A' | 'B', SlotReading>> | undefined>;
  /**
   * What the host's next boot will do: the slot and build D0 ends up running and how (`trial,
   * commit`, `first boot: trial, commit`, ...). With no NV state known (no VARS file, no
   * `activeUuid`) it is a host's first boot: the newest verified build runs first, the other
   * slot's as fallback. See impl/esp-slot-read.ts.
   */
  declare readonly nextBoot: pulumi.Output<NextBoot | undefined>;
  /** Set by `pulumi refresh` when the target is missing or no A/B disk D0 made. */
  declare readonly targetProblem: pulumi.Output<string | undefined>;

  constructor(name: string, args: EspSlotWriterArgs, opts?: pulumi.CustomResourceOptions) {
    super(
      espSlotWriterProvider,
      name,
      {
        buildUuid: args.deployment.buildUuid,
        slotDir: args.deployment.slotDir,
        publicKey: args.deployment.publicKey,
        target: args.target,
        activeUuid: args.activeUuid,
        ovmfVars: args.ovmfVars,
        resourceName: name,
        writtenUuid: undefined,
        slot: undefined,
        slotSha256: undefined,
        bytes: undefined,
        wrote: undefined,
        created: undefined,
        slots: undefined,
        nextBoot: undefined,
        targetProblem: undefined,
      },
      opts,
      'd0',
      'EspSlotWriter',
    );
  }
}
