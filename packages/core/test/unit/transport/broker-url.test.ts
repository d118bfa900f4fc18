import { maskBrokerUrl, maskSecrets, validateBrokerUrl } from '../../../src/transport';

describe('broker URLs', () => {
  it('masks the password and nothing else', () => {
    expect(maskBrokerUrl('amqp://user:p%40ss@rabbit:5672/vhost')).toBe('amqp://user:****@rabbit:5672/vhost');
    expect(maskBrokerUrl('amqps://guest:guest@127.0.0.1')).toBe('amqps://guest:****@127.0.0.1');
    expect(maskBrokerUrl('amqp://127.0.0.1:5672')).toBe('amqp://127.0.0.1:5672');
  });

  it('masks a password that appears in other text', () => {
    const url = 'amqp://bob:hunter22@mq:5672';
    expect(maskSecrets(`failed for ${url} with hunter22`, url)).toBe('failed for amqp://bob:****@mq:5672 with ****');
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
});
