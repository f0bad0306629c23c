// Apache Kafka 4.4's Java clients against a broker, as applications use them. Each mode
// writes JSON lines on standard output that the project's tests read:
//
//   produce BOOTSTRAP TOPIC      a producer with its defaults (idempotent, acks=all) sends the
//                                records read from standard input, one JSON object a line
//                                ({"key","value","headers"}, and "partition" to choose one);
//                                one "acked" line per record
//   member BOOTSTRAP TOPIC GROUP a classic consumer-group member: "assigned" lines with its
//                                whole assignment, "record" lines, offsets committed after
//                                every poll; runs until killed
//   admin BOOTSTRAP              AdminClient: topics, configs, records, offsets and groups;
//                                one "step" line per call, with its result or its error
//   transactional BOOTSTRAP TOPIC  transactions committed and aborted, one left open, and
//                                what read_committed and read_uncommitted consumers read
import com.fasterxml.jackson.databind.ObjectMapper;
import org.apache.kafka.clients.admin.Admin;
import org.apache.kafka.clients.admin.AdminClientConfig;
import org.apache.kafka.clients.admin.AlterConfigOp;
import org.apache.kafka.clients.admin.Config;
import org.apache.kafka.clients.admin.ConfigEntry;
import org.apache.kafka.clients.admin.DescribeClusterOptions;
import org.apache.kafka.clients.admin.GroupListing;
import org.apache.kafka.clients.admin.ListGroupsOptions;
import org.apache.kafka.clients.admin.ListOffsetsResult;
import org.apache.kafka.clients.admin.NewPartitions;
import org.apache.kafka.clients.admin.NewTopic;
import org.apache.kafka.clients.admin.OffsetSpec;
import org.apache.kafka.clients.admin.RecordsToDelete;
import org.apache.kafka.clients.admin.TopicDescription;
import org.apache.kafka.clients.consumer.ConsumerConfig;
import org.apache.kafka.clients.consumer.ConsumerRebalanceListener;
import org.apache.kafka.clients.consumer.ConsumerRecord;
import org.apache.kafka.clients.consumer.KafkaConsumer;
import org.apache.kafka.clients.consumer.OffsetAndMetadata;
import org.apache.kafka.clients.producer.KafkaProducer;
import org.apache.kafka.clients.producer.ProducerConfig;
import org.apache.kafka.clients.producer.ProducerRecord;
import org.apache.kafka.clients.producer.RecordMetadata;
import org.apache.kafka.common.GroupState;
import org.apache.kafka.common.TopicPartition;
import org.apache.kafka.common.config.ConfigResource;
import org.apache.kafka.common.header.Header;
import org.apache.kafka.common.serialization.StringDeserializer;
import org.apache.kafka.common.serialization.StringSerializer;

import java.io.BufferedReader;
import java.io.InputStreamReader;
import java.nio.charset.StandardCharsets;
import java.time.Duration;
import java.util.ArrayList;
import java.util.Collection;
import java.util.LinkedHashMap;
import java.util.List;
import java.util.Map;
import java.util.Properties;
import java.util.Set;
import java.util.TreeMap;
import java.util.concurrent.Callable;
import java.util.concurrent.Future;

public class ClientScenarios {
    private static final ObjectMapper JSON = new ObjectMapper();

    public static void main(String[] args) throws Exception {
        switch (args[0]) {
            case "produce" -> produce(args[1], args[2]);
            case "member" -> member(args[1], args[2], args[3]);
            case "admin" -> admin(args[1]);
            case "transactional" -> transactional(args[1], args[2]);
            default -> throw new IllegalArgumentException("unknown mode " + args[0]);
        }
    }

    static synchronized void emit(Map<String, Object> line) throws Exception {
        System.out.println(JSON.writeValueAsString(line));
        System.out.flush();
    }

    static Map<String, Object> line(Object... pairs) {
        Map<String, Object> map = new LinkedHashMap<>();
        for (int i = 0; i < pairs.length; i += 2) map.put((String) pairs[i], pairs[i + 1]);
        return map;
    }

    // --- produce -------------------------------------------------------------------------

