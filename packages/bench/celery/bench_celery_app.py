"""The Celery side of ``pnpm bench``: one no-op task, nothing else.

Run with Debian's interpreter (``/usr/bin/python3``, Celery 5.2):

    cd packages/bench/celery && /usr/bin/python3 -m celery -A bench_celery_app worker -Q <queue> -P prefork -c 2

Environment:
- ``BENCH_BROKER``     broker URL, default ``amqp://guest:guest@127.0.0.1:5672//``
- ``BENCH_ACKS_LATE``  ``1``: ack after the task ran (taskq's guarantee); otherwise Celery's default,
                       ack before running.
- ``BENCH_PREFETCH_MULTIPLIER``  Celery's worker_prefetch_multiplier, default 4 (Celery's default).
- ``BENCH_IO_MS``      how long ``bench.io`` sleeps, default 20 (``time.sleep``: gevent-patched under ``-P gevent``).
- ``BENCH_DONE_FILE``  ``bench.io`` appends one byte here when done, so the bench sees the last task finish.
"""

import os
import time

from celery import Celery, bootsteps

ACKS_LATE = os.environ.get('BENCH_ACKS_LATE') == '1'

app = Celery('bench_celery_app', broker=os.environ.get('BENCH_BROKER') or 'amqp://guest:guest@127.0.0.1:5672//')
app.conf.update(
    accept_content=['json'],
    task_serializer='json',
    task_ignore_result=True,
    # taskq declares its queues with x-max-priority 10; Celery must declare the same.
    task_queue_max_priority=10,
    task_acks_late=ACKS_LATE,
    worker_prefetch_multiplier=int(os.environ.get('BENCH_PREFETCH_MULTIPLIER') or 4),
    broker_connection_max_retries=3,
)


class _HubWakeUp(bootsteps.StartStopStep):
    """Without this, Celery 5.2's worker stalls for up to 10 s at a time (celery/celery#7718): an ack
    deferred with hub.call_soon() waits for the hub's poll timeout, and RabbitMQ sends nothing more
    until it comes. A no-op timer every 50 ms bounds that poll; nothing changes on the wire. (The
    same workaround as test/celery/interop_app.py.)"""

    requires = {'celery.worker.components:Hub'}

    def start(self, worker):
        hub = getattr(worker, 'hub', None)
        self.entry = hub.call_repeatedly(0.05, lambda: None) if hub is not None else None

    def stop(self, worker):
        if getattr(self, 'entry', None) is not None:
            self.entry.cancel()


app.steps['worker'].add(_HubWakeUp)


@app.task(name='bench.noop')
def noop(*args, **kwargs):
    return None


IO_SECONDS = float(os.environ.get('BENCH_IO_MS') or 20) / 1000
_done = {'pid': None, 'fd': None}


def _mark_done():
    """One byte per finished task; opened per process (prefork children are forked after import)."""
    path = os.environ.get('BENCH_DONE_FILE')
    if not path:
        return
    if _done['pid'] != os.getpid():
        _done['pid'], _done['fd'] = os.getpid(), os.open(path, os.O_WRONLY | os.O_APPEND | os.O_CREAT, 0o644)
    os.write(_done['fd'], b'x')


@app.task(name='bench.io')
def io(*args, **kwargs):
    """I/O-bound: 20 ms of simulated I/O (the scenario where threads and gevent pools are meant to shine)."""
    time.sleep(IO_SECONDS)
    _mark_done()
