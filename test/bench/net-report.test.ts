// bench/net's figures from its runs (bench/net/report.ts): throughput ratios per run and their
// median, latency over all requests, and D0's exits per MiB with and without the idle boot.
import assert from 'node:assert/strict';
import type { D0Run } from '../../bench/net/d0-side';
import type { Download } from '../../bench/net/measure';
import type { PlainRun } from '../../bench/net/plain-side';
import { report } from '../../bench/net/report';

const MiB = 2 ** 20;
const plan = { sizesMib: [1, 4], reps: 1, gets: 2 };

function downloads(rate1: number, rate4: number): Download[] {
  return [
    { mib: 1, ms: 1000 / rate1, rate: rate1 },
    { mib: 4, ms: 4000 / rate4, rate: rate4 },
  ];
}

function plain(rate4: number, latencyMs: number[]): PlainRun {
  return {
    measured: { latencyMs, downloads: downloads(2, rate4), bytes: 5 * MiB },
    spawnToServingMs: 1000,
  };
}

function d0(rate4: number, exits: number, io: number, bytes = 5 * MiB): D0Run {
  return {
    measured: { latencyMs: [10, 30], downloads: downloads(1, rate4), bytes },
    stats: {
      source: 'vm_stats',
      counters: { exits, io, intr: exits - io, net_rx_frames: 7, net_tx_frames: 9 },
    },
    net: { vm: 'web', drop_spoof: '0', drop_ethertype: '7' },
    uplink: { tx_full: '3', rx_frames: '900', acks_thinned: '800' },
    router: {},
    exitTop: { vm: 'web', io: '0x21w:8,0x20w:4', mmio: '0xd0001050w:2' },
    spawnToServingMs: 5000,
  };
}

describe('bench/net report', () => {
  it('takes the ratio of each run, then their median, for every size', () => {
    const r = report({
      plan,
      d0: [d0(1, 100, 40), d0(3, 200, 50), d0(2, 300, 60)],
      plain: [plain(2, [5]), plain(2, [5]), plain(8, [5])],
      load: [1],
      wallS: 1,
    });
    const t = r.json.throughput as {
      mib: number;
      perRunRatios: number[];
      medianPerRunRatio: number;
      ratio: number;
    }[];
    assert.deepEqual(
      t.map((x) => x.mib),
      [1, 4],
    );
    assert.deepEqual(t[1].perRunRatios, [0.5, 1.5, 0.25]);
    assert.equal(t[1].medianPerRunRatio, 0.5);
    assert.equal(t[1].ratio, 1); // median D0 rate 2 over median plain rate 2
    assert.equal(r.json.ratioD0OverPlain, 0.5, 'the headline is the largest size');
    assert.equal(t[0].medianPerRunRatio, 0.5);
    assert.match(
      r.markdown,
      /^\| download 4 MiB \(MiB\/s\); per-run ratios 0\.5, 1\.5, 0\.25 \| 2 \| 2 \| 0\.5 \|$/m,
    );
  });

  it('latency is over every request of a side; its ratio is D0 over plain', () => {
    const r = report({
      plan,
      d0: [d0(1, 100, 40)],
      plain: [plain(1, [4, 6, 8, 100])],
      load: [1],
      wallS: 1,
    });
    const l = r.json.latency as {
      d0: { medianMs: number };
      plain: { medianMs: number; p90Ms: number; requests: number };
      ratioD0OverPlain: number;
    };
    assert.equal(l.plain.medianMs, 7);
    assert.equal(l.plain.p90Ms, 100);
    assert.equal(l.plain.requests, 4);
    assert.equal(l.d0.medianMs, 20);
    assert.equal(l.ratioD0OverPlain, 2.857);
  });

  it("counts exits per MiB with the boot included, and net of the idle boot's", () => {
    const idle = d0(1, 60, 20, 0.5 * MiB);
    const r = report({
      plan,
      d0: [d0(1, 100, 40), d0(1, 110, 40)],
      plain: [plain(1, [5]), plain(1, [5])],
      idle,
      load: [1],
      wallS: 1,
    });
    const e = r.json.d0Exits as Record<string, unknown>;
    assert.equal((e.perBoot as Record<string, number>).exits, 105);
    assert.equal(e.perMiBGross, 21);
    assert.equal(e.idleBootExits, 60);
    assert.equal(e.perMiBDownloaded, 10); // (105 - 60) / (5 - 0.5)
    assert.equal(e.reasonsAddUp, true);
    assert.match(r.markdown, /idle boot's exits .* \| 60; \*\*10\*\* \|$/m);
    assert.match(r.markdown, /^\| uplink tx_full .* \| 3, 3 \|$/m);
    assert.match(
      r.markdown,
      /^\| uplink frames received \/ redundant ACKs thinned .* \| 900 \/ 800, 900 \/ 800 \|$/m,
    );
    assert.match(
      r.markdown,
      /^\| busiest ports .* \| io 0x21w:8,0x20w:4; mmio 0xd0001050w:2<br>io 0x21w:8,0x20w:4; mmio 0xd0001050w:2 \|$/m,
    );
    assert.deepEqual(r.json.d0ExitTop, [idle.exitTop, idle.exitTop]);
    assert.match(r.markdown, /^\| VM port drops .* \| ethertype=7; ethertype=7 \|$/m);
  });

  it('says when the exit reasons do not add up to the total', () => {
    const bad = d0(1, 100, 40);
    (bad.stats.counters as Record<string, number>).intr = 1;
    const r = report({ plan, d0: [bad], plain: [plain(1, [5])], load: [1], wallS: 1 });
    assert.equal((r.json.d0Exits as Record<string, unknown>).reasonsAddUp, false);
  });

  it('refuses runs that do not pair up, and a size with no download', () => {
    assert.throws(
      () => report({ plan, d0: [d0(1, 1, 1)], plain: [], load: [], wallS: 0 }),
      /1 D0 runs and 0 plain runs/,
    );
    assert.throws(
      () =>
        report({
          plan: { ...plan, sizesMib: [1, 4, 8] },
          d0: [d0(1, 1, 1)],
          plain: [plain(1, [1])],
          load: [],
          wallS: 0,
        }),
      /no download of 8 MiB/,
    );
  });
});
