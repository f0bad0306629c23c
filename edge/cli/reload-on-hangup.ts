// SIGHUP re-reads the YAML file. The log level applies at once; every other change is
// named in the log as needing a restart, so an operator is never left guessing whether
// an edit took effect. A file that no longer validates is reported and ignored: the
// daemon keeps running on the configuration it has.
import { isDeepStrictEqual } from 'node:util';
import type { Config } from '../../shared/config/schema.ts';
import { loadConfigFile } from '../../shared/config/load.ts';
import type { Logger } from '../../shared/logger.ts';

export function reloadOnHangup(configPath: string | undefined, running: Config, logger: Logger): () => void {
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
    if (next.log.level !== running.log.level) {
      logger.level = next.log.level;
      running.log.level = next.log.level;
      logger.info({ logLevel: next.log.level }, 'SIGHUP: log level applied');
    }
    const needRestart = (Object.keys(next) as (keyof Config)[]).filter((key) => !isDeepStrictEqual(next[key], running[key]));
    if (needRestart.length > 0) logger.warn({ sections: needRestart }, 'SIGHUP: these sections changed and apply after a restart');
    else logger.info('SIGHUP: configuration reloaded');
  };
  process.on('SIGHUP', onHangup);
  return () => process.off('SIGHUP', onHangup);
}
