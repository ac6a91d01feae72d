// The host memory the builds on an A/B disk need (core/host-memory.ts), read from the manifests
// in its slots without verifying them: this only sizes an emulated host for `d0 run`.
import { decodeManifest } from '../../core/tlv/decode';
import { hostMemory } from '../../core/host-memory';
import { partitionFiles, slotPartitions } from './slots';

/** The largest need of any build on the disk, MiB; undefined when no slot holds a readable manifest. */
export async function diskHostMemoryMiB(disk: string): Promise<number | undefined> {
  let most: number | undefined;
  let slots;
  try {
    slots = slotPartitions(disk);
  } catch {
    return undefined;
  }
  for (const slot of slots) {
    const files = partitionFiles(disk, slot.part);
    for (const name of (await files.list()).filter((n) => /^manifest-[0-9a-f-]{36}\.tlv$/.test(n))) {
      const bytes = await files.read(name);
      if (!bytes) continue;
      try {
        const need = hostMemory(decodeManifest(bytes)).totalMiB;
        most = Math.max(most ?? 0, need);
      } catch {
        // not a manifest D0 would accept either: it sizes nothing
      }
    }
  }
  return most;
}
