// What the views show lags what a service just recorded: reporting projects it from Kafka,
// usually within a second. A page that reads a view again after an action waits until the
// projection has moved past where it stood before the action, instead of reading at once (and
// showing the state before the action) or after a fixed pause.
import { api } from "./client";

/** reporting's projection version (GET /api/v1/views/version); null when it cannot be read */
export async function projectedVersion(): Promise<number | null> {
  try {
    return (await api.get<{ version: number }>("/api/v1/views/version")).version;
  } catch {
    return null;
  }
}

const pause = (ms: number) => new Promise<void>((resolve) => setTimeout(resolve, ms));

/**
 * Wait until the projection's version is past `before` (read before the action), checking every
 * `stepMs`, at most `waitMs`; true when it moved. An unknown `before` waits one step.
 */
export async function untilProjected(
  before: number | null,
  { waitMs = 8000, stepMs = 400, read = projectedVersion, sleep = pause } = {},
): Promise<boolean> {
  if (before == null) {
    await sleep(stepMs);
    return false;
  }
  for (let waited = 0; waited <= waitMs; waited += stepMs) {
    const now = await read();
    if (now != null && now > before) return true;
    await sleep(stepMs);
  }
  return false;
}
