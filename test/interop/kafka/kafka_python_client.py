"""kafka-python as the interop tests drive it.

Subcommands, each a small use of the client the way an application uses it:
  features                     print what this installation can do, as JSON: the codecs it can
                               use (snappy, lz4 and zstd need python3-snappy, python3-lz4,
                               python3-zstandard) and whether it has an idempotent producer
  produce  --topic T [...]     produce JSON-line records from standard input, then flush
  member   --group G --topic T stay in a consumer group and print events until killed
  drain    --group G --topic T read from the committed offsets to the end, commit, leave

Events are JSON lines on standard output, the same the Node test members write:
  {"event": "assigned", "partitions": [0, 3]}
  {"event": "record", "partition": 0, "offset": "5", "key": "k", "value": "v", "headers": {"h": "x"}}

kafka-python 2.0.2 has no idempotent producer (enable_idempotence came in later versions).
Run with /usr/bin/python3: Debian's kafka module loads only there.
"""
import argparse
import json
import sys

from kafka import ConsumerRebalanceListener, KafkaConsumer, KafkaProducer
from kafka import codec as kafka_codec

# How long one poll waits; short, so that the end of the log or a stop is noticed quickly.
POLL_MS = 200
# Bound on waiting for all acknowledgements at the end of produce.
FLUSH_SECONDS = 60


def supported_codecs():
    codecs = ["none"]
    for name, available in [("gzip", kafka_codec.has_gzip), ("snappy", kafka_codec.has_snappy),
                            ("lz4", kafka_codec.has_lz4), ("zstd", kafka_codec.has_zstd)]:
        if available():
            codecs.append(name)
    return codecs


def emit(line):
    sys.stdout.write(json.dumps(line) + "\n")
    sys.stdout.flush()


def record_event(record):
    return {
        "event": "record",
        "partition": record.partition,
        "offset": str(record.offset),
        "key": record.key.decode() if record.key is not None else None,
        "value": record.value.decode() if record.value is not None else None,
        "headers": {key: (value or b"").decode() for key, value in (record.headers or [])},
    }


def produce(args):
    options = {}
    if args.idempotent:
        options["enable_idempotence"] = True
    if args.batch_messages:
        # Small batches make a stream take many Produce requests (batch_size is in bytes).
        options["batch_size"] = args.batch_messages * 128
        options["linger_ms"] = 0
    producer = KafkaProducer(
        bootstrap_servers=args.bootstrap,
        acks="all",
        compression_type=None if args.compression == "none" else args.compression,
        retry_backoff_ms=50,
        **options,
    )
    futures = []
    for line in sys.stdin:
        if not line.strip():
            continue
        record = json.loads(line)
        futures.append(producer.send(
            args.topic,
            key=None if record.get("key") is None else record["key"].encode(),
            value=record["value"].encode(),
            headers=[(key, value.encode()) for key, value in record.get("headers", {}).items()],
            partition=record.get("partition"),
        ))
    producer.flush(FLUSH_SECONDS)
    for future in futures:
        future.get(timeout=FLUSH_SECONDS)
    producer.close()


def consumer_of(args, **extra):
    return KafkaConsumer(
        bootstrap_servers=args.bootstrap,
        group_id=args.group,
        auto_offset_reset="earliest",
        session_timeout_ms=args.session_timeout_ms,
        heartbeat_interval_ms=500,
        fetch_max_wait_ms=100,
        **extra,
    )


class PrintAssignments(ConsumerRebalanceListener):
    def on_partitions_revoked(self, revoked):
        emit({"event": "assigned", "partitions": []})

    def on_partitions_assigned(self, assigned):
        emit({"event": "assigned", "partitions": sorted(tp.partition for tp in assigned)})


def member(args):
    consumer = consumer_of(args, enable_auto_commit=True, auto_commit_interval_ms=200)
    consumer.subscribe(topics=[args.topic], listener=PrintAssignments())
    while True:
        for records in consumer.poll(timeout_ms=POLL_MS).values():
            for record in records:
                emit(record_event(record))


def drain(args):
    consumer = consumer_of(args, enable_auto_commit=False)
    consumer.subscribe(topics=[args.topic])
    while True:
        for records in consumer.poll(timeout_ms=POLL_MS).values():
            for record in records:
                emit(record_event(record))
        assignment = list(consumer.assignment())
        if not assignment:
            continue
        ends = consumer.end_offsets(assignment)
        if all(consumer.position(tp) >= ends[tp] for tp in assignment):
            break
    consumer.commit()
    consumer.close()


def main():
    parser = argparse.ArgumentParser(description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter)
    parser.add_argument("command", choices=["features", "produce", "member", "drain"])
    parser.add_argument("--bootstrap", default="127.0.0.1:9092")
    parser.add_argument("--topic")
    parser.add_argument("--group")
    parser.add_argument("--compression", default="none")
    parser.add_argument("--idempotent", action="store_true")
    parser.add_argument("--batch-messages", type=int, default=0)
    parser.add_argument("--session-timeout-ms", type=int, default=10000)
    args = parser.parse_args()
    if args.command == "features":
        idempotent = "enable_idempotence" in KafkaProducer.DEFAULT_CONFIG
        print(json.dumps({"codecs": supported_codecs(), "idempotent": idempotent}))
    elif args.command == "produce":
        produce(args)
    elif args.command == "member":
        member(args)
    else:
        drain(args)


if __name__ == "__main__":
    main()
