import type { Channel } from 'amqplib';
import { EventEmitter } from 'node:events';
import { dueSlots, loadScheduleFileSync, slotTaskId, TaskqError, type Logger, type ScheduleEntry, type TaskqApp } from '@taskq/core';
import { AMQP_REPLY, BrokerTransport, replyCodeOf, type Transport } from '@taskq/core/internal';

/** Options of a {@link Beat}. */
export interface BeatOptions {
  /**
   * Names this beat group: the lock and state queues are `taskq.beat.<name>.lock` and `.state`.
   * Beats of one app share a name (one of them is active); separate apps on one broker need
   * separate names. @defaultValue 'default'
   */
  name?: string;
  /** A schedule file (YAML or JSON) whose entries are added to the app's. */
  scheduleFile?: string;
  /** How often a standby tries to take over, ms. @defaultValue 1000 */
  standbyPollMs?: number;
}

/** Events of a {@link Beat}. */
export interface BeatEventMap {
  /** This beat became the active one. */
  leader: [];
  /** This beat stands by (another one is active, or this one lost its lock). */
  standby: [];
  /** A slot of an entry was sent and confirmed. `resent`: it was in flight when a previous leader stopped. */
  sent: [entry: string, slot: Date, taskId: string, resent: boolean];
  /** Slots not sent, by the entry's missed-slot policy. */
  skipped: [entry: string, slots: number, reason: string];
  error: [error: Error];
}

/** What the broker keeps per entry: the last slot sent, and the one being sent. */
interface EntryState {
  last?: string;
  sending?: string;
}

interface BeatState {
  version: 1;
  entries: Record<string, EntryState>;
}

/** The beat connection's AMQP heartbeat, seconds (see the constructor). */
const BEAT_HEARTBEAT_SECONDS = 2;

/** Send failures worth trying again: the broker was away, or the message's fate is unknown. */
const RETRYABLE_CODES = new Set(['BROKER_UNAVAILABLE', 'PUBLISH_UNCONFIRMED', 'BROKER_RECONNECT_FAILED', 'CLOSED']);

/** Longest sleep between passes, ms: a changed clock or a late timer is noticed within this. */
const MAX_SLEEP_MS = 60_000;

/**
 * `taskq beat`: sends each periodic task of an app at its slots, once. Any number of beats may run
 * against one broker; exactly one is active. The election uses the broker itself: the active beat
 * holds an exclusive queue (`taskq.beat.<name>.lock`), which the broker deletes the moment its
 * connection dies (kill -9, lost network after the heartbeat timeout, a stop); the standbys try to
 * declare it every second and one of them succeeds. The last slot of every entry is kept in the
 * broker (`taskq.beat.<name>.state`, one persistent message), so a beat on another machine goes on
 * where the last one stopped. Each slot's task id is derived from the entry name and slot time
 * ({@link slotTaskId}): only a slot in flight when the leader died can be sent twice, with the same
 * id, and the new leader logs it.
 */
export class Beat extends EventEmitter<BeatEventMap> {
  readonly name: string;
  private readonly entries: ScheduleEntry[];
  private readonly transport: Transport;
  private readonly logger: Logger;
  private readonly lockQueue: string;
  private readonly stateQueue: string;
  private readonly standbyPollMs: number;
  private lockChannel: Channel | undefined;
  private state: BeatState = { version: 1, entries: {} };
  /** The next slot of each entry. */
  private readonly due = new Map<string, Date>();
  private timer: NodeJS.Timeout | undefined;
  private campaignTimer: NodeJS.Timeout | undefined;
  private stopping = false;
  private leading = false;
  /** A campaign is running (one at a time: two on one connection would both get the lock). */
  private campaigning = false;
  /** "Stands by" was logged (once per stretch of standing by). */
  private announcedStandby = false;
  private passing: Promise<void> | undefined;

