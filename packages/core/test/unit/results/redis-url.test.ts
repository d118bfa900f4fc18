import { parseRedisUrl } from '../../../src/results/redis-connection';

describe('parseRedisUrl (Celery redis backend URLs)', () => {
  it('reads host, port, db and a password-only login', () => {
    expect(parseRedisUrl('redis://:p%40ss@cache.internal:6380/3')).toEqual({ host: 'cache.internal', port: 6380, db: 3, password: 'p@ss' });
  });

  it('defaults to port 6379 and db 0, and reads a username (Redis 6 ACL)', () => {
    expect(parseRedisUrl('redis://app:secret@localhost')).toEqual({
      host: 'localhost',
      port: 6379,
      db: 0,
      username: 'app',
      password: 'secret',
    });
  });

  it('turns on TLS for rediss://, verifying the certificate unless ssl_cert_reqs says otherwise', () => {
    expect(parseRedisUrl('rediss://h:6380/0').tls).toEqual({ servername: 'h', rejectUnauthorized: true });
    expect(parseRedisUrl('rediss://h:6380/0?ssl_cert_reqs=CERT_NONE').tls).toMatchObject({ rejectUnauthorized: false });
    expect(parseRedisUrl('rediss://h:6380/0?ssl_cert_reqs=required').tls).toMatchObject({ rejectUnauthorized: true });
  });

  it('names the problem and masks the password in errors', () => {
    const attempt = (url: string): unknown => {
      try {
        parseRedisUrl(url);
        return undefined;
      } catch (err) {
        return err;
      }
    };
    expect(attempt('redis://:hunter22@h/db1')).toMatchObject({
      code: 'RESULT_BACKEND_INVALID',
      message: expect.stringMatching(/redis:\/\/:\*\*\*\*@h\/db1.*database must be a number/),
    });
    expect((attempt('redis://:hunter22@h/db1') as Error).message).not.toContain('hunter22');
    expect(attempt('http://h/0')).toMatchObject({ message: expect.stringContaining("unsupported scheme 'http:'") });
    expect(attempt('redis://h/0?ssl_cert_reqs=CERT_NONE')).toMatchObject({ message: expect.stringContaining('need the rediss:// scheme') });
    expect(attempt('rediss://h/0?ssl_cert_reqs=maybe')).toMatchObject({ message: expect.stringContaining('ssl_cert_reqs must be') });
    expect(attempt('rediss://h/0?ssl_ca_certs=/nonexistent/ca.pem')).toMatchObject({
      message: expect.stringContaining("cannot read ssl_ca_certs '/nonexistent/ca.pem'"),
    });
  });
});