    static void produce(String bootstrap, String topic) throws Exception {
        Properties properties = new Properties();
        properties.put(ProducerConfig.BOOTSTRAP_SERVERS_CONFIG, bootstrap);
        properties.put(ProducerConfig.KEY_SERIALIZER_CLASS_CONFIG, StringSerializer.class.getName());
        properties.put(ProducerConfig.VALUE_SERIALIZER_CLASS_CONFIG, StringSerializer.class.getName());
        properties.put(ProducerConfig.LINGER_MS_CONFIG, "5");
        List<Future<RecordMetadata>> sent = new ArrayList<>();
        List<String> values = new ArrayList<>();
        try (KafkaProducer<String, String> producer = new KafkaProducer<>(properties);
             BufferedReader input = new BufferedReader(new InputStreamReader(System.in, StandardCharsets.UTF_8))) {
            for (String text; (text = input.readLine()) != null; ) {
                if (text.isBlank()) continue;
                @SuppressWarnings("unchecked") Map<String, Object> record = JSON.readValue(text, Map.class);
                Integer partition = record.get("partition") == null ? null : ((Number) record.get("partition")).intValue();
                ProducerRecord<String, String> message = new ProducerRecord<>(topic, partition, (String) record.get("key"), (String) record.get("value"));
                @SuppressWarnings("unchecked") Map<String, String> headers = (Map<String, String>) record.getOrDefault("headers", Map.of());
                for (Map.Entry<String, String> header : headers.entrySet()) message.headers().add(header.getKey(), header.getValue().getBytes(StandardCharsets.UTF_8));
                sent.add(producer.send(message));
                values.add((String) record.get("value"));
            }
            producer.flush();
            for (int i = 0; i < sent.size(); i++) {
                RecordMetadata metadata = sent.get(i).get();
                emit(line("event", "acked", "value", values.get(i), "partition", metadata.partition(), "offset", metadata.offset()));
            }
        }
        emit(line("event", "done", "acked", sent.size()));
    }

    // --- member --------------------------------------------------------------------------

    static void member(String bootstrap, String topic, String group) throws Exception {
        Properties properties = new Properties();
        properties.put(ConsumerConfig.BOOTSTRAP_SERVERS_CONFIG, bootstrap);
        properties.put(ConsumerConfig.GROUP_ID_CONFIG, group);
        properties.put(ConsumerConfig.KEY_DESERIALIZER_CLASS_CONFIG, StringDeserializer.class.getName());
        properties.put(ConsumerConfig.VALUE_DESERIALIZER_CLASS_CONFIG, StringDeserializer.class.getName());
        properties.put(ConsumerConfig.AUTO_OFFSET_RESET_CONFIG, "earliest");
        properties.put(ConsumerConfig.ENABLE_AUTO_COMMIT_CONFIG, "false");
        // The broker's group.min.session.timeout.ms is lowered for the test, so a killed member is noticed in seconds.
        properties.put(ConsumerConfig.SESSION_TIMEOUT_MS_CONFIG, "3000");
        properties.put(ConsumerConfig.HEARTBEAT_INTERVAL_MS_CONFIG, "500");
        try (KafkaConsumer<String, String> consumer = new KafkaConsumer<>(properties)) {
            consumer.subscribe(List.of(topic), new ConsumerRebalanceListener() {
                @Override public void onPartitionsRevoked(Collection<TopicPartition> partitions) {}
                @Override public void onPartitionsAssigned(Collection<TopicPartition> partitions) {
                    List<Integer> held = new ArrayList<>();
                    for (TopicPartition partition : consumer.assignment()) held.add(partition.partition());
                    try { emit(line("event", "assigned", "partitions", held)); } catch (Exception error) { throw new RuntimeException(error); }
                }
            });
            for (;;) {
                var records = consumer.poll(Duration.ofMillis(200));
                for (ConsumerRecord<String, String> record : records) {
                    Map<String, String> headers = new TreeMap<>();
                    for (Header header : record.headers()) headers.put(header.key(), new String(header.value(), StandardCharsets.UTF_8));
                    emit(line("event", "record", "partition", record.partition(), "offset", String.valueOf(record.offset()), "key", record.key(), "value", record.value(), "headers", headers));
                }
                if (!records.isEmpty()) consumer.commitSync();
            }
        }
    }

