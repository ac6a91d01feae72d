// The EspSlotWriter resource: writes a Deployment's build onto a host's disk (see
// impl/esp-slot-writer.ts for what is written today and how the A/B writer slots in).
import * as pulumi from '@pulumi/pulumi';
import type { Deployment } from './deployment';
import { loadImpl } from './load';

type Impl = typeof import('./impl/esp-slot-writer');
const impl = () => loadImpl<Impl>('esp-slot-writer');

export const espSlotWriterProvider: pulumi.dynamic.ResourceProvider = {
  check: (olds, news) => Promise.resolve(impl().check(olds, news)),
  diff: (id, olds, news) => Promise.resolve(impl().diff(id, olds, news)),
  create: (inputs) => impl().create(inputs),
  update: (id, olds, news) => impl().update(id, olds, news),
  delete: (id, props) => Promise.resolve(impl().remove(id, props)),
};

export interface EspSlotTarget {
  /** A disk image file (absolute path; its directory must exist). */
  readonly diskImage?: string;
  /** A block device, overwritten from its first byte (absolute path). */
  readonly blockDevice?: string;
}

export interface EspSlotWriterArgs {
  readonly deployment: Deployment;
  /** Exactly one of diskImage or blockDevice. */
  readonly target: pulumi.Input<EspSlotTarget>;
}

export class EspSlotWriter extends pulumi.dynamic.Resource {
  /** The build now on the target. */
  declare readonly writtenUuid: pulumi.Output<string>;
  declare readonly bytes: pulumi.Output<number>;

  constructor(name: string, args: EspSlotWriterArgs, opts?: pulumi.CustomResourceOptions) {
    super(
      espSlotWriterProvider,
      name,
      {
        buildUuid: args.deployment.buildUuid,
        slotDir: args.deployment.slotDir,
        target: args.target,
        writtenUuid: undefined,
        bytes: undefined,
      },
      opts,
      'd0',
      'EspSlotWriter',
    );
  }
}
