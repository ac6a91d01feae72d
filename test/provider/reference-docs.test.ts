// docs/pulumi-reference.md against the TypeScript declarations it documents (read with the
// TypeScript compiler API by scripts/pulumi-reference.ts): every table is what the declarations
// generate (a field missing from the doc, or named by it and absent from the type, fails), every
// exported *Args interface and resource or component class has its table, every error code the
// doc names is a D0ErrorCode, and every code a section's listed sources throw is named there.
import assert from 'node:assert/strict';
import fs from 'node:fs';
import path from 'node:path';
import ts from 'typescript';
import {
  ApiTypes,
  REFERENCE_DOC,
  REPO_ROOT,
  regions,
  renderReference,
} from '../../scripts/pulumi-reference';

/** The doc's `## ` sections: title -> text. */
function sections(doc: string): Map<string, string> {
  const out = new Map<string, string>();
  for (const part of doc.split(/^## /m).slice(1)) {
    const nl = part.indexOf('\n');
    out.set(part.slice(0, nl).trim(), part.slice(nl + 1));
  }
  return out;
}

/** A section's **Errors** paragraph and the list after it: up to the next `## `, `**` or table. */
function errorsBlock(section: string): string | undefined {
  const start = section.search(/^\*\*Errors\*\*/m);
  if (start < 0) return undefined;
  const rest = section.slice(start + 2);
  const end = rest.search(/^(\*\*|<!--|## )/m);
  return section.slice(start, end < 0 ? undefined : start + 2 + end);
}

/** Codes a source file throws: D0Error, ImageError's fail(), and subclasses' super(code). */
function thrownCodes(file: string): string[] {
  const text = fs.readFileSync(file, 'utf8');
  const re = /(?:new D0Error|\bfail|\bsuper)\(\s*'([A-Z][A-Z0-9_]+)'/g;
  return [...new Set([...text.matchAll(re)].map((m) => m[1]))].sort();
}

describe('docs/pulumi-reference.md matches the TypeScript declarations', function () {
  this.timeout(60_000);
  let api: ApiTypes;
  let doc: string;

  before(() => {
    api = new ApiTypes();
    doc = fs.readFileSync(REFERENCE_DOC, 'utf8');
  });

  it('every generated table is what the declarations generate', () => {
    const next = renderReference(doc, api);
    const a = doc.split('\n');
    const b = next.split('\n');
    const line = a.findIndex((l, i) => l !== b[i]);
    assert.equal(
      line,
      -1,
      `docs/pulumi-reference.md line ${line + 1} is ${JSON.stringify(a[line])}, the declarations give ${JSON.stringify(b[line])}: run npx tsx scripts/pulumi-reference.ts`,
    );
  });

  it('a field added to a type, or a row naming no field, makes the doc differ', () => {
    const ok = renderReference(doc, api);
    const bogus = ok.replace(
      /(<!-- generated: args ContainerArgs -->\n(?:.*\n){2})/,
      '$1| `bogus` | `number` | no |  | not a field |\n',
    );
    assert.notEqual(bogus, ok);
    assert.equal(renderReference(bogus, api), ok, 'the row naming no field was kept');
    const missing = ok.replace(/^\| `memMb` .*\n/m, '');
    assert.notEqual(missing, ok);
    assert.equal(renderReference(missing, api), ok, 'the missing field was not restored');
  });

  it('every exported *Args interface and every resource or component class has its table', () => {
    const have = regions(doc).map((r) => `${r.kind} ${r.name}`);
    const want: string[] = [];
    for (const name of api.names()) {
      const s = api.symbol(name);
      if (s.flags & ts.SymbolFlags.Interface && name.endsWith('Args')) want.push(`args ${name}`);
      const cls = s.valueDeclaration;
      const resource =
        cls &&
        ts.isClassDeclaration(cls) &&
        /Resource\b/.test(cls.heritageClauses?.[0]?.getText() ?? '');
      if (resource) want.push(`outputs ${name}`);
    }
    assert.ok(want.length >= 16, want.join(', ')); // 7 classes, 9 Args interfaces
    assert.deepEqual(
      want.filter((w) => !have.includes(w)),
      [],
      'exported but not in the reference',
    );
  });

  it('every error code the doc names is a D0ErrorCode; every code its sources throw is named', () => {
    const codes = new Set(api.literals('D0ErrorCode'));
    assert.ok(codes.has('DISK_NOT_AB') && codes.has('IMAGE_NOT_FOUND'), [...codes].join(' '));
    const secs = sections(doc);
    let checked = 0;
    for (const [title, text] of secs) {
      if (regions(text).length === 0) continue; // the introduction's sections
      const block = errorsBlock(text);
      assert.ok(block, `## ${title} has no **Errors** paragraph`);
      const named = [...block.matchAll(/`([A-Z][A-Z0-9_]{2,})`/g)].map((m) => m[1]);
      for (const c of named) assert.ok(codes.has(c), `## ${title} names ${c}, not a D0ErrorCode`);
      const sources = [...block.matchAll(/\]\(\.\.\/([^)]+\.ts)\)/g)].map((m) => m[1]);
      assert.ok(sources.length > 0, `## ${title}: **Errors** lists no source`);
      for (const src of sources) {
        const file = path.join(REPO_ROOT, src);
        assert.ok(fs.existsSync(file), `## ${title} links ${src}, which does not exist`);
        for (const c of thrownCodes(file))
          assert.ok(named.includes(c), `## ${title}: ${src} throws ${c}, the doc does not name it`);
        checked++;
      }
    }
    assert.ok(checked >= 10, `only ${checked} sources checked`);
  });
});
