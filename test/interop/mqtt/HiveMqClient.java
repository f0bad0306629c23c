// The HiveMQ MQTT Client (Java) in MQTT 5 mode against the broker: a subscriber that
// allows topic aliases and a small Receive Maximum, a publisher sending QoS 1 messages with
// User Properties, Content Type, Response Topic, Correlation Data and a Message Expiry
// Interval. Prints one JSON line per event; the interop test (mqtt5.test.ts) reads them.
//
//   java -cp <hivemq jars> HiveMqClient.java PORT COUNT
import com.hivemq.client.mqtt.MqttGlobalPublishFilter;
import com.hivemq.client.mqtt.datatypes.MqttQos;
import com.hivemq.client.mqtt.mqtt5.Mqtt5BlockingClient;
import com.hivemq.client.mqtt.mqtt5.Mqtt5Client;
import com.hivemq.client.mqtt.mqtt5.message.connect.connack.Mqtt5ConnAck;
import com.hivemq.client.mqtt.mqtt5.message.publish.Mqtt5Publish;
import com.hivemq.client.mqtt.mqtt5.message.publish.Mqtt5PublishResult;
import java.nio.charset.StandardCharsets;
import java.util.ArrayList;
import java.util.List;
import java.util.concurrent.TimeUnit;

public class HiveMqClient {
  /** Bound on any single wait for the broker; the test fails rather than hangs. */
  private static final long WAIT_SECONDS = 60;

  private static String quote(String value) {
    return "\"" + value.replace("\\", "\\\\").replace("\"", "\\\"") + "\"";
  }

  public static void main(String[] args) throws Exception {
    int port = Integer.parseInt(args[0]);
    int count = Integer.parseInt(args[1]);
    Mqtt5BlockingClient subscriber = Mqtt5Client.builder().identifier("hivemq-sub").serverHost("127.0.0.1").serverPort(port).buildBlocking();
    Mqtt5ConnAck connAck = subscriber.connectWith().restrictions().receiveMaximum(4).topicAliasMaximum(8).applyRestrictions().send();
    System.out.println("{\"event\":\"connected\",\"reasonCode\":" + quote(connAck.getReasonCode().name())
        + ",\"receiveMaximum\":" + connAck.getRestrictions().getReceiveMaximum()
        + ",\"topicAliasMaximum\":" + connAck.getRestrictions().getTopicAliasMaximum() + "}");
    try (Mqtt5BlockingClient.Mqtt5Publishes publishes = subscriber.publishes(MqttGlobalPublishFilter.ALL)) {
      subscriber.subscribeWith().topicFilter("hive/#").qos(MqttQos.AT_LEAST_ONCE).send();
      Mqtt5BlockingClient publisher = Mqtt5Client.builder().identifier("hivemq-pub").serverHost("127.0.0.1").serverPort(port).buildBlocking();
      publisher.connect();
      for (int index = 0; index < count; index++) {
        Mqtt5PublishResult result = publisher.publishWith().topic("hive/reading").qos(MqttQos.AT_LEAST_ONCE)
            .payload(("value-" + index).getBytes(StandardCharsets.UTF_8))
            .contentType("text/plain").responseTopic("hive/replies").correlationData(new byte[] {7, (byte) index})
            .messageExpiryInterval(600)
            .userProperties().add("sequence", String.valueOf(index)).add("source", "hivemq").applyUserProperties()
            .send();
        System.out.println("{\"event\":\"published\",\"error\":" + result.getError().isPresent() + "}");
      }
      for (int index = 0; index < count; index++) {
        Mqtt5Publish message = publishes.receive(WAIT_SECONDS, TimeUnit.SECONDS).orElseThrow();
        List<String> properties = new ArrayList<>();
        message.getUserProperties().asList().forEach((property) -> properties.add(quote(property.getName() + "=" + property.getValue())));
        byte[] correlation = message.getCorrelationData().map((buffer) -> { byte[] bytes = new byte[buffer.remaining()]; buffer.duplicate().get(bytes); return bytes; }).orElse(new byte[0]);
        System.out.println("{\"event\":\"message\",\"topic\":" + quote(message.getTopic().toString())
            + ",\"payload\":" + quote(new String(message.getPayloadAsBytes(), StandardCharsets.UTF_8))
            + ",\"contentType\":" + quote(message.getContentType().map(Object::toString).orElse(""))
            + ",\"responseTopic\":" + quote(message.getResponseTopic().map(Object::toString).orElse(""))
            + ",\"correlationLength\":" + correlation.length
            + ",\"expiry\":" + message.getMessageExpiryInterval().orElse(-1)
            + ",\"userProperties\":" + properties + "}");
      }
      publisher.disconnect();
    }
    subscriber.disconnect();
    System.out.println("{\"event\":\"done\"}");
  }
}
