"""Drives the unmodified C++ RocketMQ client (librocketmq, as bundled by the PyPI package
`rocketmq` 0.4.4, through that package's own binding) for the compat tests. It prints one JSON
object per line on stdout; the client's own logs go to $HOME/logs.

    cppdriver.py produce ns=ADDR[;ADDR] topic=T group=G count=N
                 [mode=sync|async|oneway|orderly] [tag=TagA] [keys=k] [prop.NAME=VALUE ...]
                 [body=prefix] [delay=LEVEL] [shards=4]
    cppdriver.py consume ns=ADDR topic=T group=G expect=N [timeout_ms=60000] [expr=*]
                 [orderly=false] [linger_ms=1500] [props=origin]
    cppdriver.py pull ns=ADDR topic=T group=G expect=N [timeout_ms=60000] [expr=*] [props=origin]

produce prints {"i":..,"status":..,"msgId":..,"queueOffset":..} per message (sync, async,
orderly; orderly sends message i with the selector argument i % shards, and the selector picks
queue arg % queue count) and {"done":true,"sent":N,"failed":F} last.
consume (a push consumer, clustering, concurrently or orderly) prints {"ready":true} once started,
one object per received message and {"done":true,"received":N} when N distinct messages arrived
(exit 0) or at the timeout (exit 2). pull walks every queue of the topic from offset 0 with the
pull consumer, printing the same message objects, until N distinct messages arrived.
A message object carries topic, body, tags, keys, msgId, queueId, queueOffset, reconsumeTimes,
bornTimestamp, storeTimestamp, delayTimeLevel and props (the properties named by props=).
"""

import sys
import threading
import time

from driverio import emit, fail, need, num, parse_args
from rocketmq.client import Message, Producer, PullConsumer, PushConsumer


def text(value):
    if isinstance(value, bytes):
        return value.decode("utf-8", "replace")
    return value if value is not None else ""


def build_message(args, i):
    msg = Message(need(args, "topic"))
    msg.set_body("%s-%d" % (args.get("body", "cpp"), i))
    if args.get("tag"):
        msg.set_tags(args["tag"])
    if args.get("keys"):
        msg.set_keys(args["keys"])
    for key, value in args.items():
        if key.startswith("prop."):
            msg.set_property(key[5:], value)
    if "delay" in args:
        msg.set_delay_time_level(num(args, "delay", 0))
    return msg


def result_json(i, res):
    return {"i": i, "status": "SEND_OK" if res.status == 0 else res.status.name,
            "msgId": res.msg_id, "queueOffset": res.offset}


def produce(args):
    producer = Producer(need(args, "group"))
    producer.set_namesrv_addr(need(args, "ns"))
    producer.set_timeout(num(args, "send_timeout_ms", 15000))
    producer.start()
    count, mode = num(args, "count", 1), args.get("mode", "sync")
    shards = num(args, "shards", 4)
    failed = 0
    pending = threading.Semaphore(0)
    lock = threading.Lock()
    async_failed = [0]
    msgs = []  # the async sends' messages stay alive until their callbacks ran

    def on_success(i):
        def callback(res):
            emit(result_json(i, res))
            pending.release()
        return callback

    def on_error(i):
        def callback(exc):
            with lock:
                async_failed[0] += 1
            emit({"i": i, "error": str(exc)})
            pending.release()
        return callback

    # librocketmq can answer a new producer's first sends "No route info" while its own start-up
    # tasks are still fetching routes on a loaded machine, though the NameServer has the route
    # (the harness waits for it before producing). Until one send has succeeded, such a refusal
    # is retried for up to 15 s; any other error, or one after a success, counts.
    routed = [False]

    def routed_send(send, msg):
        deadline = time.monotonic() + 15
        while True:
            try:
                res = send(msg)
                routed[0] = True
                return res
            except Exception as exc:
                if routed[0] or "No route info" not in str(exc) or time.monotonic() > deadline:
                    raise
                time.sleep(0.2)

    for i in range(count):
        msg = build_message(args, i)
        try:
            if mode == "sync":
                emit(result_json(i, routed_send(producer.send_sync, msg)))
            elif mode == "async":
                msgs.append(msg)
                producer.send_async(msg, on_success(i), on_error(i))
            elif mode == "oneway":
                producer.send_oneway(msg)
            elif mode == "orderly":
                res = routed_send(lambda m: producer.send_orderly(m, i % shards), msg)
                line = result_json(i, res)
                line["shard"] = i % shards
                emit(line)
            else:
                fail("unknown send mode %r" % mode)
        except Exception as exc:  # the binding raises its own exception types
            failed += 1
            emit({"i": i, "error": repr(exc)})
    if mode == "async":
        for _ in range(count - failed):
            if not pending.acquire(timeout=60):
                fail("async send callbacks missing", 2)
        failed += async_failed[0]
    producer.shutdown()
    emit({"done": True, "sent": count - failed, "failed": failed})
    return 2 if failed else 0


