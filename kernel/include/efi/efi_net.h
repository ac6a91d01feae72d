/*
 * The firmware's network stack, as stage 1 uses it to pull a build before ExitBootServices
 * (UEFI Specification 2.10; kernel/docs/pull.md):
 *   11.6  EFI_SERVICE_BINDING_PROTOCOL   creates a protocol instance (a child) on a NIC's handle
 *   24.3  EFI_PXE_BASE_CODE_PROTOCOL     how a netbooted D0 reads its host's pointer (TFTP)
 *   14.4  EFI_PCI_IO_PROTOCOL            only Pci.Read: which controllers are NICs (class 02h)
 *   28.5  EFI_IP4_CONFIG2_PROTOCOL       the NIC's IPv4 policy (DHCP) and its address
 *   29.6  EFI_HTTP_PROTOCOL              one HTTP/1.1 client instance over TCP
 * Only the members D0 calls are typed; _Static_asserts pin the offsets of the x86-64 ABI.
 */
#ifndef D0_EFI_NET_H
#define D0_EFI_NET_H

#include "efi/efi_system.h"

#define EFI_PCI_IO_PROTOCOL_GUID                                                               \
  { 0x4cf5b200, 0x68b8, 0x4ca5, { 0x9e, 0xec, 0xb2, 0x3e, 0x3f, 0x50, 0x02, 0x9a } }
#define EFI_IP4_CONFIG2_PROTOCOL_GUID                                                          \
  { 0x5b446ed1, 0xe30b, 0x4faa, { 0x87, 0x1a, 0x36, 0x54, 0xec, 0xa3, 0x60, 0x80 } }
#define EFI_HTTP_SERVICE_BINDING_PROTOCOL_GUID                                                 \
  { 0xbdc8e6af, 0xd9bc, 0x4379, { 0xa7, 0x2a, 0xe0, 0xc4, 0xe7, 0x5d, 0xae, 0x1c } }
#define EFI_HTTP_PROTOCOL_GUID                                                                 \
  { 0x7a59b29b, 0x910b, 0x4171, { 0x82, 0x42, 0xa8, 0x5a, 0x0d, 0xf2, 0x5b, 0x5b } }

#define EFI_PXE_BASE_CODE_PROTOCOL_GUID                                                        \
  { 0x03c4e603, 0xac28, 0x11d3, { 0x9a, 0x2d, 0x00, 0x90, 0x27, 0x3f, 0xc1, 0x4d } }

#define EFI_NOT_READY (EFI_ERROR_BIT | 6)
#define EFI_ABORTED (EFI_ERROR_BIT | 21)
#define EFI_HTTP_ERROR (EFI_ERROR_BIT | 35)

/* 11.6 */
typedef struct EFI_SERVICE_BINDING_PROTOCOL EFI_SERVICE_BINDING_PROTOCOL;
struct EFI_SERVICE_BINDING_PROTOCOL {
  /* *ChildHandle NULL on entry: a new handle carrying the instance is made. */
  EFI_STATUS(EFIAPI *CreateChild)(EFI_SERVICE_BINDING_PROTOCOL *This, EFI_HANDLE *ChildHandle);
  EFI_STATUS(EFIAPI *DestroyChild)(EFI_SERVICE_BINDING_PROTOCOL *This, EFI_HANDLE ChildHandle);
};

/* 24.3: only what a netbooted D0 reads. The mode's DHCP ACK is a BOOTP packet: siaddr (the boot
 * server, whose TFTP served D0) at 20, the client's hardware address at 28. */
#define PXE_TFTP_READ_FILE 2
#define BOOTP_SIADDR 20
#define BOOTP_CHADDR 28
typedef struct {
  BOOLEAN Flags[17]; /* Started ... MakeCallbacks */
  UINT8 TTL, ToS;
  UINT32 StationIp[4], SubnetMask[4];
  UINT8 DhcpDiscover[1472];
  UINT8 DhcpAck[1472];
} EFI_PXE_BASE_CODE_MODE_HEAD;
_Static_assert(offsetof(EFI_PXE_BASE_CODE_MODE_HEAD, DhcpAck) == 1524, "PxeMode.DhcpAck");

typedef struct EFI_PXE_BASE_CODE_PROTOCOL EFI_PXE_BASE_CODE_PROTOCOL;
struct EFI_PXE_BASE_CODE_PROTOCOL {
  UINT64 Revision;
  void *Start, *Stop, *Dhcp, *Discover;
  EFI_STATUS(EFIAPI *Mtftp)(EFI_PXE_BASE_CODE_PROTOCOL *This, UINT32 Operation, void *Buffer,
                            BOOLEAN Overwrite, UINT64 *BufferSize, UINTN *BlockSize,
                            const UINT32 ServerIp[4], const char *Filename, void *Info,
                            BOOLEAN DontUseBuffer);
  void *UdpWrite, *UdpRead, *SetIpFilter, *Arp, *SetParameters, *SetStationIp, *SetPackets;
  EFI_PXE_BASE_CODE_MODE_HEAD *Mode;
};
_Static_assert(offsetof(EFI_PXE_BASE_CODE_PROTOCOL, Mtftp) == 40, "Pxe.Mtftp");
_Static_assert(offsetof(EFI_PXE_BASE_CODE_PROTOCOL, Mode) == 104, "Pxe.Mode");

