import type { Channel, ConfirmChannel } from 'amqplib';

/**
 * What taskq's components need from a connection: channels. A recovering connection satisfies it
 * across reconnects (channel requests wait until the broker is back).
 */
export interface ChannelSource {
  createChannel(): Promise<Channel>;
  createConfirmChannel(): Promise<ConfirmChannel>;
}
