// A tiny guest that drives D0's virtio-blk device (virtio-mmio v2 at LAYOUT_VIRTIO_BLK_BASE,
// kernel/hv/layout.h) the way a driver does (virtio 1.2, 3.1.1 "Driver Requirements: Device
// Initialization"; 4.2.3 "MMIO-specific Initialization And Device Operation"), then reads
// sector 0 with one three-descriptor request (5.2.6 "Device Operation": header, data, status).
//
// The same code behaves per VM by its RAM size, so one build can hold a hostile and a well-
// behaved VM of the one guest kernel:
//   - 'loop': a VM whose e820 RAM (boot_params at RSI) ends below 96 MiB publishes a chain that
//     loops instead (desc 0 -> 1 -> 0, both device-readable);
//   - 'out-of-range': the data buffer is at 96 MiB, outside a 64 MiB VM and inside a 128 MiB one.
// A well-served request prints "blk-ok", ticks (a console line per HLT) and exits 0 through the
// status port. Any failed check exits with its own status (see EXIT), so a test can tell which.
import { asm, Cond, Program, Reg } from './tiny-kernel';

export type Hostility = 'loop' | 'out-of-range';

const BLK = 0xd0000000n; // LAYOUT_VIRTIO_BLK_BASE
/** 4.2.2 MMIO Device Register Layout (offsets). */
const R = {
  DRIVER_FEATURES: 0x020,
  DRIVER_FEATURES_SEL: 0x024,
  QUEUE_SEL: 0x030,
  QUEUE_NUM: 0x038,
  QUEUE_READY: 0x044,
  QUEUE_NOTIFY: 0x050,
  STATUS: 0x070,
  QUEUE_DESC_LOW: 0x080,
  QUEUE_DESC_HIGH: 0x084,
  QUEUE_DRIVER_LOW: 0x090,
  QUEUE_DRIVER_HIGH: 0x094,
  QUEUE_DEVICE_LOW: 0x0a0,
  QUEUE_DEVICE_HIGH: 0x0a4,
} as const;
/** 2.1 Device Status Field */
const ACKNOWLEDGE = 1;
const DRIVER = 2;
const DRIVER_OK = 4;
const FEATURES_OK = 8;
/** 2.7.5 descriptor flags */
const F_NEXT = 1;
const F_WRITE = 2;

export const QUEUE_SIZE = 4;
/** Guest-physical layout, all above the kernel (1 MiB + 64 KiB) and inside a 64 MiB VM. */
const DESC = 0x300000n; // 16-byte aligned
const AVAIL = 0x301000n;
const USED = 0x302000n;
const HEADER = 0x303000n; // struct virtio_blk_req header: type u32, reserved u32, sector u64
const DATA = 0x304000n;
const STATUS_BYTE = 0x305000n;
export const FAR_DATA = 0x6000000n; // 96 MiB
/** e820 entry 1 of boot_params (linux_boot.c): [1 MiB, RAM end); size at +8. */
const E820_1_ADDR = 0x2d0 + 20;
const E820_1_SIZE = E820_1_ADDR + 8;
const SMALL_RAM_BELOW = 96 * 2 ** 20 - 2 ** 20; // e820 size of RAM ending below 96 MiB

/** The guest's exit statuses. */
export const EXIT = {
  OK: 0,
  E820_UNEXPECTED: 10,
  FEATURES_REFUSED: 11,
  QUEUE_NOT_READY: 12,
  NOT_USED: 13,
  BLK_STATUS: 14,
  DATA_MISMATCH: 15,
} as const;

/** The first four bytes of the disk the well-behaved VM reads back ("D0DK"). */
export const DISK_MAGIC = Buffer.from('D0DK', 'latin1');

const reg = (off: number, v: number) => asm.storeDword(BLK + BigInt(off), v);
const lo = (a: bigint) => Number(a & 0xffffffffn);
const hi = (a: bigint) => Number(a >> 32n);

/** Descriptor i: addr u64, len u32, flags u16, next u16 (2.7.5), as four dword stores. */
function descriptor(i: number, addr: bigint, len: number, flags: number, next: number): number[][] {
  const at = DESC + BigInt(16 * i);
  return [
    asm.storeDword(at, lo(addr)),
    asm.storeDword(at + 4n, hi(addr)),
    asm.storeDword(at + 8n, len),
    asm.storeDword(at + 12n, flags | (next << 16)),
  ];
}