    // --- admin ---------------------------------------------------------------------------

    static void step(String name, Callable<Object> call) throws Exception {
        try {
            emit(line("step", name, "result", call.call()));
        } catch (Exception failure) {
            Throwable cause = failure.getCause() != null ? failure.getCause() : failure;
            emit(line("step", name, "error", cause.getClass().getSimpleName(), "message", String.valueOf(cause.getMessage())));
        }
    }

    static Map<String, Object> configsOf(Config config) {
        Map<String, Object> configs = new TreeMap<>();
        for (ConfigEntry entry : config.entries()) configs.put(entry.name(), line("value", entry.value(), "source", entry.source().name(), "readOnly", entry.isReadOnly(), "type", entry.type().name()));
        return configs;
    }

    static void admin(String bootstrap) throws Exception {
        Properties properties = new Properties();
        properties.put(AdminClientConfig.BOOTSTRAP_SERVERS_CONFIG, bootstrap);
        try (Admin admin = Admin.create(properties)) {
            String topic = "admin-topic";
            TopicPartition first = new TopicPartition(topic, 0);
            step("createTopics", () -> {
                admin.createTopics(List.of(
                    new NewTopic(topic, 2, (short) 1).configs(Map.of("retention.ms", "3600000", "compression.type", "lz4")),
                    new NewTopic("assigned-topic", Map.of(0, List.of(1), 1, List.of(1), 2, List.of(1))))).all().get();
                return "ok";
            });
            step("listTopics", () -> new java.util.TreeSet<>(admin.listTopics().names().get()));
            step("describeTopics", () -> {
                Map<String, Object> topics = new TreeMap<>();
                for (TopicDescription description : admin.describeTopics(List.of(topic, "assigned-topic")).allTopicNames().get().values()) {
                    topics.put(description.name(), description.partitions().stream().map((partition) -> partition.partition() + ":" + partition.leader().id() + ":" + partition.replicas().size()).toList());
                }
                return topics;
            });
            step("createPartitions", () -> { admin.createPartitions(Map.of(topic, NewPartitions.increaseTo(3))).all().get(); return admin.describeTopics(List.of(topic)).allTopicNames().get().get(topic).partitions().size(); });
            ConfigResource topicResource = new ConfigResource(ConfigResource.Type.TOPIC, topic);
            ConfigResource brokerResource = new ConfigResource(ConfigResource.Type.BROKER, "1");
            step("describeTopicConfigs", () -> configsOf(admin.describeConfigs(List.of(topicResource)).all().get().get(topicResource)));
            step("describeBrokerConfigs", () -> configsOf(admin.describeConfigs(List.of(brokerResource)).all().get().get(brokerResource)));
            step("incrementalAlterConfigs", () -> {
                admin.incrementalAlterConfigs(Map.of(topicResource, List.of(
                    new AlterConfigOp(new ConfigEntry("retention.bytes", "1048576"), AlterConfigOp.OpType.SET),
                    new AlterConfigOp(new ConfigEntry("retention.ms", null), AlterConfigOp.OpType.DELETE)))).all().get();
                return configsOf(admin.describeConfigs(List.of(topicResource)).all().get().get(topicResource));
            });
            step("alterBrokerConfig", () -> {
                admin.incrementalAlterConfigs(Map.of(brokerResource, List.of(new AlterConfigOp(new ConfigEntry("log.retention.ms", "1000"), AlterConfigOp.OpType.SET)))).all().get();
                return "changed";
            });
            step("produce", () -> {
                Properties producerProperties = new Properties();
                producerProperties.put(ProducerConfig.BOOTSTRAP_SERVERS_CONFIG, bootstrap);
                producerProperties.put(ProducerConfig.KEY_SERIALIZER_CLASS_CONFIG, StringSerializer.class.getName());
                producerProperties.put(ProducerConfig.VALUE_SERIALIZER_CLASS_CONFIG, StringSerializer.class.getName());
                try (KafkaProducer<String, String> producer = new KafkaProducer<>(producerProperties)) {
                    // Timestamps out of order: the largest is the second record.
                    long[] timestamps = {1_000L, 9_000L, 5_000L, 2_000L, 3_000L};
                    for (int i = 0; i < timestamps.length; i++) producer.send(new ProducerRecord<>(topic, 0, timestamps[i], "k", "v" + i)).get();
                }
                return "ok";
            });
            step("listOffsets", () -> {
                Map<String, Object> offsets = new LinkedHashMap<>();
                for (var spec : List.of(Map.entry("earliest", OffsetSpec.earliest()), Map.entry("latest", OffsetSpec.latest()), Map.entry("maxTimestamp", OffsetSpec.maxTimestamp()), Map.entry("forTimestamp", OffsetSpec.forTimestamp(4_000L)))) {
                    ListOffsetsResult.ListOffsetsResultInfo info = admin.listOffsets(Map.of(first, spec.getValue())).partitionResult(first).get();
                    offsets.put(spec.getKey(), info.offset() + "@" + info.timestamp());
                }
                return offsets;
            });
            step("deleteRecords", () -> admin.deleteRecords(Map.of(first, RecordsToDelete.beforeOffset(2))).lowWatermarks().get(first).get().lowWatermark());
            step("earliestAfterDelete", () -> admin.listOffsets(Map.of(first, OffsetSpec.earliest())).partitionResult(first).get().offset());
            step("describeProducers", () -> admin.describeProducers(List.of(first)).partitionResult(first).get().activeProducers().stream().map((producer) -> line("producerId", producer.producerId(), "epoch", producer.producerEpoch(), "lastSequence", producer.lastSequence())).toList());
            step("describeLogDirs", () -> {
                Map<String, Object> sizes = new TreeMap<>();
                for (var directory : admin.describeLogDirs(List.of(1)).allDescriptions().get().get(1).values()) {
                    for (var replica : directory.replicaInfos().entrySet()) if (replica.getKey().topic().equals(topic)) sizes.put(replica.getKey().toString(), replica.getValue().size());
                    sizes.put("totalBytesKnown", directory.totalBytes().isPresent());
                }
                return sizes;
            });
            String group = "admin-group";
            step("alterConsumerGroupOffsets", () -> { admin.alterConsumerGroupOffsets(group, Map.of(first, new OffsetAndMetadata(3, "from-admin"), new TopicPartition(topic, 1), new OffsetAndMetadata(0))).all().get(); return "ok"; });
            step("listConsumerGroupOffsets", () -> {
                Map<String, Object> offsets = new TreeMap<>();
                for (var entry : admin.listConsumerGroupOffsets(group).partitionsToOffsetAndMetadata().get().entrySet()) offsets.put(entry.getKey().toString(), entry.getValue().offset() + ":" + entry.getValue().metadata());
                return offsets;
            });
            step("listGroups", () -> admin.listGroups(ListGroupsOptions.forConsumerGroups().inGroupStates(Set.of(GroupState.EMPTY))).all().get().stream().map(GroupListing::groupId).sorted().toList());
            step("describeConsumerGroups", () -> {
                var description = admin.describeConsumerGroups(List.of(group)).all().get().get(group);
                return line("state", description.groupState().name(), "members", description.members().size(), "type", description.type().name());
            });
            step("deleteConsumerGroupOffsets", () -> {
                admin.deleteConsumerGroupOffsets(group, Set.of(new TopicPartition(topic, 1))).all().get();
                return new TreeMap<>(admin.listConsumerGroupOffsets(group).partitionsToOffsetAndMetadata().get().keySet().stream().collect(java.util.stream.Collectors.toMap(TopicPartition::toString, (partition) -> true)));
            });
            step("deleteConsumerGroups", () -> { admin.deleteConsumerGroups(List.of(group)).all().get(); return admin.listGroups().all().get().stream().map(GroupListing::groupId).filter(group::equals).toList(); });
            step("describeCluster", () -> {
                var cluster = admin.describeCluster(new DescribeClusterOptions().includeAuthorizedOperations(true));
                return line("nodes", cluster.nodes().get().stream().map((node) -> node.id() + "@" + node.host() + ":" + node.port()).toList(), "controller", cluster.controller().get().id(), "clusterIdKnown", cluster.clusterId().get() != null, "operations", new java.util.TreeSet<>(cluster.authorizedOperations().get().stream().map(Enum::name).toList()));
            });
            step("deleteTopics", () -> { admin.deleteTopics(List.of("assigned-topic")).all().get(); return new java.util.TreeSet<>(admin.listTopics().names().get()); });
        }
    }

