// Stopping an HTTP server for an exec without failing a request: stop accepting, then let
// each connection go at the right moment: after its response, never between its connect and
// its request. Under the launcher the listening socket is also on fd 0, which survives the
// exec, so closing our listener only stops this process from accepting: connections that
// arrive until the new build listens wait in the kernel's backlog (see
// domain/upgrade/launcher-scripts.ts). Without it, the port is closed until the new build
// binds it again.
import type { IncomingMessage, Server, ServerResponse } from 'node:http';
import { Server as NetServer, type Socket } from 'node:net';

/** In-flight requests get this long to finish before their connections are cut. */
const DRAIN_MS = 1000;
/** A connection accepted just before the close whose request has not arrived yet gets this long to send it. */
const FIRST_REQUEST_GRACE_MS = 100;

interface Tracked {
  acceptedAt: number;
  /** Requests whose response has not finished. */
  active: number;
  requests: number;
}

/**
 * Follows the server's connections from the start (construct it before the server listens);
 * the server's request listener tells it of every request (noteRequest).
 */
export class ConnectionDrain {
  private readonly connections = new Map<Socket, Tracked>();
  private draining = false;
  /**
   * Every response's 'finish' listener: one function, not a closure per response, and the
   * connection's record never points at a response (which would keep each connection's last
   * response, its request and its headers alive into the old generation).
   */
  private readonly finished: (this: ServerResponse) => void;

  constructor(private readonly server: Server) {
    const connections = this.connections;
    this.finished = function () {
      const tracked = connections.get(this.req.socket);
      if (tracked) tracked.active--;
    };
    server.on('connection', (socket: Socket) => {
      connections.set(socket, { acceptedAt: Date.now(), active: 0, requests: 0 });
      socket.once('close', () => connections.delete(socket));
    });
  }

  /**
   * Called for every request (and every `Expect: 100-continue` one) before it is handled:
   * by the server's one listener, which is cheaper per request than a listener of our own.
   */
  noteRequest(req: IncomingMessage, res: ServerResponse): void {
    const tracked = this.connections.get(req.socket);
    if (tracked) {
      tracked.requests++;
      tracked.active++;
      // A response cut short never finishes, but its connection closes and takes the record.
      res.on('finish', this.finished);
    }
    // The last responses of this process tell their clients not to reuse the connection.
    if (this.draining) res.setHeader('Connection', 'close');
  }

  /**
   * Stops accepting (the listening descriptor is closed; http.Server.close would also cut
   * connections whose request has not been read yet), then waits until every connection has
   * ended: busy ones after their response, idle keep-alive ones at once, fresh ones once
   * their request is answered (or after FIRST_REQUEST_GRACE_MS of silence). Whatever is
   * still open after `maxMs` is cut. The listener is closed before this returns its promise.
   */
  async drain(maxMs = DRAIN_MS): Promise<void> {
    this.draining = true;
    NetServer.prototype.close.call(this.server);
    const deadline = Date.now() + maxMs;
    while (this.connections.size > 0 && Date.now() < deadline) {
      const now = Date.now();
      for (const [socket, c] of this.connections) {
        const idleAfterRequests = c.requests > 0 && c.active === 0;
        const silent = c.requests === 0 && socket.bytesRead === 0 && now - c.acceptedAt > FIRST_REQUEST_GRACE_MS;
        if (idleAfterRequests || silent) socket.destroy();
      }
      await new Promise((resolve) => setTimeout(resolve, 2));
    }
    for (const socket of this.connections.keys()) socket.destroy();
  }
}
