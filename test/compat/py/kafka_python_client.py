"""kafka-python driver for the client matrix.

Usage: /usr/bin/python3 kafka_python_client.py REQUEST.json
The request names an operation and its arguments; the result is one JSON
object on stdout. Failures exit non-zero with the reason on stderr, and a
missing module exits 3, so the test fails instead of skipping.
"""
import json
import sys
import time

try:
    import kafka
    from kafka import KafkaConsumer, KafkaProducer, TopicPartition
    from kafka.admin import ConfigResource, ConfigResourceType, KafkaAdminClient, NewTopic
except ImportError as err:  # the matrix expects this client: missing is a failure
    print(f"kafka-python is not importable: {err}", file=sys.stderr)
    sys.exit(3)

BIG = 3_000_000


def text(b):
    return None if b is None else b.decode("utf-8")


def record_out(msg):
    return {
        "key": text(msg.key),
        "value": text(msg.value) if msg.value is not None else "<null>",
        "headers": [[k, text(v) if v is not None else "<null>"] for k, v in (msg.headers or [])],
        "offset": msg.offset,
    }


def admin(req):
    client = KafkaAdminClient(bootstrap_servers=req["bootstrap"], client_id="matrix-kafka-python")
    name = req["topic"]
    out = {}
    client.create_topics([NewTopic(name, num_partitions=2, replication_factor=1, topic_configs={"max.message.bytes": str(req["maxMessageBytes"])})])
    described = client.describe_topics([name])
    out["partitions"] = len(described[0]["partitions"])
    res = client.describe_configs([ConfigResource(ConfigResourceType.TOPIC, name, configs={"max.message.bytes": None})])
    entries = res[0].resources[0][4]
    out["maxMessageBytes"] = next(e[1] for e in entries if e[0] == "max.message.bytes")
    client.delete_topics([name])
    deadline = time.time() + 10
    while time.time() < deadline and name in client.list_topics():
        time.sleep(0.2)
    out["listedAfterDelete"] = name in client.list_topics()
    client.close()
    return out


def produce(req):
    codec = None if req["codec"] == "none" else req["codec"]
    p = KafkaProducer(
        bootstrap_servers=req["bootstrap"],
        compression_type=codec,
        max_request_size=BIG,
        linger_ms=20,
        acks="all",
    )
    futures = []
    for r in req["records"]:
        key = None if r["key"] is None else r["key"].encode("utf-8")
        headers = [(k, v.encode("utf-8")) for k, v in r["headers"]]
        futures.append(p.send(req["topic"], value=r["value"].encode("utf-8"), key=key, headers=headers, partition=0))
    p.flush(30)
    for f in futures:
        f.get(timeout=30)
    p.close(10)
    return {"delivered": len(futures)}


def consumer(req, group):
    return KafkaConsumer(
        bootstrap_servers=req["bootstrap"],
        group_id=group,
        enable_auto_commit=False,
        auto_offset_reset="earliest",
        max_partition_fetch_bytes=BIG,
        fetch_max_bytes=BIG * 2,
        consumer_timeout_ms=1000,
    )


def poll_until(c, count, timeout_s):
    out = []
    deadline = time.time() + timeout_s
    while len(out) < count and time.time() < deadline:
        for batch in c.poll(timeout_ms=500).values():
            out.extend(batch)
    return out


def consume(req):
    """Reads partition 0 from the beginning by assignment (no group)."""
    c = consumer(req, None)
    tp = TopicPartition(req["topic"], 0)
    c.assign([tp])
    c.seek_to_beginning(tp)
    msgs = poll_until(c, req["count"], 20)
    c.close()
    return {"records": [record_out(m) for m in msgs]}


def group_consume(req):
    c = consumer(req, req["group"])
    c.subscribe([req["topic"]])
    msgs = poll_until(c, req["count"], 30)
    if msgs:
        c.commit()
    c.close()
    return {"records": [record_out(m) for m in msgs]}


def group_idle(req):
    c = consumer(req, req["group"])
    c.subscribe([req["topic"]])
    msgs = poll_until(c, 1, req.get("seconds", 5))
    committed = c.committed(TopicPartition(req["topic"], 0))
    c.close()
    return {"records": [record_out(m) for m in msgs], "committed": committed}


def versions(_req):
    return {"client": kafka.__version__}


OPS = {"admin": admin, "produce": produce, "consume": consume, "group-consume": group_consume, "group-idle": group_idle, "versions": versions}

if __name__ == "__main__":
    with open(sys.argv[1], encoding="utf-8") as f:
        request = json.load(f)
    print(json.dumps(OPS[request["op"]](request)))