  constructor(
    readonly app: TaskqApp,
    options: BeatOptions = {},
  ) {
    super();
    this.name = checkName(options.name ?? 'default');
    this.logger = app.logger;
    this.standbyPollMs = options.standbyPollMs ?? 1000;
    if (options.scheduleFile) {
      for (const { name, entry } of loadScheduleFileSync(options.scheduleFile)) app.schedules.add(name, entry, options.scheduleFile);
    }
    this.entries = app.schedules.entries();
    this.lockQueue = `taskq.beat.${this.name}.lock`;
    this.stateQueue = `taskq.beat.${this.name}.state`;
    // A 2 s heartbeat: a leader cut off from the network loses its lock (the broker drops its
    // connection) within a few seconds, not the default minute, so a standby can take over.
    this.transport = new BrokerTransport(app.transportSettings, { role: 'beat', heartbeat: BEAT_HEARTBEAT_SECONDS });
  }

  /** True while this beat is the active one. */
  get isLeader(): boolean {
    return this.leading;
  }

  /** Connect (the first connection fails fast) and start campaigning; resolves once connected. */
  async start(): Promise<void> {
    if (this.entries.length === 0) {
      throw new TaskqError('INVALID_SCHEDULE', 'The app has no periodic tasks: add some with app.schedule() or --schedule <file>.');
    }
    await this.transport.connect();
    this.transport.onReconnect(() => this.lostLock('the broker connection was lost'));
    this.transport.onFailure((error) => this.emit('error', error));
    this.logger.info(
      [
        `taskq beat '${this.name}' started; ${this.entries.length} entr${this.entries.length === 1 ? 'y' : 'ies'}:`,
        ...this.entries.map((entry) => `  ${entry.name}: ${entry.task} ${entry.schedule.description}`),
      ].join('\n'),
    );
    void this.campaign();
  }

  /** Stop sending and hand over at once (the lock goes with the connection). Safe to call twice. */
  async stop(): Promise<void> {
    if (this.stopping) return;
    this.stopping = true;
    clearTimeout(this.timer);
    clearTimeout(this.campaignTimer);
    await this.passing?.catch(() => undefined);
    this.leading = false;
    await this.transport.close();
    this.logger.info(`taskq beat '${this.name}' stopped.`);
  }

  /** Try to take the lock; on success lead, otherwise try again after `standbyPollMs`. */
  private async campaign(): Promise<void> {
    if (this.stopping || this.leading || this.campaigning) return;
    this.campaigning = true;
    try {
      const channel = await (await this.transport.channels()).createChannel();
      channel.on('error', () => undefined); // a refused lock closes the channel: expected
      try {
        await channel.assertQueue(this.lockQueue, { exclusive: true, durable: false, autoDelete: false });
      } catch (err) {
        if (replyCodeOf(err) !== AMQP_REPLY.RESOURCE_LOCKED) throw err;
        if (!this.announcedStandby) {
          this.announcedStandby = true;
          this.logger.info(`beat '${this.name}' stands by: another beat is active (it holds ${this.lockQueue}).`);
          this.emit('standby');
        }
        this.standBy();
        return;
      }
      this.lockChannel = channel;
      channel.on('close', () => {
        if (this.lockChannel === channel) this.lostLock('the lock channel closed');
      });
      await this.lead();
    } catch (err) {
      if (this.stopping) return;
      this.logger.warn(`beat '${this.name}': could not take part in the election: ${(err as Error).message}; trying again.`);
      this.standBy();
    } finally {
      this.campaigning = false;
    }
  }

  /** Try again after `standbyPollMs` (one pending try at most). */
  private standBy(): void {
    if (this.stopping) return;
    clearTimeout(this.campaignTimer);
    this.campaignTimer = setTimeout(() => void this.campaign(), this.standbyPollMs);
  }

  private lostLock(why: string): void {
    this.lockChannel = undefined;
    clearTimeout(this.timer);
    if (this.leading) {
      this.leading = false;
      this.logger.warn(`beat '${this.name}': no longer the active beat (${why}); standing by.`);
      this.emit('standby');
    }
    if (!this.stopping) this.standBy();
  }

