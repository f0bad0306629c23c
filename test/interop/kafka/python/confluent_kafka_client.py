"""confluent-kafka (librdkafka) as an edge application uses it, behind the shared interop
command line (scenario_cli.py). Runs under /usr/bin/python3 (Debian's python3-confluent-kafka)
and under the virtual environment with the newest confluent-kafka from PyPI.
"""
import sys
import time

import confluent_kafka
from confluent_kafka import Consumer, KafkaError, KafkaException, Producer

import scenario_cli

# How long one poll waits; short, so that a killed broker or a stop is noticed quickly.
POLL_SECONDS = 0.2


def connection_config(args):
    config = {"bootstrap.servers": args.bootstrap}
    if args.tls_ca:
        config["security.protocol"] = "ssl"
        config["ssl.ca.location"] = args.tls_ca
    if args.sasl_username:
        config["security.protocol"] = "sasl_ssl" if args.tls_ca else "sasl_plaintext"
        config["sasl.mechanisms"] = args.sasl_mechanism
        config["sasl.username"] = args.sasl_username
        config["sasl.password"] = args.sasl_password
    return config


class FatalErrors:
    """librdkafka reports a refused login through error_cb and keeps retrying; the scripts stop."""

    def __init__(self):
        self.errors = []

    def __call__(self, error):
        if error.code() == KafkaError._AUTHENTICATION or error.fatal():
            self.errors.append(str(error))

    def check(self):
        if self.errors:
            sys.exit(f"fatal client error: {self.errors[0]}")


def emit_message(message):
    scenario_cli.emit_record(message.partition(), message.offset(), message.key(), message.value(), message.headers())


class Client:
    def features(self):
        return {
            "client": "confluent-kafka",
            "version": confluent_kafka.__version__,
            "details": f"librdkafka {confluent_kafka.libversion()[0]}",
            "codecs": scenario_cli.CODECS,
            "idempotent": True,
            "tls": True,
            "saslPlain": True,
        }

    def produce(self, args, records, acknowledgements):
        fatal = FatalErrors()
        config = dict(connection_config(args), **{
            "compression.codec": args.compression,
            "acks": "all",
            "retry.backoff.ms": 50,
            "message.timeout.ms": scenario_cli.FLUSH_SECONDS * 1000,
            "error_cb": fatal,
        })
        if args.idempotent:
            config["enable.idempotence"] = True
        if args.batch_messages:
            # Small batches make a stream take many Produce requests, several in flight at once.
            config["batch.num.messages"] = args.batch_messages
            config["linger.ms"] = 0
        producer = Producer(config)
        failures = []

        def delivered(error, _message):
            if error is not None:
                failures.append(str(error))
            else:
                acknowledgements.one()

        for record in records:
            key, value, headers = scenario_cli.record_fields(record)
            options = {"on_delivery": delivered}
            if record.get("partition") is not None:
                options["partition"] = record["partition"]
            while True:
                try:
                    producer.produce(args.topic, key=key, value=value, headers=headers, **options)
                    break
                except BufferError:
                    producer.poll(POLL_SECONDS)
                    fatal.check()
            producer.poll(0)
        deadline = time.monotonic() + scenario_cli.FLUSH_SECONDS
        while producer.flush(POLL_SECONDS) > 0 and time.monotonic() < deadline:
            fatal.check()
        fatal.check()
        remaining = len(producer)
        if remaining or failures:
            sys.exit(f"{remaining} records undelivered; delivery errors: {failures[:5]}")

    def consumer(self, args, fatal, **extra):
        config = dict(connection_config(args), **{
            "group.id": args.group,
            "auto.offset.reset": "earliest",
            "session.timeout.ms": args.session_timeout_ms,
            "heartbeat.interval.ms": scenario_cli.HEARTBEAT_INTERVAL_MS,
            "fetch.wait.max.ms": scenario_cli.FETCH_MAX_WAIT_MS,
            "error_cb": fatal,
        })
        config.update(extra)
        return Consumer(config)

    def member(self, args):
        fatal = FatalErrors()
        consumer = self.consumer(args, fatal, **{"auto.commit.interval.ms": scenario_cli.AUTO_COMMIT_INTERVAL_MS})
        consumer.subscribe(
            [args.topic],
            on_assign=lambda _consumer, partitions: scenario_cli.emit_assigned(p.partition for p in partitions),
            on_revoke=lambda _consumer, _partitions: scenario_cli.emit_assigned([]),
        )
        while True:
            message = consumer.poll(POLL_SECONDS)
            fatal.check()
            if message is None:
                continue
            if message.error():
                sys.stderr.write(f"consumer error: {message.error()}\n")
                continue
            emit_message(message)

    def drain(self, args):
        fatal = FatalErrors()
        consumer = self.consumer(args, fatal, **{"enable.auto.commit": False, "enable.partition.eof": True})
        assignment = set()
        at_end = set()

        def assigned(_consumer, partitions):
            assignment.clear()
            assignment.update(p.partition for p in partitions)
            at_end.clear()

        consumer.subscribe([args.topic], on_assign=assigned)
        while not assignment or at_end != assignment:
            message = consumer.poll(POLL_SECONDS)
            fatal.check()
            if message is None:
                continue
            if message.error():
                if message.error().code() == KafkaError._PARTITION_EOF:
                    at_end.add(message.partition())
                    continue
                raise KafkaException(message.error())
            at_end.discard(message.partition())
            emit_message(message)
        try:
            consumer.commit(asynchronous=False)
        except KafkaException as error:
            if error.args[0].code() != KafkaError._NO_OFFSET:
                raise
        consumer.close()


if __name__ == "__main__":
    scenario_cli.main(Client(), __doc__)
