// makeBuild(): a build spec + signing key + epoch -> one complete, signed build directory:
//
//   <outDir>/<uuid>/build.json          what was built (uuid, digests, public key; no secret)
//   <outDir>/<uuid>/slot/               exactly what goes on a slot's ESP:
//       EFI/BOOT/BOOTX64-<uuid>.EFI      D0 with the public key compiled in
//       EFI/BOOT/BOOTX64.EFI             the same bytes: the removable-media path a blank host boots
//                                        (both signed with the site's Secure Boot db key if given;
//                                        the manifest's `loader` pins their digest and size)
//       manifest-<uuid>.tlv / .sig       the signed manifest and its Ed25519 signature
//       VM/<name>-<uuid>.img             one root disk per container
//       VM/vmlinuz-<uuid>                the guest kernel
//
// It reuses the builders (builder/image, builder/d0-efi, builder/guest) and core/; it only
// orders them. The spec is validated (planBuild) before anything is built, so bad input writes
// nothing. The tree is assembled in a staging directory and renamed into place, so a failed
// build leaves nothing behind.
import { randomBytes } from 'node:crypto';
import fs from 'node:fs';
import path from 'node:path';
import type Dockerode from 'dockerode';
import { ValidationError } from '../../core/errors';
import { validateManifest } from '../../core/manifest/validate';
import {
  bootloaderName,
  diskImageName,
  FALLBACK_BOOTLOADER,
  guestKernelName,
  manifestName,
  signatureName,
} from '../../core/naming';
import type { Manifest } from '../../core/schema';
import { publicKeyOf, signManifest, verifyManifest } from '../../core/sign';
import { encodeManifest } from '../../core/tlv/encode';
import { uuidv7 } from '../../core/uuid';
import { buildGuestInit } from '../guest/init';
import { buildGuestKernel } from '../guest/kernel';
import { sha256File } from '../file-hash';
import type { ProgressEvent } from '../image/build';
import { convertImage } from './conversions';
import { d0Efi } from '../d0-efi/cache';
import { checkSecureBootSigner, signSlotTree, type SecureBootSigner } from '../disk/secure-boot';
import { planBuild } from '../../core/site/plan';
import { manifestInput, mapProblems, type BuildSpec } from '../../core/site/spec';

export type {
  BuildSpec,
  ContainerSpec,
  NetworkSpec,
  ExecOverrides,
  RouteSpec,
  PublishSpec,
  EgressSpec,
  EgressAllowSpec,
  RateLimitSpec,
  RateSpec,
  ReportSpec,
  UpdateSpec,
} from '../../core/site/spec';
export { planBuild, diffPlans, type Plan, type PlanChange } from '../../core/site/plan';
export { slotFiles } from './slot-files';

export interface BuildRequest {
  readonly spec: BuildSpec;
  /** The 32-byte Ed25519 seed. Zeroed by the caller when done; never written or logged here. */
  readonly secretKey: Uint8Array;
  /** Parent of the build directory (created if missing). */
  readonly outDir: string;
  /** How D0's EFI is compiled: 'auto' (Docker if an engine answers, else host), 'docker', 'host'. */
  readonly kernelMode?: 'auto' | 'docker' | 'host';
  readonly docker?: Dockerode;
  /** Clock and randomness of the UUIDv7 (tests pass fixed ones). */
  readonly nowMs?: number;
  readonly random16?: Uint8Array;
  readonly log?: (line: string) => void;
  /** Each image conversion's progress, by container name (not called for a cached image). */
  readonly onImageProgress?: (container: string, e: ProgressEvent) => void;
  /**
   * The site's Secure Boot db key and certificate (file paths, builder/disk/secure-boot.ts): D0
   * is signed under both of its names in the slot tree. Checked before anything is built.
   */
  readonly secureBoot?: SecureBootSigner;
}

export interface BuildArtifacts {
  readonly efi: string;
  readonly fallbackEfi: string;
  readonly manifest: string;
  readonly signature: string;
  readonly guestKernel: string;
  /** Container name -> root disk. */
  readonly disks: Record<string, string>;
}

export interface BuildOutput {
  readonly buildUuid: string;
  readonly timestampMs: string;
  /** The build directory (holds build.json and slot/). */
  readonly dir: string;
  /** The slot tree: what an ESP writer copies. */
  readonly slotDir: string;
  readonly manifestSha256: string;
  readonly publicKey: string;
  readonly efiSha256: string;
  /** SHA-256 fingerprint of the Secure Boot db certificate D0 is signed for; unsigned: undefined. */
  readonly secureBootCertSha256?: string;
  readonly manifest: Manifest;
  /** Absolute paths of the slot tree's files. */
  readonly artifacts: BuildArtifacts;
  /** How many images were converted rather than served from the cache. */
  readonly conversions: number;
}