  private async lead(): Promise<void> {
    this.state = await this.readState();
    this.leading = true;
    this.announcedStandby = false;
    this.logger.info(`beat '${this.name}' is the active beat.`);
    this.emit('leader');
    const now = new Date();
    for (const entry of this.entries) await this.resume(entry, now);
    this.schedulePass();
  }

  /** Where an entry stands after a takeover: re-send a slot in flight, apply the missed-slot policy, find the next slot. */
  private async resume(entry: ScheduleEntry, now: Date): Promise<void> {
    const saved = this.state.entries[entry.name] ?? {};
    const last = saved.last ? new Date(saved.last) : undefined;
    if (saved.sending && (!last || new Date(saved.sending) > last)) {
      const slot = new Date(saved.sending);
      this.logger.warn(
        `beat '${this.name}': slot ${slot.toISOString()} of '${entry.name}' was being sent when the previous active beat stopped; ` +
          `sending it again with the same task id ${slotTaskId(entry.name, slot)} (a worker may see it twice).`,
      );
      const outcome = await this.send(entry, slot, true);
      this.due.set(entry.name, outcome === 'retry' ? slot : entry.schedule.next(slot));
      return;
    }
    // A new entry starts at its next slot; a known one continues after its last.
    this.due.set(entry.name, last ? entry.schedule.next(last) : entry.schedule.next(now));
  }

  private schedulePass(): void {
    clearTimeout(this.timer);
    if (!this.leading || this.stopping) return;
    let earliest = Number.POSITIVE_INFINITY;
    for (const slot of this.due.values()) earliest = Math.min(earliest, slot.getTime());
    const wait = Math.max(0, Math.min(earliest - Date.now(), MAX_SLEEP_MS));
    this.timer = setTimeout(() => {
      if (this.passing) return; // the running pass schedules the next when it ends
      this.passing = this.pass().finally(() => {
        this.passing = undefined;
        this.schedulePass();
      });
    }, wait);
  }

  /** Send every entry whose slot has come (by its missed-slot policy when several have). */
  private async pass(): Promise<void> {
    for (const entry of this.entries) {
      if (!this.leading || this.stopping) return;
      const slot = this.due.get(entry.name);
      if (!slot || slot.getTime() > Date.now()) continue;
      const { send, skipped } = dueSlots(entry, slot, new Date());
      if (skipped > 0) {
        const reason = send ? 'missed (only the latest is sent)' : 'missed (policy skip or past the starting deadline)';
        this.logger.warn(`beat '${this.name}': ${skipped} slot(s) of '${entry.name}' ${reason}.`);
        this.emit('skipped', entry.name, skipped, reason);
      }
      if (!send) {
        this.due.set(entry.name, entry.schedule.next(new Date()));
        continue;
      }
      const outcome = await this.send(entry, send, false);
      // Not sent because the broker is away: the slot stays due and is tried again on the next pass.
      if (outcome !== 'retry') this.due.set(entry.name, entry.schedule.next(send));
    }
  }

