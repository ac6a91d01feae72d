// Lines read from a stream one at a time, when a command asks for one: an operator's Enter on a
// terminal, or the next line of a file or pipe given as standard input. On a terminal a line typed
// before the question is dropped (an Enter pressed early must not confirm the next question); from
// a file or pipe every line counts, in order. next() resolves undefined once the input has ended.
import * as readline from 'node:readline';

export class LineInput {
  private readonly rl: readline.Interface;
  private readonly queued: string[] = [];
  private waiting?: (line: string | undefined) => void;
  private ended = false;

  constructor(private readonly input: NodeJS.ReadableStream & { isTTY?: boolean }) {
    this.rl = readline.createInterface({ input, terminal: false, crlfDelay: Infinity });
    this.rl.on('line', (line) => {
      const waiting = this.waiting;
      this.waiting = undefined;
      if (waiting) waiting(line);
      else if (!input.isTTY) this.queued.push(line);
    });
    this.rl.on('close', () => {
      this.ended = true;
      const waiting = this.waiting;
      this.waiting = undefined;
      waiting?.(undefined);
    });
  }

  /** The next line (without its end), or undefined when the input has ended. */
  next(): Promise<string | undefined> {
    if (this.queued.length > 0) return Promise.resolve(this.queued.shift());
    if (this.ended) return Promise.resolve(undefined);
    return new Promise((resolve) => (this.waiting = resolve));
  }

  /** Stops reading (the input no longer keeps the process alive). */
  close(): void {
    this.rl.close();
    this.input.pause();
  }
}
