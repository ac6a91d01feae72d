// Runs buildImage in a separate process (so a test can vary umask, TMPDIR and cwd) and prints
// the result as JSON. Usage: node -r tsx/cjs build-image-child.ts '<BuildOptions JSON>'
import { buildImage } from '../../builder/image/build';

buildImage(JSON.parse(process.argv[2]))
  .then((r) => process.stdout.write(JSON.stringify({ sha256: r.meta.sha256, cached: r.cached, umask: process.umask() })))
  .catch((e: Error) => {
    process.stderr.write(`${e.name}: ${e.message}\n`);
    process.exit(1);
  });
