// `tributary sim`: runs a simulated device fleet until its duration or count is reached,
// or until SIGINT or SIGTERM. Progress is one JSON line per interval on standard output;
// the final report goes to --report FILE (and its totals to standard output).
import { readFileSync, writeFileSync, renameSync } from 'node:fs';
import { parseArgs } from 'node:util';
import { TributaryError } from '../../shared/errors.ts';
import { PAYLOAD_FORMATS, type PayloadFormat } from '../../shared/payloads.ts';
import type { QoS } from './device.ts';
import { CONNECTS_IN_FLIGHT_DEFAULT, INFLIGHT_PER_DEVICE_DEFAULT, runFleet, type FleetOptions } from './fleet.ts';
import { METRIC_NAMES } from './readings.ts';

export const summary = 'simulated device fleet: MQTT readings in CBOR/SenML/JSON, commands answered, exact report of what was acknowledged';

const usage = `Usage: tributary sim --broker mqtt://HOST:PORT --devices N --rate R [options]

Simulates N devices that publish readings to sensors/<device>/<metric>, answer commands
on commands/<device> with a reply on replies/<device>, and report which sequence numbers
the broker acknowledged. Progress is printed as JSON lines.

Options:
  --broker URL                   mqtt://[user:password@]host[:port] or mqtts://... (required)
  --devices N                    number of devices (required)
  --rate R                       readings per second per device (required)
  --duration SECONDS             stop after this long
  --count N                      readings per device, then stop
  --format F                     ${PAYLOAD_FORMATS.join(' | ')} (default senml-cbor)
  --qos 0|1|2                    (default 1)
  --clean                        clean sessions (default: persistent sessions, clean=false)
  --id-prefix P                  device ids are P00001, P00002, ... (default dev-)
  --first-device N               number of the first device (default 1), to run several processes
  --metrics LIST                 comma-separated, from ${METRIC_NAMES.join(', ')} (default temperature,humidity)
  --jitter FRACTION              each gap varies by up to this fraction (default 0.2)
  --clock-skew-ms MS             device clocks are off by up to this much (default 0)
  --burst-probability P          chance per reading of a burst instead (default 0)
  --burst-size N                 messages per burst (default 10)
  --silence-mean-interval MS     devices go silent this often on average (default never)
  --silence-for MS               how long a silence lasts (default 5000)
  --silence-stay-connected       silent devices stay connected (default: they disconnect)
  --inflight N                   unacknowledged publishes per device (default ${INFLIGHT_PER_DEVICE_DEFAULT})
  --connects-in-flight N         CONNECTs outstanding while the fleet comes up (default ${CONNECTS_IN_FLIGHT_DEFAULT})
  --reconnect-ms MS              wait before reconnecting (default 1000)
  --keepalive SECONDS            MQTT keep-alive (default 30)
  --ca FILE                      extra trusted CA certificate for mqtts
  --insecure                     do not check the broker's certificate
  --seed N                       seed for a repeatable fleet
  --progress-ms MS               progress interval (default 1000; 0 turns progress off)
  --report FILE                  write the final report (per-device counts and sequences) here
  --help                         show this text
`;

