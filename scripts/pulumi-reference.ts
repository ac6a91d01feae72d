// The tables of docs/pulumi-reference.md, generated from the TypeScript declarations of the Pulumi
// resources and components (their JSDoc is the one home of each field's meaning and default).
//
// The doc is hand-written prose with generated regions:
//   <!-- generated: args ContainerArgs -->     a table of the interface's fields (inherited too)
//   <!-- generated: outputs Container -->      a table of the class's own public properties
//   <!-- end generated -->
// `npx tsx scripts/pulumi-reference.ts` rewrites the regions in place; `--check` exits 1 when the
// file differs from what it would write. test/provider/reference-docs.test.ts runs the check.
import fs from 'node:fs';
import path from 'node:path';
import ts from 'typescript';

export const REPO_ROOT = path.resolve(__dirname, '..');
export const REFERENCE_DOC = path.join(REPO_ROOT, 'docs', 'pulumi-reference.md');
/** The public API whose declarations the tables describe. */
export const API_ENTRIES = ['provider/index.ts', 'components/index.ts', 'core/errors.ts'].map((f) =>
  path.join(REPO_ROOT, f),
);

const REGION = /<!-- generated: (args|outputs) (\w+) -->\n[\s\S]*?<!-- end generated -->/g;

export interface Field {
  name: string;
  type: string;
  optional: boolean;
  defaultText?: string;
  doc: string;
}

/** The API's program and checker, made once (parsing @pulumi/pulumi's declarations takes seconds). */
export class ApiTypes {
  readonly program: ts.Program;
  readonly checker: ts.TypeChecker;
  private readonly exported = new Map<string, ts.Symbol>();

  constructor(entries: readonly string[] = API_ENTRIES) {
    this.program = ts.createProgram([...entries], {
      target: ts.ScriptTarget.ES2022,
      module: ts.ModuleKind.CommonJS,
      moduleResolution: ts.ModuleResolutionKind.Node10,
      strict: true,
      esModuleInterop: true,
      skipLibCheck: true,
      noEmit: true,
    });
    this.checker = this.program.getTypeChecker();
    for (const entry of entries) {
      const sf = this.program.getSourceFile(entry);
      const mod = sf && this.checker.getSymbolAtLocation(sf);
      if (!mod) throw new Error(`${entry}: not in the program`);
      for (const s of this.checker.getExportsOfModule(mod)) {
        const target = s.flags & ts.SymbolFlags.Alias ? this.checker.getAliasedSymbol(s) : s;
        this.exported.set(s.name, target);
      }
    }
  }

  /** The exported names of the API entries. */
  names(): string[] {
    return [...this.exported.keys()].sort();
  }

  symbol(name: string): ts.Symbol {
    const s = this.exported.get(name);
    if (!s) throw new Error(`${name} is not exported by ${API_ENTRIES.join(', ')}`);
    return s;
  }

  /** The string literals of an exported union type alias (e.g. D0ErrorCode). */
  literals(name: string): string[] {
    const t = this.checker.getDeclaredTypeOfSymbol(this.symbol(name));
    const parts = t.isUnion() ? t.types : [t];
    return parts.filter((p) => p.isStringLiteral()).map((p) => (p as ts.StringLiteralType).value);
  }

  /** Every field of an exported interface, inherited ones included, in declaration order. */
  argFields(name: string): Field[] {
    const t = this.checker.getDeclaredTypeOfSymbol(this.symbol(name));
    return this.checker.getPropertiesOfType(t).map((p) => this.field(p));
  }

  /** The public properties a class declares itself (outputs and child resources), not inherited ones. */
  outputFields(name: string): Field[] {
    const cls = this.symbol(name).valueDeclaration;
    if (!cls || !ts.isClassDeclaration(cls)) throw new Error(`${name} is not a class`);
    const out: Field[] = [];
    for (const m of cls.members) {
      if (!ts.isPropertyDeclaration(m) || !ts.isIdentifier(m.name)) continue;
      const mods = ts.getCombinedModifierFlags(m);
      if (mods & (ts.ModifierFlags.Private | ts.ModifierFlags.Protected)) continue;
      out.push(this.field(this.checker.getSymbolAtLocation(m.name)!));
    }
    return out;
  }

  private field(p: ts.Symbol): Field {
    // The declaration as written (a field picked through Omit<> has no valueDeclaration of its
    // own): its type text and its own @default, never one inherited from an overridden field.
    const decl = (p.valueDeclaration ?? p.declarations?.[0]) as
      ts.PropertySignature | ts.PropertyDeclaration | undefined;
    const type = decl?.type
      ? plainType(decl.type.getText())
      : this.checker.typeToString(this.checker.getTypeOfSymbol(p));
    const tag = decl && ts.getJSDocTags(decl).find((t) => t.tagName.text === 'default');
    const tagText = tag && ts.getTextOfJSDocComment(tag.comment);
    const own = decl && ts.getJSDocCommentsAndTags(decl).find(ts.isJSDoc);
    return {
      name: p.name,
      type,
      optional: (p.flags & ts.SymbolFlags.Optional) !== 0,
      defaultText: tagText || undefined,
      doc: own ? (ts.getTextOfJSDocComment(own.comment) ?? '') : '',
    };
  }
}

/** `pulumi.Input<number>` -> `number`, `pulumi.Output<X>` -> `X`: the doc's readers see values. */
function plainType(text: string): string {
  const m = /^pulumi\.(?:Input|Output)<([\s\S]*)>$/.exec(text.trim());
  return (m ? m[1] : text).replace(/\s+/g, ' ').trim();
}

const cell = (s: string) => s.replace(/\s+/g, ' ').replace(/\|/g, '\\|').trim();

export function argsTable(fields: readonly Field[]): string {
  const rows = fields.map(
    (f) =>
      `| \`${f.name}\` | \`${cell(f.type)}\` | ${f.optional ? 'no' : 'yes'} | ${cell(f.defaultText ?? '')} | ${cell(f.doc)} |`,
  );
  return [
    '| field | type | required | default | meaning and rule |',
    '|---|---|---|---|---|',
    ...rows,
  ].join('\n');
}

export function outputsTable(fields: readonly Field[]): string {
  const rows = fields.map((f) => `| \`${f.name}\` | \`${cell(f.type)}\` | ${cell(f.doc)} |`);
  return ['| output | type | meaning |', '|---|---|---|', ...rows].join('\n');
}

/** The doc with every generated region rewritten from the declarations. */
export function renderReference(doc: string, api: ApiTypes): string {
  return doc.replace(REGION, (_all, kind: string, name: string) => {
    const table =
      kind === 'args' ? argsTable(api.argFields(name)) : outputsTable(api.outputFields(name));
    return `<!-- generated: ${kind} ${name} -->\n${table}\n<!-- end generated -->`;
  });
}

/** The (kind, name) of each generated region of the doc, in order. */
export function regions(doc: string): { kind: 'args' | 'outputs'; name: string }[] {
  return [...doc.matchAll(REGION)].map((m) => ({ kind: m[1] as 'args' | 'outputs', name: m[2] }));
}

if (require.main === module) {
  const doc = fs.readFileSync(REFERENCE_DOC, 'utf8');
  const next = renderReference(doc, new ApiTypes());
  if (process.argv.includes('--check')) {
    if (next !== doc) {
      console.error(`${REFERENCE_DOC} is out of date: run npx tsx scripts/pulumi-reference.ts`);
      process.exit(1);
    }
  } else if (next !== doc) {
    fs.writeFileSync(REFERENCE_DOC, next);
    console.log(`wrote ${REFERENCE_DOC}`);
  }
}