  /**
   * Send one slot: mark it in flight, send it (confirmed), record it. `retry` when the broker could
   * not be reached (the slot stays due; tried again a second later); `dropped` when the message
   * itself is refused (too large, unroutable…): retrying could only repeat that, so the slot is
   * logged as an error and the entry goes on with its next slot.
   */
  private async send(entry: ScheduleEntry, slot: Date, resent: boolean): Promise<'sent' | 'retry' | 'dropped'> {
    const taskId = slotTaskId(entry.name, slot);
    const iso = slot.toISOString();
    try {
      await this.writeState(entry.name, { ...this.state.entries[entry.name], sending: iso });
      const { expires, ignoreResult, ...options } = entry.options;
      await this.app.sendTask(entry.task, entry.args, {
        ...options,
        kwargs: entry.kwargs,
        taskId,
        ignoreResult: ignoreResult ?? this.app.resultBackendKind !== 'redis',
        ...(expires !== undefined ? { expires: new Date(slot.getTime() + expires * 1000) } : {}),
        headers: { ...options.headers, 'x-taskq-beat-entry': entry.name, 'x-taskq-beat-slot': iso },
      });
      await this.writeState(entry.name, { last: iso });
      this.logger.info(`beat '${this.name}': sent '${entry.name}' (${entry.task}) for ${iso} as ${taskId}.`);
      this.emit('sent', entry.name, slot, taskId, resent);
      return 'sent';
    } catch (err) {
      if (this.stopping) return 'retry';
      const code = (err as { code?: unknown }).code;
      if (typeof code === 'string' && !RETRYABLE_CODES.has(code)) {
        this.logger.error(`beat '${this.name}': dropped slot ${iso} of '${entry.name}': ${(err as Error).message}`);
        await this.writeState(entry.name, { last: iso }).catch(() => undefined);
        return 'dropped';
      }
      this.logger.error(`beat '${this.name}': could not send '${entry.name}' for ${iso}: ${(err as Error).message}; trying again in 1 s.`);
      await new Promise((resolve) => setTimeout(resolve, 1000));
      return 'retry';
    }
  }

  /** The state the last active beat left: the newest state message, looked at and put back. */
  private async readState(): Promise<BeatState> {
    const channel = await this.stateChannel();
    try {
      const message = await channel.get(this.stateQueue, { noAck: false });
      if (!message) return { version: 1, entries: {} };
      channel.nack(message, false, true); // a read, not a failure: the state message stays for the next leader
      const parsed = JSON.parse(message.content.toString('utf8')) as Partial<BeatState>;
      return { version: 1, entries: parsed.entries && typeof parsed.entries === 'object' ? parsed.entries : {} };
    } catch (err) {
      this.logger.warn(`beat '${this.name}': the saved state is unreadable (${(err as Error).message}); starting from now.`);
      return { version: 1, entries: {} };
    } finally {
      await channel.close().catch(() => undefined);
    }
  }

  /**
   * Record one entry's state: the whole state goes out as one persistent message, confirmed; the
   * queue keeps only the newest (`x-max-length: 1`, older ones dropped from the head).
   */
  private async writeState(entryName: string, entryState: EntryState): Promise<void> {
    this.state.entries[entryName] = entryState;
    await this.declareStateQueue();
    await this.transport.publish('', this.stateQueue, Buffer.from(JSON.stringify(this.state)), {
      persistent: true,
      mandatory: true,
      contentType: 'application/json',
      messageId: `${this.name}:${Date.now()}:${Math.random().toString(36).slice(2)}`,
    });
  }

  private declareStateQueue(): Promise<void> {
    // x-max-length 1 with the default overflow (drop-head): a new state pushes out the old one. Of
    // the app's default queue type, so on a cluster of quorum queues the state survives a node's
    // loss; never dead-lettered (a pushed-out state is no failure) and without a delivery limit
    // (every new leader reads the state and puts it back: a delivery each time).
    const quorum = this.app.router.config.defaults.queueType === 'quorum';
    return this.transport.ensureQueue({
      name: this.stateQueue,
      durable: true,
      autoDelete: false,
      maxPriority: undefined,
      maxLength: 1,
      exchange: undefined,
      bindingKeys: [],
      ...(quorum && { queueType: 'quorum', deadLetter: false }),
    });
  }

  private async stateChannel(): Promise<Channel> {
    await this.declareStateQueue();
    const channel = await (await this.transport.channels()).createChannel();
    channel.on('error', () => undefined);
    return channel;
  }
}

function checkName(name: string): string {
  if (typeof name !== 'string' || !/^[A-Za-z0-9_.-]{1,100}$/.test(name)) {
    throw new TaskqError('INVALID_OPTION', `Beat name must be 1–100 letters, digits, '.', '_' or '-', found ${JSON.stringify(name)}.`);
  }
  return name;
}
