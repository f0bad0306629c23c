// A small Kafka Streams 4.4 application, as an edge user would write one, and the Java
// clients the test drives it with. Each mode writes JSON lines on standard output:
//
//   run BOOTSTRAP APP_ID GUARANTEE STATE_DIR
//       the application, until SIGTERM (a clean close) or SIGKILL: "state" lines at every
//       state change, a "processed" line every PROGRESS_EVERY readings it has repartitioned
//   restored BOOTSTRAP APP_ID GUARANTEE STATE_DIR
//       the same application started on STATE_DIR; once RUNNING, one "window" line per entry
//       of its windowed store (what it restored from the changelog), then it closes
//   produce BOOTSTRAP TOPIC RATE
//       an idempotent producer (acks=all) sends the records read from standard input, one a
//       line, "key<TAB>value<TAB>timestamp", at most RATE a second; an "acked" line every
//       PROGRESS_EVERY acknowledgements, a "failed" line per record that was not, then "done"
//   dump BOOTSTRAP TOPIC ISOLATION
//       reads every partition of TOPIC from its log start to its end (its last stable offset
//       under read_committed): a "start" line per partition with the log start offset, a
//       "record" line per record, then "end"
//   create BOOTSTRAP NAME:PARTITIONS[:compact]...
//       creates the topics the application reads and writes (never its internal ones)
//   describe BOOTSTRAP PREFIX
//       a "topic" line with the partition count and configs of every topic named PREFIX...
//
// The topology (readings keyed by sensor, values "uid,device,reading"):
//   readings --selectKey(device)--> repartition "by-device" (a topic Streams creates, purged
//   by Streams with DeleteRecords once committed)
//     --join KTable(devices, a compacted topic)--> enriched  "uid,device,reading,site"
//     --windowed aggregation per device, the uids seen--> windows  "device@windowStart" -> "uid;uid;..."
import com.fasterxml.jackson.databind.ObjectMapper;
import org.apache.kafka.clients.admin.Admin;
import org.apache.kafka.clients.admin.AdminClientConfig;
import org.apache.kafka.clients.admin.Config;
import org.apache.kafka.clients.admin.ConfigEntry;
import org.apache.kafka.clients.admin.NewTopic;
import org.apache.kafka.clients.admin.TopicDescription;
import org.apache.kafka.clients.consumer.ConsumerConfig;
import org.apache.kafka.clients.consumer.ConsumerRecord;
import org.apache.kafka.clients.consumer.KafkaConsumer;
import org.apache.kafka.clients.producer.KafkaProducer;
import org.apache.kafka.clients.producer.ProducerConfig;
import org.apache.kafka.clients.producer.ProducerRecord;
import org.apache.kafka.common.PartitionInfo;
import org.apache.kafka.common.TopicPartition;
import org.apache.kafka.common.config.ConfigResource;
import org.apache.kafka.common.config.TopicConfig;
import org.apache.kafka.common.serialization.Serdes;
import org.apache.kafka.common.serialization.StringDeserializer;
import org.apache.kafka.common.serialization.StringSerializer;
import org.apache.kafka.common.utils.Bytes;
import org.apache.kafka.streams.KafkaStreams;
import org.apache.kafka.streams.KeyValue;
import org.apache.kafka.streams.StoreQueryParameters;
import org.apache.kafka.streams.StreamsBuilder;
import org.apache.kafka.streams.StreamsConfig;
import org.apache.kafka.streams.errors.StreamsUncaughtExceptionHandler.StreamThreadExceptionResponse;
import org.apache.kafka.streams.kstream.Consumed;
import org.apache.kafka.streams.kstream.KStream;
import org.apache.kafka.streams.kstream.KTable;
import org.apache.kafka.streams.kstream.Materialized;
import org.apache.kafka.streams.kstream.Produced;
import org.apache.kafka.streams.kstream.Repartitioned;
import org.apache.kafka.streams.kstream.TimeWindows;
import org.apache.kafka.streams.kstream.Windowed;
import org.apache.kafka.streams.state.KeyValueIterator;
import org.apache.kafka.streams.state.QueryableStoreTypes;
import org.apache.kafka.streams.state.ReadOnlyWindowStore;
import org.apache.kafka.streams.state.WindowStore;

