// core/logfmt.ts against the golden lines of test/vectors/logfmt/lines.json, which the C parser and
// D0's own writer are held to as well (kernel/log/tests/test_logfmt.c, run by test/boot/log.test.ts):
// the same fields from every valid record, the same record from the formatter as from D0's writer,
// the same error at the same offset for every invalid one. Then properties: any byte-string values
// round-trip, and the parser refuses anything only with a LogfmtError.
import { strict as assert } from 'node:assert';
import * as fs from 'node:fs';
import * as path from 'node:path';
import fc from 'fast-check';
import {
  formatLogfmt,
  formatLogfmtValue,
  LOGFMT_ERROR_NAMES,
  LogfmtError,
  logfmtText,
  parseLogfmt,
  type LogfmtPair,
} from '../../core/logfmt';

interface Vectors {
  valid: { name: string; writer: boolean; record: string; fields: [string, string][] }[];
  invalid: { name: string; record: string; error: string; at: number }[];
}
const VECTORS: Vectors = JSON.parse(
  fs.readFileSync(path.join(__dirname, '..', 'vectors', 'logfmt', 'lines.json'), 'utf8'),
);

/** Parses; undefined for a LogfmtError, anything else is rethrown (a failure). */
function parseOrRefuse(record: string): LogfmtPair[] | undefined {
  try {
    return parseLogfmt(record);
  } catch (e) {
    if (e instanceof LogfmtError) return undefined;
    throw e;
  }
}

const byte = fc.integer({ min: 0, max: 255 }).map((c) => String.fromCharCode(c));
const byteString = fc.array(byte, { maxLength: 40 }).map((a) => a.join(''));
/** Values that look like what D0 logs: mostly printable, with the bytes that need quoting. */
const likelyValue = fc
  .array(
    fc.constantFrom('a', 'Z', '0', ' ', '=', '"', '\\', '\n', '\x00', '\x7f', '\xe9', 'x', '-'),
    { maxLength: 20 },
  )
  .map((a) => a.join(''));
const key = fc.stringMatching(/^[!#-<>-[\]-~]{1,12}$/); // every plain byte: 0x21..0x7e but " = \

describe('logfmt (core/logfmt.ts)', () => {
  describe('golden lines (test/vectors/logfmt/lines.json)', () => {
    it('has vectors of every kind: written by D0, parser-only, and one per error name', () => {
      assert.ok(VECTORS.valid.filter((v) => v.writer).length >= 8);
      assert.ok(VECTORS.valid.some((v) => !v.writer));
      for (const name of LOGFMT_ERROR_NAMES)
        assert.ok(
          VECTORS.invalid.some((v) => v.error === name),
          `no invalid vector for ${name}`,
        );
    });

    for (const v of VECTORS.valid)
      it(`parses: ${v.name}`, () => {
        assert.deepEqual(parseLogfmt(v.record), v.fields);
      });

    for (const v of VECTORS.valid.filter((x) => x.writer))
      it(`formats exactly as D0's writer does: ${v.name}`, () => {
        assert.equal(formatLogfmt(v.fields), v.record);
      });

    for (const v of VECTORS.invalid)
      it(`refuses with ${v.error} at ${v.at}: ${v.name}`, () => {
        assert.throws(
          () => parseLogfmt(v.record),
          (e: unknown) =>
            e instanceof LogfmtError &&
            e.reason === v.error &&
            e.at === v.at &&
            e.code === 'BAD_LOGFMT',
        );
      });
  });

  it('round-trips any byte-string values, on one printable line, quoting only what needs it', () => {
    fc.assert(
      fc.property(
        fc.array(fc.tuple(key, fc.oneof(byteString, likelyValue)), { maxLength: 8 }),
        (pairs) => {
          const record = formatLogfmt(pairs);
          assert.match(record, /^[\x20-\x7e]*$/);
          assert.deepEqual(parseLogfmt(record), pairs);
          for (const [, v] of pairs) {
            const quoted = formatLogfmtValue(v).startsWith('"');
            assert.equal(quoted, v === '' || /[^\x21-\x7e]|[="\\]/.test(v), JSON.stringify(v));
          }
        },
      ),
      { numRuns: 2000 },
    );
  });

  it('refuses arbitrary text only with a LogfmtError, and what it accepts formats back to the same pairs', () => {
    const text = fc.oneof(
      fc
        .array(fc.constantFrom('a', '=', ' ', '"', '\\', 'x', '0', 'f', '\t', '\xc3'), {
          maxLength: 24,
        })
        .map((a) => a.join('')),
      byteString,
    );
    fc.assert(
      fc.property(text, (s) => {
        const pairs = parseOrRefuse(s);
        if (pairs !== undefined) assert.deepEqual(parseLogfmt(formatLogfmt(pairs)), pairs);
      }),
      { numRuns: 5000 },
    );
  });

  it('formats an object in key order and numbers as decimals', () => {
    assert.equal(
      formatLogfmt({ ev: 'exit', status: 0, line: 'hello from' }),
      'ev=exit status=0 line="hello from"',
    );
  });

  it('refuses a key a reader could not split, and a value that is not a byte string', () => {
    for (const bad of ['', 'a b', 'a=b', 'a"', 'k\n'])
      assert.throws(() => formatLogfmt([[bad, 'v']]), /logfmt: key .* is empty or holds/);
    assert.throws(
      () => formatLogfmtValue('caf\u00e9 \u2713'),
      /a value is a byte string; .* has U\+2713 at 5/,
    );
  });

  it('reads a value as UTF-8 text', () => {
    assert.equal(logfmtText(parseLogfmt('line="caf\\xc3\\xa9"')[0][1]), 'café');
  });
});
