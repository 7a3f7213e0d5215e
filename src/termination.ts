// SIGTERM and SIGINT, caught from the first moment of `run`. Node's default action for them
// ends the process at once: a stop that came while the manager started (the pod deleted
// during a slow start, a Ctrl-C) left the redis-server it had just started or adopted running,
// without a SHUTDOWN. A signal that arrives before the manager is up is kept and acted on as
// soon as it is; a start that takes longer than the grace period after it is cut short as
// before, so that a hung start never makes a stop hang.
const SIGNALS = ['SIGTERM', 'SIGINT'] as const;

type Handler = (signal: NodeJS.Signals) => void;

let handler: Handler | undefined;
let pending: NodeJS.Signals | undefined;
let deadline: NodeJS.Timeout | undefined;

/** From now on the signals are held for `onTermination` (at most `graceMs`) instead of ending the process. */
export function catchTermination(graceMs: number): void {
  for (const signal of SIGNALS) {
    process.on(signal, (received: NodeJS.Signals) => {
      if (handler) return handler(received);
      pending ??= received;
      deadline ??= setTimeout(() => {
        process.stderr.write(
          `instance-manager: ${received} during start-up, which did not finish within the grace period; exiting\n`,
        );
        process.exit(1);
      }, graceMs);
    });
  }
}

/** Acts on every signal from now on, and at once on one that came before. */
export function onTermination(act: Handler): void {
  handler = act;
  clearTimeout(deadline);
  if (pending !== undefined) act(pending);
}
