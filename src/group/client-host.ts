/** The client host a group member is described with: "/" + its IP address, as Kafka prints InetAddress. */
export function clientHostOf(clientAddress: string): string {
  const i = clientAddress.lastIndexOf(':');
  const host = i > 0 ? clientAddress.slice(0, i) : clientAddress;
  return `/${host.replace(/^\[|\]$/g, '')}`;
}
