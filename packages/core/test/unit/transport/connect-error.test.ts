import { createServer, type AddressInfo, type Server, type Socket } from 'node:net';
import { connectBroker } from '../../../src/transport';
import { readOpenRefusal } from '../../../src/transport/read-open-refusal';

/** How the scripted broker answers: close at login, close at connection.open, or open. */
interface Script {
  login?: [number, string];
  open?: [number, string];
}

/**
 * A scripted AMQP 0-9-1 peer (as amqplib's own tests use): just enough handshake for a client to
 * reach connection.open, answered as `script` says. Deterministic reply codes a real RabbitMQ
 * cannot be made to send (403 at open).
 */
async function scriptedBroker(
  script: Script,
): Promise<{ url: (path?: string) => string; connections: () => number; close: () => Promise<void> }> {
  let connections = 0;
  const sockets = new Set<Socket>();
  const server: Server = createServer((socket) => {
    connections++;
    sockets.add(socket);
    socket.on('error', () => undefined);
    let buffered = Buffer.alloc(0);
    let headerSeen = false;
    socket.on('data', (chunk: Buffer) => {
      buffered = Buffer.concat([buffered, chunk]);
      if (!headerSeen && buffered.length >= 8) {
        headerSeen = true;
        buffered = buffered.subarray(8);
        socket.write(method(10, [Buffer.from([0, 9]), long(0), longString('PLAIN'), longString('en_US')]));
      }
      while (headerSeen && buffered.length >= 7 && buffered.length >= 8 + buffered.readUInt32BE(3)) {
        const payload = buffered.subarray(7, 7 + buffered.readUInt32BE(3));
        buffered = buffered.subarray(8 + payload.length);
        const id = payload.readUInt16BE(2);
        if (id === 11) socket.write(script.login ? close(...script.login) : method(30, [short(0), long(131072), short(0)]));
        if (id === 40) socket.write(script.open ? close(...script.open) : method(41, [shortString('')]));
      }
    });
  });
  await new Promise<void>((resolve) => server.listen(0, '127.0.0.1', resolve));
  const { port } = server.address() as AddressInfo;
  return {
    url: (path = '') => `amqp://guest:pw-secret@127.0.0.1:${port}${path}`,
    connections: () => connections,
    close: async () => {
      for (const socket of sockets) socket.destroy();
      await new Promise((resolve) => server.close(resolve));
    },
  };
}

function close(code: number, text: string): Buffer {
  return method(50, [short(code), shortString(text), short(0), short(0)]);
}
function method(id: number, args: Buffer[]): Buffer {
  const payload = Buffer.concat([short(10), short(id), ...args]);
  const header = Buffer.from([1, 0, 0, 0, 0, 0, 0]);
  header.writeUInt32BE(payload.length, 3);
  return Buffer.concat([header, payload, Buffer.from([0xce])]);
}
function short(value: number): Buffer {
  const buffer = Buffer.alloc(2);
  buffer.writeUInt16BE(value);
  return buffer;
}
function long(value: number): Buffer {
  const buffer = Buffer.alloc(4);
  buffer.writeUInt32BE(value);
  return buffer;
}
function shortString(text: string): Buffer {
  return Buffer.concat([Buffer.from([Buffer.byteLength(text)]), Buffer.from(text)]);
}
function longString(text: string): Buffer {
  return Buffer.concat([long(Buffer.byteLength(text)), Buffer.from(text)]);
}

describe('connectBroker: refusals told apart by their AMQP reply code', () => {
  const brokers: Array<{ close: () => Promise<void> }> = [];
  const broker = async (script: Script) => {
    const started = await scriptedBroker(script);
    brokers.push(started);
    return started;
  };
  afterEach(async () => {
    for (const b of brokers.splice(0)) await b.close();
  });

  const connectError = (url: string) =>
    connectBroker(url, { connectionName: 'test' }).then(
      () => {
        throw new Error('connected');
      },
      (err: Error & { code: string }) => err,
    );

  it('530 NOT_ALLOWED at connection.open: the vhost, decoded, does not exist or is not permitted, and how to fix it', async () => {
    const peer = await broker({ open: [530, 'NOT_ALLOWED - vhost my/vh not found'] });
    const error = await connectError(peer.url('/my%2Fvh'));
    expect(error.code).toBe('BROKER_VHOST_DENIED');
    expect(error.message).toBe(
      `RabbitMQ at ${peer.url('/my%2Fvh').replace('pw-secret', '****')} refused virtual host 'my/vh' (530 NOT_ALLOWED - vhost my/vh not found): ` +
        `it does not exist, or user 'guest' is not permitted on it. Create it with 'rabbitmqctl add_vhost my/vh' and ` +
        `'rabbitmqctl set_permissions -p my/vh guest ".*" ".*" ".*"', or fix the vhost in the broker URL ` +
        `(the path after host:port; leave it out for the default vhost '/').`,
    );
    expect(peer.connections()).toBe(2); // amqplib's, then the one that read the reply code
  });

  it('403 ACCESS_REFUSED at connection.open is a vhost refusal too', async () => {
    const peer = await broker({ open: [403, "ACCESS_REFUSED - access to vhost 'x' refused for user 'guest'"] });
    const error = await connectError(peer.url('/x'));
    expect(error.code).toBe('BROKER_VHOST_DENIED');
    expect(error.message).toContain("refused virtual host 'x' (403 ACCESS_REFUSED - access to vhost 'x' refused for user 'guest')");
  });

  it('another reply code at connection.open: said as it is, not blamed on the vhost', async () => {
    const peer = await broker({ open: [320, 'CONNECTION_FORCED - shutdown'] });
    const error = await connectError(peer.url('/x'));
    expect(error.code).toBe('BROKER_CONNECT_FAILED');
    expect(error.message).toContain("closed the connection when opening virtual host 'x' (320 CONNECTION_FORCED - shutdown)");
  });

  it('403 at login (start-ok): the login was refused, naming the user, never the password', async () => {
    const peer = await broker({ login: [403, 'ACCESS_REFUSED - Login was refused using authentication mechanism PLAIN.'] });
    const error = await connectError(peer.url());
    expect(error.code).toBe('BROKER_AUTH_FAILED');
    expect(error.message).toContain("refused the login of user 'guest' (403 ACCESS_REFUSED)");
    expect(error.message).not.toContain('pw-secret');
    expect(peer.connections()).toBe(1); // amqplib's text carries the code: no second connection
  });

  it('readOpenRefusal reads nothing from a broker that opens the vhost, or that is not there', async () => {
    const peer = await broker({});
    await expect(readOpenRefusal(new URL(peer.url('/fine')), undefined)).resolves.toBeUndefined();
    await expect(readOpenRefusal(new URL('amqp://127.0.0.1:1/x'), undefined)).resolves.toBeUndefined();
  });
});
