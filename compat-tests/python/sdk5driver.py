"""Drives the unmodified Python 5.x gRPC SDK (the PyPI package `rocketmq-python-client`) against a
gRPC endpoint (Java's proxy, or Thrust's own) for the compat tests. It prints one JSON object per
line on stdout, the same lines as the Java SDK's GrpcDriver (compat-tests/java/grpc), so that one
set of checks reads every SDK's output; the SDK's own logs go to $HOME/logs/rocketmq_python.

    sdk5driver.py produce ep=ADDR count=N [normal=T] [fifo=T] [delay=T] [tx=T] [groups=2]
                  [delay_ms=4000] [check_timeout_ms=60000]
    sdk5driver.py receive ep=ADDR group=G topics=T[,T..] expect=N [invisible_ms=15000]
                  [timeout_ms=60000] [linger_ms=2000]
    sdk5driver.py invisible ep=ADDR group=G topic=T [long_ms=30000] [short_ms=2000]
                  [timeout_ms=60000]
    sdk5driver.py push ep=ADDR group=G topic=T expect=N [timeout_ms=60000] [linger_ms=1500]

Every message of kind K has body K-i, tag TagA, keys key_K and the user property origin=K.
produce: one Producer sends N messages of every kind named: normal; FIFO with message group
g(i % groups); delay with a delivery timestamp delay_ms ahead; transactional, where i%3==0
commits, 1 rolls back and 2 is left open for the checker, which commits it; it waits until the
checker saw every open one and the server answered the EndTransaction that followed. receive: a
SimpleConsumer receives and acks until N distinct bodies, then linger_ms more. invisible: one
message m received for long_ms, its invisible duration changed to short_ms, not acked: it comes
back early; received for short_ms and not acked: it comes back again; then acked: it stays gone.
push: a PushConsumer answering SUCCESS until N distinct bodies, then linger_ms more.

The SDK takes durations and a delivery timestamp in whole seconds: *_ms arguments and the delay
messages' timestamp are rounded up to seconds.
"""

import sys
import threading
import time

from driverio import emit, fail, finish, need, num, parse_args
from rocketmq.grpc_protocol import Code
from rocketmq import (ClientConfiguration, ConsumeResult, Credentials,
                      FilterExpression, Message, MessageListener, Producer,
                      PushConsumer, SimpleConsumer, TransactionChecker,
                      TransactionResolution)

# Every SDK call's timeout (seconds): the SDK's 3 s default is exceeded when scenarios share a
# loaded machine (the drivers of every client use 15 s).
REQUEST_TIMEOUT = 15


def seconds(args, key, default_ms):
    return max(1, -(-num(args, key, default_ms) // 1000))


def now_ms():
    return int(time.time() * 1000)


def config(args):
    return ClientConfiguration(need(args, "ep"), Credentials(), request_timeout=REQUEST_TIMEOUT)


def body(m):
    return m.body.decode("utf-8", "replace")


def line(m):
    props = {}
    if "origin" in m.properties:
        props["origin"] = m.properties["origin"]
    out = {"topic": m.topic, "body": body(m), "msgId": m.message_id, "tags": m.tag,
           "keys": " ".join(sorted(m.keys)), "props": props, "group": m.message_group,
           "attempt": m.delivery_attempt, "recvMs": now_ms()}
    # An unset timestamp reads as 0 in this SDK.
    if m.delivery_timestamp:
        out["deliverAt"] = m.delivery_timestamp
    return out


class Checker(TransactionChecker):
    """Commits every checked message and tells when the server answered each of those commits:
    the SDK ends a checked transaction on a thread of its own after check() returns, so the
    producer may shut down only once that call was answered."""

    def __init__(self):
        self.checked = {}
        self.ended = set()
        self.lock = threading.Lock()

    def check(self, message):
        with self.lock:
            self.checked[body(message)] = message.message_id
        emit({"check": body(message), "msgId": message.message_id})
        return TransactionResolution.COMMIT

    def watch(self, producer):
        """Records the message ids of the producer's EndTransaction calls answered OK."""
        rpc = producer.rpc_client
        end_async = rpc.end_transaction_async

        def recorded(endpoints, req, metadata, timeout=3):
            future = end_async(endpoints, req, metadata=metadata, timeout=timeout)

            def done(f):
                if f.exception() is None and f.result().status.code == Code.OK:
                    with self.lock:
                        self.ended.add(req.message_id)
            future.add_done_callback(done)
            return future
        rpc.end_transaction_async = recorded

    def counts(self):
        """Messages checked, and of those the ones whose commit the server answered."""
        with self.lock:
            return len(self.checked), sum(1 for i in self.checked.values() if i in self.ended)


def produce(args):
    count = num(args, "count", 4)
    kinds = [k for k in ("normal", "fifo", "delay", "tx") if k in args]
    checker = Checker() if "tx" in args else None
    producer = Producer(config(args), tuple(args[k] for k in kinds), checker=checker)
    producer.startup()
    if checker is not None:
        checker.watch(producer)
    open_tx = 0
    for kind in kinds:
        for i in range(count):
            text = "%s-%d" % (kind, i)
            out = {"kind": kind, "body": text}
            m = Message()
            m.topic = args[kind]
            m.body = text.encode("utf-8")
            m.tag = "TagA"
            m.keys = "key_" + kind
            m.add_property("origin", kind)
            if kind == "fifo":
                group = "g%d" % (i % num(args, "groups", 2))
                m.message_group = group
                out["group"] = group
            elif kind == "delay":
                # The SDK sends this timestamp in whole seconds (it reads back milliseconds).
                at_s = -(-(now_ms() + num(args, "delay_ms", 4000)) // 1000)
                m.delivery_timestamp = at_s
                out["deliverAt"] = at_s * 1000
            try:
                if kind == "tx":
                    tx = producer.begin_transaction()
                    receipt = producer.send(m, tx)
                    if i % 3 == 0:
                        tx.commit()
                        out["resolution"] = "COMMIT"
                    elif i % 3 == 1:
                        tx.rollback()
                        out["resolution"] = "ROLLBACK"
                    else:
                        open_tx += 1
                        out["resolution"] = "UNKNOWN"
                else:
                    receipt = producer.send(m)
            except Exception as e:  # noqa: BLE001 - any SDK failure fails the step
                fail("send %s: %s" % (text, e))
            out["status"] = "SEND_OK"
            out["msgId"] = receipt.message_id
            emit(out)
    deadline = time.time() + num(args, "check_timeout_ms", 60000) / 1000
    checked, ended = checker.counts() if checker else (0, 0)
    while ended < open_tx and time.time() < deadline:
        time.sleep(0.1)
        checked, ended = checker.counts()
    emit({"done": True, "open": open_tx, "checked": checked, "ended": ended})
    producer.shutdown()
    return 0 if ended >= open_tx else 2


def simple(args, topics):
    subs = {t: FilterExpression() for t in topics}
    consumer = SimpleConsumer(config(args), need(args, "group"), subs, await_duration=2)
    consumer.startup()
    return consumer


def receive_some(consumer, max_num, invisible_s):
    """One receive; an empty queue is no message, any failure goes to stderr and counts as none."""
    try:
        return consumer.receive(max_num, invisible_s)
    except Exception as e:  # noqa: BLE001
        sys.stderr.write("receive: %s\n" % e)
        time.sleep(0.2)
        return []


def ack(consumer, m):
    try:
        consumer.ack(m)
    except Exception as e:  # noqa: BLE001
        emit({"ackError": str(e), "msgId": m.message_id})


def receive(args):
    expect = num(args, "expect", 1)
    invisible = seconds(args, "invisible_ms", 15000)
    consumer = simple(args, need(args, "topics").split(","))
    emit({"ready": True})
    seen = set()
    deadline = time.time() + num(args, "timeout_ms", 60000) / 1000
    linger_end = None
    while time.time() < deadline and (linger_end is None or time.time() < linger_end):
        for m in receive_some(consumer, 16, invisible):
            emit(line(m))
            seen.add(body(m))
            ack(consumer, m)
        if len(seen) >= expect and linger_end is None:
            linger_end = time.time() + num(args, "linger_ms", 2000) / 1000
    emit({"done": True, "received": len(seen)})
    consumer.shutdown()
    return 0 if len(seen) >= expect else 2


def await_message(consumer, target, invisible_s, deadline):
    """Receives until `target` comes back (acking any other message), or None at the deadline."""
    while time.time() < deadline:
        for m in receive_some(consumer, 16, invisible_s):
            if m.message_id == target:
                return m
            other = line(m)
            other["step"] = "other"
            emit(other)
            ack(consumer, m)
    return None


def invisible(args):
    longer = seconds(args, "long_ms", 30000)
    shorter = seconds(args, "short_ms", 2000)
    deadline = time.time() + num(args, "timeout_ms", 60000) / 1000
    consumer = simple(args, [need(args, "topic")])
    emit({"ready": True})
    m = None
    while m is None and time.time() < deadline:
        got = receive_some(consumer, 1, longer)
        m = got[0] if got else None
    if m is None:
        fail("nothing received", 2)
    target = m.message_id
    emit(dict(line(m), step="received"))
    changed = time.time()
    try:
        consumer.change_invisible_duration(m, shorter)
    except Exception as e:  # noqa: BLE001
        fail("changeInvisibleDuration: %s" % e, 2)
    emit({"step": "changed", "msgId": target})
    again = await_message(consumer, target, shorter, deadline)
    if again is None:
        fail("not redelivered after changeInvisibleDuration", 2)
    emit(dict(line(again), step="redelivered", afterMs=int((time.time() - changed) * 1000)))
    left = time.time()
    third = await_message(consumer, target, shorter, deadline)
    if third is None:
        fail("not redelivered after its invisible time", 2)
    emit(dict(line(third), step="retried", afterMs=int((time.time() - left) * 1000)))
    try:
        consumer.ack(third)
    except Exception as e:  # noqa: BLE001
        fail("ack: %s" % e, 2)
    emit({"step": "acked", "msgId": target})
    late = await_message(consumer, target, shorter, min(deadline, time.time() + 3 * shorter))
    if late is not None:
        emit(dict(line(late), step="after-ack"))
        return 2
    emit({"done": True})
    consumer.shutdown()
    return 0


class Listener(MessageListener):
    def __init__(self, expect):
        self.expect = expect
        self.seen = set()
        self.deliveries = 0
        self.lock = threading.Lock()
        self.all = threading.Event()

    def consume(self, message):
        emit(line(message))
        with self.lock:
            self.deliveries += 1
            self.seen.add(body(message))
            if len(self.seen) >= self.expect:
                self.all.set()
        return ConsumeResult.SUCCESS


def push(args):
    listener = Listener(num(args, "expect", 1))
    consumer = PushConsumer(config(args), need(args, "group"), listener,
                            {need(args, "topic"): FilterExpression()},
                            consumption_thread_count=2)
    consumer.startup()
    emit({"ready": True})
    ok = listener.all.wait(num(args, "timeout_ms", 60000) / 1000)
    time.sleep(num(args, "linger_ms", 1500) / 1000)
    with listener.lock:
        emit({"done": True, "received": len(listener.seen), "deliveries": listener.deliveries})
    # Not shut down: that waits out the long polls in flight, and finish() ends the process.
    return 0 if ok else 2


MODES = {"produce": produce, "receive": receive, "invisible": invisible, "push": push}


def main():
    if len(sys.argv) < 2 or sys.argv[1] not in MODES:
        fail("usage: sdk5driver.py %s key=value..." % "|".join(MODES))
    args = parse_args(sys.argv[2:])
    try:
        code = MODES[sys.argv[1]](args)
    except Exception as e:  # noqa: BLE001 - printed as the step's error
        fail("%s: %s" % (type(e).__name__, e))
    finish(code)


if __name__ == "__main__":
    main()
