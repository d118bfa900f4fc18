"""A real Celery 5.2.x app for taskq interop tests.

Run with Debian's interpreter (``/usr/bin/python3``), which has Celery 5.2.6 / kombu 5.2.4:

    cd test/celery && /usr/bin/python3 -m celery -A interop_app worker -Q <queue> -P solo -c 1 \
        --without-gossip --without-mingle --without-heartbeat -l info -n <unique>@%h

Configuration comes from the environment:

- ``TASKQ_TEST_BROKER``             broker URL, default ``amqp://guest:guest@127.0.0.1:5672//``
- ``TASKQ_TEST_BACKEND``            result backend, default ``rpc://`` (or ``redis://127.0.0.1:6379/0``)
- ``TASKQ_TEST_RESULT_SERIALIZER``  result serializer, default ``json`` (``msgpack``/``yaml`` also work)
- ``TASKQ_TEST_QUEUE_MAX_PRIORITY`` ``x-max-priority`` Celery puts on the queues it declares,
                                    default ``10`` (what taskq declares); ``none`` declares plain queues
                                    (use it to reproduce PRECONDITION_FAILED against a taskq queue)
- ``TASKQ_TEST_TASK_PROTOCOL``      ``1`` makes producers send Celery protocol v1 messages (default 2)
- ``TASKQ_TEST_ORDER_FILE``         when set, ``py.sleep`` appends its label (one per line) to this file
- ``TASKQ_TEST_WAKEUP_INTERVAL``    worker event-loop wake-up period in seconds, default ``0.05``
                                    (works around a kombu 5.2 stall, see below; ``0`` disables)

Tasks, all with explicit names: ``py.add``, ``py.fail``, ``py.echo``, ``py.now``, ``py.sleep``.
"""

import base64
import datetime as _dt
import decimal
import os
import time
import uuid

from celery import Celery, bootsteps

BROKER = os.environ.get('TASKQ_TEST_BROKER') or 'amqp://guest:guest@127.0.0.1:5672//'
BACKEND = os.environ.get('TASKQ_TEST_BACKEND') or 'rpc://'
RESULT_SERIALIZER = os.environ.get('TASKQ_TEST_RESULT_SERIALIZER') or 'json'
_max_priority = (os.environ.get('TASKQ_TEST_QUEUE_MAX_PRIORITY') or '10').strip().lower()
QUEUE_MAX_PRIORITY = None if _max_priority in ('none', 'null', '') else int(_max_priority)

app = Celery('interop_app', broker=BROKER, backend=BACKEND)
app.conf.update(
    accept_content=['json', 'msgpack', 'yaml'],
    result_accept_content=['json', 'msgpack', 'yaml'],
    task_serializer='json',
    result_serializer=RESULT_SERIALIZER,
    # Queues Celery declares (``-Q name`` on the worker, ``send_task(queue=name)`` on the producer)
    # get this x-max-priority. It must equal taskq's (10), otherwise RabbitMQ refuses the second
    # declaration of the same queue with PRECONDITION_FAILED (inequivalent arg 'x-max-priority').
    task_queue_max_priority=QUEUE_MAX_PRIORITY,
    worker_prefetch_multiplier=1,
    task_acks_late=True,
    enable_utc=True,
    timezone='UTC',
    # Fail fast instead of retrying for minutes when the broker is unreachable.
    # (broker_connection_retry_on_startup does not exist before Celery 5.3.)
    broker_connection_max_retries=3,
    # 1 makes the producer send Celery protocol v1 messages (TASKQ_TEST_TASK_PROTOCOL=1).
    task_protocol=int(os.environ.get('TASKQ_TEST_TASK_PROTOCOL') or 2),
)


# ---------------------------------------------------------------------------------------------
# Worker-side workaround for a kombu 5.2 event-loop stall (celery/celery#7718, kombu PR #1587).
#
# With a prefetch window of 1 (seen with and without task_acks_late), the ack of a task is deferred
# with hub.call_soon(); the hub then polls with a timeout of up to 10 s (fire_timers' max_delay) before
# it runs that callback. Until the ack is written RabbitMQ sends nothing more, so the worker
# intermittently idles ~10 s between tasks. A no-op timer every TASKQ_TEST_WAKEUP_INTERVAL seconds
# (default 0.05; 0 disables, to reproduce the stall) bounds the poll timeout. It does not change
# anything Celery puts on the wire.
# ---------------------------------------------------------------------------------------------