/* 14.4: Width 0 = 8-bit accesses. */
typedef struct {
  void *PollMem, *PollIo, *MemRead, *MemWrite, *IoRead, *IoWrite;
  EFI_STATUS(EFIAPI *PciRead)(void *This, UINT32 Width, UINT32 Offset, UINTN Count, void *Buffer);
} EFI_PCI_IO_PROTOCOL;
_Static_assert(offsetof(EFI_PCI_IO_PROTOCOL, PciRead) == 48, "PciIo.Pci.Read");
#define PCI_CLASS_CODE_OFFSET 0x0B /* the base class byte of the configuration header */
#define PCI_CLASS_NETWORK 0x02

/* 28.5 */
typedef enum {
  Ip4Config2DataTypeInterfaceInfo,
  Ip4Config2DataTypePolicy,
} EFI_IP4_CONFIG2_DATA_TYPE;
typedef enum { Ip4Config2PolicyStatic, Ip4Config2PolicyDhcp } EFI_IP4_CONFIG2_POLICY;

/* 28.5.2: followed in the caller's buffer by RouteTableSize route entries. */
typedef struct {
  CHAR16 Name[32];
  UINT8 IfType;
  UINT32 HwAddressSize;
  UINT8 HwAddress[32];
  UINT8 StationAddress[4];
  UINT8 SubnetMask[4];
  UINT32 RouteTableSize;
  void *RouteTable;
} EFI_IP4_CONFIG2_INTERFACE_INFO;
_Static_assert(offsetof(EFI_IP4_CONFIG2_INTERFACE_INFO, HwAddress) == 72, "If.HwAddress");
_Static_assert(offsetof(EFI_IP4_CONFIG2_INTERFACE_INFO, StationAddress) == 104, "If.Station");

typedef struct EFI_IP4_CONFIG2_PROTOCOL EFI_IP4_CONFIG2_PROTOCOL;
struct EFI_IP4_CONFIG2_PROTOCOL {
  EFI_STATUS(EFIAPI *SetData)(EFI_IP4_CONFIG2_PROTOCOL *This, EFI_IP4_CONFIG2_DATA_TYPE DataType,
                              UINTN DataSize, const void *Data);
  EFI_STATUS(EFIAPI *GetData)(EFI_IP4_CONFIG2_PROTOCOL *This, EFI_IP4_CONFIG2_DATA_TYPE DataType,
                              UINTN *DataSize, void *Data);
  void *RegisterDataNotify, *UnregisterDataNotify;
};

/* 29.6 */
typedef enum { HttpVersion10, HttpVersion11 } EFI_HTTP_VERSION;
typedef enum { HttpMethodGet } EFI_HTTP_METHOD;

/* EFI_HTTP_STATUS_CODE is an index, not the number: http.c maps it back. */
typedef UINT32 EFI_HTTP_STATUS_CODE;

typedef struct {
  BOOLEAN UseDefaultAddress; /* TRUE: the address IP4 Config2 gave the NIC */
  UINT8 LocalAddress[4];
  UINT8 LocalSubnet[4];
  UINT16 LocalPort;
} EFI_HTTPv4_ACCESS_POINT;

typedef struct {
  EFI_HTTP_VERSION HttpVersion;
  UINT32 TimeOutMillisec;
  BOOLEAN LocalAddressIsIPv6;
  EFI_HTTPv4_ACCESS_POINT *IPv4Node;
} EFI_HTTP_CONFIG_DATA;
_Static_assert(offsetof(EFI_HTTP_CONFIG_DATA, IPv4Node) == 16, "HttpConfig.AccessPoint");

typedef struct {
  EFI_HTTP_METHOD Method;
  CHAR16 *Url;
} EFI_HTTP_REQUEST_DATA;

typedef struct {
  EFI_HTTP_STATUS_CODE StatusCode;
} EFI_HTTP_RESPONSE_DATA;

typedef struct {
  char *FieldName;
  char *FieldValue;
} EFI_HTTP_HEADER;

typedef struct {
  /* Request on a request; Response on the first response call, NULL for more body. */
  void *Data;
  UINTN HeaderCount;
  EFI_HTTP_HEADER *Headers;
  UINTN BodyLength;
  void *Body;
} EFI_HTTP_MESSAGE;

typedef struct {
  EFI_EVENT Event; /* EVT_NOTIFY_SIGNAL, at most TPL_CALLBACK */
  EFI_STATUS Status;
  EFI_HTTP_MESSAGE *Message;
} EFI_HTTP_TOKEN;

typedef struct EFI_HTTP_PROTOCOL EFI_HTTP_PROTOCOL;
struct EFI_HTTP_PROTOCOL {
  void *GetModeData;
  /* NULL resets the instance: closes its connection and aborts its tokens. */
  EFI_STATUS(EFIAPI *Configure)(EFI_HTTP_PROTOCOL *This, EFI_HTTP_CONFIG_DATA *Config);
  EFI_STATUS(EFIAPI *Request)(EFI_HTTP_PROTOCOL *This, EFI_HTTP_TOKEN *Token);
  EFI_STATUS(EFIAPI *Cancel)(EFI_HTTP_PROTOCOL *This, EFI_HTTP_TOKEN *Token);
  EFI_STATUS(EFIAPI *Response)(EFI_HTTP_PROTOCOL *This, EFI_HTTP_TOKEN *Token);
  EFI_STATUS(EFIAPI *Poll)(EFI_HTTP_PROTOCOL *This);
};
_Static_assert(offsetof(EFI_HTTP_PROTOCOL, Poll) == 40, "Http.Poll");

#endif