export async function makeBuild(req: BuildRequest): Promise<BuildOutput> {
  const log = req.log ?? (() => {});
  const plan = planBuild(req.spec);
  if (plan.problems.length > 0) throw new ValidationError(plan.problems);
  if (req.secretKey.length !== 32)
    throw new ValidationError([
      {
        code: 'KEY',
        path: 'signingKey',
        message: `a secret key is 32 bytes, got ${req.secretKey.length}`,
      },
    ]);
  const publicKey = Buffer.from(publicKeyOf(req.secretKey)).toString('hex');
  const sbCert = req.secureBoot ? await checkSecureBootSigner(req.secureBoot) : undefined;

  const nowMs = req.nowMs ?? Date.now();
  const buildUuid = uuidv7(nowMs, req.random16 ?? new Uint8Array(randomBytes(16)));
  fs.mkdirSync(req.outDir, { recursive: true });
  const finalDir = path.join(req.outDir, buildUuid);
  const staging = fs.mkdtempSync(path.join(req.outDir, `.staging-${buildUuid}-`));
  try {
    const slot = path.join(staging, 'slot');
    const at = (rel: string) => path.join(slot, rel);
    fs.mkdirSync(at('EFI/BOOT'), { recursive: true });
    fs.mkdirSync(at('VM'), { recursive: true });

    log('guest init and kernel (cached)');
    const init = await buildGuestInit({ log });
    const guest = await buildGuestKernel({ log });
    fs.copyFileSync(guest.bzImage, at(guestKernelName(buildUuid)));
    const kernelDigest = {
      sha256: await sha256File(at(guestKernelName(buildUuid))),
      size: String(fs.statSync(at(guestKernelName(buildUuid))).size),
    };

    log('D0 EFI (cached per public key)');
    const efi = await d0Efi(publicKey, { mode: req.kernelMode, log });
    fs.copyFileSync(efi.path, at(bootloaderName(buildUuid)));
    fs.copyFileSync(efi.path, at(FALLBACK_BOOTLOADER));
    if (req.secureBoot) {
      log('D0 EFI: signing for Secure Boot (sbsign)');
      await signSlotTree(slot, buildUuid, req.secureBoot);
    }
    // D0 as the slot holds it, signed or not: what a host that downloads the build will boot.
    const loaderDigest = {
      sha256: await sha256File(at(bootloaderName(buildUuid))),
      size: String(fs.statSync(at(bootloaderName(buildUuid))).size),
    };

    const disks = new Map<string, { sha256: string; size: string }>();
    let conversions = 0;
    for (const c of req.spec.containers) {
      log(`image ${c.name}: ${c.image}`);
      const scratch = path.join(staging, `${c.name}.img`);
      const r = await convertImage({
        source: c.image,
        out: scratch,
        init: init.init,
        overrides: c.exec ? { ...c.exec } : undefined,
        headroomMiB: c.headroomMiB,
        docker: req.docker,
        onProgress: req.onImageProgress && ((e) => req.onImageProgress!(c.name, e)),
      });
      if (!r.cached) conversions++;
      else log(`image ${c.name}: converted before (cached)`);
      fs.renameSync(scratch, at(diskImageName(c.name, buildUuid)));
      fs.rmSync(`${scratch}.json`, { force: true });
      disks.set(c.name, { sha256: r.meta.sha256, size: String(r.meta.size) });
    }

    const { input, problems } = manifestInput(
      req.spec,
      (n) => disks.get(n)!,
      kernelDigest,
      loaderDigest,
    );
    const v = validateManifest(input, { build: { build_uuid: buildUuid, timestamp_ms: nowMs } });
    if (problems.length > 0 || !v.manifest)
      throw new ValidationError([...problems, ...mapProblems(v.problems)]);
    const tlv = encodeManifest(v.manifest);
    const sig = signManifest(tlv, req.secretKey);
    if (!verifyManifest(sig, tlv, publicKeyOf(req.secretKey)))
      throw new Error('build: the signature does not verify under its own key');
    fs.writeFileSync(at(manifestName(buildUuid)), tlv);
    fs.writeFileSync(at(signatureName(buildUuid)), sig);
    const manifestSha256 = await sha256File(at(manifestName(buildUuid)));

    const rel = {
      efi: bootloaderName(buildUuid),
      fallbackEfi: FALLBACK_BOOTLOADER,
      manifest: manifestName(buildUuid),
      signature: signatureName(buildUuid),
      guestKernel: guestKernelName(buildUuid),
      disks: Object.fromEntries(
        req.spec.containers.map((c) => [c.name, diskImageName(c.name, buildUuid)]),
      ),
    };
    fs.writeFileSync(
      path.join(staging, 'build.json'),
      JSON.stringify(
        {
          buildUuid,
          timestampMs: String(nowMs),
          manifestSha256,
          publicKey,
          efiSha256: efi.sha256,
          ...(sbCert ? { secureBootCertSha256: sbCert } : {}),
          files: rel,
        },
        null,
        2,
      ) + '\n',
    );
    fs.renameSync(staging, finalDir);
    const abs = (r: string) => path.join(finalDir, 'slot', r);
    return {
      buildUuid,
      timestampMs: String(nowMs),
      dir: finalDir,
      slotDir: path.join(finalDir, 'slot'),
      manifestSha256,
      publicKey,
      efiSha256: efi.sha256,
      secureBootCertSha256: sbCert,
      manifest: v.manifest,
      artifacts: {
        efi: abs(rel.efi),
        fallbackEfi: abs(rel.fallbackEfi),
        manifest: abs(rel.manifest),
        signature: abs(rel.signature),
        guestKernel: abs(rel.guestKernel),
        disks: Object.fromEntries(Object.entries(rel.disks).map(([k, v]) => [k, abs(v)])),
      },
      conversions,
    };
  } catch (e) {
    fs.rmSync(staging, { recursive: true, force: true });
    throw e;
  }
}
