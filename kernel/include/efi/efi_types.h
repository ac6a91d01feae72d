/*
 * UEFI base types (UEFI Specification 2.10, section 2.3.1 "Data Types" and appendix D "Status
 * Codes"). Only kernel/boot/efi includes the efi/ headers: the rest of D0 never sees UEFI types.
 *
 * The build targets x86_64-unknown-windows, whose default calling convention is the Microsoft x64
 * ABI that UEFI uses (spec 2.3.4.1), so EFIAPI needs no attribute.
 */
#ifndef D0_EFI_TYPES_H
#define D0_EFI_TYPES_H

#include <stdint.h>
#include <stddef.h>

typedef uint8_t BOOLEAN;
typedef int64_t INTN;
typedef uint64_t UINTN;
typedef uint8_t UINT8;
typedef uint16_t UINT16;
typedef uint32_t UINT32;
typedef uint64_t UINT64;
typedef uint16_t CHAR16; /* UCS-2; -fshort-wchar makes L"" literals match */
typedef UINTN EFI_STATUS;
typedef void *EFI_HANDLE;
typedef void *EFI_EVENT;
typedef UINT64 EFI_PHYSICAL_ADDRESS;

#define EFIAPI

typedef struct {
  UINT32 Data1;
  UINT16 Data2;
  UINT16 Data3;
  UINT8 Data4[8];
} EFI_GUID;
_Static_assert(sizeof(EFI_GUID) == 16, "EFI_GUID is 16 bytes");

/* Appendix D: error codes have the high bit set. */
#define EFI_ERROR_BIT (1ull << 63)
#define EFI_ERROR(s) (((EFI_STATUS)(s) & EFI_ERROR_BIT) != 0)
#define EFI_SUCCESS ((EFI_STATUS)0)
#define EFI_LOAD_ERROR (EFI_ERROR_BIT | 1)
#define EFI_INVALID_PARAMETER (EFI_ERROR_BIT | 2)
#define EFI_UNSUPPORTED (EFI_ERROR_BIT | 3)
#define EFI_BAD_BUFFER_SIZE (EFI_ERROR_BIT | 4)
#define EFI_BUFFER_TOO_SMALL (EFI_ERROR_BIT | 5)
#define EFI_DEVICE_ERROR (EFI_ERROR_BIT | 7)
#define EFI_VOLUME_CORRUPTED (EFI_ERROR_BIT | 10)
#define EFI_OUT_OF_RESOURCES (EFI_ERROR_BIT | 9)
#define EFI_NOT_FOUND (EFI_ERROR_BIT | 14)
#define EFI_COMPROMISED_DATA (EFI_ERROR_BIT | 33)
#define EFI_SECURITY_VIOLATION (EFI_ERROR_BIT | 26)

/* 2.3.1 / 7.2: memory types used with AllocatePool. */
typedef enum {
  EfiReservedMemoryType,
  EfiLoaderCode,
  EfiLoaderData,
  EfiBootServicesCode,
  EfiBootServicesData,
  EfiRuntimeServicesCode,
  EfiRuntimeServicesData,
  EfiConventionalMemory,
  EfiUnusableMemory,
  EfiACPIReclaimMemory,
  EfiACPIMemoryNVS,
  EfiMemoryMappedIO,
  EfiMemoryMappedIOPortSpace,
} EFI_MEMORY_TYPE;

/* 8.3: EFI_TIME, embedded in EFI_FILE_INFO. */
typedef struct {
  UINT16 Year;
  UINT8 Month;
  UINT8 Day;
  UINT8 Hour;
  UINT8 Minute;
  UINT8 Second;
  UINT8 Pad1;
  UINT32 Nanosecond;
  int16_t TimeZone;
  UINT8 Daylight;
  UINT8 Pad2;
} EFI_TIME;
_Static_assert(sizeof(EFI_TIME) == 16, "EFI_TIME is 16 bytes");

#endif
