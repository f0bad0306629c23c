// Where the operator commands find the broker: `--bootstrap HOST:PORT[,HOST:PORT…]`, as
// Kafka's own tools take it, defaulting to the edge daemon's default Kafka listener.
import { TributaryError } from '../../../shared/errors.ts';

export const DEFAULT_BOOTSTRAP = '127.0.0.1:9092';

/** A list longer than this is a mistake on the command line; a single node has one address. */
const BOOTSTRAP_ADDRESSES_MAX = 16;

/** Splits and checks a bootstrap list; every address is HOST:PORT with a port in 1–65535. */
export function parseBootstrap(text: string): string[] {
  const addresses = text.split(',').map((part) => part.trim()).filter((part) => part !== '');
  if (addresses.length === 0) throw optionInvalid(`--bootstrap needs HOST:PORT, got "${text}"`);
  if (addresses.length > BOOTSTRAP_ADDRESSES_MAX) throw optionInvalid(`--bootstrap lists ${addresses.length} addresses; at most ${BOOTSTRAP_ADDRESSES_MAX} are accepted`);
  for (const address of addresses) {
    // IPv6 literals are written in brackets, [::1]:9092, so the last colon separates the port.
    const match = /^(\[[0-9a-fA-F:.]+\]|[^:[\]\s]+):(\d{1,5})$/.exec(address);
    const port = match ? Number(match[2]) : 0;
    if (!match || port < 1 || port > 65_535) throw optionInvalid(`--bootstrap: "${address}" is not HOST:PORT`);
  }
  return addresses;
}

export function optionInvalid(message: string): TributaryError {
  return new TributaryError('CLI_OPTION_INVALID', message);
}
