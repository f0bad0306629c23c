// `tributary link`: runs the fault-injecting link until SIGINT or SIGTERM. Every event is
// one JSON line on standard output, starting with the addresses actually bound:
//   {"event":"listening","listen":"127.0.0.1:40123","target":"…","routes":[…],"control":"127.0.0.1:40124"}
import { parseArgs } from 'node:util';
import { isTributaryError, TributaryError } from '../../shared/errors.ts';
import { formatHostPort } from './address.ts';
import { createLink, CONNECTIONS_MAX_DEFAULT, PIPE_BUFFER_BYTES_DEFAULT, type LinkOptions } from './link.ts';
import type { FaultScheduleOptions } from './fault-schedule.ts';

export const summary = 'fault-injecting TCP link: bandwidth cap, latency, cuts and black holes';

const usage = `Usage: tributary link --listen HOST:PORT --target HOST:PORT [options]

A TCP proxy that behaves like a bad uplink. Port 0 picks a free port; the ports bound are
printed as a JSON line {"event":"listening",...}. Every later event is a JSON line too.

Options:
  --listen HOST:PORT             where clients connect (required)
  --target HOST:PORT             where connections are forwarded (required)
  --route LISTEN=TARGET          one more route through the same link (repeatable), e.g.
                                 one per broker of a cluster: they share the cap and the
                                 faults; LISTEN and TARGET are HOST:PORT
  --control HOST:PORT            HTTP control interface: GET /stats, POST /cut?ms=N,
                                 POST /blackhole?ms=N, POST /restore, POST /shape
  --bandwidth RATE               cap per direction in bytes/s; suffixes k, m (x1000), ki, mi (x1024)
  --latency MS                   delay added to every chunk, order kept
  --cut-every MS                 cut every connection on this period ...
  --cut-mean-interval MS         ... or at random, this far apart on average
  --cut-for MS                   how long each cut lasts (connections are refused meanwhile)
  --blackhole-every MS           black-hole traffic on this period ...
  --blackhole-mean-interval MS   ... or at random, this far apart on average
  --blackhole-for MS             how long each black hole lasts
  --connections-max N            connections at once (default ${CONNECTIONS_MAX_DEFAULT})
  --buffer-bytes N               bytes held per connection and direction before the sender
                                 is paused (default ${PIPE_BUFFER_BYTES_DEFAULT})
  --seed N                       seed of the random cuts and black holes
  --help                         show this text
`;

export async function main(argv: string[]): Promise<number> {
  let options: LinkOptions;
  try {
    const parsed = parseArgs({
      args: argv,
      strict: true,
      allowPositionals: false,
      options: {
        listen: { type: 'string' },
        target: { type: 'string' },
        route: { type: 'string', multiple: true },
        control: { type: 'string' },
        bandwidth: { type: 'string' },
        latency: { type: 'string' },
        'cut-every': { type: 'string' },
        'cut-mean-interval': { type: 'string' },
        'cut-for': { type: 'string' },
        'blackhole-every': { type: 'string' },
        'blackhole-mean-interval': { type: 'string' },
        'blackhole-for': { type: 'string' },
        'connections-max': { type: 'string' },
        'buffer-bytes': { type: 'string' },
        seed: { type: 'string' },
        help: { type: 'boolean' },
      },
    });
    const values = parsed.values;
    if (values.help === true) {
      process.stdout.write(usage);
      return 0;
    }
    if (values.listen === undefined || values.target === undefined) {
      throw new TributaryError('LINK_OPTION_INVALID', '--listen and --target are required (see tributary link --help)', {});
    }
    options = {
      listen: values.listen,
      target: values.target,
      routes: (values.route ?? []).map(parseRoute),
      control: values.control,
      bandwidthBytesPerSecond: values.bandwidth === undefined ? null : parseByteRate(values.bandwidth),
      latencyMs: optionalNumber(values.latency, '--latency') ?? 0,
      cuts: scheduleOf('cut', values['cut-every'], values['cut-mean-interval'], values['cut-for']),
      blackholes: scheduleOf('blackhole', values['blackhole-every'], values['blackhole-mean-interval'], values['blackhole-for']),
      connectionsMax: optionalNumber(values['connections-max'], '--connections-max'),
      pipeBufferBytesMax: optionalNumber(values['buffer-bytes'], '--buffer-bytes'),
      seed: optionalNumber(values.seed, '--seed'),
    };
  } catch (error) {
    process.stderr.write(`tributary link: ${error instanceof Error ? error.message : String(error)}\n`);
    return 2;
  }

  let link;
  try {
    link = await createLink(options);
  } catch (error) {
    process.stderr.write(`tributary link: ${error instanceof Error ? error.message : String(error)}\n`);
    return isTributaryError(error, 'LINK_OPTION_INVALID') ? 2 : 1;
  }
  emit({
    event: 'listening',
    listen: formatHostPort(link.listen),
    target: formatHostPort(link.target),
    routes: link.routes.map((route) => ({ listen: formatHostPort(route.listen), target: formatHostPort(route.target) })),
    control: link.control === null ? null : formatHostPort(link.control),
  });
  link.on('cut', ({ durationMs }) => emit({ event: 'cut', durationMs }));
  link.on('blackhole', ({ durationMs }) => emit({ event: 'blackhole', durationMs }));
  link.on('restore', () => emit({ event: 'restore' }));

  await new Promise<void>((resolve) => {
    const stop = (): void => {
      process.off('SIGINT', stop);
      process.off('SIGTERM', stop);
      resolve();
    };
    process.on('SIGINT', stop);
    process.on('SIGTERM', stop);
  });
  const stats = link.stats();
  await link.close();
  emit({ event: 'closed', ...stats });
  return 0;
}

