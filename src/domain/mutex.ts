// Runs async sections one after another, in the order they were asked for. Unlike the
// RefusingLock (which answers 409 to a second caller), every caller gets its turn: it orders
// internal actors that must not interleave but must not be refused either (a lease expiry
// must hold its primary even while an operator's change is being applied).
export class Mutex {
  private tail: Promise<unknown> = Promise.resolve();

  run<T>(work: () => Promise<T>): Promise<T> {
    const turn = this.tail.then(work);
    this.tail = turn.catch(() => undefined);
    return turn;
  }
}