def message_json(msg, props):
    return {
        "topic": text(msg.topic), "body": text(msg.body), "tags": text(msg.tags),
        "keys": text(msg.keys), "msgId": text(msg.id), "queueId": msg.queue_id,
        "queueOffset": msg.queue_offset, "reconsumeTimes": msg.reconsume_times,
        "bornTimestamp": msg.born_timestamp, "storeTimestamp": msg.store_timestamp,
        "delayTimeLevel": msg.delay_time_level,
        "props": {p: text(msg.get_property(p)) for p in props},
    }


def prop_names(args):
    return [p for p in args.get("props", "origin").split(",") if p]


def consume(args):
    orderly = args.get("orderly", "false") == "true"
    consumer = PushConsumer(need(args, "group"), orderly=orderly)
    consumer.set_namesrv_addr(need(args, "ns"))
    expect, props = num(args, "expect", 1), prop_names(args)
    seen = set()
    lock = threading.Lock()
    done = threading.Event()

    def on_message(msg):
        line = message_json(msg, props)
        emit(line)
        with lock:
            seen.add(line["msgId"])
            if len(seen) >= expect:
                done.set()

    consumer.subscribe(need(args, "topic"), on_message, args.get("expr", "*"))
    consumer.start()
    emit({"ready": True})
    code = 0
    if done.wait(num(args, "timeout_ms", 60000) / 1000.0):
        # Stay a moment longer so duplicates would show up in the output.
        time.sleep(num(args, "linger_ms", 1500) / 1000.0)
    else:
        code = 2
    with lock:
        emit({"done": True, "received": len(seen)})
    consumer.shutdown()
    return code


def pull(args):
    consumer = PullConsumer(need(args, "group"))
    consumer.set_namesrv_addr(need(args, "ns"))
    consumer.start()
    expect, props = num(args, "expect", 1), prop_names(args)
    deadline = time.time() + num(args, "timeout_ms", 60000) / 1000.0
    seen = set()
    # Each pass walks every queue from where the last pass stopped until NO_NEW_MSG.
    while len(seen) < expect and time.time() < deadline:
        for msg in consumer.pull(need(args, "topic"), args.get("expr", "*")):
            line = message_json(msg, props)
            emit(line)
            seen.add(line["msgId"])
        if len(seen) < expect:
            time.sleep(0.2)
    emit({"done": True, "received": len(seen)})
    consumer.shutdown()
    return 0 if len(seen) >= expect else 2


def main():
    if len(sys.argv) < 2:
        fail("usage: cppdriver.py produce|consume|pull key=value...")
    modes = {"produce": produce, "consume": consume, "pull": pull}
    if sys.argv[1] not in modes:
        fail("unknown mode %r" % sys.argv[1])
    sys.exit(modes[sys.argv[1]](parse_args(sys.argv[2:])))


if __name__ == "__main__":
    main()
