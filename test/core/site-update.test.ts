// The build spec's update (site level) onto the manifest's, with timeoutS defaulting to 60, and
// the loader digest a build passes in; problems come back at the spec's names.
import assert from 'node:assert/strict';
import { planBuild } from '../../core/site/plan';
import {
  DEFAULT_UPDATE_TIMEOUT_S,
  manifestInput,
  specPath,
  type BuildSpec,
  type ContainerSpec,
} from '../../core/site/spec';

const web: ContainerSpec = {
  name: 'web',
  image: 'oci:/x',
  vcpu: 1,
  memMb: 128,
  ip: '10.20.0.10/24',
  bootOrder: 1,
  healthTimeoutS: 30,
};
const spec = (update?: unknown): BuildSpec =>
  ({
    network: { bridge: '10.20.0.1/24' },
    securityEpoch: 1,
    containers: [web],
    ...(update === undefined ? {} : { update }),
  }) as BuildSpec;
const DISK = { sha256: 'ab'.repeat(32), size: '1' };
const KERNEL = { sha256: 'cd'.repeat(32), size: '2' };
const input = (s: BuildSpec, loader?: { sha256: string; size: string }) =>
  manifestInput(s, () => DISK, KERNEL, loader).input;

describe('core/site: the update spec and the loader digest', () => {
  it('maps url and timeoutS onto update.url and update.timeout_s, 60 s when left out', () => {
    assert.equal(DEFAULT_UPDATE_TIMEOUT_S, 60);
    assert.deepEqual(input(spec({ url: 'http://10.0.2.2/d0/', timeoutS: 300 })).update, {
      url: 'http://10.0.2.2/d0/',
      timeout_s: 300,
    });
    assert.deepEqual(input(spec({ url: 'http://10.0.2.2/d0/' })).update, {
      url: 'http://10.0.2.2/d0/',
      timeout_s: 60,
    });
    assert.equal('update' in input(spec()), false);
  });

  it('puts the loader digest a build gives into the input, and nothing without one', () => {
    const loader = { sha256: 'ef'.repeat(32), size: '1048576' };
    assert.deepEqual(input(spec(), loader).loader, loader);
    assert.equal('loader' in input(spec()), false);
  });

  it('plans a build with its update (a plan has no loader: D0 is not built yet)', () => {
    const p = planBuild(spec({ url: 'http://updates.example.net:8080/d0/' }));
    assert.deepEqual(p.problems, []);
    assert.deepEqual(p.manifest!.update, {
      url: 'http://updates.example.net:8080/d0/',
      timeout_s: 60,
    });
    assert.equal(p.manifest!.loader, undefined);
  });

  it("reports a bad url or timeout at the spec's own names", () => {
    const at = (u: unknown) =>
      planBuild(spec(u)).problems.map((p) => `${p.code} ${p.path}: ${p.message}`);
    const bad = at({ url: 'https://updates.example.net/d0/', timeoutS: 601 });
    assert.deepEqual(bad.sort(), [
      'INVALID update.timeoutS: 601 is outside 1..600',
      'INVALID update.url: https://updates.example.net/d0/ must start with http:// (lowercase)',
    ]);
    assert.deepEqual(at({ url: 'http://updates.example.net/d0', timeoutS: 0 }).sort(), [
      'INVALID update.timeoutS: 0 is outside 1..600',
      'INVALID update.url: http://updates.example.net/d0 path must end with /',
    ]);
    assert.deepEqual(at({ timeoutS: 30 }), ['REQUIRED update.url: is required']);
    assert.deepEqual(at('http://updates.example.net/'), ['INVALID update: is not an object']);
    assert.equal(specPath('update.timeout_s'), 'update.timeoutS');
    assert.equal(specPath('update.url'), 'update.url');
  });
});
