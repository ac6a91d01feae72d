// Every bench in bench/ in its quick mode (--quick: the smallest case, one run), through the
// command bench/README.md documents, so a bench cannot rot unnoticed. Each must exit 0 within its
// hard timeout (the process group is killed then) and print its result lines. No figure is
// asserted: these runs are too short and the machine too shared for numbers to mean anything;
// what is asserted is behaviour (a preview makes no conversion, the soak has no failure).
//
// The slow builds the benches share (guest kernel and PID1, Pulumi engine) are made or found in
// $D0_CACHE first, side by side under their own long timeout, so the per-bench timeouts hold for
// warm caches.
// The emulator-heavy benches run one after the other, never side by side.
import assert from 'node:assert/strict';
import { buildGuestInit } from '../../builder/guest/init';
import { buildGuestKernel } from '../../builder/guest/kernel';
import {
  ENGINE_BUILD_TIMEOUT_MS,
  pulumiEngineBinDir,
  REPO_ROOT,
  runCommand,
  type CommandResult,
} from '../support/pulumi';

interface QuickBench {
  /** The bench's folder in bench/. */
  name: string;
  command: string[];
  timeoutS: number;
  /** Result lines on stdout; plus any behaviour the bench reports. */
  check: (stdout: string) => void;
}

const matches =
  (...res: RegExp[]) =>
  (stdout: string) => {
    for (const re of res) assert.match(stdout, re);
  };

/** The JSON object a bench prints as its whole stdout (or as its last line). */
function lastJson(stdout: string): Record<string, unknown> {
  const t = stdout.trim();
  return JSON.parse(t.startsWith('{') ? t : t.split('\n').pop()!) as Record<string, unknown>;
}

const tsx = (file: string) => ['npx', 'tsx', file, '--quick'];