export async function main(argv: string[]): Promise<number> {
  let options: FleetOptions;
  let reportPath: string | undefined;
  try {
    const { values } = parseArgs({
      args: argv,
      strict: true,
      allowPositionals: false,
      options: {
        broker: { type: 'string' },
        devices: { type: 'string' },
        rate: { type: 'string' },
        duration: { type: 'string' },
        count: { type: 'string' },
        format: { type: 'string' },
        qos: { type: 'string' },
        clean: { type: 'boolean' },
        'id-prefix': { type: 'string' },
        'first-device': { type: 'string' },
        metrics: { type: 'string' },
        jitter: { type: 'string' },
        'clock-skew-ms': { type: 'string' },
        'burst-probability': { type: 'string' },
        'burst-size': { type: 'string' },
        'silence-mean-interval': { type: 'string' },
        'silence-for': { type: 'string' },
        'silence-stay-connected': { type: 'boolean' },
        inflight: { type: 'string' },
        'connects-in-flight': { type: 'string' },
        'reconnect-ms': { type: 'string' },
        keepalive: { type: 'string' },
        ca: { type: 'string' },
        insecure: { type: 'boolean' },
        seed: { type: 'string' },
        'progress-ms': { type: 'string' },
        report: { type: 'string' },
        help: { type: 'boolean' },
      },
    });
    if (values.help === true) {
      process.stdout.write(usage);
      return 0;
    }
    if (values.broker === undefined || values.devices === undefined || values.rate === undefined) {
      throw new TributaryError('SIM_OPTION_INVALID', '--broker, --devices and --rate are required (see tributary sim --help)', {});
    }
    const format = values.format ?? 'senml-cbor';
    if (!(PAYLOAD_FORMATS as readonly string[]).includes(format)) {
      throw new TributaryError('SIM_OPTION_INVALID', `--format: "${format}" is not one of ${PAYLOAD_FORMATS.join(', ')}`, { option: '--format' });
    }
    const burstProbability = number(values['burst-probability'], '--burst-probability');
    const silenceMeanIntervalMs = number(values['silence-mean-interval'], '--silence-mean-interval');
    const durationSeconds = number(values.duration, '--duration');
    const progressMs = number(values['progress-ms'], '--progress-ms') ?? 1_000;
    let ca: string | undefined;
    if (values.ca !== undefined) {
      try {
        ca = readFileSync(values.ca, 'utf8');
      } catch (error) {
        throw new TributaryError('SIM_OPTION_INVALID', `--ca: cannot read ${values.ca}: ${(error as Error).message}`, { option: '--ca' });
      }
    }
    options = {
      broker: values.broker,
      devices: number(values.devices, '--devices')!,
      ratePerSecond: number(values.rate, '--rate')!,
      durationMs: durationSeconds === undefined ? undefined : durationSeconds * 1000,
      count: number(values.count, '--count'),
      format: format as PayloadFormat,
      qos: number(values.qos, '--qos') as QoS | undefined,
      clean: values.clean === true,
      idPrefix: values['id-prefix'],
      firstDevice: number(values['first-device'], '--first-device'),
      metrics: values.metrics?.split(',').map((metric) => metric.trim()).filter((metric) => metric !== ''),
      jitter: number(values.jitter, '--jitter'),
      clockSkewMaxMs: number(values['clock-skew-ms'], '--clock-skew-ms'),
      burst: burstProbability === undefined ? undefined : { probability: burstProbability, size: number(values['burst-size'], '--burst-size') ?? 10 },
      silence: silenceMeanIntervalMs === undefined ? undefined : {
        meanIntervalMs: silenceMeanIntervalMs,
        durationMs: number(values['silence-for'], '--silence-for') ?? 5_000,
        disconnect: values['silence-stay-connected'] !== true,
      },
      inflightPerDevice: number(values.inflight, '--inflight'),
      connectsInFlight: number(values['connects-in-flight'], '--connects-in-flight'),
      reconnectPeriodMs: number(values['reconnect-ms'], '--reconnect-ms'),
      keepaliveSeconds: number(values.keepalive, '--keepalive'),
      ca,
      rejectUnauthorized: values.insecure !== true,
      seed: number(values.seed, '--seed'),
      progressIntervalMs: progressMs > 0 ? progressMs : undefined,
      onProgress: progressMs > 0 ? (progress) => emit({ event: 'progress', ...progress }) : undefined,
    };
    reportPath = values.report;
  } catch (error) {
    process.stderr.write(`tributary sim: ${error instanceof Error ? error.message : String(error)}\n`);
    return 2;
  }

  const stop = new AbortController();
  const onSignal = (): void => stop.abort();
  process.on('SIGINT', onSignal);
  process.on('SIGTERM', onSignal);
  try {
    const report = await runFleet({ ...options, signal: stop.signal });
    if (reportPath !== undefined) {
      // Write then rename, so a reader never sees half a report.
      writeFileSync(`${reportPath}.partial`, `${JSON.stringify(report, null, 2)}\n`);
      renameSync(`${reportPath}.partial`, reportPath);
    }
    emit({ event: 'done', durationMs: report.durationMs, ...report.totals, report: reportPath ?? null });
    return report.totals.failed > 0 ? 1 : 0;
  } catch (error) {
    process.stderr.write(`tributary sim: ${error instanceof Error ? error.message : String(error)}\n`);
    return error instanceof TributaryError && error.code === 'SIM_OPTION_INVALID' ? 2 : 1;
  } finally {
    process.off('SIGINT', onSignal);
    process.off('SIGTERM', onSignal);
  }
}

function emit(line: Record<string, unknown>): void {
  process.stdout.write(`${JSON.stringify(line)}\n`);
}

function number(text: string | undefined, option: string): number | undefined {
  if (text === undefined) return undefined;
  const value = Number(text);
  if (text.trim() === '' || !Number.isFinite(value)) {
    throw new TributaryError('SIM_OPTION_INVALID', `${option}: "${text}" is not a number`, { option, value: text });
  }
  return value;
}

if (import.meta.main) process.exitCode = await main(process.argv.slice(2));
