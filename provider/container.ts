// The Container resource: one micro-VM (see impl/container.ts).
import * as pulumi from '@pulumi/pulumi';
import type {
  ContainerSpec,
  ExecOverrides,
  EgressSpec,
  HealthName,
  PublishSpec,
  RateLimitSpec,
  RestartName,
  RouteSpec,
} from '../core/site/spec';
import { loadImpl } from './load';

type Impl = typeof import('./impl/container');
const impl = () => loadImpl<Impl>('container');

export const containerProvider: pulumi.dynamic.ResourceProvider = {
  check: (olds, news) => impl().check(olds, news),
  diff: (id, olds, news) => Promise.resolve(impl().diff(id, olds, news)),
  create: (inputs) => impl().create(inputs),
  update: (id, olds, news) => impl().update(id, olds, news),
};

export interface ContainerArgs {
  /**
   * The VM's name in the manifest ([a-z0-9][a-z0-9-]*, at most 32).
   * @default the resource name
   */
  readonly name?: string;
  /** `docker:NAME[:TAG]`, `oci:PATH[:REF]` or `docker-archive:FILE[:REPO:TAG]`. */
  readonly image: pulumi.Input<string>;
  /** Overrides of the image's entrypoint, args, env, cwd and user. */
  readonly exec?: pulumi.Input<ExecOverrides>;
  /**
   * vCPUs of the VM (1..16), each a CPU the guest sees. A host whose D0 cannot give a VM that
   * many (an Intel CPU without "unrestricted guest", before Westmere: 1) refuses the build at boot, which then rolls back; never run on fewer.
   * @default 1
   */
  readonly vcpu?: pulumi.Input<number>;
  /** Guest memory in MiB. */
  readonly memMb: pulumi.Input<number>;
  /** Static address with the bridge's prefix, e.g. `10.20.0.10/24`. */
  readonly ip: pulumi.Input<string>;
  /** Default gateway (usually the bridge address). */
  readonly gw?: pulumi.Input<string>;
  /**
   * MAC address.
   * @default derived from (site, name): stable across builds
   */
  readonly mac?: pulumi.Input<string>;
  readonly routes?: pulumi.Input<RouteSpec[]>;
  /**
   * Launch order (ascending; unique per site).
   * @default 0
   */
  readonly bootOrder?: pulumi.Input<number>;
  /**
   * Seconds the VM has to report healthy before the build is rolled back.
   * @default 30
   */
  readonly healthTimeoutS?: pulumi.Input<number>;
  /**
   * What healthy means: `ready` (PID1 reports readiness) or `exit-zero`.
   * @default "ready"
   */
  readonly health?: pulumi.Input<HealthName>;
  readonly restart?: pulumi.Input<RestartName>;
  /**
   * Free space in the root disk beyond the image, MiB.
   * @default 0
   */
  readonly headroomMiB?: pulumi.Input<number>;
  /**
   * Ports of D0's uplink address forwarded to this container, e.g.
   * `[{ port: 8080, targetPort: 80 }]` (protocol `tcp` by default, or `udp`). Needs the
   * Network's `uplink`; a (protocol, port) is published by one container of the site; at most 16.
   * Nothing else reaches the container from the uplink.
   */
  readonly publish?: pulumi.Input<PublishSpec[]>;
  /**
   * The egress policy: new outbound flows may reach only what `allow` lists, e.g.
   * `{ allow: [{ to: '10.0.2.2/32', protocol: 'tcp', ports: '80' }] }` (protocol `any` by
   * default; `ports` one port or a range like `8000-8100`, tcp/udp only); `{ allow: [] }` denies
   * everything; at most 16 rules. Replies of allowed flows always pass.
   * @default unrestricted (anything may leave when the Network's `egressNat` is on)
   */
  readonly egress?: pulumi.Input<EgressSpec>;
  /**
   * Token-bucket limits of the frames the VM sends (`tx`) and of those delivered to it (`rx`):
   * `bytesPerSecond` (up to 12.5e9), `packetsPerSecond` (up to 10M), `burstBytes` (at least
   * 1514 with `bytesPerSecond`). An absent or 0 dimension is unlimited.
   * @default unlimited
   */
  readonly rateLimit?: pulumi.Input<RateLimitSpec>;
}

export class Container extends pulumi.dynamic.Resource {
  declare readonly name: pulumi.Output<string>;
  declare readonly imageDigest: pulumi.Output<string>;
  /** SHA-256 of the converted root disk. */
  declare readonly diskSha256: pulumi.Output<string>;
  declare readonly diskSize: pulumi.Output<number>;
  /** The container as a Deployment reads it: known at preview whenever the arguments are. */
  readonly spec: pulumi.Output<ContainerSpec>;

  constructor(name: string, args: ContainerArgs, opts?: pulumi.CustomResourceOptions) {
    const props = {
      name: args.name ?? name,
      image: args.image,
      exec: args.exec,
      vcpu: args.vcpu ?? 1,
      memMb: args.memMb,
      ip: args.ip,
      gw: args.gw,
      mac: args.mac,
      routes: args.routes,
      bootOrder: args.bootOrder ?? 0,
      healthTimeoutS: args.healthTimeoutS ?? 30,
      health: args.health,
      restart: args.restart,
      headroomMiB: args.headroomMiB,
      publish: args.publish,
      egress: args.egress,
      rateLimit: args.rateLimit,
    };
    super(
      containerProvider,
      name,
      { ...props, imageDigest: undefined, diskSha256: undefined, diskSize: undefined },
      opts,
      'd0',
      'Container',
    );
    this.spec = pulumi.output(props) as pulumi.Output<ContainerSpec>;
  }
}
