// Paths a program takes from its stack config (key files, disk images, build directories) are
// relative to the project directory, the one holding Pulumi.yaml, wherever the program runs.
//
// Why not process.cwd(): the engine runs a program in the directory of its `main` (e.g.
// `main: examples/hello/index.ts` runs in examples/hello), so a path written next to Pulumi.yaml
// would resolve somewhere else. The SDK knows the project directory only when the language host
// passes it (`--root-directory`, newer hosts); otherwise the nearest folder upwards from the
// working directory that holds a Pulumi.yaml is the project directory, since the engine only
// ever starts a program inside its project.
import * as fs from 'node:fs';
import * as path from 'node:path';
import * as pulumi from '@pulumi/pulumi';

const PROJECT_FILES = ['Pulumi.yaml', 'Pulumi.yml'];

/**
 * The project directory: the SDK's root directory when the engine gave one (an absolute path), else the nearest
 * folder from `from` upwards holding Pulumi.yaml, else `from` itself (outside any project).
 */
export function projectDir(from: string = process.cwd()): string {
  // Without a host that passes it, the SDK answers a placeholder ("rootDirectory"), not a path.
  const root = pulumi.getRootDirectory();
  if (path.isAbsolute(root)) return root;
  for (let dir = path.resolve(from); ; dir = path.dirname(dir)) {
    if (PROJECT_FILES.some((f) => fs.existsSync(path.join(dir, f)))) return dir;
    if (path.dirname(dir) === dir) return path.resolve(from);
  }
}

/** `p` resolved against the project directory; an absolute `p` is returned as it is. */
export function projectPath(p: string): string {
  return path.resolve(projectDir(), p);
}
