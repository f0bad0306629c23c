// A device's side of SCRAM-SHA-256 (RFC 5802) for MQTT 5 enhanced authentication: the
// client-first it puts in CONNECT, the client-final it answers server-first with, and the
// check of server-final.
import { clientKeyOf, digest, hmac, saltedPassword } from '../../../../edge/auth/scram-credential.ts';

export class ScramClient {
  readonly #bare: string;
  readonly #password: string;
  #serverSignature: Buffer | undefined;

  constructor(username: string, password: string) {
    this.#bare = `n=${username},r=client-nonce-${Math.random().toString(36).slice(2)}`;
    this.#password = password;
  }

  get first(): Buffer {
    return Buffer.from(`n,,${this.#bare}`);
  }

  async final(serverFirst: string): Promise<Buffer> {
    const fields = Object.fromEntries(serverFirst.split(',').map((field) => [field[0], field.slice(2)]));
    const salted = await saltedPassword('sha256', this.#password, Buffer.from(fields.s!, 'base64'), Number(fields.i));
    const withoutProof = `c=biws,r=${fields.r}`;
    const authMessage = `${this.#bare},${serverFirst},${withoutProof}`;
    const clientKey = clientKeyOf('sha256', salted);
    const signature = hmac('sha256', digest('sha256', clientKey), authMessage);
    const proof = Buffer.from(clientKey.map((byte, index) => byte ^ signature[index]!));
    this.#serverSignature = hmac('sha256', hmac('sha256', salted, 'Server Key'), authMessage);
    return Buffer.from(`${withoutProof},p=${proof.toString('base64')}`);
  }

  /** Whether server-final proves the server holds the credential. */
  verifies(serverFinal: Buffer | undefined): boolean {
    return serverFinal?.toString() === `v=${this.#serverSignature!.toString('base64')}`;
  }
}

