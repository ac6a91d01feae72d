/*
 * The EFI system table and boot services table (UEFI Specification 2.10, sections 4.3 and 4.4).
 * Only the members D0 calls are typed; the others are opaque pointers that keep the layout, and
 * _Static_asserts pin every offset used.
 */
#ifndef D0_EFI_SYSTEM_H
#define D0_EFI_SYSTEM_H

#include "efi/efi_types.h"

/* 4.2 */
typedef struct {
  UINT64 Signature;
  UINT32 Revision;
  UINT32 HeaderSize;
  UINT32 CRC32;
  UINT32 Reserved;
} EFI_TABLE_HEADER;

typedef struct EFI_BOOT_SERVICES EFI_BOOT_SERVICES;
typedef struct EFI_SYSTEM_TABLE EFI_SYSTEM_TABLE;

/* 4.3 */
struct EFI_SYSTEM_TABLE {
  EFI_TABLE_HEADER Hdr;
  CHAR16 *FirmwareVendor;
  UINT32 FirmwareRevision;
  EFI_HANDLE ConsoleInHandle;
  void *ConIn;
  EFI_HANDLE ConsoleOutHandle;
  void *ConOut;
  EFI_HANDLE StandardErrorHandle;
  void *StdErr;
  void *RuntimeServices;
  EFI_BOOT_SERVICES *BootServices;
  UINTN NumberOfTableEntries;
  void *ConfigurationTable;
};
_Static_assert(offsetof(EFI_SYSTEM_TABLE, BootServices) == 96, "SystemTable.BootServices");
_Static_assert(offsetof(EFI_SYSTEM_TABLE, ConfigurationTable) == 112,
               "SystemTable.ConfigurationTable");

/* 4.6: the entries of SystemTable.ConfigurationTable (NumberOfTableEntries of them). */
typedef struct {
  EFI_GUID VendorGuid;
  void *VendorTable;
} EFI_CONFIGURATION_TABLE;
_Static_assert(sizeof(EFI_CONFIGURATION_TABLE) == 24, "EFI_CONFIGURATION_TABLE is 24 bytes");

/* 4.6.1.1: the RSDP of ACPI 2.0 and later (XSDT), and of ACPI 1.0 (RSDT only). */
#define EFI_ACPI_20_TABLE_GUID \
  {0x8868e871, 0xe4f1, 0x11d3, {0xbc, 0x22, 0x00, 0x80, 0xc7, 0x3c, 0x88, 0x81}}
#define EFI_ACPI_TABLE_GUID \
  {0xeb9d2d30, 0x2d88, 0x11d3, {0x9a, 0x16, 0x00, 0x90, 0x27, 0x3f, 0xc1, 0x4d}}

/* 7.3: OpenProtocol attributes. */
#define EFI_OPEN_PROTOCOL_GET_PROTOCOL 0x00000002u

typedef enum { AllHandles, ByRegisterNotify, ByProtocol } EFI_LOCATE_SEARCH_TYPE;

typedef void *EFI_UNUSED_SERVICE;

/* 7.1: event types and task priority levels D0 uses. */
#define EVT_NOTIFY_SIGNAL 0x00000200u
#define TPL_CALLBACK 8
typedef UINTN EFI_TPL;
typedef void(EFIAPI *EFI_EVENT_NOTIFY)(EFI_EVENT Event, void *Context);

