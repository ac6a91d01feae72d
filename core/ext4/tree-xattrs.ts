// Every inode's extended attributes in ext4's form, checked before anything is laid out: a name
// Linux would refuse or a set larger than one xattr block is refused with the file's path.
// Iterative: trees may be thousands of levels deep.
import { fail } from '../image/errors';
import { showPath } from '../image/entry-path';
import type { DirInode, Inode } from '../image/rootfs-tree';
import { display } from '../image/tar-header';
import { fitsInBlock, toDiskXattr, type XattrEntry } from './xattr';

export function diskXattrs(root: DirInode): Map<Inode, XattrEntry[]> {
  const out = new Map<Inode, XattrEntry[]>();
  const stack: [Inode, string[]][] = [[root, []]];
  while (stack.length) {
    const [node, parts] = stack.pop()!;
    if (node.xattrs.size && !out.has(node)) {
      const entries: XattrEntry[] = [];
      for (const [name, value] of node.xattrs) {
        const e = toDiskXattr(Buffer.from(name, 'latin1'), value);
        if (typeof e === 'string') fail('ENTRY_INVALID', `${showPath(parts)}: extended attribute "${display(name)}": ${e}`);
        entries.push(e);
      }
      if (!fitsInBlock(entries))
        fail('LIMIT_EXCEEDED', `${showPath(parts)}: its extended attributes do not fit in one 4096-byte ext4 block`);
      out.set(node, entries);
    }
    if (node.kind === 'dir') for (const [name, child] of node.children) stack.push([child, [...parts, name]]);
  }
  return out;
}
