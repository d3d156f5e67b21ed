// A TCP relay on loopback between a client and the API server, so a test can kill
// the client's connections mid-stream (its watches see the TCP connection die,
// as when a load balancer or the network drops it) and refuse new ones for a
// while. Bytes pass through untouched: TLS is end to end.
import net from 'node:net';

export class TcpProxy {
  private server: net.Server | undefined;
  private readonly pairs = new Set<net.Socket>();
  /** Connections accepted so far. */
  accepted = 0;

  private constructor(
    private readonly targetPort: number,
    public port: number,
  ) {}

  static async start(targetPort: number): Promise<TcpProxy> {
    const p = new TcpProxy(targetPort, 0);
    await p.listen();
    return p;
  }

  private listen(): Promise<void> {
    const server = net.createServer((client) => {
      this.accepted++;
      const upstream = net.connect(this.targetPort, '127.0.0.1');
      for (const s of [client, upstream]) {
        this.pairs.add(s);
        s.on('close', () => this.pairs.delete(s));
        s.on('error', () => {
          client.destroy();
          upstream.destroy();
        });
      }
      client.pipe(upstream);
      upstream.pipe(client);
    });
    this.server = server;
    return new Promise((resolve, reject) => {
      server.once('error', reject);
      // Same port after a pause: clients keep their kubeconfig.
      server.listen(this.port, '127.0.0.1', () => {
        this.port = (server.address() as net.AddressInfo).port;
        resolve();
      });
    });
  }

  /** Resets every open connection (both sides). */
  cut(): number {
    const n = this.pairs.size;
    for (const s of [...this.pairs]) {
      // A reset, not a FIN: the peer sees the connection die (a not yet connected upstream is just destroyed).
      if (s.readyState === 'open') s.resetAndDestroy();
      else s.destroy();
    }
    return n;
  }

  /** Stops accepting (new connections are refused) and cuts the open ones. */
  async pause(): Promise<void> {
    const s = this.server;
    this.server = undefined;
    const closed = s ? new Promise<void>((r) => s.close(() => r())) : Promise.resolve();
    this.cut();
    await closed;
  }

  async resume(): Promise<void> {
    if (!this.server) await this.listen();
  }

  async close(): Promise<void> {
    await this.pause();
  }
}
