/* First install over the network; the steps and their reasons are in netboot.h. */
#include "install/netboot.h"

#include "ab/bootvars.h"
#include "ab/efi_ab.h"
#include "ab/state.h"
#include "arch/arch.h"
#include "d0/lib.h"
#include "d0/sha2.h"
#include "efi/efi_net.h"
#include "install/blank_disk.h"
#include "log/log.h"
#include "pubkey.h"
#include "pull/http.h"
#include "pull/install.h"
#include "pull/netup.h"
#include "pull/target.h"
#include "pull/url.h"

#define MAX_HANDLES 64
#define NAME_CAP 64
/* A first install has no manifest to bound it: this is its bound (network, disk and files). */
#define INSTALL_TIMEOUT_NS (600ull * 1000000000ull)

static const EFI_GUID loaded_image_guid = EFI_LOADED_IMAGE_PROTOCOL_GUID;
static const EFI_GUID pxe_guid = EFI_PXE_BASE_CODE_PROTOCOL_GUID;
static const EFI_GUID sfs_guid = EFI_SIMPLE_FILE_SYSTEM_PROTOCOL_GUID;

static uint8_t pointer[PULL_POINTER_MAX];
static struct pull_target target;
static struct ab_slot slot_a;
static EFI_HANDLE handles[MAX_HANDLES];

static EFI_PXE_BASE_CODE_PROTOCOL *pxe_of(EFI_HANDLE image, EFI_BOOT_SERVICES *bs) {
  EFI_LOADED_IMAGE_PROTOCOL *li = 0;
  EFI_PXE_BASE_CODE_PROTOCOL *pxe = 0;
  if (EFI_ERROR(bs->HandleProtocol(image, &loaded_image_guid, (void **)&li)) || !li ||
      EFI_ERROR(bs->HandleProtocol(li->DeviceHandle, &pxe_guid, (void **)&pxe)))
    return 0;
  return pxe;
}

int netboot_detect(EFI_HANDLE image, EFI_SYSTEM_TABLE *st) {
  return pxe_of(image, st->BootServices) != 0;
}

static struct {
  const char *reason;
  char mac[PULL_HOST_ID_LEN + 1];
  uint64_t blocks;
  uint32_t slot_mib;
  struct install in;
} r;

static EFI_STATUS fail(const char *reason, EFI_STATUS s) {
  log_begin("install_done");
  log_str("result", "failed");
  log_str("reason", reason);
  if (r.mac[0])
    log_str("host", r.mac);
  if (target.uuid[0])
    log_str("target", target.uuid);
  if (r.in.http_status)
    log_u64("http_status", r.in.http_status);
  log_end();
  return s;
}

/* 64 + the TLV root record (tag u16, length u32, value), or cap when that does not fit. */
static uint64_t pointer_length(const uint8_t *p, uint64_t cap) {
  const uint8_t *root = p + 64;
  uint64_t len = (uint64_t)root[2] | (uint64_t)root[3] << 8 | (uint64_t)root[4] << 16 |
                 (uint64_t)root[5] << 24;
  return 64 + 6 + len <= cap ? 64 + 6 + len : cap;
}

/* Step 1: the pointer by TFTP from the boot server, checked. NULL or the reason. */
static const char *read_pointer(EFI_PXE_BASE_CODE_PROTOCOL *pxe, EFI_RUNTIME_SERVICES *rt) {
  const uint8_t *ack = pxe->Mode->DhcpAck;
  uint32_t server[4] = { 0 };
  memcpy(server, ack + BOOTP_SIADDR, 4);
  if (server[0] == 0)
    return "no_boot_server";
  pull_host_id(ack + BOOTP_CHADDR, r.mac);
  char name[NAME_CAP];
  const char *parts[] = { r.mac, ".d0ptr", 0 };
  if (pull_url_join(name, sizeof name, "hosts/", parts) != 0)
    return "url_too_long";
  /* Read into a zeroed buffer. Not every firmware's PXE says how much of the buffer the file
   * filled (iPXE's leaves the size as given, and has no TFTP size query): the pointer's length
   * is then its signature plus the manifest's root record, whose header gives its length, and
   * only those bytes are used (and verified). */
  memset(pointer, 0, sizeof pointer);
  uint64_t size = sizeof pointer;
  EFI_STATUS s = pxe->Mtftp(pxe, PXE_TFTP_READ_FILE, pointer, 0, &size, 0, server, name, 0, 0);
  if (s == EFI_BUFFER_TOO_SMALL)
    return "pointer_too_big";
  if (!EFI_ERROR(s) && size == sizeof pointer)
    size = pointer_length(pointer, sizeof pointer);
  log_begin("install_pointer");
  log_str("host", r.mac);
  log_hex("status", s);
  log_u64("bytes", size);
  log_end();
  if (EFI_ERROR(s))
    return "no_pointer"; /* nothing published for this host (or no TFTP server) */
  const char *why = pull_target_read(pointer, (size_t)size, d0_signing_pubkey, &target);
  if (why)
    return why;
  /* The NVRAM may still hold a floor from this host's earlier life: honoured. */
  struct ab_state st;
  uint64_t floor = ab_state_load(rt, &st) == AB_STATE_FOUND ? st.epoch : 0;
  static const char none[] = "00000000-0000-0000-0000-000000000000";
  enum pull_decision d = pull_decide(&target, none, "", floor, &why);
  if (d != PULL_INSTALL)
    return why;
  if (!target.m.has_update)
    return "no_update_url"; /* the files come from the update server the build names */
  return 0;
}

