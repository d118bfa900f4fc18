import * as core from '../../../src';
import * as internal from '../../../src/internal';

/** `@taskq/core` is what applications use; the plumbing lives in `@taskq/core/internal`. */
describe('entry points', () => {
  const plumbing = [
    'ConfirmPublisher',
    'DelayedDelivery',
    'BrokerTransport',
    'ProducerSide',
    'ResultStoreFactory',
    'Topology',
    'connectBroker',
    'splitDelay',
    'Producer',
    'RpcResultStore',
  ];

  it.each(plumbing)('keeps %s out of the main entry point and in the internal one', (name) => {
    expect(name in core).toBe(false);
    expect(internal).toHaveProperty(name);
  });

  it('exports what a user needs from the main entry point', () => {
    for (const name of [
      'createApp',
      'currentTask',
      'Retry',
      'Reject',
      'AsyncResult',
      'TaskqError',
      'TaskFailedError',
      'silentLogger',
      'loadRoutingConfig',
      'listDeadLetters',
      'maskBrokerUrl',
    ]) {
      expect(core).toHaveProperty(name);
    }
  });

  it('re-exports the main entry point from the internal one, so both share one module instance', () => {
    expect(internal.createApp).toBe(core.createApp);
    expect(internal.TaskqError).toBe(core.TaskqError);
  });
});
