"""kafka-python as an edge application uses it, behind the shared interop command line
(scenario_cli.py). Runs under /usr/bin/python3 (Debian's python3-kafka 2.0.2) and under the
virtual environment with the newest kafka-python from PyPI.

The codecs it can use depend on the installation: snappy, lz4 and zstd need their modules
(python3-snappy, python3-lz4, python3-zstandard on Debian). kafka-python 2.0.2 has no
idempotent producer; later versions have enable_idempotence.
"""
import kafka
from kafka import ConsumerRebalanceListener, KafkaConsumer, KafkaProducer
from kafka import codec as kafka_codec

import scenario_cli

# How long one poll waits; short, so that the end of the log or a stop is noticed quickly.
POLL_MS = 200
# kafka-python 3 retries a refused login until its bootstrap timeout (30 s by default) and
# then reports only "Unable to bootstrap" (the reason is in its log); bound that wait.
BOOTSTRAP_TIMEOUT_MS = 10000


class PrintAssignments(ConsumerRebalanceListener):
    def on_partitions_revoked(self, revoked):
        scenario_cli.emit_assigned([])

    def on_partitions_assigned(self, assigned):
        scenario_cli.emit_assigned(tp.partition for tp in assigned)


class Client:
    def features(self):
        return {
            "client": "kafka-python",
            "version": kafka.__version__,
            "codecs": scenario_cli.supported_codecs(kafka_codec),
            "idempotent": "enable_idempotence" in KafkaProducer.DEFAULT_CONFIG,
            "tls": True,
            "saslPlain": True,
        }

    def produce(self, args, records, acknowledgements):
        options = scenario_cli.kafka_python_producer(args, "batch_size")
        if "bootstrap_timeout_ms" in KafkaProducer.DEFAULT_CONFIG:
            options["bootstrap_timeout_ms"] = BOOTSTRAP_TIMEOUT_MS
        producer = KafkaProducer(**options)
        futures = []
        for record in records:
            key, value, headers = scenario_cli.record_fields(record)
            future = producer.send(args.topic, key=key, value=value, headers=headers, partition=record.get("partition"))
            future.add_callback(lambda _metadata: acknowledgements.one())
            futures.append(future)
        producer.flush(scenario_cli.FLUSH_SECONDS)
        for future in futures:
            future.get(timeout=scenario_cli.FLUSH_SECONDS)
        producer.close()

    def consumer(self, args, **extra):
        return KafkaConsumer(**scenario_cli.kafka_python_consumer(args, **extra))

    def member(self, args):
        consumer = self.consumer(args, enable_auto_commit=True, auto_commit_interval_ms=scenario_cli.AUTO_COMMIT_INTERVAL_MS)
        consumer.subscribe(topics=[args.topic], listener=PrintAssignments())
        while True:
            for records in consumer.poll(timeout_ms=POLL_MS).values():
                for record in records:
                    scenario_cli.emit_consumer_record(record)

    def drain(self, args):
        consumer = self.consumer(args, enable_auto_commit=False)
        consumer.subscribe(topics=[args.topic])
        while True:
            for records in consumer.poll(timeout_ms=POLL_MS).values():
                for record in records:
                    scenario_cli.emit_consumer_record(record)
            assignment = list(consumer.assignment())
            if not assignment:
                continue
            ends = consumer.end_offsets(assignment)
            if all(consumer.position(tp) >= ends[tp] for tp in assignment):
                break
        consumer.commit()
        consumer.close()


if __name__ == "__main__":
    scenario_cli.main(Client(), __doc__)
