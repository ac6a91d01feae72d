// Which toolchain a D0 build asked for 'auto' uses. D0_KERNEL_MODE pins 'auto' to 'docker' or
// 'host' for a whole process tree: scripts/test runs its emulator suites with D0_KERNEL_MODE=host
// so that none of their builds uses a Docker engine the other test process starts and stops
// (docs/ci.md). An explicit 'docker' or 'host' from the caller always wins over the variable.
export type KernelMode = 'auto' | 'docker' | 'host';

export const KERNEL_MODE_ENV = 'D0_KERNEL_MODE';

const MODES: readonly string[] = ['auto', 'docker', 'host'];

export interface ResolvedKernelMode {
  mode: KernelMode;
  /** True when the mode came from D0_KERNEL_MODE rather than from the caller. */
  fromEnv: boolean;
}

/** The caller's mode, or for 'auto' (and no mode) the one D0_KERNEL_MODE names, if set. */
export function resolveKernelMode(
  requested: KernelMode = 'auto',
  env: NodeJS.ProcessEnv = process.env,
): ResolvedKernelMode {
  if (requested !== 'auto') return { mode: requested, fromEnv: false };
  const pinned = env[KERNEL_MODE_ENV];
  if (pinned === undefined || pinned === '') return { mode: 'auto', fromEnv: false };
  if (!MODES.includes(pinned))
    throw new Error(`${KERNEL_MODE_ENV}=${JSON.stringify(pinned)} is not auto, docker or host`);
  return { mode: pinned as KernelMode, fromEnv: pinned !== 'auto' };
}
