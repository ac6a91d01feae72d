// `d0 run DISK`: boots an A/B disk image under QEMU + OVMF with a persistent NVRAM next to it
// (DISK.vars.fd, created on the first run), and prints D0's structured log (`D0 seq=...` lines)
// as it comes. Stops at the end of the first boot that does not reset (ev=exit: it launched
// nothing; ev=halt: its VMs all stopped), or at --until EV, when QEMU ends, or at --timeout.
// The CPU defaults to EPYC (AMD SVM + nested paging, which QEMU TCG emulates): D0 launches
// nothing on a CPU without hardware virtualization.
import * as fs from 'node:fs';
import { ESP_TYPE_GUID, readGpt } from '../../builder/disk/gpt';
import { bootDisk } from '../../builder/disk/qemu';
import { badInput, EXIT_FAILED, parseFlags, type Command } from '../io';

/** QEMU's AMD EPYC model offers SVM with nested paging under TCG. */
const DEFAULT_CPU = 'EPYC';

const USAGE = 'run DISK [--vars VARS.fd] [--until EV] [--timeout SECONDS] [--cpu MODEL] [--raw]';

export const command: Command = {
  name: 'run',
  usage: [USAGE],
  async run(args, io) {
    const { values, positionals } = parseFlags(
      args,
      {
        vars: { type: 'string' },
        cpu: { type: 'string' },
        until: { type: 'string' },
        timeout: { type: 'string' },
        raw: { type: 'boolean' },
      },
      USAGE,
    );
    if (positionals.length !== 1) throw badInput(`usage: d0 ${USAGE}`);
    const [disk] = positionals;
    if (!fs.existsSync(disk)) throw badInput(`${disk}: no such disk image`);
    if (!fs.statSync(disk).isFile()) throw badInput(`${disk}: not a disk image file`);
    // Booting a file that holds no ESP would only wait for the timeout: refuse it up front.
    let esps = 0;
    try {
      esps = readGpt(disk).filter((p) => p.typeGuid === ESP_TYPE_GUID).length;
    } catch (e) {
      throw badInput(`${disk}: not a D0 disk image (${(e as Error).message}); make one with d0 disk build`);
    }
    if (esps === 0) throw badInput(`${disk}: its GPT has no EFI system partition; make the disk with d0 disk build`);
    const timeoutS = values.timeout === undefined ? 300 : Number(values.timeout);
    if (!(timeoutS > 0 && timeoutS <= 86400))
      throw badInput(`--timeout: ${values.timeout} is not 1..86400 seconds`);
    const until = values.until ?? 'exit|halt';
    if (values.until !== undefined && !/^[a-z_]+$/.test(values.until))
      throw badInput(`--until: ${JSON.stringify(values.until)} is not an event name`);
    const untilEvents = until.split('|');
    const vars = values.vars ?? `${disk}.vars.fd`;
    const event = / ?(D0 (?:seq=\d+ )?ev=\S.*)$/;
    const r = await bootDisk({
      disk,
      vars,
      cpu: values.cpu ?? DEFAULT_CPU,
      timeoutMs: timeoutS * 1000,
      onLine: (line) => {
        if (values.raw) return io.out(line);
        const m = event.exec(line);
        if (m) io.out(m[1]);
      },
      until: (line) =>
        event.test(line) &&
        untilEvents.some((ev) => line.includes(` ev=${ev} `) || line.endsWith(` ev=${ev}`)),
    });
    if (r.end === 'until') return 0;
    io.err(
      r.end === 'timeout'
        ? `d0 run: no ev=${until} within ${timeoutS} s (QEMU killed)`
        : `d0 run: QEMU exited (${r.code}) before ev=${until}`,
    );
    return EXIT_FAILED;
  },
};
