// Reads a password for the CLI: typed at a terminal without echoing it, or the whole of
// standard input when it is a pipe or a file (one trailing newline removed), so that
// `echo -n secret | tributary config hash-password` works in scripts.
import { text } from 'node:stream/consumers';

/** Longest password accepted; far beyond any real one, it bounds what a pipe can make us hold. */
const PASSWORD_BYTES_MAX = 4096;

export async function readPassword(input: NodeJS.ReadStream = process.stdin, prompt: NodeJS.WriteStream = process.stderr): Promise<string> {
  const password = input.isTTY ? await typed(input, prompt) : (await text(input)).replace(/\r?\n$/, '');
  if (Buffer.byteLength(password) > PASSWORD_BYTES_MAX) throw new Error(`the password is longer than ${PASSWORD_BYTES_MAX} bytes`);
  return password;
}

function typed(input: NodeJS.ReadStream, prompt: NodeJS.WriteStream): Promise<string> {
  prompt.write('password: ');
  input.setRawMode(true);
  input.setEncoding('utf8');
  input.resume();
  return new Promise((resolve, reject) => {
    let password = '';
    const finish = (error?: Error): void => {
      input.setRawMode(false);
      input.pause();
      input.off('data', onData);
      prompt.write('\n');
      if (error) reject(error);
      else resolve(password);
    };
    const onData = (chunk: string): void => {
      for (const character of chunk) {
        if (character === '\r' || character === '\n') return finish();
        if (character === '\u0003') return finish(new Error('interrupted'));
        if (character === '\u007f' || character === '\b') password = password.slice(0, -1);
        else password += character;
      }
    };
    input.on('data', onData);
  });
}