const BENCHES: QuickBench[] = [
  {
    name: 'manifest',
    command: tsx('bench/manifest/run.ts'),
    timeoutS: 120,
    check: matches(
      /^manifest: 64 containers, \d+ TLV bytes;.*--quick/m,
      /^ {2}verifyNode +\d+\.\d$/m,
      /^ {2}validate \/ encode +\d+\.\d\d$/m,
    ),
  },
  {
    name: 'ed25519',
    command: ['bash', 'bench/ed25519/run.sh', '--quick'],
    timeoutS: 300,
    check: matches(
      /^message length: +64 bytes, 32 verifications$/m,
      /^ratio D0 \/ libsodium: +\d+\.\d{3}$/m,
      /^sha256 per MiB: libsodium \d+, D0 \d+ instructions, ratio \d+\.\d{3}$/m,
      /^sha512 per MiB: libsodium \d+, D0 \d+ instructions, ratio \d+\.\d{3}$/m,
    ),
  },
  {
    name: 'stage1',
    command: tsx('bench/stage1/run.ts'),
    timeoutS: 420,
    check: matches(
      /^\| no manifest \| \d+ \| \d+ \| \d+\.\d{3} \|$/m,
      /^\| small \(2 containers, ~90 KB hashed\) \| \d+ \| \d+ \| \d+\.\d{3} \|$/m,
      /^\| big \(\+1 MiB disk hashed\) \| \d+ \| \d+ \| \d+\.\d{3} \|$/m,
      /^1 MiB read \+ SHA-256 through the firmware's FAT driver/m,
    ),
  },
  {
    name: 'guest',
    command: tsx('bench/guest/run.ts'),
    timeoutS: 420,
    check: (stdout) => {
      const r = lastJson(stdout) as { runs: number; firstLineMs: Record<string, number[]> };
      assert.equal(r.runs, 1);
      assert.equal(r.firstLineMs.ours.length, 1);
      assert.equal(r.firstLineMs.stock.length, 1);
      assert.equal(typeof (r as Record<string, unknown>).bootRatioStockOverOurs, 'number');
    },
  },
  {
    name: 'hv',
    command: tsx('bench/hv/run.ts'),
    timeoutS: 480,
    check: matches(/"runs": 1,/, /^\|.*microvm.*\|.*D0.*\|/m, /d0_bytes/),
  },
  {
    name: 'hv (backends)',
    command: tsx('bench/hv/backends.ts'),
    timeoutS: 900,
    check: matches(
      /^\| counter \| Bochs corei7_skylake_x \(vmx\) \| QEMU TCG EPYC \(svm\) \| VMX \/ SVM \(QEMU TCG EPYC\) \|$/m,
      /^\| exits \| [\d,]+ \| [\d,]+ \| \d+\.\d\d \|$/m,
    ),
  },
  {
    name: 'ab',
    command: tsx('bench/ab/soak.ts'),
    timeoutS: 600,
    // One good update with seed 1: it must be committed, with nothing failed or unbootable.
    check: matches(/^cycles=1 boots=\d+ commits=[1-9]\d* .* failures=0 unbootable=0 seconds=\d+$/m),
  },
  {
    name: 'ab-write',
    command: tsx('bench/ab/write.ts'),
    timeoutS: 180,
    // One run of this tree's writer (and of the baseline's, when its revision is in the clone).
    check: matches(
      /^slot write: 40 MiB slot, 1 run\(s\) each/m,
      /^ {2}after \(this tree\): median \d+ ms \(\d+\)$/m,
      /^ {2}before \(\w+\): (median \d+ ms \(\d+\)|skipped .*)$/m,
    ),
  },
  {
    name: 'pulumi',
    command: tsx('bench/pulumi/preview-32.ts'),
    timeoutS: 600,
    check: (stdout) => {
      const r = lastJson(stdout) as { runs: number; previewMs: number[] };
      assert.equal(r.runs, 1);
      assert.equal(r.previewMs.length, 1);
      // A no-change preview converts no image (the bench exits 1 otherwise, too).
      assert.equal((r as Record<string, unknown>).conversionsDuringPreview, 0);
    },
  },
  {
    name: 'boot',
    command: tsx('bench/boot/run.ts'),
    timeoutS: 600,
    check: (stdout) => {
      const r = lastJson(stdout) as {
        results: {
          build: string;
          loadHashMs: number;
          linuxBootMs: number;
          ratioD0OverSha256sum: number;
        }[];
      };
      assert.equal(r.results.length, 1);
      assert.ok(r.results[0].loadHashMs >= 0 && r.results[0].linuxBootMs > 0, stdout);
      assert.equal(typeof r.results[0].ratioD0OverSha256sum, 'number');
    },
  },
  {
    name: 'net',
    command: tsx('bench/net/run.ts'),
    timeoutS: 900,
    // One boot each way, a 1 MiB download and 3 GETs, through D0's published port and plain QEMU.
    check: (stdout) => {
      const r = lastJson(stdout) as {
        runs: number;
        throughput: { mib: number; perRunRatios: number[] }[];
        latency: { d0: { requests: number }; plain: { requests: number } };
        d0Exits: {
          perBoot: { exits: number; net_tx_frames: number; net_tx_chains: number };
          reasonsAddUp: boolean;
        };
        d0UplinkStats: { rx_frames?: string; acks_thinned?: string }[];
      };
      assert.equal(r.runs, 1);
      assert.deepEqual(
        r.throughput.map((t) => [t.mib, t.perRunRatios.length]),
        [[1, 1]],
      );
      assert.ok(r.throughput[0].perRunRatios[0] > 0, stdout);
      assert.equal(r.latency.d0.requests, 3);
      assert.equal(r.latency.plain.requests, 3);
      assert.ok(r.d0Exits.perBoot.exits > 0, stdout);
      assert.equal(r.d0Exits.reasonsAddUp, true, stdout);
      // Behaviour: the guest's TCP hands D0 TSO chains (docs/network.md, "Transmit offloads"),
      // each made into several frames, for a download that arrives whole.
      const { net_tx_frames: frames, net_tx_chains: chains } = r.d0Exits.perBoot;
      assert.ok(
        chains > 0 && frames > chains,
        `TSO not taken: ${frames} frames from ${chains} chains`,
      );
      // And the download's redundant ACKs from the uplink were thinned before the VM (docs/network.md,
      // "ACK thinning"): fewer reached it than the NIC received, the download still whole.
      const { rx_frames: rx, acks_thinned: thinned } = r.d0UplinkStats[0] ?? {};
      assert.ok(
        Number(thinned) > 0 && Number(thinned) < Number(rx),
        `ACKs thinned: ${thinned} of ${rx} received`,
      );
    },
  },
  {
    name: 'fleet',
    command: tsx('bench/fleet/run.ts'),
    timeoutS: 600,
    // A 2-host rollout of a build with a 1 MiB disk: every host committed, each phase measured,
    // the hosts fetched exactly what curl fetched (the disks), and batch 2 waited for batch 1.
    check: (stdout) => {
      type Host = { host: string; batch: number; ms: Record<string, number>; net_bytes: number };
      const r = lastJson(stdout) as {
        mib: number;
        hosts: Host[];
        curl: { bytes: number };
        ratio_d0_over_curl: number;
      };
      assert.equal(r.mib, 1);
      assert.deepEqual(
        r.hosts.map((h) => [h.host, h.batch]),
        [
          ['host-1', 1],
          ['host-2', 2],
        ],
      );
      for (const h of r.hosts) {
        assert.equal(h.net_bytes, r.curl.bytes, stdout);
        for (const [phase, ms] of Object.entries(h.ms))
          assert.ok(Number.isFinite(ms) && ms >= 0, `${h.host} ${phase}: ${ms}`);
      }
      assert.ok(r.ratio_d0_over_curl > 0, stdout);
    },
  },
  {
    name: 'cpu',
    command: tsx('bench/cpu/run.ts'),
    timeoutS: 300,
    // One boot each way: the spinner and the worker on two CPUs, then sharing one.
    check: (stdout) => {
      const r = lastJson(stdout) as {
        runs: number;
        placed: { runs: { waitShare: number }[] };
        baseline: { runs: { waitShare: number }[] };
      };
      assert.equal(r.runs, 1);
      assert.equal(r.placed.runs.length, 1, stdout);
      assert.equal(r.baseline.runs.length, 1, stdout);
      for (const x of [...r.placed.runs, ...r.baseline.runs])
        assert.ok(Number.isFinite(x.waitShare), stdout);
    },
  },
  {
    name: 'smp',
    command: tsx('bench/smp/run.ts'),
    timeoutS: 300,
    // One boot each way (D0 with two vCPUs, plain QEMU, D0 with one): each guest counts its
    // CPUs and times one round.
    check: (stdout) => {
      type Runs = { runs: { nproc: number; ratio: number }[] };
      const r = lastJson(stdout) as { runs: number; d0: Runs; plain: Runs; 'd0-vcpu1': Runs };
      assert.equal(r.runs, 1);
      assert.deepEqual(
        r.d0.runs.map((x) => x.nproc),
        [2],
        stdout,
      );
      assert.deepEqual(
        r.plain.runs.map((x) => x.nproc),
        [2],
        stdout,
      );
      assert.deepEqual(
        r['d0-vcpu1'].runs.map((x) => x.nproc),
        [1],
        stdout,
      );
      for (const x of [...r.d0.runs, ...r.plain.runs, ...r['d0-vcpu1'].runs])
        assert.ok(Number.isFinite(x.ratio), stdout);
    },
  },
  {
    name: 'oci',
    command: tsx('bench/oci/run.ts'),
    timeoutS: 600,
    check: (stdout) => {
      const r = lastJson(stdout);
      for (const k of ['image', 'cold', 'cacheHitInProcess'])
        assert.ok(k in r, `no ${k} in ${stdout}`);
      // The run itself refuses a conversion that read its layers the other way than named.
      for (const k of ['engine', 'engineBySave', 'archive'])
        assert.ok(k in (r.cold as object), `no cold.${k} in ${stdout}`);
    },
  },
];

