"""The Eclipse paho MQTT client 2.x (PyPI) in MQTT 5 mode, as the interop tests drive it.

A line-driven client: it reads commands as JSON lines on standard input and writes events
as JSON lines on standard output, so a test can play a device or a home automation
server step by step.

Start:  paho5_client.py --port P --client-id C [--will-topic T --will-payload X
        --will-retain --will-delay S] [--session-expiry S]
        prints {"event": "connected", "reasonCode": n, "sessionPresent": b,
        "properties": {...}} once the CONNACK arrived
Commands (stdin):
  {"op": "subscribe", "filter": F, "qos": Q, "noLocal": b, "id": N}
      -> {"event": "subscribed", "reasonCodes": [...]}
  {"op": "publish", "topic": T, "payload": P, "qos": Q, "retain": b,
   "userProperties": [[k, v], ...], "responseTopic": R, "correlationData": hex,
   "contentType": C, "messageExpiryInterval": S}
      -> {"event": "published", "mid": m, "reasonCode": n} once acknowledged (QoS 1/2)
         or sent (QoS 0)
  {"op": "disconnect", "reasonCode": n}   a DISCONNECT, then exit
  {"op": "drop"}                           close the socket without DISCONNECT, then exit
Every message received: {"event": "message", "topic": t, "payload": p, "qos": q,
  "retain": b, "userProperties": [[k, v], ...], "responseTopic": r,
  "correlationData": hex, "contentType": c, "messageExpiryInterval": s,
  "subscriptionIdentifier": [...]}
A DISCONNECT from the server: {"event": "disconnected", "reasonCode": n}

Run with the Python of the paho-mqtt 2 environment (scripts/paho-mqtt/fetch.sh).
"""
import argparse
import json
import sys
import threading

import paho.mqtt.client as mqtt
from paho.mqtt.packettypes import PacketTypes
from paho.mqtt.properties import Properties

# Bound on any single wait for the broker; the test fails rather than hangs.
WAIT_SECONDS = 60


def emit(line):
    sys.stdout.write(json.dumps(line) + "\n")
    sys.stdout.flush()


def properties_of(message_properties):
    found = {}
    if message_properties is None:
        return found
    names = {
        "UserProperty": "userProperties",
        "ResponseTopic": "responseTopic",
        "ContentType": "contentType",
        "MessageExpiryInterval": "messageExpiryInterval",
        "SubscriptionIdentifier": "subscriptionIdentifier",
        "PayloadFormatIndicator": "payloadFormatIndicator",
    }
    for attribute, name in names.items():
        if hasattr(message_properties, attribute):
            value = getattr(message_properties, attribute)
            found[name] = [list(pair) for pair in value] if attribute == "UserProperty" else value
    if hasattr(message_properties, "CorrelationData"):
        found["correlationData"] = message_properties.CorrelationData.hex()
    return found


def main():
    parser = argparse.ArgumentParser()
    parser.add_argument("--port", type=int, required=True)
    parser.add_argument("--client-id", required=True)
    parser.add_argument("--will-topic")
    parser.add_argument("--will-payload", default="")
    parser.add_argument("--will-retain", action="store_true")
    parser.add_argument("--will-delay", type=int, default=0)
    parser.add_argument("--session-expiry", type=int, default=0)
    args = parser.parse_args()

    client = mqtt.Client(mqtt.CallbackAPIVersion.VERSION2, client_id=args.client_id, protocol=mqtt.MQTTv5)
    if args.will_topic:
        will_properties = Properties(PacketTypes.WILLMESSAGE)
        will_properties.WillDelayInterval = args.will_delay
        client.will_set(args.will_topic, args.will_payload, qos=1, retain=args.will_retain, properties=will_properties)
    connected = threading.Event()
    pending = {}

    def on_connect(client, userdata, flags, reason_code, properties):
        emit({"event": "connected", "reasonCode": reason_code.value, "sessionPresent": bool(flags.session_present), "properties": properties.json() if properties else {}})
        connected.set()

    def on_message(client, userdata, message):
        line = {"event": "message", "topic": message.topic, "payload": message.payload.decode("utf-8", "replace"), "qos": message.qos, "retain": bool(message.retain)}
        line.update(properties_of(getattr(message, "properties", None)))
        emit(line)

    def on_subscribe(client, userdata, mid, reason_codes, properties):
        emit({"event": "subscribed", "reasonCodes": [code.value for code in reason_codes]})

    def on_publish(client, userdata, mid, reason_code, properties):
        emit({"event": "published", "mid": mid, "reasonCode": reason_code.value})

    def on_disconnect(client, userdata, flags, reason_code, properties):
        emit({"event": "disconnected", "reasonCode": reason_code.value})

    client.on_connect = on_connect
    client.on_message = on_message
    client.on_subscribe = on_subscribe
    client.on_publish = on_publish
    client.on_disconnect = on_disconnect
    connect_properties = Properties(PacketTypes.CONNECT)
    connect_properties.SessionExpiryInterval = args.session_expiry
    client.connect("127.0.0.1", args.port, keepalive=30, clean_start=False if args.session_expiry > 0 else True, properties=connect_properties)
    client.loop_start()
    if not connected.wait(WAIT_SECONDS):
        emit({"event": "error", "reason": "no CONNACK"})
        sys.exit(2)

    for raw in sys.stdin:
        command = json.loads(raw)
        op = command["op"]
        if op == "subscribe":
            options = mqtt.SubscribeOptions(qos=command.get("qos", 1), noLocal=command.get("noLocal", False))
            subscribe_properties = None
            if "id" in command:
                subscribe_properties = Properties(PacketTypes.SUBSCRIBE)
                subscribe_properties.SubscriptionIdentifier = command["id"]
            client.subscribe(command["filter"], options=options, properties=subscribe_properties)
        elif op == "publish":
            publish_properties = Properties(PacketTypes.PUBLISH)
            for name, value in command.get("userProperties", []):
                publish_properties.UserProperty = (name, value)
            if "responseTopic" in command:
                publish_properties.ResponseTopic = command["responseTopic"]
            if "correlationData" in command:
                publish_properties.CorrelationData = bytes.fromhex(command["correlationData"])
            if "contentType" in command:
                publish_properties.ContentType = command["contentType"]
            if "messageExpiryInterval" in command:
                publish_properties.MessageExpiryInterval = command["messageExpiryInterval"]
            client.publish(command["topic"], command.get("payload", ""), qos=command.get("qos", 1), retain=command.get("retain", False), properties=publish_properties)
        elif op == "disconnect":
            client.disconnect(reasoncode=mqtt.ReasonCode(PacketTypes.DISCONNECT, identifier=command.get("reasonCode", 0)))
            client.loop_stop()
            return
        elif op == "drop":
            client.socket().close()
            client.loop_stop()
            return


main()
