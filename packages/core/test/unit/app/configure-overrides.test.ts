import { createApp, silentLogger } from '../../../src';

describe('app.configure() overrides', () => {
  it('applies them and remembers the ones a task thread needs (not the logger: it cannot cross threads)', () => {
    const app = createApp({ logger: silentLogger, brokerUrl: 'amqp://guest:guest@127.0.0.1:5672' });
    expect(app.overrides).toEqual({});
    app.configure({ brokerUrl: 'amqp://u:secret@broker.example:5672', logger: silentLogger });
    app.configure({ resultBackend: 'disabled' });
    expect(app.brokerUrlMasked).toBe('amqp://u:****@broker.example:5672');
    expect(app.resultBackendMasked).toBe('disabled');
    expect(app.overrides).toEqual({ brokerUrl: 'amqp://u:secret@broker.example:5672', resultBackend: 'disabled' });
    expect(() => structuredClone(app.overrides)).not.toThrow();
  });
});
