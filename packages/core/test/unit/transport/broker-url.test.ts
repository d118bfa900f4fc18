import { brokerUser, brokerVhost } from '../../../src/transport/broker-url';
import { createApp } from '../../../src';
import { maskBrokerUrl, maskSecrets, splitBrokerUrls, validateBrokerUrl, validateBrokerUrls } from '../../../src/transport';

describe('broker URLs', () => {
  it('hides every password of a comma-separated list of URLs, in the mask and in the error for it', () => {
    const list = 'amqp://admin:first-secret@node1:5672,amqp://admin:second-secret@node2:5672, amqps://ops:third-secret@node3';
    expect(maskBrokerUrl(list)).toBe('amqp://admin:****@node1:5672,amqp://admin:****@node2:5672, amqps://ops:****@node3');
    let message = '';
    try {
      validateBrokerUrl(list);
    } catch (err) {
      message = (err as Error).message;
    }
    expect(message).not.toBe('');
    expect(message).not.toMatch(/first-secret|second-secret|third-secret/);
  });

  it('masks the password and nothing else', () => {
    expect(maskBrokerUrl('amqp://user:p%40ss@rabbit:5672/vhost')).toBe('amqp://user:****@rabbit:5672/vhost');
    expect(maskBrokerUrl('amqps://guest:guest@127.0.0.1')).toBe('amqps://guest:****@127.0.0.1');
    expect(maskBrokerUrl('amqp://127.0.0.1:5672')).toBe('amqp://127.0.0.1:5672');
  });

  it('masks a password that appears in other text', () => {
    const url = 'amqp://bob:hunter22@mq:5672';
    expect(maskSecrets(`failed for ${url} with hunter22`, url)).toBe('failed for amqp://bob:****@mq:5672 with ****');
  });

  it('masks the same way in the worker banner (maskBrokerUrl) and in CLI and producer errors (maskSecrets): user shown, password hidden', () => {
    const url = 'amqp://guest:guest@127.0.0.1:5672/nope';
    const banner = maskBrokerUrl(url);
    expect(banner).toBe('amqp://guest:****@127.0.0.1:5672/nope');
    // A library message quoting the URL, as the CLI masks it before printing.
    expect(maskSecrets(`Cannot connect to RabbitMQ at ${url}: refused for user 'guest'`, url)).toBe(
      `Cannot connect to RabbitMQ at ${banner}: refused for user 'guest'`,
    );
    // A core message that already carries the masked URL is left as it is.
    expect(maskSecrets(`RabbitMQ at ${banner} refused virtual host 'nope'`, url)).toBe(`RabbitMQ at ${banner} refused virtual host 'nope'`);
    // A URL in another form (amqplib adds ?heartbeat) is masked as a URL too, the user kept.
    expect(maskSecrets(`${url}?heartbeat=10 failed`, url)).toBe(`${banner}?heartbeat=10 failed`);
  });

  it('masks Redis URLs in the same style: redis://:****@ and redis://user:****@', () => {
    expect(maskBrokerUrl('redis://:redis-secret@127.0.0.1:6379/0')).toBe('redis://:****@127.0.0.1:6379/0');
    expect(maskBrokerUrl('rediss://default:redis-secret@cache:6380')).toBe('rediss://default:****@cache:6380');
    const url = 'redis://:redis-secret@127.0.0.1:6379/0';
    expect(maskSecrets(`connect ECONNREFUSED (${url}), auth redis-secret`, url)).toBe(
      'connect ECONNREFUSED (redis://:****@127.0.0.1:6379/0), auth ****',
    );
  });

  it('reads the user and the virtual host as amqplib does: decoded, guest and / by default', () => {
    expect(brokerUser(new URL('amqp://127.0.0.1'))).toBe('guest');
    expect(brokerUser(new URL('amqp://b%40b:pw@h'))).toBe('b@b');
    expect(brokerVhost(new URL('amqp://h:5672'))).toBe('/');
    expect(brokerVhost(new URL('amqp://h:5672/'))).toBe('/');
    expect(brokerVhost(new URL('amqp://h:5672/%2F'))).toBe('/');
    expect(brokerVhost(new URL('amqp://h:5672/my%2Fv%20h'))).toBe('my/v h');
  });

  it('refuses malformed URLs and other schemes with a hint, without the password', () => {
    expect(() => validateBrokerUrl('rabbit:5672')).toThrow(/Unsupported broker URL scheme 'rabbit:'/);
    expect(() => validateBrokerUrl('redis://u:topsecret@h:6379')).toThrow(/use amqp:\/\//);
    expect(() => validateBrokerUrl('not a url at all')).toThrow(/expected the form amqp:\/\//);
    try {
      validateBrokerUrl('redis://u:topsecret@h:6379');
    } catch (err) {
      expect((err as Error).message).not.toContain('topsecret');
    }
    expect(validateBrokerUrl('amqp://guest:guest@127.0.0.1:5672').hostname).toBe('127.0.0.1');
  });

  describe('lists of URLs (a cluster)', () => {
    it('takes a comma-separated text or an array, blanks trimmed, order kept', () => {
      expect(splitBrokerUrls('amqp://a:p@n1:5672, amqp://a:p@n2:5672 ,amqp://a:p@n3')).toEqual([
        'amqp://a:p@n1:5672',
        'amqp://a:p@n2:5672',
        'amqp://a:p@n3',
      ]);
      expect(splitBrokerUrls(['amqp://n1', ' amqp://n2 '])).toEqual(['amqp://n1', 'amqp://n2']);
      expect(validateBrokerUrls('amqp://n1,amqps://n2').map((node) => node.parsed.protocol)).toEqual(['amqp:', 'amqps:']);
    });

    it('refuses an empty entry (a stray comma would hide a missing node), masking every password', () => {
      expect(() => splitBrokerUrls('amqp://a:first-secret@n1,,amqp://a:second-secret@n2')).toThrow(/has an empty entry/);
      expect(() => splitBrokerUrls('amqp://a:first-secret@n1,')).not.toThrow(/first-secret/);
      expect(() => splitBrokerUrls([])).toThrow(/has an empty entry/);
    });

    it('names the bad URL of a list, and refuses memory:// beside others', () => {
      expect(() => validateBrokerUrls('amqp://n1,rabbit://a:secret@n2')).toThrow(
        /Unsupported broker URL scheme 'rabbit:' in 'rabbit:\/\/a:\*\*\*\*@n2'/,
      );
      expect(() => validateBrokerUrls('memory://,amqp://n2')).toThrow(/A memory:\/\/ broker cannot be part of a list/);
    });

    it('an app keeps the list as one comma-separated setting, masked for logs', () => {
      const app = createApp({ brokerUrl: ['amqp://u:s3cret-one@n1:5672', 'amqp://u:s3cret-two@n2:5672'] });
      expect(app.brokerUrl).toBe('amqp://u:s3cret-one@n1:5672,amqp://u:s3cret-two@n2:5672');
      expect(app.brokerUrlMasked).toBe('amqp://u:****@n1:5672,amqp://u:****@n2:5672');
      app.configure({ brokerUrl: 'amqp://u:x@n3, amqp://u:y@n4' });
      expect(app.brokerUrl).toBe('amqp://u:x@n3,amqp://u:y@n4');
    });
  });
});
