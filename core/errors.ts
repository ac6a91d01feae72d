// Errors with a stable machine-readable code, so the CLI, the provider and tests match on the code
// rather than on message text. Messages must never contain secret material.

export class D0Error extends Error {
  readonly code: string;
  constructor(code: string, message: string) {
    super(message);
    this.name = 'D0Error';
    this.code = code;
  }
}

/** One validation problem: a stable code, where it is (e.g. `containers[web].ip4`) and why. */
export interface Problem {
  readonly code: string;
  readonly path: string;
  readonly message: string;
}

/** Thrown when input has problems; carries every one of them. */
export class ValidationError extends D0Error {
  readonly problems: readonly Problem[];
  constructor(problems: readonly Problem[]) {
    super('INVALID', problems.map((p) => `${p.path}: ${p.message}`).join('\n'));
    this.name = 'ValidationError';
    this.problems = problems;
  }
}
