// `d0 secure-boot keys --out DIR`: a site's Secure Boot material (PK, KEK and db key pairs and
// certificates, and the enrolment files .esl/.auth/.cer for a host's firmware;
// builder/disk/secure-boot-keys.ts). The private keys are mode 0600 and never printed.
// `d0 secure-boot vars --keys DIR --out VARS.fd`: a 4 MiB OVMF VARS file with that PK, KEK and db
// enrolled and Secure Boot enforcing (builder/disk/ovmf-vars-enroll.ts), for
// `d0 run DISK --secure-boot --vars VARS.fd`: the site's own keys under QEMU, no setup screen.
// See docs/secure-boot.md.
import fs from 'node:fs';
import path from 'node:path';
import { writeEnrolledVars } from '../../builder/disk/ovmf-vars-enroll';
import { generateSiteKeys } from '../../builder/disk/secure-boot-keys';
import { badInput, parseFlags, readFileOrFail, type Command } from '../io';

const USAGE = {
  keys: 'secure-boot keys --out DIR [--name NAME] [--force]   (PK/KEK/db keys, certificates, .esl/.auth/.cer)',
  vars: "secure-boot vars --keys DIR --out VARS.fd [--force]   (OVMF VARS with DIR's PK/KEK/db enrolled)",
};

export const command: Command = {
  name: 'secure-boot',
  usage: Object.values(USAGE),
  async run(args, io) {
    const [sub, ...rest] = args;
    if (sub === 'keys') {
      const { values, positionals } = parseFlags(
        rest,
        { out: { type: 'string' }, name: { type: 'string' }, force: { type: 'boolean' } },
        USAGE.keys,
      );
      if (!values.out || positionals.length) throw badInput(`usage: d0 ${USAGE.keys}`);
      const k = await generateSiteKeys(values.out, { name: values.name, force: values.force });
      io.out(
        `wrote ${k.files.length} files into ${k.dir} (PK.key, KEK.key, db.key: secret, mode 0600)`,
      );
      io.out(
        `  sign D0 with: --sb-key ${path.join(k.dir, 'db.key')} --sb-cert ${path.join(k.dir, 'db.crt')}`,
      );
      io.out(
        `  enrol on a host in Setup Mode: db.auth, KEK.auth, then PK.auth (efi-updatevar -f), or the .cer files from the firmware's setup`,
      );
      io.out(`db certificate sha256 ${k.dbFingerprint}`);
      return 0;
    }
    if (sub === 'vars') {
      const { values, positionals } = parseFlags(
        rest,
        { keys: { type: 'string' }, out: { type: 'string' }, force: { type: 'boolean' } },
        USAGE.vars,
      );
      if (!values.keys || !values.out || positionals.length)
        throw badInput(`usage: d0 ${USAGE.vars}`);
      if (!fs.existsSync(values.keys)) throw badInput(`${values.keys}: no such directory`);
      const esl = (n: string) =>
        readFileOrFail(
          path.join(values.keys!, `${n}.esl`),
          `the ${n} signature list (d0 secure-boot keys)`,
        );
      writeEnrolledVars(
        values.out,
        { pk: esl('PK'), kek: esl('KEK'), db: esl('db') },
        { force: values.force },
      );
      io.out(`wrote ${values.out}: PK, KEK and db from ${values.keys}, Secure Boot enabled`);
      io.out(`  boot with: d0 run DISK --secure-boot --vars ${values.out}`);
      return 0;
    }
    throw badInput(`usage: d0 ${USAGE.keys}`, `       d0 ${USAGE.vars}`);
  },
};
