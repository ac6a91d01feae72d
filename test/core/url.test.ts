// The url string of proto/TLV.md (Update.url): which texts it takes, the error class the decoder
// gives the others (BAD_LENGTH for the length, VALUE for the rest), and agreement with an
// independent regular expression of the same grammar on URLs near the valid ones.
import { strict as assert } from 'node:assert';
import fc from 'fast-check';
import { URL_MAX_LEN } from '../../core/tlv/tags';
import { decodeValue, encodeValue, urlProblem } from '../../core/tlv/values';
import { arbUrl } from './support/arbitrary';

const URL_KIND = { kind: 'url' } as const;
const bytes = (s: string) => new Uint8Array(Buffer.from(s, 'latin1'));

// The grammar written once more, as one expression, by other means than values.ts: the octets
// and ports by their decimal ranges, a DNS name whose last label has a non-digit.
const OCTET = '(?:25[0-5]|2[0-4]\\d|1\\d\\d|[1-9]\\d|\\d)';
const LABEL = '[a-z0-9](?:[a-z0-9-]{0,61}[a-z0-9])?';
const LAST_LABEL = `(?=[a-z0-9-]*[a-z-])${LABEL}`;
const PORT = '(?:6553[0-5]|655[0-2]\\d|65[0-4]\\d\\d|6[0-4]\\d{3}|[1-5]\\d{4}|[1-9]\\d{0,3})';
const COMPONENT = '(?!\\.\\.?/)[A-Za-z0-9._-]+';
const REFERENCE = new RegExp(
  `^http://(?:${OCTET}(?:\\.${OCTET}){3}|(?:${LABEL}\\.)*${LAST_LABEL})(?::${PORT})?/(?:${COMPONENT}/)*$`,
);
const reference = (s: string) => s.length <= URL_MAX_LEN && REFERENCE.test(s);

describe('core/tlv: the url string', () => {
  it('takes http URLs with a dotted quad or a DNS name, a port, a path ending in /', () => {
    for (const url of [
      'http://192.0.2.1/',
      'http://0.0.0.0/',
      'http://255.255.255.255:65535/',
      'http://updates.example-site.net:8080/d0/site-a/',
      'http://a/',
      'http://x1.y-2.z/A.B_c-d/..x/.../',
      'http://localhost:1/builds/',
      'http://1a.example/',
      `http://${'a'.repeat(63)}.net/`,
    ]) {
      assert.equal(urlProblem(url), undefined, url);
      assert.deepEqual(decodeValue(URL_KIND, bytes(url)), { ok: true, value: url });
      assert.deepEqual(encodeValue(URL_KIND, url, 'update.url'), bytes(url));
    }
  });

  it('refuses every other text, naming why', () => {
    const cases: [string, RegExp][] = [
      ['https://example.net/', /must start with http:\/\//],
      ['HTTP://example.net/', /must start with http:\/\//],
      ['http:/example.net/', /must start with http:\/\//],
      ['http://Example.net/', /host label "Example"/],
      ['http://example.net', /has no path/],
      ['http://example.net/d0', /path must end with \//],
      ['http://example.net/d0/../x/', /path has an empty, "\." or "\.\." component/],
      ['http://example.net/./', /path has an empty/],
      ['http://example.net//', /path has an empty/],
      ['http://example.net/d0?x=1/', /path may only contain/],
      ['http://example.net/d%20/', /path may only contain/],
      ['http://example.net:0/', /port "0" is not 1\.\.65535/],
      ['http://example.net:65536/', /port "65536"/],
      ['http://example.net:080/', /port "080"/],
      ['http://example.net:/', /port ""/],
      ['http://example.net:80:80/', /more than one ":"/],
      ['http://192.0.2.01/', /is not a dotted quad/],
      ['http://192.0.2.256/', /is not a dotted quad/],
      ['http://192.0.2/', /is not a dotted quad/],
      ['http://0x7f.0.0.1/', /is not a dotted quad/],
      ['http://example.123/', /is not a dotted quad/],
      ['http://a..b/', /empty label/],
      ['http://example.net./', /empty label/],
      ['http:///', /empty label/],
      ['http://-a.net/', /host label "-a"/],
      ['http://a-.net/', /host label "a-"/],
      [`http://${'a'.repeat(64)}.net/`, /host label "a{64}"/],
      ['http://user@example.net/', /host label "user@example"/],
      ['http://[::1]/', /host label/],
      ['http://exämple.net/', /host label/],
    ];
    for (const [url, why] of cases) {
      const p = urlProblem(url);
      assert.ok(p !== undefined && why.test(p), `${url}: ${p}`);
      const d = decodeValue(URL_KIND, bytes(url));
      assert.ok(!d.ok && d.code === 'VALUE', `${url}: ${JSON.stringify(d)}`);
      assert.throws(() => encodeValue(URL_KIND, url, 'update.url'), /^D0Error: update\.url: /);
    }
  });

  it('is 1..200 bytes: a length outside is BAD_LENGTH, checked before the text', () => {
    const at = (n: number) => `http://example.net/${'p'.repeat(n - 20)}/`;
    assert.equal(at(200).length, 200);
    assert.equal(urlProblem(at(200)), undefined);
    assert.match(urlProblem(at(201))!, /must be 1\.\.200 characters/);
    for (const s of ['', at(201), `HTTPS://${'x'.repeat(300)}`]) {
      const d = decodeValue(URL_KIND, bytes(s));
      assert.ok(!d.ok && d.code === 'BAD_LENGTH', `${s.length} bytes: ${JSON.stringify(d)}`);
    }
  });

  it('agrees with the reference grammar on generated URLs and on their mutants', () => {
    const alphabet = fc.constantFrom(...'aZ09.-_/:@?%0100255HTTPS'.split(''), '..', '//', ':0');
    const mutant = fc.tuple(arbUrl, fc.nat(), fc.nat(3), alphabet).map(([u, at, cut, ins]) => {
      const i = at % (u.length + 1);
      return u.slice(0, i) + ins + u.slice(i + cut);
    });
    fc.assert(
      fc.property(fc.oneof(arbUrl, mutant), (s) => {
        assert.equal(urlProblem(s) === undefined, reference(s), `${s}: ${urlProblem(s)}`);
      }),
      { numRuns: 5000 },
    );
    fc.assert(
      fc.property(arbUrl, (s) => assert.equal(urlProblem(s), undefined, s)),
      { numRuns: 500 },
    );
  });
});
