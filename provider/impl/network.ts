// Network: the site's bridge. No side effect of its own; check() runs core/'s network rules.
import type * as pulumi from '@pulumi/pulumi';
import { planBuild } from '../../core/site/plan';
import type { NetworkSpec } from '../../core/site/spec';
import { failures, hasUnknown, scoped, withoutProvider } from './problems';

type Inputs = NetworkSpec & Record<string, unknown>;

export function check(_olds: Inputs, news: Inputs): pulumi.dynamic.CheckResult {
  const inputs = { ...news, egressNat: news.egressNat ?? false };
  if (hasUnknown(withoutProvider(news))) return { inputs };
  // A site of one placeholder container: only the network's own problems are kept.
  const p = planBuild({ network: inputs, securityEpoch: 0, containers: [] });
  const own = scoped(p.problems, 'network');
  return { inputs, failures: failures(own) };
}

export function diff(_id: string, olds: Inputs, news: Inputs): pulumi.dynamic.DiffResult {
  const changed = (['bridge', 'egressNat'] as const).filter(
    (k) => (olds[k] ?? false) !== (news[k] ?? false),
  );
  return { changes: changed.length > 0, replaces: [] };
}

export function create(inputs: Inputs): pulumi.dynamic.CreateResult {
  return { id: `bridge-${inputs.bridge}`, outs: withoutProvider(inputs) };
}

export function update(_id: string, _olds: Inputs, news: Inputs): pulumi.dynamic.UpdateResult {
  return { outs: withoutProvider(news) };
}
