// `d0 engine start|stop|build`: a Docker engine for building container images on a machine where
// none runs (builder/docker/dockerd.ts), and a Dockerfile build through it.
//   engine start             an engine answers afterwards: the one on DOCKER_HOST or
//                            /var/run/docker.sock, else Debian's dockerd started with its data root
//                            in $D0_CACHE/docker (it keeps running after this command)
//   engine stop              lets go of the engine `engine start` took; stops the dockerd d0
//                            started once no other d0 user (a test, another script) holds it;
//                            never an engine d0 did not start
//   engine build DIR --tag T builds DIR/Dockerfile as T (no network; a FROM d0/busybox-static:1 base
//                            is imported from Debian's busybox-static first)
import * as fs from 'node:fs';
import { buildDockerfile } from '../../builder/docker/dockerfile-build';
import { connectDocker } from '../../builder/docker/engine';
import { startEngine, stopStartedEngine } from '../../builder/docker/dockerd';
import { badInput, CliError, EXIT_FAILED, parseFlags, type Command, type Io } from '../io';

const START = 'engine start';
const STOP = 'engine stop';
const BUILD = 'engine build DIR --tag NAME:TAG';

async function start(args: string[], io: Io): Promise<number> {
  parseFlags(args, {}, START);
  if (args.length !== 0) throw badInput(`usage: d0 ${START}`);
  const r = await startEngine();
  io.out(
    r.startedPid === undefined
      ? `engine: using the engine answering on ${r.socketPath}`
      : `engine: started dockerd (pid ${r.startedPid}) on ${r.socketPath}; d0 engine stop stops it`,
  );
  return 0;
}

async function stop(args: string[], io: Io): Promise<number> {
  parseFlags(args, {}, STOP);
  if (args.length !== 0) throw badInput(`usage: d0 ${STOP}`);
  const r = await stopStartedEngine();
  if (r.stopped !== undefined) io.out(`engine: stopped dockerd (pid ${r.stopped})`);
  else if (r.leftRunning !== undefined)
    io.out(`engine: dockerd (pid ${r.leftRunning}) left running: ${r.holders} other d0 user(s) still hold it; the last one stops it`);
  else io.out('engine: d0 started no engine that still runs; nothing stopped');
  return 0;
}

async function build(args: string[], io: Io): Promise<number> {
  const { values, positionals } = parseFlags(args, { tag: { type: 'string' } }, BUILD);
  if (positionals.length !== 1 || !values.tag) throw badInput(`usage: d0 ${BUILD}`);
  const [dir] = positionals;
  if (!/^[a-z0-9][a-z0-9._/-]*:[A-Za-z0-9_][A-Za-z0-9_.-]{0,127}$/.test(values.tag))
    throw badInput(`--tag: ${JSON.stringify(values.tag)} is not NAME:TAG (lower-case name, e.g. d0-examples/hello:1)`);
  if (!fs.existsSync(dir) || !fs.statSync(dir).isDirectory()) throw badInput(`${dir}: no such directory`);
  if (!fs.existsSync(`${dir}/Dockerfile`)) throw badInput(`${dir}/Dockerfile: no such file`);
  const docker = await connectDocker();
  if (!docker) throw new CliError(EXIT_FAILED, ['d0 engine build: no Docker engine answers; start one with d0 engine start']);
  const tag = await buildDockerfile({ docker, dir, tag: values.tag, log: (l) => io.err(l) });
  io.out(tag);
  return 0;
}

export const command: Command = {
  name: 'engine',
  usage: [START, STOP, BUILD],
  async run(args, io) {
    const [sub, ...rest] = args;
    if (sub === 'start') return start(rest, io);
    if (sub === 'stop') return stop(rest, io);
    if (sub === 'build') return build(rest, io);
    throw badInput(`usage: d0 ${START}`, `       d0 ${STOP}`, `       d0 ${BUILD}`);
  },
};
