import { ConfigError } from '../../../src/errors';
import { DEFAULT_ROUTING_DEFAULTS, emptyRoutingConfig, validateRoutingDefaults } from '../../../src/routing';
import { problemsOf } from './config-problems';

describe('validateRoutingDefaults (in-code options)', () => {
  it('returns the built-in defaults for nothing', () => {
    expect(validateRoutingDefaults(undefined)).toEqual(DEFAULT_ROUTING_DEFAULTS);
    expect(validateRoutingDefaults({})).toEqual({
      defaultQueue: 'celery',
      exchangeType: 'direct',
      maxPriority: 10,
      durable: true,
      queueType: 'classic',
      deliveryLimit: 20,
      initialGroupSize: undefined,
      serializer: 'json',
      priority: undefined,
      ignoreResult: false,
    });
  });

  it('merges over a base and ignores keys set to undefined', () => {
    const base = { ...DEFAULT_ROUTING_DEFAULTS, defaultQueue: 'main', priority: 5 };
    expect(validateRoutingDefaults({ serializer: 'msgpack', defaultQueue: undefined }, 'createApp options', base)).toMatchObject({
      defaultQueue: 'main',
      serializer: 'msgpack',
      priority: 5,
    });
  });

  it('returns a valid RoutingDefaults unchanged, including maxPriority undefined (no priority)', () => {
    const noPriority = { ...DEFAULT_ROUTING_DEFAULTS, maxPriority: undefined, priority: 2 };
    expect(validateRoutingDefaults(noPriority)).toEqual(noPriority);
    expect(validateRoutingDefaults({ maxPriority: null }).maxPriority).toBeUndefined();
    expect(validateRoutingDefaults({ maxPriority: 0 }).maxPriority).toBeUndefined();
    expect(validateRoutingDefaults({ maxPriority: 42 }).maxPriority).toBe(42);
  });

  it('names the label and every problem in one error', () => {
    const problems = problemsOf(() => validateRoutingDefaults({ maxPriority: 300, priority: -1, serializr: 'json' }, 'createApp options'));
    expect(problems).toEqual([
      { file: 'createApp options', key: 'serializr', message: "unknown key 'serializr'; did you mean 'serializer'?" },
      {
        file: 'createApp options',
        key: 'maxPriority',
        message: 'expected an integer from 1 to 255 (or 0/null for no priority), found 300',
      },
      { file: 'createApp options', key: 'priority', message: 'expected an integer from 0 to 255, found -1' },
    ]);
    expect(problemsOf(() => validateRoutingDefaults('fast'))).toEqual([
      { file: 'createApp options', key: '', message: "expected a mapping of default settings, found string 'fast'" },
    ]);
  });

  it('emptyRoutingConfig validates its defaults too', () => {
    expect(emptyRoutingConfig()).toEqual({ defaults: DEFAULT_ROUTING_DEFAULTS, queues: [], sources: [] });
    expect(() => emptyRoutingConfig({ defaultQueue: '' })).toThrow(ConfigError);
  });
});
