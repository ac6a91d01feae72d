// The Bochs harness's configuration text (no Bochs runs): the e1000 uplink on slirp with its config
// file, and the hostfwd lines that forward 127.0.0.1 ports to D0's uplink address.
import { strict as assert } from 'node:assert';
import { bochsrc, slirpConfig } from './bochs';

describe('Bochs harness: uplink configuration', () => {
  it('writes a restricted slirp config with one hostfwd per forward, bound to 127.0.0.1', () => {
    const text = slirpConfig({
      forwards: [
        { protocol: 'tcp', hostPort: 41000, uplinkPort: 8080 },
        { protocol: 'udp', hostPort: 41001, uplinkPort: 53 },
      ],
    });
    // Bochs 2.7 refuses the file unless its first line is exactly this.
    assert.equal(text.split('\n')[0], '# slirp config');
    assert.deepEqual(text.split('\n').slice(1), [
      'restricted = 1',
      'hostfwd = tcp:127.0.0.1:41000-10.0.2.15:8080',
      'hostfwd = udp:127.0.0.1:41001-10.0.2.15:53',
      '',
    ]);
    assert.match(slirpConfig({ restrict: false }), /^restricted = 0$/m);
  });

  it('puts the e1000 in PCI slot 1 on slirp with the config file; refuses a second slot-1 device', () => {
    const rc = bochsrc(
      { disk: 'd', uplink: { mac: '52:54:00:aa:bb:cc' } },
      '/r/disk',
      '/r/s',
      '/r/slirp.conf',
    );
    assert.match(rc, /^pci: enabled=1, chipset=i440fx, slot1=e1000$/m);
    assert.match(
      rc,
      /^e1000: enabled=1, mac=52:54:00:aa:bb:cc, ethmod=slirp, script=\/r\/slirp.conf$/m,
    );
    assert.doesNotMatch(bochsrc({ disk: 'd' }, '/r/disk', '/r/s'), /e1000|slot1/);
    assert.throws(
      () => bochsrc({ disk: 'd', uplink: {}, pciSlot1: 'ne2k' }, '/r/disk', '/r/s'),
      /slot 1/,
    );
  });
});
