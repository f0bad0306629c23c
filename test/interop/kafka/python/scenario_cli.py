"""The command line every interop client script shares, so that one TypeScript test drives
confluent-kafka, kafka-python and aiokafka alike (the Go programs speak the same):

  features                     what this client can do, as one JSON line
  produce  --topic T [...]     produce JSON-line records from standard input, every one acknowledged
  member   --group G --topic T stay in a consumer group and print events until killed
  drain    --group G --topic T read from the committed offsets to the end, commit, leave

Events are JSON lines on standard output:
  {"event": "acknowledged", "count": 12}
  {"event": "assigned", "partitions": [0, 3]}
  {"event": "record", "partition": 0, "offset": "5", "key": "k", "value": "v", "headers": {"h": "x"}}

The scripts run under the Debian interpreter (/usr/bin/python3, old client versions) and
under a virtual environment with the newest versions from PyPI (requirements.txt).
"""
import argparse
import json
import logging
import ssl
import sys

CODECS = ["none", "gzip", "snappy", "lz4", "zstd"]
# Heartbeats this often; well inside the session timeout, so only a dead member expires.
HEARTBEAT_INTERVAL_MS = 500
# Fetches wait at most this long for data, so that the end of the log is noticed quickly.
FETCH_MAX_WAIT_MS = 100
# A member commits what it consumed this often.
AUTO_COMMIT_INTERVAL_MS = 200
# Turns --batch-messages into a batch size in bytes for the clients that count bytes.
RECORD_BYTES_ESTIMATE = 64
# Bound on waiting for every acknowledgement at the end of produce.
FLUSH_SECONDS = 60


def emit(line):
    sys.stdout.write(json.dumps(line) + "\n")
    sys.stdout.flush()


def emit_assigned(partitions):
    emit({"event": "assigned", "partitions": sorted(partitions)})


def supported_codecs(codec_module):
    """The codecs an installation of kafka-python or aiokafka can use, from its codec module's has_* checks."""
    return ["none"] + [name for name in CODECS[1:] if getattr(codec_module, f"has_{name}")()]


def kafka_python_connection(args):
    """Connection options in the names kafka-python and aiokafka share: TLS, SASL PLAIN or SCRAM
    (both take the user name and password as sasl_plain_username and sasl_plain_password)."""
    options = {"bootstrap_servers": args.bootstrap}
    if args.tls_ca:
        options["security_protocol"] = "SSL"
        options["ssl_context"] = ssl.create_default_context(cafile=args.tls_ca)
    if args.sasl_username:
        options["security_protocol"] = "SASL_SSL" if args.tls_ca else "SASL_PLAINTEXT"
        options["sasl_mechanism"] = args.sasl_mechanism
        options["sasl_plain_username"] = args.sasl_username
        options["sasl_plain_password"] = args.sasl_password
    return options


def kafka_python_producer(args, batch_bytes_option):
    """Producer options in the names kafka-python and aiokafka share, with the name each gives
    its batch size in bytes: acks from every replica, the codec, idempotence, small batches."""
    options = dict(kafka_python_connection(args), acks="all", retry_backoff_ms=50,
                   compression_type=None if args.compression == "none" else args.compression)
    if args.idempotent:
        options["enable_idempotence"] = True
    if args.batch_messages:
        # Small batches make a stream take many Produce requests, several in flight at once.
        options[batch_bytes_option] = args.batch_messages * RECORD_BYTES_ESTIMATE
        options["linger_ms"] = 0
    return options


def kafka_python_consumer(args, **extra):
    """Consumer options in the names kafka-python and aiokafka share: the group, from the start."""
    return dict(
        kafka_python_connection(args),
        group_id=args.group,
        auto_offset_reset="earliest",
        session_timeout_ms=args.session_timeout_ms,
        heartbeat_interval_ms=HEARTBEAT_INTERVAL_MS,
        fetch_max_wait_ms=FETCH_MAX_WAIT_MS,
        **extra,
    )


def decoded(data):
    return data.decode() if data is not None else None


def emit_consumer_record(record):
    """A record of kafka-python or aiokafka (ConsumerRecord) as an event."""
    emit_record(record.partition, record.offset, record.key, record.value, record.headers)


def emit_record(partition, offset, key, value, headers):
    emit({
        "event": "record",
        "partition": partition,
        "offset": str(offset),
        "key": decoded(key),
        "value": decoded(value),
        "headers": {name: (data or b"").decode() for name, data in (headers or [])},
    })


class Acknowledgements:
    """Counts acknowledged records and reports each one, so a test can act mid-stream."""

    def __init__(self):
        self.count = 0

    def one(self):
        self.count += 1
        emit({"event": "acknowledged", "count": self.count})


def read_records():
    records = []
    for number, line in enumerate(sys.stdin, start=1):
        if not line.strip():
            continue
        try:
            records.append(json.loads(line))
        except ValueError as error:
            raise SystemExit(f"standard input line {number}: {error}")
    return records


def record_fields(record):
    """Key, value and headers of a produced record as bytes."""
    key = record.get("key")
    return (
        None if key is None else key.encode(),
        record["value"].encode(),
        [(name, value.encode()) for name, value in record.get("headers", {}).items()],
    )


def main(client, description):
    """Parses the command line and runs the subcommand with `client`, an object with
    features(), produce(args, records, acknowledgements), member(args) and drain(args)."""
    parser = argparse.ArgumentParser(description=description, formatter_class=argparse.RawDescriptionHelpFormatter)
    parser.add_argument("command", choices=["features", "produce", "member", "drain"])
    parser.add_argument("--bootstrap", default="127.0.0.1:9092")
    parser.add_argument("--topic")
    parser.add_argument("--group")
    parser.add_argument("--compression", default="none", choices=CODECS)
    parser.add_argument("--idempotent", action="store_true")
    parser.add_argument("--batch-messages", type=int, default=0, help="records per batch at most (small batches make many requests)")
    parser.add_argument("--session-timeout-ms", type=int, default=10000)
    parser.add_argument("--tls-ca", help="connect over TLS, trusting the CA certificates in this PEM file")
    parser.add_argument("--sasl-username", help="authenticate with SASL as this user")
    parser.add_argument("--sasl-password")
    parser.add_argument("--sasl-mechanism", default="PLAIN", choices=["PLAIN", "SCRAM-SHA-256", "SCRAM-SHA-512"])
    args = parser.parse_args()
    # The clients' own warnings and errors (a refused login, a lost connection) on standard
    # error, where a failing test shows them.
    logging.basicConfig(level=logging.WARNING, stream=sys.stderr, format="%(levelname)s %(name)s: %(message)s")
    if args.command == "features":
        emit(client.features())
    elif args.command == "produce":
        client.produce(args, read_records(), Acknowledgements())
    elif args.command == "member":
        client.member(args)
    else:
        client.drain(args)
