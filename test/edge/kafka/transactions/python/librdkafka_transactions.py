"""librdkafka (python3-confluent-kafka) transactions against a broker, one scenario per run.

Usage: librdkafka_transactions.py BOOTSTRAP SCENARIO [ARGS...]; prints one JSON line with
what the scenario saw, for the test to check. Scenarios:
  produce TOPIC TXID COMMIT|ABORT COUNT PREFIX   one transaction of COUNT records, then commit or abort
  consume TOPIC ISOLATION EXPECTED               reads from the start until EXPECTED values or 20 s
  fence TOPIC TXID                               a second instance fences the first (a zombie)
  transform IN OUT GROUP TXID BATCH [DELAY_S]    consume-transform-produce with send_offsets_to_transaction,
                                                 one transaction per BATCH records, until IN is drained
  open TOPIC TXID COUNT [TIMEOUT_MS]             a transaction left open (the process then waits to be killed)
  seed TOPIC COUNT                               COUNT plain records in-1 .. in-COUNT, keyed by number
"""
import json
import sys
import time

from confluent_kafka import Consumer, KafkaError, KafkaException, Producer, TopicPartition

# Waits for a broker answer in a test; generous for a loaded machine.
TIMEOUT_S = 30


def producer(bootstrap, txid, timeout_ms=60000):
    p = Producer({'bootstrap.servers': bootstrap, 'transactional.id': txid, 'transaction.timeout.ms': timeout_ms, 'linger.ms': 5})
    p.init_transactions(TIMEOUT_S)
    return p


def consumer(bootstrap, group, isolation, auto_commit=False, session_timeout_ms=45000):
    return Consumer({
        'bootstrap.servers': bootstrap,
        'session.timeout.ms': session_timeout_ms,
        'group.id': group,
        'isolation.level': isolation,
        'auto.offset.reset': 'earliest',
        'enable.auto.commit': auto_commit,
        'enable.partition.eof': True,
    })


def produce(bootstrap, topic, txid, outcome, count, prefix):
    p = producer(bootstrap, txid)
    p.begin_transaction()
    for i in range(int(count)):
        p.produce(topic, value=f'{prefix}-{i}'.encode(), key=str(i).encode())
    if outcome == 'COMMIT':
        p.commit_transaction(TIMEOUT_S)
    else:
        p.flush(TIMEOUT_S)
        p.abort_transaction(TIMEOUT_S)
    return {'done': outcome.lower(), 'count': int(count)}


def consume(bootstrap, topic, isolation, expected):
    c = consumer(bootstrap, f'reader-{time.time_ns()}', isolation)
    c.subscribe([topic])
    values = []
    deadline = time.time() + 20
    eof = False
    while time.time() < deadline:
        message = c.poll(0.5)
        if message is None:
            if eof and len(values) >= int(expected):
                break
            continue
        if message.error():
            if message.error().code() == KafkaError._PARTITION_EOF:
                eof = True
                if len(values) >= int(expected):
                    break
                continue
            raise KafkaException(message.error())
        values.append(message.value().decode())
    c.close()
    return {'values': values}


def fence(bootstrap, topic, txid):
    first = producer(bootstrap, txid)
    first.begin_transaction()
    first.produce(topic, value=b'zombie-0')
    first.flush(TIMEOUT_S)
    # A new instance with the same transactional id: the first one's transaction is aborted and it is fenced.
    second = producer(bootstrap, txid)
    second.begin_transaction()
    second.produce(topic, value=b'successor-0')
    second.commit_transaction(TIMEOUT_S)
    fenced = None
    try:
        first.produce(topic, value=b'zombie-1')
        first.commit_transaction(TIMEOUT_S)
    except KafkaException as error:
        fenced = {'fatal': error.args[0].fatal(), 'name': error.args[0].name()}
    return {'fenced': fenced}


def transform(bootstrap, source, target, group, txid, batch, delay_s='0'):
    p = producer(bootstrap, txid, timeout_ms=10000)
    # A short session: a killed predecessor's membership ends soon, so this instance gets the partition.
    c = consumer(bootstrap, group, 'read_committed', session_timeout_ms=6000)
    c.subscribe([source])
    batch = int(batch)
    delay = float(delay_s)
    transactions = 0
    drained_since = None
    deadline = time.time() + 90
    while time.time() < deadline:
        messages = c.consume(batch, 1.0)
        records = [m for m in messages if not m.error()]
        if not records:
            # Done once the partition is assigned, read to its end, and quiet for a while.
            at_end = any(m.error() and m.error().code() == KafkaError._PARTITION_EOF for m in messages)
            if c.assignment() and (at_end or drained_since is not None):
                drained_since = drained_since or time.time()
                if time.time() - drained_since > 3:
                    break
            continue
        drained_since = None
        p.begin_transaction()
        for m in records:
            p.produce(target, key=m.key(), value=m.value().upper())
            if delay:
                time.sleep(delay)
        p.send_offsets_to_transaction(c.position(c.assignment()), c.consumer_group_metadata(), TIMEOUT_S)
        p.commit_transaction(TIMEOUT_S)
        transactions += 1
        print(json.dumps({'committed': transactions}), flush=True)
    c.close()
    return {'transactions': transactions}


def open_transaction(bootstrap, topic, txid, count, timeout_ms='60000'):
    p = producer(bootstrap, txid, timeout_ms=int(timeout_ms))
    p.begin_transaction()
    for i in range(int(count)):
        p.produce(topic, value=f'open-{i}'.encode())
    p.flush(TIMEOUT_S)
    print(json.dumps({'open': int(count)}), flush=True)
    time.sleep(3600)


def seed(bootstrap, topic, count):
    p = Producer({'bootstrap.servers': bootstrap, 'enable.idempotence': True})
    for i in range(int(count)):
        p.produce(topic, key=str(i).encode(), value=f'in-{i}'.encode())
    remaining = p.flush(TIMEOUT_S)
    return {'seeded': int(count) - remaining}


SCENARIOS = {'seed': seed, 'produce': produce, 'consume': consume, 'fence': fence, 'transform': transform, 'open': open_transaction}

if __name__ == '__main__':
    bootstrap, scenario, *args = sys.argv[1:]
    print(json.dumps(SCENARIOS[scenario](bootstrap, *args)), flush=True)
