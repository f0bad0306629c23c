"""aiokafka (asyncio) as an edge application uses it, behind the shared interop command
line (scenario_cli.py). Runs under the virtual environment with aiokafka from PyPI.
"""
import asyncio

import aiokafka
from aiokafka import AIOKafkaConsumer, AIOKafkaProducer, ConsumerRebalanceListener
from aiokafka import codec as aiokafka_codec

import scenario_cli

# How long one fetch of drain waits; short, so that the end of the log is noticed quickly.
POLL_MS = 200


class PrintAssignments(ConsumerRebalanceListener):
    async def on_partitions_revoked(self, revoked):
        scenario_cli.emit_assigned([])

    async def on_partitions_assigned(self, assigned):
        scenario_cli.emit_assigned(tp.partition for tp in assigned)


def consumer_of(args, **extra):
    return AIOKafkaConsumer(**scenario_cli.kafka_python_consumer(args, **extra))


async def produce(args, records, acknowledgements):
    producer = AIOKafkaProducer(
        request_timeout_ms=scenario_cli.FLUSH_SECONDS * 1000,
        **scenario_cli.kafka_python_producer(args, "max_batch_size"),
    )
    await producer.start()
    try:
        futures = []
        for record in records:
            key, value, headers = scenario_cli.record_fields(record)
            future = await producer.send(args.topic, key=key, value=value, headers=headers, partition=record.get("partition"))
            future.add_done_callback(lambda done: acknowledgements.one() if not done.exception() else None)
            futures.append(future)
        await asyncio.wait_for(asyncio.gather(*futures), scenario_cli.FLUSH_SECONDS)
    finally:
        await producer.stop()


async def member(args):
    consumer = consumer_of(args, enable_auto_commit=True, auto_commit_interval_ms=scenario_cli.AUTO_COMMIT_INTERVAL_MS)
    consumer.subscribe(topics=[args.topic], listener=PrintAssignments())
    await consumer.start()
    async for record in consumer:
        scenario_cli.emit_consumer_record(record)


async def drain(args):
    consumer = consumer_of(args, enable_auto_commit=False)
    consumer.subscribe(topics=[args.topic])
    await consumer.start()
    try:
        while True:
            for records in (await consumer.getmany(timeout_ms=POLL_MS)).values():
                for record in records:
                    scenario_cli.emit_consumer_record(record)
            assignment = list(consumer.assignment())
            if not assignment:
                continue
            ends = await consumer.end_offsets(assignment)
            positions = [await consumer.position(tp) for tp in assignment]
            if all(position >= ends[tp] for position, tp in zip(positions, assignment)):
                break
        await consumer.commit()
    finally:
        await consumer.stop()


class Client:
    def features(self):
        return {
            "client": "aiokafka",
            "version": aiokafka.__version__,
            "codecs": scenario_cli.supported_codecs(aiokafka_codec),
            "idempotent": True,
            "tls": True,
            "saslPlain": True,
        }

    def produce(self, args, records, acknowledgements):
        asyncio.run(produce(args, records, acknowledgements))

    def member(self, args):
        asyncio.run(member(args))

    def drain(self, args):
        asyncio.run(drain(args))


if __name__ == "__main__":
    scenario_cli.main(Client(), __doc__)