    // --- transactional -------------------------------------------------------------------

    /**
     * A transactional producer commits three records, aborts two and commits one more; then a
     * second transactional id leaves a transaction open while read_committed and
     * read_uncommitted consumers read the partition to the end offsets their isolation level
     * gives them (ListOffsets), and the open transaction is aborted.
     */
    static void transactional(String bootstrap, String topic) throws Exception {
        try (KafkaProducer<String, String> producer = transactionalProducer(bootstrap, "java-tx-" + topic)) {
            producer.initTransactions();
            producer.beginTransaction();
            for (int i = 0; i < 3; i++) producer.send(new ProducerRecord<>(topic, 0, null, "java-kept-" + i));
            producer.commitTransaction();
            producer.beginTransaction();
            for (int i = 0; i < 2; i++) producer.send(new ProducerRecord<>(topic, 0, null, "java-dropped-" + i));
            producer.flush();
            producer.abortTransaction();
            producer.beginTransaction();
            producer.send(new ProducerRecord<>(topic, 0, null, "java-later-0"));
            producer.commitTransaction();
            emit(line("event", "produced"));
        }
        try (KafkaProducer<String, String> open = transactionalProducer(bootstrap, "java-open-" + topic)) {
            open.initTransactions();
            open.beginTransaction();
            open.send(new ProducerRecord<>(topic, 0, null, "java-open-0"));
            open.flush();
            emit(readToEnd(bootstrap, topic, "read_committed"));
            emit(readToEnd(bootstrap, topic, "read_uncommitted"));
            open.abortTransaction();
        }
        emit(readToEnd(bootstrap, topic, "read_committed"));
    }

