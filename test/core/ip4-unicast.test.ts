// The ip4 unicast value kind of proto/TLV.md (Report.collector_ip4): every address but 0.0.0.0,
// 255.255.255.255, 127/8 and 224/4, checked alike by the decoder (VALUE), the encoder and the
// validator's field check, at each edge of the refused ranges and against an independent
// statement of the rule on every first octet.
import { strict as assert } from 'node:assert';
import fc from 'fast-check';
import { Collector } from '../../core/manifest/collector';
import { scalar } from '../../core/manifest/fields';
import { decodeValue, encodeValue, parseIp4, unicastProblem } from '../../core/tlv/values';

const UNICAST = { kind: 'ip4', unicast: true } as const;
const PLAIN = { kind: 'ip4' } as const;

// The rule once more, by address ranges as numbers.
function reference(b: Uint8Array): boolean {
  const n = ((b[0] << 24) | (b[1] << 16) | (b[2] << 8) | b[3]) >>> 0;
  const within = (lo: number, hi: number) => n >= lo && n <= hi;
  return !(
    n === 0 ||
    n === 0xffffffff ||
    within(0x7f000000, 0x7fffffff) ||
    within(0xe0000000, 0xefffffff)
  );
}

describe('core/tlv: the ip4 unicast kind', () => {
  it('takes unicast addresses up to each edge of the refused ranges', () => {
    for (const a of [
      '10.0.2.2',
      '0.0.0.1',
      '0.255.255.255',
      '126.255.255.255',
      '128.0.0.0',
      '223.255.255.255',
      '240.0.0.0',
      '255.255.255.254',
    ]) {
      const b = parseIp4(a)!;
      assert.equal(unicastProblem(b), undefined, a);
      assert.deepEqual(decodeValue(UNICAST, b), { ok: true, value: a });
      assert.deepEqual(encodeValue(UNICAST, a, 'report.collector_ip4'), b);
      const c = new Collector();
      assert.equal(scalar(c, UNICAST, a, 'report.collector_ip4'), a);
      assert.deepEqual(c.problems, []);
    }
  });

  it('refuses the others as VALUE, naming why, where a plain ip4 takes them', () => {
    const cases: [string, string][] = [
      ['0.0.0.0', 'is the unspecified address'],
      ['255.255.255.255', 'is the limited broadcast address'],
      ['127.0.0.0', 'is a loopback address (127/8)'],
      ['127.0.0.1', 'is a loopback address (127/8)'],
      ['127.255.255.255', 'is a loopback address (127/8)'],
      ['224.0.0.0', 'is a multicast address (224/4)'],
      ['224.0.0.1', 'is a multicast address (224/4)'],
      ['239.255.255.255', 'is a multicast address (224/4)'],
    ];
    for (const [a, why] of cases) {
      const b = parseIp4(a)!;
      const message = `${a} ${why}, not a unicast one`;
      assert.equal(unicastProblem(b), why, a);
      assert.deepEqual(decodeValue(UNICAST, b), { ok: false, code: 'VALUE', message });
      assert.deepEqual(decodeValue(PLAIN, b), { ok: true, value: a });
      assert.throws(
        () => encodeValue(UNICAST, a, 'report.collector_ip4'),
        (e: Error) => e.message === `report.collector_ip4: "${a}" ${why}, not a unicast one`,
      );
      const c = new Collector();
      assert.equal(scalar(c, UNICAST, a, 'report.collector_ip4'), undefined);
      assert.deepEqual(c.problems, [{ code: 'INVALID', path: 'report.collector_ip4', message }]);
    }
  });

  it('agrees with the rule stated by ranges, on every first octet and random addresses', () => {
    for (let first = 0; first < 256; first++)
      for (const rest of [
        [0, 0, 0],
        [0, 0, 1],
        [255, 255, 254],
        [255, 255, 255],
      ]) {
        const b = Uint8Array.of(first, ...rest);
        assert.equal(decodeValue(UNICAST, b).ok, reference(b), b.join('.'));
      }
    fc.assert(
      fc.property(fc.uint8Array({ minLength: 4, maxLength: 4 }), (b) => {
        assert.equal(decodeValue(UNICAST, b).ok, reference(b));
      }),
    );
  });

  it('checks the length before the address', () => {
    assert.deepEqual(decodeValue(UNICAST, Uint8Array.of(127, 0, 0, 1, 8)), {
      ok: false,
      code: 'BAD_LENGTH',
      message: 'ip4 is 4 bytes, got 5',
    });
  });
});
