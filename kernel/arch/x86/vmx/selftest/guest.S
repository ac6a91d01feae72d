/*
 * The self-test's guest: 64-bit code copied to guest-physical 0x100000 and entered in long mode
 * with the Linux entry state (hv/linux_boot.h). Position independent. It exercises one exit of
 * each kind the core handles and reports what it saw as its exit status (port 0x501):
 *   0x40 | CPUID.1:ECX.hypervisor << 1 | CPUID.1:ECX.VMX << 0 | (RDMSR gave 0) << 2
 * so a correct hypervisor yields 0x46 (hypervisor bit set, VMX hidden, unknown MSR reads 0).
 */
  .intel_syntax noprefix
  .section .rdata, "dr"
  .globl vmx_selftest_guest, vmx_selftest_guest_end
vmx_selftest_guest:
  mov dx, 0x3f8                 /* COM1 THR: the platform UART, one console line per '\n' */
  lea rsi, [rip + message]
1:
  lodsb
  test al, al
  jz 2f
  out dx, al
  jmp 1b
2:
  mov eax, 1
  cpuid
  mov ebx, ecx
  shr ebx, 31                   /* hypervisor present */
  shl ebx, 1
  shr ecx, 5
  and ecx, 1                    /* VMX visible (must not be) */
  or ebx, ecx
  or ebx, 0x40
  mov ecx, 0x1b                 /* IA32_APIC_BASE: not passed through, the core answers 0 */
  mov eax, 0x1234
  mov edx, 0x5678
  rdmsr
  or eax, edx
  jnz 3f
  or ebx, 4
3:
  mov ecx, 2000000              /* spin long enough for several preemption-timer slices */
4:
  dec ecx
  jnz 4b
  hlt                           /* IF=0: the core waits briefly, then runs the next instruction */
  mov eax, ebx
  mov dx, 0x501
  out dx, al                    /* exit status: the VM ends here */
5:
  hlt
  jmp 5b
message:
  .asciz "hello from a VMX guest\n"
vmx_selftest_guest_end:
