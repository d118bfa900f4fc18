"""A real Celery 5.2.x PRODUCER for taskq interop tests, driven by one JSON document on stdin.

    /usr/bin/python3 test/celery/client.py < doc.json

Document::

    {
      "broker":  "amqp://guest:guest@127.0.0.1:5672//",   (optional, else $TASKQ_TEST_BROKER)
      "backend": "rpc://" | "redis://127.0.0.1:6379/0",    (optional, else $TASKQ_TEST_BACKEND / rpc://)
      "mode":    "pipeline" | "sequential",                (default pipeline)
      "ops": [ {"op": "send", ...}, {"op": "inspect_queue", "queue": "..."},
               {"op": "delete_queue", "queue": "..."}, {"op": "sleep", "seconds": 0.5} ]
    }

``send`` op fields (all optional except ``name``):
    name, args, kwargs, queue, exchange, routing_key, serializer (json|msgpack|yaml), priority,
    countdown (s), eta (ISO 8601), expires (seconds, or ISO 8601), headers (dict merged into the
    message headers), task_id, ignore_result, time_limit, soft_time_limit, shadow, reply_to (where
    the worker publishes the rpc result; default this client's reply queue), declare (false →
    declare nothing; Celery otherwise declares the routed queue + its exchange + binding),
    get (bool), timeout (s, default 10), expect_error (bool: a failing send_task, e.g. kombu's
    EncodeError when the serializer cannot carry a value, is reported in the op's result as
    ``send_error: {type, module, message}`` instead of failing the whole document).

Mode ``pipeline`` sends every op first and then waits for the results of the ops with ``get`` (so
the broker sees all messages before any result is awaited; other ops run in order during the send
phase); ``sequential`` waits for each result right after sending it.

Reply queue: with ``rpc://`` Celery declares one reply queue per client process (named after the
app's oid, auto-delete, non-durable, ``x-expires`` = result_expires). This client sets
result_expires to ``reply_queue_expires`` (default 120 s) and deletes its reply queue before it
exits (nobody else can read it), so sends that were never awaited leave nothing behind.

Special values: anywhere inside ``args``/``kwargs``, a dict with exactly ONE key that is one of
``$datetime`` (ISO 8601), ``$date`` (YYYY-MM-DD), ``$time`` (HH:MM:SS[.ffffff]), ``$decimal``
(string), ``$uuid`` (string), ``$bytes_b64`` (base64), ``$tuple`` (list), ``$float`` ("nan",
"inf", "-inf") is ALWAYS converted to the Python object before sending. (``args_special`` is
accepted as an alias of ``args``.) No other dicts are touched.

Output: ONE JSON document on stdout ``{"results": [...]}``, one entry per op, in op order:
    send → {"op", "id", "state", "result", "exc_type", "exc_module", "exc_message", "traceback",
            "date_done", "timed_out", "exc_args"?, "send_error"?}
                                  (state/result only when ``get``; values tagged as in
            interop_app.tag(): datetime → "datetime:<iso>", Decimal → "Decimal:1.10", ...)
    inspect_queue → {"op", "queue", "exists", "message_count", "consumer_count"}
    delete_queue (fields queue, exchange=true) → {"op", "queue", "deleted_messages", "exchange_deleted"}
    sleep → {"op", "slept"}
On any error: {"error": "...", "traceback": "..."} on stdout and exit code 1.
"""

import base64
import datetime as _dt
import decimal
import json
import os
import sys
import time
import traceback
import uuid

HERE = os.path.dirname(os.path.abspath(__file__))

SPECIAL_KEYS = {'$datetime', '$date', '$time', '$decimal', '$uuid', '$bytes_b64', '$tuple', '$float'}


def from_special(value):
    """Recursively turn ``{"$type": ...}`` markers into Python-native values."""
    if isinstance(value, list):
        return [from_special(v) for v in value]
    if isinstance(value, dict):
        if len(value) == 1:
            (key, raw), = value.items()
            if key in SPECIAL_KEYS:
                return _convert(key, raw)
        return {k: from_special(v) for k, v in value.items()}
    return value


def _convert(key, raw):
    if key == '$datetime':
        return _dt.datetime.fromisoformat(raw)
    if key == '$date':
        return _dt.date.fromisoformat(raw)
    if key == '$time':
        return _dt.time.fromisoformat(raw)
    if key == '$decimal':
        return decimal.Decimal(raw)
    if key == '$uuid':
        return uuid.UUID(raw)
    if key == '$bytes_b64':
        return base64.b64decode(raw)
    if key == '$tuple':
        return tuple(from_special(v) for v in raw)
    if key == '$float':
        return float(raw)
    raise ValueError(f'unknown special marker {key}')


def _when(value):
    """ISO 8601 string → aware/naive datetime for Celery; numbers pass through."""
    if isinstance(value, str):
        return _dt.datetime.fromisoformat(value)
    return value


def main():
    doc = json.loads(sys.stdin.read() or '{}')
    if doc.get('broker'):
        os.environ['TASKQ_TEST_BROKER'] = doc['broker']
    if doc.get('backend'):
        os.environ['TASKQ_TEST_BACKEND'] = doc['backend']
    if doc.get('task_protocol'):
        os.environ['TASKQ_TEST_TASK_PROTOCOL'] = str(doc['task_protocol'])
    sys.path.insert(0, HERE)
    import interop_app  # noqa: E402  (configured from the environment set above)
    from interop_app import app, tag
    from celery.exceptions import TimeoutError as CeleryTimeout

    # The rpc reply queue (named after this process' oid) carries x-expires = result_expires; it is
    # auto-delete, but a queue that never had a consumer (sends without get) is only removed by
    # x-expires. Keep that short so test runs leave nothing behind for long.
    app.conf.result_expires = int(doc.get('reply_queue_expires', 120))

    mode = doc.get('mode', 'pipeline')
    ops = doc.get('ops', [])
    results = [None] * len(ops)
    pending = []  # (index, AsyncResult, timeout)

    def collect(index, async_result, timeout):
        entry = results[index]
        try:
            value = async_result.get(timeout=timeout, propagate=False, disable_sync_subtasks=False)
            entry['timed_out'] = False
        except CeleryTimeout:
            entry['timed_out'] = True
            entry['state'] = async_result.state
            return
        state = async_result.state
        entry['state'] = state
        if isinstance(value, BaseException):
            entry['result'] = None
            entry['exc_type'] = type(value).__name__
            entry['exc_module'] = type(value).__module__
            entry['exc_message'] = str(value)
            entry['exc_args'] = tag(list(value.args))
        else:
            entry['result'] = tag(value)
        entry['traceback'] = async_result.traceback
        try:
            entry['date_done'] = tag(async_result.date_done)
        except Exception:  # rpc results carry no date_done in 5.2
            entry['date_done'] = None

    for index, op in enumerate(ops):
        kind = op.get('op', 'send')
        if kind == 'send':
            args = from_special(op.get('args', op.get('args_special', [])))
            kwargs = from_special(op.get('kwargs', {}))
            options = {}
            for key in ('queue', 'exchange', 'routing_key', 'serializer', 'priority', 'countdown',
                        'headers', 'task_id', 'ignore_result', 'time_limit', 'soft_time_limit',
                        'shadow', 'reply_to'):
                if op.get(key) is not None:
                    options[key] = op[key]
            if op.get('eta') is not None:
                options['eta'] = _when(op['eta'])
            if op.get('expires') is not None:
                options['expires'] = _when(op['expires'])
            if op.get('declare') is False:
                options['declare'] = []
            try:
                sent = app.send_task(op['name'], args=args, kwargs=kwargs, **options)
            except Exception as exc:  # e.g. kombu EncodeError: this serializer cannot carry a value
                if not op.get('expect_error'):
                    raise
                results[index] = {'op': 'send', 'id': None, 'send_error': {
                    'type': type(exc).__name__, 'module': type(exc).__module__, 'message': str(exc)}}
                continue
            results[index] = {'op': 'send', 'id': sent.id, 'state': None, 'result': None,
                              'exc_type': None, 'exc_module': None, 'exc_message': None,
                              'traceback': None, 'date_done': None, 'timed_out': None}
            if op.get('get'):
                timeout = float(op.get('timeout', 10))
                if mode == 'sequential':
                    collect(index, sent, timeout)
                else:
                    pending.append((index, sent, timeout))
        elif kind == 'inspect_queue':
            results[index] = inspect_queue(app, op['queue'])
        elif kind == 'delete_queue':
            results[index] = delete_queue(app, op['queue'], op.get('exchange', True))
        elif kind == 'sleep':
            time.sleep(float(op.get('seconds', 0)))
            results[index] = {'op': 'sleep', 'slept': float(op.get('seconds', 0))}
        else:
            raise ValueError(f'unknown op {kind!r}')

    for index, async_result, timeout in pending:
        collect(index, async_result, timeout)

    _close(app)
    return {'results': results}


def _close(app):
    """Close the result consumer and the producer pool cleanly (publishes are flushed; the
    auto-delete reply queue goes away with its consumer)."""
    try:
        consumer = getattr(app.backend, 'result_consumer', None)
        if consumer is not None and getattr(consumer, '_connection', None) is not None:
            consumer.stop()
    except Exception:
        pass
    # Replies to sends that were never awaited cannot be read by anyone after this process exits
    # (the next client has another oid), so drop the reply queue instead of waiting for x-expires.
    if type(app.backend).__name__ == 'RPCBackend':
        try:
            with app.connection_for_write() as conn:
                conn.default_channel.queue_delete(app.backend.oid)
        except Exception:
            pass
    try:
        app.close()
    except Exception:
        pass


def inspect_queue(app, queue):
    """Passive declare: message and consumer counts, or exists=false."""
    with app.connection_for_write() as conn:
        channel = conn.default_channel
        try:
            ok = channel.queue_declare(queue=queue, passive=True)
        except Exception as exc:  # NOT_FOUND closes the channel
            return {'op': 'inspect_queue', 'queue': queue, 'exists': False, 'error': str(exc)}
        return {'op': 'inspect_queue', 'queue': queue, 'exists': True,
                'message_count': ok.message_count, 'consumer_count': ok.consumer_count}


def delete_queue(app, queue, exchange=True):
    """Delete a queue and (by default) the direct exchange of the same name Celery declares."""
    out = {'op': 'delete_queue', 'queue': queue}
    with app.connection_for_write() as conn:
        channel = conn.channel()
        try:
            out['deleted_messages'] = channel.queue_delete(queue)
            if exchange:
                channel.exchange_delete(queue)
                out['exchange_deleted'] = True
        finally:
            try:
                channel.close()
            except Exception:
                pass
    return out


def _dump(obj):
    return json.dumps(obj, default=lambda o: f'{type(o).__name__}:{o!r}',
                      allow_nan=True)


if __name__ == '__main__':
    try:
        out = main()
    except BaseException as exc:  # noqa: BLE001  report everything as JSON
        sys.stdout.write(_dump({'error': f'{type(exc).__name__}: {exc}',
                                'traceback': traceback.format_exc()}) + '\n')
        sys.stdout.flush()
        sys.exit(1)
    sys.stdout.write(_dump(out) + '\n')
    sys.stdout.flush()