function explain(r: CommandResult): string {
  const tail = (s: string) => s.trimEnd().split('\n').slice(-40).join('\n');
  const how = r.timedOut ? `timed out after ${r.durationMs} ms` : `exited ${r.code ?? r.signal}`;
  return `${r.command} ${how}\n--- stdout\n${tail(r.stdout)}\n--- stderr\n${tail(r.stderr)}`;
}

describe('bench: every bench in quick mode', function () {
  before(async function () {
    this.timeout(ENGINE_BUILD_TIMEOUT_MS);
    // Side by side: with empty caches the engine's module downloads overlap the kernel's make.
    await Promise.all([
      buildGuestKernel({ log: (l) => console.log(`      ${l}`) }).then(() => buildGuestInit()),
      pulumiEngineBinDir(),
    ]);
  });

  for (const b of BENCHES)
    it(`${b.name}: ${b.command.join(' ')}`, async function () {
      this.timeout((b.timeoutS + 30) * 1000);
      const r = await runCommand(b.command[0], b.command.slice(1), {
        cwd: REPO_ROOT,
        timeoutMs: b.timeoutS * 1000,
      });
      assert.equal(r.code, 0, explain(r));
      try {
        b.check(r.stdout);
      } catch (e) {
        throw new Error(`${(e as Error).message}\n${explain(r)}`);
      }
      console.log(`      ${b.name}: ${(r.durationMs / 1000).toFixed(0)} s`);
    });
});
