#include "hv/sipi.h"

#include "d0/lib.h"

/* Access rights (boot_regs.h layout), as after reset: present, DPL 0; code and data S=1 with
 * execute/read (0xb) and read/write (0x3), accessed; TR a busy TSS (0xb), LDTR an LDT (0x2). */
#define AR_CODE 0x9bu
#define AR_DATA 0x93u
#define AR_TSS 0x8bu
#define AR_LDT 0x82u

void sipi_boot_regs(uint8_t vector, struct boot_regs *regs)
{
  memset(regs, 0, sizeof(*regs));
  struct boot_seg data = {0, 0, 0xffff, AR_DATA, false};
  regs->cs = (struct boot_seg){(uint16_t)(vector << 8), (uint64_t)vector << 12, 0xffff, AR_CODE,
                               false};
  regs->ds = regs->es = regs->ss = regs->fs = regs->gs = data;
  regs->tr = (struct boot_seg){0, 0, 0xffff, AR_TSS, false};
  regs->ldtr = (struct boot_seg){0, 0, 0xffff, AR_LDT, false};
  regs->gdtr_limit = 0xffff;
  regs->idtr_limit = 0xffff;
  regs->cr0 = CR0_ET;
  regs->rflags = RFLAGS_FIXED;
}