    static KafkaProducer<String, String> transactionalProducer(String bootstrap, String transactionalId) {
        Properties properties = new Properties();
        properties.put(ProducerConfig.BOOTSTRAP_SERVERS_CONFIG, bootstrap);
        properties.put(ProducerConfig.TRANSACTIONAL_ID_CONFIG, transactionalId);
        properties.put(ProducerConfig.KEY_SERIALIZER_CLASS_CONFIG, StringSerializer.class.getName());
        properties.put(ProducerConfig.VALUE_SERIALIZER_CLASS_CONFIG, StringSerializer.class.getName());
        return new KafkaProducer<>(properties);
    }

    /** Reads partition 0 from the start to the end offset the isolation level gives (ListOffsets), and says what it read. */
    static Map<String, Object> readToEnd(String bootstrap, String topic, String isolation) {
        Properties properties = new Properties();
        properties.put(ConsumerConfig.BOOTSTRAP_SERVERS_CONFIG, bootstrap);
        properties.put(ConsumerConfig.ISOLATION_LEVEL_CONFIG, isolation);
        properties.put(ConsumerConfig.KEY_DESERIALIZER_CLASS_CONFIG, StringDeserializer.class.getName());
        properties.put(ConsumerConfig.VALUE_DESERIALIZER_CLASS_CONFIG, StringDeserializer.class.getName());
        try (KafkaConsumer<String, String> consumer = new KafkaConsumer<>(properties)) {
            TopicPartition partition = new TopicPartition(topic, 0);
            consumer.assign(List.of(partition));
            consumer.seekToBeginning(List.of(partition));
            long end = consumer.endOffsets(List.of(partition)).get(partition);
            List<String> values = new ArrayList<>();
            long deadline = System.nanoTime() + Duration.ofSeconds(60).toNanos();
            while (consumer.position(partition) < end && System.nanoTime() < deadline) {
                for (ConsumerRecord<String, String> record : consumer.poll(Duration.ofMillis(200))) values.add(record.value());
            }
            return line("event", isolation, "endOffset", end, "position", consumer.position(partition), "values", values);
        }
    }
}
