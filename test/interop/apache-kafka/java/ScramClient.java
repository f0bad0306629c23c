// Apache Kafka 4.4's Java producer and consumer signing in with SASL SCRAM (Kafka's own
// ScramLoginModule), as an application configures them:
//
//   ScramClient BOOTSTRAP TOPIC MECHANISM USER PASSWORD [CA_PEM]
//
// produces three records ("java-0" to "java-2"), then reads partition 0 of TOPIC from the
// beginning until it has them. With CA_PEM it speaks SASL_SSL and trusts that PEM file
// (KIP-651), otherwise SASL_PLAINTEXT. Writes JSON lines: {"event":"consumed","values":[…]}
// at the end, or {"event":"error","type":…,"message":…} and exit status 3 when refused.
import org.apache.kafka.clients.CommonClientConfigs;
import org.apache.kafka.clients.consumer.ConsumerConfig;
import org.apache.kafka.clients.consumer.ConsumerRecord;
import org.apache.kafka.clients.consumer.KafkaConsumer;
import org.apache.kafka.clients.producer.KafkaProducer;
import org.apache.kafka.clients.producer.ProducerConfig;
import org.apache.kafka.clients.producer.ProducerRecord;
import org.apache.kafka.common.TopicPartition;
import org.apache.kafka.common.config.SaslConfigs;
import org.apache.kafka.common.config.SslConfigs;
import org.apache.kafka.common.serialization.StringDeserializer;
import org.apache.kafka.common.serialization.StringSerializer;

import java.time.Duration;
import java.util.ArrayList;
import java.util.List;
import java.util.Properties;

public class ScramClient {
    /** Records produced and read back. */
    private static final int RECORDS = 3;
    /** How long the consumer polls for them before giving up. */
    private static final Duration READ_TIMEOUT = Duration.ofSeconds(60);

    /** A JAAS option value in double quotes, with its backslashes and quotes escaped. */
    private static String quoted(String value) {
        return "\"" + value.replace("\\", "\\\\").replace("\"", "\\\"") + "\"";
    }

    public static void main(String[] args) throws Exception {
        String bootstrap = args[0], topic = args[1], mechanism = args[2], user = args[3], password = args[4];
        Properties common = new Properties();
        common.put(CommonClientConfigs.BOOTSTRAP_SERVERS_CONFIG, bootstrap);
        common.put(CommonClientConfigs.SECURITY_PROTOCOL_CONFIG, args.length > 5 ? "SASL_SSL" : "SASL_PLAINTEXT");
        common.put(SaslConfigs.SASL_MECHANISM, mechanism);
        common.put(SaslConfigs.SASL_JAAS_CONFIG, "org.apache.kafka.common.security.scram.ScramLoginModule required username=" + quoted(user) + " password=" + quoted(password) + ";");
        if (args.length > 5) {
            common.put(SslConfigs.SSL_TRUSTSTORE_TYPE_CONFIG, "PEM");
            common.put(SslConfigs.SSL_TRUSTSTORE_LOCATION_CONFIG, args[5]);
        }
        try {
            Properties producerProperties = new Properties();
            producerProperties.putAll(common);
            producerProperties.put(ProducerConfig.MAX_BLOCK_MS_CONFIG, "30000");
            try (KafkaProducer<String, String> producer = new KafkaProducer<>(producerProperties, new StringSerializer(), new StringSerializer())) {
                for (int index = 0; index < RECORDS; index += 1) producer.send(new ProducerRecord<>(topic, 0, null, "java-" + index)).get();
            }
            Properties consumerProperties = new Properties();
            consumerProperties.putAll(common);
            try (KafkaConsumer<String, String> consumer = new KafkaConsumer<>(consumerProperties, new StringDeserializer(), new StringDeserializer())) {
                TopicPartition partition = new TopicPartition(topic, 0);
                consumer.assign(List.of(partition));
                consumer.seekToBeginning(List.of(partition));
                List<String> values = new ArrayList<>();
                long deadline = System.nanoTime() + READ_TIMEOUT.toNanos();
                while (values.size() < RECORDS && System.nanoTime() < deadline) {
                    for (ConsumerRecord<String, String> record : consumer.poll(Duration.ofMillis(500))) values.add(record.value());
                }
                System.out.println("{\"event\":\"consumed\",\"values\":[" + String.join(",", values.stream().map(value -> "\"" + value + "\"").toList()) + "]}");
            }
        } catch (Exception error) {
            Throwable cause = error.getCause() != null ? error.getCause() : error;
            String message = String.valueOf(cause.getMessage()).replace("\\", "\\\\").replace("\"", "\\\"");
            System.out.println("{\"event\":\"error\",\"type\":\"" + cause.getClass().getSimpleName() + "\",\"message\":\"" + message + "\"}");
            System.exit(3);
        }
    }
}
