// The TypeScript interfaces and the TLV field table follow proto/manifest.proto.
import { strict as assert } from 'node:assert';
import * as fs from 'node:fs';
import { INTERFACE_FIELDS, PROTO_PATH, schema, schemaFromProtoText } from '../../core/schema';
import { FIELD_SPECS, tlvScopes } from '../../core/tlv/tags';

describe('core/schema', () => {
  it('each interface lists exactly the proto fields of its message, in field-number order', () => {
    const messages = schema().messages;
    assert.deepEqual(Object.keys(INTERFACE_FIELDS).sort(), [...messages.keys()].sort());
    for (const [name, fields] of Object.entries(INTERFACE_FIELDS)) {
      assert.deepEqual(
        [...fields],
        messages.get(name)!.fields.map((f) => f.name),
        name,
      );
    }
  });

  it('every proto field has a declared TLV value kind and vice versa', () => {
    const fromProto = [...schema().messages.values()]
      .flatMap((m) => m.fields.map((f) => `${m.name}.${f.name}`))
      .sort();
    assert.deepEqual(Object.keys(FIELD_SPECS).sort(), fromProto);
    assert.equal(tlvScopes().size, schema().messages.size);
  });

  it('derives tags from scope, field number and the critical option', () => {
    const c = schema().messages.get('Container')!;
    assert.equal(c.fields.find((f) => f.name === 'mem_mb')!.tag, 0x8503);
    assert.equal(c.fields.find((f) => f.name === 'restart')!.tag, 0x050e);
  });

  it('refuses a message without a (d0.tlv_scope) option', () => {
    const text = fs.readFileSync(PROTO_PATH, 'utf8').replace('option (d0.tlv_scope) = 6;', '');
    assert.throws(() => schemaFromProtoText(text), /Route has no valid \(d0\.tlv_scope\)/);
  });
});
