// The two kinds of connector, put together from the runtime's parts: a source appends to
// its topic through a SourceOutput (position in the records, checkpoint beside), a sink
// reads its topic through a SinkInput (position in its consumer group). A connector type
// supplies one session with its peer; these wrap it into what ConnectorRuntime runs.
import { join } from 'node:path';
import type { Logger } from '../../../shared/logger.ts';
import type { ConnectorParts, ConnectorSession } from './connector-runtime.ts';
import type { ConnectorLog, GroupOffsetStore } from './log-access.ts';
import type { ConnectorMeter } from './metrics.ts';
import { SinkInput } from './sink-input.ts';
import { replacePosition, SourceOutput, type CombinePositions } from './source-output.ts';

/** What the daemon hands every connector. */
export interface ConnectorDeps {
  log: ConnectorLog;
  offsets: GroupOffsetStore;
  /** Directory of the connectors' own files (<dataDir>/connectors); each has a folder by its name. */
  directory: string;
  logger: Logger;
  meter: ConnectorMeter;
}

export interface ConnectorBase {
  name: string;
  type: string;
  retryBackoffMinMs: number;
  retryBackoffMaxMs: number;
}

export interface SourceSession<P> extends ConnectorSession {
  readonly output: SourceOutput<P>;
}

export interface SinkSession extends ConnectorSession {
  readonly input: SinkInput;
}

export interface SourceType<P> {
  /** How positions add up (default: the newest replaces the last). */
  combine?: CombinePositions<P>;
  session(session: SourceSession<P>): Promise<void>;
  close?(): Promise<void>;
}

export interface SinkType {
  session(session: SinkSession): Promise<void>;
  close?(): Promise<void>;
}

/** Builds a connector from its config, for the runtime to run. */
export type ConnectorFactory<C> = (config: C, deps: ConnectorDeps) => ConnectorParts;

function partsOf(config: ConnectorBase, deps: ConnectorDeps): Pick<ConnectorParts, 'name' | 'type' | 'backoff' | 'logger' | 'meter'> {
  return { name: config.name, type: config.type, backoff: { minMs: config.retryBackoffMinMs, maxMs: Math.max(config.retryBackoffMinMs, config.retryBackoffMaxMs) }, logger: deps.logger, meter: deps.meter };
}

export function connectorDirectory(deps: ConnectorDeps, name: string): string {
  return join(deps.directory, name);
}

export function sourceConnector<P>(config: ConnectorBase & { to: string }, deps: ConnectorDeps, type: SourceType<P>): ConnectorParts {
  const output = new SourceOutput<P>({ connector: config.name, topic: config.to, log: deps.log, directory: connectorDirectory(deps, config.name), combine: type.combine ?? replacePosition, logger: deps.logger, meter: deps.meter });
  return {
    ...partsOf(config, deps),
    prepare: async () => { await output.recover(); },
    session: (session) => type.session({ ...session, output }),
    close: async () => {
      await type.close?.();
      await output.close();
    },
  };
}

export function sinkConnector(config: ConnectorBase & { from: string; startAt: 'earliest' | 'latest' }, deps: ConnectorDeps, type: SinkType): ConnectorParts {
  const input = new SinkInput({ connector: config.name, topic: config.from, startAt: config.startAt, log: deps.log, offsets: deps.offsets, logger: deps.logger, meter: deps.meter });
  return {
    ...partsOf(config, deps),
    prepare: () => input.open(),
    session: (session) => type.session({ ...session, input }),
    close: async () => { await type.close?.(); },
  };
}
