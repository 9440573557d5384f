import net from 'node:net';

// A lean keep-alive HTTP/1.1 client for the benchmarks' paced load: one request in flight per
// connection, prebuilt request bytes, responses delimited by Content-Length. Node's http client
// costs ~130 µs of CPU a request on the bench machine, CPU the server being measured shares.
export interface Poster {
  post(path: string, body: Buffer, headers: Record<string, string>): Promise<number>;
  close(): void;
}

export async function createPoster(url: string, connections: number): Promise<Poster> {
  const { hostname, port } = new URL(url);
  const idle: Connection[] = [];
  const waiting: (() => void)[] = [];
  const all = await Promise.all(Array.from({ length: connections }, () => connect(hostname, Number(port))));
  idle.push(...all);
  const take = async (): Promise<Connection> => {
    while (idle.length === 0) await new Promise<void>((resolve) => waiting.push(resolve));
    return idle.pop()!;
  };
  return {
    async post(path, body, headers) {
      const conn = await take();
      try {
        return await conn.request(postRequestBytes(`${hostname}:${port}`, path, body, headers));
      } finally {
        idle.push(conn);
        waiting.shift()?.();
      }
    },
    close: () => { for (const c of all) c.socket.destroy(); },
  };
}

/** The bytes of a keep-alive HTTP/1.1 POST: what a load generator writes on the wire. */
export function postRequestBytes(host: string, path: string, body: Buffer, headers: Record<string, string>): Buffer {
  let head = `POST ${path} HTTP/1.1\r\nHost: ${host}\r\nConnection: keep-alive\r\nContent-Length: ${body.length}\r\n`;
  for (const [k, v] of Object.entries(headers)) head += `${k}: ${v}\r\n`;
  return Buffer.concat([Buffer.from(head + '\r\n'), body]);
}

interface Connection { socket: net.Socket; request(bytes: Buffer): Promise<number> }

function connect(host: string, port: number): Promise<Connection> {
  return new Promise((resolve, reject) => {
    const socket = net.connect(port, host);
    socket.setNoDelay(true);
    let buffered = Buffer.alloc(0);
    let pending: { resolve: (status: number) => void; reject: (e: Error) => void } | null = null;
    socket.on('data', (chunk) => {
      buffered = buffered.length ? Buffer.concat([buffered, chunk]) : chunk;
      const end = buffered.indexOf('\r\n\r\n');
      if (end < 0) return;
      const head = buffered.subarray(0, end).toString('latin1');
      const length = Number(/content-length: *(\d+)/i.exec(head)?.[1] ?? 0);
      if (buffered.length < end + 4 + length) return;
      buffered = buffered.subarray(end + 4 + length);
      const done = pending;
      pending = null;
      done?.resolve(Number(head.slice(9, 12)));
    });
    socket.on('error', (error) => { pending?.reject(error); pending = null; });
    socket.once('connect', () => resolve({
      socket,
      request: (bytes) => new Promise<number>((res, rej) => { pending = { resolve: res, reject: rej }; socket.write(bytes); }),
    }));
    socket.once('error', reject);
  });
}
