// SIGHUP (and `systemctl reload`, which sends it) re-reads the YAML file. The log level,
// TLS certificates, users and permissions apply at once, without dropping a connection but
// those of users removed (edge/daemon/live-reload.ts says what is live and how); every other
// change is named in the log as needing a restart, so an operator is never left guessing
// whether an edit took effect. A file that no longer validates, or settings a part refuses
// (an unreadable key, an expired certificate), are reported in one line naming the key and
// the file, and the daemon keeps running on every setting it had.
import type { Config } from '../../shared/config/schema.ts';
import { loadConfigFile } from '../../shared/config/load.ts';
import { isTributaryError } from '../../shared/errors.ts';
import type { Logger } from '../../shared/logger.ts';
import { adoptLiveSettings, sectionsNeedingRestart, withLiveSettingsOf } from '../daemon/live-reload.ts';

/** A running daemon's reload; undefined while it starts. */
export interface Reloadable {
  reload(candidate: Config): Record<string, unknown>;
}

export function reloadOnHangup(configPath: string | undefined, running: Config, logger: Logger, daemon: () => Reloadable | undefined): () => void {
  const onHangup = (): void => {
    if (!configPath) {
      logger.info('SIGHUP: running on built-in defaults; there is no file to reload');
      return;
    }
    let next: Config;
    try {
      next = loadConfigFile(configPath);
    } catch (error) {
      logger.error({ err: error }, 'SIGHUP: the configuration file is invalid; keeping the running configuration');
      return;
    }
    const target = daemon();
    if (target === undefined) {
      logger.warn('SIGHUP: the daemon is still starting; nothing was reloaded (send SIGHUP again once it is ready)');
      return;
    }
    let outcome: Record<string, unknown>;
    try {
      outcome = target.reload(withLiveSettingsOf(running, next));
    } catch (error) {
      const key = isTributaryError(error) ? error.details.key : undefined;
      logger.error({ key, file: configPath, err: error }, `SIGHUP: ${(error as Error).message}; keeping the running settings`);
      return;
    }
    logger.info({ ...outcome }, 'SIGHUP: TLS certificates, users and permissions reloaded');
    if (next.log.level !== running.log.level) {
      logger.level = next.log.level;
      logger.info({ logLevel: next.log.level }, 'SIGHUP: log level applied');
    }
    const needRestart = sectionsNeedingRestart(running, next);
    adoptLiveSettings(running, next);
    if (needRestart.length > 0) logger.warn({ sections: needRestart }, 'SIGHUP: these sections changed and apply after a restart');
    else logger.info('SIGHUP: configuration reloaded');
  };
  process.on('SIGHUP', onHangup);
  return () => process.off('SIGHUP', onHangup);
}
