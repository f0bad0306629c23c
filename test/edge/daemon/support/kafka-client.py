# confluent-kafka (librdkafka) runs the operations given as JSON on the command line against
# a broker and prints each outcome as a JSON line: the Kafka error's name and message, or
# "NONE". Topic operations go through its AdminClient; `create-many` creates `count` topics
# named prefix-0, prefix-1, ... in one CreateTopics request and prints the refusals by
# error. `produce` writes `records` records to each of `topics` (value topic:index) and
# `consume` reads every topic from its start until it has that many, printing what it read.
# Run with Debian's /usr/bin/python3.
import json
import sys

from confluent_kafka import OFFSET_BEGINNING, Consumer, KafkaException, Producer, TopicPartition
from confluent_kafka.admin import AdminClient, NewPartitions, NewTopic

TIMEOUT_S = 30
# Topics per CreateTopics request of create-many, and how long one may take: a loaded machine
# creates a few hundred topics a second, and librdkafka gives up on a request after
# socket.timeout.ms (60 s by default).
TOPICS_PER_REQUEST = 1000
SLOW_TIMEOUT_S = 300

bootstrap, operations = sys.argv[1], json.loads(sys.argv[2])
admin = AdminClient({'bootstrap.servers': bootstrap, 'socket.timeout.ms': SLOW_TIMEOUT_S * 1000})
for operation in operations:
    kind, name = operation['op'], operation.get('topic')
    if kind == 'create-many':
        names = [f"{operation['prefix']}-{index}" for index in range(operation['count'])]
        errors = {}
        for start in range(0, len(names), TOPICS_PER_REQUEST):
            chunk = names[start:start + TOPICS_PER_REQUEST]
            futures = admin.create_topics([NewTopic(topic, 1, 1) for topic in chunk], operation_timeout=SLOW_TIMEOUT_S, request_timeout=SLOW_TIMEOUT_S)
            for topic in chunk:
                try:
                    futures[topic].result(timeout=SLOW_TIMEOUT_S)
                except KafkaException as failure:
                    errors[failure.args[0].name()] = errors.get(failure.args[0].name(), 0) + 1
        print(json.dumps({'op': kind, 'topic': operation['prefix'], 'error': 'NONE' if not errors else json.dumps(errors)}), flush=True)
        continue
    if kind == 'produce':
        producer = Producer({'bootstrap.servers': bootstrap, 'acks': 'all', 'enable.idempotence': True})
        failures = []
        for topic in operation['topics']:
            for index in range(operation['records']):
                producer.produce(topic, value=f'{topic}:{index}'.encode(), on_delivery=lambda error, _message: failures.append(error.name()) if error else None)
        left = producer.flush(TIMEOUT_S * 4)
        print(json.dumps({'op': kind, 'error': 'NONE' if not failures and left == 0 else f'{failures[:5]} and {left} undelivered'}), flush=True)
        continue
    if kind == 'consume':
        consumer = Consumer({'bootstrap.servers': bootstrap, 'group.id': 'sample-reader', 'enable.auto.commit': False})
        consumer.assign([TopicPartition(topic, 0, OFFSET_BEGINNING) for topic in operation['topics']])
        values = []
        wanted = len(operation['topics']) * operation['records']
        for _ in range(TIMEOUT_S * 10):
            if len(values) >= wanted:
                break
            for message in consumer.consume(num_messages=1000, timeout=0.1):
                if message.error() is None:
                    values.append(message.value().decode())
        consumer.close()
        print(json.dumps({'op': kind, 'error': 'NONE', 'values': sorted(values)}), flush=True)
        continue
    validate = operation.get('validateOnly', False)
    if kind == 'create':
        futures = admin.create_topics([NewTopic(name, operation['partitions'], 1)], validate_only=validate, request_timeout=TIMEOUT_S)
    elif kind == 'partitions':
        futures = admin.create_partitions([NewPartitions(name, operation['partitions'])], validate_only=validate, request_timeout=TIMEOUT_S)
    elif kind == 'delete':
        futures = admin.delete_topics([name], request_timeout=TIMEOUT_S)
    else:
        raise SystemExit(f'unknown operation {kind}')
    try:
        futures[name].result(timeout=TIMEOUT_S)
        print(json.dumps({'op': kind, 'topic': name, 'error': 'NONE'}), flush=True)
    except KafkaException as failure:
        error = failure.args[0]
        print(json.dumps({'op': kind, 'topic': name, 'error': error.name(), 'message': error.str()}), flush=True)
