// Problems -> CheckFailures: the form the engine prints without `{<nil>}` or a value, the path
// once, a repeated problem once; and the scoping of site paths to a resource's own.
import assert from 'node:assert/strict';
import { failurePath, failures, refuseProblems, scoped } from '../../provider/impl/problems';

describe('provider: problems -> CheckFailures', () => {
  const p = (path: string, message: string) => ({ code: 'INVALID', path, message });

  it('names no property and leads the reason with the path, once', () => {
    const f = failures([
      p('containers.web.memMb', 'must be at least 16'),
      p('signingKey', 'is not a D0 secret key'),
    ]);
    assert.deepEqual(f, [
      { property: '', reason: 'containers.web.memMb: must be at least 16' },
      { property: '', reason: 'signingKey: is not a D0 secret key' },
    ]);
    assert.deepEqual(f.map(failurePath), ['containers.web.memMb', 'signingKey']);
  });

  it('lists a problem found twice once, but two problems at one path both', () => {
    const f = failures([
      p('containers.web.ip', 'address 10.20.0.10 is also used by containers[api]'),
      p('containers.web.ip', 'address 10.20.0.10 is also used by containers[api]'),
      p('containers.web.ip', 'is outside the bridge subnet'),
    ]);
    assert.deepEqual(
      f.map((x) => x.reason),
      [
        'containers.web.ip: address 10.20.0.10 is also used by containers[api]',
        'containers.web.ip: is outside the bridge subnet',
      ],
    );
  });

  it('failurePath of a reason without a path is empty', () => {
    assert.equal(failurePath({ property: '', reason: 'no path here' }), '');
  });

  it('refuseProblems throws one error listing every problem, and nothing without one', () => {
    assert.doesNotThrow(() => refuseProblems('Container "web"', []));
    assert.throws(
      () =>
        refuseProblems('Container "web"', [
          p('memMb', 'is outside 16..65536'),
          p('ip', 'has no /prefix'),
        ]),
      {
        message:
          'Container "web" has problems:\n  memMb: is outside 16..65536\n  ip: has no /prefix',
      },
    );
  });

  it("scoped keeps one resource's problems at its own paths", () => {
    const site = [p('containers.web.memMb', 'm'), p('containers.webx.ip', 'i'), p('network', 'n')];
    assert.deepEqual(scoped(site, 'containers.web'), [p('memMb', 'm')]);
    assert.deepEqual(scoped(site, 'network'), [p('network', 'n')]);
  });
});
