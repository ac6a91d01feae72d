// Pure checks on Linux Kconfig text: which options of a config fragment did not survive
// `make olddefconfig` (a dependency was missing, or the symbol does not exist in this source).
// merge_config.sh only warns about these; the guest build treats them as errors.

/** One wanted option: `value` is the right-hand side (`y`, `0x200000`, `"x"`) or null for "not set". */
export interface KconfigOption {
  readonly name: string;
  readonly value: string | null;
  readonly line: number;
}

const SET_RE = /^(CONFIG_[A-Za-z0-9_]+)=(.*)$/;
const UNSET_RE = /^# (CONFIG_[A-Za-z0-9_]+) is not set$/;

/** Parses a fragment or a .config. Comments and blank lines are skipped; anything else is an error. */
export function parseKconfig(text: string, where: string): KconfigOption[] {
  const out: KconfigOption[] = [];
  const lines = text.split('\n');
  for (let i = 0; i < lines.length; i++) {
    const raw = lines[i].trim();
    if (raw === '') continue;
    const set = SET_RE.exec(raw);
    if (set) {
      out.push({ name: set[1], value: set[2], line: i + 1 });
      continue;
    }
    const unset = UNSET_RE.exec(raw);
    if (unset) {
      out.push({ name: unset[1], value: null, line: i + 1 });
      continue;
    }
    if (raw.startsWith('#')) continue;
    throw new Error(`${where}:${i + 1}: not a Kconfig line: ${raw}`);
  }
  return out;
}

/**
 * Returns one message per fragment option whose value differs in the resolved config, e.g.
 * `CONFIG_VIRTIO_NET: wanted y, got not set (fragment line 12)`. Empty means every option survived.
 * An option the fragment wants unset also passes when the resolved config does not mention it
 * (Kconfig omits invisible symbols).
 */
export function droppedOptions(fragment: KconfigOption[], resolved: KconfigOption[]): string[] {
  const have = new Map<string, string | null>();
  for (const o of resolved) have.set(o.name, o.value);
  const problems: string[] = [];
  for (const want of fragment) {
    const got = have.has(want.name) ? have.get(want.name)! : null;
    if (got === want.value) continue;
    const show = (v: string | null) => (v === null ? 'not set' : v);
    problems.push(
      `${want.name}: wanted ${show(want.value)}, got ${show(got)} (fragment line ${want.line})`,
    );
  }
  return problems;
}
