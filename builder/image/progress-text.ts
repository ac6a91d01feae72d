// The words of image conversion progress, in one place: `d0 image build` (cli/commands/image.ts)
// and the Pulumi provider's progress lines (provider/impl/progress.ts) both render
// builder/image/build.ts's ProgressEvent with these.
import type { ProgressEvent } from './build';

/** Bytes as MiB with one decimal: `12.3`. */
export function mib(bytes: number): string {
  return (bytes / 2 ** 20).toFixed(1);
}

/** What each step after the layers does. */
export const IMAGE_STEP = {
  metadata: 'writing the ext4 metadata',
  digest: 'hashing the disk image',
} as const;

/**
 * One event as text: `12.3 of 40.0 MiB of layers read` when the stored layer sizes are known
 * (archives, layouts, engine saves), `12.3 MiB of layers read` when not, else the step.
 */
export function conversionText(e: ProgressEvent): string {
  if (e.phase === 'image') return IMAGE_STEP[e.step];
  if (e.storedTotal !== undefined)
    return `${mib(e.stored)} of ${mib(e.storedTotal)} MiB of layers read`;
  return `${mib(e.bytes)} MiB of layers read`;
}
