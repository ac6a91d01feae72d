// The root of this package: the folder holding package.json, proto/, kernel/ and guest/, whose
// files the pipeline reads at run time (the manifest schema, D0's sources, the guest's sources).
//
// The code runs from two places: the TypeScript sources through tsx or ts-node (this file is
// <root>/core/package-root.ts), or the compiled package (<root>/dist/core/package-root.js, what
// `npm pack` ships). The extension of this very file tells which, so no file system probe is
// needed and a checkout inside a folder that happens to be named `dist` is not misread.
import * as path from 'node:path';

const compiled = path.extname(__filename) === '.js';

export const PACKAGE_ROOT: string = path.resolve(__dirname, compiled ? '../..' : '..');

/** A path inside the package, e.g. packagePath('proto', 'manifest.proto'). */
export function packagePath(...parts: string[]): string {
  return path.join(PACKAGE_ROOT, ...parts);
}
