// Lexical normalisation of tar entry paths. Layers are applied to an in-memory tree, never by
// resolving paths on the host, so a normalised path is a list of plain names: no '', '.', '..'.
// Names are binary strings (one char per byte, tar-header.ts), so .length is the byte length.
import { fail } from './errors';
import { display } from './tar-header';

export const MAX_NAME_BYTES = 255; // ext4 directory entry limit
export const MAX_PATH_BYTES = 4096;
const WHITEOUT = '.wh.';

/** 'a/./b/' -> ['a','b']; './' -> [] (the root). Absolute paths and '..' are rejected. */
export function entryPathParts(name: string, where: string): string[] {
  if (name.startsWith('/')) fail('ENTRY_UNSAFE', `${where}: absolute path "${display(name)}" in a layer`);
  return relativeParts(name, where, 'path');
}

/** Hardlink targets are relative to the layer root; a leading '/' means the same root. */
export function linkTargetParts(linkname: string, where: string): string[] {
  return relativeParts(linkname.replace(/^\/+/, ''), where, 'hardlink target');
}

function relativeParts(name: string, where: string, what: string): string[] {
  if (name.length > MAX_PATH_BYTES) fail('ENTRY_INVALID', `${where}: ${what} longer than ${MAX_PATH_BYTES} bytes`);
  const parts: string[] = [];
  const comps = name.split('/');
  let last = comps.length - 1;
  while (last > 0 && (comps[last] === '' || comps[last] === '.')) last--;
  for (let i = 0; i < comps.length; i++) {
    const part = comps[i];
    if (part === '' || part === '.') continue;
    if (part === '..') fail('ENTRY_UNSAFE', `${where}: ${what} "${display(name)}" contains '..'`);
    // A whiteout is named ".wh." + the name it hides, which may itself be 255 bytes (Docker writes
    // such names); the layer reader strips the prefix, so no name longer than 255 bytes is stored.
    const max = what === 'path' && i === last && part.startsWith(WHITEOUT) ? MAX_NAME_BYTES + WHITEOUT.length : MAX_NAME_BYTES;
    if (part.length > max)
      fail('ENTRY_INVALID', `${where}: name "${display(part.slice(0, 40))}..." longer than ${MAX_NAME_BYTES} bytes`);
    if (part.includes('\0')) fail('ENTRY_INVALID', `${where}: ${what} contains a NUL byte`);
    parts.push(part);
  }
  return parts;
}

export const showPath = (parts: readonly string[]): string => '/' + parts.map(display).join('/');
