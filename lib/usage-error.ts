// A mistake in what the user asked for (a flag, a file, a choice): one line naming what was wrong, what it got and
// what is accepted. The CLI exits 2 on it before anything is created. It lives here, below every library, so
// the libraries can refuse bad input in the same way the CLI does.
export class UsageError extends Error {
  constructor(message: string) {
    super(message);
    this.name = "UsageError";
  }
}
