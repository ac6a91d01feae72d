// The KernelBuild resource: D0's EFI application for one public key (see impl/kernel-build.ts).
// A Deployment builds its own through the same cache; use this one to publish D0 on its own
// (e.g. to enrol a blank host before its first build).
import * as pulumi from '@pulumi/pulumi';
import { loadImpl } from './load';

type Impl = typeof import('./impl/kernel-build');
const impl = () => loadImpl<Impl>('kernel-build');

export const kernelBuildProvider: pulumi.dynamic.ResourceProvider = {
  check: (olds, news) => Promise.resolve(impl().check(olds, news)),
  diff: (id, olds, news) => Promise.resolve(impl().diff(id, olds, news)),
  create: (inputs) => impl().create(inputs),
  read: (id, props) => Promise.resolve(impl().read(id, props)),
};

export interface KernelBuildArgs {
  /** The Ed25519 public key (64 lowercase hex digits) D0 will accept manifests from. */
  readonly publicKey: pulumi.Input<string>;
  /**
   * `docker` (pinned toolchain image), `host`, or `auto` (Docker when an engine answers).
   * @default "auto"
   */
  readonly mode?: pulumi.Input<'auto' | 'docker' | 'host'>;
}

export class KernelBuild extends pulumi.dynamic.Resource {
  /** BOOTX64.EFI in the build cache. */
  declare readonly path: pulumi.Output<string>;
  declare readonly sha256: pulumi.Output<string>;
  declare readonly size: pulumi.Output<number>;

  constructor(name: string, args: KernelBuildArgs, opts?: pulumi.CustomResourceOptions) {
    super(
      kernelBuildProvider,
      name,
      {
        publicKey: args.publicKey,
        mode: args.mode ?? 'auto',
        path: undefined,
        sha256: undefined,
        size: undefined,
      },
      opts,
      'd0',
      'KernelBuild',
    );
  }
}
