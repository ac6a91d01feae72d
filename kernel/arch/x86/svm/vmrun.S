/*
 * svm_vmrun(uint64_t vmcb_pa, struct svm_gprs *gprs, uint64_t host_save_pa)
 * (Microsoft x64 ABI, as the UEFI target uses: RCX, RDX, R8; RBX RBP RDI RSI R12-R15 preserved.)
 *
 * One guest entry and exit (AMD APM vol. 2, 15.5 "VMRUN", 15.5.2 "VMSAVE and VMLOAD"):
 *   clgi                     no interrupt, NMI or SMI between the state switches
 *   vmsave  host_save_pa     host FS/GS/TR/LDTR bases, KernelGSBase, STAR/LSTAR/CSTAR/SFMASK,
 *                            SYSENTER_*: VMRUN itself does not switch these
 *   vmload  vmcb_pa          the guest's copies of the same
 *   load guest GPRs          all but RAX and RSP, which VMRUN takes from the VMCB
 *   vmrun   vmcb_pa          ... guest runs until #VMEXIT ...
 *   vmsave  vmcb_pa          keep the guest's copies
 *   store guest GPRs
 *   vmload  host_save_pa
 *   stgi; nop; cli           take a pending host tick (arch/x86/host_tick.h), then IF=0 again
 * The host's IF is set just before VMRUN (GIF=0 still holds interrupts off): with
 * V_INTR_MASKING, the host IF at VMRUN decides whether a physical interrupt (the host tick)
 * ends the guest's run through the INTR intercept (APM 15.21.1), so no guest keeps the CPU.
 * RAX must hold the VMCB's physical address for vmrun/vmload/vmsave; after #VMEXIT the CPU
 * restores the host RAX/RSP/RIP it saved at VMRUN (into VM_HSAVE_PA), so RAX is the VMCB again.
 */
  .intel_syntax noprefix
  .text
  .globl svm_vmrun
  .p2align 4
svm_vmrun:
  endbr64
  push rbx
  push rbp
  push rdi
  push rsi
  push r12
  push r13
  push r14
  push r15
  push rdx              /* [rsp+16] gprs */
  push rcx              /* [rsp+8]  vmcb_pa */
  push r8               /* [rsp+0]  host_save_pa */

  clgi
  mov rax, [rsp]
  vmsave rax
  mov rax, [rsp + 8]
  vmload rax

  mov rax, [rsp + 16]
  mov rcx, [rax + 1*8]
  mov rdx, [rax + 2*8]
  mov rbx, [rax + 3*8]
  mov rbp, [rax + 5*8]
  mov rsi, [rax + 6*8]
  mov rdi, [rax + 7*8]
  mov r8,  [rax + 8*8]
  mov r9,  [rax + 9*8]
  mov r10, [rax + 10*8]
  mov r11, [rax + 11*8]
  mov r12, [rax + 12*8]
  mov r13, [rax + 13*8]
  mov r14, [rax + 14*8]
  mov r15, [rax + 15*8]
  mov rax, [rsp + 8]

  sti                   /* GIF=0 holds it off here; at VMRUN it becomes the host IF (HIF) */
  vmrun rax

  vmsave rax
  push rax              /* gprs is now at [rsp+24] */
  mov rax, [rsp + 24]
  mov [rax + 1*8], rcx
  mov [rax + 2*8], rdx
  mov [rax + 3*8], rbx
  mov [rax + 5*8], rbp
  mov [rax + 6*8], rsi
  mov [rax + 7*8], rdi
  mov [rax + 8*8], r8
  mov [rax + 9*8], r9
  mov [rax + 10*8], r10
  mov [rax + 11*8], r11
  mov [rax + 12*8], r12
  mov [rax + 13*8], r13
  mov [rax + 14*8], r14
  mov [rax + 15*8], r15
  pop rax
  mov rax, [rsp]
  vmload rax
  stgi                  /* IF is 1 again (restored from VM_HSAVE): a pending host tick that
                         * made the guest exit (INTR intercept) is taken here (isr.S) */
  nop
  cli

  add rsp, 24
  pop r15
  pop r14
  pop r13
  pop r12
  pop rsi
  pop rdi
  pop rbp
  pop rbx
  ret
