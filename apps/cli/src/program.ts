import { Command, CommanderError, Option } from 'commander';
import { DEFAULT_LIST_LIMIT } from '@taskq/core';
import { runDeadLettersInspect, runDeadLettersList, runDeadLettersPurge, runDeadLettersReplay } from './commands/dead-letters-command';
import { runBeatCommand } from './commands/beat-command';
import { runRoutesCommand } from './commands/routes-command';
import { runScheduleCommand } from './commands/schedule-command';
import { runWorkerCommand } from './commands/worker-command';
import { EXIT_USAGE, reportError } from './cli-error';
import { seconds, wholeNumber } from './option-values';

const VERSION = '0.1.0';

/** Build the `taskq` command line. Commands only parse arguments and call the libraries. */
export function buildProgram(onExit: (code: number) => void): Command {
  const program = new Command('taskq')
    .description('taskq: distributed tasks for TypeScript on RabbitMQ, Celery-compatible')
    .version(VERSION)
    .showHelpAfterError('(run taskq --help for usage)')
    // Commander's own errors read like taskq's (`taskq: error: …`); set before the commands inherit it.
    .configureOutput({ outputError: (text, write) => write(`taskq: ${text}`) })
    .exitOverride();

  program
    .command('worker')
    .description('consume queues and run the tasks of an app')
    .usage('--app <module> [options]')
    .requiredOption('-A, --app <module>', '(required) tasks module exporting the app (as `app` or default); .ts works without a build')
    .option('-Q, --queue <names...>', 'queues to consume, comma-separated or repeated (default: the default queue)')
    .option('-c, --concurrency <n>', 'tasks run at once, also the prefetch (default: number of CPUs)', wholeNumber)
    .option('--prefetch-multiplier <n>', 'prefetch = concurrency × n: faster short tasks, looser priority (default 1)', wholeNumber)
    .option('--config <file-or-dir>', 'routing config (overrides the app and TASKQ_CONFIG)')
    .option('-b, --broker <url>', 'broker URL, or several separated by commas (a cluster; overrides the app and TASKQ_BROKER_URL)')
    .option('--tls-ca <file>', 'CA certificate (PEM) to verify an amqps:// broker')
    .option('--tls-cert <file>', 'client certificate (PEM) for amqps://')
    .option('--tls-key <file>', 'client private key (PEM) for amqps://')
    .option('--result-backend <url>', 'rpc://, redis://host:6379/0 or disabled (overrides the app and TASKQ_RESULT_BACKEND)')
    .addOption(new Option('-l, --loglevel <level>', 'log level').choices(['debug', 'info', 'warn', 'error', 'silent']).default('info'))
    .option('--drain-timeout <seconds>', 'on SIGTERM, how long to wait for running tasks (default 30)', wholeNumber)
    .option('--time-limit <seconds>', 'hard time limit for tasks that set none: marked failed, slot freed (default: none)', seconds)
    .option('--soft-time-limit <seconds>', 'soft time limit for tasks that set none: aborts currentTask().signal (default: none)', seconds)
    .option(
      '--max-redeliveries <n>',
      'dead-letter a message (worker-crash) once it came back redelivered this many times (default 3)',
      wholeNumber,
    )
    .option(
      '--result-store-timeout <seconds>',
      'how long to hold a result while the result backend is down before dead-lettering it (default 300)',
      seconds,
    )
    .option('-B, --beat', 'also run beat in this worker (periodic tasks; several may run, one is active)')
    .option('--schedule <file>', 'with --beat: a schedule file (YAML or JSON) adding periodic tasks')
    .option('--beat-name <name>', "with --beat: the beat group (default 'default'; one per app on a broker)")
    .action(async (options) => onExit(await runWorkerCommand(options)));

  program
    .command('beat')
    .description('send periodic tasks at their times; run several for failover (one is active)')
    .usage('--app <module> [options]')
    .requiredOption('-A, --app <module>', '(required) tasks module exporting the app, with its app.schedule() entries')
    .option('-s, --schedule <file>', 'a schedule file (YAML or JSON) adding periodic tasks')
    .option('--name <name>', "the beat group: beats with one name elect one active beat (default 'default')")
    .option('--config <file-or-dir>', 'routing config (overrides the app and TASKQ_CONFIG)')
    .option('-b, --broker <url>', 'broker URL, or several separated by commas (a cluster; overrides the app and TASKQ_BROKER_URL)')
    .option('--tls-ca <file>', 'CA certificate (PEM) to verify an amqps:// broker')
    .option('--tls-cert <file>', 'client certificate (PEM) for amqps://')
    .option('--tls-key <file>', 'client private key (PEM) for amqps://')
    .addOption(new Option('-l, --loglevel <level>', 'log level').choices(['debug', 'info', 'warn', 'error', 'silent']).default('info'))
    .action(async (options) => onExit(await runBeatCommand(options)));

  program
    .command('schedule')
    .description('list periodic tasks with their next fire times, in their zone and UTC (does not connect)')
    .usage('--app <module> [options]')
    .requiredOption('-A, --app <module>', '(required) tasks module exporting the app')
    .option('-s, --schedule <file>', 'a schedule file (YAML or JSON) adding periodic tasks')
    .option('-n, --next <n>', 'fire times to show per entry (default 3)', wholeNumber)
    .option('--from <time>', 'count from this ISO 8601 time instead of now (e.g. to check a DST day)')
    .action(async (options) => onExit(await runScheduleCommand(options)));

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

  addDeadLettersCommand(program, onExit);

  return program;
}

