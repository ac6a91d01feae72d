/*
 * Exception entry stubs (vectors 0-31) and the segment reload. Each stub pushes a dummy error
 * code where the CPU pushes none (SDM vol. 3A 6.15), then the vector, and jumps to a common
 * path that calls x86_exception(frame) (Microsoft x64 ABI: RCX = frame, 32 bytes of shadow
 * space, RSP 16-byte aligned at the call). x86_exception never returns.
 */
  .intel_syntax noprefix
  .text

  .macro ISR_NOERR v
isr_\v:
  endbr64
  push 0
  push \v
  jmp isr_common
  .endm
  .macro ISR_ERR v
isr_\v:
  endbr64
  push \v
  jmp isr_common
  .endm

  ISR_NOERR 0
  ISR_NOERR 1
  ISR_NOERR 2
  ISR_NOERR 3
  ISR_NOERR 4
  ISR_NOERR 5
  ISR_NOERR 6
  ISR_NOERR 7
  ISR_ERR 8
  ISR_NOERR 9
  ISR_ERR 10
  ISR_ERR 11
  ISR_ERR 12
  ISR_ERR 13
  ISR_ERR 14
  ISR_NOERR 15
  ISR_NOERR 16
  ISR_ERR 17
  ISR_NOERR 18
  ISR_NOERR 19
  ISR_NOERR 20
  ISR_ERR 21
  ISR_NOERR 22
  ISR_NOERR 23
  ISR_NOERR 24
  ISR_NOERR 25
  ISR_NOERR 26
  ISR_NOERR 27
  ISR_NOERR 28
  ISR_ERR 29
  ISR_ERR 30
  ISR_NOERR 31

isr_common:
  mov rcx, rsp
  and rsp, -16
  sub rsp, 32
  call x86_exception
1:
  cli
  hlt
  jmp 1b

/* x86_load_segments(gdtr, code, data, tr): lgdt, reload CS with a far return, DS/ES/SS/FS/GS,
 * then ltr. */
  .globl x86_load_segments
x86_load_segments:
  endbr64
  lgdt [rcx]
  mov ax, r8w
  mov ds, ax
  mov es, ax
  mov ss, ax
  mov fs, ax
  mov gs, ax
  movzx rdx, dx
  push rdx
  lea rax, [rip + 2f]
  push rax
  retfq
2:
  ltr r9w
  ret

/*
 * Host IRQ stubs, vectors 0x20-0x2f (the remapped 8259s: the PIT fallback of arch/x86/host_tick.h,
 * all masked when the local APIC timer is the tick). D0 opens IF only
 * right after a #VMEXIT, so these interrupt nothing but that window: count IRQ0 (the tick when
 * the PIT is the source, else a stray) or any other line (a stray), send the
 * non-specific EOI (to the slave too for 0x28-0x2f) and return. Only RAX is used and restored.
 */
  .macro IRQ v
irq_\v:
  endbr64
  push rax
  .if \v == 0
  lock inc qword ptr [rip + x86_pit_irq_count]
  .else
  lock inc qword ptr [rip + x86_irq_other_count]
  .endif
  mov al, 0x20
  .if \v >= 8
  out 0xa0, al
  .endif
  out 0x20, al
  pop rax
  iretq
  .endm
  .irp v, 0,1,2,3,4,5,6,7,8,9,10,11,12,13,14,15
  IRQ \v
  .endr

/*
 * Local APIC vectors (host_tick.h): each stub saves the registers the Microsoft x64 ABI lets a
 * callee change (RAX RCX RDX R8-R11; D0 is built without SSE), aligns RSP to 16 with 32 bytes
 * of shadow space and calls its C handler in host_tick.c: the tick (count, re-arm a TSC
 * deadline, EOI), the spurious vector (count, no EOI) and any other vector 0x30-0xfe (count,
 * EOI so that it never blocks the tick).
 */
  .macro CALL_C_IRQ name, fn
  .globl \name
\name:
  endbr64
  push rbp
  mov rbp, rsp
  push rax
  push rcx
  push rdx
  push r8
  push r9
  push r10
  push r11
  and rsp, -16
  sub rsp, 32
  call \fn
  lea rsp, [rbp - 56]
  pop r11
  pop r10
  pop r9
  pop r8
  pop rdx
  pop rcx
  pop rax
  pop rbp
  iretq
  .endm
  CALL_C_IRQ x86_irq_lapic_tick, x86_lapic_tick_irq
  CALL_C_IRQ x86_irq_spurious, x86_lapic_spurious_irq
  CALL_C_IRQ x86_irq_kick, x86_lapic_kick_irq
  CALL_C_IRQ x86_irq_other, x86_lapic_other_irq

  .section .rdata, "dr"
  .p2align 3
  .globl x86_irq_table
x86_irq_table:
  .irp v, 0,1,2,3,4,5,6,7,8,9,10,11,12,13,14,15
  .quad irq_\v
  .endr
  .p2align 3
  .globl x86_isr_table
x86_isr_table:
  .irp v, 0,1,2,3,4,5,6,7,8,9,10,11,12,13,14,15,16,17,18,19,20,21,22,23,24,25,26,27,28,29,30,31
  .quad isr_\v
  .endr