/* 4.4 */
struct EFI_BOOT_SERVICES {
  EFI_TABLE_HEADER Hdr;
  EFI_UNUSED_SERVICE RaiseTPL;
  EFI_UNUSED_SERVICE RestoreTPL;
  EFI_UNUSED_SERVICE AllocatePages;
  EFI_UNUSED_SERVICE FreePages;
  EFI_UNUSED_SERVICE GetMemoryMap;
  EFI_STATUS(EFIAPI *AllocatePool)(EFI_MEMORY_TYPE PoolType, UINTN Size, void **Buffer);
  EFI_STATUS(EFIAPI *FreePool)(void *Buffer);
  EFI_STATUS(EFIAPI *CreateEvent)(UINT32 Type, EFI_TPL NotifyTpl, EFI_EVENT_NOTIFY NotifyFunction,
                                  void *NotifyContext, EFI_EVENT *Event);
  EFI_UNUSED_SERVICE SetTimer;
  EFI_UNUSED_SERVICE WaitForEvent;
  EFI_UNUSED_SERVICE SignalEvent;
  EFI_STATUS(EFIAPI *CloseEvent)(EFI_EVENT Event);
  EFI_UNUSED_SERVICE CheckEvent;
  EFI_UNUSED_SERVICE InstallProtocolInterface;
  EFI_UNUSED_SERVICE ReinstallProtocolInterface;
  EFI_UNUSED_SERVICE UninstallProtocolInterface;
  EFI_STATUS(EFIAPI *HandleProtocol)(EFI_HANDLE Handle, const EFI_GUID *Protocol, void **Interface);
  void *Reserved;
  EFI_UNUSED_SERVICE RegisterProtocolNotify;
  EFI_STATUS(EFIAPI *LocateHandle)(EFI_LOCATE_SEARCH_TYPE SearchType, const EFI_GUID *Protocol,
                                   void *SearchKey, UINTN *BufferSize, EFI_HANDLE *Buffer);
  EFI_UNUSED_SERVICE LocateDevicePath;
  EFI_UNUSED_SERVICE InstallConfigurationTable;
  EFI_UNUSED_SERVICE LoadImage;
  EFI_UNUSED_SERVICE StartImage;
  EFI_UNUSED_SERVICE Exit;
  EFI_UNUSED_SERVICE UnloadImage;
  EFI_UNUSED_SERVICE ExitBootServices;
  EFI_UNUSED_SERVICE GetNextMonotonicCount;
  EFI_STATUS(EFIAPI *Stall)(UINTN Microseconds);
  EFI_STATUS(EFIAPI *SetWatchdogTimer)(UINTN Timeout, UINT64 WatchdogCode, UINTN DataSize,
                                       CHAR16 *WatchdogData);
  /* RemainingDevicePath: NULL (every child). */
  EFI_STATUS(EFIAPI *ConnectController)(EFI_HANDLE ControllerHandle, EFI_HANDLE *DriverImageHandle,
                                        void *RemainingDevicePath, BOOLEAN Recursive);
  EFI_UNUSED_SERVICE DisconnectController;
  EFI_STATUS(EFIAPI *OpenProtocol)(EFI_HANDLE Handle, const EFI_GUID *Protocol, void **Interface,
                                   EFI_HANDLE AgentHandle, EFI_HANDLE ControllerHandle,
                                   UINT32 Attributes);
  EFI_UNUSED_SERVICE CloseProtocol;
  EFI_UNUSED_SERVICE OpenProtocolInformation;
  EFI_UNUSED_SERVICE ProtocolsPerHandle;
  EFI_UNUSED_SERVICE LocateHandleBuffer;
  EFI_STATUS(EFIAPI *LocateProtocol)(const EFI_GUID *Protocol, void *Registration, void **Interface);
};
_Static_assert(offsetof(EFI_BOOT_SERVICES, AllocatePool) == 64, "BS.AllocatePool");
_Static_assert(offsetof(EFI_BOOT_SERVICES, CreateEvent) == 80, "BS.CreateEvent");
_Static_assert(offsetof(EFI_BOOT_SERVICES, CloseEvent) == 112, "BS.CloseEvent");
_Static_assert(offsetof(EFI_BOOT_SERVICES, HandleProtocol) == 152, "BS.HandleProtocol");
_Static_assert(offsetof(EFI_BOOT_SERVICES, LocateHandle) == 176, "BS.LocateHandle");
_Static_assert(offsetof(EFI_BOOT_SERVICES, Stall) == 248, "BS.Stall");
_Static_assert(offsetof(EFI_BOOT_SERVICES, SetWatchdogTimer) == 256, "BS.SetWatchdogTimer");
_Static_assert(offsetof(EFI_BOOT_SERVICES, ConnectController) == 264, "BS.ConnectController");
_Static_assert(offsetof(EFI_BOOT_SERVICES, OpenProtocol) == 280, "BS.OpenProtocol");
_Static_assert(offsetof(EFI_BOOT_SERVICES, LocateProtocol) == 320, "BS.LocateProtocol");

#endif
