// Starts Apache Kafka 4.4 the way an operator does: real JVM processes in KRaft mode (each
// node broker and controller at once), on ephemeral ports, with a temporary log directory,
// formatted by Kafka's own StorageTool. One node for protocol and client tests; three nodes
// (replication factor 3, min.insync.replicas 2) for the chaos tests. Heaps are capped so
// that three nodes, the daemon and the clients fit a 2-core machine. Extra listeners may
// require TLS (a PEM keystore, KIP-651) and SASL SCRAM, with users written at format time.
//
// The jars come from `scripts/apache-kafka/fetch.sh` (run by .ci/run); without them every
// function here fails with a message that says to run it.
import { spawn, type ChildProcess } from 'node:child_process';
import { existsSync, mkdirSync, mkdtempSync, readFileSync, rmSync, writeFileSync } from 'node:fs';
import { createServer } from 'node:net';
import { homedir, tmpdir } from 'node:os';
import { join, resolve } from 'node:path';
import { randomBytes } from 'node:crypto';
import { Admin } from '@platformatic/kafka';
import { requireProgram } from './system-programs.ts';

/** The folder fetch.sh fills: $TRIBUTARY_CACHE_DIR/apache-kafka/<set>/lib. */
const CACHE_DIR = process.env.TRIBUTARY_CACHE_DIR ?? join(homedir(), '.cache', 'tributary');
const FETCH_SCRIPT = resolve(import.meta.dirname, '../../scripts/apache-kafka/fetch.sh');
/** A KRaft node formats, elects and registers in a few seconds; generous for a loaded 2-core machine. */
const START_TIMEOUT_MS = 120_000;
/** A broker given SIGTERM writes its clean-shutdown marker; past this it is killed. */
const STOP_TIMEOUT_MS = 30_000;
/**
 * JVM flags for a test broker: a capped heap (three of them run beside the daemon), the
 * serial collector (one core's worth of GC threads is plenty) and the C1 compiler only,
 * which starts faster and uses less memory than C2 for runs of seconds to minutes.
 */
export const TEST_JVM_OPTIONS: readonly string[] = ['-Xms64m', '-Xmx384m', '-XX:+UseSerialGC', '-XX:TieredStopAtLevel=1', '-XX:-UsePerfData', '-Djava.awt.headless=true'];
/** JVM flags for a benchmark broker: Kafka's own defaults (G1, full JIT) with a 1 GiB heap, as kafka-server-start.sh sets. */
export const BENCH_JVM_OPTIONS: readonly string[] = ['-Xms1g', '-Xmx1g', '-XX:+UseG1GC', '-XX:MaxGCPauseMillis=20', '-Djava.awt.headless=true'];

/** A jar set fetched by fetch.sh: 'kafka' (broker, tools, clients, Streams, Connect), 'mirror-maker' or 'connect' (a 4.3.1 Connect worker with connect-file). */
export type JarSet = 'kafka' | 'mirror-maker' | 'connect';

/** The classpath of one jar set fetched by fetch.sh. */
export function kafkaClasspath(set: JarSet = 'kafka'): string {
  const lib = join(CACHE_DIR, 'apache-kafka', set, 'lib');
  if (!existsSync(lib)) {
    throw new Error(`Apache Kafka jars (${set}) are not in ${lib}: run ${FETCH_SCRIPT} (needs Maven and Java 17; .ci/run does this)`);
  }
  return `${lib}/*`;
}

export interface JavaResult { code: number | null; signal: NodeJS.Signals | null; stdout: string; stderr: string }

export interface JavaOptions {
  set?: JarSet;
  /** Folders or jars put on the classpath before the jar set's, e.g. classes from compileJava. */
  classpath?: readonly string[];
  jvmOptions?: readonly string[];
  env?: NodeJS.ProcessEnv;
  /** Killed (SIGKILL) after this long; the result then carries signal SIGKILL. */
  timeoutMs?: number;
  /** Written to the program's standard input, which is then closed. */
  input?: string;
}

/**
 * Where a Java program's log4j2 output goes: messages of `level` and above to standard
 * error (warn for the tools, info for a broker). In log4j2's properties format, which
 * log4j-core reads by itself: the YAML format needs jackson-dataformat-yaml, which the
 * mirror-maker jar set does not carry.
 */
