// The partition of the test suites into the mocha processes scripts/test runs: two side by side
// (docs/ci.md, "Two test processes"), then one alone. QEMU (TCG) and Bochs are single-threaded,
// so one process of emulator suites and one of everything else keep both cores busy. The part run
// alone afterwards holds what wants both cores to itself: a guest whose two vCPUs compute at once
// under QEMU's multi-threaded TCG, whose threads wait for each other at every world switch (its
// guest stalls while either thread is starved): test/hv-svm/smp-guest.test.ts ran 34 s alone and
// 174-305 s beside the engine part.
//
// What must not run at the same time in different processes decides the split:
// - a Docker engine: tests start one (test/support/dockerd.ts, `d0 engine start`, scripts/main)
//   and stop it when done, so every suite that starts, uses or stops an engine is in `engine`,
//   one after the other as before. `emulators` runs with D0_KERNEL_MODE=host: D0 builds asked for
//   'auto' use the host's clang there, never an engine `engine` may stop under them
//   (builder/d0-efi/mode.ts; test/support/pulumi.ts passes the pin to the Pulumi engine's
//   providers too);
// - the kernel's host build directory (kernel/build/host, test/kernel/host-build.ts): test/kernel
//   stays whole in one process;
// - no test listens on a fixed TCP port (the uplink peer binds an ephemeral one), and the caches
//   under $D0_CACHE are built under a lock or published by an atomic rename of a unique name.
// The rest is balance: the per-file seconds of the slowest-files table (docs/ci.md).
//
// A path is a test file or a folder (every *.test.ts under it); a file belongs to the part that
// lists the longest path containing it. Every test file must belong to exactly one part:
// scripts/test refuses to start otherwise (a new area has to be placed here).

export interface TestPart {
  /** Names the process in the output: "part NAME: N passed, ...". */
  readonly name: string;
  /** Added to the process's environment. */
  readonly env: Readonly<Record<string, string>>;
  /** Runs after every side-by-side part has ended, alone on the machine (one alone part at a time). */
  readonly alone?: boolean;
  /** Path (relative to the repository) -> why it is in this part. */
  readonly paths: Readonly<Record<string, string>>;
}

export const TEST_PARTS: readonly TestPart[] = [
  {
    name: 'engine',
    env: {},
    paths: {
      'test/oci': 'fidelity, engine, engine-client and engine-store start and stop a Docker engine',
      'test/e2e':
        'real-image starts an engine; main-job runs scripts/main, which starts and stops one',
      'test/bench': "the oci and boot benches start an engine ('every bench, quick' is one file)",
      'test/kernel-build': 'reproducible builds D0 in Docker (an engine it starts)',
      'test/cli': 'engine.test runs d0 engine start / stop',
      'test/pulumi': 'Pulumi engine and QEMU boots: balance',
      'test/kernel':
        'host tests and fuzzers (CPU); kernel/build/host is shared by the whole folder',
      'test/guest': 'balance',
      'test/core': 'pure TypeScript: balance',
      'test/components': 'pure TypeScript: balance',
      'test/publish': 'pure TypeScript: balance',
      'test/fleet':
        'Redfish against a stand-in BMC, QMP against a paused QEMU, rollouts against simulated hosts ' +
        'reporting to a real rsyslogd (its own temp dir and free UDP port; a few s): balance',
      'test/platform': 'host tests: balance',
      'test/provider': 'providers called directly: balance',
      'test/pulumi-engine': 'balance',
      'test/scripts': 'tests of this partition and of scripts/test: balance',
      'test/support': 'host tests of the test tooling: balance',
      'test/ab/write-replay.test.ts':
        'power-cut states checked on the host, a sample booted by one-CPU QEMU: balance (emulators ran 35 min 50 s, engine 32 min, 5 December)',
      'test/hv-vmx/net-publish.test.ts':
        'its web server image is built by a Docker engine (the rest of test/hv-vmx is emulators)',
    },
  },
  {
    name: 'emulators',
    env: { D0_KERNEL_MODE: 'host' },
    paths: {
      'test/hv-vmx': 'Bochs (VMX): one core per boot, the slowest area',
      'test/ab': 'A/B updates under QEMU (SVM)',
      'test/pull':
        'pulls, netboots, reports and rollouts under QEMU (SVM); beside the engine part their three-host runs starved its SMP tests',
      'test/hv-svm': 'QEMU TCG -cpu EPYC',
      'test/boot': 'stage 1 under QEMU + OVMF: balance (the network tests made engine the longer)',
      'test/hv':
        'host tests and a fuzzer (CPU): balance (engine 31 min 55 s, emulators 29 min 5 s with it in engine, 5 December)',
      'test/secure-boot':
        'QEMU + OVMF Secure Boot firmware (SVM): balance (back from engine once smp-guest ran alone: engine 32 min 25 s, emulators 30 min, 5 December)',
    },
  },
  {
    name: 'alone',
    env: { D0_KERNEL_MODE: 'host' },
    alone: true,
    paths: {
      'test/hv-svm/smp-guest.test.ts':
        'a guest computing on two vCPUs at once, one QEMU thread each: 34 s alone, 174-305 s beside the engine part',
    },
  },
];
