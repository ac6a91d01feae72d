/*
 * libFuzzer target for the MMIO decoder: any bytes a guest puts at its RIP. The decoder must
 * never read past n, and whatever it accepts must be self-consistent (a length within the
 * bytes, an access size of 1/2/4/8, a register number below 16). Run by
 * test/hv-vmx/decode.test.ts for a fixed time.
 */
#include <stdint.h>
#include <stdlib.h>
#include <string.h>

#include "arch/x86/decode.h"

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size)
{
  uint32_t n = size > X86_MAX_INSN ? X86_MAX_INSN : (uint32_t)size;
  uint8_t *exact = malloc(n ? n : 1); /* ASan sees any read past n */
  memcpy(exact, data, n);
  struct x86_mmio_insn d;
  if (x86_decode_mmio(exact, n, &d)) {
    if (d.len == 0 || d.len > n || (d.size != 1 && d.size != 2 && d.size != 4 && d.size != 8) ||
        d.reg >= 16 || (!d.is_write && d.dest_size < d.size) || (d.has_imm && !d.is_write) ||
        (d.high_byte && (d.size != 1 || d.reg >= 4)))
      abort();
  }
  free(exact);
  return 0;
}