import java.io.BufferedReader;
import java.io.InputStreamReader;
import java.nio.charset.StandardCharsets;
import java.time.Duration;
import java.util.ArrayList;
import java.util.LinkedHashMap;
import java.util.List;
import java.util.Map;
import java.util.Optional;
import java.util.Properties;
import java.util.Set;
import java.util.TreeMap;
import java.util.concurrent.CountDownLatch;
import java.util.concurrent.atomic.AtomicLong;
import java.util.stream.Collectors;

public class EdgeStreams {
    private static final ObjectMapper JSON = new ObjectMapper();
    /** One progress line per this many records: enough for the test to pick a moment to kill, few enough to read. */
    private static final int PROGRESS_EVERY = 50;
    /** The aggregation's windows; the test gives readings timestamps inside a few of them. */
    static final Duration WINDOW_SIZE = Duration.ofMinutes(1);
    /** Readings arrive out of timestamp order across windows (and again after a restart): none may be dropped as late. */
    static final Duration WINDOW_GRACE = Duration.ofHours(1);
    static final String WINDOW_STORE = "uids-per-window";
    /** Partitions of every topic of the topology, so that the repartition topic and the table are co-partitioned. */
    static final int PARTITIONS = 3;

    public static void main(String[] args) throws Exception {
        switch (args[0]) {
            case "run" -> run(args[1], args[2], args[3], args[4]);
            case "restored" -> restored(args[1], args[2], args[3], args[4]);
            case "produce" -> produce(args[1], args[2], Integer.parseInt(args[3]));
            case "dump" -> dump(args[1], args[2], args[3]);
            case "create" -> create(args[1], List.of(args).subList(2, args.length));
            case "describe" -> describe(args[1], args[2]);
            default -> throw new IllegalArgumentException("unknown mode " + args[0]);
        }
    }

    static synchronized void emit(Object... pairs) {
        Map<String, Object> map = new LinkedHashMap<>();
        for (int i = 0; i < pairs.length; i += 2) map.put((String) pairs[i], pairs[i + 1]);
        try {
            System.out.println(JSON.writeValueAsString(map));
        } catch (Exception error) {
            throw new IllegalStateException(error);
        }
        System.out.flush();
    }

    // --- the application ------------------------------------------------------------------

    static KafkaStreams application(String bootstrap, String applicationId, String guarantee, String stateDirectory) {
        StreamsBuilder builder = new StreamsBuilder();
        KTable<String, String> devices = builder.table("devices", Consumed.with(Serdes.String(), Serdes.String()), Materialized.as("devices-store"));
        KStream<String, String> readings = builder.stream("readings", Consumed.with(Serdes.String(), Serdes.String()));
        AtomicLong processed = new AtomicLong();
        KStream<String, String> byDevice = readings
            .selectKey((sensor, value) -> value.split(",")[1])
            .repartition(Repartitioned.<String, String>as("by-device").withKeySerde(Serdes.String()).withValueSerde(Serdes.String()).withNumberOfPartitions(PARTITIONS))
            .peek((device, value) -> {
                long count = processed.incrementAndGet();
                if (count % PROGRESS_EVERY == 0) emit("event", "processed", "count", count);
            });
        byDevice.join(devices, (reading, site) -> reading + "," + site).to("enriched", Produced.with(Serdes.String(), Serdes.String()));
        byDevice.groupByKey()
            .windowedBy(TimeWindows.ofSizeAndGrace(WINDOW_SIZE, WINDOW_GRACE))
            .aggregate(() -> "", (device, reading, uids) -> uids.isEmpty() ? reading.split(",")[0] : uids + ";" + reading.split(",")[0],
                Materialized.<String, String, WindowStore<Bytes, byte[]>>as(WINDOW_STORE).withKeySerde(Serdes.String()).withValueSerde(Serdes.String()))
            .toStream()
            .map((Windowed<String> window, String uids) -> KeyValue.pair(window.key() + "@" + window.window().start(), uids))
            .to("windows", Produced.with(Serdes.String(), Serdes.String()));

        Properties properties = new Properties();
        properties.put(StreamsConfig.APPLICATION_ID_CONFIG, applicationId);
        properties.put(StreamsConfig.BOOTSTRAP_SERVERS_CONFIG, bootstrap);
        properties.put(StreamsConfig.PROCESSING_GUARANTEE_CONFIG, guarantee);
        properties.put(StreamsConfig.STATE_DIR_CONFIG, stateDirectory);
        properties.put(StreamsConfig.NUM_STREAM_THREADS_CONFIG, 1);
        // Commits (and with them the purge of the repartition topic) often, so that a short run shows them.
        properties.put(StreamsConfig.COMMIT_INTERVAL_MS_CONFIG, 200);
        properties.put(StreamsConfig.REPARTITION_PURGE_INTERVAL_MS_CONFIG, 500);
        // Every update reaches the changelog and the output, not only the last one of a commit interval.
        properties.put(StreamsConfig.STATESTORE_CACHE_MAX_BYTES_CONFIG, 0);
        // A killed instance's partitions go to its successor within seconds rather than Kafka's 45 s.
        properties.put(StreamsConfig.consumerPrefix(ConsumerConfig.SESSION_TIMEOUT_MS_CONFIG), 6000);
        properties.put(StreamsConfig.consumerPrefix(ConsumerConfig.HEARTBEAT_INTERVAL_MS_CONFIG), 1500);
        KafkaStreams streams = new KafkaStreams(builder.build(), properties);
        streams.setStateListener((now, before) -> emit("event", "state", "state", now.name(), "before", before.name()));
        streams.setUncaughtExceptionHandler(error -> {
            emit("event", "error", "error", String.valueOf(error));
            // Stops here, so that the test fails at once with the error rather than waiting for output.
            return StreamThreadExceptionResponse.SHUTDOWN_CLIENT;
        });
        return streams;
    }

