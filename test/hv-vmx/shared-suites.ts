// The suites that share a Bochs boot (./shared-boot.ts says why and which cannot), one boot per
// CPU model: corei7_skylake_x (VMX + EPT) and ryzen (SVM + NPT with NRIP save). Each test file
// asks for its boot's events and checks its own view (suiteView with its prefix).
import { badAccessVms, TICKS } from '../hv-svm/bad-access-check';
import { badAccessGuest } from '../hv-svm/bad-access-guest';
import { cpuidGuest } from '../hv-svm/cpuid-guest';
import { hostileGuest, hostileVms } from '../hv-svm/hostile-guest';
import { LOG_FLOOD_VMS, logFloodGuest } from '../hv-svm/log-flood-guest';
import type { D0Event } from '../support/events';
import { CR_EMULATED, CR_VMXE } from './cr-guest';
import { ISOLATION_GUEST, ISOLATION_VMS } from './isolation-guest';
import { sharedBoot, suiteView, type SharedSuite } from './shared-boot';

/** The whole boot, Bochs always killed: every suite's guests one after another would fit twice. */
export const SHARED_BOOT_TIMEOUT_MS = 900_000;
/** What a test file that asks for a shared boot gives mocha: the boot may be its to wait for. */
export const SHARED_TEST_TIMEOUT_MS = SHARED_BOOT_TIMEOUT_MS + 300_000;

/** Ryzen leaves out the triple fault: Bochs 2.7 resets the whole machine on it (hostile.test.ts). */
export const RYZEN_HOSTILE_SKIP = ['triple-fault'];

const VMX_SUITES: SharedSuite[] = [
  { prefix: 'h', program: hostileGuest(), vms: hostileVms() },
  { prefix: 'ba', program: badAccessGuest(TICKS), vms: badAccessVms() },
  {
    prefix: 'cpuid',
    program: cpuidGuest(),
    vms: [{ name: 'cpuid', memMb: 16, bootOrder: 1, health: 'HEALTH_EXIT_ZERO' }],
  },
  { prefix: 'lf', program: logFloodGuest(), vms: LOG_FLOOD_VMS },
  { prefix: 'iso', program: ISOLATION_GUEST, vms: ISOLATION_VMS },
  { prefix: 'cre', program: CR_EMULATED, vms: [{ name: 'cr', memMb: 16, bootOrder: 1 }] },
  { prefix: 'crv', program: CR_VMXE, vms: [{ name: 'cr', memMb: 16, bootOrder: 1 }] },
];

const RYZEN_SUITES: SharedSuite[] = [
  { prefix: 'h', program: hostileGuest(), vms: hostileVms(RYZEN_HOSTILE_SKIP) },
  { prefix: 'ba', program: badAccessGuest(TICKS), vms: badAccessVms() },
];

export type SharedPrefix = 'h' | 'ba' | 'cpuid' | 'lf' | 'iso' | 'cre' | 'crv';

/** The events of suite `prefix` in the shared boot of `cpuModel`. */
export async function sharedView(
  cpuModel: 'corei7_skylake_x' | 'ryzen',
  prefix: SharedPrefix,
): Promise<D0Event[]> {
  const suites = cpuModel === 'ryzen' ? RYZEN_SUITES : VMX_SUITES;
  if (!suites.some((s) => s.prefix === prefix))
    throw new Error(`no suite ${prefix} in the ${cpuModel} boot`);
  return suiteView(await sharedBoot(cpuModel, suites, SHARED_BOOT_TIMEOUT_MS), prefix);
}
