// Command line for the guest builds: `npx tsx builder/guest/main.ts kernel|init`.
// Prints the path of the artifact on stdout and progress on stderr.
import { buildGuestKernel } from './kernel';
import { buildGuestInit } from './init';

async function main(what: string | undefined): Promise<void> {
  const log = (l: string) => console.error(l);
  if (what === 'kernel') {
    const r = await buildGuestKernel({ log });
    console.error(`cached=${r.cached} key=${r.key} buildSeconds=${r.buildSeconds}`);
    console.log(r.bzImage);
  } else if (what === 'init') {
    const r = await buildGuestInit({ log });
    console.error(`cached=${r.cached} key=${r.key}`);
    console.log(r.init);
  } else {
    throw new Error('usage: builder/guest/main.ts kernel|init');
  }
}

main(process.argv[2]).catch((e: Error) => {
  console.error(e.message);
  process.exit(1);
});