function log4jProperties(level: 'warn' | 'info'): string {
  return [
    'status = warn',
    'appender.stderr.type = Console',
    'appender.stderr.name = STDERR',
    'appender.stderr.target = SYSTEM_ERR',
    'appender.stderr.layout.type = PatternLayout',
    'appender.stderr.layout.pattern = [%d] %p %m (%c)%n',
    `rootLogger.level = ${level}`,
    'rootLogger.appenderRef.stderr.ref = STDERR',
    '',
  ].join('\n');
}
let quietLog4jPath: string | undefined;
function quietLog4j(): string {
  if (quietLog4jPath === undefined || !existsSync(quietLog4jPath)) {
    quietLog4jPath = join(tmpdir(), `tributary-log4j2-quiet-${process.pid}.properties`);
    writeFileSync(quietLog4jPath, log4jProperties('warn'));
    process.once('exit', () => rmSync(quietLog4jPath!, { force: true }));
  }
  return quietLog4jPath;
}

/**
 * Starts a Java main class (or a single-file program, `Foo.java`) on a jar set's classpath.
 * Kafka's command-line tools are main classes: `org.apache.kafka.tools.TopicCommand` is
 * kafka-topics.sh.
 */
export function spawnJava(main: string, args: readonly string[], options: JavaOptions = {}): ChildProcess {
  return spawn(requireProgram('java'), javaArguments(main, args, options), { stdio: ['pipe', 'pipe', 'pipe'], env: { ...process.env, ...options.env } });
}

/** The arguments of `java` that spawnJava uses, for a caller that starts the process itself. */
export function javaArguments(main: string, args: readonly string[], options: JavaOptions = {}): string[] {
  const jvm = options.jvmOptions ?? TEST_JVM_OPTIONS;
  const classpath = [...(options.classpath ?? []), kafkaClasspath(options.set)].join(':');
  return [...jvm, `-Dlog4j2.configurationFile=${quietLog4j()}`, '-cp', classpath, main, ...args];
}

/**
 * Compiles Java sources against a jar set into a temporary folder, once, so that a test
 * starting a program many times does not pay the single-file launcher's compilation each
 * time. Pass `directory` as JavaOptions.classpath; `remove` deletes it.
 */
export async function compileJava(sources: readonly string[], set: JarSet = 'kafka'): Promise<{ directory: string; remove: () => void }> {
  const directory = mkdtempSync(join(tmpdir(), 'tributary-java-classes-'));
  const child = spawn(requireProgram('javac'), ['-cp', kafkaClasspath(set), '-d', directory, ...sources], { stdio: ['ignore', 'pipe', 'pipe'] });
  let output = '';
  child.stdout!.on('data', (chunk) => { output += chunk; });
  child.stderr!.on('data', (chunk) => { output += chunk; });
  const code = await new Promise<number | null>((resolveRun, rejectRun) => {
    child.once('error', (error) => rejectRun(new Error(`javac could not be started (apt-get install openjdk-17-jdk-headless; .ci/run does this): ${error.message}`)));
    child.once('close', resolveRun);
  });
  if (code !== 0) {
    rmSync(directory, { recursive: true, force: true });
    throw new Error(`javac failed (${code}):\n${output}`);
  }
  return { directory, remove: () => rmSync(directory, { recursive: true, force: true }) };
}

/** Runs a Java main class to its end and returns its exit status and output. */
export function runJava(main: string, args: readonly string[], options: JavaOptions = {}): Promise<JavaResult> {
  const child = spawnJava(main, args, options);
  let stdout = '';
  let stderr = '';
  child.stdout!.on('data', (chunk) => { stdout += chunk; });
  child.stderr!.on('data', (chunk) => { stderr += chunk; });
  child.stdin!.end(options.input ?? '');
  const timer = options.timeoutMs === undefined ? undefined : setTimeout(() => child.kill('SIGKILL'), options.timeoutMs);
  return new Promise((resolveRun, rejectRun) => {
    child.once('error', (error) => { clearTimeout(timer); rejectRun(error); });
    child.once('close', (code, signal) => { clearTimeout(timer); resolveRun({ code, signal, stdout, stderr }); });
  });
}

