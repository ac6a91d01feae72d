#include "hv/err.h"

const char *hv_strerror(int err)
{
  switch (err) {
  case HV_OK: return "ok";
  case HV_E_INVAL: return "invalid-argument";
  case HV_E_RANGE: return "gpa-out-of-range";
  case HV_E_OVERFLOW: return "address-overflow";
  case HV_E_BUSY: return "bus-range-busy";
  case HV_E_FULL: return "table-full";
  case HV_E_EXIT_REASON: return "bad-exit-reason";
  case HV_E_ARCH: return "arch-failure";
  case HV_E_STOPPED: return "vm-stopped";
  case HV_E_VQ_SIZE: return "vq-bad-size";
  case HV_E_VQ_ALIGN: return "vq-misaligned-ring";
  case HV_E_VQ_INDEX: return "vq-index-jump";
  case HV_E_VQ_HEAD: return "vq-bad-descriptor-index";
  case HV_E_VQ_LOOP: return "vq-descriptor-loop";
  case HV_E_VQ_INDIRECT: return "vq-indirect-refused";
  case HV_E_VQ_ORDER: return "vq-readable-after-writable";
  case HV_E_VQ_RO_WRITE: return "vq-write-to-readonly-descriptor";
  case HV_E_VQ_SHORT: return "vq-chain-too-short";
  case HV_E_VQ_NOT_READY: return "vq-not-ready";
  case HV_E_BOOT_TRUNC: return "bzimage-truncated";
  case HV_E_BOOT_MAGIC: return "bzimage-bad-magic";
  case HV_E_BOOT_VERSION: return "bzimage-protocol-too-old";
  case HV_E_BOOT_64: return "bzimage-no-64bit-entry";
  case HV_E_BOOT_LAYOUT: return "bzimage-bad-layout";
  case HV_E_BOOT_FIT: return "bzimage-does-not-fit";
  case HV_E_CMDLINE_LONG: return "cmdline-too-long";
  case HV_E_NET_FRAME: return "net-frame-too-large";
  case HV_E_NET_NOBUF: return "net-no-rx-buffer";
  case HV_E_DEV_BROKEN: return "device-needs-reset";
  case HV_E_BLK_IMAGE: return "blk-image-not-sector-multiple";
  case HV_E_MEM_LAYOUT: return "guest-memory-layout";
  case HV_E_PAGE_WALK: return "guest-page-walk-outside-ram";
  case HV_E_MMIO_DECODE: return "mmio-undecodable";
  case HV_E_FETCH: return "fetch-outside-ram";
  case HV_E_STRING_IO: return "string-io-refused";
  case HV_E_NESTED_TABLE: return "nested-table-misconfig";
  case HV_E_UNHANDLED_EXIT: return "unhandled-exit";
  case HV_E_NET_OFFLOAD: return "net-offload-refused";
  }
  return "unknown-error";
}
