// A list or a hint that is asked for again before its earlier answer came (a filter changed
// while the list loads, a poll answered after the user's own reload, a topic chosen while the
// dialog's first route is on its way) shows the newest question's answer only: an older
// answer arriving later is dropped, never shown over the newer one.

export interface Newest {
  /** Ask ``question`` as the newest; its answer, or ``undefined`` when a later question was
   *  asked before it came. A refusal of an outdated question is dropped as well (``undefined``);
   *  the newest question's refusal is thrown. */
  <T>(question: () => Promise<T>): Promise<T | undefined>;
}

export function newest(): Newest {
  let asked = 0;
  return async <T>(question: () => Promise<T>): Promise<T | undefined> => {
    const ticket = ++asked;
    try {
      const answer = await question();
      return ticket === asked ? answer : undefined;
    } catch (err) {
      if (ticket === asked) throw err;
      return undefined;
    }
  };
}
