"""A librdkafka (python3-confluent-kafka) consumer-group member that goes on through a broker restart.

Usage: steady_member.py BOOTSTRAP produce TOPIC COUNT
       steady_member.py BOOTSTRAP consume TOPIC GROUP DELAY_MS

produce writes COUNT records value-0 .. value-(COUNT-1) and prints one JSON line.
consume joins GROUP (classic protocol, range assignor), reads TOPIC from the start and
commits each record synchronously before the next (DELAY_MS apart), printing a JSON line per
event: assigned / revoked / lost, record, committed, commit-failed. A commit that fails (the
broker is down) is left to the next record's commit. The
librdkafka group log (debug=cgrp) goes to standard error, for the test to search for the
errors a lost membership shows (UNKNOWN_MEMBER_ID, ILLEGAL_GENERATION).
"""
import json
import logging
import sys
import time

from confluent_kafka import Consumer, KafkaException, Producer

# Waits for a broker answer in a test; generous for a loaded machine.
TIMEOUT_S = 30


def emit(**fields):
    print(json.dumps(fields), flush=True)


def produce(bootstrap, topic, count):
    p = Producer({'bootstrap.servers': bootstrap, 'linger.ms': 5})
    for i in range(int(count)):
        p.produce(topic, value=f'value-{i}'.encode(), key=str(i).encode())
    left = p.flush(TIMEOUT_S)
    emit(event='produced', count=int(count) - left)


def consume(bootstrap, topic, group, delay_ms):
    logger = logging.getLogger('librdkafka')
    handler = logging.StreamHandler(sys.stderr)
    handler.setFormatter(logging.Formatter('%(message)s'))
    logger.addHandler(handler)
    logger.setLevel(logging.DEBUG)
    c = Consumer({
        'bootstrap.servers': bootstrap,
        'group.id': group,
        'auto.offset.reset': 'earliest',
        'enable.auto.commit': False,
        # Longer than the broker's restart takes: the member must not give up its own session meanwhile.
        'session.timeout.ms': 45000,
        'heartbeat.interval.ms': 500,
        'partition.assignment.strategy': 'range',
        'debug': 'cgrp',
    }, logger=logger)
    c.subscribe([topic],
                on_assign=lambda consumer, partitions: emit(event='assigned', partitions=[p.partition for p in partitions]),
                on_revoke=lambda consumer, partitions: emit(event='revoked', partitions=[p.partition for p in partitions]),
                on_lost=lambda consumer, partitions: emit(event='lost', partitions=[p.partition for p in partitions]))
    while True:
        message = c.poll(0.5)
        if message is None or message.error():
            continue
        emit(event='record', partition=message.partition(), offset=message.offset(), value=message.value().decode())
        try:
            c.commit(message=message, asynchronous=False)
            emit(event='committed', partition=message.partition(), offset=message.offset() + 1)
        except KafkaException as error:
            # The next record's commit covers this one; polling meanwhile lets librdkafka rejoin if it must.
            emit(event='commit-failed', partition=message.partition(), offset=message.offset() + 1, error=str(error))
        time.sleep(int(delay_ms) / 1000)


if __name__ == '__main__':
    bootstrap, mode, *args = sys.argv[1:]
    if mode == 'produce':
        produce(bootstrap, *args)
    elif mode == 'consume':
        consume(bootstrap, *args)
    else:
        sys.exit(f'unknown mode {mode}')
