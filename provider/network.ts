// The Network resource: the site's bridge (see impl/network.ts).
import * as pulumi from '@pulumi/pulumi';
import type { NetworkSpec } from '../core/site/spec';
import { loadImpl } from './load';

type Impl = typeof import('./impl/network');
const impl = () => loadImpl<Impl>('network');

export const networkProvider: pulumi.dynamic.ResourceProvider = {
  check: (olds, news) => Promise.resolve(impl().check(olds, news)),
  diff: (id, olds, news) => Promise.resolve(impl().diff(id, olds, news)),
  create: (inputs) => Promise.resolve(impl().create(inputs)),
  update: (id, olds, news) => Promise.resolve(impl().update(id, olds, news)),
};

export interface NetworkArgs {
  /** The bridge's own address and prefix, e.g. `10.20.0.1/24`; containers live in this subnet. */
  readonly bridge: pulumi.Input<string>;
  /**
   * NAT the containers' traffic out of the host.
   * @default false
   */
  readonly egressNat?: pulumi.Input<boolean>;
  /**
   * D0's own static address on the host's uplink NIC, with its prefix, e.g. `192.0.2.10/24`
   * (no DHCP). Absent: no uplink; containers still run on the bridge. Must not overlap the bridge.
   */
  readonly uplink?: pulumi.Input<string>;
  /** The uplink's gateway (in the uplink's subnet); required with `uplink`. */
  readonly uplinkGw?: pulumi.Input<string>;
  /**
   * D0 answers ICMP echo on its uplink address. D0 has no other listening service.
   * @default true
   */
  readonly uplinkEcho?: pulumi.Input<boolean>;
}

export class Network extends pulumi.dynamic.Resource {
  declare readonly bridge: pulumi.Output<string>;
  declare readonly egressNat: pulumi.Output<boolean>;
  declare readonly uplink: pulumi.Output<string | undefined>;
  declare readonly uplinkGw: pulumi.Output<string | undefined>;
  declare readonly uplinkEcho: pulumi.Output<boolean | undefined>;
  /** The network as a Deployment reads it: known at preview whenever the arguments are. */
  readonly spec: pulumi.Output<NetworkSpec>;

  constructor(name: string, args: NetworkArgs, opts?: pulumi.CustomResourceOptions) {
    const props = {
      bridge: args.bridge,
      egressNat: args.egressNat ?? false,
      uplink: args.uplink,
      uplinkGw: args.uplinkGw,
      uplinkEcho: args.uplinkEcho,
    };
    super(networkProvider, name, props, opts, 'd0', 'Network');
    this.spec = pulumi.output(props);
  }
}