WAKEUP_INTERVAL = float(os.environ.get('TASKQ_TEST_WAKEUP_INTERVAL') or '0.05')


class _HubWakeUp(bootsteps.StartStopStep):
    requires = {'celery.worker.components:Hub'}

    def __init__(self, worker, **kwargs):
        super().__init__(worker, **kwargs)
        self.entry = None

    def start(self, worker):
        hub = getattr(worker, 'hub', None)
        if hub is not None and WAKEUP_INTERVAL > 0:
            self.entry = hub.call_repeatedly(WAKEUP_INTERVAL, _noop)

    def stop(self, worker):
        if self.entry is not None:
            self.entry.cancel()
            self.entry = None


def _noop():
    pass


app.steps['worker'].add(_HubWakeUp)


# ---------------------------------------------------------------------------------------------
# Making anything JSON-safe: Python-native values become tagged strings "<type>:<value>".
# ---------------------------------------------------------------------------------------------

def tag(value):
    """Return a JSON-serializable version of ``value``; non-JSON scalars become ``"type:repr"``."""
    if value is None or isinstance(value, (bool, int, float, str)):
        return value
    if isinstance(value, _dt.datetime):
        return 'datetime:' + value.isoformat()
    if isinstance(value, _dt.date):
        return 'date:' + value.isoformat()
    if isinstance(value, _dt.time):
        return 'time:' + value.isoformat()
    if isinstance(value, decimal.Decimal):
        return 'Decimal:' + str(value)
    if isinstance(value, uuid.UUID):
        return 'UUID:' + str(value)
    if isinstance(value, (bytes, bytearray, memoryview)):
        return 'bytes:' + base64.b64encode(bytes(value)).decode('ascii')
    if isinstance(value, dict):
        return {str(k): tag(v) for k, v in value.items()}
    if isinstance(value, (list, tuple)):
        return [tag(v) for v in value]
    if isinstance(value, (set, frozenset)):
        return 'set:' + repr(sorted(value, key=repr))
    return type(value).__name__ + ':' + repr(value)


def type_tree(value):
    """Python type names of ``value``, recursing into lists and dicts."""
    if isinstance(value, dict):
        return {str(k): type_tree(v) for k, v in value.items()}
    if isinstance(value, (list, tuple)):
        return [type_tree(v) for v in value]
    return type(value).__name__


_REQUEST_SKIP = {'args', 'kwargs', '_children', '_protected', 'chord', 'callbacks', 'errbacks',
                 'chain', 'called_directly', 'loglevel', 'logfile', 'is_eager'}


def request_info(request):
    """What the worker saw of the message: headers, properties and delivery info (JSON-safe)."""
    return {k: tag(v) for k, v in vars(request).items() if k not in _REQUEST_SKIP and not k.startswith('__')}


# ---------------------------------------------------------------------------------------------
# Tasks
# ---------------------------------------------------------------------------------------------

@app.task(name='py.add')
def add(x, y):
    return x + y


@app.task(name='py.fail')
def fail(message):
    raise ValueError(message)


@app.task(name='py.echo', bind=True)
def echo(self, *args, **kwargs):
    """Report exactly what Python received (values, type names, and the request context)."""
    return {
        'args': tag(list(args)),
        'kwargs': tag(kwargs),
        'types': [type(a).__name__ for a in args],
        'kwarg_types': {k: type(v).__name__ for k, v in kwargs.items()},
        'deep_types': {'args': type_tree(list(args)), 'kwargs': type_tree(kwargs)},
        'request': request_info(self.request),
    }


@app.task(name='py.now')
def now():
    return time.time()


@app.task(name='py.sleep')
def sleep(seconds, label=None):
    started = time.time()
    order_file = os.environ.get('TASKQ_TEST_ORDER_FILE')
    if order_file:
        with open(order_file, 'a', encoding='utf-8') as fh:
            fh.write(f'{label}\n')
    time.sleep(float(seconds))
    return {'label': label, 'started': started}
