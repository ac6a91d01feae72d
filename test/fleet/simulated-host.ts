// A simulated D0 host for the rollout tests: no emulator, just what a rollout sees of a host.
// reset() is what its BMC's reset action (or an operator) does: after delayMs the host "boots":
// it reads its pointer from the site as a pull would (the pointer must verify with the site's
// key), and sends the RFC 5424 datagrams a real host sends its collector over UDP (docs/fleet.md,
// "Reports": `<PRI>1 - <id> d0 - <event> - seq=N ev=<event> ... uuid=<build>`), in order, one
// datagram each:
//   commit     the trial boot of the target: slot_choice role=trial, manifest_verified,
//              build_healthy, commit boot=<target>;
//   rollBack   the trial boot: slot_choice role=trial, health_failed, slot_bad and rollback with
//              reason health:<why>; then the boot of its old build, whose pull refuses the target
//              as known_bad;
//   refuse     the boot of its old build, whose pull refuses the target with that reason;
//   silent     nothing (a host whose reports never arrive).
// A trial start's own events are not sent (a real host resets before its uplink runs). A host
// whose pointer names nothing new boots its old build and reports the pull's result.
import dgram from 'node:dgram';
import { readPublication } from '../../builder/publish';
import { formatLogfmt } from '../../core/logfmt';

export type Behaviour =
  'commit' | { readonly rollBack: string } | { readonly refuse: string } | 'silent';

export interface SimulatedHostOptions {
  readonly site: string;
  readonly publicKey: Uint8Array;
  /** The collector's UDP port on 127.0.0.1. */
  readonly collectorPort: number;
  readonly behaviour: Behaviour;
  /** From the reset to the first datagram (default 100 ms). */
  readonly delayMs?: number;
}

/** The build every simulated host runs before the rollout. */
export const OLD_BUILD = '01900000-0000-7000-8000-000000000001';

// RFC 5424 PRI as D0 sends it: facility local0, severity by event (kernel/log/report.c).
const SEVERITY: Readonly<Record<string, number>> = {
  boot_failed: 3,
  health_failed: 3,
  rollback: 4,
  slot_bad: 4,
  commit: 5,
  build_healthy: 5,
};

export class SimulatedHost {
  /** When each reset came, ms since the epoch. */
  readonly resets: number[] = [];
  /** Each message sent, in order. */
  readonly sent: string[] = [];
  /** Each boot's work, so a test can await the datagrams of the resets so far. */
  private readonly booting: Promise<void>[] = [];
  private seq = 0;

  constructor(
    readonly id: string,
    private readonly opts: SimulatedHostOptions,
  ) {}

  /** A reset: the host boots after delayMs; returns at once, as a BMC answers a reset. */
  reset(): void {
    this.resets.push(Date.now());
    this.booting.push(
      new Promise<void>((resolve) => setTimeout(resolve, this.opts.delayMs ?? 100)).then(() =>
        this.boot(),
      ),
    );
  }

  /** Resolves once every boot begun so far has sent its datagrams. */
  async settled(): Promise<void> {
    await Promise.all(this.booting);
  }

  private async boot(): Promise<void> {
    const b = this.opts.behaviour;
    if (b === 'silent') return;
    this.seq = 0;
    const pointer = readPublication(this.opts.site, this.opts.publicKey).hosts.find(
      (h) => h.host === this.id,
    );
    const target = pointer?.verified && !pointer.problem ? pointer.uuid : undefined;
    const lines: [string, Record<string, string>, string][] = [];
    const committedBoot = (pull: Record<string, string>) => {
      this.seq = 0;
      lines.push(['boot_start', { d0: 'test' }, OLD_BUILD]);
      lines.push(['slot_choice', { role: 'committed', boot: OLD_BUILD, slot: 'A' }, OLD_BUILD]);
      lines.push(['pull_done', { ...pull, running: OLD_BUILD, slot: 'B' }, OLD_BUILD]);
    };
    if (!target) committedBoot({ result: 'none', http_status: '404' });
    else if (b === 'commit') {
      lines.push(['boot_start', { d0: 'test' }, target]);
      lines.push([
        'slot_choice',
        { role: 'trial', boot: target, slot: 'B', last_good: OLD_BUILD, trial: target },
        target,
      ]);
      lines.push(['manifest_verified', { boot: target, epoch: '1' }, target]);
      lines.push(['build_healthy', { vms: '1' }, target]);
      lines.push([
        'commit',
        {
          boot: target,
          slot: 'B',
          previous: OLD_BUILD,
          fallback: 'A',
          role: 'trial',
          epoch: '1',
          ms: '397',
        },
        target,
      ]);
    } else if ('rollBack' in b) {
      const reason = `health:${b.rollBack}`;
      lines.push(['boot_start', { d0: 'test' }, target]);
      lines.push([
        'slot_choice',
        { role: 'trial', boot: target, slot: 'B', last_good: OLD_BUILD, trial: target },
        target,
      ]);
      lines.push(['health_failed', { vm: 'web', reason: b.rollBack, role: 'trial' }, target]);
      lines.push(['slot_bad', { bad: target, slot: 'B', reason, last_good: OLD_BUILD }, target]);
      lines.push(['rollback', { from: target, to: OLD_BUILD, reason }, target]);
      await this.send(lines.splice(0));
      committedBoot({ result: 'refused', reason: 'known_bad', target });
    } else committedBoot({ result: 'refused', reason: b.refuse, target });
    await this.send(lines);
  }

  private async send(lines: [string, Record<string, string>, string][]): Promise<void> {
    const sock = dgram.createSocket('udp4');
    try {
      for (const [ev, fields, uuid] of lines) {
        const record = formatLogfmt({ seq: String(this.seq++), ev, ...fields, uuid });
        const msg = `<${16 * 8 + (SEVERITY[ev] ?? 6)}>1 - ${this.id} d0 - ${ev} - ${record}`;
        this.sent.push(msg);
        await new Promise<void>((resolve, reject) =>
          sock.send(msg, this.opts.collectorPort, '127.0.0.1', (e) => (e ? reject(e) : resolve())),
        );
      }
    } finally {
      sock.close();
    }
  }
}
