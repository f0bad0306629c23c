"""kafka-python managing and meeting Kafka ACLs: one action per run, its outcome printed as
one JSON line. Runs under /usr/bin/python3 with Debian's python3-kafka 2.0.2.

  kafka_python_acls.py BOOTSTRAP USER MECHANISM PASSWORD ACTION [ARGUMENTS...]
    create-acls PRINCIPAL:OPERATION:RESOURCE_TYPE:NAME ...   (allow, any host, literal)
    describe-acls
    produce TOPIC VALUE
    consume TOPIC GROUP
"""
import json
import sys

from kafka import KafkaConsumer, KafkaProducer
from kafka.admin import ACL, ACLFilter, ACLOperation, ACLPermissionType, KafkaAdminClient, ResourcePattern, ResourcePatternFilter, ResourceType
from kafka.admin.acl_resource import ACLResourcePatternType
from kafka.errors import KafkaError

# Bounds every wait, so that a refusal ends the run instead of a retry loop.
TIMEOUT_MS = 10000


def connection(user, mechanism, password):
    return {
        "security_protocol": "SASL_PLAINTEXT",
        "sasl_mechanism": mechanism,
        "sasl_plain_username": user,
        "sasl_plain_password": password,
    }


def emit(**fields):
    print(json.dumps(fields), flush=True)


def create_acls(settings, specs):
    admin = KafkaAdminClient(request_timeout_ms=TIMEOUT_MS, **settings)
    acls = []
    for spec in specs:
        principal_type, principal_name, operation, resource_type, name = spec.split(":", 4)
        acls.append(ACL(
            principal=principal_type + ":" + principal_name,
            host="*",
            operation=ACLOperation[operation],
            permission_type=ACLPermissionType.ALLOW,
            resource_pattern=ResourcePattern(ResourceType[resource_type], name, ACLResourcePatternType.LITERAL),
        ))
    result = admin.create_acls(acls)
    emit(created=len(result["succeeded"]), failed=[str(error) for _, error in result["failed"]])
    admin.close()


def describe_acls(settings):
    admin = KafkaAdminClient(request_timeout_ms=TIMEOUT_MS, **settings)
    everything = ACLFilter(principal=None, host="*", operation=ACLOperation.ANY, permission_type=ACLPermissionType.ANY,
                           resource_pattern=ResourcePatternFilter(ResourceType.ANY, None, ACLResourcePatternType.ANY))
    try:
        acls, _ = admin.describe_acls(everything)
        emit(error=None, acls=sorted("%s %s %s:%s" % (acl.principal, acl.operation.name, acl.resource_pattern.resource_type.name, acl.resource_pattern.resource_name) for acl in acls))
    except KafkaError as error:
        emit(error=type(error).__name__, acls=[])
    finally:
        admin.close()


def produce(settings, topic, value):
    producer = KafkaProducer(max_block_ms=TIMEOUT_MS, retries=0, **settings)
    try:
        metadata = producer.send(topic, value.encode()).get(timeout=TIMEOUT_MS / 1000)
        emit(produced=True, offset=metadata.offset)
    except KafkaError as error:
        emit(produced=False, error=type(error).__name__)
    finally:
        producer.close(timeout=5)


def consume(settings, topic, group):
    consumer = KafkaConsumer(topic, group_id=group, auto_offset_reset="earliest", consumer_timeout_ms=TIMEOUT_MS, **settings)
    try:
        values = []
        for record in consumer:
            values.append(record.value.decode())
            if len(values) == 1:
                break
        consumer.commit()
        emit(consumed=values)
    except KafkaError as error:
        emit(consumed=None, error=type(error).__name__)
    finally:
        consumer.close()


def main():
    bootstrap, user, mechanism, password, action = sys.argv[1:6]
    arguments = sys.argv[6:]
    settings = dict(bootstrap_servers=bootstrap, **connection(user, mechanism, password))
    if action == "create-acls":
        create_acls(settings, arguments)
    elif action == "describe-acls":
        describe_acls(settings)
    elif action == "produce":
        produce(settings, *arguments)
    elif action == "consume":
        consume(settings, *arguments)
    else:
        sys.exit("unknown action " + action)


if __name__ == "__main__":
    main()
