import net from 'node:net';

// A TCP proxy in front of a real server (Postgres, Redis) that a test can break the way networks
// and servers break: cut (every connection dropped, new ones refused, as a crash) or freeze (bytes
// held in both directions, connections left open, as a hung server or a network dropping packets).
// The server behind it is never touched, so tests sharing it are not disturbed.
export interface TcpProxy {
  port: number;
  /** Drops every connection and refuses new ones until restore(). */
  cut(): Promise<void>;
  /** Holds every byte, both ways, on open and new connections until restore(). */
  freeze(): void;
  /** Accepts and forwards again (on the same port), delivering what a freeze held. */
  restore(): Promise<void>;
  close(): Promise<void>;
}

export async function startTcpProxy(target: { host: string; port: number }): Promise<TcpProxy> {
  const sockets = new Set<net.Socket>();
  const held: { to: net.Socket; chunk: Buffer }[] = [];
  let frozen = false;
  let server: net.Server | null = null;
  let port = 0;
  const forward = (from: net.Socket, to: net.Socket) => {
    sockets.add(from);
    from.on('data', (chunk) => (frozen ? held.push({ to, chunk }) : to.write(chunk)));
    from.on('error', () => from.destroy());
    from.on('close', () => {
      sockets.delete(from);
      to.destroy();
    });
  };
  const listen = () => new Promise<void>((resolve, reject) => {
    if (server) return resolve();
    server = net.createServer((client) => {
      const upstream = net.connect(target.port, target.host);
      forward(client, upstream);
      forward(upstream, client);
    });
    server.once('error', reject);
    server.listen(port, '127.0.0.1', () => {
      port = (server!.address() as net.AddressInfo).port;
      resolve();
    });
  });
  const cut = async () => {
    if (!server) return;
    const closed = new Promise<void>((resolve) => server!.close(() => resolve()));
    server = null;
    held.length = 0;
    for (const socket of sockets) socket.destroy();
    await closed;
  };
  const restore = async () => {
    frozen = false;
    for (const { to, chunk } of held.splice(0)) if (!to.destroyed) to.write(chunk);
    await listen();
  };
  await listen();
  return { get port() { return port; }, cut, freeze: () => { frozen = true; }, restore, close: cut };
}
