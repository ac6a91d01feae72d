// The `d0` command line in this process, and the user's path from a root disk to a booted host:
// keygen, a one-container site, `d0 manifest pack --artifacts`, `d0 disk tree`, `d0 disk build` and
// `d0 run`, with no size and no memory flag (slot size and host memory come from the build).
// Shared by test/e2e and bench/boot.
import fs from 'node:fs';
import path from 'node:path';
import { buildGuestInit } from '../../builder/guest/init';
import { buildGuestKernel } from '../../builder/guest/kernel';
import { main } from '../../cli/main';

export interface D0Result {
  code: number;
  out: string;
  err: string;
}

export async function d0(args: string[]): Promise<D0Result> {
  const out: string[] = [];
  const err: string[] = [];
  const code = await main(args, { out: (l) => out.push(l), err: (l) => err.push(l), env: {} });
  return { code, out: out.join('\n'), err: err.join('\n') };
}

function ok(what: string, r: D0Result): D0Result {
  if (r.code !== 0) throw new Error(`d0 ${what} exited ${r.code}: ${r.err}`);
  return r;
}

export interface SiteBoot {
  uuid: string;
  disk: string;
  run: D0Result;
}

/**
 * The guest kernel and PID1 (cached builds), and each engine image of tags converted by
 * `d0 image build` into dir/<name>-root.img: what a test site's containers boot from.
 */
async function guestAndRootImages(dir: string, tags: Record<string, string>): Promise<{ vmlinuz: string; images: Record<string, string> }> {
  const vmlinuz = (await buildGuestKernel({})).bzImage;
  const init = (await buildGuestInit()).init;
  const images: Record<string, string> = {};
  for (const [name, tag] of Object.entries(tags)) {
    images[name] = path.join(dir, `${name}-root.img`);
    ok(`image build ${tag}`, await d0(['image', 'build', `docker:${tag}`, '--out', images[name], '--init', init]));
  }
  return { vmlinuz, images };
}

export interface SiteDisk {
  uuid: string;
  disk: string;
}

/**
 * In `dir` (fresh): artifacts/<name>.img for each root disk and artifacts/vmlinuz, a key, the
 * site (siteYaml, whose containers name the images), the signed manifest, the slot tree and
 * disk.img: every step a `d0` command, as a user runs them.
 */
export async function buildSiteDisk(o: { dir: string; siteYaml: string; images: Record<string, string>; vmlinuz: string }): Promise<SiteDisk> {
  const art = path.join(o.dir, 'artifacts');
  fs.mkdirSync(art, { recursive: true });
  fs.copyFileSync(o.vmlinuz, path.join(art, 'vmlinuz'));
  for (const [name, img] of Object.entries(o.images)) fs.copyFileSync(img, path.join(art, `${name}.img`));
  ok('keygen', await d0(['keygen', '--out', path.join(o.dir, 'k')]));
  const site = path.join(o.dir, 'site.yaml');
  fs.writeFileSync(site, o.siteYaml);
  const packed = ok('manifest pack', await d0(['manifest', 'pack', site, '--key', path.join(o.dir, 'k.key'), '--out', path.join(o.dir, 'signed'), '--artifacts', art]));
  const uuid = packed.out.trim();
  const pub = path.join(o.dir, 'k.pub');
  const tlv = path.join(o.dir, 'signed', `manifest-${uuid}.tlv`);
  ok('disk tree', await d0(['disk', 'tree', tlv, '--artifacts', art, '--pub', pub, '--out', path.join(o.dir, 'build')]));
  const disk = path.join(o.dir, 'disk.img');
  ok('disk build', await d0(['disk', 'build', '--slot-a', path.join(o.dir, 'build'), '--out', disk, '--pub', pub]));
  return { uuid, disk };
}

/** A one-container site (buildSiteDisk) booted with `d0 run --until commit`. */
export async function bootSite(o: { dir: string; rootDisk: string; vmlinuz: string; name?: string; memMb?: number; timeoutS?: number }): Promise<SiteBoot> {
  const name = o.name ?? 'web';
  const siteYaml = [
    'header: { site: real, security_epoch: 1 }',
    'network: { bridge_ip4: 10.20.0.1/24, egress_nat: false }',
    'guest_kernel: {}',
    'containers:',
    `  - { name: ${name}, vcpu: 1, mem_mb: ${o.memMb ?? 96}, ip4: 10.20.0.10/24, boot_order: 0, health_timeout_s: 60, health: HEALTH_READY }`,
    '',
  ].join('\n');
  const { uuid, disk } = await buildSiteDisk({ dir: o.dir, siteYaml, images: { [name]: o.rootDisk }, vmlinuz: o.vmlinuz });
  const run = await d0(['run', disk, '--until', 'commit', '--timeout', String(o.timeoutS ?? 1500)]);
  return { uuid, disk, run };
}

/**
 * A signed site disk (buildSiteDisk in dir/site) whose containers are the engine images `tags`
 * by container name, converted as guestAndRootImages does; with the root disks it made.
 */
export async function engineSiteDisk(
  dir: string,
  tags: Record<string, string>,
  siteYaml: string,
): Promise<SiteDisk & { images: Record<string, string> }> {
  const { vmlinuz, images } = await guestAndRootImages(dir, tags);
  return { ...(await buildSiteDisk({ dir: path.join(dir, 'site'), siteYaml, images, vmlinuz })), images };
}
