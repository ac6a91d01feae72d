/*
 * The MMIO instructions a Linux guest uses on virtio-mmio registers (readb/w/l/q, writeb/w/l/q:
 * plain MOVs, and MOVZX for narrow reads), decoded from the guest's instruction bytes. Under
 * QEMU TCG there are no decode assists (APM 15.33), so D0 fetches the bytes itself: guest RIP ->
 * guest page tables -> nested page tables -> host memory.
 *
 * Supported (Intel SDM vol. 2 / APM vol. 3 encodings), with optional 66/67/segment prefixes and
 * REX: 88, 89 (store reg), 8A, 8B (load reg), C6 /0, C7 /0 (store immediate), 0F B6, 0F B7
 * (zero-extending loads). Any other instruction is refused and the VM stops: D0 never guesses.
 */
#ifndef D0_ARCH_X86_SVM_DECODE_H
#define D0_ARCH_X86_SVM_DECODE_H

#include <stdbool.h>
#include <stdint.h>

#include "arch_types.h"

/* Decodes bytes[0..n) (n <= 15) into *out. false for anything unsupported or truncated. */
bool svm_decode_mmio(const uint8_t *bytes, uint32_t n, struct svm_mmio_insn *out);

/*
 * Translates a guest-virtual address through the guest's 4-level page tables rooted at cr3
 * (long mode only), reading them through the VM's nested tables. false if not mapped.
 */
bool svm_guest_virt_to_phys(const struct arch_vm *avm, uint64_t cr3, uint64_t va, uint64_t *gpa);

#endif
