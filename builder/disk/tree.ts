// Assembles a build directory (slot tree) from the CLI pieces, without Pulumi: a signed manifest
// pair (`d0 manifest pack` output), the artifacts it references (`DIR/<container>.img` and
// `DIR/vmlinuz`, the names `d0 manifest pack --artifacts` reads), and D0 built with the public key
// (builder/d0-efi). The tree is verified like a slot (signature, digests) before it is published,
// and it is staged aside and renamed into place, so a refused or failed assembly leaves nothing.
import fs from 'node:fs';
import path from 'node:path';
import { D0Error } from '../../core/errors';
import { bootloaderName, FALLBACK_BOOTLOADER, uuidOfManifestName } from '../../core/naming';
import { decodeManifest } from '../../core/tlv/decode';
import { buildKernel } from '../d0-efi';
import { readSlotTree, treeFiles } from './slots';
import { verifySlot } from './slot-verify';
import { checkSecureBootSigner, signEfi, type SecureBootSigner } from './secure-boot';

export interface TreeOptions {
  /** manifest-<uuid>.tlv; its .sig must sit next to it. */
  manifest: string;
  artifacts: string;
  publicKey: Uint8Array;
  out: string;
  kernelMode?: 'auto' | 'docker' | 'host';
  /** Sign D0 (both names) with the operator's Secure Boot db key (builder/disk/secure-boot.ts). */
  secureBoot?: SecureBootSigner;
}

export async function assembleSlotTree(o: TreeOptions): Promise<{ uuid: string; dir: string }> {
  const uuid = uuidOfManifestName(path.basename(o.manifest));
  if (!uuid || !o.manifest.endsWith('.tlv'))
    throw new D0Error('SLOT_TREE', `${o.manifest}: not a manifest-<uuid>.tlv file`);
  if (fs.existsSync(o.out)) throw new D0Error('SLOT_TREE', `${o.out}: already exists`);
  const tlv = fs.readFileSync(o.manifest);
  const sig = o.manifest.replace(/\.tlv$/, '.sig');
  if (!fs.existsSync(sig)) throw new D0Error('SLOT_TREE', `${sig}: missing`);
  const m = decodeManifest(tlv);
  if (o.secureBoot) await checkSecureBootSigner(o.secureBoot);
  const sources: Array<[string, string]> = [
    [m.guest_kernel.path, path.join(o.artifacts, 'vmlinuz')],
    ...m.containers.map((c): [string, string] => [
      c.disk_path,
      path.join(o.artifacts, `${c.name}.img`),
    ]),
  ];
  for (const [, src] of sources)
    if (!fs.existsSync(src))
      throw new D0Error('SLOT_TREE', `${src}: missing (the manifest references it)`);

  const staging = `${o.out}.staging-${process.pid}`;
  fs.rmSync(staging, { recursive: true, force: true });
  try {
    const put = (rel: string, src: string) => {
      fs.mkdirSync(path.dirname(path.join(staging, rel)), { recursive: true });
      fs.copyFileSync(src, path.join(staging, rel));
    };
    const efi = await buildKernel({
      publicKeyHex: Buffer.from(o.publicKey).toString('hex'),
      outFile: path.join(staging, bootloaderName(uuid)),
      mode: o.kernelMode ?? 'auto',
    });
    if (o.secureBoot) {
      await signEfi(o.secureBoot, efi.path, `${efi.path}.signed`);
      fs.renameSync(`${efi.path}.signed`, efi.path);
    }
    put(FALLBACK_BOOTLOADER, efi.path);
    put(path.basename(o.manifest), o.manifest);
    put(path.basename(sig), sig);
    for (const [rel, src] of sources) put(rel, src);
    const v = await verifySlot(treeFiles(readSlotTree(staging)), o.publicKey);
    if (!v.verified) throw new D0Error('DISK_BAD_BUILD', `build ${uuid} refused: ${v.reason}`);
    fs.renameSync(staging, o.out);
  } finally {
    fs.rmSync(staging, { recursive: true, force: true });
  }
  return { uuid, dir: o.out };
}
