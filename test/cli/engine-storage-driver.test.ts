// Which storage driver d0's own dockerd is started with (builder/docker/storage-driver.ts):
// overlay2 where the kernel has overlayfs, then vfs; one driver when D0_DOCKER_STORAGE_DRIVER
// names it; a name d0 does not start dockerd with is refused before anything starts. The engine
// test (./engine.test.ts) checks that a started engine reports the first choice.
import { strict as assert } from 'node:assert';
import fs from 'node:fs';
import os from 'node:os';
import path from 'node:path';
import { kernelFilesystems, storageDrivers } from '../../builder/docker/storage-driver';

describe('d0 engine: the storage driver of the dockerd d0 starts', () => {
  it('reads /proc/filesystems, nodev lines included', () => {
    const dir = fs.mkdtempSync(path.join(os.tmpdir(), 'd0-fs-'));
    try {
      const f = path.join(dir, 'filesystems');
      fs.writeFileSync(f, 'nodev\tsysfs\nnodev\ttmpfs\n\text4\nnodev\toverlay\n');
      assert.deepEqual([...kernelFilesystems(f)].sort(), ['ext4', 'overlay', 'sysfs', 'tmpfs']);
      assert.deepEqual([...kernelFilesystems(path.join(dir, 'missing'))], []);
    } finally {
      fs.rmSync(dir, { recursive: true, force: true });
    }
    // This machine's kernel: the list is what the engine test's start relies on.
    assert.ok(kernelFilesystems().has('proc'));
  });

  it('overlay2 then vfs with overlayfs, vfs alone without it', () => {
    assert.deepEqual(storageDrivers({}, new Set(['ext4', 'overlay'])), ['overlay2', 'vfs']);
    assert.deepEqual(storageDrivers({}, new Set(['ext4'])), ['vfs']);
  });

  it('D0_DOCKER_STORAGE_DRIVER names the one driver; anything else is refused with the name', () => {
    assert.deepEqual(storageDrivers({ D0_DOCKER_STORAGE_DRIVER: 'vfs' }, new Set(['overlay'])), [
      'vfs',
    ]);
    assert.deepEqual(storageDrivers({ D0_DOCKER_STORAGE_DRIVER: ' overlay2 ' }, new Set()), [
      'overlay2',
    ]);
    assert.deepEqual(storageDrivers({ D0_DOCKER_STORAGE_DRIVER: '' }, new Set(['overlay'])), [
      'overlay2',
      'vfs',
    ]);
    assert.throws(
      () => storageDrivers({ D0_DOCKER_STORAGE_DRIVER: 'devicemapper --debug' }, new Set()),
      /^Error: D0_DOCKER_STORAGE_DRIVER="devicemapper --debug": not a storage driver d0 starts dockerd with \(overlay2, vfs\)$/,
    );
  });
});
