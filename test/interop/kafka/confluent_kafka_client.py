"""confluent-kafka (librdkafka) as the interop tests drive it.

Subcommands, each a small use of the client the way an application uses it:
  features                     print what this client can do, as JSON: codecs, idempotent producer
  produce  --topic T [...]     produce JSON-line records from standard input, then flush
  member   --group G --topic T stay in a consumer group and print events until killed
  drain    --group G --topic T read from the committed offsets to the end, commit, leave

Events are JSON lines on standard output, the same the Node test members write:
  {"event": "assigned", "partitions": [0, 3]}
  {"event": "record", "partition": 0, "offset": "5", "key": "k", "value": "v", "headers": {"h": "x"}}

Run with /usr/bin/python3: Debian's confluent_kafka module loads only there.
"""
import argparse
import json
import sys

from confluent_kafka import Consumer, KafkaError, KafkaException, Producer

CODECS = ["none", "gzip", "snappy", "lz4", "zstd"]
# How long one poll waits; short, so that a killed broker or a stop is noticed quickly.
POLL_SECONDS = 0.2


def emit(line):
    sys.stdout.write(json.dumps(line) + "\n")
    sys.stdout.flush()


def record_event(message):
    headers = {key: (value or b"").decode() for key, value in (message.headers() or [])}
    key = message.key()
    value = message.value()
    return {
        "event": "record",
        "partition": message.partition(),
        "offset": str(message.offset()),
        "key": key.decode() if key is not None else None,
        "value": value.decode() if value is not None else None,
        "headers": headers,
    }


def produce(args):
    config = {
        "bootstrap.servers": args.bootstrap,
        "compression.codec": args.compression,
        "acks": "all",
        "retry.backoff.ms": 50,
    }
    if args.idempotent:
        config["enable.idempotence"] = True
    if args.batch_messages:
        # Small batches make a stream take many Produce requests, several in flight at once.
        config["batch.num.messages"] = args.batch_messages
        config["linger.ms"] = 0
    producer = Producer(config)
    failures = []

    def delivered(error, message):
        if error is not None:
            failures.append(str(error))

    for line in sys.stdin:
        if not line.strip():
            continue
        record = json.loads(line)
        options = {"on_delivery": delivered}
        if record.get("partition") is not None:
            options["partition"] = record["partition"]
        while True:
            try:
                producer.produce(
                    args.topic,
                    key=None if record.get("key") is None else record["key"].encode(),
                    value=record["value"].encode(),
                    headers=[(key, value.encode()) for key, value in record.get("headers", {}).items()],
                    **options,
                )
                break
            except BufferError:
                producer.poll(POLL_SECONDS)
        producer.poll(0)
    remaining = producer.flush(60)
    if remaining or failures:
        sys.stderr.write(f"{remaining} records undelivered; delivery errors: {failures[:5]}\n")
        sys.exit(1)


def consumer_config(args, **extra):
    config = {
        "bootstrap.servers": args.bootstrap,
        "group.id": args.group,
        "auto.offset.reset": "earliest",
        "session.timeout.ms": args.session_timeout_ms,
        "heartbeat.interval.ms": 500,
        "fetch.wait.max.ms": 100,
    }
    config.update(extra)
    return config


def member(args):
    consumer = Consumer(consumer_config(args, **{"auto.commit.interval.ms": 200}))

    def assigned(_consumer, partitions):
        emit({"event": "assigned", "partitions": sorted(p.partition for p in partitions)})

    def revoked(_consumer, _partitions):
        emit({"event": "assigned", "partitions": []})

    consumer.subscribe([args.topic], on_assign=assigned, on_revoke=revoked)
    while True:
        message = consumer.poll(POLL_SECONDS)
        if message is None:
            continue
        if message.error():
            sys.stderr.write(f"consumer error: {message.error()}\n")
            continue
        emit(record_event(message))


def drain(args):
    consumer = Consumer(consumer_config(args, **{"enable.auto.commit": False, "enable.partition.eof": True}))
    assignment = set()
    at_end = set()

    def assigned(_consumer, partitions):
        assignment.clear()
        assignment.update(p.partition for p in partitions)
        at_end.clear()

    consumer.subscribe([args.topic], on_assign=assigned)
    while not assignment or at_end != assignment:
        message = consumer.poll(POLL_SECONDS)
        if message is None:
            continue
        if message.error():
            if message.error().code() == KafkaError._PARTITION_EOF:
                at_end.add(message.partition())
                continue
            raise KafkaException(message.error())
        at_end.discard(message.partition())
        emit(record_event(message))
    try:
        consumer.commit(asynchronous=False)
    except KafkaException as error:
        if error.args[0].code() != KafkaError._NO_OFFSET:
            raise
    consumer.close()


def main():
    parser = argparse.ArgumentParser(description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter)
    parser.add_argument("command", choices=["features", "produce", "member", "drain"])
    parser.add_argument("--bootstrap", default="127.0.0.1:9092")
    parser.add_argument("--topic")
    parser.add_argument("--group")
    parser.add_argument("--compression", default="none", choices=CODECS)
    parser.add_argument("--idempotent", action="store_true")
    parser.add_argument("--batch-messages", type=int, default=0)
    parser.add_argument("--session-timeout-ms", type=int, default=10000)
    args = parser.parse_args()
    if args.command == "features":
        print(json.dumps({"codecs": CODECS, "idempotent": True}))
    elif args.command == "produce":
        produce(args)
    elif args.command == "member":
        member(args)
    else:
        drain(args)


if __name__ == "__main__":
    main()
