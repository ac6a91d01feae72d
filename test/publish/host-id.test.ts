// Host identities: only the lowercase dashed MAC of a NIC, every bad one named in the error.
import { strict as assert } from 'node:assert';
import { errorCode } from '../../core/errors';
import { checkHostIds, hostIdProblem, PublishError } from '../../builder/publish';

describe('publish: host identities', () => {
  it('accepts a unicast MAC in lowercase hex with dashes', () => {
    for (const h of ['52-54-00-12-34-56', '02-00-00-00-00-0a', 'fe-ff-ff-ff-ff-ff'])
      assert.equal(hostIdProblem(h), undefined, h);
  });

  it('refuses other spellings, with the one to use when it is a MAC written otherwise', () => {
    assert.match(hostIdProblem('52:54:00:12:34:56')!, /write it 52-54-00-12-34-56/);
    assert.match(hostIdProblem('52-54-00-AB-34-56')!, /write it 52-54-00-ab-34-56/);
    for (const bad of [
      '',
      '52-54-00-12-34',
      '52-54-00-12-34-56-78',
      '5254.0012.3456',
      '52-54-00-12-34-5g',
      ' 52-54-00-12-34-56',
      '../../etc/passwd',
    ])
      assert.match(hostIdProblem(bad)!, /not a MAC address in lowercase hex with dashes/, bad);
  });

  it('refuses addresses no NIC has: group (multicast, broadcast) and all-zero', () => {
    assert.match(hostIdProblem('01-00-5e-00-00-01')!, /multicast or broadcast/);
    assert.match(hostIdProblem('ff-ff-ff-ff-ff-ff')!, /multicast or broadcast/);
    assert.match(hostIdProblem('00-00-00-00-00-00')!, /all-zero/);
  });

  it('checkHostIds names every bad host in one PUBLISH_HOST_ID error and drops duplicates', () => {
    assert.deepEqual(
      checkHostIds(['52-54-00-12-34-56', '52-54-00-12-34-56', '52-54-00-12-34-57']),
      ['52-54-00-12-34-56', '52-54-00-12-34-57'],
    );
    assert.throws(
      () => checkHostIds(['52-54-00-12-34-56', 'AA:BB', 'ff-ff-ff-ff-ff-ff']),
      (e: unknown) =>
        e instanceof PublishError &&
        errorCode(e) === 'PUBLISH_HOST_ID' &&
        /host "AA:BB": not a MAC/.test(e.message) &&
        /host "ff-ff-ff-ff-ff-ff": a multicast/.test(e.message) &&
        !e.message.includes('"52-54-00-12-34-56"'),
    );
  });
});
