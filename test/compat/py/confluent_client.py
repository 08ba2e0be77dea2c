"""confluent-kafka-python (librdkafka) driver for the client matrix.

Usage: /usr/bin/python3 confluent_client.py REQUEST.json
The request names an operation and its arguments; the result is one JSON
object on stdout. Failures exit non-zero with the reason on stderr, and a
missing module exits 3, so the test fails instead of skipping.
"""
import json
import sys
import time

try:
    import confluent_kafka
    from confluent_kafka import OFFSET_BEGINNING, Consumer, KafkaException, Producer, TopicPartition
    from confluent_kafka.admin import AdminClient, ConfigResource, NewTopic
except ImportError as err:  # the matrix expects this client: missing is a failure
    print(f"confluent_kafka is not importable: {err}", file=sys.stderr)
    sys.exit(3)

BIG = 3_000_000


def text(b):
    return None if b is None else b.decode("utf-8")


def record_out(msg):
    return {
        "key": text(msg.key()),
        "value": text(msg.value()) if msg.value() is not None else "<null>",
        "headers": [[k, text(v) if v is not None else "<null>"] for k, v in (msg.headers() or [])],
        "offset": msg.offset(),
    }


def admin(req):
    client = AdminClient({"bootstrap.servers": req["bootstrap"]})
    name = req["topic"]
    out = {}
    futures = client.create_topics([NewTopic(name, num_partitions=2, replication_factor=1, config={"max.message.bytes": str(req["maxMessageBytes"])})])
    futures[name].result(timeout=15)
    md = client.list_topics(topic=name, timeout=10)
    out["partitions"] = len(md.topics[name].partitions)
    res = client.describe_configs([ConfigResource("topic", name)])
    for fut in res.values():
        configs = fut.result(timeout=10)
        out["maxMessageBytes"] = configs["max.message.bytes"].value
    client.delete_topics([name])[name].result(timeout=15)
    deadline = time.time() + 10
    while time.time() < deadline:
        if name not in client.list_topics(timeout=10).topics:
            break
        time.sleep(0.2)
    out["listedAfterDelete"] = name in client.list_topics(timeout=10).topics
    return out


def produce(req):
    conf = {
        "bootstrap.servers": req["bootstrap"],
        "compression.type": req["codec"],
        "message.max.bytes": BIG,
        "linger.ms": 20,
        "enable.idempotence": bool(req.get("idempotent", False)),
    }
    p = Producer(conf)
    errors = []

    def delivered(err, _msg):
        if err is not None:
            errors.append(str(err))

    for r in req["records"]:
        key = None if r["key"] is None else r["key"].encode("utf-8")
        headers = [(k, v.encode("utf-8")) for k, v in r["headers"]]
        p.produce(req["topic"], value=r["value"].encode("utf-8"), key=key, headers=headers or None, partition=0, on_delivery=delivered)
        p.poll(0)
    left = p.flush(30)
    if left or errors:
        raise RuntimeError(f"{left} undelivered, errors: {errors}")
    return {"delivered": len(req["records"])}


def consumer_conf(req, group, **extra):
    conf = {
        "bootstrap.servers": req["bootstrap"],
        "group.id": group,
        "enable.auto.commit": False,
        "auto.offset.reset": "earliest",
        "fetch.max.bytes": BIG * 2,
        "max.partition.fetch.bytes": BIG,
        "receive.message.max.bytes": BIG * 3,
    }
    conf.update(extra)
    return conf


def poll_until(c, count, timeout_s):
    out = []
    deadline = time.time() + timeout_s
    while len(out) < count and time.time() < deadline:
        msg = c.poll(0.5)
        if msg is None:
            continue
        if msg.error():
            raise KafkaException(msg.error())
        out.append(msg)
    return out


def consume(req):
    """Reads partition 0 from the beginning by assignment (no group membership)."""
    c = Consumer(consumer_conf(req, "matrix-assign-" + req["topic"]))
    c.assign([TopicPartition(req["topic"], 0, OFFSET_BEGINNING)])
    msgs = poll_until(c, req["count"], 20)
    c.close()
    return {"records": [record_out(m) for m in msgs]}


def group_consume(req):
    """Subscribes in a group, reads `count` records, commits, closes; returns them."""
    c = Consumer(consumer_conf(req, req["group"], **{"session.timeout.ms": 10000}))
    c.subscribe([req["topic"]])
    msgs = poll_until(c, req["count"], 30)
    if msgs:
        c.commit(asynchronous=False)
    c.close()
    return {"records": [record_out(m) for m in msgs]}


def group_idle(req):
    """Rejoins the group and reports what arrives within a few seconds (should be nothing)."""
    c = Consumer(consumer_conf(req, req["group"], **{"session.timeout.ms": 10000}))
    c.subscribe([req["topic"]])
    msgs = poll_until(c, 1, req.get("seconds", 5))
    committed = c.committed([TopicPartition(req["topic"], 0)], timeout=10)
    c.close()
    return {"records": [record_out(m) for m in msgs], "committed": committed[0].offset}


def versions(_req):
    return {"client": confluent_kafka.version()[0], "librdkafka": confluent_kafka.libversion()[0]}


OPS = {"admin": admin, "produce": produce, "consume": consume, "group-consume": group_consume, "group-idle": group_idle, "versions": versions}

if __name__ == "__main__":
    with open(sys.argv[1], encoding="utf-8") as f:
        request = json.load(f)
    print(json.dumps(OPS[request["op"]](request)))
