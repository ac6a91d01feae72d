/*
 * The UEFI pieces the A/B logic needs beyond what include/efi/ types (UEFI Specification 2.10):
 *   8.1   GetVariable / SetVariable, variable attributes
 *   8.5.1 ResetSystem
 *   4.5   the runtime services table (only the members used are typed)
 *   10.2  device path nodes; 10.3.5.1 hard drive media node; 10.3.5.4 file path media node
 *   3.1.3 EFI_LOAD_OPTION (Boot####), 3.3 BootNext / BootOrder under EFI_GLOBAL_VARIABLE
 */
#ifndef D0_BOOT_EFI_AB_EFI_AB_H
#define D0_BOOT_EFI_AB_EFI_AB_H

#include "efi/efi_protocols.h"
#include "efi/efi_system.h"

#define EFI_VARIABLE_NON_VOLATILE 0x00000001u
#define EFI_VARIABLE_BOOTSERVICE_ACCESS 0x00000002u
#define EFI_VARIABLE_RUNTIME_ACCESS 0x00000004u
#define AB_VAR_ATTRS                                                                           \
  (EFI_VARIABLE_NON_VOLATILE | EFI_VARIABLE_BOOTSERVICE_ACCESS | EFI_VARIABLE_RUNTIME_ACCESS)

typedef enum { EfiResetCold, EfiResetWarm, EfiResetShutdown } EFI_RESET_TYPE;

typedef struct {
  EFI_TABLE_HEADER Hdr;
  void *GetTime;
  void *SetTime;
  void *GetWakeupTime;
  void *SetWakeupTime;
  void *SetVirtualAddressMap;
  void *ConvertPointer;
  EFI_STATUS(EFIAPI *GetVariable)(const CHAR16 *Name, const EFI_GUID *Vendor, UINT32 *Attributes,
                                  UINTN *DataSize, void *Data);
  void *GetNextVariableName;
  EFI_STATUS(EFIAPI *SetVariable)(const CHAR16 *Name, const EFI_GUID *Vendor, UINT32 Attributes,
                                  UINTN DataSize, const void *Data);
  void *GetNextHighMonotonicCount;
  void(EFIAPI *ResetSystem)(EFI_RESET_TYPE Type, EFI_STATUS Status, UINTN DataSize, void *Data);
} EFI_RUNTIME_SERVICES;
_Static_assert(offsetof(EFI_RUNTIME_SERVICES, GetVariable) == 72, "RT.GetVariable");
_Static_assert(offsetof(EFI_RUNTIME_SERVICES, SetVariable) == 88, "RT.SetVariable");
_Static_assert(offsetof(EFI_RUNTIME_SERVICES, ResetSystem) == 104, "RT.ResetSystem");


#define EFI_GLOBAL_VARIABLE_GUID                                                               \
  { 0x8be4df61, 0x93ca, 0x11d2, { 0xaa, 0x0d, 0x00, 0xe0, 0x98, 0x03, 0x2b, 0x8c } }
#define EFI_DEVICE_PATH_PROTOCOL_GUID                                                          \
  { 0x09576e91, 0x6d3f, 0x11d2, { 0x8e, 0x39, 0x00, 0xa0, 0xc9, 0x69, 0x72, 0x3b } }

/* 10.2: every node starts with this header; Length covers the whole node, little-endian. */
#define DP_TYPE_MEDIA 0x04
#define DP_SUBTYPE_HARD_DRIVE 0x01
#define DP_SUBTYPE_FILE_PATH 0x04
#define DP_TYPE_END 0x7f
#define DP_SUBTYPE_END_ENTIRE 0xff
#define DP_HEADER_LEN 4
/* 10.3.5.1: PartitionNumber is the UINT32 right after the header. */
#define DP_HD_PARTITION_NUMBER_OFFSET 4
#define DP_HD_LEN 42

/* 3.1.3 */
#define LOAD_OPTION_ACTIVE 0x00000001u

#endif
