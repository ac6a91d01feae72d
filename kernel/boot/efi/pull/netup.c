/* The firmware's network stack for a pull; contract in netup.h. */
#include "netup.h"

#include "arch/arch.h"
#include "d0/lib.h"

#define MAX_HANDLES 64
#define POLL_US 20000 /* between two looks at the NICs' addresses */

static const EFI_GUID pci_io_guid = EFI_PCI_IO_PROTOCOL_GUID;
static const EFI_GUID ip4_config2_guid = EFI_IP4_CONFIG2_PROTOCOL_GUID;
static const EFI_GUID http_sb_guid = EFI_HTTP_SERVICE_BINDING_PROTOCOL_GUID;

static EFI_HANDLE handles[MAX_HANDLES];

static size_t locate(EFI_BOOT_SERVICES *bs, const EFI_GUID *guid) {
  UINTN size = sizeof handles;
  if (EFI_ERROR(bs->LocateHandle(ByProtocol, guid, 0, &size, handles)))
    return 0;
  return size / sizeof(EFI_HANDLE);
}

/* Connects the drivers of every PCI controller of class "network", recursively (SNP, MNP, IP4,
 * TCP, HTTP...). Other controllers are left alone. */
static void connect_nics(EFI_BOOT_SERVICES *bs) {
  size_t n = locate(bs, &pci_io_guid);
  for (size_t i = 0; i < n; i++) {
    EFI_PCI_IO_PROTOCOL *pci = 0;
    uint8_t class_code = 0;
    if (EFI_ERROR(bs->HandleProtocol(handles[i], &pci_io_guid, (void **)&pci)) || !pci)
      continue;
    if (EFI_ERROR(pci->PciRead(pci, 0, PCI_CLASS_CODE_OFFSET, 1, &class_code)) ||
        class_code != PCI_CLASS_NETWORK)
      continue;
    bs->ConnectController(handles[i], 0, 0, 1);
  }
}

/* An interface's info, with room for its route table after it. */
static union {
  EFI_IP4_CONFIG2_INTERFACE_INFO info;
  uint8_t bytes[2048];
} if_buf;

static int has_address(EFI_IP4_CONFIG2_PROTOCOL *cfg) {
  UINTN size = sizeof if_buf;
  if (EFI_ERROR(cfg->GetData(cfg, Ip4Config2DataTypeInterfaceInfo, &size, &if_buf)))
    return 0;
  const uint8_t *a = if_buf.info.StationAddress;
  return (a[0] | a[1] | a[2] | a[3]) != 0 && if_buf.info.HwAddressSize >= 6;
}

const char *netup(EFI_BOOT_SERVICES *bs, uint64_t deadline_ns, struct netup *out) {
  memset(out, 0, sizeof *out);
  connect_nics(bs);
  size_t n = locate(bs, &http_sb_guid);
  if (n == 0)
    return "no_nic";
  out->nics = (uint32_t)n;
  for (size_t i = 0; i < n; i++) {
    EFI_IP4_CONFIG2_PROTOCOL *cfg = 0;
    if (EFI_ERROR(bs->HandleProtocol(handles[i], &ip4_config2_guid, (void **)&cfg)) || !cfg)
      continue;
    EFI_IP4_CONFIG2_POLICY policy = Ip4Config2PolicyDhcp;
    cfg->SetData(cfg, Ip4Config2DataTypePolicy, sizeof policy, &policy);
  }
  for (;;) {
    /* The handles are looked up again each round: a driver may have added one since. */
    n = locate(bs, &http_sb_guid);
    for (size_t i = 0; i < n; i++) {
      EFI_IP4_CONFIG2_PROTOCOL *cfg = 0;
      EFI_SERVICE_BINDING_PROTOCOL *sb = 0;
      if (EFI_ERROR(bs->HandleProtocol(handles[i], &ip4_config2_guid, (void **)&cfg)) || !cfg)
        continue;
      if (!has_address(cfg))
        continue;
      if (EFI_ERROR(bs->HandleProtocol(handles[i], &http_sb_guid, (void **)&sb)) || !sb)
        continue;
      out->http_sb = sb;
      memcpy(out->mac, if_buf.info.HwAddress, 6);
      memcpy(out->ip, if_buf.info.StationAddress, 4);
      return 0;
    }
    if (arch_time_ns() >= deadline_ns)
      return "no_address";
    bs->Stall(POLL_US); /* the firmware's timer events (DHCP among them) run meanwhile */
  }
}
