import type { Channel } from 'amqplib';
import type { AppOverrides, Logger, TaskqApp } from '@taskq/core';
import type {
  AcceptList,
  LazyConnection,
  MessageSigner,
  ResultBackendSetting,
  ResultStore,
  Router,
  SerializerRegistry,
  TaskRegistry,
  Topology,
} from '@taskq/core/internal';

/**
 * Everything a {@link Worker} uses from the rest of taskq, named in one place: the task registry
 * and routing, the wire settings (accept list, size limit, signing), a broker connection and the
 * topology over it, a result-store factory, and what its log lines and task threads need. A
 * `TaskqApp` provides all of it (the worker is built from one); the transport port of issue 11 is
 * to provide the broker half without the app.
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
  /** A broker connection of its own for `role` (the worker's consumers and acks). */
  openConnection(role: string): LazyConnection;
  /** Declarations over `connection`, knowing the routing files. */
  createTopology(connection: LazyConnection): Topology;
  /** The store results of tasks consumed on `channel` go to (rpc replies on that channel; Redis needs none). */
  createResultStore(channel: Channel | undefined, serializerName?: string): ResultStore;
  readonly resultBackendKind: ResultBackendSetting['kind'];
  /** For log lines: the broker and result backend with passwords masked, and where routing came from. */
  readonly brokerUrlMasked: string;
  readonly resultBackendMasked: string;
  readonly configSource: string | undefined;
  /** For task threads: the module they load and the overrides they apply to their copy of the app. */
  readonly sourceModule: string | undefined;
  readonly overrides: Omit<AppOverrides, 'logger'>;
}

/** A TaskqApp is a WorkerPorts: checked here, at compile time, so the two cannot drift apart. */
export function workerPortsOf(app: TaskqApp): WorkerPorts {
  return app;
}
