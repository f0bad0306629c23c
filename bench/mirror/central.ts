// The central cluster of bench:mirror: Apache Kafka 4.4, one node, with kafka-server-start.sh's
// JVM flags, because that is what a platform team runs, and what MirrorMaker 2 is made for.
//
// Mirrors reach it only through the fault-injecting link. It has a listener, LINK, that it
// advertises at the link's address: a client that bootstraps through the link is told to
// reach the broker through the link too, so every byte a mirror sends crosses it. MirrorMaker
// 2 needs this (Java clients have no address map); Tributary's mirror gets it the same way.
// The benchmark itself reads the cluster on its PLAINTEXT listener, beside the link, so that
// its own reads neither cross nor count on the link.
import { ApacheKafka, BENCH_JVM_OPTIONS, freePort } from '../../test/helpers/apache-kafka.ts';
import { createLink, type Link } from '../../firmware-sim/link/link.ts';

export interface Central {
  /** The PLAINTEXT listener, beside the link: for the benchmark's own reads. */
  readonly bootstrap: string;
  /** The link's address, as the central advertises it: what mirrors are given. */
  readonly linkBootstrap: string;
  /** A link with the given cap in front of the LINK listener, on the advertised address; one at a time. */
  openLink(bandwidthBytesPerSecond: number): Promise<Link>;
  cleanup(): Promise<void>;
}

export async function startCentral(parentDirectory: string): Promise<Central> {
  const linkPort = await freePort();
  const kafka = await ApacheKafka.start({ jvmOptions: BENCH_JVM_OPTIONS, parentDirectory, extraListeners: { LINK: { securityProtocol: 'PLAINTEXT', advertisedPort: linkPort } } });
  const linkTarget = `127.0.0.1:${kafka.nodes[0]!.listenerPorts.LINK}`;
  return {
    bootstrap: kafka.bootstrap,
    linkBootstrap: `127.0.0.1:${linkPort}`,
    openLink: (bandwidthBytesPerSecond) => createLink({ listen: `127.0.0.1:${linkPort}`, target: linkTarget, bandwidthBytesPerSecond }),
    cleanup: () => kafka.cleanup(),
  };
}
