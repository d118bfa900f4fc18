/**
 * Why did RabbitMQ refuse `connection.open`? amqplib (2.3) reports a server's connection.close
 * during the last handshake step only as `Expected ConnectionOpenOk; got <ConnectionClose
 * channel:0>`: the reply code and text are not in the error (its frame is printed without
 * fields). To branch on the reply code rather than on prose, this replays the handshake on a
 * socket of its own, as far as `connection.open`, and reads the close frame the broker answers
 * with. It runs only after such a failure, so it costs nothing on the happy path.
 */
import { connect as netConnect, type Socket } from 'node:net';
import { connect as tlsConnect, type ConnectionOptions } from 'node:tls';
import { brokerPassword, brokerUser, brokerVhost } from './broker-url';

/** The broker's connection.close: `replyCode` 530 (NOT_ALLOWED) or 403 (ACCESS_REFUSED), say. */
export interface OpenRefusal {
  replyCode: number;
  replyText: string;
}

const PROTOCOL_HEADER = Buffer.from([0x41, 0x4d, 0x51, 0x50, 0, 0, 9, 1]); // "AMQP" 0-9-1
const FRAME_METHOD = 1;
const FRAME_END = 0xce;
/** connection.* methods (class 10), by method id. */
const START = 10;
const TUNE = 30;
const OPEN_OK = 41;
const CLOSE = 50;

/**
 * Open a bare AMQP connection to `parsed` up to `connection.open` and return the broker's
 * refusal, or `undefined` if it accepted, answered something else, or did not answer within
 * `timeoutMs`. Never throws: it only improves an error message.
 */
export function readOpenRefusal(parsed: URL, tls: ConnectionOptions | undefined, timeoutMs = 3000): Promise<OpenRefusal | undefined> {
  return new Promise((resolve) => {
    const port = Number(parsed.port) || (parsed.protocol === 'amqps:' ? 5671 : 5672);
    const host = parsed.hostname.replace(/^\[|\]$/g, '');
    const socket: Socket = parsed.protocol === 'amqps:' ? tlsConnect({ ...tls, host, port }) : netConnect({ host, port });
    let buffered = Buffer.alloc(0);
    let opening = false; // a close before connection.open is about the login, not the vhost
    const finish = (result: OpenRefusal | undefined): void => {
      clearTimeout(timer);
      socket.destroy();
      resolve(result);
    };
    const timer = setTimeout(() => finish(undefined), timeoutMs);
    socket.on('error', () => finish(undefined));
    socket.on('close', () => finish(undefined));
    socket.once(parsed.protocol === 'amqps:' ? 'secureConnect' : 'connect', () => socket.write(PROTOCOL_HEADER));
    socket.on('data', (chunk: Buffer) => {
      buffered = Buffer.concat([buffered, chunk]);
      for (let frame = takeFrame(); frame; frame = takeFrame()) {
        if (frame.type !== FRAME_METHOD || frame.payload.readUInt16BE(0) !== 10) continue;
        const method = frame.payload.readUInt16BE(2);
        const args = frame.payload.subarray(4);
        if (method === START) socket.write(startOk(parsed));
        else if (method === TUNE) {
          opening = true;
          socket.write(Buffer.concat([tuneOk(args), open(brokerVhost(parsed))]));
        } else if (method === CLOSE) {
          return finish(
            opening ? { replyCode: args.readUInt16BE(0), replyText: args.subarray(3, 3 + args.readUInt8(2)).toString() } : undefined,
          );
        } else if (method === OPEN_OK) {
          return finish(undefined);
        }
      }
    });

    function takeFrame(): { type: number; payload: Buffer } | undefined {
      if (buffered.length < 7) return undefined;
      const size = buffered.readUInt32BE(3);
      if (buffered.length < 8 + size) return undefined;
      const frame = { type: buffered.readUInt8(0), payload: buffered.subarray(7, 7 + size) };
      buffered = buffered.subarray(8 + size);
      return frame;
    }
  });
}

/** connection.start-ok: no client properties, PLAIN login with the URL's user and password. */
function startOk(parsed: URL): Buffer {
  return methodFrame(11, [
    long(0), // empty client-properties table
    shortString('PLAIN'),
    longString(`\u0000${brokerUser(parsed)}\u0000${brokerPassword(parsed)}`),
    shortString('en_US'),
  ]);
}

/** connection.tune-ok: accept the broker's channel-max and frame-max, no heartbeats. */
function tuneOk(tune: Buffer): Buffer {
  const channelMax = Buffer.alloc(2);
  channelMax.writeUInt16BE(tune.readUInt16BE(0));
  return methodFrame(31, [channelMax, long(tune.readUInt32BE(2)), Buffer.alloc(2)]);
}

/** connection.open of `vhost` (reserved shortstr and bit after it). */
function open(vhost: string): Buffer {
  return methodFrame(40, [shortString(vhost), shortString(''), Buffer.alloc(1)]);
}

function methodFrame(method: number, args: Buffer[]): Buffer {
  const payload = Buffer.concat([Buffer.from([0, 10, method >> 8, method & 0xff]), ...args]);
  const header = Buffer.alloc(7);
  header.writeUInt8(FRAME_METHOD, 0);
  header.writeUInt16BE(0, 1);
  header.writeUInt32BE(payload.length, 3);
  return Buffer.concat([header, payload, Buffer.from([FRAME_END])]);
}

function long(value: number): Buffer {
  const buffer = Buffer.alloc(4);
  buffer.writeUInt32BE(value);
  return buffer;
}

function shortString(text: string): Buffer {
  const bytes = Buffer.from(text).subarray(0, 255);
  return Buffer.concat([Buffer.from([bytes.length]), bytes]);
}

function longString(text: string): Buffer {
  const bytes = Buffer.from(text);
  return Buffer.concat([long(bytes.length), bytes]);
}