export function virtqueueGuest(hostility: Hostility, ticks: number): number[] {
  const data = hostility === 'out-of-range' ? FAR_DATA : DATA;
  const p = new Program();
  // Where RAM ends, from the e820 map D0 wrote (RSI = boot_params at the 64-bit entry).
  p.emit(asm.loadDwordAt(Reg.RSI, E820_1_ADDR), asm.cmpEax(0x100000)).exitIf(
    Cond.NE,
    EXIT.E820_UNEXPECTED,
  );

  // The request (a read of sector 0) and its chain: header -> data (512) -> status (1).
  p.emit(
    asm.storeDword(HEADER, 0), // VIRTIO_BLK_T_IN
    asm.storeDword(HEADER + 4n, 0),
    asm.storeDword(HEADER + 8n, 0), // sector 0
    asm.storeDword(HEADER + 12n, 0),
    asm.storeDword(STATUS_BYTE, 0xff), // the device overwrites it with VIRTIO_BLK_S_OK (0)
    ...descriptor(0, HEADER, 16, F_NEXT, 1),
    ...descriptor(1, data, 512, F_NEXT | F_WRITE, 2),
    ...descriptor(2, STATUS_BYTE, 1, F_WRITE, 0),
  );
  if (hostility === 'loop') {
    p.emit(asm.loadDwordAt(Reg.RSI, E820_1_SIZE), asm.cmpEax(SMALL_RAM_BELOW))
      .jcc(Cond.AE, 'chain-ready')
      .emit(...descriptor(1, data, 512, F_NEXT, 0)) // desc 1 leads back to desc 0
      .label('chain-ready');
  }
  // Available ring: flags 0, idx 1, ring[0] = head 0.
  p.emit(asm.storeDword(AVAIL, 1 << 16), asm.storeDword(AVAIL + 4n, 0));

  // Device initialisation, 3.1.1 steps 1-8.
  p.emit(
    reg(R.STATUS, 0), // reset
    reg(R.STATUS, ACKNOWLEDGE),
    reg(R.STATUS, ACKNOWLEDGE | DRIVER),
    reg(R.DRIVER_FEATURES_SEL, 1),
    reg(R.DRIVER_FEATURES, 1), // VIRTIO_F_VERSION_1 (bit 32)
    reg(R.DRIVER_FEATURES_SEL, 0),
    reg(R.DRIVER_FEATURES, 0),
    reg(R.STATUS, ACKNOWLEDGE | DRIVER | FEATURES_OK),
    asm.loadDword(BLK + BigInt(R.STATUS)),
    asm.testEax(FEATURES_OK),
  ).exitIf(Cond.E, EXIT.FEATURES_REFUSED);
  p.emit(
    reg(R.QUEUE_SEL, 0),
    reg(R.QUEUE_NUM, QUEUE_SIZE),
    reg(R.QUEUE_DESC_LOW, lo(DESC)),
    reg(R.QUEUE_DESC_HIGH, hi(DESC)),
    reg(R.QUEUE_DRIVER_LOW, lo(AVAIL)),
    reg(R.QUEUE_DRIVER_HIGH, hi(AVAIL)),
    reg(R.QUEUE_DEVICE_LOW, lo(USED)),
    reg(R.QUEUE_DEVICE_HIGH, hi(USED)),
    reg(R.QUEUE_READY, 1),
    asm.loadDword(BLK + BigInt(R.QUEUE_READY)),
    asm.cmpEax(1),
  ).exitIf(Cond.NE, EXIT.QUEUE_NOT_READY);
  p.emit(reg(R.STATUS, ACKNOWLEDGE | DRIVER | FEATURES_OK | DRIVER_OK));

  // Notify queue 0; D0's device serves the chain during this very exit.
  p.emit(asm.print('notify\n'), reg(R.QUEUE_NOTIFY, 0));
  p.emit(asm.loadDword(USED), asm.cmpEax(1 << 16)).exitIf(Cond.NE, EXIT.NOT_USED); // used idx 1
  p.emit(asm.loadByte(STATUS_BYTE), asm.cmpEax(0)).exitIf(Cond.NE, EXIT.BLK_STATUS);
  p.emit(asm.loadDword(data), asm.cmpEax(DISK_MAGIC.readUInt32LE(0))).exitIf(
    Cond.NE,
    EXIT.DATA_MISMATCH,
  );
  p.emit(asm.print('blk-ok\n'))
    .repeat(ticks, [asm.print('tick '), asm.printDecimal(Reg.RBX), asm.print('\n'), asm.hlt()])
    .emit(asm.outb(0x501, EXIT.OK), asm.haltLoop());
  return p.bytes();
}
