// Setup for the `memory` jest project: the conformance run of the behaviour tests against the
// in-process broker. BROKER_URL (test/support/broker.ts) and every app created without a
// brokerUrl then use memory://conformance instead of the local RabbitMQ.
process.env.TASKQ_BROKER_URL = 'memory://conformance';
