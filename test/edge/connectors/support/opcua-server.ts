// A real OPC UA server for the OPC UA source's tests: node-opcua's own server, run as a
// child process (`node opcua-server.ts PORT PKI_DIR`) so that a test can stop it with
// SIGKILL and start it again on the same port, as a PLC restarts. It serves
// ns=1;s=Temperature (Double), ns=1;s=Running (Boolean) and ns=1;s=Counter (Int32) with
// security None and SignAndEncrypt (Basic256Sha256), accepting any client certificate,
// and prints `peer {"ready":true,"certificateFile":…}` once it listens (node-opcua writes its
// own lines to standard output too, hence the prefix). Commands on standard input, one a
// line: `set NAME VALUE`, answered `peer ok`.
import { createInterface } from 'node:readline';
import { DataType, MessageSecurityMode, SecurityPolicy, Variant } from 'node-opcua-client';
import { OPCUACertificateManager } from 'node-opcua-certificate-manager';
import { OPCUAServer } from 'node-opcua-server';

const [port, pkiDirectory] = [Number(process.argv[2]), process.argv[3]!];
const values: Record<string, { dataType: DataType; value: number | boolean }> = {
  Temperature: { dataType: DataType.Double, value: 20.5 },
  Running: { dataType: DataType.Boolean, value: true },
  Counter: { dataType: DataType.Int32, value: 0 },
};

const server = new OPCUAServer({
  port,
  resourcePath: '/UA/test',
  serverCertificateManager: new OPCUACertificateManager({ rootFolder: pkiDirectory, automaticallyAcceptUnknownCertificate: true }),
  securityModes: [MessageSecurityMode.None, MessageSecurityMode.SignAndEncrypt],
  securityPolicies: [SecurityPolicy.None, SecurityPolicy.Basic256Sha256],
  allowAnonymous: true,
});
await server.initialize();
const namespace = server.engine.addressSpace!.getOwnNamespace();
const objects = server.engine.addressSpace!.rootFolder.objects;
const variables = Object.fromEntries(Object.entries(values).map(([name, initial]) => [name, namespace.addVariable({ organizedBy: objects, browseName: name, nodeId: `s=${name}`, dataType: initial.dataType, value: new Variant(initial) })]));
await server.start();
process.stdout.write(`peer ${JSON.stringify({ ready: true, certificateFile: server.certificateFile, endpoint: server.getEndpointUrl() })}\n`);

createInterface({ input: process.stdin }).on('line', (line) => {
  const [command, name, text] = line.split(' ');
  if (command !== 'set' || name === undefined || variables[name] === undefined) return;
  const { dataType } = values[name]!;
  variables[name]!.setValueFromSource(new Variant({ dataType, value: dataType === DataType.Boolean ? text === 'true' : Number(text) }));
  process.stdout.write('peer ok\n');
});
