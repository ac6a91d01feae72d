// Runs the slot writer in a child process that SIGKILLs itself at step CRASH_AT (0 = never),
// for the power-cut test. Arguments: a JSON object of WriteOptions fields plus publicKeyHex.
// Prints each step as "step N what" on stderr, so a full run tells how many steps there are.
import { writeSlot, type WriteOptions } from '../../builder/disk/writer';

function main(): void {
  const args = JSON.parse(process.argv[2]) as Omit<WriteOptions, 'publicKey'> & {
    publicKeyHex: string;
  };
  const crashAt = Number(process.env.CRASH_AT ?? '0');
  void writeSlot({
    ...args,
    publicKey: Buffer.from(args.publicKeyHex, 'hex'),
    onStep: (n, what) => {
      process.stderr.write(`step ${n} ${what}\n`);
      if (n === crashAt) process.kill(process.pid, 'SIGKILL');
    },
  }).then(
    (r) => process.stdout.write(JSON.stringify(r) + '\n'),
    (e: Error) => {
      process.stderr.write(`error ${e.message}\n`);
      process.exitCode = 1;
    },
  );
}

// mocha loads every file of test/ab; only a direct run writes anything.
if (require.main === module) main();
