import assert from 'node:assert/strict';
import * as fs from 'node:fs';
import { droppedOptions, parseKconfig } from '../../builder/guest/kconfig';
import { DEFAULT_FRAGMENT, kernelCacheKey } from '../../builder/guest/kernel';

describe('guest kernel config check', () => {
  it('parses set and unset options with their line numbers, skipping comments', () => {
    const opts = parseKconfig('# note\nCONFIG_A=y\n\n# CONFIG_B is not set\nCONFIG_C=0x200000\n', 'f');
    assert.deepEqual(opts, [
      { name: 'CONFIG_A', value: 'y', line: 2 },
      { name: 'CONFIG_B', value: null, line: 4 },
      { name: 'CONFIG_C', value: '0x200000', line: 5 },
    ]);
  });

  it('rejects a line that is not Kconfig, naming file and line', () => {
    assert.throws(() => parseKconfig('CONFIG_A=y\nVIRTIO=y\n', 'frag.config'), /frag\.config:2: not a Kconfig line: VIRTIO=y/);
  });

  it('names every option that olddefconfig dropped or changed', () => {
    const frag = parseKconfig('CONFIG_VIRTIO_NET=y\nCONFIG_PHYSICAL_START=0x200000\n# CONFIG_PCI is not set\nCONFIG_OK=y\n', 'f');
    const resolved = parseKconfig('# CONFIG_VIRTIO_NET is not set\nCONFIG_PHYSICAL_START=0x1000000\nCONFIG_PCI=y\nCONFIG_OK=y\n', '.config');
    assert.deepEqual(droppedOptions(frag, resolved), [
      'CONFIG_VIRTIO_NET: wanted y, got not set (fragment line 1)',
      'CONFIG_PHYSICAL_START: wanted 0x200000, got 0x1000000 (fragment line 2)',
      'CONFIG_PCI: wanted not set, got y (fragment line 3)',
    ]);
  });

  it('treats an option missing from .config as not set (invisible symbols are omitted)', () => {
    const frag = parseKconfig('# CONFIG_ACPI is not set\nCONFIG_EROFS_FS=y\n', 'f');
    assert.deepEqual(droppedOptions(frag, []), ['CONFIG_EROFS_FS: wanted y, got not set (fragment line 2)']);
  });

  it('the repository fragment parses and asks for what the guest contract needs', () => {
    const frag = parseKconfig(fs.readFileSync(DEFAULT_FRAGMENT, 'utf8'), DEFAULT_FRAGMENT);
    const want = new Map(frag.map((o) => [o.name, o.value]));
    for (const n of ['CONFIG_64BIT', 'CONFIG_VIRTIO_MMIO_CMDLINE_DEVICES', 'CONFIG_VIRTIO_BLK', 'CONFIG_VIRTIO_NET',
      'CONFIG_EXT4_FS', 'CONFIG_SERIAL_8250_CONSOLE', 'CONFIG_DEVTMPFS', 'CONFIG_UNIX98_PTYS', 'CONFIG_X86_IOPL_IOPERM']) {
      assert.equal(want.get(n), 'y', n);
    }
    for (const n of ['CONFIG_ACPI', 'CONFIG_PCI', 'CONFIG_MODULES']) assert.equal(want.get(n), null, n);
  });

  it('the cache key changes with the source version and with every fragment byte', () => {
    const a = kernelCacheKey('linux-source-6.1 6.1.192-2', Buffer.from('CONFIG_A=y\n'));
    assert.match(a, /^[0-9a-f]{64}$/);
    assert.equal(kernelCacheKey('linux-source-6.1 6.1.192-2', Buffer.from('CONFIG_A=y\n')), a);
    assert.notEqual(kernelCacheKey('linux-source-6.1 6.1.193-1', Buffer.from('CONFIG_A=y\n')), a);
    assert.notEqual(kernelCacheKey('linux-source-6.1 6.1.192-2', Buffer.from('CONFIG_A=y \n')), a);
  });
});
