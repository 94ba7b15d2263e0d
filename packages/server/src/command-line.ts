import { parseArgs } from "node:util";

import { ConfigError, formatConfigHelp, loadConfig, type Config } from "./config.js";

/** Output streams and inputs shared by the server and worker commands; tests pass their own. */
export interface CommandIo {
  argv: string[];
  env: Record<string, string | undefined>;
  stdout: (text: string) => void;
  stderr: (text: string) => void;
}

/** The outcome of reading a command line: the flags and configuration, or an exit code to stop with. */
export type CommandStart<Flag extends string> = { flags: Partial<Record<Flag, boolean>>; config: Config } | { exitCode: number };

/** Drops a leading `--`, which `pnpm start -- --help` passes through to the script. */
export function withoutSeparator(argv: string[]): string[] {
  return argv[0] === "--" ? argv.slice(1) : argv;
}

/**
 * Parses the boolean flags and loads the configuration from the environment. Prints the usage with
 * every environment variable for `--help` (exit code 0), and one message per invalid argument or
 * variable (exit code 2).
 */
export function readCommand<Flag extends string>(io: CommandIo, usage: string, flags: readonly Flag[]): CommandStart<Flag> {
  const options = Object.fromEntries(["help", ...flags].map((flag) => [flag, { type: "boolean" as const }]));

  let values: Record<string, unknown>;
  try {
    ({ values } = parseArgs({ args: withoutSeparator(io.argv), options, strict: true }));
  } catch (error) {
    io.stderr(`${(error as Error).message}\nRun with --help to see the usage.\n`);
    return { exitCode: 2 };
  }
  if (values.help === true) {
    io.stdout(`${usage}${formatConfigHelp()}\n`);
    return { exitCode: 0 };
  }

  try {
    return { flags: values as Partial<Record<Flag, boolean>>, config: loadConfig(io.env) };
  } catch (error) {
    if (!(error instanceof ConfigError)) throw error;
    io.stderr(`${error.message}\nRun with --help to see every variable and its default.\n`);
    return { exitCode: 2 };
  }
}
