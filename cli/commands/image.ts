// `d0 image build SOURCE --out X.img [--init PATH] [--arg A]... [--entrypoint E]... [--env K=V]...
//   [--cwd DIR] [--user U] [--headroom-mib N]` and `d0 image inspect X.img`.
// Errors of the builder (ImageError) end with exit 2 and name what and where.
import { buildImage, type ProgressEvent } from '../../builder/image/build';
import { conversionText } from '../../builder/image/progress-text';
import { inspectImage } from '../../builder/image/inspect';
import { ImageError } from '../../core/image/errors';
import {
  badInput,
  CliError,
  EXIT_BAD_INPUT,
  EXIT_FAILED,
  parseFlags,
  type Command,
  type Io,
} from '../io';

const BUILD =
  'image build SOURCE --out X.img [--init PATH] [--arg A]... [--entrypoint E]... [--env K=V]... [--cwd DIR] [--user U] [--headroom-mib N]';
const INSPECT = 'image inspect X.img';
const DEFAULT_INIT = 'guest/build/init';

/**
 * Conversion progress on stderr: on a terminal one line redrawn in place; otherwise (a script's
 * log) a line per phase and, while layers stream, the bytes read every two seconds.
 */
function progress(io: Io): (e: ProgressEvent) => void {
  const tty = process.stderr.isTTY;
  let last = 0;
  return (e) => {
    const now = Date.now();
    if (e.phase === 'layers' && now - last < (tty ? 100 : 2000)) return;
    last = now;
    if (!tty) return io.err(`d0 image: ${conversionText(e)}`);
    process.stderr.write(`\r\x1b[K${conversionText(e)}`);
    if (e.phase === 'image' && e.step === 'digest') process.stderr.write('\n');
  };
}

async function build(args: string[], io: Io): Promise<number> {
  const { values, positionals } = parseFlags(
    args,
    {
      out: { type: 'string' },
      init: { type: 'string' },
      arg: { type: 'string', multiple: true },
      entrypoint: { type: 'string', multiple: true },
      env: { type: 'string', multiple: true },
      cwd: { type: 'string' },
      user: { type: 'string' },
      'headroom-mib': { type: 'string' },
    },
    BUILD,
  );
  if (positionals.length !== 1 || !values.out) throw badInput(`usage: d0 ${BUILD}`);
  const headroom = values['headroom-mib'] === undefined ? 0 : Number(values['headroom-mib']);
  const r = await buildImage({
    source: positionals[0],
    out: values.out,
    init: values.init ?? DEFAULT_INIT,
    overrides: {
      args: values.arg,
      entrypoint: values.entrypoint,
      env: values.env,
      cwd: values.cwd,
      user: values.user,
    },
    headroomMiB: headroom,
    onProgress: progress(io),
    // The slow path, said once with its reason (e.g. an engine run by root, read by a user in its group).
    onEngineRead: (how) => {
      if (how.via === 'save')
        io.err(
          `d0 image: the engine's layer store cannot be read here (${how.because}); going through docker save, which is slower`,
        );
    },
  });
  for (const w of r.meta.warnings) io.err(`warning: ${w}`);
  io.out(`${r.image}: ${r.meta.size} bytes, sha256 ${r.meta.sha256}${r.cached ? ' (cached)' : ''}`);
  return 0;
}

async function inspect(args: string[], io: Io): Promise<number> {
  const { positionals } = parseFlags(args, {}, INSPECT);
  if (positionals.length !== 1) throw badInput(`usage: d0 ${INSPECT}`);
  const r = await inspectImage(positionals[0]);
  io.out(`image  ${r.image}`);
  io.out(`size   ${r.size}`);
  io.out(`sha256 ${r.sha256}`);
  io.out(`exec   ${JSON.stringify(r.execSpec, null, 2).replace(/\n/g, '\n       ')}`);
  return 0;
}

export const command: Command = {
  name: 'image',
  usage: [BUILD, INSPECT],
  async run(args, io) {
    const [sub, ...rest] = args;
    try {
      if (sub === 'build') return await build(rest, io);
      if (sub === 'inspect') return await inspect(rest, io);
    } catch (e) {
      if (e instanceof ImageError)
        throw new CliError(e.code === 'TOOL_FAILED' ? EXIT_FAILED : EXIT_BAD_INPUT, [
          `d0 image: ${e.code}: ${e.message}`,
        ]);
      throw e;
    }
    throw badInput(`usage: d0 ${BUILD}`, `       d0 ${INSPECT}`);
  },
};
