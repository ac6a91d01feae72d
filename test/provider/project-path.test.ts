// Where a program's relative paths resolve: the project directory (Pulumi.yaml), never the folder
// the engine runs the program in; and the package root, from sources and from the compiled dist/.
import assert from 'node:assert/strict';
import fs from 'node:fs';
import os from 'node:os';
import path from 'node:path';
import * as pulumi from '@pulumi/pulumi';
import { PACKAGE_ROOT } from '../../core/package-root';
import { projectDir, projectPath } from '../../provider/project-path';

describe('provider: projectDir / projectPath', () => {
  let root: string;
  let cwd: string;
  beforeEach(() => {
    root = fs.mkdtempSync(path.join(os.tmpdir(), 'd0-project-'));
    cwd = process.cwd();
  });
  afterEach(() => {
    process.chdir(cwd);
    fs.rmSync(root, { recursive: true, force: true });
  });

  it('is the nearest folder upwards holding Pulumi.yaml, not the program folder', () => {
    const program = path.join(root, 'examples', 'hello');
    fs.mkdirSync(program, { recursive: true });
    fs.writeFileSync(path.join(root, 'Pulumi.yaml'), 'name: x\n');
    process.chdir(program);
    assert.equal(projectDir(), fs.realpathSync(root));
    assert.equal(
      projectPath('.d0/signing.key'),
      path.join(fs.realpathSync(root), '.d0/signing.key'),
    );
    assert.equal(projectPath('/abs/key'), '/abs/key');
  });

  it("ignores the SDK's placeholder root directory and falls back to the working directory", () => {
    // Outside a run whose host passes --root-directory, the SDK answers "rootDirectory".
    assert.equal(path.isAbsolute(pulumi.getRootDirectory()), false);
    process.chdir(root); // no Pulumi.yaml anywhere upwards
    assert.equal(projectDir(), fs.realpathSync(root));
  });

  it('PACKAGE_ROOT is the folder of package.json, proto/ and kernel/', () => {
    for (const f of ['package.json', 'proto/manifest.proto', 'kernel/Makefile'])
      assert.ok(fs.existsSync(path.join(PACKAGE_ROOT, f)), f);
  });
});
