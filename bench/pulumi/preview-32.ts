// `pulumi preview` of a 32-container site with no change, against two baselines, in one command:
// `pulumi version` (the CLI's start-up) and a no-change preview of a trivial TypeScript program
// with one dynamic resource (the engine, the Node.js language host, ts-node and the dynamic
// provider plugin starting up: what every Pulumi TypeScript program pays).
//
//   npx tsx bench/pulumi/preview-32.ts [RUNS]        # default 3 runs of each
//   npx tsx bench/pulumi/preview-32.ts --quick       # CI: one run of each, 4 containers (the
//                                                    # smallest site; the figure is not kept)
//
// It builds the site once (`pulumi up`), then times RUNS no-change previews and RUNS `pulumi
// version` calls, and counts image conversions during the previews through D0_CONVERSION_LOG
// (builder/site/conversions.ts appends one line per conversion request): a preview must make
// none. Prints medians and the ratios.
import fs from 'node:fs';
import path from 'node:path';
import { writeBusyboxArchive } from '../../test/provider/fixture-image';
import { PulumiWorkspace, parsePreviewJson } from '../../test/support/pulumi';
import {
  engineEnv,
  projectFiles,
  SECRET,
  writeSite,
  type SiteFile,
} from '../../test/pulumi/site-program';

const median = (xs: number[]) => [...xs].sort((a, b) => a - b)[Math.floor(xs.length / 2)];

const TRIVIAL = `import * as pulumi from '@pulumi/pulumi';
const provider: pulumi.dynamic.ResourceProvider = {
  async create(inputs: { word: string }) { return { id: inputs.word, outs: inputs }; },
};
class Word extends pulumi.dynamic.Resource {
  constructor(name: string) { super(provider, name, { word: name }, {}); }
}
new Word('w');
`;

async function main(runs: number, containers: number): Promise<void> {
  const ws = await PulumiWorkspace.create({ files: projectFiles('d0-bench-32') });
  const trivial = await PulumiWorkspace.create({
    files: {
      'Pulumi.yaml':
        'name: trivial\nruntime:\n  name: nodejs\n  options:\n    typescript: true\nmain: index.ts\n',
      'package.json': '{"name":"trivial","private":true,"main":"index.ts"}',
      'index.ts': TRIVIAL,
    },
  });
  try {
    await trivial.pulumiOk(['stack', 'init', 'bench']);
    await trivial.pulumiOk(['up', '--yes', '--skip-preview']);
    const image = await writeBusyboxArchive(path.join(ws.root, 'images', 'busybox.tar'));
    const keyFile = path.join(ws.root, 'signing.key');
    fs.writeFileSync(keyFile, SECRET + '\n', { mode: 0o600 });
    const site: SiteFile = {
      network: { bridge: '10.20.0.1/24' },
      containers: Array.from({ length: containers }, (_, i) => ({
        name: `vm${i}`,
        image,
        memMb: 64,
        ip: `10.20.0.${10 + i}/24`,
        bootOrder: i,
      })),
      epoch: 1,
      outDir: path.join(ws.root, 'builds'),
      disk: path.join(ws.root, 'host.img'),
    };
    writeSite(ws.projectDir, site);
    await ws.pulumiOk(['stack', 'init', 'bench']);
    await ws.pulumiOk(['config', 'set', 'signingKeyFile', keyFile]);
    let t = Date.now();
    await ws.pulumiOk(['up', '--yes', '--skip-preview'], engineEnv);
    console.error(`initial up (${containers} containers): ${Date.now() - t} ms`);

    const log = path.join(ws.root, 'conversions.log');
    const env = { env: { ...engineEnv.env, D0_CONVERSION_LOG: log } };
    const preview: number[] = [];
    const version: number[] = [];
    const base: number[] = [];
    for (let i = 0; i < runs; i++) {
      t = Date.now();
      await trivial.pulumiOk(['preview', '--json']);
      base.push(Date.now() - t);
      t = Date.now();
      const r = await ws.pulumiOk(['preview', '--json'], env);
      preview.push(Date.now() - t);
      const summary = parsePreviewJson(r.stdout).changeSummary;
      if (Object.keys(summary).some((k) => k !== 'same'))
        throw new Error(`preview saw changes: ${JSON.stringify(summary)}`);
      t = Date.now();
      await ws.pulumiOk(['version']);
      version.push(Date.now() - t);
    }
    const conversions = fs.existsSync(log)
      ? fs.readFileSync(log, 'utf8').trim().split('\n').filter(Boolean).length
      : 0;
    const [p, v, b] = [median(preview), median(version), median(base)];
    console.log(
      JSON.stringify({
        runs,
        containers,
        previewMs: preview,
        versionMs: version,
        trivialPreviewMs: base,
        medianPreviewMs: p,
        medianVersionMs: v,
        medianTrivialPreviewMs: b,
        previewOverVersion: +(p / v).toFixed(1),
        previewOverTrivial: +(p / b).toFixed(2),
        previewMinusTrivialMs: p - b,
        conversionsDuringPreview: conversions,
      }),
    );
    if (conversions !== 0) process.exitCode = 1;
  } finally {
    ws.dispose();
    trivial.dispose();
  }
}

const arg = process.argv[2];
const runs = arg === '--quick' ? 1 : Number(arg ?? 3);
if (!(Number.isInteger(runs) && runs >= 1)) {
  console.error('usage: npx tsx bench/pulumi/preview-32.ts [RUNS | --quick]');
  process.exit(2);
}
main(runs, arg === '--quick' ? 4 : 32).catch((e) => {
  console.error(e);
  process.exit(1);
});
