// Progress of a resource's create/update, as lines the Pulumi CLI shows while the resource is
// being created: `Container web: image: 12.3 of 40.0 MiB of layers read`,
// `Deployment site: guest kernel: 412 of ~1005 objects compiled (41 %), 3:12`,
// `EspSlotWriter host-01: slot B: 24.0 of 40.0 MiB written`.
//
// The channel is the provider process's stderr. @pulumi/pulumi 3.248's `pulumi.log.*` called
// inside a dynamic provider may never reach the engine (pulumi/pulumi#18249), while the engine
// reads a dynamic provider's stderr and shows each line under the resource's diagnostics, also in
// the non-interactive output of `pulumi up --yes --non-interactive` (test/pulumi/progress.test.ts
// checks this on the real engine). The Deployment's "new signed build" notice uses the same route.
//
// Lines carry names, counts and sizes only: never a key, a secret or an input value.
import { conversionText, mib } from '../../builder/image/progress-text';
import type { ProgressEvent } from '../../builder/image/build';

export interface ProgressSink {
  /** A one-off line (a builder step): always written. */
  line(text: string): void;
  /**
   * A phase's running count: its first line and its `end` line are always written, the others at
   * most one every `everyMs` per phase, so a log stays short. A line equal to the phase's
   * previous one is never repeated.
   */
  phase(name: string, text: string, end?: boolean): void;
}

export function progressSink(
  prefix: string,
  write: (line: string) => void = (line) => process.stderr.write(line + '\n'),
  everyMs = 2000,
  now: () => number = Date.now,
): ProgressSink {
  const last = new Map<string, { at: number; text: string }>();
  return {
    line: (text) => write(`${prefix}: ${text}`),
    phase(name, text, end = false) {
      const t = now();
      const before = last.get(name);
      if (before?.text === text) return;
      if (!end && before !== undefined && t - before.at < everyMs) return;
      last.set(name, { at: t, text });
      write(`${prefix}: ${name}: ${text}`);
    },
  };
}

/** Image conversions' events, each under the phase the caller names (`image`, `image web`). */
export function imageProgress(sink: ProgressSink): (phase: string, e: ProgressEvent) => void {
  return (phase, e) => {
    const end = e.phase === 'image' || (e.storedTotal !== undefined && e.stored === e.storedTotal);
    sink.phase(phase, conversionText(e), end);
  };
}

/** A slot write's bytes as the phase `slot X`. */
export function slotProgress(
  sink: ProgressSink,
): (letter: string, done: number, total: number) => void {
  return (letter, done, total) =>
    sink.phase(`slot ${letter}`, `${mib(done)} of ${mib(total)} MiB written`, done === total);
}
