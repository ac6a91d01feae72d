// What one host's reports say about its try of one build (docs/fleet.md, "Reports"), decided by
// the first report from that host (the HOSTNAME of the line; reports of other hosts are never
// read as its own) that settles it:
// - committed:   `commit boot=<uuid>`; or `pull_done result=current target=<uuid>`: the host already
//                runs that build, committed (a rollout run again over a host it reached before);
// - rolled_back: `rollback from=<uuid>` or `slot_bad bad=<uuid>` (both carry the same reason:
//                `health:<why>` after a failed trial, or the precheck's refusal);
// - refused:     `pull_done result=refused target=<uuid>` (its reason: known_bad, epoch_below,
//                bad_signature, ...), or `boot_failed` from a boot of that build: the record's
//                trailing `uuid=` names it, or, without one, the `slot_choice` of that boot did
//                (the one since its `boot_start`).
// Nothing else decides: a pull that failed or found no pointer leaves the host on its build,
// and waiting goes on until the caller's deadline. Pure.
import type { Report } from './report-line';

export type HostOutcome =
  | { readonly outcome: 'committed'; readonly report: Report }
  | { readonly outcome: 'rolled_back'; readonly reason: string; readonly report: Report }
  | { readonly outcome: 'refused'; readonly reason: string; readonly report: Report }
  | { readonly outcome: 'timeout'; readonly last?: Report };

export type DecidedOutcome = Exclude<HostOutcome, { outcome: 'timeout' }>;

/** The reason a report gives, or `unknown` when it gives none. */
const reasonOf = (r: Report) => r.fields.reason ?? 'unknown';

/** Follows one host's reports (fed in file order) until one decides its try of `uuid`. */
export class OutcomeTracker {
  /** The first report that decided, once one did. */
  decided?: DecidedOutcome;
  /** The host's last report, decisive or not. */
  last?: Report;
  private choiceBoot?: string;

  constructor(
    readonly host: string,
    readonly uuid: string,
  ) {}

  /** Reads one report; another host's is ignored. Returns whether it was this host's. */
  feed(r: Report): boolean {
    if (r.host !== this.host) return false;
    this.last = r;
    if (!this.decided) this.decided = this.decide(r);
    return true;
  }

  private decide(r: Report): DecidedOutcome | undefined {
    const f = r.fields;
    const uuid = this.uuid;
    switch (r.event) {
      case 'boot_start': // a new boot: its choice is still to come
        this.choiceBoot = undefined;
        return undefined;
      case 'slot_choice':
        this.choiceBoot = f.boot;
        return undefined;
      case 'commit':
        return f.boot === uuid ? { outcome: 'committed', report: r } : undefined;
      case 'rollback':
        return f.from === uuid
          ? { outcome: 'rolled_back', reason: reasonOf(r), report: r }
          : undefined;
      case 'slot_bad':
        return f.bad === uuid
          ? { outcome: 'rolled_back', reason: reasonOf(r), report: r }
          : undefined;
      case 'pull_done':
        if (f.target !== uuid) return undefined;
        if (f.result === 'current') return { outcome: 'committed', report: r };
        if (f.result === 'refused') return { outcome: 'refused', reason: reasonOf(r), report: r };
        return undefined;
      case 'boot_failed':
        return (f.uuid ?? this.choiceBoot) === uuid
          ? { outcome: 'refused', reason: reasonOf(r), report: r }
          : undefined;
      default:
        return undefined;
    }
  }
}
