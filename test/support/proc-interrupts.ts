// Reading a Linux guest's /proc/interrupts as its container printed it.

/** The first CPU's count of one /proc/interrupts row ("LOC", "0", "5"), or undefined. */
export function interruptCount(text: string, row: string): number | undefined {
  const line = text.split('\n').find((l) => l.trim().startsWith(`${row}:`));
  const m = line
    ?.trim()
    .slice(row.length + 1)
    .trim()
    .match(/^(\d+)/);
  return m ? Number(m[1]) : undefined;
}
