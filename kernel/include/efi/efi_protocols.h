/*
 * The UEFI protocols D0's loader uses (UEFI Specification 2.10):
 *   9.1   EFI_LOADED_IMAGE_PROTOCOL     which device the image was loaded from
 *   13.4  EFI_SIMPLE_FILE_SYSTEM_PROTOCOL, 13.5 EFI_FILE_PROTOCOL, EFI_FILE_INFO,
 *         EFI_FILE_SYSTEM_INFO (a pulled build is written into the inactive slot's volume)
 *   13.9  EFI_BLOCK_IO_PROTOCOL         a blank disk laid out by a netbooted D0 (install/netboot.c)
 *   37.5  EFI_RNG_PROTOCOL              a stack-guard seed when the CPU has no RDRAND/RDSEED
 * and of the UEFI Platform Initialization Specification 1.7, volume 2:
 *   13.4  EFI_MP_SERVICES_PROTOCOL      the processors, where the firmware installs no MADT
 */
#ifndef D0_EFI_PROTOCOLS_H
#define D0_EFI_PROTOCOLS_H

#include "efi/efi_system.h"

#define EFI_LOADED_IMAGE_PROTOCOL_GUID                                                         \
  { 0x5b1b31a1, 0x9562, 0x11d2, { 0x8e, 0x3f, 0x00, 0xa0, 0xc9, 0x69, 0x72, 0x3b } }
#define EFI_SIMPLE_FILE_SYSTEM_PROTOCOL_GUID                                                   \
  { 0x964e5b22, 0x6459, 0x11d2, { 0x8e, 0x39, 0x00, 0xa0, 0xc9, 0x69, 0x72, 0x3b } }
#define EFI_FILE_INFO_ID                                                                       \
  { 0x09576e92, 0x6d3f, 0x11d2, { 0x8e, 0x39, 0x00, 0xa0, 0xc9, 0x69, 0x72, 0x3b } }
#define EFI_FILE_SYSTEM_INFO_ID                                                                \
  { 0x09576e93, 0x6d3f, 0x11d2, { 0x8e, 0x39, 0x00, 0xa0, 0xc9, 0x69, 0x72, 0x3b } }
#define EFI_RNG_PROTOCOL_GUID                                                                  \
  { 0x3152bca5, 0xeade, 0x433d, { 0x86, 0x2e, 0xc0, 0x1c, 0xdc, 0x29, 0x1f, 0x44 } }

/* 9.1 */
typedef struct {
  UINT32 Revision;
  EFI_HANDLE ParentHandle;
  EFI_SYSTEM_TABLE *SystemTable;
  EFI_HANDLE DeviceHandle;
  void *FilePath;
  void *Reserved;
  UINT32 LoadOptionsSize;
  void *LoadOptions;
  void *ImageBase;
  UINT64 ImageSize;
  EFI_MEMORY_TYPE ImageCodeType;
  EFI_MEMORY_TYPE ImageDataType;
  void *Unload;
} EFI_LOADED_IMAGE_PROTOCOL;
_Static_assert(offsetof(EFI_LOADED_IMAGE_PROTOCOL, DeviceHandle) == 24, "LoadedImage.DeviceHandle");
_Static_assert(offsetof(EFI_LOADED_IMAGE_PROTOCOL, ImageBase) == 64, "LoadedImage.ImageBase");

/* 13.5 */
#define EFI_FILE_MODE_READ 0x0000000000000001ull
#define EFI_FILE_MODE_WRITE 0x0000000000000002ull
#define EFI_FILE_MODE_CREATE 0x8000000000000000ull
#define EFI_FILE_DIRECTORY 0x0000000000000010ull

