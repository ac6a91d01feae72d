// The cross-field rule of the manifest's report at pack time: a report needs D0's uplink, the
// only way its datagrams leave the host. D0 re-checks it after the decode (proto/SEMANTICS.md,
// SEMANTIC_REPORT_NO_UPLINK in semantic.ts); here it gets its path and the advice. The
// collector's own values (a unicast address, a port) are the decoder's, checked field by field.
import type { Collector } from './collector';

type Obj = Record<string, unknown>;

export function reportRules(c: Collector, network: Obj | undefined, report: Obj | undefined): void {
  if (!report || !network || network.uplink_ip4 !== undefined) return;
  c.add(
    'INVALID',
    'report',
    'is set but network.uplink_ip4 is not: D0 sends its reports through its uplink',
  );
}
