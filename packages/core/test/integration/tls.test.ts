import { execFileSync } from 'node:child_process';
import { mkdtempSync, readFileSync, rmSync } from 'node:fs';
import { createServer, type Server } from 'node:tls';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { connectBroker, createApp, silentLogger } from '../../src/internal';

/**
 * TLS against a local TLS endpoint with a throwaway self-signed certificate (the test broker has
 * no TLS listener): verification is on by default, and a trusted CA gets past the handshake.
 */
describe('amqps:// TLS', () => {
  let dir: string;
  let server: Server;
  let port: number;

  beforeAll(async () => {
    dir = mkdtempSync(join(tmpdir(), 'taskq-tls-'));
    execFileSync(
      'openssl',
      [
        'req',
        '-x509',
        '-newkey',
        'rsa:2048',
        '-nodes',
        '-days',
        '1',
        '-subj',
        '/CN=localhost',
        '-addext',
        'subjectAltName=DNS:localhost',
        '-keyout',
        join(dir, 'key.pem'),
        '-out',
        join(dir, 'cert.pem'),
      ],
      { stdio: 'ignore' },
    );
    server = createServer({ key: readFileSync(join(dir, 'key.pem')), cert: readFileSync(join(dir, 'cert.pem')) }, (socket) => {
      socket.end(); // speaks no AMQP: only the TLS handshake matters here
    });
    server.on('tlsClientError', () => undefined);
    await new Promise<void>((resolve) => server.listen(0, '127.0.0.1', resolve));
    port = (server.address() as { port: number }).port;
  });

  afterAll(async () => {
    await new Promise((resolve) => server.close(resolve));
    rmSync(dir, { recursive: true, force: true });
  });

  it('refuses a broker certificate it cannot verify, by default, with a hint and no password', async () => {
    const error = await connectBroker(`amqps://user:tls-secret@localhost:${port}`, { connectionName: 'tls test' }).catch((e: Error) => e);
    expect(error).toMatchObject({ code: 'BROKER_TLS_FAILED' });
    expect((error as Error).message).toMatch(/tls\.ca/);
    expect((error as Error).message).not.toContain('tls-secret');
  });

  it('completes the TLS handshake when given the CA (the failure is then the missing AMQP, not TLS)', async () => {
    const error = await connectBroker(`amqps://user:pw@localhost:${port}`, {
      connectionName: 'tls test',
      tls: { ca: join(dir, 'cert.pem') },
    }).catch((e: Error) => e);
    expect(error).toBeInstanceOf(Error);
    expect((error as { code?: string }).code).not.toBe('BROKER_TLS_FAILED');
  });

  it('reports an unreadable CA file clearly', async () => {
    const app = createApp({ brokerUrl: `amqps://localhost:${port}`, logger: silentLogger, tls: { ca: '/nonexistent/ca.pem' } });
    await expect(app.sendTask('t', [], { queue: 'q' })).rejects.toMatchObject({
      code: 'TLS_FILE_UNREADABLE',
      message: expect.stringContaining('/nonexistent/ca.pem'),
    });
    await app.close();
  });
});