/** Runs one of Kafka's command-line tools to its end; a non-zero exit fails with its output. Returns its standard output. */
export async function runKafkaTool(main: string, args: readonly string[], options: JavaOptions = {}): Promise<string> {
  const result = await runJava(main, args, options);
  if (result.code !== 0) throw new Error(`${main} ${args.join(' ')} exited with ${result.code ?? result.signal}:\n${result.stdout}\n${result.stderr}`);
  return result.stdout;
}

/**
 * Kafka's Uuid: 16 random bytes, URL-safe base64 without padding, and (as Kafka's own
 * Uuid.randomUuid ensures) not starting with '-', which kafka-storage would read as an option.
 */
function randomClusterId(): string {
  for (;;) {
    const id = randomBytes(16).toString('base64url');
    if (!id.startsWith('-')) return id;
  }
}

/** Starts tried when a chosen port is taken before Kafka binds it: a race with other processes, rare twice in a row. */
const PORT_COLLISION_ATTEMPTS_MAX = 3;

/** A free TCP port on 127.0.0.1 (Kafka's listeners must be named before it starts, so port 0 cannot be used). */
export function freePort(): Promise<number> {
  return new Promise((resolvePort, rejectPort) => {
    const server = createServer();
    server.once('error', rejectPort);
    server.listen(0, '127.0.0.1', () => {
      const address = server.address();
      server.close(() => (typeof address === 'object' && address !== null ? resolvePort(address.port) : rejectPort(new Error('no port'))));
    });
  });
}

export interface ApacheKafkaOptions {
  /** 1 (the default) or 3 nodes. */
  nodes?: 1 | 3;
  /** Broker settings over the defaults below, e.g. { 'auto.create.topics.enable': 'false' }. */
  config?: Record<string, string>;
  /**
   * Extra listeners each broker serves besides PLAINTEXT, by name, with their security
   * protocol and per-listener settings (e.g. SASL_SSL with a keystore); the helper adds
   * their ports and advertised addresses. Clients find them in `listenerPorts`.
   * `advertisedPort` makes the broker name another port on 127.0.0.1 for that listener (one
   * node only): a proxy in front of it, such as a link simulator, which every client that
   * connects through it then keeps using.
   */
  extraListeners?: Record<string, ExtraListener>;
  /**
   * SCRAM credentials written into the cluster's metadata when its storage is formatted
   * (`kafka-storage format --add-scram`), so that they exist before any broker serves a client.
   */
  scramUsers?: readonly ScramUser[];
  jvmOptions?: readonly string[];
  /** Folder the cluster's files go under (os.tmpdir() by default): a benchmark keeps every broker's log on one file system. */
  parentDirectory?: string;
}

export type ScramMechanism = 'SCRAM-SHA-256' | 'SCRAM-SHA-512';

export interface ScramUser {
  mechanism: ScramMechanism;
  username: string;
  password: string;
}

export interface ExtraListener {
  /** PLAINTEXT, SSL, SASL_PLAINTEXT or SASL_SSL. */
  securityProtocol: string;
  /** Settings of this listener only; the helper prefixes them with listener.name.<name>. */
  config?: Record<string, string>;
  /**
   * The broker's certificate and its unencrypted PKCS#8 key as PEM files (KIP-651): the
   * helper joins them into one PEM keystore in the cluster's folder.
   */
  keystorePem?: { certificateFile: string; keyFile: string };
  /** SCRAM mechanisms this listener accepts (sasl.enabled.mechanisms), each with Kafka's ScramLoginModule. */
  scramMechanisms?: readonly ScramMechanism[];
  /** A port on 127.0.0.1 the broker names for this listener instead of its own (one node only): a proxy in front of it. */
  advertisedPort?: number;
}

export interface KafkaNode {
  readonly nodeId: number;
  readonly port: number;
  readonly controllerPort: number;
  /** Ports of the extra listeners, by name. */
  readonly listenerPorts: Readonly<Record<string, number>>;
  readonly propertiesPath: string;
  process: ChildProcess | undefined;
  exited: Promise<void>;
  output: string;
}

/** An Apache Kafka cluster of real JVM processes; `cleanup()` stops them and removes their files. */
export class ApacheKafka {
  readonly directory: string;
  readonly clusterId: string;
  readonly nodes: KafkaNode[];
  readonly #jvmOptions: readonly string[];

