// kernel/boot/efi/install on the host (ASan + UBSan): the empty A/B disk D0 lays out itself on a
// blank disk. kernel/tests/test_disk_layout.c plans and writes images (200 MiB, 1 GiB, a given
// slot size, a disk just big enough, an odd block count) over junk and checks them itself, plus
// the refusals and a write failing at every k-th call. Here the same images go through the real
// tools and the project's own readers: sgdisk -v/-p (two EF00 partitions ESP_A/ESP_B, no
// problems), fsck.fat -n on each partition (clean FAT32, labels D0_A/D0_B), mcopy of a file into
// each slot read back with mtype (and fsck.fat still clean), and builder/disk's readGpt, fatLabel,
// slotPartitions and listFat. Then the layout is held against what `d0 disk build` makes:
// buildEspDisk (builder/disk/esp.ts) with two empty slots of the same size, compared field by
// field (everything but the GUIDs, CRCs, volume serials, timestamps and boot code), and
// mkfs.fat -F 32's parameters at each cluster-size and geometry threshold.
import { execFile } from 'node:child_process';
import assert from 'node:assert/strict';
import fs from 'node:fs';
import os from 'node:os';
import path from 'node:path';
import { promisify } from 'node:util';
import { buildEspDisk } from '../../builder/disk/esp';
import { fatLabel, listFat, readFat } from '../../builder/disk/fat';
import { readGpt, ESP_TYPE_GUID } from '../../builder/disk/gpt';
import { slotPartitions } from '../../builder/disk/slots';
import { bin, build, run, summary } from './host-build';

const exec = promisify(execFile);
const env = { ...process.env, MTOOLS_SKIP_CHECK: '1' };
const SECTOR = 512;
const MIB = 1024 * 1024;

interface Image {
  name: string;
  file: string;
  diskBlocks: number;
  slotMiB: number;
}

async function sh(cmd: string, args: string[]): Promise<string> {
  const { stdout, stderr } = await exec(cmd, args, { env, maxBuffer: 16 * MIB });
  return stdout + stderr;
}

/** Copies `length` bytes at `offset` of `img` into a sparse file of their own. */
async function extract(img: string, offset: number, length: number, out: string): Promise<void> {
  await sh('dd', [
    `if=${img}`,
    `of=${out}`,
    'bs=1M',
    'iflag=skip_bytes,count_bytes',
    `skip=${offset}`,
    `count=${length}`,
    'conv=sparse',
    'status=none',
  ]);
}

function readAt(file: string, offset: number, length: number): Buffer {
  const b = Buffer.alloc(length);
  const fd = fs.openSync(file, 'r');
  try {
    assert.equal(fs.readSync(fd, b, 0, length, offset), length, `short read of ${file} at ${offset}`);
  } finally {
    fs.closeSync(fd);
  }
  return b;
}

/** Byte ranges [from, to) of two buffers are equal. */
function sameRanges(a: Buffer, b: Buffer, ranges: [number, number][], what: string): void {
  for (const [from, to] of ranges)
    assert.deepEqual(a.subarray(from, to), b.subarray(from, to), `${what}: bytes ${from}..${to - 1} differ`);
}

