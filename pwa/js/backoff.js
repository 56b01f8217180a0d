// Retry delays: exponential with "equal jitter" (half fixed, half random), capped.

/** Milliseconds to wait before try number `attempt` (1, 2, ...). */
export function backoffDelay(attempt, { base = 1000, max = 20000, random = Math.random } = {}) {
  const ceiling = Math.min(max, base * 2 ** Math.max(0, Math.min(attempt - 1, 20)));
  return Math.round(ceiling / 2 + (random() * ceiling) / 2);
}