/** `taskq dead-letters` (alias `dlq`): list, inspect, replay and purge a dead-letter queue. */
function addDeadLettersCommand(program: Command, onExit: (code: number) => void): void {
  const deadLetters = program
    .command('dead-letters')
    .alias('dlq')
    .description('list, inspect, replay and purge dead letters (needs only the broker)');
  const common = (command: Command): Command =>
    command
      .option('--queue <name>', "the dead-letter queue (default: the app's deadLetterQueue, else taskq.dead)")
      .option('-b, --broker <url>', "broker URL, or several separated by commas (default: the app's, else TASKQ_BROKER_URL)")
      .option('-A, --app <module>', 'optional tasks module: its broker, TLS settings and deadLetterQueue')
      .option('--tls-ca <file>', 'CA certificate (PEM) to verify an amqps:// broker')
      .option('--tls-cert <file>', 'client certificate (PEM) for amqps://')
      .option('--tls-key <file>', 'client private key (PEM) for amqps://');

  common(deadLetters.command('list').description('show the first dead letters: id, task, reason, original queue, attempts, time'))
    .option('--limit <n>', `how many to show (default ${DEFAULT_LIST_LIMIT})`, wholeNumber)
    .action(async (options) => onExit(await runDeadLettersList(options)));
  common(deadLetters.command('inspect').description("show the headers and decoded body of a task's dead letter"))
    .argument('<task-id>', 'the task id')
    .action(async (taskId: string, options) => onExit(await runDeadLettersInspect(taskId, options)));
  common(deadLetters.command('replay').description('re-publish dead letters to their original queue (confirmed), then remove them'))
    .argument('[task-ids...]', 'task ids to replay')
    .option('--all', 'replay every dead letter in the queue')
    .action(async (taskIds: string[], options) => onExit(await runDeadLettersReplay(taskIds, options)));
  common(deadLetters.command('purge').description('delete every dead letter in the queue'))
    .option('--yes', 'really delete them')
    .action(async (options) => onExit(await runDeadLettersPurge(options)));
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
    return reportError(err, [
      optionValue(argv, '--broker', '-b') ?? process.env['TASKQ_BROKER_URL'],
      optionValue(argv, '--result-backend') ?? process.env['TASKQ_RESULT_BACKEND'],
    ]);
  }
}

/** The value of an option in `argv`, so error messages can mask the passwords in URLs. */
function optionValue(argv: string[], ...names: string[]): string | undefined {
  for (let i = 0; i < argv.length; i++) {
    const arg = argv[i]!;
    if (names.includes(arg)) return argv[i + 1];
    const name = names.find((n) => n.startsWith('--') && arg.startsWith(`${n}=`));
    if (name) return arg.slice(name.length + 1);
  }
  return undefined;
}
