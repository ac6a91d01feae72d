/*
 * The MMIO instructions a Linux guest uses on virtio-mmio registers (readb/w/l/q, writeb/w/l/q:
 * plain MOVs, and MOVZX for narrow reads), decoded from the guest's instruction bytes. Neither
 * backend gets the operand from the CPU: SVM under QEMU TCG has no decode assists (APM 15.33),
 * and a VMX EPT violation reports no instruction information (Intel SDM vol. 3C 28.2.1). So D0
 * fetches the bytes itself: guest RIP -> guest page tables -> nested/extended page tables ->
 * host memory. Vendor-neutral: each backend passes its own guest-physical reader.
 *
 * Supported (Intel SDM vol. 2 / APM vol. 3 encodings), with optional 66/67/segment prefixes and
 * REX: 88, 89 (store reg), 8A, 8B (load reg), C6 /0, C7 /0 (store immediate), 0F B6, 0F B7
 * (zero-extending loads). Any other instruction is refused and the VM stops: D0 never guesses.
 */
#ifndef D0_ARCH_X86_DECODE_H
#define D0_ARCH_X86_DECODE_H

#include <stdbool.h>
#include <stdint.h>

#define X86_MAX_INSN 15

/* A decoded memory access. */
struct x86_mmio_insn {
  uint8_t len;      /* instruction length */
  uint8_t size;     /* access size in bytes */
  uint8_t reg;      /* register operand number (loads: destination; stores: source) */
  uint8_t dest_size;/* loads: bytes written to the destination register (movzx: wider) */
  bool high_byte;   /* 8-bit register AH/CH/DH/BH */
  bool is_write;
  bool has_imm;
  uint64_t imm;
};

/* Copies len bytes of guest-physical memory at gpa of the VM `vm`; false if any is unmapped. */
typedef bool (*x86_gpa_reader)(const void *vm, uint64_t gpa, void *dst, uint64_t len);

/* Decodes bytes[0..n) (n <= 15) into *out. false for anything unsupported or truncated. */
bool x86_decode_mmio(const uint8_t *bytes, uint32_t n, struct x86_mmio_insn *out);

/*
 * Translates a guest-virtual address through the guest's 4-level page tables rooted at cr3
 * (long mode only), reading them through `read`. false if not mapped.
 */
bool x86_guest_virt_to_phys(x86_gpa_reader read, const void *vm, uint64_t cr3, uint64_t va,
                            uint64_t *gpa);

/*
 * Fetches up to 15 instruction bytes at guest-virtual rip into buf; returns how many (0 if rip
 * is not mapped). A second page is read only if the instruction may cross into it and that page
 * is mapped; otherwise the bytes up to the page end are returned.
 */
uint32_t x86_fetch_insn(x86_gpa_reader read, const void *vm, uint64_t cr3, uint64_t rip,
                        uint8_t buf[X86_MAX_INSN]);

#endif
