import { Command, CommanderError, Option } from 'commander';
import { runRoutesCommand } from './commands/routes-command';
import { runWorkerCommand } from './commands/worker-command';
import { EXIT_USAGE, reportError } from './cli-error';

const VERSION = '0.1.0';

/** Build the `taskq` command line. Commands only parse arguments and call the libraries. */
export function buildProgram(onExit: (code: number) => void): Command {
  const program = new Command('taskq')
    .description('taskq: distributed tasks for TypeScript on RabbitMQ, Celery-compatible')
    .version(VERSION)
    .showHelpAfterError('(run taskq --help for usage)')
    .exitOverride();

  program
    .command('worker')
    .description('consume queues and run the tasks of an app')
    .requiredOption('-A, --app <module>', 'tasks module exporting the app (as `app` or default); .ts works without a build')
    .option('-Q, --queue <names...>', 'queues to consume, comma-separated or repeated (default: the default queue)')
    .option('-c, --concurrency <n>', 'tasks run at once, also the prefetch (default: number of CPUs)')
    .option('--config <file-or-dir>', 'routing config (overrides the app and TASKQ_CONFIG)')
    .option('-b, --broker <url>', 'broker URL (overrides the app and TASKQ_BROKER_URL)')
    .option('--result-backend <url>', "rpc://, redis://host:6379/0 or disabled (overrides the app and TASKQ_RESULT_BACKEND)")
    .addOption(new Option('-l, --loglevel <level>', 'log level').choices(['debug', 'info', 'warn', 'error', 'silent']).default('info'))
    .option('--drain-timeout <seconds>', 'on SIGTERM, how long to wait for running tasks (default 30)')
    .action(async (options) => onExit(await runWorkerCommand(options)));

  program
    .command('routes')
    .description('show where tasks would be sent and why (does not connect)')
    .argument('<task-names...>', 'task names to resolve')
    .option('-A, --app <module>', 'tasks module whose routing config to use')
    .option('--config <file-or-dir>', 'routing config to use')
    .option('-Q, --queue <name>', 'as if sent with { queue }')
    .option('--exchange <name>', 'as if sent with { exchange }')
    .option('--routing-key <key>', 'as if sent with { routingKey }')
    .action(async (taskNames: string[], options) => onExit(await runRoutesCommand(taskNames, options)));

  return program;
}

/** Run the CLI with `argv` (process.argv form); resolves with the exit code. */
export async function main(argv: string[]): Promise<number> {
  let exitCode = 0;
  const program = buildProgram((code) => {
    exitCode = code;
  });
  try {
    await program.parseAsync(argv);
    return exitCode;
  } catch (err) {
    if (err instanceof CommanderError) {
      // Help and version are "errors" to commander with exit code 0; usage mistakes are not.
      return err.exitCode === 0 ? 0 : EXIT_USAGE;
    }
    return reportError(err, brokerArgument(argv) ?? process.env['TASKQ_BROKER_URL']);
  }
}

/** The --broker value, so error messages can mask its password. */
function brokerArgument(argv: string[]): string | undefined {
  for (let i = 0; i < argv.length; i++) {
    const arg = argv[i]!;
    if (arg === '--broker' || arg === '-b') return argv[i + 1];
    if (arg.startsWith('--broker=')) return arg.slice('--broker='.length);
  }
  return undefined;
}
