// What one layer says, recorded while it streams and applied to the merged tree once it ends
// (whiteouts and opaque markers act on lower layers only, wherever they sit in the tar). A file's
// content is already in the disk image's data blocks (start block, size); only metadata is held
// in memory. Names are binary strings (core/image/tar-header.ts).
export interface Meta {
  mode: number; // permission bits incl. setuid/setgid/sticky (07777)
  uid: number;
  gid: number;
  mtime: number; // seconds since the epoch, from the layer
  xattrs: Map<string, Buffer>;
}

export type LayerEntry =
  | ({ kind: 'file'; parts: string[]; start: number; size: number } & Meta)
  | ({ kind: 'dir'; parts: string[] } & Meta)
  | ({ kind: 'symlink'; parts: string[]; target: string } & Meta)
  | ({ kind: 'hardlink'; parts: string[]; target: string[] } & Meta)
  | ({ kind: 'char' | 'block'; parts: string[]; major: number; minor: number } & Meta)
  | ({ kind: 'fifo'; parts: string[] } & Meta)
  /** `.wh.<name>`: remove parts from lower layers. */
  | { kind: 'whiteout'; parts: string[] }
  /** `.wh..wh..opq` in dir parts: hide everything lower layers put in it. */
  | { kind: 'opaque'; parts: string[] };

export interface LayerRecord {
  /** How errors name the layer: "layer 2 (sha256:ab12...)" or the archive member. */
  label: string;
  /** sha256 of the uncompressed tar, "sha256:<hex>", compared with config rootfs.diff_ids. */
  diffId: string;
  /** sha256 of the bytes as stored (compressed or not). */
  storedDigest: string;
  entries: LayerEntry[];
  warnings: string[];
}
