"""The Eclipse paho MQTT client (python3-paho-mqtt 1.6, Debian) as the interop tests drive it.

Subcommands:
  stream     --port P --client-id C --topic T --count N --inflight W
             publish N QoS 1 messages ("0", "1", ...) keeping W in flight; print
             {"event": "acked", "value": "<n>"} for each PUBACK, then {"event": "done"};
             exits 3 when the connection is lost before the end
  subscribe  --port P --client-id C --topic T --qos Q [--clean] [--count N]
             connect, subscribe, print {"event": "subscribed", "sessionPresent": b};
             then print {"event": "message", "topic": t, "payload": p, "qos": q} for each
             message, and disconnect after N of them (0: right after subscribing)
  receive    --port P --client-id C --count N
             connect with clean session 0 without subscribing and print the first N
             messages of the stored session, then disconnect

Events are JSON lines on standard output. Run with /usr/bin/python3: Debian's paho module
loads only there.
"""
import argparse
import json
import sys
import threading

import paho.mqtt.client as mqtt

# Bound on any single wait for the broker; the test fails rather than hangs.
WAIT_SECONDS = 60


def emit(line):
    sys.stdout.write(json.dumps(line) + "\n")
    sys.stdout.flush()


def connect(args, clean):
    client = mqtt.Client(client_id=args.client_id, clean_session=clean, protocol=mqtt.MQTTv311)
    connected = threading.Event()
    state = {"sessionPresent": False, "rc": None}

    def on_connect(client, userdata, flags, rc):
        state["sessionPresent"] = bool(flags.get("session present"))
        state["rc"] = rc
        connected.set()

    client.on_connect = on_connect
    client.connect("127.0.0.1", args.port, keepalive=30)
    client.loop_start()
    if not connected.wait(WAIT_SECONDS) or state["rc"] != 0:
        emit({"event": "error", "reason": "connect failed", "rc": state["rc"]})
        sys.exit(2)
    return client, state


def stream(args):
    client, _ = connect(args, clean=True)
    client.max_inflight_messages_set(args.inflight)
    lost = threading.Event()
    finished = threading.Event()
    # The window is kept here: paho rescans its whole queue on every acknowledgement, so
    # handing it all N messages up front would make the stream quadratic.
    window = threading.Semaphore(args.inflight)
    acked = {"count": 0}
    # mid -> value of messages sent, and mids acknowledged before their publish() returned.
    # publish() is never called under this lock: paho calls on_publish holding its own.
    values = {}
    early = set()
    lock = threading.Lock()

    def acknowledged(value):
        acked["count"] += 1
        emit({"event": "acked", "value": value})
        window.release()
        if acked["count"] == args.count:
            finished.set()

    def on_publish(client, userdata, mid):
        with lock:
            if mid not in values:
                early.add(mid)
                return
            acknowledged(values.pop(mid))

    def on_disconnect(client, userdata, rc):
        lost.set()
        window.release()

    client.on_publish = on_publish
    client.on_disconnect = on_disconnect
    for index in range(args.count):
        while not window.acquire(timeout=0.1):
            if lost.is_set():
                break
        if lost.is_set():
            break
        info = client.publish(args.topic, str(index).encode(), qos=1)
        with lock:
            if info.mid in early:
                early.discard(info.mid)
                acknowledged(str(index))
            else:
                values[info.mid] = str(index)
    while not finished.is_set() and not lost.is_set():
        finished.wait(0.1)
    if finished.is_set():
        emit({"event": "done"})
        client.disconnect()
        client.loop_stop()
        return 0
    emit({"event": "lost"})
    client.loop_stop()
    return 3


def subscribe(args):
    client, state = connect(args, clean=args.clean)
    received = threading.Event()
    count = {"n": 0}
    subscribed = threading.Event()

    def on_message(client, userdata, message):
        emit({"event": "message", "topic": message.topic, "payload": message.payload.decode(), "qos": message.qos})
        count["n"] += 1
        if count["n"] >= args.count:
            received.set()

    def on_subscribe(client, userdata, mid, granted):
        subscribed.set()

    client.on_message = on_message
    client.on_subscribe = on_subscribe
    client.subscribe(args.topic, qos=args.qos)
    if not subscribed.wait(WAIT_SECONDS):
        emit({"event": "error", "reason": "no SUBACK"})
        return 2
    emit({"event": "subscribed", "sessionPresent": state["sessionPresent"]})
    if args.count > 0 and not received.wait(WAIT_SECONDS):
        emit({"event": "error", "reason": "messages did not arrive"})
        return 2
    client.disconnect()
    client.loop_stop()
    return 0


def receive(args):
    received = threading.Event()
    count = {"n": 0}

    def on_message(client, userdata, message):
        emit({"event": "message", "topic": message.topic, "payload": message.payload.decode(), "qos": message.qos})
        count["n"] += 1
        if count["n"] >= args.count:
            received.set()

    client = mqtt.Client(client_id=args.client_id, clean_session=False, protocol=mqtt.MQTTv311)
    client.on_message = on_message
    connected = threading.Event()
    client.on_connect = lambda client, userdata, flags, rc: (emit({"event": "connected", "sessionPresent": bool(flags.get("session present")), "rc": rc}), connected.set())
    client.connect("127.0.0.1", args.port, keepalive=30)
    client.loop_start()
    if not connected.wait(WAIT_SECONDS) or not received.wait(WAIT_SECONDS):
        emit({"event": "error", "reason": "messages did not arrive"})
        return 2
    client.disconnect()
    client.loop_stop()
    return 0


def main():
    parser = argparse.ArgumentParser()
    parser.add_argument("command", choices=["stream", "subscribe", "receive"])
    parser.add_argument("--port", type=int, required=True)
    parser.add_argument("--client-id", required=True)
    parser.add_argument("--topic")
    parser.add_argument("--count", type=int, default=0)
    parser.add_argument("--inflight", type=int, default=20)
    parser.add_argument("--qos", type=int, default=1)
    parser.add_argument("--clean", action="store_true")
    args = parser.parse_args()
    handlers = {"stream": stream, "subscribe": subscribe, "receive": receive}
    sys.exit(handlers[args.command](args))


if __name__ == "__main__":
    main()
