// The measured-boot prediction (core/measure.ts) against known answers computed outside it: the
// expected values below were computed by hand with Python's hashlib, as
//   p = bytes(32); for d in digests: p = sha256(p + sha256(d))
// so a change of the chain, the order of the events or what each event measures breaks them.
import assert from 'node:assert/strict';
import fs from 'node:fs';
import path from 'node:path';
import { MEASURE_PCR, extendChain, measuredEvents } from '../../core/measure';
import { decodeManifest } from '../../core/tlv/decode';

const hex = (b: Uint8Array) => Buffer.from(b).toString('hex');
const VECTOR = path.join(__dirname, '..', 'vectors', 'manifest', 'valid-minimal.tlv');

describe('core/measure: the PCR D0 extends, predicted', () => {
  it('is PCR 12', () => assert.equal(MEASURE_PCR, 12));

  it('extends from 32 zero bytes with SHA-256(PCR || SHA-256(D))', () => {
    assert.equal(hex(extendChain([])), '00'.repeat(32));
    const d1 = new Uint8Array(32).fill(0x11);
    const d2 = new Uint8Array(32).fill(0x22);
    assert.equal(
      hex(extendChain([d1])),
      '1e60f81404c2f085dc1bb30642c0c23cd3f77bd32424888abb3fc0f9908f1adf',
    );
    assert.equal(
      hex(extendChain([d1, d2])),
      '0e8a621d32a0a00826159c289830f85187e2bfef2bb816b6167c8cdefa841a51',
    );
    assert.notEqual(hex(extendChain([d2, d1])), hex(extendChain([d1, d2])), 'order matters');
  });

  it('refuses a measured value that is not 32 bytes', () => {
    assert.throws(() => extendChain([new Uint8Array(31)]), /31 bytes, not 32/);
  });

  it('measures the manifest, then the guest kernel, then each disk, in manifest order', () => {
    const tlv = new Uint8Array(fs.readFileSync(VECTOR));
    const m = decodeManifest(tlv);
    const events = measuredEvents(tlv, m);
    assert.deepEqual(
      events.map((e) => [e.description, hex(e.measured)]),
      [
        [
          'd0 manifest 017f22e2-79b0-7cc3-98c4-dc0c0c07398f',
          '10f636a95fd7f50a8c636dda5a401e97a366e52087156910e2c5ceec19605f30', // sha256sum of the file
        ],
        [
          'd0 guest-kernel VM/vmlinuz-017f22e2-79b0-7cc3-98c4-dc0c0c07398f',
          '6923dd1bc0460082c5d55a831908c24a282860b7f1cd6c2b79cf1bc8857c639c',
        ],
        [
          'd0 disk web VM/web-017f22e2-79b0-7cc3-98c4-dc0c0c07398f.img',
          'cb73e8d61159c31a9c1b87c8a8cf554d1ea1e416b59e7ff2997a16b54d092ee7',
        ],
      ],
    );
    assert.equal(
      hex(extendChain(events.map((e) => e.measured))),
      '219146a5abb58ead6a27c4a8989192f9e519896eb3ab6a6055c78eecaaa7aa44',
    );
  });

  it('names the field of a digest that is not one', () => {
    const tlv = new Uint8Array(fs.readFileSync(VECTOR));
    const m = decodeManifest(tlv);
    const bad = { ...m, containers: [{ ...m.containers[0], disk_sha256: 'zz' }] };
    assert.throws(() => measuredEvents(tlv, bad), /containers\[0\]\.disk_sha256/);
  });
});
