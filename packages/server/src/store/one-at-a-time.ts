/**
 * A queue of work run one piece at a time, in the order given: each piece starts once the one
 * before it has settled, whether it succeeded or failed.
 */
export function oneAtATime(): <T>(work: () => Promise<T>) => Promise<T> {
  let last: Promise<unknown> = Promise.resolve();
  return (work) => {
    const result = last.then(work);
    last = result.catch(() => {});
    return result;
  };
}
