// The HiveMQ MQTT Client (Java) authenticating with SCRAM-SHA-256 through MQTT 5 enhanced
// authentication (AUTH packets, section 4.12). The client library runs the exchange and asks
// this mechanism for each message; the SCRAM arithmetic (RFC 5802) is the JDK's PBKDF2,
// HMAC and SHA-256. It connects, checks the server's signature in the CONNACK, publishes,
// re-authenticates, then tries a wrong password. Prints one JSON line per event; the interop
// test (hivemq-scram.test.ts) reads them.
//
//   java -cp <hivemq jars> HiveMqScram.java PORT USER PASSWORD
import com.hivemq.client.mqtt.datatypes.MqttQos;
import com.hivemq.client.mqtt.datatypes.MqttUtf8String;
import com.hivemq.client.mqtt.mqtt5.Mqtt5BlockingClient;
import com.hivemq.client.mqtt.mqtt5.Mqtt5Client;
import com.hivemq.client.mqtt.mqtt5.Mqtt5ClientConfig;
import com.hivemq.client.mqtt.mqtt5.auth.Mqtt5EnhancedAuthMechanism;
import com.hivemq.client.mqtt.mqtt5.exceptions.Mqtt5ConnAckException;
import com.hivemq.client.mqtt.mqtt5.message.auth.Mqtt5Auth;
import com.hivemq.client.mqtt.mqtt5.message.auth.Mqtt5AuthBuilder;
import com.hivemq.client.mqtt.mqtt5.message.auth.Mqtt5EnhancedAuth;
import com.hivemq.client.mqtt.mqtt5.message.auth.Mqtt5EnhancedAuthBuilder;
import com.hivemq.client.mqtt.mqtt5.message.connect.Mqtt5Connect;
import com.hivemq.client.mqtt.mqtt5.message.connect.connack.Mqtt5ConnAck;
import com.hivemq.client.mqtt.mqtt5.message.disconnect.Mqtt5Disconnect;
import com.hivemq.client.mqtt.mqtt5.message.publish.Mqtt5PublishResult;
import java.nio.ByteBuffer;
import java.nio.charset.StandardCharsets;
import java.security.MessageDigest;
import java.security.SecureRandom;
import java.util.Base64;
import java.util.HashMap;
import java.util.Map;
import java.util.concurrent.CompletableFuture;
import javax.crypto.Mac;
import javax.crypto.SecretKeyFactory;
import javax.crypto.spec.PBEKeySpec;
import javax.crypto.spec.SecretKeySpec;

public class HiveMqScram {
  static void event(String name, String fields) {
    System.out.println("{\"event\":\"" + name + "\"" + (fields.isEmpty() ? "" : "," + fields) + "}");
    System.out.flush();
  }

  static String quote(String value) {
    return "\"" + value.replace("\\", "\\\\").replace("\"", "\\\"") + "\"";
  }

  static byte[] hmac(byte[] key, String text) throws Exception {
    Mac mac = Mac.getInstance("HmacSHA256");
    mac.init(new SecretKeySpec(key, "HmacSHA256"));
    return mac.doFinal(text.getBytes(StandardCharsets.UTF_8));
  }

  static String bytes(ByteBuffer buffer) {
    byte[] copy = new byte[buffer.remaining()];
    buffer.duplicate().get(copy);
    return new String(copy, StandardCharsets.UTF_8);
  }

  /** One client's SCRAM-SHA-256: client-first, client-final from server-first, and the check of server-final. */
  static class Scram implements Mqtt5EnhancedAuthMechanism {
    final String user;
    final String password;
    String bare;
    String expectedServerFinal;

    Scram(String user, String password) {
      this.user = user;
      this.password = password;
    }

    String clientFirst() {
      byte[] nonce = new byte[18];
      new SecureRandom().nextBytes(nonce);
      bare = "n=" + user + ",r=" + Base64.getEncoder().encodeToString(nonce);
      return "n,," + bare;
    }

    String clientFinal(String serverFirst) throws Exception {
      Map<String, String> fields = new HashMap<>();
      for (String field : serverFirst.split(",")) fields.put(field.substring(0, 1), field.substring(2));
      byte[] salt = Base64.getDecoder().decode(fields.get("s"));
      int iterations = Integer.parseInt(fields.get("i"));
      byte[] salted = SecretKeyFactory.getInstance("PBKDF2WithHmacSHA256").generateSecret(new PBEKeySpec(password.toCharArray(), salt, iterations, 256)).getEncoded();
      String withoutProof = "c=biws,r=" + fields.get("r");
      String authMessage = bare + "," + serverFirst + "," + withoutProof;
      byte[] clientKey = hmac(salted, "Client Key");
      byte[] signature = hmac(MessageDigest.getInstance("SHA-256").digest(clientKey), authMessage);
      byte[] proof = new byte[clientKey.length];
      for (int index = 0; index < proof.length; index++) proof[index] = (byte) (clientKey[index] ^ signature[index]);
      expectedServerFinal = "v=" + Base64.getEncoder().encodeToString(hmac(hmac(salted, "Server Key"), authMessage));
      return withoutProof + ",p=" + Base64.getEncoder().encodeToString(proof);
    }

