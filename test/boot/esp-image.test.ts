// GPT + FAT32 ESP images from builder/disk/esp.ts, read back with the same tools firmware-side
// code would meet (sgdisk's view of the GPT, mtools' view of the FAT).
import assert from 'node:assert/strict';
import { execFileSync } from 'node:child_process';
import crypto from 'node:crypto';
import fs from 'node:fs';
import os from 'node:os';
import path from 'node:path';
import { buildEspDisk, EspImageError, type EspPartition } from '../../builder/disk/esp';

const mtoolsEnv = { ...process.env, MTOOLS_SKIP_CHECK: '1' };

function readFat(disk: string, offsetBytes: number, file: string): Buffer {
  return execFileSync('mtype', ['-i', `${disk}@@${offsetBytes}`, `::/${file}`], {
    env: mtoolsEnv,
    maxBuffer: 1 << 26,
  });
}

describe('ESP disk images (GPT + FAT32)', function () {
  this.timeout(120_000);
  let dir: string;
  beforeEach(() => (dir = fs.mkdtempSync(path.join(os.tmpdir(), 'd0-espimg-'))));
  afterEach(() => fs.rmSync(dir, { recursive: true, force: true }));

  it('writes two named ESPs (the A/B layout) whose files read back byte for byte', async () => {
    const big = crypto.randomBytes(3 * 1024 * 1024 + 17);
    const hostFile = path.join(dir, 'src.bin');
    fs.writeFileSync(hostFile, big);
    const disk = path.join(dir, 'disk.img');
    const out = await buildEspDisk(disk, [
      {
        name: 'ESP_A',
        label: 'D0_A',
        files: [
          { path: 'EFI/BOOT/BOOTX64.EFI', data: Buffer.from('efi-a') },
          { path: 'VM/a.img', data: { file: hostFile } },
        ],
      },
      {
        name: 'ESP_B',
        label: 'D0_B',
        files: [{ path: 'manifest-x.tlv', data: Buffer.from('tlv-b') }],
      },
    ]);
    assert.equal(fs.statSync(disk).size, out.sizeBytes);
    assert.deepEqual(
      out.partitions.map((p) => [p.name, p.index, p.firstLba]),
      [
        ['ESP_A', 1, 2048],
        ['ESP_B', 2, 2048 + out.partitions[0].sectors],
      ],
    );

    const gpt = execFileSync('sgdisk', ['-p', disk], { encoding: 'utf8' });
    assert.match(gpt, /^\s+1\s+2048\s+\d+\s+\S+ \S+\s+EF00\s+ESP_A$/m);
    assert.match(gpt, /^\s+2\s+\d+\s+\d+\s+\S+ \S+\s+EF00\s+ESP_B$/m);
    execFileSync('sgdisk', ['-v', disk]); // exits non-zero on a damaged GPT

    const [a, b] = out.partitions.map((p) => p.firstLba * 512);
    assert.equal(readFat(disk, a, 'EFI/BOOT/BOOTX64.EFI').toString(), 'efi-a');
    assert.ok(readFat(disk, a, 'VM/a.img').equals(big));
    assert.equal(readFat(disk, b, 'manifest-x.tlv').toString(), 'tlv-b');
    const label = execFileSync('mlabel', ['-i', `${disk}@@${b}`, '-s', '::'], {
      env: mtoolsEnv,
      encoding: 'utf8',
    });
    assert.match(label, /D0_B/);
    const fsType = execFileSync('minfo', ['-i', `${disk}@@${a}`, '::'], {
      env: mtoolsEnv,
      encoding: 'utf8',
    });
    assert.match(fsType, /FAT32|fat32|big FAT/i);
  });

  const bad: Array<[string, EspPartition[], string, RegExp]> = [
    ['no partitions', [], 'ESP_NO_PARTITIONS', /at least one ESP/],
    [
      'a bad partition name',
      [{ name: 'ESP A', label: 'D0', files: [] }],
      'ESP_BAD_NAME',
      /partitions\[0\]\.name/,
    ],
    [
      'a lowercase label',
      [{ name: 'ESP_A', label: 'd0', files: [] }],
      'ESP_BAD_LABEL',
      /partitions\[0\]\.label/,
    ],
    [
      'a label over 11 characters',
      [{ name: 'ESP_A', label: 'ABCDEFGHIJKL', files: [] }],
      'ESP_BAD_LABEL',
      /label/,
    ],
    [
      'an absolute path',
      [{ name: 'ESP_A', label: 'D0', files: [{ path: '/x', data: Buffer.alloc(1) }] }],
      'ESP_BAD_PATH',
      /files\[0\]\.path/,
    ],
    [
      'a ".." component',
      [{ name: 'ESP_A', label: 'D0', files: [{ path: 'a/../b', data: Buffer.alloc(1) }] }],
      'ESP_BAD_PATH',
      /files\[0\]\.path/,
    ],
    [
      'a space in a name',
      [{ name: 'ESP_A', label: 'D0', files: [{ path: 'a b', data: Buffer.alloc(1) }] }],
      'ESP_BAD_PATH',
      /files\[0\]\.path/,
    ],
    [
      'two paths equal but for case',
      [
        {
          name: 'ESP_A',
          label: 'D0',
          files: [
            { path: 'A.TXT', data: Buffer.alloc(1) },
            { path: 'a.txt', data: Buffer.alloc(1) },
          ],
        },
      ],
      'ESP_DUPLICATE_PATH',
      /files\[1\]\.path: a\.txt appears twice/,
    ],
    [
      'a size below FAT32 minimum',
      [{ name: 'ESP_A', label: 'D0', files: [], sizeMiB: 8 }],
      'ESP_TOO_SMALL',
      /sizeMiB: 8 MiB/,
    ],
    [
      'a size too small for its files',
      [
        {
          name: 'ESP_A',
          label: 'D0',
          files: [{ path: 'x', data: Buffer.alloc(40 * 1024 * 1024) }],
          sizeMiB: 40,
        },
      ],
      'ESP_TOO_SMALL',
      /cannot hold/,
    ],
  ];
  for (const [what, parts, code, message] of bad) {
    it(`refuses ${what} (${code}) and writes nothing`, async () => {
      const disk = path.join(dir, 'disk.img');
      await assert.rejects(buildEspDisk(disk, parts), (e: unknown) => {
        assert.ok(e instanceof EspImageError, String(e));
        assert.equal(e.code, code);
        assert.match(e.message, message);
        return true;
      });
      assert.equal(fs.existsSync(disk), false);
    });
  }
});
