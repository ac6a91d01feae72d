/*
 * int vmx_enter(struct vmx_gprs *gprs, uint64_t launched)
 * (Microsoft x64 ABI, as the UEFI target uses: RCX, RDX; RBX RBP RDI RSI R12-R15 preserved.)
 *
 * One guest entry and exit (Intel SDM vol. 3C, 27 "VM Entries", 28 "VM Exits"): the host RSP
 * and RIP the CPU loads at the exit are written into the VMCS right before the entry (HOST_RSP
 * points at the saved gprs pointer), all guest GPRs but RSP (a VMCS field) are loaded, then
 * VMLAUNCH or VMRESUME. The exit lands on vmx_exit_point with the host state from the VMCS:
 * the guest GPRs are stored and the callee-saved registers restored. A failed entry instruction
 * (VMfailInvalid/VMfailValid) falls through with the host state intact and returns 1.
 */
  .intel_syntax noprefix
  .text
  .globl vmx_enter
  .p2align 4
vmx_enter:
  endbr64
  push rbx
  push rbp
  push rdi
  push rsi
  push r12
  push r13
  push r14
  push r15
  push rcx                      /* [rsp] = gprs, where HOST_RSP points */

  mov rax, 0x6C14               /* VMCS_HOST_RSP */
  vmwrite rax, rsp
  mov rax, 0x6C16               /* VMCS_HOST_RIP */
  lea rbx, [rip + vmx_exit_point]
  vmwrite rax, rbx

  test rdx, rdx                 /* ZF=1: first entry; the MOVs below keep the flags */
  mov rax, [rcx + 0*8]
  mov rdx, [rcx + 2*8]
  mov rbx, [rcx + 3*8]
  mov rbp, [rcx + 5*8]
  mov rsi, [rcx + 6*8]
  mov rdi, [rcx + 7*8]
  mov r8,  [rcx + 8*8]
  mov r9,  [rcx + 9*8]
  mov r10, [rcx + 10*8]
  mov r11, [rcx + 11*8]
  mov r12, [rcx + 12*8]
  mov r13, [rcx + 13*8]
  mov r14, [rcx + 14*8]
  mov r15, [rcx + 15*8]
  mov rcx, [rcx + 1*8]
  jnz 1f
  vmlaunch
  jmp 2f
1:
  vmresume
2:
  /* Only reached when the entry instruction failed. */
  add rsp, 8
  pop r15
  pop r14
  pop r13
  pop r12
  pop rsi
  pop rdi
  pop rbp
  pop rbx
  mov eax, 1
  ret

  .p2align 4
vmx_exit_point:
  endbr64
  push rcx
  mov rcx, [rsp + 8]            /* gprs */
  mov [rcx + 0*8], rax
  mov [rcx + 2*8], rdx
  mov [rcx + 3*8], rbx
  mov [rcx + 5*8], rbp
  mov [rcx + 6*8], rsi
  mov [rcx + 7*8], rdi
  mov [rcx + 8*8], r8
  mov [rcx + 9*8], r9
  mov [rcx + 10*8], r10
  mov [rcx + 11*8], r11
  mov [rcx + 12*8], r12
  mov [rcx + 13*8], r13
  mov [rcx + 14*8], r14
  mov [rcx + 15*8], r15
  pop rax
  mov [rcx + 1*8], rax
  add rsp, 8
  pop r15
  pop r14
  pop r13
  pop r12
  pop rsi
  pop rdi
  pop rbp
  pop rbx
  xor eax, eax
  ret