describe('kernel disk layout (host build)', function () {
  this.timeout(10 * 60_000);
  let dir = '';
  let images: Image[] = [];
  let result: Awaited<ReturnType<typeof run>>;

  before(async () => {
    await build('kernel/build/host/test_disk_layout');
    dir = fs.mkdtempSync(path.join(os.tmpdir(), 'd0-disk-layout-'));
    result = await run(bin('test_disk_layout'), [dir], 120_000);
    images = [...result.stdout.matchAll(/^image (\S+) disk_blocks=(\d+) slot_mib=(\d+)/gm)].map((m) => ({
      name: m[1],
      file: path.join(dir, m[1]),
      diskBlocks: Number(m[2]),
      slotMiB: Number(m[3]),
    }));
  });
  after(() => {
    if (dir) fs.rmSync(dir, { recursive: true, force: true });
  });

  it('plans and writes every layout, refuses the bad ones, and stops at any failed write', () => {
    assert.equal(result.code, 0, result.stdout + result.stderr);
    const s = summary(result.stdout, 'disk_layout');
    assert.equal(s.failed, 0);
    assert.ok(s.checks > 2000, `only ${s.checks} checks ran`);
    assert.deepEqual(
      images.map((i) => i.name),
      ['200m.img', '1g.img', '1g-s64.img', 'min.img', 'odd.img', 'min-s40.img'],
    );
    assert.match(result.stdout, /^failures: 409600 blocks, every k of \d+ calls$/m);
  });

  it('sgdisk finds no problems and shows ESP_A and ESP_B, both EF00', async () => {
    for (const img of images) {
      const v = await sh('sgdisk', ['-v', img.file]);
      assert.match(v, /No problems found/, `${img.name}: ${v}`);
      const p = await sh('sgdisk', ['-p', img.file]);
      assert.match(p, new RegExp(`Disk ${img.file.replace(/[.]/g, '\\.')}: ${img.diskBlocks} sectors`));
      assert.match(p, /Sector size \(logical\): 512 bytes/);
      assert.match(p, /Partition table holds up to 128 entries/);
      const rows = [...p.matchAll(/^\s+(\d+)\s+(\d+)\s+(\d+)\s+\S+ \S+\s+(\S+)\s+(\S+)$/gm)].map((m) => ({
        n: Number(m[1]),
        first: Number(m[2]),
        last: Number(m[3]),
        code: m[4],
        name: m[5],
      }));
      const slot = img.slotMiB * 2048;
      assert.deepEqual(
        rows,
        [
          { n: 1, first: 2048, last: 2048 + slot - 1, code: 'EF00', name: 'ESP_A' },
          { n: 2, first: 2048 + slot, last: 2048 + 2 * slot - 1, code: 'EF00', name: 'ESP_B' },
        ],
        `${img.name}:\n${p}`,
      );
    }
  });

  it('fsck.fat finds each slot a clean FAT32 labelled D0_A / D0_B; mcopy into it reads back', async () => {
    for (const img of images) {
      for (const [i, letter] of ['A', 'B'].entries()) {
        const offset = (2048 + i * img.slotMiB * 2048) * SECTOR;
        const part = path.join(dir, `${img.name}.${letter}.part`);
        await extract(img.file, offset, img.slotMiB * MIB, part);
        const fsck = await sh('fsck.fat', ['-n', '-v', part]);
        assert.match(fsck, /2 FATs, 32 bit entries/, fsck);
        assert.match(fsck, new RegExp(`${part.replace(/[.]/g, '\\.')}: 1 files, 1/\\d+ clusters`), fsck);
        assert.doesNotMatch(fsck, /differ|Free cluster summary wrong|Dirty bit|[Ll]abel in boot sector/, fsck);
        assert.equal((await sh('fatlabel', [part])).trim(), `D0_${letter}`);

        const at = `${img.file}@@${offset}`;
        assert.match(await sh('mdir', ['-i', at, '::']), new RegExp(`Volume in drive : is D0_${letter}\\s`));
        const src = path.join(dir, `hello-${letter}.txt`);
        const body = `slot ${letter} of ${img.name}\n`.repeat(3000); // several clusters
        fs.writeFileSync(src, body);
        await sh('mmd', ['-i', at, '::/EFI']);
        await sh('mcopy', ['-i', at, src, '::/EFI/HELLO.TXT']);
        assert.equal(await sh('mtype', ['-i', at, '::/EFI/HELLO.TXT']), body);
        await extract(img.file, offset, img.slotMiB * MIB, part);
        const after = await sh('fsck.fat', ['-n', part]);
        assert.match(after, /: 3 files, \d+\/\d+ clusters/, after);
        fs.rmSync(part);
      }
    }
  });

  it("builder/disk's readers see slots A and B: readGpt, fatLabel, slotPartitions, listFat", async () => {
    for (const img of images) {
      const parts = readGpt(img.file);
      assert.deepEqual(
        parts.map((p) => [p.index, p.typeGuid, p.name, p.firstLba, p.size]),
        [
          [1, ESP_TYPE_GUID, 'ESP_A', 2048, img.slotMiB * MIB],
          [2, ESP_TYPE_GUID, 'ESP_B', 2048 + img.slotMiB * 2048, img.slotMiB * MIB],
        ],
        img.name,
      );
      const slots = slotPartitions(img.file);
      assert.deepEqual(
        slots.map((s) => s.letter),
        ['A', 'B'],
      );
      for (const s of slots) {
        assert.equal(fatLabel(img.file, s.part.offset), `D0_${s.letter}`);
        // the previous case copied EFI/HELLO.TXT into each slot
        assert.deepEqual(await listFat(img.file, s.part.offset), ['EFI/HELLO.TXT']);
        const body = await readFat(img.file, s.part.offset, 'EFI/HELLO.TXT');
        assert.ok(body?.toString().startsWith(`slot ${s.letter} of ${img.name}`));
      }
    }
  });

  it('is the layout `d0 disk build` makes (buildEspDisk with two empty slots)', async () => {
    for (const mib of [40, 261]) {
      const ref = path.join(dir, `ref-${mib}.img`);
      const disk = await buildEspDisk(ref, [
        { name: 'ESP_A', label: 'D0_A', files: [], sizeMiB: mib },
        { name: 'ESP_B', label: 'D0_B', files: [], sizeMiB: mib },
      ]);
      const blocks = disk.sizeBytes / SECTOR;
      const mine = path.join(dir, `mine-${mib}.img`);
      const out = await sh(bin('test_disk_layout'), ['--image', mine, String(blocks), String(mib)]);
      assert.equal(out.trim(), `slot_mib=${mib}`);
      assert.equal(fs.statSync(mine).size, disk.sizeBytes);
      const at = (f: string, lba: number, n = 1) => readAt(f, lba * SECTOR, n * SECTOR);

      // Protective MBR: identical.
      assert.deepEqual(at(mine, 0), at(ref, 0), `${mib}: protective MBR`);
      // Headers: all but the header CRC, disk GUID and entry-array CRC.
      const hdr: [number, number][] = [[0, 16], [20, 56], [72, 88], [92, 512]];
      sameRanges(at(mine, 1), at(ref, 1), hdr, `${mib}: primary GPT header`);
      sameRanges(at(mine, blocks - 1), at(ref, blocks - 1), hdr, `${mib}: backup GPT header`);
      // Entries: all but the unique partition GUIDs.
      for (const lba of [2, blocks - 33]) {
        const a = at(mine, lba, 32);
        const b = at(ref, lba, 32);
        for (let e = 0; e < 128; e++)
          sameRanges(a.subarray(e * 128, e * 128 + 128), b.subarray(e * 128, e * 128 + 128), [[0, 16], [32, 128]], `${mib}: entry ${e + 1} at LBA ${lba}`);
      }
      // Each slot's FAT32.
      for (const p of disk.partitions) {
        const base = p.firstLba;
        const bootA = at(mine, base);
        const bootB = at(ref, base);
        // BPB through BS_BootSig, BS_VolLab and BS_FilSysType, the signature (not BS_VolID, the
        // OEM name or the boot code).
        const bpb: [number, number][] = [[0, 1], [11, 67], [71, 90], [510, 512]];
        sameRanges(bootA, bootB, bpb, `${mib} ${p.name}: boot sector`);
        sameRanges(at(mine, base + 6), at(ref, base + 6), bpb, `${mib} ${p.name}: backup boot sector`);
        assert.deepEqual(at(mine, base + 1), at(ref, base + 1), `${mib} ${p.name}: FSInfo`);
        assert.deepEqual(at(mine, base + 7), at(ref, base + 7), `${mib} ${p.name}: backup FSInfo`);
        const reserved = bootA.readUInt16LE(14);
        const fat = bootA.readUInt32LE(36);
        const spc = bootA[13];
        const dataStart = reserved + 2 * fat;
        for (const f of [reserved, reserved + fat])
          assert.deepEqual(at(mine, base + f), at(ref, base + f), `${mib} ${p.name}: FAT at ${f}`);
        // Root directory: the label entry's name and attribute (its dates differ), nothing after.
        sameRanges(at(mine, base + dataStart), at(ref, base + dataStart), [[0, 12], [32, 512]], `${mib} ${p.name}: root directory`);
        // The same sectors hold something, everywhere up to the end of the root directory.
        const span = dataStart + spc;
        const a = at(mine, base, span);
        const b = at(ref, base, span);
        const used = (buf: Buffer) =>
          [...Array(span).keys()].filter((s) => buf.subarray(s * SECTOR, (s + 1) * SECTOR).some((x) => x !== 0));
        assert.deepEqual(used(a), used(b), `${mib} ${p.name}: non-zero sectors`);
      }
      fs.rmSync(ref);
      fs.rmSync(mine);
    }
  });

  it("has mkfs.fat -F 32's parameters at every cluster-size and geometry threshold", async () => {
    // BPB fields from BPB_BytsPerSec to BS_BootSig (bytes 11..66), and FSInfo, for slots around
    // each threshold: geometry 128/256 MiB, LBA-assist heads 504/1008/2016/4032 MiB, cluster
    // size 260/8192/16384/32768 MiB (the last also rounds the reserved sectors up to 64).
    const sizes = [40, 128, 129, 256, 257, 260, 261, 504, 505, 1008, 1009, 2016, 2017, 4032, 4033, 8192, 8193, 16385, 32768, 32769];
    for (const mib of sizes) {
      const ref = path.join(dir, `mkfs-${mib}.part`);
      fs.closeSync(fs.openSync(ref, 'w'));
      fs.truncateSync(ref, mib * MIB);
      await sh('mkfs.fat', ['-F', '32', '-n', 'D0_A', ref]);
      const mine = path.join(dir, `mkfs-${mib}.img`);
      await sh(bin('test_disk_layout'), ['--image', mine, String(2048 + 2 * mib * 2048 + 33), String(mib)]);
      const a = readAt(mine, 2048 * SECTOR, 2 * SECTOR);
      const b = readAt(ref, 0, 2 * SECTOR);
      sameRanges(a, b, [[11, 67], [71, 90], [510, 512]], `${mib} MiB: boot sector`);
      sameRanges(a, b, [[512, 1024]], `${mib} MiB: FSInfo`);
      fs.rmSync(ref);
      fs.rmSync(mine);
    }
  });
});
