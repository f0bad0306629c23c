// `npm run demo`: the whole system on one machine. A single-node central, two edges whose
// embedded mirrors deliver to it through fault-injecting links (latency, a bandwidth cap,
// cuts, black holes), a simulated fleet of devices publishing SenML-CBOR over MQTT to the
// edges, and the fleet view. Each edge summarises the readings per minute in a pipeline
// and mirrors the summaries ahead of the raw readings; a scripted outage of the uplinks
// (demo-outage.ts) shows them arriving first once the uplinks are back. Prints the URLs to
// open; Ctrl-C stops everything in order (devices, fleet view, edges, links, central) and
// removes the demo's files.
//
// Every part is started as an operator would start it, with the `tributary` CLI, each in
// its own process; their logs go to files in the demo's directory.
import { spawnSync } from 'node:child_process';
import { mkdirSync, mkdtempSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { parseArgs } from 'node:util';
import { stringify } from 'yaml';
import { CLI, TributaryProcess as Part, type Json } from './tributary-process.ts';
import { backlogOf, mirrorReport, runOutage, type OutageEvent } from './demo-outage.ts';

const USAGE = `usage: npm run demo [-- options]

Starts a central, two edges mirroring to it through fault-injecting links, a simulated
fleet of devices and the fleet view, and prints the URLs to open. Ctrl-C stops it all.

options:
  --devices N     simulated devices, split between the two edges (default 200)
  --rate R        readings per second per device (default 1)
  --calm          links without random cuts and black holes (latency and bandwidth cap only)
  --summary-seconds S
                  length of the summaries' windows, in seconds (default 60: per-minute summaries)
  --outage-at S   seconds after the devices start when both uplinks are cut (default 120)
  --outage-for S  how long they stay cut, in seconds (default 150; 0: no scripted outage)
  --keep          keep the data and logs after Ctrl-C (they are removed by default)
  --json          print the addresses as one JSON line instead of text (for scripts)`;

/** How often the demo prints a status line. */
const STATUS_INTERVAL_MS = 10_000;
/** The edges and their links; devices are split evenly between them. */
const EDGES = [
  // A slow cellular uplink (256 kbit/s) that drops now and then: a backlog takes a while to cross it.
  { id: 'edge-1', shape: ['--latency', '80', '--bandwidth', '32ki'], faults: ['--cut-mean-interval', '40000', '--cut-for', '6000', '--seed', '1'] },
  // A better line that sometimes swallows traffic without closing (a black hole).
  { id: 'edge-2', shape: ['--latency', '20', '--bandwidth', '512ki'], faults: ['--blackhole-mean-interval', '60000', '--blackhole-for', '8000', '--seed', '2'] },
] as const;
/** The summaries' grace (late readings still counted) is a sixth of their window, at most this: readings arrive in order, a little late at worst. */
const SUMMARY_GRACE_SECONDS_MAX = 10;
/** The summaries cross the uplink ahead of the raw readings: the highest priority of the mirror's rules here. */
const SUMMARY_PRIORITY = 9;

interface DaemonPorts { kafka: number; http: number; mqtt?: number }

function readyPorts(event: Json): DaemonPorts {
  return event.ports as DaemonPorts;
}

/** Whether this build has a command (some parts of the system may not be in it yet). */
function hasCommand(name: string): boolean {
  const help = spawnSync(process.execPath, [CLI, '--help'], { encoding: 'utf8' });
  return new RegExp(`^  ${name}\\s`, 'm').test(help.stdout);
}

async function main(): Promise<number> {
  const { values } = parseArgs({
    options: {
      devices: { type: 'string', default: '200' },
      rate: { type: 'string', default: '1' },
      calm: { type: 'boolean' },
      'summary-seconds': { type: 'string', default: '60' },
      'outage-at': { type: 'string', default: '120' },
      'outage-for': { type: 'string', default: '150' },
      keep: { type: 'boolean' },
      json: { type: 'boolean' },
      help: { type: 'boolean', short: 'h' },
    },
    strict: true,
  });
  if (values.help) {
    console.log(USAGE);
    return 0;
  }
  const devices = Number(values.devices);
  const rate = Number(values.rate);
  if (!Number.isInteger(devices) || devices < EDGES.length) throw new Error(`--devices must be a whole number of at least ${EDGES.length}, not "${values.devices}"`);
  if (!(rate > 0)) throw new Error(`--rate must be a positive number, not "${values.rate}"`);
  const summarySeconds = Number(values['summary-seconds']);
  if (!Number.isInteger(summarySeconds) || summarySeconds < 1) throw new Error(`--summary-seconds must be a whole number of at least 1, not "${values['summary-seconds']}"`);
  const outageAtMs = Number(values['outage-at']) * 1000;
  const outageForMs = Number(values['outage-for']) * 1000;
  if (!(outageAtMs >= 0)) throw new Error(`--outage-at must be a number of seconds, not "${values['outage-at']}"`);
  if (!(outageForMs >= 0)) throw new Error(`--outage-for must be a number of seconds, not "${values['outage-for']}"`);
  // The summary topic is named for its window: sensors-1m, or sensors-5s when shortened.
  const summaryTopic = `sensors-${summarySeconds % 60 === 0 ? `${summarySeconds / 60}m` : `${summarySeconds}s`}`;
  const summaryGraceSeconds = Math.min(SUMMARY_GRACE_SECONDS_MAX, Math.floor(summarySeconds / 6));

  const directory = mkdtempSync(join(tmpdir(), 'tributary-demo-'));
  const logs = join(directory, 'logs');
  mkdirSync(logs);
  const parts: Part[] = [];
  const start = (name: string, args: string[]): Part => {
    const part = new Part(name, args, logs);
    parts.push(part);
    return part;
  };
  const say = (text: string): void => {
    if (!values.json) console.log(text);
  };

  const outageStop = new AbortController();
  /** Where the scripted outage stands, for the status line: to come, cut, back, or '' (none, or over). */
  let outagePhase = '';
  let stopping: Promise<void> | undefined;
  let requestStop = (): void => {};
  const stopRequested = new Promise<undefined>((resolveStop) => { requestStop = () => resolveStop(undefined); });
  const stopAll = (): Promise<void> => {
    stopping ??= (async () => {
      outageStop.abort();
      say('\nstopping: devices, fleet view, edges, links, central …');
      const order = ['sim-', 'fleet', 'edge-', 'link-', 'central'];
      for (const prefix of order) {
        const group = parts.filter((part) => part.name.startsWith(prefix));
        await Promise.all(group.map((part) => part.stop(prefix === 'sim-' ? 'SIGINT' : 'SIGTERM')));
      }
      // After a failure the files are kept for the logs, and said so even with --json.
      if (values.keep) (values.json ? console.error : say)(`data and logs kept in ${directory}`);
      else rmSync(directory, { recursive: true, force: true });
      say('stopped');
    })();
    return stopping;
  };
  // A second Ctrl-C does not wait for a clean stop.
  let interrupted = false;
  const onSignal = (): void => {
    if (interrupted) {
      for (const part of parts) part.kill();
      process.exit(130);
    }
    interrupted = true;
    requestStop();
    void stopAll();
  };
  process.on('SIGINT', onSignal);
  process.on('SIGTERM', onSignal);
  // Whatever happens to the demo, no part outlives it.
  process.on('exit', () => { for (const part of parts) part.kill(); });

  try {
    say(`starting the Tributary demo in ${directory}`);
    // The central: Tributary's own engine as a single-node Kafka-protocol cluster.
    const centralConfig = join(directory, 'central.yaml');
    writeFileSync(centralConfig, stringify({
      node: { id: 'central', dataDir: join(directory, 'central') },
      listeners: { kafka: { host: '127.0.0.1', port: 0 }, http: { host: '127.0.0.1', port: 0 } },
      kafka: { autoCreateTopics: true, groupInitialRebalanceDelayMs: 0 },
      topics: {
        defaults: { partitions: 2, flush: { policy: 'interval', intervalMs: 100 } },
        // Where the datacenter writes commands for each edge; the edges' mirrors pull them down.
        overrides: Object.fromEntries(EDGES.map((edge) => [`commands.${edge.id}`, { partitions: 1 }])),
      },
      log: { level: 'info' },
    }));
    const central = start('central', ['central', '--config', centralConfig]);
    const centralPorts = readyPorts(await central.waitFor((event) => event.event === 'ready', 'ready'));
    const centralKafka = `127.0.0.1:${centralPorts.kafka}`;
    say(`  central         Kafka ${centralKafka}`);

    const edges: { id: string; ports: DaemonPorts; control: string; link: string }[] = [];
    for (const edge of EDGES) {
      // Each edge reaches the central only through its own bad link.
      const link = start(`link-${edge.id}`, ['link', '--listen', '127.0.0.1:0', '--target', centralKafka, '--control', '127.0.0.1:0', ...edge.shape, ...(values.calm ? [] : edge.faults)]);
      const listening = await link.waitFor((event) => event.event === 'listening', 'its address');
      link.on((event) => {
        // The scripted outage tells its own cut (which has no set duration), and while it lasts the link's own faults change nothing.
        if (outagePhase === 'uplinks cut' || typeof event.durationMs !== 'number') return;
        if (event.event === 'cut' || event.event === 'blackhole') say(`  ${edge.id}'s link: ${event.event === 'cut' ? 'cut' : 'black hole'} for ${Math.round(event.durationMs / 1000)} s`);
      });
      const edgeConfig = join(directory, `${edge.id}.yaml`);
      writeFileSync(edgeConfig, stringify({
        node: { id: edge.id, dataDir: join(directory, edge.id) },
        listeners: {
          kafka: { host: '127.0.0.1', port: 0 },
          mqtt: { host: '127.0.0.1', port: 0 },
          mqttWs: { enabled: false },
          http: { host: '127.0.0.1', port: 0 },
        },
        kafka: { autoCreateTopics: true },
        topics: { overrides: { sensors: { partitions: 4 }, [summaryTopic]: { partitions: 4 }, replies: { partitions: 1 }, commands: { partitions: 1 } } },
        // Summaries first: one record per device and window (a minute), mirrored ahead of the raw readings.
        pipelines: [{
          name: summaryTopic,
          from: 'sensors',
          decode: 'senml',
          steps: [{ window: { size: `${summarySeconds}s`, grace: `${summaryGraceSeconds}s`, aggregate: { temperature: 'round(avg(temperature), 2)', humidity: 'round(avg(humidity), 2)', readings: 'count()' } } }],
          to: summaryTopic,
        }],
        mqtt: {
          routes: [
            { filter: 'sensors/+/+', topic: 'sensors', key: '{1}' },
            { filter: 'replies/+', topic: 'replies', key: '{1}' },
          ],
          reverseRoutes: [{ topic: 'commands', mqttTopic: 'commands/{key}', qos: 1 }],
        },
        mirror: {
          target: {
            bootstrap: [listening.listen],
            // The central advertises its own address; the mirror must keep going through the link.
            addressMap: { [centralKafka]: listening.listen },
            connectTimeoutMs: 5000,
            requestTimeoutMs: 10_000,
          },
          topics: { include: ['sensors', summaryTopic, 'replies'], priorities: [{ match: summaryTopic, priority: SUMMARY_PRIORITY }] },
          // Batches of 64 KiB (a quarter of the default) share a slow uplink more finely: the summaries wait behind less of the raw backlog.
          link: { retryBackoffMaxMs: 5000, batchBytesMax: 64 * 1024 },
          reverse: [{ from: 'commands.{edge}', to: 'commands' }],
          heartbeat: { intervalMs: 5000 },
        },
        log: { level: 'info' },
      }));
      const daemon = start(edge.id, ['edge', '--config', edgeConfig]);
      const ports = readyPorts(await daemon.waitFor((event) => event.event === 'ready', 'ready'));
      edges.push({ id: edge.id, ports, control: String(listening.control), link: String(listening.listen) });
      say(`  ${edge.id.padEnd(15)} MQTT 127.0.0.1:${ports.mqtt}  Kafka 127.0.0.1:${ports.kafka}  mirror via link ${listening.listen}`);
    }

    // The fleet: devices split evenly, each edge's ids distinct.
    const perEdge = Math.floor(devices / edges.length);
    const acknowledged = new Map<string, number>();
    edges.forEach((edge, index) => {
      const count = index === edges.length - 1 ? devices - perEdge * (edges.length - 1) : perEdge;
      const sim = start(`sim-${edge.id}`, ['sim', '--broker', `mqtt://127.0.0.1:${edge.ports.mqtt}`, '--devices', String(count), '--rate', String(rate),
        '--format', 'senml-cbor', '--id-prefix', `${edge.id}-dev-`, '--seed', String(index + 1), '--progress-ms', '2000']);
      sim.on((event) => {
        if (event.event === 'progress') acknowledged.set(edge.id, Number(event.acknowledged));
      });
    });
    say(`  devices         ${devices} simulated devices, ${rate} reading/s each, SenML-CBOR over MQTT`);

    let fleetUrl: string | null = null;
    if (hasCommand('fleet')) {
      const fleet = start('fleet', ['fleet', '--bootstrap', centralKafka, '--listen', '127.0.0.1:0']);
      const ready = await fleet.waitFor((event) => event.event === 'ready' || event.event === 'listening', 'its address');
      const http = (ready.ports as { http?: number } | undefined)?.http ?? ready.http;
      fleetUrl = typeof http === 'number' ? `http://127.0.0.1:${http}/` : String(http);
    }

    const addresses = {
      central: { kafka: centralKafka, health: `http://127.0.0.1:${centralPorts.http}/health` },
      edges: edges.map((edge) => ({
        id: edge.id, console: `http://127.0.0.1:${edge.ports.http}/`, mqtt: `mqtt://127.0.0.1:${edge.ports.mqtt}`, kafka: `127.0.0.1:${edge.ports.kafka}`, linkControl: `http://${edge.control}/stats`,
        // Where the mirror puts them (the default template, {edge}.{topic}).
        centralTopics: { summaries: `${edge.id}.${summaryTopic}`, raw: `${edge.id}.sensors` },
      })),
      fleet: fleetUrl,
      summaries: { topic: summaryTopic, windowSeconds: summarySeconds, priority: SUMMARY_PRIORITY },
      outage: outageForMs > 0 ? { atSeconds: outageAtMs / 1000, forSeconds: outageForMs / 1000 } : null,
      directory,
    };
    if (values.json) {
      console.log(JSON.stringify({ event: 'ready', ...addresses }));
    } else {
      say('\nopen:');
      for (const edge of addresses.edges) say(`  ${edge.id} console   ${edge.console}`);
      say(fleetUrl ? `  fleet view        ${fleetUrl}` : '  fleet view        not in this build (no `tributary fleet` command yet)');
      say(`  central health    ${addresses.central.health}`);
      for (const edge of addresses.edges) say(`  ${edge.id} link      ${edge.linkControl}   (POST /cut?ms=5000 cuts it by hand)`);
      say('\ntry:');
      say(`  npx tributary topics list --bootstrap ${centralKafka}`);
      say(`  npx tributary consume --bootstrap ${centralKafka} --topic edge-1.sensors --max-messages 5`);
      say(`  npx tributary produce --bootstrap ${centralKafka} --topic commands.edge-1 --key edge-1-dev-00001 --encode cbor --value '{"led":"on"}'`);
      say(`  npx tributary mirror status --admin http://127.0.0.1:${edges[0]!.ports.http}`);
      say(`  npx tributary pipelines status --admin http://127.0.0.1:${edges[0]!.ports.http}`);
      if (outageForMs > 0) say(`\nin ${outageAtMs / 1000} s both uplinks are cut for ${outageForMs / 1000} s; once they are back the ${summaryTopic} summaries cross first, then the raw backlog`);
      say(`\nlogs in ${logs}; Ctrl-C stops everything\n`);
    }

    // The scripted outage, told as it goes: JSON lines with --json, sentences otherwise.
    outagePhase = outageForMs > 0 ? `uplinks cut in ${outageAtMs / 1000} s` : '';
    const tell = (event: OutageEvent): void => {
      if (event.event === 'outage-started') outagePhase = 'uplinks cut';
      if (event.event === 'uplink-restored') outagePhase = 'uplinks back';
      if (values.json) {
        console.log(JSON.stringify(event));
        return;
      }
      const seconds = (milliseconds: number): string => (milliseconds / 1000).toFixed(1);
      if (event.event === 'outage-started') say(`\nscripted outage: the uplinks of ${event.edges.join(' and ')} are cut for ${event.forMs / 1000} s. The devices keep publishing; each edge keeps their readings and its ${summaryTopic} summaries until its uplink is back.`);
      else if (event.event === 'uplink-restored') say(`${event.edge}: uplink back; to cross: ${event.waiting.summaries} summaries, ${event.waiting.raw} raw readings`);
      else if (event.event === 'caught-up' && event.kind === 'summaries') say(`${event.edge}: the ${event.records} summaries are at the central ${seconds(event.afterMs)} s after the uplink came back, while ${event.otherWaiting} raw readings still wait (summaries first: mirror priority ${SUMMARY_PRIORITY})`);
      else if (event.event === 'caught-up') say(`${event.edge}: the raw backlog (${event.records} readings) is at the central ${seconds(event.afterMs)} s after the uplink came back${event.otherWaiting > 0 ? `; ${event.otherWaiting} summaries still wait` : ''}`);
      else say(`${event.edge}: still crossing ${seconds(event.afterMs)} s after the uplink came back: ${event.kinds.join(' and ')}`);
    };
    const outageTimer = outageForMs > 0 ? setTimeout(() => {
      const outageEdges = edges.map((edge) => ({ id: edge.id, admin: `http://127.0.0.1:${edge.ports.http}`, linkControl: edge.control }));
      runOutage(outageEdges, { summaries: summaryTopic, raw: 'sensors' }, outageForMs, tell, outageStop.signal)
        .then(() => { outagePhase = ''; }, (error: unknown) => { if (!stopping) console.error(`demo: the scripted outage failed: ${(error as Error).message}`); });
    }, outageAtMs) : undefined;

    const status = setInterval(() => {
      void Promise.all(edges.map(async (edge) => {
        try {
          const mirror = await mirrorReport(`http://127.0.0.1:${edge.ports.http}`);
          // The summaries' backlog drains first after a cut: they have the higher priority.
          return `${edge.id}: ${acknowledged.get(edge.id) ?? 0} readings acknowledged, mirror ${mirror.state}, ${mirror.deliveredRecordsTotal} delivered, backlog ${mirror.backlogRecords} (summaries ${backlogOf(mirror, summaryTopic)}, raw ${backlogOf(mirror, 'sensors')})`;
        } catch {
          return `${edge.id}: no answer`;
        }
      })).then((lines) => { if (!stopping) say(`${outagePhase === '' ? '' : `[${outagePhase}] `}${lines.join(' | ')}`); });
    }, STATUS_INTERVAL_MS);
    status.unref();

    // Run until Ctrl-C, or until a part dies on its own (then stop the rest).
    const died = Promise.race(parts.map((part) => part.exited.then((code) => ({ part, code }))));
    const outcome = await Promise.race([died, stopRequested]);
    clearInterval(status);
    clearTimeout(outageTimer);
    if (outcome !== undefined && !stopping) {
      console.error(`${outcome.part.name} exited (${outcome.code}); stopping the demo. Its log: ${join(logs, `${outcome.part.name}.log`)}`);
      values.keep = true;
      await stopAll();
      return 1;
    }
    await stopAll();
    return 0;
  } catch (error) {
    console.error(`demo: ${(error as Error).message}`);
    values.keep = true;
    await stopAll();
    return 1;
  }
}

try {
  process.exitCode = await main();
} catch (error) {
  // A bad option: said in one line, as the CLI says it.
  console.error(`demo: ${(error as Error).message}\n(npm run demo -- --help lists the options)`);
  process.exitCode = 2;
}
