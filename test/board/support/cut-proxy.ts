/**
 * A TCP proxy in front of one API replica, to cut the browser's connections like a lost network does: `cut()`
 * destroys every open connection (an EventSource's stream included) and refuses new ones until `restore()`.
 * (Playwright's context.setOffline() does not end a response that is already streaming: an open EventSource keeps
 * receiving events, so it cannot test a resume.)
 */
import { connect, createServer, type Server, type Socket } from 'node:net';

export class CutProxy {
  private readonly open = new Set<Socket>();
  private refusing = false;
  cuts = 0;

  private constructor(
    private readonly server: Server,
    readonly port: number,
  ) {}

  static async start(targetPort: number): Promise<CutProxy> {
    let proxy: CutProxy | undefined;
    const server = createServer((client) => {
      if (!proxy || proxy.refusing) {
        client.destroy();
        return;
      }
      const upstream = connect(targetPort, '127.0.0.1');
      const pair = [client, upstream];
      for (const socket of pair) {
        proxy.open.add(socket);
        socket.on('error', () => undefined); // a cut or the other side closing
        socket.on('close', () => {
          proxy?.open.delete(socket);
          for (const other of pair) other.destroy();
        });
      }
      client.pipe(upstream);
      upstream.pipe(client);
    });
    const port = await new Promise<number>((resolve, reject) => {
      server.once('error', reject);
      server.listen(0, '127.0.0.1', () => {
        const address = server.address();
        if (address !== null && typeof address === 'object') resolve(address.port);
        else reject(new Error(`no port from ${String(address)}`));
      });
    });
    proxy = new CutProxy(server, port);
    return proxy;
  }

  get url(): string {
    return `http://127.0.0.1:${this.port}`;
  }

  /** Ends every connection now; new ones are closed at once until restore(). */
  cut(): void {
    this.refusing = true;
    this.cuts++;
    for (const socket of this.open) socket.destroy();
    this.open.clear();
  }

  restore(): void {
    this.refusing = false;
  }

  async stop(): Promise<void> {
    this.cut();
    await new Promise<void>((resolve) => this.server.close(() => resolve()));
  }
}