  private constructor(directory: string, clusterId: string, nodes: KafkaNode[], jvmOptions: readonly string[]) {
    this.directory = directory;
    this.clusterId = clusterId;
    this.nodes = nodes;
    this.#jvmOptions = jvmOptions;
  }

  /** host:port of every node's PLAINTEXT listener, comma-separated. */
  get bootstrap(): string {
    return this.nodes.map((node) => `127.0.0.1:${node.port}`).join(',');
  }

  /** host:port of every node's extra listener of this name, comma-separated. */
  bootstrapOf(listener: string): string {
    return this.nodes.map((node) => `127.0.0.1:${node.listenerPorts[listener]}`).join(',');
  }

  /**
   * Starts the cluster; when a port chosen free was taken by another process before Kafka
   * bound it (freePort closes its probe first), starts again on new ports.
   */
  static async start(options: ApacheKafkaOptions = {}): Promise<ApacheKafka> {
    for (let attempt = 1; ; attempt++) {
      try {
        return await ApacheKafka.#startOnce(options);
      } catch (error) {
        const portTaken = error instanceof Error && error.message.includes('Address already in use');
        if (!portTaken || attempt === PORT_COLLISION_ATTEMPTS_MAX) throw error;
      }
    }
  }

  static async #startOnce(options: ApacheKafkaOptions): Promise<ApacheKafka> {
    kafkaClasspath();
    const count = options.nodes ?? 1;
    if (count > 1 && Object.values(options.extraListeners ?? {}).some((listener) => listener.advertisedPort !== undefined)) {
      throw new Error('extraListeners[].advertisedPort names one address, so it serves a one-node cluster only');
    }
    const directory = mkdtempSync(join(options.parentDirectory ?? tmpdir(), 'tributary-apache-kafka-'));
    const clusterId = randomClusterId();
    const nodes: KafkaNode[] = [];
    for (let nodeId = 1; nodeId <= count; nodeId++) {
      const listenerPorts: Record<string, number> = {};
      for (const name of Object.keys(options.extraListeners ?? {})) listenerPorts[name] = await freePort();
      nodes.push({ nodeId, port: await freePort(), controllerPort: await freePort(), listenerPorts, propertiesPath: join(directory, `node-${nodeId}.properties`), process: undefined, exited: Promise.resolve(), output: '' });
    }
    const voters = nodes.map((node) => `${node.nodeId}@127.0.0.1:${node.controllerPort}`).join(',');
    const replication = String(count);
    const minInSync = count >= 3 ? '2' : '1';
    for (const node of nodes) {
      const extra = Object.entries(options.extraListeners ?? {});
      const properties: Record<string, string> = {
        'process.roles': 'broker,controller',
        'node.id': String(node.nodeId),
        'controller.quorum.voters': voters,
        'listeners': [`PLAINTEXT://127.0.0.1:${node.port}`, `CONTROLLER://127.0.0.1:${node.controllerPort}`, ...extra.map(([name]) => `${name}://127.0.0.1:${node.listenerPorts[name]}`)].join(','),
        'advertised.listeners': [`PLAINTEXT://127.0.0.1:${node.port}`, ...extra.map(([name, listener]) => `${name}://127.0.0.1:${listener.advertisedPort ?? node.listenerPorts[name]}`)].join(','),
        'controller.listener.names': 'CONTROLLER',
        'inter.broker.listener.name': 'PLAINTEXT',
        'listener.security.protocol.map': ['PLAINTEXT:PLAINTEXT', 'CONTROLLER:PLAINTEXT', ...extra.map(([name, listener]) => `${name}:${listener.securityProtocol}`)].join(','),
        'log.dirs': join(directory, `node-${node.nodeId}-logs`),
        'num.partitions': '1',
        'default.replication.factor': replication,
        'min.insync.replicas': minInSync,
        'offsets.topic.replication.factor': replication,
        'offsets.topic.num.partitions': '3',
        'transaction.state.log.replication.factor': replication,
        'transaction.state.log.min.isr': minInSync,
        'transaction.state.log.num.partitions': '3',
        'share.coordinator.state.topic.replication.factor': replication,
        'share.coordinator.state.topic.min.isr': minInSync,
        'group.initial.rebalance.delay.ms': '0',
        // Fewer threads than Kafka's defaults (8 I/O, 3 network): enough for tests, lighter on 2 cores.
        'num.io.threads': '2',
        'num.network.threads': '2',
        'num.recovery.threads.per.data.dir': '1',
        'log.cleaner.threads': '1',
        'log.cleaner.dedupe.buffer.size': String(8 * 1024 * 1024),
        ...Object.fromEntries(extra.flatMap(([name, listener]) => Object.entries(listenerSettings(directory, name, listener)).map(([key, value]) => [`listener.name.${name.toLowerCase()}.${key}`, value]))),
        ...options.config,
      };
      writeFileSync(node.propertiesPath, Object.entries(properties).map(([key, value]) => `${key}=${value}`).join('\n') + '\n');
      const scram = (options.scramUsers ?? []).flatMap((user) => ['--add-scram', `${user.mechanism}=[name=${user.username},password=${user.password}]`]);
      const formatted = await runJava('kafka.tools.StorageTool', ['format', '-t', clusterId, '-c', node.propertiesPath, ...scram], { jvmOptions: TEST_JVM_OPTIONS, timeoutMs: START_TIMEOUT_MS });
      if (formatted.code !== 0) {
        rmSync(directory, { recursive: true, force: true });
        throw new Error(`kafka-storage format of node ${node.nodeId} failed (${formatted.code ?? formatted.signal}):\n${formatted.stdout}\n${formatted.stderr}`);
      }
    }
    const kafka = new ApacheKafka(directory, clusterId, nodes, options.jvmOptions ?? TEST_JVM_OPTIONS);
    try {
      for (const node of nodes) kafka.#spawn(node);
      await kafka.waitUntilReady();
    } catch (error) {
      await kafka.cleanup();
      throw error;
    }
    return kafka;
  }

  #spawn(node: KafkaNode): void {
    const log4j = join(this.directory, 'log4j2.properties');
    if (!existsSync(log4j)) writeFileSync(log4j, log4jProperties('info'));
    const child = spawn(requireProgram('java'), [...this.#jvmOptions, `-Dlog4j2.configurationFile=${log4j}`, '-cp', kafkaClasspath(), 'kafka.Kafka', node.propertiesPath], { stdio: ['ignore', 'pipe', 'pipe'] });
    node.process = child;
    node.output = '';
    const keep = (chunk: Buffer): void => {
      // The last 64 KiB of a node's log, for the message of a failed test.
      node.output = (node.output + chunk.toString()).slice(-65_536);
    };
    child.stdout!.on('data', keep);
    child.stderr!.on('data', keep);
    node.exited = new Promise((resolveExit) => child.once('close', () => resolveExit()));
  }

  /** Waits until every running node is registered and answers metadata. */
  async waitUntilReady(timeoutMs = START_TIMEOUT_MS): Promise<void> {
    const running = this.nodes.filter((node) => isRunning(node.process));
    const deadline = Date.now() + timeoutMs;
    let lastError: unknown;
    for (const node of running) {
      for (;;) {
        if (!isRunning(node.process)) throw new Error(`Apache Kafka node ${node.nodeId} exited during start:\n${node.output}`);
        const admin = new Admin({ clientId: 'tributary-test-ready', bootstrapBrokers: [`127.0.0.1:${node.port}`], connectTimeout: 2_000, requestTimeout: 5_000, retries: 0 });
        try {
          const metadata = await admin.metadata({ topics: [] });
          if (metadata.brokers.size >= running.length) break;
          lastError = new Error(`${metadata.brokers.size} of ${running.length} brokers registered`);
        } catch (error) {
          lastError = error;
        } finally {
          await admin.close().catch(() => {});
        }
        if (Date.now() > deadline) throw new Error(`Apache Kafka node ${node.nodeId} not ready within ${timeoutMs} ms (${String(lastError)}):\n${node.output}`);
        await new Promise((wait) => setTimeout(wait, 250));
      }
    }
  }

  node(nodeId: number): KafkaNode {
    const node = this.nodes.find((candidate) => candidate.nodeId === nodeId);
    if (node === undefined) throw new Error(`no Apache Kafka node ${nodeId}`);
    return node;
  }

  /** SIGKILL one node: a crash, as far as the cluster can tell. */
  async kill(nodeId: number): Promise<void> {
    const node = this.node(nodeId);
    if (isRunning(node.process)) node.process!.kill('SIGKILL');
    await node.exited;
  }

  /** SIGTERM one node and wait for its controlled shutdown (SIGKILL past a bound). */
  async stop(nodeId: number): Promise<void> {
    const node = this.node(nodeId);
    if (!isRunning(node.process)) return;
    node.process!.kill('SIGTERM');
    const timer = setTimeout(() => node.process?.kill('SIGKILL'), STOP_TIMEOUT_MS);
    await node.exited;
    clearTimeout(timer);
  }

  /** Starts a stopped or killed node again on its ports and log directory, and waits until the cluster has it back. */
  async restart(nodeId: number): Promise<void> {
    const node = this.node(nodeId);
    if (isRunning(node.process)) throw new Error(`Apache Kafka node ${nodeId} is still running`);
    this.#spawn(node);
    await this.waitUntilReady();
  }

  /**
   * SIGTERM to every running node at once, as when a whole cluster is shut down: stopped one
   * after another, the last ones would wait for a controller quorum that is already gone.
   */
  async stopAll(): Promise<void> {
    await Promise.all(this.nodes.map((node) => this.stop(node.nodeId)));
  }

  /** The node id that leads a partition now, as the cluster's metadata says. */
  async leaderOf(topic: string, partition: number): Promise<number> {
    const running = this.nodes.filter((node) => isRunning(node.process));
    const admin = new Admin({ clientId: 'tributary-test-leader', bootstrapBrokers: running.map((node) => `127.0.0.1:${node.port}`), connectTimeout: 2_000, requestTimeout: 5_000 });
    try {
      const metadata = await admin.metadata({ topics: [topic], forceUpdate: true });
      const leader = metadata.topics.get(topic)?.partitions[partition]?.leader;
      if (leader === undefined || leader < 0) throw new Error(`no leader of ${topic}/${partition} in the cluster's metadata`);
      return leader;
    } finally {
      await admin.close().catch(() => {});
    }
  }

  /** Starts every node that is not running (after a whole-cluster stop) and waits for all. */
  async restartAll(): Promise<void> {
    for (const node of this.nodes) if (!isRunning(node.process)) this.#spawn(node);
    await this.waitUntilReady();
  }

  /** The node's server.properties, as written at start. */
  properties(nodeId: number): string {
    return readFileSync(this.node(nodeId).propertiesPath, 'utf8');
  }

  /** Stops every node (SIGKILL: a test's data is thrown away) and removes the log directories. */
  async cleanup(): Promise<void> {
    for (const node of this.nodes) if (isRunning(node.process)) node.process!.kill('SIGKILL');
    await Promise.all(this.nodes.map((node) => node.exited));
    rmSync(this.directory, { recursive: true, force: true });
  }
}

