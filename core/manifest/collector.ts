// Collects validation problems instead of stopping at the first.
import type { Problem } from '../errors';

export class Collector {
  readonly problems: Problem[] = [];
  add(code: string, path: string, message: string): void {
    this.problems.push({ code, path, message });
  }
}