    boolean verifies(Mqtt5EnhancedAuth auth) {
      boolean verified = auth.getData().map(HiveMqScram::bytes).map(data -> data.equals(expectedServerFinal)).orElse(false);
      event("server-final", "\"verified\":" + verified);
      return verified;
    }

    public MqttUtf8String getMethod() { return MqttUtf8String.of("SCRAM-SHA-256"); }
    public int getTimeout() { return 30; }

    public CompletableFuture<Void> onAuth(Mqtt5ClientConfig config, Mqtt5Connect connect, Mqtt5EnhancedAuthBuilder builder) {
      builder.data(clientFirst().getBytes(StandardCharsets.UTF_8));
      return CompletableFuture.completedFuture(null);
    }

    public CompletableFuture<Void> onReAuth(Mqtt5ClientConfig config, Mqtt5AuthBuilder builder) {
      builder.data(clientFirst().getBytes(StandardCharsets.UTF_8));
      return CompletableFuture.completedFuture(null);
    }

    public CompletableFuture<Boolean> onContinue(Mqtt5ClientConfig config, Mqtt5Auth auth, Mqtt5AuthBuilder builder) {
      try {
        String serverFirst = auth.getData().map(HiveMqScram::bytes).orElse("");
        event("server-first", "\"reasonCode\":" + quote(auth.getReasonCode().name()) + ",\"iterations\":" + quote(serverFirst.replaceAll(".*,i=", "")));
        builder.data(clientFinal(serverFirst).getBytes(StandardCharsets.UTF_8));
        return CompletableFuture.completedFuture(true);
      } catch (Exception error) {
        return CompletableFuture.failedFuture(error);
      }
    }

    public CompletableFuture<Boolean> onAuthSuccess(Mqtt5ClientConfig config, Mqtt5ConnAck connAck) {
      return CompletableFuture.completedFuture(connAck.getEnhancedAuth().map(this::verifies).orElse(false));
    }

    public CompletableFuture<Boolean> onReAuthSuccess(Mqtt5ClientConfig config, Mqtt5Auth auth) {
      event("reauthenticated", "\"reasonCode\":" + quote(auth.getReasonCode().name()));
      return CompletableFuture.completedFuture(verifies(auth));
    }

    public void onAuthRejected(Mqtt5ClientConfig config, Mqtt5ConnAck connAck) {}
    public void onReAuthRejected(Mqtt5ClientConfig config, Mqtt5Disconnect disconnect) {}
    public void onAuthError(Mqtt5ClientConfig config, Throwable cause) {}
    public void onReAuthError(Mqtt5ClientConfig config, Throwable cause) {}
  }

  public static void main(String[] args) throws Exception {
    int port = Integer.parseInt(args[0]);
    String user = args[1];
    String password = args[2];
    Mqtt5BlockingClient client = Mqtt5Client.builder().identifier("hivemq-scram").serverHost("127.0.0.1").serverPort(port).enhancedAuth(new Scram(user, password)).buildBlocking();
    Mqtt5ConnAck connAck = client.connect();
    event("connected", "\"reasonCode\":" + quote(connAck.getReasonCode().name()) + ",\"method\":" + quote(connAck.getEnhancedAuth().map(auth -> auth.getMethod().toString()).orElse("")));
    Mqtt5PublishResult result = client.publishWith().topic("sensors/" + user + "/flow").qos(MqttQos.AT_LEAST_ONCE).payload("3.2".getBytes(StandardCharsets.UTF_8)).send();
    event("published", "\"error\":" + result.getError().isPresent());
    client.reauth();
    client.disconnect();

    Mqtt5BlockingClient guesser = Mqtt5Client.builder().identifier("hivemq-guess").serverHost("127.0.0.1").serverPort(port).enhancedAuth(new Scram(user, password + "-wrong")).buildBlocking();
    try {
      guesser.connect();
      event("refused", "\"reasonCode\":\"none: connected\"");
    } catch (Mqtt5ConnAckException refused) {
      event("refused", "\"reasonCode\":" + quote(refused.getMqttMessage().getReasonCode().name()));
    }
    event("done", "");
  }
}