typedef struct EFI_FILE_PROTOCOL EFI_FILE_PROTOCOL;
struct EFI_FILE_PROTOCOL {
  UINT64 Revision;
  EFI_STATUS(EFIAPI *Open)(EFI_FILE_PROTOCOL *This, EFI_FILE_PROTOCOL **NewHandle,
                           const CHAR16 *FileName, UINT64 OpenMode, UINT64 Attributes);
  EFI_STATUS(EFIAPI *Close)(EFI_FILE_PROTOCOL *This);
  /* Closes the handle too, whatever it returns. */
  EFI_STATUS(EFIAPI *Delete)(EFI_FILE_PROTOCOL *This);
  /* On a directory, each call returns one EFI_FILE_INFO; *BufferSize == 0 at the end. */
  EFI_STATUS(EFIAPI *Read)(EFI_FILE_PROTOCOL *This, UINTN *BufferSize, void *Buffer);
  EFI_STATUS(EFIAPI *Write)(EFI_FILE_PROTOCOL *This, UINTN *BufferSize, const void *Buffer);
  void *GetPosition;
  EFI_STATUS(EFIAPI *SetPosition)(EFI_FILE_PROTOCOL *This, UINT64 Position);
  EFI_STATUS(EFIAPI *GetInfo)(EFI_FILE_PROTOCOL *This, const EFI_GUID *InformationType,
                              UINTN *BufferSize, void *Buffer);
  EFI_STATUS(EFIAPI *SetInfo)(EFI_FILE_PROTOCOL *This, const EFI_GUID *InformationType,
                              UINTN BufferSize, const void *Buffer);
  EFI_STATUS(EFIAPI *Flush)(EFI_FILE_PROTOCOL *This);
};
_Static_assert(offsetof(EFI_FILE_PROTOCOL, Read) == 32, "File.Read");
_Static_assert(offsetof(EFI_FILE_PROTOCOL, Write) == 40, "File.Write");
_Static_assert(offsetof(EFI_FILE_PROTOCOL, GetInfo) == 64, "File.GetInfo");
_Static_assert(offsetof(EFI_FILE_PROTOCOL, Flush) == 80, "File.Flush");

/* 13.5.16: a variable-size record; FileName is NUL-terminated UCS-2. */
typedef struct {
  UINT64 Size;
  UINT64 FileSize;
  UINT64 PhysicalSize;
  EFI_TIME CreateTime;
  EFI_TIME LastAccessTime;
  EFI_TIME ModificationTime;
  UINT64 Attribute;
  CHAR16 FileName[];
} EFI_FILE_INFO;
_Static_assert(offsetof(EFI_FILE_INFO, FileName) == 80, "FileInfo.FileName");

/* 13.5.17: VolumeLabel is NUL-terminated UCS-2. */
typedef struct {
  UINT64 Size;
  BOOLEAN ReadOnly;
  UINT64 VolumeSize;
  UINT64 FreeSpace;
  UINT32 BlockSize;
  CHAR16 VolumeLabel[];
} EFI_FILE_SYSTEM_INFO;
_Static_assert(offsetof(EFI_FILE_SYSTEM_INFO, FreeSpace) == 24, "FileSystemInfo.FreeSpace");

/* 13.4 */
typedef struct EFI_SIMPLE_FILE_SYSTEM_PROTOCOL EFI_SIMPLE_FILE_SYSTEM_PROTOCOL;
struct EFI_SIMPLE_FILE_SYSTEM_PROTOCOL {
  UINT64 Revision;
  EFI_STATUS(EFIAPI *OpenVolume)(EFI_SIMPLE_FILE_SYSTEM_PROTOCOL *This, EFI_FILE_PROTOCOL **Root);
};

/* 13.9 */
#define EFI_BLOCK_IO_PROTOCOL_GUID                                                             \
  { 0x964e5b21, 0x6459, 0x11d2, { 0x8e, 0x39, 0x00, 0xa0, 0xc9, 0x69, 0x72, 0x3b } }

