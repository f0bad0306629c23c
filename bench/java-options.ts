// The JVM flags Kafka's own scripts give the Java programs the benchmarks run, so that each
// runs as its users run it: kafka-run-class.sh's performance flags, and the heap each
// script sets. (The broker's are BENCH_JVM_OPTIONS in test/helpers/apache-kafka.ts.)

/** KAFKA_JVM_PERFORMANCE_OPTS of kafka-run-class.sh. */
const KAFKA_RUN_CLASS_PERFORMANCE_OPTIONS = ['-server', '-XX:+UseG1GC', '-XX:MaxGCPauseMillis=20', '-XX:InitiatingHeapOccupancyPercent=35', '-XX:+ExplicitGCInvokesConcurrent', '-XX:MaxInlineLevel=15', '-Djava.awt.headless=true'];

/** kafka-producer-perf-test.sh and kafka-consumer-perf-test.sh: a 512 MiB heap. */
export const PERF_TOOL_JVM_OPTIONS: readonly string[] = ['-Xmx512m', ...KAFKA_RUN_CLASS_PERFORMANCE_OPTIONS];

/** connect-mirror-maker.sh: a heap of 256 MiB growing to 2 GiB. */
export const MIRROR_MAKER_JVM_OPTIONS: readonly string[] = ['-Xms256m', '-Xmx2g', ...KAFKA_RUN_CLASS_PERFORMANCE_OPTIONS];
