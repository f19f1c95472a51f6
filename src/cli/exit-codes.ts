/**
 * The exit codes of the client commands, one per failure a script may want to tell apart, and the
 * error that carries one. Commands throw CliError with one line for the user; `runCli` prints it
 * and exits with its code. The table is printed by `--help` and in README ("Command line").
 */
export const EXIT = {
  ok: 0,
  /** A file or task failed (or finished partial), or the server refused a request. */
  failed: 1,
  /** Bad arguments: an unknown option, a file that does not exist, a malformed server URL. */
  usage: 2,
  /** No server answers at the address, or what answers is not this service. */
  unreachable: 3,
  /** The server answers, but not to this password. */
  wrongPassword: 4,
  /** A file is larger than the server's limits (bytes, pages or pixels). */
  tooLarge: 5,
  /** A file is neither a PDF nor an image of a type the service reads. */
  unsupported: 6,
  /** Stopped by Ctrl-C (128 + SIGINT, as shells report it). */
  interrupted: 130,
} as const;

export type ExitCode = (typeof EXIT)[keyof typeof EXIT];

export const EXIT_CODES_HELP = `Exit codes:
  0    everything succeeded
  1    a file or task failed or finished partial, or the server refused a request
  2    bad arguments (unknown option, missing file, malformed --server)
  3    the server cannot be reached (or is not an ocr server)
  4    wrong password (the server answers 404 to everything without the right one)
  5    a file is over the server's limits (MAX_IMAGE_SIZE_MB, MAX_PDF_SIZE_MB, MAX_PDF_PAGES)
  6    a file is not a PDF or a PNG, JPEG, WebP, GIF, BMP or TIFF image
  130  interrupted (Ctrl-C)`;

/** A failure the user can act on: `message` is the one line printed, `exitCode` what the process returns. */
export class CliError extends Error {
  constructor(readonly exitCode: ExitCode, message: string, options?: { cause?: unknown }) {
    super(message, options);
    this.name = 'CliError';
  }
}

/** Of several failures, the one to exit with: the most specific (highest) code wins over a plain failure. */
export const worstExit = (codes: Iterable<ExitCode>): ExitCode => {
  let worst: ExitCode = EXIT.ok;
  for (const code of codes) if (code > worst) worst = code;
  return worst;
};