/* Slot A of the disk just laid out: the FAT volume whose device path is the disk's plus a hard
 * drive node of partition 1. */
static int open_slot_a(EFI_BOOT_SERVICES *bs, EFI_HANDLE disk) {
  static uint8_t disk_dp[AB_DP_MAX];
  size_t dl, hd;
  uint32_t part;
  if (ab_dp_read(bs, disk, disk_dp, &dl, &hd, &part) < 0 || dl == 0)
    return -1;
  bs->ConnectController(disk, 0, 0, 1); /* the partition and FAT drivers find the new layout */
  UINTN size = sizeof handles;
  if (EFI_ERROR(bs->LocateHandle(ByProtocol, &sfs_guid, 0, &size, handles)))
    return -1;
  for (size_t i = 0; i < size / sizeof(EFI_HANDLE); i++) {
    size_t pl;
    if (ab_dp_read(bs, handles[i], slot_a.dp, &pl, &hd, &part) != 1 || hd != dl ||
        memcmp(slot_a.dp, disk_dp, dl) != 0)
      continue; /* not a partition of this disk */
    EFI_SIMPLE_FILE_SYSTEM_PROTOCOL *fs = 0;
    if (part != 1 || EFI_ERROR(bs->HandleProtocol(handles[i], &sfs_guid, (void **)&fs)) ||
        EFI_ERROR(fs->OpenVolume(fs, &slot_a.esp.root)))
      continue;
    slot_a.esp.bs = bs;
    slot_a.handle = handles[i];
    slot_a.part = 1;
    slot_a.dp_len = pl;
    return 0;
  }
  return -1;
}

/* A seed for the disk's GUIDs: unique per host and install, not a secret. */
static void layout_seed(uint8_t seed[32]) {
  struct sha256_ctx h;
  uint64_t t = arch_time_ns();
  sha256_init(&h);
  sha256_update(&h, r.mac, sizeof r.mac);
  sha256_update(&h, target.uuid, sizeof target.uuid);
  sha256_update(&h, &t, sizeof t);
  sha256_final(&h, seed);
}

EFI_STATUS netboot_install(EFI_HANDLE image, EFI_SYSTEM_TABLE *st) {
  EFI_BOOT_SERVICES *bs = st->BootServices;
  EFI_RUNTIME_SERVICES *rt = (EFI_RUNTIME_SERVICES *)st->RuntimeServices;
  uint64_t t0 = arch_time_ns(), deadline = t0 + INSTALL_TIMEOUT_NS;
  memset(&r, 0, sizeof r);
  memset(&target, 0, sizeof target);
  log_begin("netboot");
  log_end();
  EFI_PXE_BASE_CODE_PROTOCOL *pxe = pxe_of(image, bs);
  if (!pxe || !pxe->Mode)
    return fail("no_pxe", EFI_UNSUPPORTED);
  const char *why = read_pointer(pxe, rt);
  if (why)
    return fail(why, EFI_NOT_FOUND);
  struct blank_disk disk;
  why = blank_disk_find(bs, &disk);
  if (why)
    return fail(why, EFI_NOT_FOUND);
  struct netup net;
  why = netup(bs, deadline, &net);
  if (why)
    return fail(why, EFI_NOT_READY);
  if (http_open(bs, net.http_sb) != HTTP_OK)
    return fail("http_unavailable", EFI_NOT_READY);

  struct disk_layout l;
  uint8_t seed[32];
  layout_seed(seed);
  int err = disk_layout_plan(disk.blocks, DISK_BLOCK_SIZE, 0, seed, &l);
  if (err)
    return fail(disk_layout_strerror(err), EFI_VOLUME_CORRUPTED);
  log_begin("install_disk");
  log_u64("blocks", disk.blocks);
  log_u64("slot_mib", l.slot_mib);
  log_end();
  err = blank_disk_write(&disk, &l);
  if (err)
    return fail(disk_layout_strerror(err), EFI_DEVICE_ERROR);
  if (open_slot_a(bs, disk.handle) != 0)
    return fail("slot_a_not_found", EFI_NOT_FOUND);

  r.in.dest = &slot_a.esp;
  r.in.base_url = target.m.update_url;
  r.in.deadline_ns = deadline;
  r.in.t = &target;
  if (install_check(&r.in) != 0 || install_files(&r.in) != 0 || install_commit(&r.in) != 0) {
    http_close();
    return fail(r.in.why ? r.in.why : "install", EFI_DEVICE_ERROR);
  }
  http_close();
  slot_a.has_uuid = 1;
  memcpy(slot_a.uuid, target.uuid, sizeof slot_a.uuid);
  EFI_STATUS s = ab_bootvar_set(rt, &slot_a);
  if (!EFI_ERROR(s))
    s = ab_bootorder_set(rt, ab_boot_entry(&slot_a), AB_NO_ENTRY);
  if (EFI_ERROR(s))
    return fail("boot_entry", s);
  log_begin("install_done");
  log_str("result", "installed");
  log_str("host", r.mac);
  log_str("target", target.uuid);
  log_str("slot", "A");
  log_u64("net_bytes", r.in.net_bytes);
  log_u64("took_ms", (arch_time_ns() - t0) / 1000000);
  log_end();
  log_defer_sink(0);
  rt->ResetSystem(EfiResetCold, EFI_SUCCESS, 0, 0);
  return EFI_ABORTED; /* not reached */
}
