import { createServer, connect, type Server, type Socket } from 'node:net';
import type { AddressInfo } from 'node:net';

/**
 * A TCP relay in front of PostgreSQL or Redis that a test can cut and restore, to see what
 * the product does when a dependency goes away (real connections, no mocks).
 */
export class TcpProxy {
  private server: Server | undefined;
  private readonly sockets = new Set<Socket>();
  private readonly pairs: [Socket, Socket][] = [];
  private frozen = false;
  private port = 0;

  constructor(
    private readonly targetHost: string,
    private readonly targetPort: number,
  ) {}

  get address(): { host: string; port: number } {
    return { host: '127.0.0.1', port: this.port };
  }

  async start(): Promise<void> {
    this.frozen = false;
    const server = createServer((client) => {
      this.sockets.add(client);
      if (this.frozen) {
        // Held open and silent, like a server that is gone without a word.
        client.on('error', () => this.sockets.delete(client)).on('close', () => this.sockets.delete(client));
        return;
      }
      const upstream = connect(this.targetPort, this.targetHost);
      this.sockets.add(upstream);
      this.pairs.push([client, upstream]);
      const close = () => {
        client.destroy();
        upstream.destroy();
        this.sockets.delete(client);
        this.sockets.delete(upstream);
      };
      client.on('error', close).on('close', close);
      upstream.on('error', close).on('close', close);
      client.pipe(upstream).pipe(client);
    });
    await new Promise<void>((resolve, reject) => {
      server.once('error', reject);
      server.listen(this.port, '127.0.0.1', () => resolve());
    });
    this.port = (server.address() as AddressInfo).port;
    this.server = server;
  }

  /**
   * Half-open: every connection stays open and nothing passes either way any more (the kernel
   * still acknowledges, nobody answers — a server gone behind a failover or a NAT that forgot
   * the connection): an end on one side no longer reaches the other, and new connections are
   * held the same way. Those connections never come back; `thaw` lets new ones through again.
   */
  freeze(): void {
    this.frozen = true;
    for (const [client, upstream] of this.pairs) {
      client.unpipe(upstream);
      upstream.unpipe(client);
      client.pause();
      upstream.pause();
      // Nor does an end on one side reach the other: the client giving up leaves the server's
      // session as it was, and the other way round.
      for (const socket of [client, upstream]) {
        socket.removeAllListeners('close');
        socket.removeAllListeners('error');
        socket.on('error', () => undefined).on('close', () => this.sockets.delete(socket));
      }
    }
    this.pairs.length = 0;
  }

  /** Lets new connections through again after `freeze` (the frozen ones stay dead). */
  thaw(): void {
    this.frozen = false;
  }

  /** Drops every open connection and refuses new ones until `start` is called again. */
  async cut(): Promise<void> {
    const server = this.server;
    this.server = undefined;
    for (const socket of this.sockets) socket.destroy();
    this.sockets.clear();
    if (server) await new Promise<void>((resolve) => server.close(() => resolve()));
  }

  async stop(): Promise<void> {
    await this.cut();
  }
}
