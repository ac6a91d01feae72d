// The HostRollout resource: one host moved to a published build and gated on its health: its
// pointer is written, it is reset through its BMC, and the resource is created (or updated) only
// once the host reported the commit of the build to the site's collector; a rollback, a refusal or
// silence fails it, naming the host and its reason, so nothing that depends on it is touched.
// impl/host-rollout.ts has the contract.
import * as pulumi from '@pulumi/pulumi';
import type { ReportedEvent } from './impl/host-reports';
import { loadImpl } from './load';
import type { UpdatePublication } from './update-publication';

type Impl = typeof import('./impl/host-rollout');
const impl = () => loadImpl<Impl>('host-rollout');

export const hostRolloutProvider: pulumi.dynamic.ResourceProvider = {
  check: (olds, news) => Promise.resolve(impl().check(olds, news)),
  diff: (id, olds, news) => Promise.resolve(impl().diff(id, olds, news)),
  create: (inputs) => impl().create(inputs),
  update: (id, olds, news) => impl().update(id, olds, news),
  read: (id, props) => Promise.resolve(impl().read(id, props)),
  delete: (id, props) => Promise.resolve(impl().remove(id, props)),
};

/** A host's BMC, reached with Redfish (docs/fleet.md, "Rebooting hosts: Redfish"). */
export interface HostRolloutBmc {
  /** The BMC: `http(s)://host[:port]`, nothing after it; credentials never in the URL. */
  readonly url: pulumi.Input<string>;
  /**
   * The ComputerSystem id to reset.
   * @default the only system the BMC has
   */
  readonly system?: pulumi.Input<string>;
  /** Sent with `password` as Basic auth, to the BMC's own origin only. */
  readonly username?: pulumi.Input<string>;
  /**
   * The BMC password, as a secret (e.g. `pulumi.secret(process.env.BMC_PASSWORD)`). Kept in the
   * provider process's memory only: never in state, outputs, logs or error messages.
   */
  readonly password?: pulumi.Input<string>;
  /**
   * Accept a TLS certificate that does not verify (BMCs ship self-signed ones).
   * @default false
   */
  readonly insecure?: pulumi.Input<boolean>;
}

/** The host rolled out. */
export interface HostRolloutHost {
  /** What the operator calls it (`web-1`): 1-63 letters, digits, '.', '_', '-'; errors name it. */
  readonly name: pulumi.Input<string>;
  /**
   * The MAC of the NIC the host pulls through, lowercase with dashes (`52-54-00-12-34-56`): the
   * name of its pointer and of its reports.
   */
  readonly mac: pulumi.Input<string>;
  /**
   * Its BMC. Required: Pulumi cannot wait for a reset by hand (roll such a host out with the
   * CLI's `d0 rollout`, which asks the operator).
   */
  readonly bmc?: HostRolloutBmc;
}

/** A build already published, named without its UpdatePublication. */
export interface PublishedBuildRef {
  /** The site's publication directory (absolute path). */
  readonly site: pulumi.Input<string>;
  /** The build's UUID: `<site>/builds/<uuid>/` must hold it. */
  readonly buildUuid: pulumi.Input<string>;
  /** The site's public key (64 hex digits): the build is checked with it before a host is pointed at it. */
  readonly publicKey: pulumi.Input<string>;
}

export interface HostRolloutArgs {
  /** The published build: an UpdatePublication, or a build already published in a site. */
  readonly publication: UpdatePublication | PublishedBuildRef;
  /** The host: its name, its MAC and its BMC. */
  readonly host: HostRolloutHost;
  /**
   * The site's syslog collector's file of the hosts' reports, an absolute path
   * (docs/fleet.md, "Reports"): the host's verdict is read there.
   */
  readonly reportsFile: pulumi.Input<string>;
  /**
   * How long the host has from its reset to its verdict (a pull, a trial boot and its VMs'
   * health timeout), seconds.
   * @default 600
   */
  readonly timeoutSeconds?: pulumi.Input<number>;
  /**
   * The Redfish reset sent to the BMC.
   * @default "ForceRestart"
   */
  readonly resetType?: pulumi.Input<'ForceRestart' | 'GracefulRestart' | 'PowerCycle' | 'On'>;
}

export class HostRollout extends pulumi.dynamic.Resource {
  /** The build the host committed. */
  declare readonly buildUuid: pulumi.Output<string>;
  /** `committed` (any other verdict fails the resource). */
  declare readonly outcome: pulumi.Output<'committed'>;
  /** When the collector received the host's commit (RFC 3339). */
  declare readonly committedAt: pulumi.Output<string>;
  /** The slot the host committed the build in (A or B), when its commit says. */
  declare readonly slot: pulumi.Output<string | undefined>;
  /**
   * The build the host's last report says it runs, as of the last `up` or `pulumi refresh`.
   */
  declare readonly reportedBuild: pulumi.Output<string | undefined>;
  /** The host's last report (as of the last `up` or `pulumi refresh`). */
  declare readonly lastReport: pulumi.Output<ReportedEvent | undefined>;
  /** Its last `commit`: the build and slot, and when. */
  declare readonly lastCommit: pulumi.Output<ReportedEvent | undefined>;
  /** Its last `rollback`: the build it left and the reason (`health:exit-nonzero`, ...). */
  declare readonly lastRollback: pulumi.Output<ReportedEvent | undefined>;

  constructor(name: string, args: HostRolloutArgs, opts?: pulumi.CustomResourceOptions) {
    const p = args.publication;
    const bmc = args.host.bmc;
    super(
      hostRolloutProvider,
      name,
      {
        site: p.site,
        buildUuid: p.buildUuid,
        publicKey: p.publicKey,
        host: {
          name: args.host.name,
          mac: args.host.mac,
          ...(bmc
            ? {
                bmc: {
                  url: bmc.url,
                  ...(bmc.system !== undefined ? { system: bmc.system } : {}),
                  ...(bmc.username !== undefined ? { username: bmc.username } : {}),
                  ...(bmc.insecure !== undefined ? { insecure: bmc.insecure } : {}),
                },
              }
            : {}),
        },
        // Its own input, a secret, so check() can take it out before anything is stored.
        bmcPassword: bmc?.password === undefined ? undefined : pulumi.secret(bmc.password),
        reportsFile: args.reportsFile,
        timeoutSeconds: args.timeoutSeconds,
        resetType: args.resetType,
        resourceName: name,
        outcome: undefined,
        committedAt: undefined,
        slot: undefined,
        reportedBuild: undefined,
        lastReport: undefined,
        lastCommit: undefined,
        lastRollback: undefined,
      },
      opts,
      'd0',
      'HostRollout',
    );
  }
}
