// A read the services could not answer for a while (a 502/503 while a service restarts, the
// network gone) is tried again on its own every few seconds while its page stays open, so the
// page recovers when the service is back without the user finding 刷新. A refusal (4xx) is not
// tried again: the same question gets the same answer.
import { onBeforeUnmount } from "vue";
import { ApiError } from "./api/problem";

/** Whether ``err`` is a failure that passes (the service down or restarting, no network). */
export function isTransient(err: unknown): boolean {
  if (err instanceof ApiError) return err.status === 0 || err.status === 502 || err.status === 503 || err.status === 504;
  return err instanceof TypeError; // fetch's own failure: no connection
}

export interface Retry {
  /** Read again with ``read`` in a few seconds when ``err`` passes; one retry pending at a time. */
  after(err: unknown, read: () => unknown): void;
}

/** A page's retries, ended when the page is left. */
export function useRetry(ms = 5000): Retry {
  let timer: number | undefined;
  onBeforeUnmount(() => window.clearTimeout(timer));
  return {
    after(err, read) {
      if (!isTransient(err)) return;
      window.clearTimeout(timer);
      timer = window.setTimeout(() => void read(), ms);
    },
  };
}
