// The title of the test that is running (or, in a `before` hook, of the last one that began),
// set by the root hooks, so that what the run's recorders catch names the test it came from.
let title = '(outside any test)';

export function setCurrentTest(fullTitle: string): void {
  title = fullTitle;
}

export function currentTest(): string {
  return title;
}
