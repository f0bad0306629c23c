# confluent-kafka's AdminClient (librdkafka) runs the topic operations given as JSON on the
# command line against a broker and prints each outcome as a JSON line: the Kafka error's
# name and message, or "NONE". Run with Debian's /usr/bin/python3.
import json
import sys

from confluent_kafka import KafkaException
from confluent_kafka.admin import AdminClient, NewPartitions, NewTopic

TIMEOUT_S = 30

bootstrap, operations = sys.argv[1], json.loads(sys.argv[2])
admin = AdminClient({'bootstrap.servers': bootstrap})
for operation in operations:
    kind, name = operation['op'], operation['topic']
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
