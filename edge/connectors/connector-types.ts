// Each connector type's code, loaded only when a connector of that type is configured: the
// OPC UA client alone is tens of megabytes of a small device's memory
// (edge/connectors/README.md lists what each costs).
import type { ConnectorConfig, ConnectorType } from '../../shared/config/connectors-schema.ts';
import type { ConnectorFactory } from './runtime/connector-kinds.ts';

type AnyFactory = ConnectorFactory<ConnectorConfig>;

const LOADERS: Record<ConnectorType, () => Promise<AnyFactory>> = {
  'modbus-tcp': async () => (await import('./modbus/modbus-source.ts')).modbusSource as AnyFactory,
  opcua: async () => (await import('./opcua/opcua-source.ts')).opcUaSource as AnyFactory,
  'file-source': async () => (await import('./file/file-source.ts')).fileSource as AnyFactory,
  'http-sink': async () => (await import('./http/http-sink.ts')).httpSink as AnyFactory,
  'file-sink': async () => (await import('./file/file-sink.ts')).fileSink as AnyFactory,
};

export function loadConnectorType(type: ConnectorType): Promise<AnyFactory> {
  return LOADERS[type]();
}