typedef struct {
  UINT32 MediaId;
  BOOLEAN RemovableMedia;
  BOOLEAN MediaPresent;
  BOOLEAN LogicalPartition; /* a partition's BlockIo, not the whole disk's */
  BOOLEAN ReadOnly;
  BOOLEAN WriteCaching;
  UINT32 BlockSize;
  UINT32 IoAlign;
  UINT64 LastBlock;
} EFI_BLOCK_IO_MEDIA;
_Static_assert(offsetof(EFI_BLOCK_IO_MEDIA, BlockSize) == 12, "Media.BlockSize");
_Static_assert(offsetof(EFI_BLOCK_IO_MEDIA, LastBlock) == 24, "Media.LastBlock");

typedef struct EFI_BLOCK_IO_PROTOCOL EFI_BLOCK_IO_PROTOCOL;
struct EFI_BLOCK_IO_PROTOCOL {
  UINT64 Revision;
  EFI_BLOCK_IO_MEDIA *Media;
  void *Reset;
  EFI_STATUS(EFIAPI *ReadBlocks)(EFI_BLOCK_IO_PROTOCOL *This, UINT32 MediaId, UINT64 Lba,
                                 UINTN BufferSize, void *Buffer);
  EFI_STATUS(EFIAPI *WriteBlocks)(EFI_BLOCK_IO_PROTOCOL *This, UINT32 MediaId, UINT64 Lba,
                                  UINTN BufferSize, const void *Buffer);
  EFI_STATUS(EFIAPI *FlushBlocks)(EFI_BLOCK_IO_PROTOCOL *This);
};
_Static_assert(offsetof(EFI_BLOCK_IO_PROTOCOL, FlushBlocks) == 40, "BlockIo.FlushBlocks");

/* 37.5 */
typedef struct EFI_RNG_PROTOCOL EFI_RNG_PROTOCOL;
struct EFI_RNG_PROTOCOL {
  void *GetInfo;
  /* RNGAlgorithm == NULL selects the driver's default algorithm. */
  EFI_STATUS(EFIAPI *GetRNG)(EFI_RNG_PROTOCOL *This, const EFI_GUID *RNGAlgorithm,
                             UINTN RNGValueLength, UINT8 *RNGValue);
};

#define EFI_MP_SERVICES_PROTOCOL_GUID                                                          \
  { 0x3fdda605, 0xa76e, 0x4f46, { 0xad, 0x29, 0x12, 0xf4, 0x53, 0x1b, 0x3d, 0x08 } }

/* PI 1.7 13.4.2: ProcessorId is the APIC id; StatusFlag bit 0 BSP, bit 1 enabled, bit 2
 * healthy. ExtendedInformation is written only when asked for (bit 24 of ProcessorNumber): the
 * buffer still has room for it, as some firmware writes the whole structure. */
typedef struct {
  UINT64 ProcessorId;
  UINT32 StatusFlag;
  UINT32 Package, Core, Thread;
  UINT32 ExtendedInformation[6];
} EFI_PROCESSOR_INFORMATION;
_Static_assert(sizeof(EFI_PROCESSOR_INFORMATION) == 48, "EFI_PROCESSOR_INFORMATION (PI 1.7)");

typedef struct EFI_MP_SERVICES_PROTOCOL EFI_MP_SERVICES_PROTOCOL;
struct EFI_MP_SERVICES_PROTOCOL {
  EFI_STATUS(EFIAPI *GetNumberOfProcessors)(EFI_MP_SERVICES_PROTOCOL *This,
                                            UINTN *NumberOfProcessors,
                                            UINTN *NumberOfEnabledProcessors);
  EFI_STATUS(EFIAPI *GetProcessorInfo)(EFI_MP_SERVICES_PROTOCOL *This, UINTN ProcessorNumber,
                                       EFI_PROCESSOR_INFORMATION *ProcessorInfoBuffer);
  void *StartupAllAPs, *StartupThisAP, *SwitchBSP, *EnableDisableAP, *WhoAmI;
};

#endif