    static void run(String bootstrap, String applicationId, String guarantee, String stateDirectory) throws Exception {
        KafkaStreams streams = application(bootstrap, applicationId, guarantee, stateDirectory);
        CountDownLatch closed = new CountDownLatch(1);
        Runtime.getRuntime().addShutdownHook(new Thread(() -> {
            streams.close(Duration.ofSeconds(60));
            emit("event", "closed");
            closed.countDown();
        }));
        streams.start();
        closed.await();
    }

    static void restored(String bootstrap, String applicationId, String guarantee, String stateDirectory) throws Exception {
        KafkaStreams streams = application(bootstrap, applicationId, guarantee, stateDirectory);
        CountDownLatch running = new CountDownLatch(1);
        KafkaStreams.StateListener emitting = (now, before) -> {
            emit("event", "state", "state", now.name(), "before", before.name());
            if (now == KafkaStreams.State.RUNNING) running.countDown();
        };
        streams.setStateListener(emitting);
        streams.start();
        running.await();
        ReadOnlyWindowStore<String, String> store = streams.store(StoreQueryParameters.fromNameAndType(WINDOW_STORE, QueryableStoreTypes.windowStore()));
        try (KeyValueIterator<Windowed<String>, String> entries = store.all()) {
            while (entries.hasNext()) {
                KeyValue<Windowed<String>, String> entry = entries.next();
                emit("event", "window", "key", entry.key.key() + "@" + entry.key.window().start(), "uids", entry.value);
            }
        }
        streams.close(Duration.ofSeconds(60));
        emit("event", "closed");
    }

    // --- the clients the test drives it with ----------------------------------------------

    static void produce(String bootstrap, String topic, int ratePerSecond) throws Exception {
        Properties properties = new Properties();
        properties.put(ProducerConfig.BOOTSTRAP_SERVERS_CONFIG, bootstrap);
        properties.put(ProducerConfig.KEY_SERIALIZER_CLASS_CONFIG, StringSerializer.class.getName());
        properties.put(ProducerConfig.VALUE_SERIALIZER_CLASS_CONFIG, StringSerializer.class.getName());
        properties.put(ProducerConfig.ACKS_CONFIG, "all");
        properties.put(ProducerConfig.ENABLE_IDEMPOTENCE_CONFIG, true);
        AtomicLong acked = new AtomicLong();
        AtomicLong failed = new AtomicLong();
        long sent = 0;
        long started = System.nanoTime();
        try (KafkaProducer<String, String> producer = new KafkaProducer<>(properties);
             BufferedReader input = new BufferedReader(new InputStreamReader(System.in, StandardCharsets.UTF_8))) {
            for (String text; (text = input.readLine()) != null; ) {
                if (text.isBlank()) continue;
                String[] fields = text.split("\t");
                String value = fields[1];
                producer.send(new ProducerRecord<>(topic, null, Long.parseLong(fields[2]), fields[0], value), (metadata, error) -> {
                    if (error != null) {
                        failed.incrementAndGet();
                        emit("event", "failed", "value", value, "error", String.valueOf(error));
                    } else if (acked.incrementAndGet() % PROGRESS_EVERY == 0) {
                        emit("event", "acked", "count", acked.get());
                    }
                });
                sent++;
                long due = started + sent * 1_000_000_000L / ratePerSecond;
                long wait = due - System.nanoTime();
                if (wait > 0) Thread.sleep(wait / 1_000_000, (int) (wait % 1_000_000));
            }
            producer.flush();
        }
        emit("event", "done", "sent", sent, "acked", acked.get(), "failed", failed.get());
    }

