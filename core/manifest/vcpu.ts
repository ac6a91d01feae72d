// How many vCPUs D0 gives one VM today: one. A container asking for more is refused when its build
// is planned or packed (this file, through validate.ts) and, for a manifest signed elsewhere, by
// D0's launch check before anything is allocated (`plan_vcpu_refused` in kernel/boot/efi/plan.c,
// the same number): never silently run on fewer CPUs than it asked for. proto/SEMANTICS.md,
// "vCPUs".

/** vCPUs per VM this D0 runs; the manifest's own bound (1..16) is the TLV decoder's. */
export const VCPUS_PER_VM_MAX = 1;

/** Why `vcpu` cannot run, or undefined when it can (or is not a number: the field check says so). */
export function vcpuProblem(vcpu: unknown): string | undefined {
  if (typeof vcpu !== 'number' || !Number.isInteger(vcpu) || vcpu <= VCPUS_PER_VM_MAX)
    return undefined;
  return `${vcpu}: D0 runs each container on ${VCPUS_PER_VM_MAX} vCPU (VMs with more vCPUs are not supported yet); use ${VCPUS_PER_VM_MAX}`;
}
