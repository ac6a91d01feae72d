// `d0 publish`: puts a build into a site's publication directory (what the update server serves)
// and points hosts at it; `d0 publish status` shows which host runs toward which build
// (builder/publish; docs/update-server.md).
import * as fs from 'node:fs';
import { D0Error, errorCode } from '../../core/errors';
import { parsePublicKeyFile } from '../../core/sign';
import { publishBuild, readPublication, type HostPointer } from '../../builder/publish';
import {
  badInput,
  CliError,
  EXIT_BAD_INPUT,
  EXIT_FAILED,
  parseFlags,
  readFileOrFail,
  type Command,
  type Io,
} from '../io';

const USAGE = {
  publish: 'publish SITE_DIR BUILD_DIR --pub KEY.pub --host MAC [--host MAC ...]',
  status: 'publish status SITE_DIR [--pub KEY.pub]',
};

const readKey = (file: string) =>
  parsePublicKeyFile(readFileOrFail(file, 'the public key').toString('utf8'), file);

async function publish(args: string[], io: Io): Promise<number> {
  const { values, positionals } = parseFlags(
    args,
    { pub: { type: 'string' }, host: { type: 'string', multiple: true } },
    USAGE.publish,
  );
  if (positionals.length !== 2) throw badInput(`usage: d0 ${USAGE.publish}`);
  if (!values.pub)
    throw badInput(
      "--pub KEY.pub is required (the site's key, compiled into the hosts' D0)",
      `usage: d0 ${USAGE.publish}`,
    );
  if (!values.host?.length)
    throw badInput(
      '--host MAC is required (the hosts to point at the build)',
      `usage: d0 ${USAGE.publish}`,
    );
  const [site, buildDir] = positionals;
  if (!fs.statSync(buildDir, { throwIfNoEntry: false })?.isDirectory())
    throw badInput(`${buildDir}: no such build directory`);
  const r = await publishBuild({
    site,
    buildDir,
    publicKey: readKey(values.pub),
    hosts: values.host,
  });
  const bytes = r.files.reduce((n, f) => n + f.size, 0);
  io.out(
    r.reused
      ? `build ${r.uuid}: already published at ${r.buildDir} with the same ${r.files.length} files (left as it was)`
      : `published build ${r.uuid} at ${r.buildDir} (${r.files.length} files, ${bytes} bytes)`,
  );
  for (const p of r.pointers)
    io.out(`host ${p.host} -> ${r.uuid}${p.previous ? ` (was ${p.previous})` : ' (new pointer)'}`);
  return 0;
}

function describe(h: HostPointer): string {
  const target = h.uuid ?? 'unreadable';
  const check = h.verified === undefined ? '' : h.verified ? ' verified' : ' NOT VERIFIED';
  return `host ${h.host} -> ${target}${check}${h.problem ? ` (${h.problem})` : ''}`;
}

function status(args: string[], io: Io): number {
  const { values, positionals } = parseFlags(args, { pub: { type: 'string' } }, USAGE.status);
  if (positionals.length !== 1) throw badInput(`usage: d0 ${USAGE.status}`);
  const [site] = positionals;
  if (!fs.statSync(site, { throwIfNoEntry: false })?.isDirectory())
    throw badInput(`${site}: no such site directory`);
  const pub = readPublication(site, values.pub ? readKey(values.pub) : undefined);
  if (pub.hosts.length === 0) io.out('no host pointers');
  for (const h of pub.hosts) io.out(describe(h));
  if (pub.builds.length === 0) io.out('no builds');
  for (const b of pub.builds)
    io.out(`build ${b.uuid}: ${b.hosts.length ? `hosts ${b.hosts.join(', ')}` : 'no host'}`);
  for (const l of pub.leftovers) io.out(`leftover of an interrupted publish: ${l}`);
  // A pointer a host would not follow to a whole build is a failed check.
  return pub.hosts.some((h) => h.problem) ? EXIT_FAILED : 0;
}

export const command: Command = {
  name: 'publish',
  usage: Object.values(USAGE),
  async run(args, io) {
    // `status` is the one subcommand; a site directory named so is given as ./status.
    const sub = args[0] === 'status' ? 'status' : undefined;
    try {
      return sub ? status(args.slice(1), io) : await publish(args, io);
    } catch (e) {
      // A malformed key or host identity, or a site that is no publication directory, is bad
      // input; a refused build, a conflict or a bad pointer is a failed check.
      if (e instanceof D0Error) {
        const input = ['KEY', 'PUBLISH_HOST_ID', 'PUBLISH_SITE'].includes(errorCode(e) ?? '');
        throw new CliError(input ? EXIT_BAD_INPUT : EXIT_FAILED, [
          `d0 publish${sub ? ` ${sub}` : ''}: ${e.message}`,
        ]);
      }
      throw e;
    }
  },
};