    static void dump(String bootstrap, String topic, String isolation) throws Exception {
        Properties properties = new Properties();
        properties.put(ConsumerConfig.BOOTSTRAP_SERVERS_CONFIG, bootstrap);
        properties.put(ConsumerConfig.KEY_DESERIALIZER_CLASS_CONFIG, StringDeserializer.class.getName());
        properties.put(ConsumerConfig.VALUE_DESERIALIZER_CLASS_CONFIG, StringDeserializer.class.getName());
        properties.put(ConsumerConfig.ISOLATION_LEVEL_CONFIG, isolation);
        properties.put(ConsumerConfig.ENABLE_AUTO_COMMIT_CONFIG, false);
        try (KafkaConsumer<String, String> consumer = new KafkaConsumer<>(properties)) {
            List<TopicPartition> partitions = new ArrayList<>();
            for (PartitionInfo info : consumer.partitionsFor(topic, Duration.ofSeconds(30))) partitions.add(new TopicPartition(topic, info.partition()));
            consumer.assign(partitions);
            Map<TopicPartition, Long> starts = consumer.beginningOffsets(partitions);
            Map<TopicPartition, Long> ends = consumer.endOffsets(partitions);
            for (TopicPartition partition : partitions) emit("event", "start", "partition", partition.partition(), "offset", starts.get(partition), "end", ends.get(partition));
            consumer.seekToBeginning(partitions);
            Set<TopicPartition> remaining = partitions.stream().filter(partition -> ends.get(partition) > starts.get(partition)).collect(Collectors.toSet());
            long deadline = System.nanoTime() + Duration.ofSeconds(60).toNanos();
            while (!remaining.isEmpty()) {
                if (System.nanoTime() > deadline) throw new IllegalStateException("did not reach the end of " + remaining + " within 60 s");
                for (ConsumerRecord<String, String> record : consumer.poll(Duration.ofMillis(500))) {
                    emit("event", "record", "partition", record.partition(), "offset", record.offset(), "key", record.key(), "value", record.value());
                }
                remaining.removeIf(partition -> consumer.position(partition) >= ends.get(partition));
            }
        }
        emit("event", "end");
    }

    static void create(String bootstrap, List<String> topics) throws Exception {
        Properties properties = new Properties();
        properties.put(AdminClientConfig.BOOTSTRAP_SERVERS_CONFIG, bootstrap);
        try (Admin admin = Admin.create(properties)) {
            List<NewTopic> created = new ArrayList<>();
            for (String topic : topics) {
                String[] fields = topic.split(":");
                NewTopic newTopic = new NewTopic(fields[0], Optional.of(Integer.parseInt(fields[1])), Optional.empty());
                if (fields.length > 2) newTopic.configs(Map.of(TopicConfig.CLEANUP_POLICY_CONFIG, fields[2]));
                created.add(newTopic);
            }
            admin.createTopics(created).all().get();
        }
        emit("event", "created", "topics", topics);
    }

    static void describe(String bootstrap, String prefix) throws Exception {
        Properties properties = new Properties();
        properties.put(AdminClientConfig.BOOTSTRAP_SERVERS_CONFIG, bootstrap);
        try (Admin admin = Admin.create(properties)) {
            List<String> names = admin.listTopics().names().get().stream().filter(name -> name.startsWith(prefix)).sorted().toList();
            Map<String, TopicDescription> descriptions = admin.describeTopics(names).allTopicNames().get();
            List<ConfigResource> resources = names.stream().map(name -> new ConfigResource(ConfigResource.Type.TOPIC, name)).toList();
            Map<ConfigResource, Config> configs = admin.describeConfigs(resources).all().get();
            for (String name : names) {
                Map<String, String> values = new TreeMap<>();
                for (ConfigEntry entry : configs.get(new ConfigResource(ConfigResource.Type.TOPIC, name)).entries()) values.put(entry.name(), entry.value());
                emit("event", "topic", "name", name, "partitions", descriptions.get(name).partitions().size(), "configs", values);
            }
        }
        emit("event", "end");
    }
}
