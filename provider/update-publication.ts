// The UpdatePublication resource: a Deployment's build put into a site's publication directory
// (what its update server serves), pointed at by no host yet: each host's HostRollout writes its
// own pointer. impl/update-publication.ts has the contract.
import * as pulumi from '@pulumi/pulumi';
import type { Deployment } from './deployment';
import { loadImpl } from './load';

type Impl = typeof import('./impl/update-publication');
const impl = () => loadImpl<Impl>('update-publication');

export const updatePublicationProvider: pulumi.dynamic.ResourceProvider = {
  check: (olds, news) => Promise.resolve(impl().check(olds, news)),
  diff: (id, olds, news) => Promise.resolve(impl().diff(id, olds, news)),
  create: (inputs) => impl().create(inputs),
  update: (id, olds, news) => impl().update(id, olds, news),
  read: (id, props) => impl().read(id, props),
  delete: (id, props) => Promise.resolve(impl().remove(id, props)),
};

export interface UpdatePublicationArgs {
  /**
   * The site's publication directory, an absolute path (created when missing): the directory its
   * update server serves, holding builds/, hosts/ and netboot/ (docs/update-server.md).
   */
  readonly site: pulumi.Input<string>;
  /** The build to publish; a new build replaces the publication. */
  readonly deployment: Deployment;
}

export class UpdatePublication extends pulumi.dynamic.Resource {
  /** The site's publication directory. */
  declare readonly site: pulumi.Output<string>;
  /** The build published. */
  declare readonly buildUuid: pulumi.Output<string>;
  /** The site's public key (64 hex digits) the build verified with. */
  declare readonly publicKey: pulumi.Output<string>;
  /** `<site>/builds/<uuid>`: the build as hosts fetch it. Left in place when the resource goes. */
  declare readonly buildDir: pulumi.Output<string>;
  /** `<site>/netboot/BOOTX64.EFI`: the D0 a blank host netboots (the last build published). */
  declare readonly netbootFile: pulumi.Output<string>;
  /** True when builds/<uuid>/ already held the build and was left as it was. */
  declare readonly reused: pulumi.Output<boolean>;

  constructor(name: string, args: UpdatePublicationArgs, opts?: pulumi.CustomResourceOptions) {
    super(
      updatePublicationProvider,
      name,
      {
        site: args.site,
        buildUuid: args.deployment.buildUuid,
        slotDir: args.deployment.slotDir,
        publicKey: args.deployment.publicKey,
        resourceName: name,
        buildDir: undefined,
        netbootFile: undefined,
        reused: undefined,
      },
      opts,
      'd0',
      'UpdatePublication',
    );
  }
}