/** One extra listener's own settings: what the test gave, plus the PEM keystore and SCRAM login it asked for. */
function listenerSettings(directory: string, name: string, listener: ExtraListener): Record<string, string> {
  const settings: Record<string, string> = {};
  if (listener.keystorePem !== undefined) {
    // A PEM keystore file holds the private key and the certificate chain together.
    const keystore = join(directory, `${name.toLowerCase()}-keystore.pem`);
    if (!existsSync(keystore)) writeFileSync(keystore, readFileSync(listener.keystorePem.keyFile, 'utf8') + readFileSync(listener.keystorePem.certificateFile, 'utf8'));
    settings['ssl.keystore.type'] = 'PEM';
    settings['ssl.keystore.location'] = keystore;
  }
  if (listener.scramMechanisms !== undefined && listener.scramMechanisms.length > 0) {
    settings['sasl.enabled.mechanisms'] = listener.scramMechanisms.join(',');
    for (const mechanism of listener.scramMechanisms) settings[`${mechanism.toLowerCase()}.sasl.jaas.config`] = 'org.apache.kafka.common.security.scram.ScramLoginModule required;';
  }
  return { ...settings, ...listener.config };
}

function isRunning(child: ChildProcess | undefined): boolean {
  return child !== undefined && child.exitCode === null && child.signalCode === null;
}

/** A scratch folder for a test's Java side (truststores, properties files), removed with the returned function. */
export function javaScratch(prefix: string): { directory: string; remove: () => void } {
  const directory = mkdtempSync(join(tmpdir(), `tributary-${prefix}-`));
  mkdirSync(directory, { recursive: true });
  return { directory, remove: () => rmSync(directory, { recursive: true, force: true }) };
}
