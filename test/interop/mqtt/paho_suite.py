"""Runs one of the Eclipse paho interoperability suites (eclipse/paho.mqtt.testing,
interoperability/client_test.py for MQTT 3.1.1, client_test5.py for MQTT 5) against a
broker, setting the module globals its own command-line parsing fails to set.

  python3 paho_suite.py SUITE_DIR client_test|client_test5 PORT TIMEOUT_SECONDS [TEST ...]

Each test runs in turn with a time box: a test still running after TIMEOUT_SECONDS is
reported as timed out and the run goes on. Prints one JSON line per test:
{"test": name, "result": "ok" | "failed" | "error" | "timeout", "seconds": s, "detail": text}.
"""
import importlib
import io
import json
import sys
import threading
import time
import unittest


def main():
    suite_dir, name, port, timeout = sys.argv[1], sys.argv[2], int(sys.argv[3]), float(sys.argv[4])
    sys.path.insert(0, suite_dir)
    module = importlib.import_module(name)
    module.host = "127.0.0.1"
    module.port = port
    prefix = "client_test5/" if name == "client_test5" else ""
    module.topic_prefix = prefix
    module.topics = [prefix + topic for topic in ["TopicA", "TopicA/B", "Topic/C", "TopicA/C", "/TopicA"]]
    module.wildtopics = [prefix + topic for topic in ["TopicA/+", "+/C", "#", "/#", "/+", "+/+", "TopicA/#"]]
    module.nosubscribe_topics = ("test/nosubscribe",)
    # client_test5's setUpClass resets the globals above to names without the prefix.
    module.setData = lambda: None
    names = sys.argv[5:] or unittest.TestLoader().getTestCaseNames(module.Test)
    sys.__stdout__.write(json.dumps({"tests": list(names)}) + "\n")
    module.Test.setUpClass()
    for test_name in names:
        result = unittest.TestResult()
        case = module.Test(test_name)
        started = time.time()
        runner = threading.Thread(target=case.run, args=(result,), daemon=True)
        runner.start()
        runner.join(timeout)
        seconds = round(time.time() - started, 1)
        if runner.is_alive():
            outcome, detail = "timeout", "still running after %s s" % timeout
        elif result.failures:
            outcome, detail = "failed", result.failures[0][1][-2000:]
        elif result.errors:
            outcome, detail = "error", result.errors[0][1][-2000:]
        else:
            outcome, detail = "ok", ""
        sys.__stdout__.write(json.dumps({"test": test_name, "result": outcome, "seconds": seconds, "detail": detail}) + "\n")
        sys.__stdout__.flush()
        if outcome == "timeout":
            break
    # Threads of a timed-out test may still hold sockets; leave without waiting for them.
    sys.__stdout__.flush()
    import os
    os._exit(0)


main()
