// The SCRAM messages live in shared/auth, where the mirror's client reads the server's side of
// the same exchange; the server's modules keep importing them from here.
export * from '../../shared/auth/scram-messages.ts';
