// Network: the site's bridge. No side effect of its own. check() is lenient for the same reason
// as Container's (container.ts): a failing check would stop the preview here and hide the rest of
// the site's problems, and the Deployment reports the network's problems (`network.bridge`) with
// them. create() and update() refuse a network with problems.
import type * as pulumi from '@pulumi/pulumi';
import type { Problem } from '../../core/errors';
import { planBuild } from '../../core/site/plan';
import type { NetworkSpec } from '../../core/site/spec';
import { refuseProblems, scoped, withoutProvider } from './problems';

type Inputs = NetworkSpec & Record<string, unknown>;

export function check(_olds: Inputs, news: Inputs): pulumi.dynamic.CheckResult {
  return { inputs: { ...news, egressNat: news.egressNat ?? false }, failures: [] };
}

/** The fields whose change makes a different network (and so a new signed build). */
const NETWORK_KEYS = ['bridge', 'egressNat', 'uplink', 'uplinkGw', 'uplinkEcho'] as const;
/** What an absent field means (the manifest's defaults), so leaving out a default is no change. */
const DEFAULTS: Record<(typeof NETWORK_KEYS)[number], unknown> = {
  bridge: null,
  egressNat: false,
  uplink: null,
  uplinkGw: null,
  uplinkEcho: true,
};

/** The network's own problems at its own paths (`bridge`, `egressNat`, `uplink`, ...). */
export function ownProblems(news: Inputs): Problem[] {
  // A site of no containers: only the network's own problems are kept.
  const p = planBuild({ network: withoutProvider(news), securityEpoch: 0, containers: [] });
  return scoped(p.problems, 'network');
}

export function diff(_id: string, olds: Inputs, news: Inputs): pulumi.dynamic.DiffResult {
  const value = (v: Inputs, k: (typeof NETWORK_KEYS)[number]) => v[k] ?? DEFAULTS[k];
  const changed = NETWORK_KEYS.filter((k) => value(olds, k) !== value(news, k));
  return { changes: changed.length > 0, replaces: [] };
}

export function create(inputs: Inputs): pulumi.dynamic.CreateResult {
  refuseProblems(`Network ${JSON.stringify(inputs.bridge)}`, ownProblems(inputs));
  return { id: `bridge-${inputs.bridge}`, outs: withoutProvider(inputs) };
}

export function update(_id: string, _olds: Inputs, news: Inputs): pulumi.dynamic.UpdateResult {
  refuseProblems(`Network ${JSON.stringify(news.bridge)}`, ownProblems(news));
  return { outs: withoutProvider(news) };
}