function emit(line: Record<string, unknown>): void {
  process.stdout.write(`${JSON.stringify(line)}\n`);
}

/** `--route LISTEN=TARGET`: the addresses are checked by the link itself. */
function parseRoute(text: string): { listen: string; target: string } {
  const [listen, target, ...rest] = text.split('=');
  if (listen === undefined || target === undefined || rest.length > 0 || listen === '' || target === '') {
    throw new TributaryError('LINK_OPTION_INVALID', `--route: "${text}" is not LISTEN=TARGET (for example 127.0.0.1:0=10.0.0.2:9092)`, { option: '--route', value: text });
  }
  return { listen, target };
}

/** Bytes per second: a plain number, or with a suffix k/m/g (powers of 1000) or ki/mi/gi (powers of 1024). */
export function parseByteRate(text: string): number {
  const match = /^(\d+(?:\.\d+)?)\s*(k|m|g|ki|mi|gi)?(?:b|b\/s)?$/i.exec(text.trim());
  const multipliers: Record<string, number> = { '': 1, k: 1e3, m: 1e6, g: 1e9, ki: 1024, mi: 1024 ** 2, gi: 1024 ** 3 };
  const rate = match === null ? Number.NaN : Number(match[1]) * multipliers[(match[2] ?? '').toLowerCase()]!;
  if (!Number.isFinite(rate) || rate <= 0) {
    throw new TributaryError('LINK_OPTION_INVALID', `--bandwidth: "${text}" is not a rate in bytes per second (for example 125000, 125k or 1mi)`, { value: text });
  }
  return Math.floor(rate);
}

function optionalNumber(text: string | undefined, option: string): number | undefined {
  if (text === undefined) return undefined;
  const value = Number(text);
  if (text.trim() === '' || !Number.isFinite(value) || value < 0) {
    throw new TributaryError('LINK_OPTION_INVALID', `${option}: "${text}" is not a non-negative number`, { option, value: text });
  }
  return value;
}

function scheduleOf(kind: string, every: string | undefined, meanInterval: string | undefined, forText: string | undefined): FaultScheduleOptions | undefined {
  if (every === undefined && meanInterval === undefined) {
    if (forText !== undefined) {
      throw new TributaryError('LINK_OPTION_INVALID', `--${kind}-for needs --${kind}-every or --${kind}-mean-interval`, { kind });
    }
    return undefined;
  }
  const forMs = optionalNumber(forText, `--${kind}-for`);
  if (forMs === undefined) {
    throw new TributaryError('LINK_OPTION_INVALID', `--${kind}-for is required with --${kind}-every or --${kind}-mean-interval`, { kind });
  }
  return { everyMs: optionalNumber(every, `--${kind}-every`), meanIntervalMs: optionalNumber(meanInterval, `--${kind}-mean-interval`), forMs };
}

if (import.meta.main) process.exitCode = await main(process.argv.slice(2));
