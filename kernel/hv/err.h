/*
 * Errors of the hypervisor core, as negative values (0 = success). Every error a guest or a
 * signed-but-hostile image can provoke has its own code, so tests and logs name the exact reason.
 * hv_strerror() gives a stable lowercase name for logs.
 */
#ifndef HV_ERR_H
#define HV_ERR_H

enum hv_err {
  HV_OK = 0,
  HV_E_INVAL = -1,          /* an argument D0 itself passed is invalid */
  HV_E_RANGE = -2,          /* guest-physical range outside the VM's memory */
  HV_E_OVERFLOW = -3,       /* address + length wraps past 2^64 */
  HV_E_BUSY = -4,           /* bus range overlaps an already registered device */
  HV_E_FULL = -5,           /* a fixed-capacity table is full */
  HV_E_EXIT_REASON = -6,    /* exit reason outside the dispatch table */
  HV_E_ARCH = -7,           /* the arch backend failed to run the vCPU */
  HV_E_STOPPED = -8,        /* the VM is not running */
  HV_E_VQ_SIZE = -9,        /* queue size zero, not a power of two or above the maximum */
  HV_E_VQ_ALIGN = -10,      /* ring address misaligned */
  HV_E_VQ_INDEX = -11,      /* avail index moved further than the queue size */
  HV_E_VQ_HEAD = -12,       /* descriptor index >= queue size */
  HV_E_VQ_LOOP = -13,       /* chain longer than the queue size: a loop */
  HV_E_VQ_INDIRECT = -14,   /* indirect descriptor, which D0 never negotiates */
  HV_E_VQ_ORDER = -15,      /* device-readable descriptor after a device-writable one */
  HV_E_VQ_RO_WRITE = -16,   /* the device must write into a descriptor marked device-readable */
  HV_E_VQ_SHORT = -17,      /* chain too short for the request */
  HV_E_VQ_NOT_READY = -18,  /* notify for a queue that is not ready */
  HV_E_BOOT_TRUNC = -19,    /* bzImage shorter than its header says */
  HV_E_BOOT_MAGIC = -20,    /* no 0xAA55 boot flag or no "HdrS" */
  HV_E_BOOT_VERSION = -21,  /* boot protocol older than 2.12 */
  HV_E_BOOT_64 = -22,       /* no 64-bit entry point (XLF_KERNEL_64) */
  HV_E_BOOT_LAYOUT = -23,   /* header fields inconsistent (setup size, payload, alignment) */
  HV_E_BOOT_FIT = -24,      /* kernel does not fit in guest memory at a legal address */
  HV_E_CMDLINE_LONG = -25,  /* command line longer than the kernel accepts */
  HV_E_NET_FRAME = -26,     /* frame larger than the device's maximum */
  HV_E_NET_NOBUF = -27,     /* no receive buffer posted by the guest */
  HV_E_DEV_BROKEN = -28,    /* the device needs a reset before it does anything */
  HV_E_BLK_IMAGE = -29,     /* disk image size not a multiple of 512 bytes */
  HV_E_MEM_LAYOUT = -30,    /* guest memory size unsupported or region too small */
  HV_E_PAGE_WALK = -31,     /* the guest's page-table walk left its RAM (arch_fault PAGE_WALK) */
  HV_E_MMIO_DECODE = -32,   /* a device-window access by an instruction D0 does not emulate */
  HV_E_FETCH = -33,         /* instruction fetch outside the guest's RAM */
  HV_E_STRING_IO = -34,     /* INS/OUTS: refused */
  HV_E_NESTED_TABLE = -35,  /* D0's own nested page table is malformed (a D0 bug) */
  HV_E_UNHANDLED_EXIT = -36,/* an exit D0 never enabled or does not emulate */
  HV_E_NET_OFFLOAD = -37,   /* a TX frame's offload request D0 refuses (net/offload.h) */
};

const char *hv_strerror(int err);

#endif /* HV_ERR_H */
