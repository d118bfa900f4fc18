import type { AppOverrides, Logger, ResolvedRoute, TaskqApp } from '@taskq/core';
import {
  BrokerTransport,
  DeadLetterPublisher,
  ResultStoreFactory,
  type AcceptList,
  type MessageSigner,
  type Router,
  type SerializerRegistry,
  type TaskRegistry,
  type Transport,
} from '@taskq/core/internal';
import type { FailurePorts } from './failure-handling';

/**
 * Everything a {@link Worker} uses from the rest of taskq, named in one place and handed over
 * explicitly: the task registry and routing, the wire settings (accept list, size limit, signing),
 * a transport of its own for consuming, a result-store factory, the publishing its failure handling
 * needs, and what its log lines and task threads need. {@link workerPortsOf} builds it from an app;
 * nothing in the worker reaches into the app otherwise.
 */
export interface WorkerPorts {
  readonly logger: Logger;
  readonly tasks: TaskRegistry;
  readonly router: Router;
  readonly serializers: SerializerRegistry;
  acceptList(): AcceptList;
  readonly maxMessageBytes: number;
  readonly signer: MessageSigner | undefined;
  readonly deadLetterQueue: string;
  /** A transport of the worker's own for `role` (its consumers and acks; not the producer's connection). */
  openTransport(role: string): Transport;
  /** Makes the store results of consumed tasks go to (rpc replies on the consuming channel; Redis needs none). */
  readonly resultStores: ResultStoreFactory;
  /** Confirmed publishing of retries, re-delays and dead letters (through the app's producer transport). */
  readonly failures: FailurePorts;
  /** For log lines: the broker and result backend with passwords masked, and where routing came from. */
  readonly brokerUrlMasked: string;
  readonly resultBackendMasked: string;
  readonly configSource: string | undefined;
  /** For task threads: the module they load and the overrides they apply to their copy of the app. */
  readonly sourceModule: string | undefined;
  readonly overrides: Omit<AppOverrides, 'logger'>;
}

/**
 * The {@link WorkerPorts} of an app. Getters, not copies, where the app may still change (the
 * module path is often set after the worker is built).
 */
export function workerPortsOf(app: TaskqApp): WorkerPorts {
  return {
    get logger() {
      return app.logger;
    },
    tasks: app.tasks,
    get router() {
      return app.router;
    },
    serializers: app.serializers,
    acceptList: () => app.acceptList(),
    maxMessageBytes: app.maxMessageBytes,
    signer: app.signer,
    deadLetterQueue: app.deadLetterQueue,
    openTransport: (role) => new BrokerTransport(app.transportSettings, { role }),
    resultStores: new ResultStoreFactory(app.resultSettings, app.serializers),
    failures: failurePortsOf(app),
    get brokerUrlMasked() {
      return app.brokerUrlMasked;
    },
    get resultBackendMasked() {
      return app.resultBackendMasked;
    },
    get configSource() {
      return app.configSource;
    },
    get sourceModule() {
      return app.sourceModule;
    },
    get overrides() {
      return app.overrides;
    },
  };
}

/** Failure handling's ports: the app's producer (routing, delay ladder) and its transport (dead letters). */
function failurePortsOf(app: TaskqApp): FailurePorts {
  return {
    logger: app.logger,
    taskNames: () => app.tasks.names(),
    copyRules: { serializers: app.serializers, signer: app.signer },
    publishToQueue: (queue, encoded, delayMs, reason) => {
      const route: ResolvedRoute = { exchange: '', routingKey: queue, queue: app.router.queue(queue), reason, matchedBy: 'explicit-queue' };
      return app.producer().producer.publish(route, encoded, delayMs);
    },
    deadLetter: (queue, message, note) =>
      new DeadLetterPublisher(app.producer().transport, app.router.deadLetterQueue(app.deadLetterQueue)).publish(
        app.router.queue(queue),
        message,
        note,
      ),
  };
}
